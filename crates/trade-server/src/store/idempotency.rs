use sqlx::Row;

use crate::db::{Db, millis};
use crate::error::ApiError;

pub enum Claim {
    /// This request owns the key: run it, then `complete` or `release`.
    Owned,
    /// The key finished before with this response.
    Replay { status: u16, body: String },
    /// The key was used with a different request.
    Mismatch,
    /// The first request with this key is still running.
    InProgress,
}

pub async fn claim(
    db: &Db,
    account: &str,
    key: &str,
    fingerprint: &str,
    now: jiff::Timestamp,
) -> Result<Claim, ApiError> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (account_id, idem_key, fingerprint, status, created_at) \
         VALUES ($1, $2, $3, 'running', $4) ON CONFLICT DO NOTHING",
    )
    .bind(account)
    .bind(key)
    .bind(fingerprint)
    .bind(millis(now))
    .execute(db.pool())
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Claim::Owned);
    }
    let row = sqlx::query(
        "SELECT fingerprint, status, response_status, response_body FROM idempotency_keys \
         WHERE account_id = $1 AND idem_key = $2",
    )
    .bind(account)
    .bind(key)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        // Released between our insert and select: the caller may retry.
        return Ok(Claim::InProgress);
    };
    let stored: String = row.try_get("fingerprint")?;
    if stored != fingerprint {
        return Ok(Claim::Mismatch);
    }
    let status: String = row.try_get("status")?;
    if status != "done" {
        return Ok(Claim::InProgress);
    }
    Ok(Claim::Replay {
        status: u16::try_from(row.try_get::<i64, _>("response_status")?).unwrap_or(500),
        body: row.try_get("response_body")?,
    })
}

pub async fn complete(
    db: &Db,
    account: &str,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE idempotency_keys SET status = 'done', response_status = $1, response_body = $2 \
         WHERE account_id = $3 AND idem_key = $4",
    )
    .bind(i64::from(status))
    .bind(body)
    .bind(account)
    .bind(key)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Forgets a claim whose request failed on the server's side, so a retry can run.
pub async fn release(db: &Db, account: &str, key: &str) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM idempotency_keys WHERE account_id = $1 AND idem_key = $2")
        .bind(account)
        .bind(key)
        .execute(db.pool())
        .await?;
    Ok(())
}
