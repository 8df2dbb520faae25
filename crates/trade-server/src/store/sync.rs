//! The change feed and pushed-mutation results.

use std::collections::HashMap;

use sqlx::Row;
use trade_model::AccountId;

use super::error::{StoreError, StoreResult};
use crate::db::{Backend, Db, Write, millis};
use trade_model::sync::RecordKind;

/// A position in an account's feed: after `(version, kind, record_id)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    pub version: i64,
    pub kind: String,
    pub record_id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        if self.kind.is_empty() {
            self.version.to_string()
        } else {
            format!("{}.{}.{}", self.version, self.kind, self.record_id)
        }
    }

    /// What [`Cursor::decode`] reads, as a regular expression for the API document:
    /// empty, a version, or a version, a kind and a record id.
    pub fn pattern() -> String {
        let kinds: Vec<&str> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
        format!("^([0-9]{{1,18}}(\\.({})\\..+)?)?$", kinds.join("|"))
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        if s.is_empty() {
            return Some(Cursor::default());
        }
        let mut parts = s.splitn(3, '.');
        let version = parts.next().filter(|v| super::is_number(v))?.parse().ok()?;
        match (parts.next(), parts.next()) {
            (None, _) => Some(Cursor {
                version,
                ..Cursor::default()
            }),
            (Some(kind), Some(id)) if RecordKind::parse(kind).is_some() => Some(Cursor {
                version,
                kind: kind.to_owned(),
                record_id: id.to_owned(),
            }),
            _ => None,
        }
    }
}

/// A position in a snapshot walk (a first sync): the account version the walk covers
/// (`upto`), and the last row handed out, if any. The walk goes kind by kind in
/// [`SNAPSHOT_KINDS`] order, most recently changed first within a kind, so the inbox and
/// its unread counts come before the threads, and recent threads before old ones.
/// Versions only grow: a record that changes during the walk leaves it (the feed after
/// `upto` brings it), and none is met twice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotCursor {
    pub upto: i64,
    pub after: Option<Cursor>,
}

/// The order in which a snapshot walk hands out kinds.
pub const SNAPSHOT_KINDS: [RecordKind; 8] = [
    RecordKind::UnreadCounts,
    RecordKind::Inquiry,
    RecordKind::Message,
    RecordKind::Quotation,
    RecordKind::Order,
    RecordKind::OrderHistory,
    RecordKind::Payment,
    RecordKind::Document,
];

impl SnapshotCursor {
    pub fn encode(&self) -> String {
        match &self.after {
            None => self.upto.to_string(),
            Some(c) => format!("{}:{}", self.upto, c.encode()),
        }
    }

    /// What [`SnapshotCursor::decode`] reads, as a regular expression for the API
    /// document: empty, a version, or a version and a feed position.
    pub fn pattern() -> String {
        let kinds: Vec<&str> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
        format!(
            "^([0-9]{{1,18}}(:[0-9]{{1,18}}\\.({})\\..+)?)?$",
            kinds.join("|")
        )
    }

    /// `None` for text no server handed out; empty is the walk's start (`upto` still to
    /// be read).
    pub fn decode(s: &str) -> Option<SnapshotCursor> {
        if s.is_empty() {
            return Some(SnapshotCursor::default());
        }
        let (upto, after) = match s.split_once(':') {
            None => (s, None),
            Some((upto, after)) => {
                let after = Cursor::decode(after).filter(|c| !c.kind.is_empty())?;
                (upto, Some(after))
            }
        };
        let upto = upto.parse().ok().filter(|_| super::is_number(upto))?;
        Some(SnapshotCursor { upto, after })
    }
}

pub struct FeedRow {
    pub version: i64,
    pub kind: RecordKind,
    pub record_id: String,
    pub removed: bool,
    /// The record as this account saw it when the row was written (a [`SyncRecord`]'s
    /// JSON), for the kinds in [`STORED_KINDS`]; `None` for other kinds, tombstones, and
    /// rows written before payloads were kept: those are read at pull time.
    ///
    /// [`SyncRecord`]: trade_model::sync::SyncRecord
    pub payload: Option<String>,
}

/// The kinds whose feed rows keep the record's JSON, written by the transaction that
/// changed it: a page of them is one range scan, with no lookup per record. They are
/// nearly all of an account's records, and their state changes only through writes that
/// touch them (a message's read state, an inquiry's preview and unread count). Orders
/// are read at pull time (their view depends on the clock: deadlines), and so are the
/// rare kinds whose visibility follows other records (payments, documents, histories).
pub const STORED_KINDS: [RecordKind; 2] = [RecordKind::Inquiry, RecordKind::Message];

