//! Card payments after the order entered payment processing: the gateway's answer
//! applied to the payment and the order exactly once, whoever learns it first (the Pay
//! Now request, or the reconciler for a charge whose answer was lost to a timeout, a
//! reset or a crash), and stored as the answer of the request's idempotency key.

use std::time::Duration;
use trade_model::ErrorCode;

use axum::http::StatusCode;
use jiff::SignedDuration;
use trade_model::PaymentId;
use trade_model::api::PaymentResult;
use trade_model::entities::{Payment, PaymentStatus};
use trade_model::order::{Actor, Order, OrderAction, Party};

use tokio::time::timeout;
use trade_model::Money;
use trade_model::api::CardDetails;

use super::gateway::{Charge, ChargeOutcome};
use crate::db::Write;
use crate::error::{HttpError, HttpResult};
use crate::idempotency;
use crate::idempotency::{Stored, stored_response};
use crate::orders::{apply_in, view_for};
use crate::state::AppState;
use crate::store;

/// The longest a gateway call may take before its answer counts as lost.
pub const GATEWAY_TIMEOUT: Duration = Duration::from_secs(30);

/// What the buyer is told when nothing was charged.
const NOT_CHARGED: &str =
    "The payment provider could not complete the payment; nothing was charged. Pay again.";

/// Applies the gateway's answer for card payment `id` (`None`: nothing was charged and
/// nothing will be) unless the payment is settled already, and returns the Pay Now
/// answer, which the payment's idempotency key keeps from the same transaction on.
pub async fn settle(
    state: &AppState,
    id: PaymentId,
    outcome: Option<ChargeOutcome>,
) -> HttpResult<Stored> {
    let mut w = state.db.begin().await?;
    let payment = store::payments::get_tx(&mut w, id)
        .await?
        .ok_or_else(|| HttpError::not_found("payment"))?;
    if payment.status != PaymentStatus::Processing || payment.held_for_review {
        // Learnt first by someone else: answer with what is recorded.
        let order = order_of(&mut w, &payment).await?;
        w.rollback().await?;
        return answer(state, payment, order);
    }
    let order = order_of(&mut w, &payment).await?;
    let parties = (order.buyer, order.supplier);
    let system = |_: &Order| Some(Actor::System);
    let now = state.now();
    match &outcome {
        Some(ChargeOutcome::Approved { .. }) => {
            apply_in(
                &mut w,
                state,
                order.id,
                system,
                &OrderAction::PaymentSucceeded { payment_id: id },
            )
            .await?;
        }
        Some(ChargeOutcome::HeldForReview) => {
            store::payments::mark_held(&mut w, id, parties).await?;
        }
        Some(ChargeOutcome::Declined { .. }) | None => {
            apply_in(
                &mut w,
                state,
                order.id,
                system,
                &OrderAction::PaymentFailed { payment_id: id },
            )
            .await?;
            match &outcome {
                Some(ChargeOutcome::Declined { reason }) => {
                    store::payments::mark_declined(&mut w, id, parties, reason, now).await?;
                }
                _ => store::payments::set_failure(&mut w, id, parties, NOT_CHARGED).await?,
            }
        }
    }
    let payment = store::payments::get_tx(&mut w, id)
        .await?
        .ok_or_else(|| HttpError::not_found("payment"))?;
    let order = order_of(&mut w, &payment).await?;
    let stored = answer(state, payment, order)?;
    if outcome.is_some() {
        store::idempotency::complete_payment(&mut w, &id.to_string(), &stored).await?;
    } else {
        // Nothing happened at the provider: a retry with the key is a new attempt.
        store::idempotency::forget_payment(&mut w, &id.to_string()).await?;
    }
    w.commit().await?;
    state.deadlines_changed.notify_one();
    Ok(stored)
}

