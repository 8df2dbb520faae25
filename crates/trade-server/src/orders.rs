//! The one code path through which an order changes, used by every REST handler (and by
//! sync push and the deadline engine): load, check who may see it, apply the model's
//! rule, save optimistically on the version, keep payment records in step.

use crate::store::documents::OPERATORS;
use serde_json::json;
use trade_model::ErrorCode;
use trade_model::api::{CreateOrderRequest, OrderView};
use trade_model::dispute::DisputeAction;
use trade_model::entities::{PaymentStatus, Role};
use trade_model::order::OrderTerms;
use trade_model::order::{self, Actor, Order, OrderAction, Party};
use trade_model::quotation::QuotationUse;
use trade_model::{AccountId, InquiryId, OrderId, QuotationId};

use crate::auth::AuthUser;
use crate::db::Write;
use crate::error::HttpError;
use crate::state::AppState;
use crate::store;
use crate::store::StoreError;

/// How the caller relates to an order; `None` means it must not learn the order exists.
pub fn actor_for(order: &Order, user: &AuthUser) -> Option<Actor> {
    if let Some(party) = order.party_of(user.id) {
        return Some(Actor::Party(party));
    }
    // Operators see orders that involve them: payments to clear and disputes to decide.
    (user.role == Role::Operator
        && (order.dispute.is_some() || order.pending_payment.is_some() || order.paid_minor > 0))
        .then_some(Actor::Operator)
}

pub fn actor_label(actor: Actor) -> &'static str {
    match actor {
        Actor::Party(Party::Buyer) => "buyer",
        Actor::Party(Party::Supplier) => "supplier",
        Actor::Operator => "operator",
        Actor::System => "system",
    }
}

pub fn view_for(order: Order, actor: Actor, now: jiff::Timestamp) -> OrderView {
    let viewer = match actor {
        Actor::Party(p) => p,
        _ => Party::Buyer,
    };
    OrderView::new(order, viewer, now)
}

/// Loads an order the caller may see.
pub async fn visible(
    state: &AppState,
    user: &AuthUser,
    id: OrderId,
) -> Result<(Order, Actor), HttpError> {
    let order = store::orders::get(&state.db, id)
        .await?
        .ok_or_else(|| HttpError::not_found("order"))?;
    let actor = actor_for(&order, user).ok_or_else(|| HttpError::not_found("order"))?;
    Ok((order, actor))
}

/// Applies `action` inside `tx` and saves it. Payment records follow the order: a pending
/// payment that disappears was either paid (installments advanced) or failed.
pub async fn apply_in(
    tx: &mut Write,
    state: &AppState,
    id: OrderId,
    actor_of: impl Fn(&Order) -> Option<Actor>,
    action: &OrderAction,
) -> Result<(Order, Actor), HttpError> {
    let now = state.now();
    let before = store::orders::get_tx(tx, id)
        .await?
        .ok_or_else(|| HttpError::not_found("order"))?;
    let actor = actor_of(&before).ok_or_else(|| HttpError::not_found("order"))?;
    let after = order::apply(&before, actor, action, now)?;
    let saved = store::orders::save(
        tx,
        before.version,
        &after,
        action.kind(),
        actor_label(actor),
    )
    .await?;
    if !saved {
        return Err(HttpError::conflict(
            ErrorCode::OrderConcurrentChange,
            "The order changed at the same moment; reload and try again.",
        ));
    }
    if let Some(pending) = &before.pending_payment
        && after.pending_payment.as_ref().map(|p| p.payment_id) != Some(pending.payment_id)
    {
        let paid = after.installments_paid > before.installments_paid;
        let (status, failure) = if paid {
            (PaymentStatus::Succeeded, None)
        } else {
            (
                PaymentStatus::Failed,
                Some("The payment did not clear in time."),
            )
        };
        store::payments::settle(
            tx,
            pending.payment_id,
            (after.buyer, after.supplier),
            status,
            false,
            failure,
            now,
        )
        .await?;
        // Ended by another step than its outcome (its processing window expired): the
        // Pay Now request waiting on it is over too, and a retry with its key is a new
        // attempt, as after a charge that never happened; never "still processing" for
        // ever. (An outcome's own step leaves the key to `payments::card::settle`.)
        if !matches!(
            action,
            OrderAction::PaymentSucceeded { .. } | OrderAction::PaymentFailed { .. }
        ) {
            store::idempotency::forget_payment(tx, &pending.payment_id.to_string()).await?;
        }
    }
    Ok((after, actor))
}

