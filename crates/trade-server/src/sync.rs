//! Sync (design §4), the server half: pull pages of the account's change feed with each
//! record's current state, the snapshot walk of a first sync, and push (`push.rs`):
//! batches of client mutations through the same code paths as the REST API, each
//! applied at most once.

mod push;

use std::collections::HashMap;

use serde::Serialize;
use serde_json::value::RawValue;
use trade_model::ErrorCode;

use trade_model::api::UnreadCounts;
use trade_model::order::{Actor, Order};
use trade_model::sync::{Change, OrderHistory, OrderVersion, PullResponse, RecordKind, SyncRecord};
use trade_model::{DocumentId, OrderId};

use crate::auth::AuthUser;
use crate::error::{HttpError, HttpResult};
use crate::orders::{self, view_for};
use crate::state::AppState;
use crate::store;
use crate::store::sync::{Cursor, SnapshotCursor};

pub use push::push;

/// A [`Change`] as a page goes on the wire: the record's JSON as its feed row keeps it
/// (see `store::sync::STORED_KINDS`), or as read at pull time. Serializes as [`Change`].
#[derive(Debug, Serialize)]
pub struct WireChange {
    pub version: i64,
    pub kind: RecordKind,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<Box<RawValue>>,
}

/// [`PullResponse`] as it goes on the wire (its records as [`WireChange`]s).
#[derive(Debug, Serialize)]
pub struct PullPage {
    pub changes: Vec<WireChange>,
    pub next_cursor: String,
    pub has_more: bool,
    pub account_version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_estimate: Option<i64>,
}

/// [`SnapshotResponse`](trade_model::sync::SnapshotResponse) as it goes on the wire (its records as [`WireChange`]s).
#[derive(Debug, Serialize)]
pub struct SnapshotPage {
    pub changes: Vec<WireChange>,
    pub next_cursor: String,
    pub has_more: bool,
    pub feed_cursor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_estimate: Option<i64>,
}

/// One page of `user`'s changes after `cursor`, with its records read back into the
/// model's types (for a caller inside the server: the demo's supplier bot).
pub async fn pull(
    state: &AppState,
    user: &AuthUser,
    cursor: &str,
    limit: i64,
) -> HttpResult<PullResponse> {
    let page = pull_page(state, user, cursor, limit).await?;
    let changes = page
        .changes
        .into_iter()
        .map(|c| {
            Ok(Change {
                version: c.version,
                kind: c.kind,
                id: c.id,
                record: c
                    .record
                    .map(|r| serde_json::from_str(r.get()))
                    .transpose()
                    .map_err(HttpError::internal)?,
            })
        })
        .collect::<HttpResult<_>>()?;
    Ok(PullResponse {
        changes,
        next_cursor: page.next_cursor,
        has_more: page.has_more,
        account_version: page.account_version,
        total_estimate: page.total_estimate,
    })
}

/// One page of `user`'s changes after `cursor`, as it goes on the wire.
pub async fn pull_page(
    state: &AppState,
    user: &AuthUser,
    cursor: &str,
    limit: i64,
) -> HttpResult<PullPage> {
    let after = Cursor::decode(cursor).ok_or_else(|| {
        HttpError::bad_request(ErrorCode::SyncBadCursor, "The sync cursor is not valid.")
    })?;
    let limit = limit.clamp(1, trade_model::sync::MAX_PULL_LIMIT);
    // Read the version first: everything up to it is visible, so a client whose cursor
    // reaches it is up to date as of this call.
    let account_version = store::sync::account_version(&state.db, user.id).await?;
    let mut rows = store::sync::after(&state.db, user.id, &after, limit + 1).await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let total_estimate = if cursor.is_empty() {
        Some(store::sync::feed_size(&state.db, user.id).await?)
    } else {
        None
    };
    let next_cursor = rows
        .last()
        .map(|r| {
            Cursor {
                version: r.version,
                kind: r.kind.as_str().to_owned(),
                record_id: r.record_id.clone(),
            }
            .encode()
        })
        .unwrap_or_else(|| after.encode());
    Ok(PullPage {
        changes: changes_of(state, user, rows).await?,
        next_cursor,
        has_more,
        account_version,
        total_estimate,
    })
}

/// One page of a first sync: `user`'s records as they are now, most recently changed
/// first (see [`SnapshotResponse`](trade_model::sync::SnapshotResponse)).
pub async fn snapshot(
    state: &AppState,
    user: &AuthUser,
    cursor: &str,
    limit: i64,
) -> HttpResult<SnapshotPage> {
    let mut at = SnapshotCursor::decode(cursor).ok_or_else(|| {
        HttpError::bad_request(
            ErrorCode::SyncBadCursor,
            "The snapshot cursor is not valid.",
        )
    })?;
    let limit = limit.clamp(1, trade_model::sync::MAX_PULL_LIMIT);
    let total_estimate = if cursor.is_empty() {
        // Everything up to this version is visible (versions commit in order), and what
        // comes after it is the feed's to bring.
        at.upto = store::sync::account_version(&state.db, user.id).await?;
        Some(store::sync::snapshot_size(&state.db, user.id, at.upto).await?)
    } else {
        None
    };
    let mut rows = store::sync::snapshot_after(&state.db, user.id, &at, limit + 1).await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    if let Some(last) = rows.last() {
        at.after = Some(Cursor {
            version: last.version,
            kind: last.kind.as_str().to_owned(),
            record_id: last.record_id.clone(),
        });
    }
    Ok(SnapshotPage {
        changes: changes_of(state, user, rows).await?,
        next_cursor: at.encode(),
        has_more,
        // A bare version is a position before that version's rows: the feed goes on
        // from the one after the walk's.
        feed_cursor: Cursor {
            version: at.upto.saturating_add(1),
            ..Cursor::default()
        }
        .encode(),
        total_estimate,
    })
}