/// The JSON of the records a write touched, as each account it touched them for sees
/// them, read on the write's own connection just before its feed rows are written.
#[derive(Default)]
pub struct Payloads {
    /// message id → its record (the same for both parties)
    messages: HashMap<String, String>,
    /// inquiry id → (buyer, the buyer's view, the supplier's view)
    inquiries: HashMap<String, (String, String, String)>,
}

impl Payloads {
    /// Reads the current state of the messages and inquiries among `records`.
    pub async fn read(
        conn: &mut sqlx::AnyConnection,
        records: &[(RecordKind, &String)],
    ) -> StoreResult<Payloads> {
        use trade_model::sync::SyncRecord;
        let mut messages = Vec::new();
        let mut inquiries = Vec::new();
        for (kind, id) in records {
            match kind {
                RecordKind::Message => messages.push((*id).clone()),
                RecordKind::Inquiry => inquiries.push((*id).clone()),
                _ => {}
            }
        }
        for ids in [&mut messages, &mut inquiries] {
            ids.sort_unstable();
            ids.dedup();
        }
        let json = |r: SyncRecord| serde_json::to_string(&r).map_err(StoreError::corrupt);
        let mut out = Payloads::default();
        for m in super::messages::messages_on(conn, &messages).await? {
            out.messages
                .insert(m.id.to_string(), json(SyncRecord::Message(m))?);
        }
        for (buyers, suppliers) in super::inquiries::with_both_views_on(conn, &inquiries).await? {
            out.inquiries.insert(
                buyers.id.to_string(),
                (
                    buyers.buyer.to_string(),
                    json(SyncRecord::Inquiry(buyers))?,
                    json(SyncRecord::Inquiry(suppliers))?,
                ),
            );
        }
        Ok(out)
    }

    /// The JSON of `record` as `account` sees it, if it is of a stored kind and was read.
    pub fn get(&self, account: &str, kind: RecordKind, record: &str) -> Option<&str> {
        match kind {
            RecordKind::Message => self.messages.get(record).map(String::as_str),
            RecordKind::Inquiry => self.inquiries.get(record).map(|(buyer, b, s)| {
                if buyer == account {
                    b.as_str()
                } else {
                    s.as_str()
                }
            }),
            _ => None,
        }
    }
}

/// One page of an account's feed after a cursor: `$1` the account, `($2, $3, $4)` the
/// cursor's (version, kind, record id), `$5` the page size.
///
/// The cursor is compared as a row value, which both SQLite and PostgreSQL read as one
/// range of the feed index: a page costs its own rows whatever its place in the feed.
/// The same condition spelled out with ORs let the planners bound only the version, so
/// rows sharing a version (one transaction touching many records, or a bulk import)
/// were read again from the first of them on every page.
pub const FEED_PAGE: &str = "SELECT version, kind, record_id, removed, payload FROM sync_changes \
     WHERE account_id = $1 AND (version, kind, record_id) > ($2, $3, $4) \
     ORDER BY version, kind, record_id LIMIT $5";

/// One page of a snapshot walk within one kind, newest first: `$1` the account, `$2`
/// the kind, `($3, $4)` the (version, record id) the walk stands before, `$5` the page
/// size. A row value for the index's range, as in [`FEED_PAGE`].
pub const SNAPSHOT_PAGE: &str = "SELECT version, record_id, payload FROM sync_changes \
     WHERE account_id = $1 AND kind = $2 AND removed = 0 AND (version, record_id) < ($3, $4) \
     ORDER BY version DESC, record_id DESC LIMIT $5";

/// Up to `limit` feed rows of `account` after `cursor`, in feed order.
pub async fn after(
    db: &Db,
    account: AccountId,
    cursor: &Cursor,
    limit: i64,
) -> StoreResult<Vec<FeedRow>> {
    if let Some(reads) = db.sqlite_reads() {
        let (account, cursor) = (account.to_string(), cursor.clone());
        return reads
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(FEED_PAGE)?;
                let mut rows = stmt.query(rusqlite::params![
                    account,
                    cursor.version,
                    cursor.kind,
                    cursor.record_id,
                    limit
                ])?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let kind: String = r.get(1)?;
                    out.push(FeedRow {
                        version: r.get(0)?,
                        kind: feed_kind(&kind)?,
                        record_id: r.get(2)?,
                        removed: r.get::<_, i64>(3)? != 0,
                        payload: r.get(4)?,
                    });
                }
                Ok(out)
            })
            .await;
    }
    let rows = sqlx::query(FEED_PAGE)
        .bind(account.to_string())
        .bind(cursor.version)
        .bind(&cursor.kind)
        .bind(&cursor.record_id)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok(FeedRow {
                version: r.try_get("version")?,
                kind: feed_kind(&kind)?,
                record_id: r.try_get("record_id")?,
                removed: r.try_get::<i64, _>("removed")? != 0,
                payload: r.try_get("payload")?,
            })
        })
        .collect()
}

