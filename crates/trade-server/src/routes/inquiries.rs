//! Inquiries and their chat.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use trade_model::ErrorCode;
use trade_model::api::{
    CreateInquiryRequest, MarkReadRequest, Page, PostMessageRequest, UnreadCounts,
};
use trade_model::entities::{Inquiry, Message};
use trade_model::{InquiryId, MessageId};

use crate::auth::AuthUser;
use crate::chat;
use crate::error::{HttpError, HttpResult};
use crate::idempotency::{Begun, Idempotency};
use crate::state::AppState;
use crate::store;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `unread` for the "Unread Messages" box.
    pub filter: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// The values of `filter`: every inquiry, or those with unread messages.
pub const FILTERS: [&str; 2] = ["all", "unread"];

pub fn limit(requested: Option<i64>) -> i64 {
    requested.unwrap_or(50).clamp(1, 200)
}

#[utoipa::path(post, path = "/v1/inquiries", tag = "inquiries", request_body = CreateInquiryRequest,
    responses((status = 201, body = Inquiry)), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    key: Idempotency,
    Json(req): Json<CreateInquiryRequest>,
) -> HttpResult<Response> {
    let product = match req.product_id {
        Some(pid) => {
            store::accounts::product(&state.db, pid)
                .await?
                .filter(|p| p.supplier == req.supplier)
                .ok_or_else(|| {
                    HttpError::unprocessable(
                        ErrorCode::InquiryUnknownProduct,
                        "The supplier has no such product.",
                    )
                })?
                .name
        }
        None => req.product.clone(),
    };
    let id = InquiryId::new();
    let mut w = match key.begin(&state).await? {
        Begun::Write(w) => w,
        Begun::Replay(response) => return Ok(response),
    };
    chat::open_inquiry(
        &mut w,
        &state,
        &user,
        id,
        req.supplier,
        &product,
        MessageId::new(),
        &req.message,
    )
    .await?;
    let inquiry = store::inquiries::get_tx(&mut w, user.id, id).await?;
    w.respond(StatusCode::CREATED, &inquiry).await
}

#[utoipa::path(get, path = "/v1/inquiries", tag = "inquiries", params(ListQuery),
    responses((status = 200, body = Page<Inquiry>)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Query(q): Query<ListQuery>,
) -> HttpResult<Json<Page<Inquiry>>> {
    let unread_only = match q.filter.as_deref() {
        None => false,
        Some(f) if f == FILTERS[0] => false,
        Some(f) if f == FILTERS[1] => true,
        Some(_) => {
            return Err(HttpError::bad_request(
                ErrorCode::RequestBadFilter,
                "filter is `all` or `unread`.",
            ));
        }
    };
    let (items, next_cursor) = store::inquiries::list(
        &state.db,
        user.id,
        user.role,
        unread_only,
        q.cursor.as_deref(),
        limit(q.limit),
    )
    .await?;
    Ok(Json(Page { items, next_cursor }))
}

#[utoipa::path(get, path = "/v1/inquiries/{id}", tag = "inquiries",
    responses((status = 200, body = Inquiry), (status = 404)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<InquiryId>,
) -> HttpResult<Json<Inquiry>> {
    Ok(Json(store::inquiries::get(&state.db, user.id, id).await?))
}

#[utoipa::path(post, path = "/v1/inquiries/{id}/messages", tag = "inquiries",
    request_body = PostMessageRequest, responses((status = 201, body = Message)),
    security(("bearer" = [])))]
pub async fn post_message(
    State(state): State<AppState>,
    user: AuthUser,
    key: Idempotency,
    Path(id): Path<InquiryId>,
    Json(req): Json<PostMessageRequest>,
) -> HttpResult<Response> {
    let message_id = MessageId::new();
    let mut w = match key.begin(&state).await? {
        Begun::Write(w) => w,
        Begun::Replay(response) => return Ok(response),
    };
    chat::post_message(
        &mut w,
        &state,
        &user,
        id,
        message_id,
        &req.body,
        &req.attachments,
    )
    .await?;
    let message = store::messages::message_tx(&mut w, message_id).await?;
    w.respond(StatusCode::CREATED, &message).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/v1/inquiries/{id}/messages", tag = "inquiries", params(PageQuery),
    responses((status = 200, body = Page<Message>)), security(("bearer" = [])))]
pub async fn messages(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<InquiryId>,
    Query(q): Query<PageQuery>,
) -> HttpResult<Json<Page<Message>>> {
    store::inquiries::get(&state.db, user.id, id).await?;
    let (items, next_cursor) =
        store::messages::messages(&state.db, id, q.cursor.as_deref(), limit(q.limit)).await?;
    Ok(Json(Page { items, next_cursor }))
}

#[utoipa::path(post, path = "/v1/inquiries/{id}/read", tag = "inquiries", request_body = MarkReadRequest,
    responses((status = 200, body = Inquiry)), security(("bearer" = [])))]
pub async fn mark_read(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<InquiryId>,
    Json(req): Json<MarkReadRequest>,
) -> HttpResult<Json<Inquiry>> {
    let mut w = state.db.begin().await?;
    chat::mark_read(&mut w, &state, &user, id, req.up_to).await?;
    w.commit().await?;
    Ok(Json(store::inquiries::get(&state.db, user.id, id).await?))
}

#[utoipa::path(get, path = "/v1/unread", tag = "inquiries",
    responses((status = 200, body = UnreadCounts)), security(("bearer" = [])))]
pub async fn unread(
    State(state): State<AppState>,
    user: AuthUser,
) -> HttpResult<Json<UnreadCounts>> {
    let (total, inquiries_with_unread) =
        store::inquiries::unread_totals(&state.db, user.id, user.role).await?;
    Ok(Json(UnreadCounts {
        total,
        inquiries_with_unread,
    }))
}
