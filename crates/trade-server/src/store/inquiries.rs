//! Inquiries: opening one, reading them as each party sees them (one, a page of the
//! inbox, by id), who their parties are, and their unread totals. Their messages are in
//! `messages`.

use sqlx::Row;
use sqlx::any::AnyRow;
use trade_model::entities::{Inquiry, InquiryStatus, Role};
use trade_model::{AccountId, InquiryId};

use super::error::{StoreError, StoreResult};
use super::{IDS_PER_STATEMENT, decode_cursor, encode_cursor, placeholders};
use crate::db::{Backend, Db, Write, from_millis, millis};
use trade_model::sync::RecordKind;

const PREVIEW_CHARS: usize = 120;

const SELECT: &str = "SELECT i.id, i.buyer_id, i.supplier_id, i.product, i.status, i.created_at, \
    i.last_message_at, i.last_message_preview, i.buyer_unread, i.supplier_unread, \
    b.display_name AS buyer_name, s.display_name AS supplier_name, sc.name AS supplier_company \
    FROM inquiries i JOIN accounts b ON b.id = i.buyer_id JOIN accounts s ON s.id = i.supplier_id \
    JOIN companies sc ON sc.id = s.company_id";

pub(super) fn parse<T: std::str::FromStr>(row: &AnyRow, col: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    let s: String = row.try_get(col)?;
    s.parse().map_err(StoreError::corrupt)
}

fn inquiry_from_row(row: &AnyRow, viewer: AccountId) -> StoreResult<Inquiry> {
    let buyer: AccountId = parse(row, "buyer_id")?;
    let status: String = row.try_get("status")?;
    Ok(Inquiry {
        id: parse(row, "id")?,
        buyer,
        supplier: parse(row, "supplier_id")?,
        buyer_name: row.try_get("buyer_name")?,
        supplier_name: row.try_get("supplier_name")?,
        supplier_company: row.try_get("supplier_company")?,
        product: row.try_get("product")?,
        status: if status == "closed" {
            InquiryStatus::Closed
        } else {
            InquiryStatus::Open
        },
        created_at: from_millis(row.try_get("created_at")?),
        last_message_at: from_millis(row.try_get("last_message_at")?),
        last_message_preview: row.try_get("last_message_preview")?,
        unread_count: row.try_get(if viewer == buyer {
            "buyer_unread"
        } else {
            "supplier_unread"
        })?,
    })
}

pub fn preview(body: &str) -> String {
    let flat: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(PREVIEW_CHARS)
        .collect();
    flat.trim().to_owned()
}

pub async fn create(
    tx: &mut Write,
    id: InquiryId,
    buyer: AccountId,
    supplier: AccountId,
    product: &str,
    now: jiff::Timestamp,
) -> StoreResult<InquiryId> {
    tx.touch(buyer, RecordKind::Inquiry, id);
    tx.touch(supplier, RecordKind::Inquiry, id);
    sqlx::query(
        "INSERT INTO inquiries (id, buyer_id, supplier_id, product, status, created_at, \
         last_message_at, last_message_preview) VALUES ($1, $2, $3, $4, 'open', $5, $6, '')",
    )
    .bind(id.to_string())
    .bind(buyer.to_string())
    .bind(supplier.to_string())
    .bind(product)
    .bind(millis(now))
    .bind(millis(now))
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// The inquiry if `viewer` is one of its parties.
pub async fn get(db: &Db, viewer: AccountId, id: InquiryId) -> StoreResult<Inquiry> {
    get_on(&mut *db.pool().acquire().await?, viewer, id).await
}

/// `get`, inside a write transaction.
pub async fn get_tx(tx: &mut Write, viewer: AccountId, id: InquiryId) -> StoreResult<Inquiry> {
    get_on(tx.conn(), viewer, id).await
}

async fn get_on(
    conn: &mut sqlx::AnyConnection,
    viewer: AccountId,
    id: InquiryId,
) -> StoreResult<Inquiry> {
    let row = sqlx::query(&format!(
        "{SELECT} WHERE i.id = $1 AND (i.buyer_id = $2 OR i.supplier_id = $2)"
    ))
    .bind(id.to_string())
    .bind(viewer.to_string())
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| StoreError::NotFound("inquiry"))?;
    inquiry_from_row(&row, viewer)
}