async fn order_of(w: &mut Write, payment: &Payment) -> HttpResult<Order> {
    store::orders::get_tx(w, payment.order)
        .await?
        .ok_or_else(|| HttpError::not_found("order"))
}

/// The Pay Now answer for a card payment in its current state.
fn answer(state: &AppState, payment: Payment, order: Order) -> HttpResult<Stored> {
    let error = |status, code, message: String| {
        stored_response(
            status,
            &trade_model::api::ApiError {
                code,
                message,
                details: Some(serde_json::json!({ "payment_id": payment.id })),
            },
            None,
        )
    };
    match payment.status {
        PaymentStatus::Declined => error(
            StatusCode::PAYMENT_REQUIRED,
            ErrorCode::PaymentDeclined,
            payment.failure.clone().unwrap_or_default(),
        ),
        PaymentStatus::Failed => error(
            StatusCode::BAD_GATEWAY,
            ErrorCode::PaymentGatewayUnavailable,
            payment
                .failure
                .clone()
                .unwrap_or_else(|| NOT_CHARGED.to_owned()),
        ),
        PaymentStatus::Succeeded | PaymentStatus::Processing => stored_response(
            StatusCode::CREATED,
            &PaymentResult {
                payment,
                order: view_for(order, Actor::Party(Party::Buyer), state.now()),
                beneficiary: None,
            },
            None,
        ),
    }
}

/// Settles every card payment whose gateway answer has been missing for `grace`: the
/// gateway is asked what became of the charge (cancelling it if it never arrived).
/// Returns how many were settled; a gateway that cannot be reached leaves them for the
/// next round.
pub async fn reconcile(state: &AppState, grace: SignedDuration) -> HttpResult<usize> {
    let before = state
        .now()
        .checked_sub(grace)
        .map_err(HttpError::internal)?;
    let mut settled = 0;
    for id in store::payments::unanswered_cards(&state.db, before, 100).await? {
        let outcome = match tokio::time::timeout(GATEWAY_TIMEOUT, state.gateway.recover(id)).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(err)) => {
                tracing::warn!(payment = %id, %err, "cannot reconcile a card payment yet");
                continue;
            }
            Err(_) => {
                tracing::warn!(payment = %id, "the gateway did not answer a reconciliation");
                continue;
            }
        };
        match settle(state, id, outcome).await {
            Ok(_) => settled += 1,
            Err(err) => {
                tracing::error!(payment = %id, code = %err.code, message = %err.message, "reconciling a card payment failed");
            }
        }
    }
    if settled > 0 {
        tracing::info!(settled, "reconciled card payments");
    }
    Ok(settled)
}

/// Reconciles at start-up and then every `every` until the server stops.
pub async fn run_reconciler(
    state: AppState,
    grace: SignedDuration,
    every: Duration,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if let Err(err) = reconcile(&state, grace).await {
            tracing::error!(code = %err.code, message = %err.message, "payment reconciliation");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stopping.changed() => return,
        }
    }
}

/// Charges the card for `payment` and settles the payment with the gateway's answer;
/// a lost answer is asked for once, and failing that the payment stays processing for
/// the reconciler.
pub async fn charge_and_settle(
    state: AppState,
    payment: PaymentId,
    amount: Money,
    card: CardDetails,
) -> HttpResult<Stored> {
    let charge = Charge {
        payment,
        amount,
        card: &card,
    };
    let outcome = match timeout(GATEWAY_TIMEOUT, state.gateway.charge(charge)).await {
        Ok(Ok(outcome)) => Some(outcome),
        Ok(Err(_)) | Err(_) => {
            match timeout(GATEWAY_TIMEOUT, state.gateway.recover(payment)).await {
                Ok(Ok(outcome)) => outcome,
                // The reconciler finishes it once the gateway answers again.
                Ok(Err(_)) | Err(_) => {
                    return Err(idempotency::processing(&payment.to_string()));
                }
            }
        }
    };
    settle(&state, payment, outcome).await
}