fn feed_kind(kind: &str) -> StoreResult<RecordKind> {
    RecordKind::parse(kind).ok_or_else(|| StoreError::corrupt("unknown feed kind"))
}

/// Up to `limit` records of `account` in a snapshot walk after `cursor`: those present
/// (not removed) at a version up to `cursor.upto`, in the walk's order.
pub async fn snapshot_after(
    db: &Db,
    account: AccountId,
    cursor: &SnapshotCursor,
    limit: i64,
) -> StoreResult<Vec<FeedRow>> {
    let account_id = account.to_string();
    let start = match &cursor.after {
        Some(after) => SNAPSHOT_KINDS
            .iter()
            .position(|k| k.as_str() == after.kind)
            .ok_or_else(|| StoreError::corrupt("unknown kind in a snapshot cursor"))?,
        None => 0,
    };
    if let Some(reads) = db.sqlite_reads() {
        let cursor = cursor.clone();
        return reads
            .run(move |conn| {
                let mut out = Vec::new();
                for (n, kind) in SNAPSHOT_KINDS.iter().enumerate().skip(start) {
                    let left = limit - out.len() as i64;
                    if left <= 0 {
                        break;
                    }
                    let (version, record_id) = walk_within(&cursor, n == start);
                    let mut stmt = conn.prepare_cached(SNAPSHOT_PAGE)?;
                    let mut rows = stmt.query(rusqlite::params![
                        account_id,
                        kind.as_str(),
                        version,
                        record_id,
                        left
                    ])?;
                    while let Some(r) = rows.next()? {
                        out.push(FeedRow {
                            version: r.get(0)?,
                            kind: *kind,
                            record_id: r.get(1)?,
                            removed: false,
                            payload: r.get(2)?,
                        });
                    }
                }
                Ok(out)
            })
            .await;
    }
    let mut out = Vec::new();
    for (n, kind) in SNAPSHOT_KINDS.iter().enumerate().skip(start) {
        let left = limit - out.len() as i64;
        if left <= 0 {
            break;
        }
        let (version, record_id) = walk_within(cursor, n == start);
        let rows = sqlx::query(SNAPSHOT_PAGE)
            .bind(&account_id)
            .bind(kind.as_str())
            .bind(version)
            .bind(&record_id)
            .bind(left)
            .fetch_all(db.pool())
            .await?;
        for r in rows {
            out.push(FeedRow {
                version: r.try_get("version")?,
                kind: *kind,
                record_id: r.try_get("record_id")?,
                removed: false,
                payload: r.try_get("payload")?,
            });
        }
    }
    Ok(out)
}

/// The (version, record id) a snapshot walk stands before within a kind: after the
/// cursor's row in the cursor's own kind, from the top in a later kind (the row value
/// below `(upto + 1, "")` is every version up to `upto`). Nothing after `upto` is in the
/// walk, whatever a cursor says.
fn walk_within(cursor: &SnapshotCursor, in_cursor_kind: bool) -> (i64, String) {
    let (version, record_id) = match &cursor.after {
        Some(after) if in_cursor_kind => (after.version, after.record_id.clone()),
        _ => (cursor.upto.saturating_add(1), String::new()),
    };
    if version > cursor.upto {
        (cursor.upto.saturating_add(1), String::new())
    } else {
        (version, record_id)
    }
}

/// How many records an account holds up to a version: `$1` the account, `$2` the
/// version. Counted on the index `sync_changes_present` alone (migration 11).
pub const SNAPSHOT_SIZE: &str = "SELECT COUNT(*) AS n FROM sync_changes \
     WHERE account_id = $1 AND removed = 0 AND version <= $2";

/// How many records a snapshot walk up to `upto` holds.
pub async fn snapshot_size(db: &Db, account: AccountId, upto: i64) -> StoreResult<i64> {
    Ok(sqlx::query(SNAPSHOT_SIZE)
        .bind(account.to_string())
        .bind(upto)
        .fetch_one(db.pool())
        .await?
        .try_get("n")?)
}

pub async fn feed_size(db: &Db, account: AccountId) -> StoreResult<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) AS n FROM sync_changes WHERE account_id = $1")
            .bind(account.to_string())
            .fetch_one(db.pool())
            .await?
            .try_get("n")?,
    )
}

pub async fn account_version(db: &Db, account: AccountId) -> StoreResult<i64> {
    let row = sqlx::query("SELECT version FROM account_versions WHERE account_id = $1")
        .bind(account.to_string())
        .fetch_optional(db.pool())
        .await?;
    Ok(match row {
        Some(r) => r.try_get("version")?,
        None => 0,
    })
}

