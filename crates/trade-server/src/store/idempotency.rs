//! Idempotency keys (see `crate::idempotency` for the protocol).
//!
//! Invariant: a key row is only ever committed as `done` (with the response) or as
//! `processing` (a card payment waiting for the gateway, with the payment's id). It is
//! inserted as `running` inside the request's own write transaction, so a crash, a
//! cancelled handler or a rolled-back write leaves no row at all, and a retry runs the
//! request again; a committed effect always has its answer next to it.

use sqlx::Row;

use super::error::{StoreError, StoreResult};
use crate::db::{Db, Write, millis};

/// A checked key of one account's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub account: String,
    pub key: String,
    /// Hash of what the request asks for: the same key with another request is refused.
    pub fingerprint: String,
}

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub status: u16,
    pub body: String,
    pub etag: Option<String>,
}

#[derive(Debug)]
pub enum Claim {
    /// This transaction holds the key: run the request in it, then `complete` (or mark
    /// it `processing`) before committing.
    Owned,
    /// The key finished before with this response.
    Replay(Stored),
    /// The key was used with a different request.
    Mismatch,
    /// The key's card payment is waiting for the gateway's answer.
    Processing { payment: String },
}

/// Takes `key` inside `w`. On PostgreSQL a concurrent transaction holding the same key
/// makes the insert wait for it to end (then: replay, or take the key if it rolled
/// back); on SQLite write transactions are serialised already.
pub async fn claim(w: &mut Write, key: &Key, now: jiff::Timestamp) -> StoreResult<Claim> {
    // Twice at most: a row seen by the insert may be gone by the select (a card payment
    // that ended without a charge forgets its key), and then the key is free.
    for _ in 0..2 {
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (account_id, idem_key, fingerprint, status, created_at) \
             VALUES ($1, $2, $3, 'running', $4) ON CONFLICT DO NOTHING",
        )
        .bind(&key.account)
        .bind(&key.key)
        .bind(&key.fingerprint)
        .bind(millis(now))
        .execute(w.conn())
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(Claim::Owned);
        }
        let Some(row) = sqlx::query(
            "SELECT fingerprint, status, response_status, response_body, response_etag, \
             payment_id FROM idempotency_keys WHERE account_id = $1 AND idem_key = $2",
        )
        .bind(&key.account)
        .bind(&key.key)
        .fetch_optional(w.conn())
        .await?
        else {
            continue;
        };
        let stored: String = row.try_get("fingerprint")?;
        if stored != key.fingerprint {
            return Ok(Claim::Mismatch);
        }
        let status: String = row.try_get("status")?;
        return match status.as_str() {
            "done" => Ok(Claim::Replay(Stored {
                status: u16::try_from(row.try_get::<i64, _>("response_status")?).unwrap_or(500),
                body: row.try_get("response_body")?,
                etag: row.try_get("response_etag")?,
            })),
            "processing" => Ok(Claim::Processing {
                payment: row
                    .try_get::<Option<String>, _>("payment_id")?
                    .unwrap_or_default(),
            }),
            _ => {
                // A `running` row committed by a server from before this protocol (its
                // claim was taken outside the request's transaction and may have been
                // left by a crash): take it over.
                sqlx::query(
                    "UPDATE idempotency_keys SET created_at = $1 \
                     WHERE account_id = $2 AND idem_key = $3",
                )
                .bind(millis(now))
                .bind(&key.account)
                .bind(&key.key)
                .execute(w.conn())
                .await?;
                Ok(Claim::Owned)
            }
        };
    }
    Err(StoreError::corrupt(
        "an idempotency key kept appearing and disappearing",
    ))
}

/// Stores the response of the request holding `key` in `w`.
pub async fn complete(w: &mut Write, key: &Key, response: &Stored) -> StoreResult<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET status = 'done', response_status = $1, response_body = $2, \
         response_etag = $3, payment_id = NULL WHERE account_id = $4 AND idem_key = $5",
    )
    .bind(i64::from(response.status))
    .bind(&response.body)
    .bind(&response.etag)
    .bind(&key.account)
    .bind(&key.key)
    .execute(w.conn())
    .await?;
    Ok(())
}

/// The request holding `key` started card payment `payment` and commits before asking
/// the gateway: its answer comes with the payment's outcome (`complete_payment`).
pub async fn mark_processing(w: &mut Write, key: &Key, payment: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET status = 'processing', payment_id = $1 \
         WHERE account_id = $2 AND idem_key = $3",
    )
    .bind(payment)
    .bind(&key.account)
    .bind(&key.key)
    .execute(w.conn())
    .await?;
    Ok(())
}

/// The outcome of card payment `payment` is known: its key (if it had one) answers
/// `response` from now on.
pub async fn complete_payment(w: &mut Write, payment: &str, response: &Stored) -> StoreResult<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET status = 'done', response_status = $1, response_body = $2, \
         response_etag = $3 WHERE payment_id = $4 AND status = 'processing'",
    )
    .bind(i64::from(response.status))
    .bind(&response.body)
    .bind(&response.etag)
    .bind(payment)
    .execute(w.conn())
    .await?;
    Ok(())
}

/// Card payment `payment` ended without reaching the card (nothing was charged): its
/// key is forgotten, so a retry with it runs as a new attempt.
pub async fn forget_payment(w: &mut Write, payment: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE payment_id = $1 AND status = 'processing'")
        .bind(payment)
        .execute(w.conn())
        .await?;
    Ok(())
}

/// Keeps a refusal (a 4xx answered before anything was written) for replay, unless the
/// key already has a row: a concurrent duplicate's answer, or the answer this very
/// request committed.
pub async fn keep_refusal(
    db: &Db,
    key: &Key,
    response: &Stored,
    now: jiff::Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys (account_id, idem_key, fingerprint, status, \
         response_status, response_body, created_at) VALUES ($1, $2, $3, 'done', $4, $5, $6) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&key.account)
    .bind(&key.key)
    .bind(&key.fingerprint)
    .bind(i64::from(response.status))
    .bind(&response.body)
    .bind(millis(now))
    .execute(db.pool())
    .await?;
    Ok(())
}
