//! Sessions. An access token is a random bearer token valid for 15 minutes; a refresh
//! token is valid for 30 days and single-use: refreshing spends it and issues a new pair
//! in the same family. Presenting a spent refresh token means it leaked, so the whole
//! family (every access and refresh token descended from that login) is revoked.
//! Only SHA-256 hashes of tokens are stored.
//!
//! A refresh whose answer was lost (the connection dropped after the server committed)
//! is retried with the same, now spent, token. That retry is not a theft: the pair a
//! refresh issues is derived from the token it spends, so the server can answer the
//! retry with the same pair, as long as neither token of that pair has been presented
//! since (the caller never got it) and the retry comes within [`RETRY_WINDOW`]. Once
//! the pair has been used, the spent token coming back is reuse, and the family ends —
//! except within [`LATE_DUPLICATE`] of the refresh, when it is more likely the first
//! request arriving after its own retry: that one is refused without ending anything.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use jiff::{SignedDuration, Timestamp};
use rand::TryRngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;
use trade_model::AccountId;
use trade_model::ErrorCode;
use trade_model::entities::Role;

use crate::db::{Write, from_millis, millis};
use crate::error::HttpError;
use crate::state::AppState;

pub const ACCESS_TTL: SignedDuration = SignedDuration::from_secs(15 * 60);
pub const REFRESH_TTL: SignedDuration = SignedDuration::from_secs(30 * 86_400);
/// How long after a refresh its retry still gets the same answer (a laptop that lost
/// the answer and went to sleep overnight keeps its session).
pub const RETRY_WINDOW: SignedDuration = SignedDuration::from_secs(86_400);
/// How long after a refresh a copy of it that arrives late (a slow network delivering
/// the original after its retry was answered and used) is refused without revoking.
pub const LATE_DUPLICATE: SignedDuration = SignedDuration::from_secs(120);

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_token(prefix: &str) -> Result<String, HttpError> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(HttpError::internal)?;
    Ok(format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// The token of `kind` ("tca_" access or "tcr_" refresh) that refreshing `spent` issues.
/// `spent` is 256 random bits (or derived from them), so its successor is as hard to
/// guess; the server keeps only hashes, so it can recompute the pair only when the
/// spent token is presented again.
fn successor(spent: &str, prefix: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(b"trade-center refresh successor\0");
    digest.update(prefix.as_bytes());
    digest.update(b"\0");
    digest.update(spent.as_bytes());
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.finalize())
    )
}

pub struct IssuedTokens {
    pub access_token: String,
    pub access_expires_at: Timestamp,
    pub refresh_token: String,
}

/// Issues a new random access + refresh pair in `family` (a sign-in).
pub async fn issue(
    tx: &mut Write,
    account: AccountId,
    family: &str,
    now: Timestamp,
) -> Result<IssuedTokens, HttpError> {
    let access = random_token("tca_")?;
    let refresh = random_token("tcr_")?;
    record(tx, account, family, now, access, refresh).await
}

/// Stores the hashes of `access` and `refresh` as a new pair in `family`.
async fn record(
    tx: &mut Write,
    account: AccountId,
    family: &str,
    now: Timestamp,
    access: String,
    refresh: String,
) -> Result<IssuedTokens, HttpError> {
    let access_expires_at = now
        .saturating_add(ACCESS_TTL)
        .map_err(HttpError::internal)?;
    let refresh_expires_at = now
        .saturating_add(REFRESH_TTL)
        .map_err(HttpError::internal)?;
    sqlx::query(
        "INSERT INTO access_tokens (token_hash, family_id, account_id, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(hash_token(&access))
    .bind(family)
    .bind(account.to_string())
    .bind(millis(access_expires_at))
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, account_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash_token(&refresh))
    .bind(family)
    .bind(account.to_string())
    .bind(millis(now))
    .bind(millis(refresh_expires_at))
    .execute(tx.conn())
    .await?;
    Ok(IssuedTokens {
        access_token: access,
        access_expires_at,
        refresh_token: refresh,
    })
}

pub async fn revoke_family(tx: &mut Write, family: &str, now: Timestamp) -> Result<(), HttpError> {
    sqlx::query(
        "UPDATE access_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
    )
    .bind(millis(now))
    .bind(family)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
    )
    .bind(millis(now))
    .bind(family)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub enum RefreshOutcome {
    Rotated(AccountId, IssuedTokens),
    /// The token was already spent or revoked: the family is now revoked.
    Reused,
    /// The token was spent moments ago and its pair is in use: a late copy of that
    /// refresh. Refused; nothing revoked.
    Spent,
    Invalid,
}

