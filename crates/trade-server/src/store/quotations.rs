//! Quotations (issue 17): kept as their JSON document with the columns queries filter
//! on. Both parties of the inquiry see one; nobody else (404, as for inquiries).

use sqlx::Row;
use sqlx::any::AnyRow;
use trade_model::quotation::Quotation;
use trade_model::sync::RecordKind;
use trade_model::{AccountId, InquiryId, MessageId, QuotationId};

use super::error::{StoreError, StoreResult};
use super::{decode_cursor, encode_cursor};
use crate::db::{Db, Write, millis};

/// Records `q`, sent in its inquiry (whose buyer is `buyer`) with the message
/// `message` that shows it in the thread; notes it in both parties' feeds.
pub async fn insert(
    tx: &mut Write,
    q: &Quotation,
    buyer: AccountId,
    message: MessageId,
) -> StoreResult<()> {
    tx.touch(buyer, RecordKind::Quotation, q.id);
    tx.touch(q.supplier, RecordKind::Quotation, q.id);
    sqlx::query(
        "INSERT INTO quotations (id, inquiry_id, buyer_id, supplier_id, message_id, created_at, doc) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(q.id.to_string())
    .bind(q.inquiry.to_string())
    .bind(buyer.to_string())
    .bind(q.supplier.to_string())
    .bind(message.to_string())
    .bind(millis(q.created_at))
    .bind(serde_json::to_string(q).map_err(StoreError::corrupt)?)
    .execute(tx.conn())
    .await?;
    Ok(())
}

fn from_row(row: &AnyRow) -> StoreResult<Quotation> {
    serde_json::from_str(&row.try_get::<String, _>("doc")?).map_err(StoreError::corrupt)
}

/// The quotation if `viewer` is a party of its inquiry.
pub async fn get(db: &Db, viewer: AccountId, id: QuotationId) -> StoreResult<Quotation> {
    let row = sqlx::query(
        "SELECT doc FROM quotations WHERE id = $1 AND (buyer_id = $2 OR supplier_id = $2)",
    )
    .bind(id.to_string())
    .bind(viewer.to_string())
    .fetch_optional(db.pool())
    .await?
    .ok_or(StoreError::NotFound("quotation"))?;
    from_row(&row)
}

/// A quotation as its sender's request answers it, inside the request's transaction.
pub async fn get_tx(tx: &mut Write, id: QuotationId) -> StoreResult<Quotation> {
    let row = sqlx::query("SELECT doc FROM quotations WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(tx.conn())
        .await?
        .ok_or(StoreError::NotFound("quotation"))?;
    from_row(&row)
}

/// Quotations of an inquiry (whose parties the caller checked), oldest first, after
/// `cursor`.
pub async fn list(
    db: &Db,
    inquiry: InquiryId,
    cursor: Option<&str>,
    limit: i64,
) -> StoreResult<(Vec<Quotation>, Option<String>)> {
    let (at, id) = match cursor {
        Some(c) if !c.is_empty() => decode_cursor(c).ok_or(StoreError::BadCursor)?,
        _ => (i64::MIN, String::new()),
    };
    let rows = sqlx::query(
        "SELECT doc FROM quotations WHERE inquiry_id = $1 \
         AND (created_at > $2 OR (created_at = $3 AND id > $4)) \
         ORDER BY created_at, id LIMIT $5",
    )
    .bind(inquiry.to_string())
    .bind(at)
    .bind(at)
    .bind(&id)
    .bind(limit + 1)
    .fetch_all(db.pool())
    .await?;
    let mut items = rows.iter().map(from_row).collect::<StoreResult<Vec<_>>>()?;
    let next = if items.len() as i64 > limit {
        items.truncate(usize::try_from(limit).unwrap_or(0));
        items
            .last()
            .map(|q| encode_cursor(millis(q.created_at), &q.id.to_string()))
    } else {
        None
    };
    Ok((items, next))
}

/// Quotations by id as `viewer` sees them (those it is not a party of are left out).
pub async fn get_many(db: &Db, viewer: AccountId, ids: &[String]) -> StoreResult<Vec<Quotation>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT doc FROM quotations WHERE (buyer_id = $1 OR supplier_id = $1) AND id IN ({})",
        (2..ids.len() + 2)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut q = sqlx::query(&sql).bind(viewer.to_string());
    for id in ids {
        q = q.bind(id);
    }
    q.fetch_all(db.pool()).await?.iter().map(from_row).collect()
}
