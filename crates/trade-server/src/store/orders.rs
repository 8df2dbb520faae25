//! Orders are stored whole (the `trade-model` aggregate as JSON) next to the columns that
//! lists, boxes and the deadline engine query. Every change is an optimistic update on
//! `version` plus an `order_events` row holding the new snapshot, which is the order's
//! timeline and its version history.

use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;
use trade_model::api::OrderEvent;
use trade_model::order::{ActionKind, Order, OrderBox, Party, order_box};
use trade_model::{AccountId, OrderId};

use super::error::{StoreError, StoreResult};
use super::{decode_cursor, encode_cursor, placeholders};
use crate::db::{Db, Write, from_millis, millis};
use trade_model::sync::RecordKind;

fn doc(order: &Order) -> StoreResult<String> {
    serde_json::to_string(order).map_err(StoreError::corrupt)
}

fn parse(doc: &str) -> StoreResult<Order> {
    serde_json::from_str(doc).map_err(StoreError::corrupt)
}

async fn insert_event(
    tx: &mut Write,
    order: &Order,
    action: ActionKind,
    actor: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO order_events (order_id, version, action, actor, at, snapshot) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(order.id.to_string())
    .bind(order.version)
    .bind(serde_json::to_value(action).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())
    .bind(actor)
    .bind(millis(order.updated_at))
    .bind(doc(order)?)
    .execute(tx.conn())
    .await?;
    Ok(())
}

fn deadline_columns(order: &Order) -> (Option<i64>, i64) {
    match order.next_deadline() {
        Some(d) => (Some(millis(d.at)), i64::from(d.kind.is_automatic())),
        None => (None, 0),
    }
}

