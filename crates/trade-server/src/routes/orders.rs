//! Orders: create (template or uploaded contract), boxes, detail, and every lifecycle step.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use trade_model::ErrorCode;
use trade_model::OrderId;
use trade_model::api::{
    BoxCount, CreateOrderRequest, ExtendShipByRequest, FeedbackRequest, ModifyOrderRequest,
    NoteRequest, OrderEvent, OrderView, Page, ShipRequest,
};
use trade_model::order::{OrderAction, OrderBox};

use super::inquiries::limit;
use crate::auth::AuthUser;
use crate::error::{HttpError, HttpResult};
use crate::idempotency::{Begun, Idempotency};
use crate::orders::{view_for, visible};
use crate::state::AppState;
use crate::store;

/// The version a client saw, from `If-Match: "7"`, when it sent one.
pub(crate) fn optional_if_match(headers: &HeaderMap) -> HttpResult<Option<i64>> {
    if headers.contains_key(header::IF_MATCH) {
        if_match(headers).map(Some)
    } else {
        Ok(None)
    }
}

/// The version a client saw, from `If-Match: "7"` (428 when missing).
fn if_match(headers: &HeaderMap) -> HttpResult<i64> {
    let raw = headers.get(header::IF_MATCH).ok_or_else(|| {
        HttpError::new(
            StatusCode::PRECONDITION_REQUIRED,
            ErrorCode::OrderVersionRequired,
            "Send If-Match with the order version you reviewed.",
        )
    })?;
    raw.to_str().ok().and_then(version_in).ok_or_else(|| {
        HttpError::bad_request(
            ErrorCode::OrderBadIfMatch,
            "If-Match must be a version like \"3\".",
        )
    })
}

/// What `If-Match` takes, for the API document: an order version as the `ETag` of an
/// order answer gives it (`"7"`), bare (`7`) or weak (`W/"7"`). [`version_in`] reads
/// exactly these.
pub const IF_MATCH_PATTERN: &str = "^(W/)?(\"[0-9]{1,18}\"|[0-9]{1,18})$";

fn version_in(value: &str) -> Option<i64> {
    let value = value.trim();
    let value = value.strip_prefix("W/").unwrap_or(value);
    let digits = match value.strip_prefix('"') {
        Some(quoted) => quoted.strip_suffix('"')?,
        None => value,
    };
    crate::store::is_number(digits).then(|| digits.parse().ok())?
}

/// The `ETag` of an order answer: its version, quoted.
fn etag_of(view: &OrderView) -> String {
    format!("\"{}\"", view.order.version)
}

fn with_etag(view: OrderView) -> Response {
    ([(header::ETAG, etag_of(&view))], Json(view)).into_response()
}

/// Takes one step on order `id` as `user` (on the version `reviewed`, when the request
/// named one with `If-Match`), with the request's idempotency key claimed and its
/// answer (with the order's ETag) stored in the step's own transaction: a retry with
/// the key gets this answer, not a refusal for a step already taken.
pub(crate) async fn keyed_step(
    state: &AppState,
    user: &AuthUser,
    key: Idempotency,
    id: OrderId,
    reviewed: Option<i64>,
    action: OrderAction,
) -> HttpResult<Response> {
    let mut w = match key.begin(state).await? {
        Begun::Write(w) => w,
        Begun::Replay(response) => return Ok(response),
    };
    let (order, actor) = crate::orders::step_on(&mut w, state, user, id, reviewed, &action).await?;
    let view = view_for(order, actor, state.now());
    let etag = etag_of(&view);
    w.respond_with_etag(StatusCode::OK, &view, etag).await
}

