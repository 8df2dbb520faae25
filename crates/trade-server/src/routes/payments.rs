//! Pay Now: review (quote), then card through the gateway adapter or telegraphic transfer
//! to the designated account with a unique reference.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use rand::Rng;
use tokio::time::timeout;
use trade_model::ErrorCode;
use trade_model::api::{CardDetails, PayRequest, PaymentQuote, PaymentResult};
use trade_model::entities::{Payment, PaymentStatus};
use trade_model::order::{self, Actor, OrderAction, Party, PaymentMethod};
use trade_model::{Money, OrderId, PaymentId};

use crate::auth::AuthUser;
use crate::db::Write;
use crate::error::{ApiError, ApiResult};
use crate::idempotency::{self, Begun, Idempotency, Stored};
use crate::orders::{actor_for, apply_in, view_for, visible};
use crate::payments::card;
use crate::payments::gateway::{self, CardProblem, Charge};
use crate::state::AppState;
use crate::store;

#[utoipa::path(get, path = "/v1/orders/{id}/payment-quote", tag = "payments",
    responses((status = 200, body = PaymentQuote), (status = 409)), security(("bearer" = [])))]
pub async fn quote(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<OrderId>,
) -> ApiResult<Json<PaymentQuote>> {
    let (order, _) = visible(&state, &user, id).await?;
    let installment = order
        .next_installment()
        .ok_or_else(|| ApiError::from(trade_model::Rejection::NothingDue))?;
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
) -> ApiResult<Json<Vec<Payment>>> {
    visible(&state, &user, id).await?;
    Ok(Json(store::payments::for_order(&state.db, id).await?))
}

/// A reference buyers can type into a bank form: `TC-` and 10 unambiguous characters.
fn transfer_reference() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let tail: String = (0..10)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("TC-{tail}")
}

fn card_error(problem: CardProblem) -> ApiError {
    let (code, message) = match problem {
        CardProblem::Number => (
            ErrorCode::PaymentCardNumberInvalid,
            "The card number is not valid.",
        ),
        CardProblem::Expired => (ErrorCode::PaymentCardExpired, "The card has expired."),
        CardProblem::Cvc => (
            ErrorCode::PaymentCardCvcInvalid,
            "The security code is not valid.",
        ),
        CardProblem::Holder => (
            ErrorCode::PaymentCardHolderMissing,
            "Enter the name on the card.",
        ),
    };
    ApiError::unprocessable(code, message)
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
) -> ApiResult<Response> {
    let now = state.now();
    let (_, actor) = visible(&state, &user, id).await?;
    if actor != Actor::Party(Party::Buyer) {
        return Err(trade_model::Rejection::WrongParty { allowed: "buyer" }.into());
    }
    let card = match (req.method, &req.card) {
        (PaymentMethod::Card, Some(card)) => {
            let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
            gateway::check_card(card, today.year(), today.month()).map_err(card_error)?;
            Some(card)
        }
        (PaymentMethod::Card, None) => {
            return Err(ApiError::unprocessable(
                ErrorCode::PaymentCardMissing,
                "Enter the card details.",
            ));
        }
        (PaymentMethod::TelegraphicTransfer, _) => None,
    };
    let payment_id = PaymentId::new();
    let card_last4 = card.map(|c| {
        let digits = gateway::normalize_card_number(&c.number);
        digits[digits.len().saturating_sub(4)..].to_owned()
    });
    // Step 1: the order enters payment processing and the attempt is recorded.
    let mut w = match key.begin(&state).await? {
        Begun::Write(w) => w,
        Begun::Replay(response) => return Ok(response),
    };
    let (current, payment) = begin_payment(
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
    let charging = tokio::spawn(charge_and_settle(
        state.clone(),
        payment_id,
        amount,
        card.clone(),
    ));
    match timeout(state.pay_now_hold, charging).await {
        Ok(Ok(stored)) => Ok(idempotency::into_response(stored?)),
        Ok(Err(err)) => Err(ApiError::internal(format!(
            "card payment task failed: {err}"
        ))),
        Err(_) => Err(idempotency::processing(&payment_id.to_string())),
    }
}

/// Charges the card for `payment` and settles the payment with the gateway's answer;
/// a lost answer is asked for once, and failing that the payment stays processing for
/// the reconciler.
async fn charge_and_settle(
    state: AppState,
    payment: PaymentId,
    amount: Money,
    card: CardDetails,
) -> ApiResult<Stored> {
    let charge = Charge {
        payment,
        amount,
        card: &card,
    };
    let outcome = match timeout(card::GATEWAY_TIMEOUT, state.gateway.charge(charge)).await {
        Ok(Ok(outcome)) => Some(outcome),
        Ok(Err(_)) | Err(_) => {
            match timeout(card::GATEWAY_TIMEOUT, state.gateway.recover(payment)).await {
                Ok(Ok(outcome)) => outcome,
                // The reconciler finishes it once the gateway answers again.
                Ok(Err(_)) | Err(_) => {
                    return Err(idempotency::processing(&payment.to_string()));
                }
            }
        }
    };
    card::settle(&state, payment, outcome).await
}

/// Starts paying the next installment of `order` (the order enters payment processing)
/// and records the attempt. Shared by Pay Now and sync push (transfers).
#[allow(clippy::too_many_arguments)]
pub async fn begin_payment(
    w: &mut Write,
    state: &AppState,
    user: &AuthUser,
    order: OrderId,
    payment_id: PaymentId,
    method: PaymentMethod,
    amount_minor: i64,
    card_last4: Option<String>,
) -> ApiResult<(trade_model::order::Order, Payment)> {
    let now = state.now();
    let begin = OrderAction::BeginPayment {
        payment_id,
        method,
        amount_minor,
    };
    let before = store::orders::get_tx(w, order)
        .await?
        .ok_or_else(|| ApiError::not_found("order"))?;
    let installment = before.next_installment();
    let (current, _) = apply_in(w, state, order, |o| actor_for(o, user), &begin).await?;
    let installment =
        installment.ok_or_else(|| ApiError::from(trade_model::Rejection::NothingDue))?;
    let currency = current.terms.currency;
    let fee = match method {
        PaymentMethod::Card => {
            order::card_fee(Money::new(installment.amount_minor, currency)).minor
        }
        PaymentMethod::TelegraphicTransfer => 0,
    };
    let payment = Payment {
        id: payment_id,
        order,
        installment: installment.index,
        installment_kind: installment.kind,
        method,
        amount_minor: installment.amount_minor,
        fee_minor: fee,
        currency: currency.to_string(),
        status: PaymentStatus::Processing,
        reference: (method == PaymentMethod::TelegraphicTransfer).then(transfer_reference),
        card_last4,
        held_for_review: false,
        failure: None,
        created_at: now,
        updated_at: now,
    };
    store::payments::insert(w, &payment, (current.buyer, current.supplier)).await?;
    Ok((current, payment))
}
