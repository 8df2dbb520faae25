//! Disputes: the buyer files with evidence, the supplier proposes, the buyer accepts,
//! escalates or withdraws; the dispute team decides.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use trade_model::api::{FileDisputeRequest, OrderView, RefundRequest};
use trade_model::dispute::DisputeAction;
use trade_model::entities::Role;
use trade_model::order::OrderAction;
use trade_model::{DisputeId, OrderId};

use crate::auth::AuthUser;
use crate::error::{HttpError, HttpResult};
use crate::idempotency::{Begun, Idempotency};
use crate::orders::view_for;
use crate::routes::orders::{keyed_step, optional_if_match};
use crate::state::AppState;

#[utoipa::path(post, path = "/v1/orders/{id}/dispute", tag = "disputes", request_body = FileDisputeRequest,
    responses((status = 201, body = OrderView), (status = 409, body = trade_model::api::ApiError)),
    security(("bearer" = [])))]
pub async fn file(
    State(state): State<AppState>,
    user: AuthUser,
    key: Idempotency,
    Path(id): Path<OrderId>,
    Json(req): Json<FileDisputeRequest>,
) -> HttpResult<Response> {
    let action = DisputeAction::File {
        dispute_id: DisputeId::new(),
        reason: req.reason,
        claim_minor: req.claim_minor,
        description: req.description,
        evidence: req.evidence,
    };
    let mut w = match key.begin(&state).await? {
        Begun::Write(w) => w,
        Begun::Replay(response) => return Ok(response),
    };
    let (order, actor) = crate::orders::file_dispute(&mut w, &state, &user, id, &action).await?;
    let view = view_for(order, actor, state.now());
    w.respond(StatusCode::CREATED, &view).await
}

macro_rules! dispute_step {
    ($name:ident, $path:literal, $body:ty, |$req:ident| $action:expr) => {
        #[utoipa::path(post, path = $path, tag = "disputes", request_body = $body,
            params(("If-Match" = Option<String>, Header, description = "The order version the step was decided on; stale -> 412")),
            responses((status = 200, body = OrderView), (status = 409, body = trade_model::api::ApiError)),
            security(("bearer" = [])))]
        pub async fn $name(
            State(state): State<AppState>,
            user: AuthUser,
            key: Idempotency,
            Path(id): Path<OrderId>,
            headers: axum::http::HeaderMap,
            Json($req): Json<$body>,
        ) -> HttpResult<Response> {
            let reviewed = optional_if_match(&headers)?;
            keyed_step(&state, &user, key, id, reviewed, OrderAction::Dispute($action)).await
        }
    };
    ($name:ident, $path:literal, $action:expr) => {
        #[utoipa::path(post, path = $path, tag = "disputes",
            params(("If-Match" = Option<String>, Header, description = "The order version the step was decided on; stale -> 412")),
            responses((status = 200, body = OrderView), (status = 409, body = trade_model::api::ApiError)),
            security(("bearer" = [])))]
        pub async fn $name(
            State(state): State<AppState>,
            user: AuthUser,
            key: Idempotency,
            Path(id): Path<OrderId>,
            headers: axum::http::HeaderMap,
        ) -> HttpResult<Response> {
            let reviewed = optional_if_match(&headers)?;
            keyed_step(&state, &user, key, id, reviewed, OrderAction::Dispute($action)).await
        }
    };
}

dispute_step!(
    propose,
    "/v1/orders/{id}/dispute/proposals",
    RefundRequest,
    |req| DisputeAction::Propose {
        refund_minor: req.refund_minor,
        note: req.note
    }
);
dispute_step!(
    accept,
    "/v1/orders/{id}/dispute/accept",
    DisputeAction::AcceptProposal
);
dispute_step!(
    escalate,
    "/v1/orders/{id}/dispute/escalate",
    DisputeAction::Escalate
);
dispute_step!(
    withdraw,
    "/v1/orders/{id}/dispute/withdraw",
    DisputeAction::Withdraw
);
/// The dispute team's decision. Like every operator route, it answers 404 to anyone
/// else, the order's own parties included.
#[utoipa::path(post, path = "/v1/operator/orders/{id}/dispute/decision", tag = "operator",
    request_body = RefundRequest,
    params(("If-Match" = Option<String>, Header, description = "The order version the decision was made on; stale -> 412")),
    responses((status = 200, body = OrderView), (status = 409, body = trade_model::api::ApiError)),
    security(("bearer" = [])))]
pub async fn decide(
    State(state): State<AppState>,
    user: AuthUser,
    key: Idempotency,
    Path(id): Path<OrderId>,
    headers: axum::http::HeaderMap,
    Json(req): Json<RefundRequest>,
) -> HttpResult<Response> {
    if user.role != Role::Operator {
        return Err(HttpError::not_found("order"));
    }
    let reviewed = optional_if_match(&headers)?;
    let action = OrderAction::Dispute(DisputeAction::Decide {
        refund_minor: req.refund_minor,
        note: req.note,
    });
    keyed_step(&state, &user, key, id, reviewed, action).await
}