#[utoipa::path(post, path = "/v1/orders", tag = "orders", request_body = CreateOrderRequest,
    responses((status = 201, body = OrderView), (status = 422, body = trade_model::api::ApiError)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    key: Idempotency,
    Json(req): Json<CreateOrderRequest>,
) -> HttpResult<Response> {
    let mut w = match key.begin(&state).await? {
        Begun::Write(w) => w,
        Begun::Replay(response) => return Ok(response),
    };
    let (order, creator) =
        crate::orders::submit(&mut w, &state, &user, OrderId::new(), req).await?;
    let view = OrderView::new(order, creator, state.now());
    let etag = etag_of(&view);
    w.respond_with_etag(StatusCode::CREATED, &view, etag).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// One of the boxes: waiting_for_me, waiting_for_partner, ordered, awaiting_shipment,
    /// shipped, completed, cancelled, in_dispute.
    #[serde(rename = "box")]
    pub order_box: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/v1/orders", tag = "orders", params(ListQuery),
    responses((status = 200, body = Page<OrderView>)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Query(q): Query<ListQuery>,
) -> HttpResult<Json<Page<OrderView>>> {
    let filter = match q.order_box.as_deref() {
        None => None,
        Some(b) => Some(OrderBox::parse(b).ok_or_else(|| {
            HttpError::bad_request(
                ErrorCode::RequestBadFilter,
                format!("`{b}` is not an order box."),
            )
        })?),
    };
    let (orders, next_cursor) = store::orders::list(
        &state.db,
        user.id,
        filter,
        q.cursor.as_deref(),
        limit(q.limit),
    )
    .await?;
    let now = state.now();
    let items = orders
        .into_iter()
        .filter_map(|o| o.party_of(user.id).map(|p| OrderView::new(o, p, now)))
        .collect();
    Ok(Json(Page { items, next_cursor }))
}

#[utoipa::path(get, path = "/v1/orders/counts", tag = "orders",
    responses((status = 200, body = Vec<BoxCount>)), security(("bearer" = [])))]
pub async fn counts(
    State(state): State<AppState>,
    user: AuthUser,
) -> HttpResult<Json<Vec<BoxCount>>> {
    let counts = store::orders::counts(&state.db, user.id).await?;
    Ok(Json(
        counts
            .into_iter()
            .map(|(b, count)| BoxCount {
                order_box: b,
                label: b.label().to_owned(),
                count,
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/v1/orders/{id}", tag = "orders",
    responses((status = 200, body = OrderView), (status = 404)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<OrderId>,
) -> HttpResult<Response> {
    let (order, actor) = visible(&state, &user, id).await?;
    Ok(with_etag(view_for(order, actor, state.now())))
}

#[utoipa::path(get, path = "/v1/orders/{id}/events", tag = "orders",
    responses((status = 200, body = Vec<OrderEvent>)), security(("bearer" = [])))]
pub async fn events(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<OrderId>,
) -> HttpResult<Json<Vec<OrderEvent>>> {
    visible(&state, &user, id).await?;
    let events = store::orders::events(&state.db, id).await?;
    Ok(Json(events.into_iter().map(|(e, _)| e).collect()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct VersionPath {
    pub id: OrderId,
    pub version: i64,
}

#[utoipa::path(get, path = "/v1/orders/{id}/versions/{version}", tag = "orders",
    responses((status = 200, body = trade_model::order::Order), (status = 404)), security(("bearer" = [])))]
pub async fn version(
    State(state): State<AppState>,
    user: AuthUser,
    Path(p): Path<VersionPath>,
) -> HttpResult<Json<trade_model::order::Order>> {
    visible(&state, &user, p.id).await?;
    store::orders::events(&state.db, p.id)
        .await?
        .into_iter()
        .find(|(e, _)| e.version == p.version)
        .map(|(_, o)| Json(o))
        .ok_or_else(|| HttpError::not_found("order version"))
}

#[utoipa::path(put, path = "/v1/orders/{id}/terms", tag = "orders", request_body = ModifyOrderRequest,
    params(("If-Match" = String, Header, description = "The version being modified")),
    responses((status = 200, body = OrderView), (status = 412), (status = 428)),
    security(("bearer" = [])))]
pub async fn modify(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<OrderId>,
    key: Idempotency,
    headers: HeaderMap,
    Json(req): Json<ModifyOrderRequest>,
) -> HttpResult<Response> {
    let version = if_match(&headers)?;
    let mut w = match key.begin(&state).await? {
        Begun::Write(w) => w,
        Begun::Replay(response) => return Ok(response),
    };
    let (order, actor) =
        crate::orders::modify(&mut w, &state, &user, id, version, req.terms).await?;
    let view = view_for(order, actor, state.now());
    let etag = etag_of(&view);
    w.respond_with_etag(StatusCode::OK, &view, etag).await
}

#[utoipa::path(post, path = "/v1/orders/{id}/confirm", tag = "orders",
    params(("If-Match" = String, Header, description = "The version being confirmed")),
    responses((status = 200, body = OrderView), (status = 412), (status = 428)),
    security(("bearer" = [])))]