/// Applies an action as the platform (deadline engine, payment outcomes).
pub async fn act_as_system(
    state: &AppState,
    id: OrderId,
    action: OrderAction,
) -> Result<Order, HttpError> {
    let mut tx = state.db.begin().await?;
    let (order, _) = apply_in(&mut tx, state, id, |_| Some(Actor::System), &action).await?;
    tx.commit().await?;
    Ok(order)
}

/// The counterparty of `user` on a new order and who is buyer and supplier.
pub fn parties_for_new_order(
    user: &AuthUser,
    counterparty: AccountId,
    counterparty_role: Role,
) -> Result<(AccountId, AccountId, Party), HttpError> {
    match (user.role, counterparty_role) {
        (Role::Buyer, Role::Supplier) => Ok((user.id, counterparty, Party::Buyer)),
        (Role::Supplier, Role::Buyer) => Ok((counterparty, user.id, Party::Supplier)),
        _ => Err(HttpError::unprocessable(
            ErrorCode::OrderBadCounterparty,
            "An order is between a buyer and a supplier.",
        )),
    }
}

/// Creates an order from `user` (buyer or supplier) with id `id`; creating counts as the
/// creator's confirmation. Shared by `POST /v1/orders` and sync push.
pub async fn submit(
    w: &mut Write,
    state: &AppState,
    user: &AuthUser,
    id: OrderId,
    req: CreateOrderRequest,
) -> Result<(Order, Party), HttpError> {
    let counterparty = store::accounts::by_id_in(w, req.counterparty)
        .await?
        .ok_or_else(|| {
            HttpError::unprocessable(ErrorCode::OrderBadCounterparty, "No such trading partner.")
        })?;
    let (buyer, supplier, creator) =
        parties_for_new_order(user, counterparty.id, counterparty.role)?;
    if store::orders::get_tx(w, id).await?.is_some() {
        return Err(HttpError::conflict(
            ErrorCode::OrderExists,
            "An order with this id exists.",
        ));
    }
    if let Some(inquiry) = req.inquiry {
        let (ib, is, _) = store::inquiries::parties(w, user.id, inquiry).await?;
        if (ib, is) != (buyer, supplier) {
            return Err(HttpError::unprocessable(
                ErrorCode::OrderInquiryMismatch,
                "The inquiry is between other parties.",
            ));
        }
    }
    if let Some(quotation) = req.quotation {
        check_quotation(w, quotation, supplier, req.inquiry, state).await?;
    }
    store::documents::require_owned(w, user.id, &req.terms.documents).await?;
    let mut order = order::create(
        id,
        buyer,
        supplier,
        req.inquiry,
        req.origin,
        creator,
        req.terms,
        state.now(),
    )?;
    order.quotation = req.quotation;
    for doc in &order.terms.documents {
        store::documents::grant(w, *doc, &counterparty.id.to_string()).await?;
    }
    store::orders::insert(w, &order, actor_label(Actor::Party(creator))).await?;
    state.deadlines_changed.notify_one();
    Ok((order, creator))
}