pub async fn insert(tx: &mut Write, order: &Order, actor: &str) -> StoreResult<()> {
    for party in [order.buyer, order.supplier] {
        tx.touch(party, RecordKind::Order, order.id);
        tx.touch(party, RecordKind::OrderHistory, order.id);
    }
    let (deadline, automatic) = deadline_columns(order);
    sqlx::query(
        "INSERT INTO orders (id, buyer_id, supplier_id, status, buyer_box, supplier_box, version, \
         next_deadline_at, deadline_automatic, has_dispute, created_at, updated_at, doc) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(order.id.to_string())
    .bind(order.buyer.to_string())
    .bind(order.supplier.to_string())
    .bind(order.status.as_str())
    .bind(order_box(order, Party::Buyer).as_str())
    .bind(order_box(order, Party::Supplier).as_str())
    .bind(order.version)
    .bind(deadline)
    .bind(automatic)
    .bind(i64::from(order.dispute.is_some()))
    .bind(millis(order.created_at))
    .bind(millis(order.updated_at))
    .bind(doc(order)?)
    .execute(tx.conn())
    .await?;
    insert_event(tx, order, ActionKind::Create, actor).await
}

/// Writes `order` if the stored version is still `expected`; `false` if someone else
/// changed it meanwhile (the caller retries or reports a conflict).
pub async fn save(
    tx: &mut Write,
    expected: i64,
    order: &Order,
    action: ActionKind,
    actor: &str,
) -> StoreResult<bool> {
    let (deadline, automatic) = deadline_columns(order);
    let done = sqlx::query(
        "UPDATE orders SET status = $1, buyer_box = $2, supplier_box = $3, version = $4, \
         next_deadline_at = $5, deadline_automatic = $6, has_dispute = $7, updated_at = $8, doc = $9 \
         WHERE id = $10 AND version = $11",
    )
    .bind(order.status.as_str())
    .bind(order_box(order, Party::Buyer).as_str())
    .bind(order_box(order, Party::Supplier).as_str())
    .bind(order.version)
    .bind(deadline)
    .bind(automatic)
    .bind(i64::from(order.dispute.is_some()))
    .bind(millis(order.updated_at))
    .bind(doc(order)?)
    .bind(order.id.to_string())
    .bind(expected)
    .execute(tx.conn())
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    for party in [order.buyer, order.supplier] {
        tx.touch(party, RecordKind::Order, order.id);
        tx.touch(party, RecordKind::OrderHistory, order.id);
    }
    insert_event(tx, order, action, actor).await?;
    Ok(true)
}

pub async fn get_tx(tx: &mut Write, id: OrderId) -> StoreResult<Option<Order>> {
    let row = sqlx::query("SELECT doc FROM orders WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(tx.conn())
        .await?;
    row.map(|r| parse(&r.try_get::<String, _>("doc")?))
        .transpose()
}

pub async fn get(db: &Db, id: OrderId) -> StoreResult<Option<Order>> {
    let row = sqlx::query("SELECT doc FROM orders WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| parse(&r.try_get::<String, _>("doc")?))
        .transpose()
}

/// `viewer`'s orders (as buyer or supplier), newest change first, optionally one box.
pub async fn list(
    db: &Db,
    viewer: AccountId,
    filter: Option<OrderBox>,
    cursor: Option<&str>,
    limit: i64,
) -> StoreResult<(Vec<Order>, Option<String>)> {
    let (at, id) = match cursor {
        Some(c) if !c.is_empty() => decode_cursor(c).ok_or(StoreError::BadCursor)?,
        _ => (i64::MAX, String::new()),
    };
    let box_filter = filter.map(|b| b.as_str()).unwrap_or("");
    let rows = sqlx::query(
        "SELECT doc, updated_at, id FROM orders \
         WHERE ((buyer_id = $1 AND ($2 = '' OR buyer_box = $2)) OR (supplier_id = $1 AND ($2 = '' OR supplier_box = $2))) \
         AND (updated_at < $3 OR (updated_at = $3 AND (id < $4 OR $4 = ''))) \
         ORDER BY updated_at DESC, id DESC LIMIT $5",
    )
    .bind(viewer.to_string())
    .bind(box_filter)
    .bind(at)
    .bind(&id)
    .bind(limit + 1)
    .fetch_all(db.pool())
    .await?;
    let mut orders = rows
        .iter()
        .map(|r| parse(&r.try_get::<String, _>("doc")?))
        .collect::<Result<Vec<_>, _>>()?;
    let next = if orders.len() as i64 > limit {
        orders.truncate(limit as usize);
        orders
            .last()
            .map(|o| encode_cursor(millis(o.updated_at), &o.id.to_string()))
    } else {
        None
    };
    Ok((orders, next))
}

/// How many of `viewer`'s orders are in each box.
pub async fn counts(db: &Db, viewer: AccountId) -> StoreResult<Vec<(OrderBox, i64)>> {
    let rows = sqlx::query(
        "SELECT b, COUNT(*) AS n FROM (\
           SELECT buyer_box AS b FROM orders WHERE buyer_id = $1 \
           UNION ALL SELECT supplier_box AS b FROM orders WHERE supplier_id = $1) x GROUP BY b",
    )
    .bind(viewer.to_string())
    .fetch_all(db.pool())
    .await?;
    let mut counts: Vec<(OrderBox, i64)> = OrderBox::ALL.iter().map(|b| (*b, 0)).collect();
    for row in rows {
        let b: String = row.try_get("b")?;
        let n: i64 = row.try_get("n")?;
        if let Some(slot) = counts.iter_mut().find(|(k, _)| k.as_str() == b) {
            slot.1 = n;
        }
    }
    Ok(counts)
}

/// Orders by id (those that do not exist are left out), in no particular order: one
/// query for a sync page's orders instead of one each.
pub async fn get_many(db: &Db, ids: &[String]) -> StoreResult<Vec<Order>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT doc FROM orders WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    let mut q = sqlx::query(&sql);
    for id in ids {
        q = q.bind(id);
    }
    q.fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| parse(&r.try_get::<String, _>("doc")?))
        .collect()
}

const EVENT_SELECT: &str =
    "SELECT order_id, version, action, actor, at, snapshot FROM order_events";

fn event_from_row(r: &AnyRow) -> StoreResult<(OrderEvent, Order)> {
    let action: String = r.try_get("action")?;
    Ok((
        OrderEvent {
            version: r.try_get("version")?,
            action: serde_json::from_value(serde_json::Value::String(action))
                .map_err(StoreError::corrupt)?,
            actor: r.try_get("actor")?,
            at: from_millis(r.try_get("at")?),
        },
        parse(&r.try_get::<String, _>("snapshot")?)?,
    ))
}

/// The order's events, oldest first, each with the order as it stood after it.
pub async fn events(db: &Db, id: OrderId) -> StoreResult<Vec<(OrderEvent, Order)>> {
    sqlx::query(&format!(
        "{EVENT_SELECT} WHERE order_id = $1 ORDER BY version"
    ))
    .bind(id.to_string())
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(event_from_row)
    .collect()
}

/// [`events`] of several orders in one query: each order's events oldest first (an
/// order without events is left out).
pub async fn events_many(
    db: &Db,
    ids: &[String],
) -> StoreResult<HashMap<OrderId, Vec<(OrderEvent, Order)>>> {
    let mut out: HashMap<OrderId, Vec<(OrderEvent, Order)>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "{EVENT_SELECT} WHERE order_id IN ({}) ORDER BY order_id, version",
        placeholders(1, ids.len())
    );
    let mut q = sqlx::query(&sql);
    for id in ids {
        q = q.bind(id);
    }
    for row in q.fetch_all(db.pool()).await? {
        let order: OrderId = row
            .try_get::<String, _>("order_id")?
            .parse()
            .map_err(StoreError::corrupt)?;
        out.entry(order).or_default().push(event_from_row(&row)?);
    }
    Ok(out)
}

/// Ids of orders whose automatic deadline has passed.
pub async fn due(db: &Db, now: jiff::Timestamp, limit: i64) -> StoreResult<Vec<OrderId>> {
    let rows = sqlx::query(
        "SELECT id FROM orders WHERE deadline_automatic = 1 AND next_deadline_at <= $1 \
         ORDER BY next_deadline_at LIMIT $2",
    )
    .bind(millis(now))
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

/// The earliest automatic deadline of any order.
pub async fn earliest_deadline(db: &Db) -> StoreResult<Option<jiff::Timestamp>> {
    let row =
        sqlx::query("SELECT MIN(next_deadline_at) AS t FROM orders WHERE deadline_automatic = 1")
            .fetch_one(db.pool())
            .await?;
    Ok(row.try_get::<Option<i64>, _>("t")?.map(from_millis))
}

/// Orders with a dispute, for the dispute team.
pub async fn with_disputes(db: &Db, limit: i64) -> StoreResult<Vec<Order>> {
    let rows = sqlx::query(
        "SELECT doc FROM orders WHERE has_dispute = 1 ORDER BY updated_at DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| parse(&r.try_get::<String, _>("doc")?))
        .collect()
}
