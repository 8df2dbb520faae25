//! The change feed and pushed-mutation results.

use sqlx::Row;
use trade_model::AccountId;

use super::error::{StoreError, StoreResult};
use crate::db::{Db, Write, millis};
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

pub struct FeedRow {
    pub version: i64,
    pub kind: RecordKind,
    pub record_id: String,
    pub removed: bool,
}

/// Up to `limit` feed rows of `account` after `cursor`, in feed order.
pub async fn after(
    db: &Db,
    account: AccountId,
    cursor: &Cursor,
    limit: i64,
) -> StoreResult<Vec<FeedRow>> {
    let rows = sqlx::query(
        "SELECT version, kind, record_id, removed FROM sync_changes WHERE account_id = $1 \
         AND (version > $2 OR (version = $2 AND (kind > $3 OR (kind = $3 AND record_id > $4)))) \
         ORDER BY version, kind, record_id LIMIT $5",
    )
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
                kind: RecordKind::parse(&kind)
                    .ok_or_else(|| StoreError::corrupt("unknown feed kind"))?,
                record_id: r.try_get("record_id")?,
                removed: r.try_get::<i64, _>("removed")? != 0,
            })
        })
        .collect()
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

/// The stored result of a pushed mutation, if it was seen before: as this transaction
/// sees it (a mutation recorded earlier in it counts).
pub async fn mutation_result(
    w: &mut Write,
    account: AccountId,
    mutation: &str,
) -> StoreResult<Option<RecordedMutation>> {
    let row = sqlx::query(
        "SELECT result, fingerprint FROM sync_mutations WHERE account_id = $1 AND mutation_id = $2",
    )
    .bind(account.to_string())
    .bind(mutation)
    .fetch_optional(w.conn())
    .await?;
    row.map(|r| {
        Ok(RecordedMutation {
            result: r.try_get("result")?,
            fingerprint: r.try_get("fingerprint")?,
        })
    })
    .transpose()
}

/// A pushed mutation's recorded result.
pub struct RecordedMutation {
    /// The `MutationOutcome`, as JSON.
    pub result: String,
    /// SHA-256 of the operation; `None` for mutations recorded before it was kept.
    pub fingerprint: Option<String>,
}

/// Records a mutation's result in the caller's transaction; `false` if another request
/// recorded one first (the caller then rolls back and replays that one).
pub async fn record_mutation(
    w: &mut Write,
    account: AccountId,
    mutation: &str,
    fingerprint: &str,
    result: &str,
    now: jiff::Timestamp,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO sync_mutations (account_id, mutation_id, result, created_at, fingerprint) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(account.to_string())
    .bind(mutation)
    .bind(result)
    .bind(millis(now))
    .bind(fingerprint)
    .execute(w.conn())
    .await?;
    Ok(done.rows_affected() == 1)
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