pub async fn confirm(
    State(state): State<AppState>,
    user: AuthUser,
    key: Idempotency,
    Path(id): Path<OrderId>,
    headers: HeaderMap,
) -> HttpResult<Response> {
    let version = if_match(&headers)?;
    keyed_step(
        &state,
        &user,
        key,
        id,
        None,
        OrderAction::Confirm { version },
    )
    .await
}

macro_rules! order_step {
    ($(#[$meta:meta])* $name:ident, $path:literal, $body:ty, |$req:ident| $action:expr) => {
        $(#[$meta])*
        #[utoipa::path(post, path = $path, tag = "orders", request_body = $body,
            params(("If-Match" = Option<String>, Header, description = "The order version the step was decided on; stale -> 412")),
            responses((status = 200, body = OrderView), (status = 409, body = trade_model::api::ApiError)),
            security(("bearer" = [])))]
        pub async fn $name(
            State(state): State<AppState>,
            user: AuthUser,
            key: Idempotency,
            Path(id): Path<OrderId>,
            headers: HeaderMap,
            Json($req): Json<$body>,
        ) -> HttpResult<Response> {
            let reviewed = optional_if_match(&headers)?;
            keyed_step(&state, &user, key, id, reviewed, $action).await
        }
    };
    ($(#[$meta:meta])* $name:ident, $path:literal, $action:expr) => {
        $(#[$meta])*
        #[utoipa::path(post, path = $path, tag = "orders",
            params(("If-Match" = Option<String>, Header, description = "The order version the step was decided on; stale -> 412")),
            responses((status = 200, body = OrderView), (status = 409, body = trade_model::api::ApiError)),
            security(("bearer" = [])))]
        pub async fn $name(
            State(state): State<AppState>,
            user: AuthUser,
            key: Idempotency,
            Path(id): Path<OrderId>,
            headers: HeaderMap,
        ) -> HttpResult<Response> {
            let reviewed = optional_if_match(&headers)?;
            keyed_step(&state, &user, key, id, reviewed, $action).await
        }
    };
}

order_step!(
    request_modification,
    "/v1/orders/{id}/request-modification",
    NoteRequest,
    |req| OrderAction::RequestModification { note: req.note }
);
order_step!(cancel, "/v1/orders/{id}/cancel", NoteRequest, |req| {
    OrderAction::Cancel { reason: req.note }
});
order_step!(ship, "/v1/orders/{id}/ship", ShipRequest, |req| {
    OrderAction::Ship {
        carrier: req.carrier,
        tracking_number: req.tracking_number,
    }
});
order_step!(
    extend_ship_by,
    "/v1/orders/{id}/extend-ship-by",
    ExtendShipByRequest,
    |req| OrderAction::ExtendShipBy { days: req.days }
);
order_step!(
    extend_receipt,
    "/v1/orders/{id}/extend-receipt",
    OrderAction::ExtendReceipt
);
order_step!(
    confirm_receipt,
    "/v1/orders/{id}/confirm-receipt",
    OrderAction::ConfirmReceipt
);
order_step!(
    feedback,
    "/v1/orders/{id}/feedback",
    FeedbackRequest,
    |req| OrderAction::LeaveFeedback {
        rating: req.rating,
        comment: req.comment
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    /// The parser reads exactly what the document's pattern admits.
    #[test]
    fn if_match_reads_a_version_as_the_pattern_states_it() {
        let pattern = regex::Regex::new(IF_MATCH_PATTERN).expect("the pattern compiles");
        for (value, version) in [("\"7\"", 7), ("7", 7), ("W/\"12\"", 12)] {
            assert!(pattern.is_match(value), "{value}");
            assert_eq!(version_in(value), Some(version), "{value}");
        }
        for bad in [
            "*",
            "\"7",
            "7\"",
            "+7",
            "-1",
            "\"\"",
            "W/",
            "7.0",
            "1234567890123456789",
        ] {
            assert!(!pattern.is_match(bad), "{bad}");
            assert_eq!(version_in(bad), None, "{bad}");
        }
    }
}
