//! Pay Now: review (quote), then card through the gateway adapter or telegraphic transfer
//! to the designated account with a unique reference.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use tokio::time::timeout;
use trade_model::ErrorCode;
use trade_model::api::{PayRequest, PaymentQuote, PaymentResult};
use trade_model::card::{self as card_rules, CardProblem};
use trade_model::entities::Payment;
use trade_model::order::{self, Actor, Party, PaymentMethod};
use trade_model::{Money, OrderId, PaymentId};

use crate::auth::AuthUser;
use crate::error::{HttpError, HttpResult};
use crate::idempotency::{self, Begun, Idempotency};
use crate::orders::{view_for, visible};
use crate::payments::{self, card};
use crate::state::AppState;
use crate::store;

#[utoipa::path(get, path = "/v1/orders/{id}/payment-quote", tag = "payments",
    responses((status = 200, body = PaymentQuote), (status = 409)), security(("bearer" = [])))]
pub async fn quote(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<OrderId>,
) -> HttpResult<Json<PaymentQuote>> {
    let (order, _) = visible(&state, &user, id).await?;
    let installment = order
        .next_installment()
        .ok_or_else(|| HttpError::from(trade_model::Rejection::NothingDue))?;
    let fee = order::card_fee(Money::new(installment.amount_minor, order.terms.currency));
    Ok(Json(PaymentQuote {
        installment,
        currency: order.terms.currency.to_string(),
        card_fee_minor: fee.minor,
        card_total_minor: installment.amount_minor + fee.minor,
        beneficiary: state.beneficiary.clone(),
    }))
}

#[utoipa::path(get, path = "/v1/orders/{id}/payments", tag = "payments",
    responses((status = 200, body = Vec<Payment>)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<OrderId>,
) -> HttpResult<Json<Vec<Payment>>> {
    visible(&state, &user, id).await?;
    Ok(Json(store::payments::for_order(&state.db, id).await?))
}

/// A card refused before it reaches the gateway, with the sentence the API gives for it.
fn card_error(problem: CardProblem) -> HttpError {
    let message = match problem {
        CardProblem::Number => "The card number is not valid.",
        CardProblem::Expired => "The card has expired.",
        CardProblem::Cvc => "The security code is not valid.",
        CardProblem::Holder => "Enter the name on the card.",
    };
    HttpError::unprocessable(problem.code(), message)
}

#[utoipa::path(post, path = "/v1/orders/{id}/payments", tag = "payments", request_body = PayRequest,
    responses((status = 201, body = PaymentResult), (status = 402, body = trade_model::api::ApiError),
              (status = 409, body = trade_model::api::ApiError),
              (status = 502, body = trade_model::api::ApiError)),
    security(("bearer" = [])))]
pub async fn pay(
    State(state): State<AppState>,
    user: AuthUser,
    key: Idempotency,
    Path(id): Path<OrderId>,
    Json(req): Json<PayRequest>,
) -> HttpResult<Response> {
    let now = state.now();
    let (_, actor) = visible(&state, &user, id).await?;
    if actor != Actor::Party(Party::Buyer) {
        return Err(trade_model::Rejection::WrongParty { allowed: "buyer" }.into());
    }
    let card = match (req.method, &req.card) {
        (PaymentMethod::Card, Some(card)) => {
            let today = trade_model::time::utc_date(now);
            card_rules::check_card(card, today).map_err(card_error)?;
            Some(card)
        }
        (PaymentMethod::Card, None) => {
            return Err(HttpError::unprocessable(
                ErrorCode::PaymentCardMissing,
                "Enter the card details.",
            ));
        }
        (PaymentMethod::TelegraphicTransfer, _) => None,
    };
    let payment_id = PaymentId::new();
    let card_last4 = card.map(|c| {
        let digits = card_rules::card_digits(&c.number);
        digits[digits.len().saturating_sub(4)..].to_owned()
    });
    // Step 1: the order enters payment processing and the attempt is recorded.
    let mut w = match key.begin(&state).await? {
        Begun::Write(w) => w,
        Begun::Replay(response) => return Ok(response),
    };
    let (current, payment) = payments::begin_payment(
        &mut w,
        &state,
        &user,
        id,
        payment_id,
        req.method,
        req.amount_minor,
        card_last4,
    )
    .await?;
    let Some(card) = card else {
        // A transfer: done once the buyer has the reference; the funds come later.
        let response = w
            .respond(
                StatusCode::CREATED,
                &PaymentResult {
                    beneficiary: Some(state.beneficiary.clone()),
                    payment,
                    order: view_for(current, Actor::Party(Party::Buyer), now),
                },
            )
            .await?;
        state.deadlines_changed.notify_one();
        return Ok(response);
    };
    w.commit_processing(&payment_id.to_string()).await?;
    state.deadlines_changed.notify_one();

    // Step 2, in a task of its own: the gateway answers (or, when its answer is lost, is
    // asked what became of the charge) and the outcome is applied as the platform. The
    // buyer waits for it up to the hold, then hears "still processing"; the charge goes
    // on, its outcome is kept as this key's answer and reaches the buyer by sync.
    let amount = Money::new(
        payment.amount_minor + payment.fee_minor,
        current.terms.currency,
    );
    let charging = tokio::spawn(card::charge_and_settle(
        state.clone(),
        payment_id,
        amount,
        card.clone(),
    ));
    match timeout(state.pay_now_hold, charging).await {
        Ok(Ok(stored)) => Ok(idempotency::into_response(stored?)),
        Ok(Err(err)) => Err(HttpError::internal(format!(
            "card payment task failed: {err}"
        ))),
        Err(_) => Err(idempotency::processing(&payment_id.to_string())),
    }
}
