//! Quotations in inquiries, the platform's exchange-rate tables and supplier facts
//! (issue 17): what a buyer compares quotations with.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use trade_model::api::Page;
use trade_model::quotation::{ExchangeRates, NewQuotation, Quotation};
use trade_model::supplier::SupplierFacts;
use trade_model::time::utc_date;
use trade_model::{AccountId, InquiryId, MessageId, QuotationId};

use crate::auth::AuthUser;
use crate::error::{HttpError, HttpResult};
use crate::idempotency::{Begun, Idempotency};
use crate::routes::inquiries::{PageQuery, limit};
use crate::state::AppState;
use crate::store;

/// The inquiry's supplier sends a quotation; it shows in the thread as a supplier
/// message whose `quotation` field refers to it.
#[utoipa::path(post, path = "/v1/inquiries/{id}/quotations", tag = "quotations",
    request_body = NewQuotation,
    responses((status = 201, body = Quotation),
        (status = 422, description = "`quotation.invalid`: `details` lists every problem \
            as a field error (`field`, `code` `quotation.*`, `message`).")),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    key: Idempotency,
    Path(id): Path<InquiryId>,
    Json(req): Json<NewQuotation>,
) -> HttpResult<Response> {
    let mut w = match key.begin(&state).await? {
        Begun::Write(w) => w,
        Begun::Replay(response) => return Ok(response),
    };
    let quotation = crate::quotations::send(
        &mut w,
        &state,
        &user,
        id,
        QuotationId::new(),
        MessageId::new(),
        req,
    )
    .await?;
    w.respond(StatusCode::CREATED, &quotation).await
}

/// The inquiry's quotations, oldest first.
#[utoipa::path(get, path = "/v1/inquiries/{id}/quotations", tag = "quotations",
    params(PageQuery), responses((status = 200, body = Page<Quotation>)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<InquiryId>,
    Query(q): Query<PageQuery>,
) -> HttpResult<Json<Page<Quotation>>> {
    store::inquiries::get(&state.db, user.id, id).await?;
    let (items, next_cursor) =
        store::quotations::list(&state.db, id, q.cursor.as_deref(), limit(q.limit)).await?;
    Ok(Json(Page { items, next_cursor }))
}

/// A quotation, for either party of its inquiry (404 for anyone else).
#[utoipa::path(get, path = "/v1/quotations/{id}", tag = "quotations",
    responses((status = 200, body = Quotation)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<QuotationId>,
) -> HttpResult<Json<Quotation>> {
    Ok(Json(store::quotations::get(&state.db, user.id, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RatesQuery {
    /// A UTC date (YYYY-MM-DD): the table in force that day, the newest dated on or
    /// before it. Absent: today's (the server's UTC date).
    #[param(value_type = Option<String>, format = Date)]
    pub date: Option<jiff::civil::Date>,
}

/// The platform's daily exchange-rate table; the answer carries its own date.
#[utoipa::path(get, path = "/v1/exchange-rates", tag = "quotations", params(RatesQuery),
    responses((status = 200, body = ExchangeRates),
        (status = 404, description = "No table was published on or before the date (`not_found`).", body = trade_model::api::ApiError)),
    security(("bearer" = [])))]
pub async fn exchange_rates(
    State(state): State<AppState>,
    _user: AuthUser,
    Query(q): Query<RatesQuery>,
) -> HttpResult<Json<ExchangeRates>> {
    let date = q.date.unwrap_or_else(|| utc_date(state.now()));
    store::rates::in_force(&state.db, date)
        .await?
        .map(Json)
        .ok_or_else(|| HttpError::not_found("exchange-rate table"))
}

/// What the platform's records say about a supplier (any signed-in account may ask, as
/// the supplier directory is open to all).
#[utoipa::path(get, path = "/v1/suppliers/{id}/facts", tag = "quotations",
    responses((status = 200, body = SupplierFacts)), security(("bearer" = [])))]
pub async fn supplier_facts(
    State(state): State<AppState>,
    _user: AuthUser,
    Path(id): Path<AccountId>,
) -> HttpResult<Json<SupplierFacts>> {
    store::suppliers::facts(&state.db, id, state.now())
        .await?
        .map(Json)
        .ok_or_else(|| HttpError::not_found("supplier"))
}
