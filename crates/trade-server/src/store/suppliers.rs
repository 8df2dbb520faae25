//! Supplier facts (issue 17) from the records: the account's age, first-reply times in
//! its inquiries, completed orders and disputes lost. The rules of each number are in
//! `trade_model::supplier`.

use sqlx::Row;
use trade_model::order::{Order, OrderStatus};
use trade_model::supplier::{SupplierFacts, first_reply_secs, median, whole_years};
use trade_model::{AccountId, InquiryId};

use super::error::{StoreError, StoreResult};
use crate::db::{Db, from_millis};

/// The facts of `supplier` as of `now`; `None` if no supplier has that id.
pub async fn facts(
    db: &Db,
    supplier: AccountId,
    now: jiff::Timestamp,
) -> StoreResult<Option<SupplierFacts>> {
    let id = supplier.to_string();
    let Some(account) =
        sqlx::query("SELECT created_at FROM accounts WHERE id = $1 AND role = 'supplier'")
            .bind(&id)
            .fetch_optional(db.pool())
            .await?
    else {
        return Ok(None);
    };
    let member_since = from_millis(account.try_get("created_at")?);

    // Every message of the supplier's inquiries, thread by thread in the order sent.
    let rows = sqlx::query(
        "SELECT m.inquiry_id, m.sender_id, m.sent_at, i.buyer_id FROM messages m \
         JOIN inquiries i ON i.id = m.inquiry_id WHERE i.supplier_id = $1 \
         ORDER BY m.inquiry_id, m.sent_at, m.id",
    )
    .bind(&id)
    .fetch_all(db.pool())
    .await?;
    let mut replies = Vec::new();
    let mut unanswered = 0_i64;
    let mut thread: Vec<(AccountId, jiff::Timestamp)> = Vec::new();
    let mut current: Option<(InquiryId, AccountId)> = None;
    let mut close = |thread: &mut Vec<_>, current: Option<(InquiryId, AccountId)>| {
        if let Some((_, buyer)) = current {
            match first_reply_secs(thread, buyer, supplier) {
                Some(secs) => replies.push(secs),
                None => unanswered += 1,
            }
        }
        thread.clear();
    };
    for row in &rows {
        let inquiry: InquiryId = parse(row, "inquiry_id")?;
        let buyer: AccountId = parse(row, "buyer_id")?;
        if current.is_some_and(|(i, _)| i != inquiry) {
            close(&mut thread, current);
        }
        current = Some((inquiry, buyer));
        thread.push((
            parse(row, "sender_id")?,
            from_millis(row.try_get("sent_at")?),
        ));
    }
    close(&mut thread, current);

    let completed_orders: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM orders WHERE supplier_id = $1 AND status = $2")
            .bind(&id)
            .bind(OrderStatus::Completed.as_str())
            .fetch_one(db.pool())
            .await?
            .try_get("n")?;
    let mut disputes_lost = 0_i64;
    for row in sqlx::query("SELECT doc FROM orders WHERE supplier_id = $1 AND has_dispute = 1")
        .bind(&id)
        .fetch_all(db.pool())
        .await?
    {
        let order: Order =
            serde_json::from_str(&row.try_get::<String, _>("doc")?).map_err(StoreError::corrupt)?;
        if order.dispute.as_ref().is_some_and(|d| d.lost_by_supplier()) {
            disputes_lost += 1;
        }
    }
    Ok(Some(SupplierFacts {
        supplier,
        member_since,
        years_on_platform: whole_years(member_since, now),
        inquiries_answered: i64::try_from(replies.len()).unwrap_or(i64::MAX),
        median_first_reply_secs: median(&mut replies),
        inquiries_unanswered: unanswered,
        completed_orders,
        disputes_lost,
        as_of: now,
    }))
}

fn parse<T: std::str::FromStr>(row: &sqlx::any::AnyRow, col: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    row.try_get::<String, _>(col)?
        .parse()
        .map_err(StoreError::corrupt)
}