/// Whether a new order to `supplier` in `inquiry` may name `quotation` (the rules in
/// `Quotation::check_order`). The inquiry's parties were checked before, so a quotation
/// of that inquiry is one both parties of the order may see; any other id gets the same
/// answer as one that does not exist.
async fn check_quotation(
    w: &mut Write,
    quotation: QuotationId,
    supplier: AccountId,
    inquiry: Option<InquiryId>,
    state: &AppState,
) -> Result<(), HttpError> {
    let refusal = |why: QuotationUse| {
        let details = match &why {
            QuotationUse::Expired { valid_until } => json!({ "valid_until": valid_until }),
            QuotationUse::Mismatch => json!({ "quotation": quotation }),
        };
        HttpError::unprocessable(why.code(), why.to_string()).with_details(details)
    };
    let q = match store::quotations::get_tx(w, quotation).await {
        Ok(q) => q,
        Err(StoreError::NotFound(_)) => return Err(refusal(QuotationUse::Mismatch)),
        Err(e) => return Err(e.into()),
    };
    q.check_order(supplier, inquiry, state.now())
        .map_err(refusal)
}

/// Replaces the terms of the order at `version`. New documents must be the modifier's
/// own uploads; the partner may then read them.
pub async fn modify(
    w: &mut Write,
    state: &AppState,
    user: &AuthUser,
    id: OrderId,
    version: i64,
    terms: OrderTerms,
) -> Result<(Order, Actor), HttpError> {
    let current = store::orders::get_tx(w, id)
        .await?
        .ok_or_else(|| HttpError::not_found("order"))?;
    let party = current
        .party_of(user.id)
        .ok_or_else(|| HttpError::not_found("order"))?;
    store::documents::require_owned_or_attached(
        w,
        user.id,
        &current.terms.documents,
        &terms.documents,
    )
    .await?;
    let counterparty = match party {
        Party::Buyer => current.supplier,
        Party::Supplier => current.buyer,
    };
    for doc in &terms.documents {
        store::documents::grant(w, *doc, &counterparty.to_string()).await?;
    }
    let action = OrderAction::Modify { version, terms };
    step(w, state, user, id, &action).await
}

/// Files a dispute; the evidence becomes readable by the supplier and the dispute team.
pub async fn file_dispute(
    w: &mut Write,
    state: &AppState,
    user: &AuthUser,
    id: OrderId,
    action: &DisputeAction,
) -> Result<(Order, Actor), HttpError> {
    let DisputeAction::File { evidence, .. } = action else {
        return step(w, state, user, id, &OrderAction::Dispute(action.clone())).await;
    };
    let current = store::orders::get_tx(w, id)
        .await?
        .filter(|o| actor_for(o, user).is_some())
        .ok_or_else(|| HttpError::not_found("order"))?;
    store::documents::require_owned(w, user.id, evidence).await?;
    for doc in evidence {
        store::documents::grant(w, *doc, &current.supplier.to_string()).await?;
        store::documents::grant(w, *doc, OPERATORS).await?;
    }
    step(w, state, user, id, &OrderAction::Dispute(action.clone())).await
}

/// As [`step`], on the version the caller reviewed (`If-Match`), when it names one: if
/// the order has moved on since, nothing happens and the answer is
/// `order.version_conflict` (412) with the current version.
pub async fn step_on(
    w: &mut Write,
    state: &AppState,
    user: &AuthUser,
    id: OrderId,
    reviewed: Option<i64>,
    action: &OrderAction,
) -> Result<(Order, Actor), HttpError> {
    // A request that could never be taken is refused as such, before its precondition.
    action.check_content(state.now())?;
    if let Some(reviewed) = reviewed {
        let current = store::orders::get_tx(w, id)
            .await?
            .filter(|o| actor_for(o, user).is_some())
            .ok_or_else(|| HttpError::not_found("order"))?;
        if current.version != reviewed {
            return Err(trade_model::Rejection::VersionConflict {
                current: current.version,
            }
            .into());
        }
    }
    step(w, state, user, id, action).await
}

/// Any other lifecycle step by `user`.
pub async fn step(
    w: &mut Write,
    state: &AppState,
    user: &AuthUser,
    id: OrderId,
    action: &OrderAction,
) -> Result<(Order, Actor), HttpError> {
    let result = apply_in(w, state, id, |o| actor_for(o, user), action).await?;
    state.deadlines_changed.notify_one();
    Ok(result)
}
