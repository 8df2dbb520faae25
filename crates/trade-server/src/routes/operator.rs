//! The platform team's endpoints: bank notifications of transfers, card reviews, the
//! dispute queue. Everything here answers 404 to anyone but an operator.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use trade_model::ErrorCode;
use trade_model::PaymentId;
use trade_model::api::{CardReviewRequest, FundsArrivedRequest, OrderView, PaymentResult};
use trade_model::entities::{PaymentStatus, Role};
use trade_model::order::{Actor, OrderAction, Party, PaymentMethod};

use crate::auth::AuthUser;
use crate::error::{HttpError, HttpResult};
use crate::idempotency::{Begun, Idempotency};
use crate::orders::{apply_in, view_for};
use crate::state::AppState;
use crate::store;

fn require_operator(user: &AuthUser) -> HttpResult<()> {
    if user.role == Role::Operator {
        Ok(())
    } else {
        Err(HttpError::not_found("resource"))
    }
}

#[utoipa::path(post, path = "/v1/operator/payments/funds-arrived", tag = "operator",
    request_body = FundsArrivedRequest,
    responses((status = 200, body = PaymentResult), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn funds_arrived(
    State(state): State<AppState>,
    user: AuthUser,
    key: Idempotency,
    Json(req): Json<FundsArrivedRequest>,
) -> HttpResult<Response> {
    require_operator(&user)?;
    let payment = store::payments::by_reference(&state.db, &req.reference)
        .await?
        .filter(|p| p.method == PaymentMethod::TelegraphicTransfer)
        .ok_or_else(|| HttpError::not_found("payment reference"))?;
    if req.amount_minor != payment.amount_minor {
        return Err(HttpError::unprocessable(
            ErrorCode::PaymentAmountMismatch,
            format!(
                "The transfer must be exactly {} minor units.",
                payment.amount_minor
            ),
        ));
    }
    let mut w = match key.begin(&state).await? {
        Begun::Write(w) => w,
        Begun::Replay(response) => return Ok(response),
    };
    // Checked inside the transaction: two arrivals of one transfer settle it once.
    let current = store::payments::get_tx(&mut w, payment.id)
        .await?
        .ok_or_else(|| HttpError::not_found("payment reference"))?;
    if current.status != PaymentStatus::Processing {
        return Err(HttpError::conflict(
            ErrorCode::PaymentNotProcessing,
            "This transfer was already settled or has expired.",
        ));
    }
    let (order, _) = apply_in(
        &mut w,
        &state,
        payment.order,
        |_| Some(Actor::Operator),
        &OrderAction::PaymentSucceeded {
            payment_id: payment.id,
        },
    )
    .await?;
    let settled = store::payments::get_tx(&mut w, payment.id)
        .await?
        .unwrap_or(current);
    let result = PaymentResult {
        payment: settled,
        order: OrderView::new(order, Party::Buyer, state.now()),
        beneficiary: None,
    };
    let response = w.respond(StatusCode::OK, &result).await?;
    state.deadlines_changed.notify_one();
    Ok(response)
}

#[utoipa::path(post, path = "/v1/operator/payments/{id}/review", tag = "operator",
    request_body = CardReviewRequest,
    responses((status = 200, body = PaymentResult), (status = 404)), security(("bearer" = [])))]
pub async fn review(
    State(state): State<AppState>,
    user: AuthUser,
    key: Idempotency,
    Path(id): Path<PaymentId>,
    Json(req): Json<CardReviewRequest>,
) -> HttpResult<Response> {
    require_operator(&user)?;
    let action = if req.approve {
        OrderAction::PaymentSucceeded { payment_id: id }
    } else {
        OrderAction::PaymentFailed { payment_id: id }
    };
    let mut tx = match key.begin(&state).await? {
        Begun::Write(w) => w,
        Begun::Replay(response) => return Ok(response),
    };
    // Looked up in the write transaction: two reviews of one payment are serialised,
    // and the second finds it no longer under review.
    let payment = store::payments::get_tx(&mut tx, id)
        .await?
        .filter(|p| p.held_for_review && p.status == PaymentStatus::Processing)
        .ok_or_else(|| HttpError::not_found("payment under review"))?;
    let (order, _) = apply_in(
        &mut tx,
        &state,
        payment.order,
        |_| Some(Actor::Operator),
        &action,
    )
    .await?;
    if !req.approve {
        store::payments::mark_declined(
            &mut tx,
            id,
            (order.buyer, order.supplier),
            "Declined after review.",
            state.now(),
        )
        .await?;
    }
    let result = PaymentResult {
        payment: store::payments::get_tx(&mut tx, id)
            .await?
            .unwrap_or(payment),
        order: OrderView::new(order, Party::Buyer, state.now()),
        beneficiary: None,
    };
    tx.respond(StatusCode::OK, &result).await
}

#[utoipa::path(get, path = "/v1/operator/disputes", tag = "operator",
    responses((status = 200, body = Vec<OrderView>)), security(("bearer" = [])))]
pub async fn disputes(
    State(state): State<AppState>,
    user: AuthUser,
) -> HttpResult<Json<Vec<OrderView>>> {
    require_operator(&user)?;
    let now = state.now();
    Ok(Json(
        store::orders::with_disputes(&state.db, 500)
            .await?
            .into_iter()
            .map(|o| view_for(o, Actor::Operator, now))
            .collect(),
    ))
}
