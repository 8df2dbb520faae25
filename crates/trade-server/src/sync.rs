//! Sync (design §4), the server half: pull pages of the account's change feed with each
//! record's current state, and push batches of client mutations through the same code
//! paths as the REST API, each applied at most once.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::value::RawValue;
use trade_model::ErrorCode;

use trade_model::api::UnreadCounts;
use trade_model::dispute::DisputeAction;
use trade_model::order::{Actor, Order, OrderAction, PaymentMethod};
use trade_model::sync::{
    Change, Mutation, MutationOp, MutationOutcome, MutationResult, OrderHistory, OrderVersion,
    PullResponse, RecordKind, SyncRecord,
};
use trade_model::{AccountId, DocumentId, OrderId};

use crate::auth::AuthUser;
use crate::db::Write;
use crate::error::{HttpError, HttpResult};
use crate::orders::{self, view_for};
use crate::state::AppState;
use crate::store;
use crate::store::sync::{Cursor, SnapshotCursor};

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
                for m in store::inquiries::messages_many(&state.db, user.id, &ids).await? {
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

fn rejected(err: HttpError) -> MutationOutcome {
    MutationOutcome::Rejected {
        code: err.code.to_owned(),
        message: err.message,
        details: err.details,
    }
}

/// Applies one mutation inside `w`; returns the order's new version for order steps.
async fn apply(
    w: &mut Write,
    state: &AppState,
    user: &AuthUser,
    op: MutationOp,
) -> HttpResult<Option<i64>> {
    match op {
        MutationOp::OpenInquiry {
            inquiry,
            supplier,
            product,
            message,
            body,
        } => {
            crate::chat::open_inquiry(w, state, user, inquiry, supplier, &product, message, &body)
                .await?;
            Ok(None)
        }
        MutationOp::SendMessage {
            inquiry,
            message,
            body,
            attachments,
        } => {
            crate::chat::post_message(w, state, user, inquiry, message, &body, &attachments)
                .await?;
            Ok(None)
        }
        MutationOp::MarkRead { inquiry, up_to } => {
            crate::chat::mark_read(w, state, user, inquiry, up_to).await?;
            Ok(None)
        }
        MutationOp::SubmitOrder { order, request } => {
            let (order, _) = orders::submit(w, state, user, order, request).await?;
            Ok(Some(order.version))
        }
        MutationOp::OrderStep { order, action } => {
            let (after, _) = match action {
                OrderAction::Modify { version, terms } => {
                    orders::modify(w, state, user, order, version, terms).await?
                }
                OrderAction::Dispute(step @ DisputeAction::File { .. }) => {
                    orders::file_dispute(w, state, user, order, &step).await?
                }
                OrderAction::BeginPayment {
                    payment_id,
                    method,
                    amount_minor,
                } => {
                    if method != PaymentMethod::TelegraphicTransfer {
                        return Err(HttpError::unprocessable(
                            ErrorCode::PaymentCardNeedsConnection,
                            "Card payments go to the payment provider directly and cannot be queued.",
                        ));
                    }
                    let (after, _payment) = crate::payments::begin_payment(
                        w,
                        state,
                        user,
                        order,
                        payment_id,
                        method,
                        amount_minor,
                        None,
                    )
                    .await?;
                    (after, trade_model::order::Actor::System)
                }
                other => orders::step(w, state, user, order, &other).await?,
            };
            Ok(Some(after.version))
        }
    }
}

/// Applies a batch in order, in one transaction (one commit, one fsync, for the batch).
/// Each mutation runs inside a savepoint: a refused one is rolled back to it and only its
/// refusal kept. The results are recorded together at the batch's end, in the same
/// transaction as the effects, so a mutation takes effect at most once (both commit or
/// neither does). A mutation seen before (in an earlier push or earlier in this batch)
/// gets its first result again, unless its id now comes with another operation, which is
/// refused (`sync.mutation_id_reused`, nothing recorded). A server fault rolls the whole
/// batch back (the client retries it; nothing of it took effect); a batch that met a
/// conflicting transaction (a deadlock on PostgreSQL, or another push of the same
/// mutations committing first) is tried again here first.
pub async fn push(
    state: &AppState,
    user: &AuthUser,
    mutations: Vec<Mutation>,
) -> HttpResult<Vec<MutationResult>> {
    let mut tries = 1;
    loop {
        match push_once(state, user, &mutations).await {
            Err(e) if e.code == ErrorCode::ServerBusy && tries < PUSH_TRIES => tries += 1,
            answer => return answer,
        }
    }
}

/// How many times a batch is tried when it meets conflicting transactions.
const PUSH_TRIES: u32 = 3;

async fn push_once(
    state: &AppState,
    user: &AuthUser,
    mutations: &[Mutation],
) -> HttpResult<Vec<MutationResult>> {
    let now = state.now();
    let mut w = state.db.begin().await?;
    let keys: Vec<String> = mutations.iter().map(|m| m.id.to_string()).collect();
    // Results recorded by earlier pushes.
    let recorded = store::sync::mutation_results(&mut w, user.id, &keys).await?;
    // Results this batch makes, by mutation id, with the operation's fingerprint: a
    // mutation repeated within the batch gets its first result like one repeated across
    // pushes. Recorded together at the batch's end.
    let mut fresh: std::collections::BTreeMap<String, (String, MutationOutcome)> =
        std::collections::BTreeMap::new();
    let mut results = Vec::with_capacity(mutations.len());
    for (mutation, key) in mutations.iter().zip(keys) {
        let fingerprint = fingerprint(&mutation.op)?;
        let outcome = if let Some(stored) = recorded.get(&key) {
            seen_before(stored, &fingerprint)?
        } else if let Some((first, outcome)) = fresh.get(&key) {
            if *first == fingerprint {
                outcome.clone()
            } else {
                id_reused()
            }
        } else {
            w.savepoint().await?;
            let outcome = match apply(&mut w, state, user, mutation.op.clone()).await {
                Ok(order_version) => {
                    w.touch(user.id, RecordKind::UnreadCounts, user.id);
                    MutationOutcome::Applied {
                        // The batch's version, known once its changes are in the feed
                        // (below).
                        account_version: 0,
                        order_version,
                    }
                }
                Err(err) if err.status.is_server_error() => return Err(err),
                // Met a change committed at the same moment (PostgreSQL): a refusal
                // about the moment, never recorded as the mutation's result; the
                // batch is tried again on what is committed now.
                Err(err) if err.code == ErrorCode::OrderConcurrentChange => {
                    return Err(HttpError::busy(err.message));
                }
                Err(err) => {
                    w.rollback_to_savepoint().await?;
                    rejected(err)
                }
            };
            w.release_savepoint().await?;
            fresh.insert(key.clone(), (fingerprint, outcome.clone()));
            outcome
        };
        results.push((key, outcome));
    }
    // The batch's changes go into the feed once, at its end: every account it touched
    // gets one new version, and the rows every writer shares (account versions, feed
    // rows) are locked here, once, in one sorted order. Flushed after each mutation, a
    // batch held them in the order of its mutations, and two batches (or a batch and a
    // request) meeting the same accounts in opposite orders deadlocked on PostgreSQL.
    let versions = w.flush().await?;
    let version = own_version(&versions, user.id);
    let stamp = |outcome: &mut MutationOutcome| {
        if let MutationOutcome::Applied {
            account_version, ..
        } = outcome
        {
            *account_version = version;
        }
    };
    let mut rows = Vec::with_capacity(fresh.len());
    for (key, (fingerprint, outcome)) in &mut fresh {
        stamp(outcome);
        let text = serde_json::to_string(outcome).map_err(HttpError::internal)?;
        rows.push(store::sync::NewMutationResult {
            mutation: key.clone(),
            fingerprint: fingerprint.clone(),
            result: text,
        });
    }
    // In mutation id order (a BTreeMap's): two batches recording the same ids lock them
    // in one order. An id recorded meanwhile by another push of it (PostgreSQL: it
    // committed while this one worked) leaves a row unwritten: nothing of this batch
    // stays, and the batch is tried again, meeting that push's results.
    let written = store::sync::record_mutations(&mut w, user.id, &rows, now).await?;
    if written != rows.len() {
        return Err(HttpError::busy(
            "a mutation of this batch was recorded by another push of it",
        ));
    }
    w.commit().await?;
    Ok(results
        .into_iter()
        .zip(mutations)
        .map(|((key, mut outcome), mutation)| {
            if fresh.contains_key(&key) {
                stamp(&mut outcome);
            }
            MutationResult {
                id: mutation.id,
                outcome,
            }
        })
        .collect())
}

/// The refusal of a mutation id that comes again with another operation.
fn id_reused() -> MutationOutcome {
    MutationOutcome::Rejected {
        code: ErrorCode::SyncMutationIdReused.to_owned(),
        message: "This mutation id was already used for another change; \
                  send a new change under a new id."
            .to_owned(),
        details: None,
    }
}

/// The answer to a mutation whose id was recorded before: its first result, or a refusal
/// when the id now comes with another operation.
fn seen_before(
    stored: &store::sync::RecordedMutation,
    fingerprint: &str,
) -> HttpResult<MutationOutcome> {
    if stored
        .fingerprint
        .as_ref()
        .is_some_and(|seen| seen != fingerprint)
    {
        return Ok(id_reused());
    }
    serde_json::from_str(&stored.result).map_err(HttpError::internal)
}

/// What a mutation asks for, as a hash of its operation's canonical JSON.
fn fingerprint(op: &MutationOp) -> HttpResult<String> {
    use sha2::{Digest, Sha256};
    let json = serde_json::to_vec(op).map_err(HttpError::internal)?;
    Ok(hex::encode(Sha256::digest(&json)))
}

fn own_version(versions: &[(String, i64)], account: AccountId) -> i64 {
    let me = account.to_string();
    versions
        .iter()
        .find(|(a, _)| *a == me)
        .map(|(_, v)| *v)
        .unwrap_or(0)
}
