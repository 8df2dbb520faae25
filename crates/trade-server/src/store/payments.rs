use sqlx::Row;
use sqlx::any::AnyRow;
use trade_model::entities::{Payment, PaymentStatus};
use trade_model::order::{InstallmentKind, PaymentMethod};
use trade_model::{OrderId, PaymentId};

use trade_model::AccountId;

use super::error::{StoreError, StoreResult};
use crate::db::{Db, Write, from_millis, millis};
use trade_model::sync::RecordKind;

fn enum_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn enum_parse<T: serde::de::DeserializeOwned>(s: String) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(s)).map_err(StoreError::corrupt)
}

fn from_row(row: &AnyRow) -> StoreResult<Payment> {
    let id: String = row.try_get("id")?;
    let order: String = row.try_get("order_id")?;
    let status: String = row.try_get("status")?;
    Ok(Payment {
        id: id.parse().map_err(StoreError::corrupt)?,
        order: order.parse().map_err(StoreError::corrupt)?,
        installment: u32::try_from(row.try_get::<i64, _>("installment")?).unwrap_or(0),
        installment_kind: enum_parse::<InstallmentKind>(row.try_get("installment_kind")?)?,
        method: enum_parse::<PaymentMethod>(row.try_get("method")?)?,
        amount_minor: row.try_get("amount_minor")?,
        fee_minor: row.try_get("fee_minor")?,
        currency: row.try_get("currency")?,
        status: PaymentStatus::parse(&status).ok_or_else(|| StoreError::corrupt("bad status"))?,
        reference: row.try_get("reference")?,
        card_last4: row.try_get("card_last4")?,
        held_for_review: row.try_get::<i64, _>("held_for_review")? != 0,
        failure: row.try_get("failure")?,
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

const SELECT: &str = "SELECT id, order_id, installment, installment_kind, method, amount_minor, \
    fee_minor, currency, status, reference, card_last4, held_for_review, failure, created_at, \
    updated_at FROM payments";

/// The two parties of the order a payment belongs to: both see it.
pub type Parties = (AccountId, AccountId);

fn touch(tx: &mut Write, id: PaymentId, (buyer, supplier): Parties) {
    tx.touch(buyer, RecordKind::Payment, id);
    tx.touch(supplier, RecordKind::Payment, id);
}

pub async fn insert(tx: &mut Write, p: &Payment, parties: Parties) -> StoreResult<()> {
    touch(tx, p.id, parties);
    let buyer = parties.0.to_string();
    sqlx::query(
        "INSERT INTO payments (id, order_id, buyer_id, installment, installment_kind, method, \
         amount_minor, fee_minor, currency, status, reference, card_last4, held_for_review, failure, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(p.id.to_string())
    .bind(p.order.to_string())
    .bind(&buyer)
    .bind(i64::from(p.installment))
    .bind(enum_str(&p.installment_kind))
    .bind(enum_str(&p.method))
    .bind(p.amount_minor)
    .bind(p.fee_minor)
    .bind(&p.currency)
    .bind(p.status.as_str())
    .bind(&p.reference)
    .bind(&p.card_last4)
    .bind(i64::from(p.held_for_review))
    .bind(&p.failure)
    .bind(millis(p.created_at))
    .bind(millis(p.updated_at))
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Sets the outcome of a payment still processing; returns false if it was not.
#[allow(clippy::too_many_arguments)]
pub async fn settle(
    tx: &mut Write,
    id: PaymentId,
    parties: Parties,
    status: PaymentStatus,
    held_for_review: bool,
    failure: Option<&str>,
    now: jiff::Timestamp,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE payments SET status = $1, held_for_review = $2, failure = $3, updated_at = $4 \
         WHERE id = $5 AND status = 'processing'",
    )
    .bind(status.as_str())
    .bind(i64::from(held_for_review))
    .bind(failure)
    .bind(millis(now))
    .bind(id.to_string())
    .execute(tx.conn())
    .await?;
    touch(tx, id, parties);
    Ok(done.rows_affected() == 1)
}

/// A card the gateway declined (or a review declined): kept with the reason.
pub async fn mark_declined(
    tx: &mut Write,
    id: PaymentId,
    parties: Parties,
    reason: &str,
    now: jiff::Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE payments SET status = 'declined', failure = $1, updated_at = $2 WHERE id = $3",
    )
    .bind(reason)
    .bind(millis(now))
    .bind(id.to_string())
    .execute(tx.conn())
    .await?;
    touch(tx, id, parties);
    Ok(())
}

/// A card payment the provider holds for review; an operator settles it.
pub async fn mark_held(tx: &mut Write, id: PaymentId, parties: Parties) -> StoreResult<()> {
    sqlx::query("UPDATE payments SET held_for_review = 1 WHERE id = $1")
        .bind(id.to_string())
        .execute(tx.conn())
        .await?;
    touch(tx, id, parties);
    Ok(())
}

/// Why a payment failed, in words.
pub async fn set_failure(
    tx: &mut Write,
    id: PaymentId,
    parties: Parties,
    reason: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE payments SET failure = $1 WHERE id = $2")
        .bind(reason)
        .bind(id.to_string())
        .execute(tx.conn())
        .await?;
    touch(tx, id, parties);
    Ok(())
}

pub async fn get(db: &Db, id: PaymentId) -> StoreResult<Option<Payment>> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| from_row(&r)).transpose()
}

/// Payments by id (those that do not exist are left out), in no particular order.
pub async fn get_many(db: &Db, ids: &[String]) -> StoreResult<Vec<Payment>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{SELECT} WHERE id IN ({})",
        super::placeholders(1, ids.len())
    );
    let mut q = sqlx::query(&sql);
    for id in ids {
        q = q.bind(id);
    }
    q.fetch_all(db.pool()).await?.iter().map(from_row).collect()
}

/// `get`, inside a write transaction.
pub async fn get_tx(tx: &mut Write, id: PaymentId) -> StoreResult<Option<Payment>> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(tx.conn())
        .await?;
    row.map(|r| from_row(&r)).transpose()
}

/// Card payments still waiting for the gateway's answer, unchanged since `before` and
/// not held for review (an operator settles those): oldest first.
pub async fn unanswered_cards(
    db: &Db,
    before: jiff::Timestamp,
    limit: i64,
) -> StoreResult<Vec<PaymentId>> {
    let rows = sqlx::query(
        "SELECT id FROM payments WHERE status = 'processing' AND method = $1 \
         AND held_for_review = 0 AND updated_at <= $2 ORDER BY updated_at LIMIT $3",
    )
    .bind(enum_str(&PaymentMethod::Card))
    .bind(millis(before))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            r.try_get::<String, _>("id")?
                .parse()
                .map_err(StoreError::corrupt)
        })
        .collect()
}

pub async fn by_reference(db: &Db, reference: &str) -> StoreResult<Option<Payment>> {
    let row = sqlx::query(&format!("{SELECT} WHERE reference = $1"))
        .bind(reference.trim().to_uppercase())
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| from_row(&r)).transpose()
}

pub async fn for_order(db: &Db, order: OrderId) -> StoreResult<Vec<Payment>> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE order_id = $1 ORDER BY created_at, id"
    ))
    .bind(order.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}