/// The feed rows with each record's current state; a record gone or no longer visible
/// is a tombstone. A row that keeps its record's JSON hands it out as kept; the others
/// are read now, kind by kind.
async fn changes_of(
    state: &AppState,
    user: &AuthUser,
    rows: Vec<store::sync::FeedRow>,
) -> HttpResult<Vec<WireChange>> {
    let unkept: Vec<&store::sync::FeedRow> = rows
        .iter()
        .filter(|r| !r.removed && r.payload.is_none())
        .collect();
    let mut records = load(state, user, &unkept).await?;
    rows.into_iter()
        .map(|r| {
            let record = match (r.removed, r.payload) {
                (true, _) => None,
                (false, Some(kept)) => Some(RawValue::from_string(kept).map_err(|e| {
                    HttpError::internal(format!(
                        "a kept {} record is not JSON: {e}",
                        r.kind.as_str()
                    ))
                })?),
                (false, None) => records
                    .remove(&(r.kind, r.record_id.clone()))
                    .map(|record| serde_json::value::to_raw_value(&record))
                    .transpose()
                    .map_err(HttpError::internal)?,
            };
            Ok(WireChange {
                version: r.version,
                kind: r.kind,
                id: r.record_id,
                record,
            })
        })
        .collect()
}

/// The current state of each non-removed row, as `user` sees it. Rows whose record is
/// gone or no longer visible are missing from the map and become tombstones.
async fn load(
    state: &AppState,
    user: &AuthUser,
    rows: &[&store::sync::FeedRow],
) -> HttpResult<HashMap<(RecordKind, String), SyncRecord>> {
    let mut by_kind: HashMap<RecordKind, Vec<String>> = HashMap::new();
    for r in rows {
        by_kind.entry(r.kind).or_default().push(r.record_id.clone());
    }
    let mut out = HashMap::new();
    let now = state.now();
    for (kind, ids) in by_kind {
        match kind {
            RecordKind::Inquiry => {
                for i in store::inquiries::get_many(&state.db, user.id, &ids).await? {
                    out.insert((kind, i.id.to_string()), SyncRecord::Inquiry(i));
                }
            }
            RecordKind::Message => {
                for m in store::messages::messages_many(&state.db, user.id, &ids).await? {
                    out.insert((kind, m.id.to_string()), SyncRecord::Message(m));
                }
            }
            RecordKind::Order => {
                for (order, actor) in visible_orders(state, user, &ids).await?.into_values() {
                    out.insert(
                        (kind, order.id.to_string()),
                        SyncRecord::Order(view_for(order, actor, now)),
                    );
                }
            }
            RecordKind::Payment => {
                let payments = store::payments::get_many(&state.db, &ids).await?;
                let orders: Vec<String> = payments.iter().map(|p| p.order.to_string()).collect();
                let visible = visible_orders(state, user, &orders).await?;
                for payment in payments {
                    if visible.contains_key(&payment.order) {
                        out.insert((kind, payment.id.to_string()), SyncRecord::Payment(payment));
                    }
                }
            }
            RecordKind::Document => {
                for id in ids {
                    let Ok(doc) = id.parse::<DocumentId>() else {
                        continue;
                    };
                    match store::documents::visible(&state.db, user.id, user.role, doc).await {
                        Ok(meta) => {
                            out.insert((kind, id), SyncRecord::Document(meta));
                        }
                        Err(store::StoreError::NotFound(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            RecordKind::OrderHistory => {
                let visible = visible_orders(state, user, &ids).await?;
                let ids: Vec<String> = visible.keys().map(ToString::to_string).collect();
                let mut events = store::orders::events_many(&state.db, &ids).await?;
                for order in visible.into_keys() {
                    let entries = events
                        .remove(&order)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(event, snapshot)| OrderVersion { event, snapshot })
                        .collect();
                    out.insert(
                        (kind, order.to_string()),
                        SyncRecord::OrderHistory(OrderHistory { order, entries }),
                    );
                }
            }
            RecordKind::Quotation => {
                for q in store::quotations::get_many(&state.db, user.id, &ids).await? {
                    out.insert((kind, q.id.to_string()), SyncRecord::Quotation(q));
                }
            }
            RecordKind::UnreadCounts => {
                let (total, inquiries_with_unread) =
                    store::inquiries::unread_totals(&state.db, user.id, user.role).await?;
                out.insert(
                    (kind, user.id.to_string()),
                    SyncRecord::UnreadCounts(UnreadCounts {
                        total,
                        inquiries_with_unread,
                    }),
                );
            }
        }
    }
    Ok(out)
}

/// The orders among `ids` that `user` is a party of, each with the part `user` plays in
/// it; ids that are not orders, or not `user`'s, are left out.
async fn visible_orders(
    state: &AppState,
    user: &AuthUser,
    ids: &[String],
) -> HttpResult<HashMap<OrderId, (Order, Actor)>> {
    let mut ids: Vec<String> = ids
        .iter()
        .filter(|id| id.parse::<OrderId>().is_ok())
        .cloned()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(store::orders::get_many(&state.db, &ids)
        .await?
        .into_iter()
        .filter_map(|order| {
            let actor = orders::actor_for(&order, user)?;
            Some((order.id, (order, actor)))
        })
        .collect())
}