/// Parties of an inquiry, inside a write transaction; 404 unless `viewer` is one.
pub async fn parties(
    tx: &mut Write,
    viewer: AccountId,
    id: InquiryId,
) -> StoreResult<(AccountId, AccountId, String)> {
    let row = sqlx::query("SELECT buyer_id, supplier_id, status FROM inquiries WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(tx.conn())
        .await?
        .ok_or_else(|| StoreError::NotFound("inquiry"))?;
    let buyer: AccountId = parse(&row, "buyer_id")?;
    let supplier: AccountId = parse(&row, "supplier_id")?;
    if viewer != buyer && viewer != supplier {
        return Err(StoreError::NotFound("inquiry"));
    }
    Ok((buyer, supplier, row.try_get("status")?))
}

/// The inquiry columns of `role`'s side: an account is the buyer or the supplier of all
/// its inquiries, so each query can use its side's index (an `OR` over both sides would
/// make the database sort every inquiry of the account).
fn side(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::Supplier => ("supplier_id", "supplier_unread"),
        Role::Buyer | Role::Operator => ("buyer_id", "buyer_unread"),
    }
}

pub async fn list(
    db: &Db,
    viewer: AccountId,
    role: Role,
    unread_only: bool,
    cursor: Option<&str>,
    limit: i64,
) -> StoreResult<(Vec<Inquiry>, Option<String>)> {
    let (at, id) = match cursor {
        Some(c) if !c.is_empty() => decode_cursor(c).ok_or(StoreError::BadCursor)?,
        _ => (i64::MAX, String::new()),
    };
    let (party, unread_column) = side(role);
    let unread = if unread_only {
        format!(" AND i.{unread_column} > 0")
    } else {
        String::new()
    };
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE i.{party} = $1{unread} \
         AND (i.last_message_at < $2 OR (i.last_message_at = $3 AND (i.id < $4 OR $5 = ''))) \
         ORDER BY i.last_message_at DESC, i.id DESC LIMIT $6"
    ))
    .bind(viewer.to_string())
    .bind(at)
    .bind(at)
    .bind(&id)
    .bind(&id)
    .bind(limit + 1)
    .fetch_all(db.pool())
    .await?;
    let mut items = rows
        .iter()
        .map(|r| inquiry_from_row(r, viewer))
        .collect::<Result<Vec<_>, _>>()?;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items
            .last()
            .map(|i| encode_cursor(millis(i.last_message_at), &i.id.to_string()))
    } else {
        None
    };
    Ok((items, next))
}

/// (unread messages, inquiries with unread messages) for `viewer`.
/// The query of [`unread_totals`] for a `role` (`$1` the viewer): read from the partial
/// unread index alone, which holds each unread thread's count.
pub fn unread_totals_query(role: Role) -> String {
    let (party, unread) = side(role);
    format!(
        "SELECT CAST(COALESCE(SUM({unread}), 0) AS BIGINT) AS total, COUNT(*) AS threads \
         FROM inquiries WHERE {party} = $1 AND {unread} > 0"
    )
}

pub async fn unread_totals(db: &Db, viewer: AccountId, role: Role) -> StoreResult<(i64, i64)> {
    let row = sqlx::query(&unread_totals_query(role))
        .bind(viewer.to_string())
        .fetch_one(db.pool())
        .await?;
    Ok((row.try_get("total")?, row.try_get("threads")?))
}

/// Inquiries by id as `viewer` sees them (those it is not a party of are left out).
pub async fn get_many(db: &Db, viewer: AccountId, ids: &[String]) -> StoreResult<Vec<Inquiry>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{SELECT} WHERE (i.buyer_id = $1 OR i.supplier_id = $1) AND i.id IN ({})",
        placeholders(2, ids.len())
    );
    let mut q = sqlx::query(&sql).bind(viewer.to_string());
    for id in ids {
        q = q.bind(id);
    }
    let rows = q.fetch_all(db.pool()).await?;
    rows.iter().map(|r| inquiry_from_row(r, viewer)).collect()
}

/// Inquiries by id as each party sees them, `(buyer's view, supplier's view)`, read on
/// `conn` (inside a write: what the write is about to commit).
pub async fn with_both_views_on(
    conn: &mut sqlx::AnyConnection,
    ids: &[String],
) -> StoreResult<Vec<(Inquiry, Inquiry)>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let sql = format!(
            "{SELECT} WHERE i.id IN {}",
            Backend::of(conn).tuples(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let buyer: AccountId = parse(&row, "buyer_id")?;
            let supplier: AccountId = parse(&row, "supplier_id")?;
            out.push((
                inquiry_from_row(&row, buyer)?,
                inquiry_from_row(&row, supplier)?,
            ));
        }
    }
    Ok(out)
}
