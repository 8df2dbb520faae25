//! Sessions. An access token is a random bearer token valid for 15 minutes; a refresh
//! token is valid for 30 days and single-use: refreshing spends it and issues a new pair
//! in the same family. Presenting a spent refresh token means it leaked, so the whole
//! family (every access and refresh token descended from that login) is revoked.
//! Only SHA-256 hashes of tokens are stored.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use jiff::{SignedDuration, Timestamp};
use rand::TryRngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;
use trade_model::AccountId;
use trade_model::entities::Role;

use crate::db::{Write, millis};
use crate::error::ApiError;
use crate::state::AppState;

pub const ACCESS_TTL: SignedDuration = SignedDuration::from_secs(15 * 60);
pub const REFRESH_TTL: SignedDuration = SignedDuration::from_secs(30 * 86_400);

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_token(prefix: &str) -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(ApiError::internal)?;
    Ok(format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

pub struct IssuedTokens {
    pub access_token: String,
    pub access_expires_at: Timestamp,
    pub refresh_token: String,
}

/// Issues a new access + refresh pair in `family`.
pub async fn issue(
    tx: &mut Write,
    account: AccountId,
    family: &str,
    now: Timestamp,
) -> Result<IssuedTokens, ApiError> {
    let access = random_token("tca_")?;
    let refresh = random_token("tcr_")?;
    let access_expires_at = now.saturating_add(ACCESS_TTL).map_err(ApiError::internal)?;
    let refresh_expires_at = now
        .saturating_add(REFRESH_TTL)
        .map_err(ApiError::internal)?;
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

pub async fn revoke_family(tx: &mut Write, family: &str, now: Timestamp) -> Result<(), ApiError> {
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
    Invalid,
}

/// Spends `token` and issues the next pair, or revokes the family on reuse.
pub async fn refresh(
    tx: &mut Write,
    token: &str,
    now: Timestamp,
) -> Result<RefreshOutcome, ApiError> {
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
    let expires_at: i64 = row.try_get("expires_at")?;
    let used_at: Option<i64> = row.try_get("used_at")?;
    let revoked_at: Option<i64> = row.try_get("revoked_at")?;
    if used_at.is_some() || revoked_at.is_some() {
        revoke_family(tx, &family, now).await?;
        return Ok(RefreshOutcome::Reused);
    }
    if expires_at <= millis(now) {
        return Ok(RefreshOutcome::Invalid);
    }
    // Spend it; the `used_at IS NULL` guard makes two concurrent refreshes with the same
    // token produce one winner and one reuse.
    let spent = sqlx::query(
        "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(millis(now))
    .bind(hash_token(token))
    .execute(tx.conn())
    .await?;
    if spent.rows_affected() != 1 {
        revoke_family(tx, &family, now).await?;
        return Ok(RefreshOutcome::Reused);
    }
    let account: AccountId = account.parse().map_err(ApiError::internal)?;
    let tokens = issue(tx, account, &family, now).await?;
    Ok(RefreshOutcome::Rotated(account, tokens))
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: AccountId,
    pub role: Role,
    pub family: String,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::unauthorized("auth.missing_token", "Sign in first."))?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(|| ApiError::unauthorized("auth.missing_token", "Sign in first."))?;
        let row = sqlx::query(
            "SELECT t.account_id, t.family_id, t.expires_at, t.revoked_at, a.role \
             FROM access_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = $1",
        )
        .bind(hash_token(token))
        .fetch_optional(state.db.pool())
        .await?;
        let invalid = || {
            ApiError::unauthorized(
                "auth.invalid_token",
                "Your session has expired; sign in again.",
            )
        };
        let row = row.ok_or_else(invalid)?;
        let expires_at: i64 = row.try_get("expires_at")?;
        let revoked_at: Option<i64> = row.try_get("revoked_at")?;
        if revoked_at.is_some() || expires_at <= millis(state.now()) {
            return Err(invalid());
        }
        let id: String = row.try_get("account_id")?;
        let role: String = row.try_get("role")?;
        Ok(AuthUser {
            id: id.parse().map_err(ApiError::internal)?,
            role: Role::parse(&role).ok_or_else(|| ApiError::internal("unknown role"))?,
            family: row.try_get("family_id")?,
        })
    }
}