/// The stored results of those of `mutations` seen before, by mutation id, in one
/// query: what a push batch looks up before it applies anything.
pub async fn mutation_results(
    w: &mut Write,
    account: AccountId,
    mutations: &[String],
) -> StoreResult<HashMap<String, RecordedMutation>> {
    let mut found = HashMap::new();
    if mutations.is_empty() {
        return Ok(found);
    }
    let sql = mutation_results_sql(w.backend(), mutations.len());
    let mut query = sqlx::query(&sql).bind(account.to_string());
    for id in mutations {
        query = query.bind(id.as_str());
    }
    for row in query.fetch_all(w.conn()).await? {
        found.insert(
            row.try_get("mutation_id")?,
            RecordedMutation {
                result: row.try_get("result")?,
                fingerprint: row.try_get("fingerprint")?,
            },
        );
    }
    Ok(found)
}

/// The query of [`mutation_results`] for `ids` mutation ids: `$1` the account, `$2`… the
/// ids. Its cost must not grow with what the account has recorded (a buyer who has pushed
/// for weeks pays what a new one does), so each id is one primary-key lookup. SQLite
/// plans `account_id = ? AND mutation_id IN (…)` that way. PostgreSQL did not when it
/// took the account for a small one (a generic plan, made from the average account, or
/// statistics older than the account's pushes): it read every mutation the account had
/// recorded and compared each with the whole list, so each push got slower than the one
/// before. There a `LATERAL` subquery looks each id up on its own; its `LIMIT 1` (the key
/// is unique) keeps it from being flattened back into a join the planner may turn into a
/// scan of the account.
pub fn mutation_results_sql(backend: Backend, ids: usize) -> String {
    let ids = super::placeholders(2, ids);
    match backend {
        Backend::Sqlite => format!(
            "SELECT mutation_id, result, fingerprint FROM sync_mutations \
             WHERE account_id = $1 AND mutation_id IN ({ids})"
        ),
        Backend::Postgres => format!(
            "SELECT s.mutation_id, s.result, s.fingerprint \
             FROM unnest(ARRAY[{ids}]) AS given (id) \
             CROSS JOIN LATERAL (SELECT mutation_id, result, fingerprint FROM sync_mutations \
                 WHERE account_id = $1 AND mutation_id = given.id LIMIT 1) AS s"
        ),
    }
}

/// A pushed mutation's recorded result.
pub struct RecordedMutation {
    /// The `MutationOutcome`, as JSON.
    pub result: String,
    /// SHA-256 of the operation; `None` for mutations recorded before it was kept.
    pub fingerprint: Option<String>,
}

/// Forgets mutation results and idempotency keys older than `before` (kept well past the
/// longest a client may stay offline).
pub async fn purge_before(db: &Db, before: jiff::Timestamp) -> StoreResult<u64> {
    let a = sqlx::query("DELETE FROM sync_mutations WHERE created_at < $1")
        .bind(millis(before))
        .execute(db.pool())
        .await?
        .rows_affected();
    let b = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(millis(before))
        .execute(db.pool())
        .await?
        .rows_affected();
    Ok(a + b)
}

/// A result a push batch records: the mutation, its operation's fingerprint, and its
/// `MutationOutcome` as JSON.
pub struct NewMutationResult {
    pub mutation: String,
    pub fingerprint: String,
    pub result: String,
}

/// Results recorded by one statement (5 parameters each).
const RESULTS_PER_STATEMENT: usize = 200;

/// Records the results of a push batch's mutations, in the given order, unless one is
/// recorded already; returns how many were written (fewer: another push of the same
/// mutation recorded it first).
pub async fn record_mutations(
    w: &mut Write,
    account: AccountId,
    results: &[NewMutationResult],
    now: jiff::Timestamp,
) -> StoreResult<usize> {
    let backend = crate::db::Backend::of(w.conn());
    let account = account.to_string();
    let mut written = 0;
    for chunk in results.chunks(RESULTS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO sync_mutations (account_id, mutation_id, result, created_at, fingerprint) \
             VALUES {} ON CONFLICT DO NOTHING",
            backend.tuples(chunk.len(), 5)
        );
        let mut query = sqlx::query(&sql);
        for r in chunk {
            query = query
                .bind(account.as_str())
                .bind(r.mutation.as_str())
                .bind(r.result.as_str())
                .bind(millis(now))
                .bind(r.fingerprint.as_str());
        }
        written += query.execute(w.conn()).await?.rows_affected() as usize;
    }
    Ok(written)
}
