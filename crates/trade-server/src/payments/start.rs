//! Starting a payment: the order enters payment processing and the attempt is recorded,
//! for Pay Now (card or transfer) and for transfers pushed by sync.

use rand::Rng;
use trade_model::entities::{Payment, PaymentStatus};
use trade_model::order::{self, OrderAction, PaymentMethod};
use trade_model::{Money, OrderId, PaymentId};

use crate::auth::AuthUser;
use crate::db::Write;
use crate::error::{HttpError, HttpResult};
use crate::orders::{actor_for, apply_in};
use crate::state::AppState;
use crate::store;

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
) -> HttpResult<(trade_model::order::Order, Payment)> {
    let now = state.now();
    let begin = OrderAction::BeginPayment {
        payment_id,
        method,
        amount_minor,
    };
    let before = store::orders::get_tx(w, order)
        .await?
        .ok_or_else(|| HttpError::not_found("order"))?;
    let installment = before.next_installment();
    let (current, _) = apply_in(w, state, order, |o| actor_for(o, user), &begin).await?;
    let installment =
        installment.ok_or_else(|| HttpError::from(trade_model::Rejection::NothingDue))?;
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

/// A reference buyers can type into a bank form: `TC-` and 10 unambiguous characters.
fn transfer_reference() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let tail: String = (0..10)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("TC-{tail}")
}