/// Spends `token` and issues the next pair (derived from it), answers a retry of that
/// refresh with the same pair, or revokes the family on reuse.
pub async fn refresh(
    tx: &mut Write,
    token: &str,
    now: Timestamp,
) -> Result<RefreshOutcome, HttpError> {
    // Two rounds at most: a refresh racing its own retry on PostgreSQL (no table lock)
    // loses the `used_at IS NULL` update, and reads the winner's committed row again.
    for round in 0..2 {
        let row = sqlx::query(
            "SELECT family_id, account_id, expires_at, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1",
        )
        .bind(hash_token(token))
        .fetch_optional(tx.conn())
        .await?;
        let Some(row) = row else {
            return Ok(RefreshOutcome::Invalid);
        };
        let family: String = row.try_get("family_id")?;
        let account: String = row.try_get("account_id")?;
        let account: AccountId = account.parse().map_err(HttpError::internal)?;
        let expires_at: i64 = row.try_get("expires_at")?;
        let used_at: Option<i64> = row.try_get("used_at")?;
        let revoked_at: Option<i64> = row.try_get("revoked_at")?;
        if revoked_at.is_some() {
            revoke_family(tx, &family, now).await?;
            return Ok(RefreshOutcome::Reused);
        }
        if let Some(used_at) = used_at {
            if let Some(tokens) = unclaimed_successor(tx, token, used_at, now).await? {
                return Ok(RefreshOutcome::Rotated(account, tokens));
            }
            if i128::from(millis(now) - used_at) <= LATE_DUPLICATE.as_millis() {
                return Ok(RefreshOutcome::Spent);
            }
            revoke_family(tx, &family, now).await?;
            return Ok(RefreshOutcome::Reused);
        }
        if expires_at <= millis(now) {
            return Ok(RefreshOutcome::Invalid);
        }
        // Spend it. SQLite's write lock serialises refreshes; on PostgreSQL the row lock
        // makes a concurrent one wait here and then find the token spent.
        let spent = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
        )
        .bind(millis(now))
        .bind(hash_token(token))
        .execute(tx.conn())
        .await?;
        if spent.rows_affected() != 1 {
            if round == 0 {
                continue;
            }
            revoke_family(tx, &family, now).await?;
            return Ok(RefreshOutcome::Reused);
        }
        let tokens = record(
            tx,
            account,
            &family,
            now,
            successor(token, "tca_"),
            successor(token, "tcr_"),
        )
        .await?;
        return Ok(RefreshOutcome::Rotated(account, tokens));
    }
    Err(HttpError::internal(
        "a refresh token was spent and unspent between two reads",
    ))
}

/// The pair that spending `token` (at `used_at`) issued, if the caller can still be the
/// one that never got it: within [`RETRY_WINDOW`], neither token presented since, and
/// neither revoked.
async fn unclaimed_successor(
    tx: &mut Write,
    token: &str,
    used_at: i64,
    now: Timestamp,
) -> Result<Option<IssuedTokens>, HttpError> {
    if i128::from(millis(now) - used_at) > RETRY_WINDOW.as_millis() {
        return Ok(None);
    }
    let access = successor(token, "tca_");
    let refresh = successor(token, "tcr_");
    let row = sqlx::query(
        "SELECT a.expires_at FROM access_tokens a, refresh_tokens r \
         WHERE a.token_hash = $1 AND r.token_hash = $2 \
           AND a.used_at IS NULL AND a.revoked_at IS NULL \
           AND r.used_at IS NULL AND r.revoked_at IS NULL",
    )
    .bind(hash_token(&access))
    .bind(hash_token(&refresh))
    .fetch_optional(tx.conn())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let expires_at: i64 = row.try_get("expires_at")?;
    Ok(Some(IssuedTokens {
        access_token: access,
        access_expires_at: from_millis(expires_at),
        refresh_token: refresh,
    }))
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: AccountId,
    pub role: Role,
    pub family: String,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        // Found already by the throttle layer, for this very request.
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(user.clone());
        }
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                HttpError::unauthorized(ErrorCode::AuthMissingToken, "Sign in first.")
            })?;
        let token = header.strip_prefix("Bearer ").ok_or_else(|| {
            HttpError::unauthorized(ErrorCode::AuthMissingToken, "Sign in first.")
        })?;
        let row = sqlx::query(
            "SELECT t.account_id, t.family_id, t.expires_at, t.revoked_at, t.used_at, a.role \
             FROM access_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = $1",
        )
        .bind(hash_token(token))
        .fetch_optional(state.db.pool())
        .await?;
        let invalid = || {
            HttpError::unauthorized(
                ErrorCode::AuthInvalidToken,
                "Your session has expired; sign in again.",
            )
        };
        let row = row.ok_or_else(invalid)?;
        let expires_at: i64 = row.try_get("expires_at")?;
        let revoked_at: Option<i64> = row.try_get("revoked_at")?;
        if revoked_at.is_some() || expires_at <= millis(state.now()) {
            return Err(invalid());
        }
        let used_at: Option<i64> = row.try_get("used_at")?;
        if used_at.is_none() {
            // First use: from now on the refresh that issued this token is spent for
            // good (its retry would be reuse). One write per token's lifetime.
            let mut tx = state.db.begin().await?;
            sqlx::query(
                "UPDATE access_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
            )
            .bind(millis(state.now()))
            .bind(hash_token(token))
            .execute(tx.conn())
            .await?;
            tx.commit().await?;
        }
        let id: String = row.try_get("account_id")?;
        let role: String = row.try_get("role")?;
        Ok(AuthUser {
            id: id.parse().map_err(HttpError::internal)?,
            role: Role::parse(&role).ok_or_else(|| HttpError::internal("unknown role"))?,
            family: row.try_get("family_id")?,
        })
    }
}
