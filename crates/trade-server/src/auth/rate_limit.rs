//! Sliding-window limits on login attempts, per client IP and per account.
//!
//! Where the window lives follows the database: on the embedded SQLite default one
//! instance serves, and the windows are kept in its memory; on PostgreSQL several
//! instances may serve behind a balancer, and the windows are kept in the database, so
//! N instances still allow the limit once, not N times. Either way a refused attempt is
//! not recorded (waiting always helps) and a refusal says how long to wait.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::db::{Backend, Db, millis};

#[derive(Debug)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, VecDeque<Timestamp>>>,
    /// PostgreSQL: the database every instance shares.
    shared: Option<Db>,
}

impl Default for RateLimiter {
    /// Windows in this process's memory.
    fn default() -> Self {
        RateLimiter {
            windows: Mutex::new(HashMap::new()),
            shared: None,
        }
    }
}

impl RateLimiter {
    /// Windows where every instance on `db` sees them: in the database on PostgreSQL, in
    /// memory on SQLite (one instance).
    pub fn for_database(db: &Db) -> Self {
        RateLimiter {
            shared: (db.backend() == Backend::Postgres).then(|| db.clone()),
            ..RateLimiter::default()
        }
    }

    /// Records an attempt under `key` if it is within `limit` attempts per `window`;
    /// otherwise `Ok(Err(wait))` with how long until the next attempt is allowed.
    pub async fn check(
        &self,
        key: &str,
        limit: usize,
        window: SignedDuration,
        now: Timestamp,
    ) -> Result<Result<(), SignedDuration>, sqlx::Error> {
        match &self.shared {
            Some(db) => check_shared(db, key, limit, window, now).await,
            None => Ok(self.check_here(key, limit, window, now)),
        }
    }

    fn check_here(
        &self,
        key: &str,
        limit: usize,
        window: SignedDuration,
        now: Timestamp,
    ) -> Result<(), SignedDuration> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > 100_000 {
            // Bounded memory under a flood of distinct keys: drop idle windows.
            windows.retain(|_, w| w.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let attempts = windows.entry(key.to_owned()).or_default();
        while attempts
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            attempts.pop_front();
        }
        if attempts.len() >= limit {
            let oldest = attempts.front().copied().unwrap_or(now);
            return Err(window - now.duration_since(oldest));
        }
        attempts.push_back(now);
        Ok(())
    }
}

/// The window in the database (PostgreSQL). Attempts on one key are serialised by a
/// transaction-scoped advisory lock on the key, so two instances never both take the
/// last allowed attempt. Keys are stored as SHA-256 (they hold emails and IPs). Every
/// check also drops attempts older than the window, whatever their key: the table holds
/// about one window of attempts and needs no other cleaning.
async fn check_shared(
    db: &Db,
    key: &str,
    limit: usize,
    window: SignedDuration,
    now: Timestamp,
) -> Result<Result<(), SignedDuration>, sqlx::Error> {
    let key = hex::encode(Sha256::digest(key.as_bytes()));
    let since = millis(now) - window.as_millis() as i64;
    let mut w = db.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(&key)
        .execute(w.conn())
        .await?;
    sqlx::query("DELETE FROM login_attempts WHERE at <= $1")
        .bind(since)
        .execute(w.conn())
        .await?;
    let row = sqlx::query(
        "SELECT COUNT(*) AS attempts, MIN(at) AS oldest FROM login_attempts WHERE key = $1",
    )
    .bind(&key)
    .fetch_one(w.conn())
    .await?;
    let attempts: i64 = row.try_get("attempts")?;
    if attempts >= limit as i64 {
        let oldest: i64 = row
            .try_get::<Option<i64>, _>("oldest")?
            .unwrap_or(millis(now));
        w.rollback().await?;
        return Ok(Err(
            window - SignedDuration::from_millis(millis(now).saturating_sub(oldest))
        ));
    }
    sqlx::query("INSERT INTO login_attempts (key, at) VALUES ($1, $2)")
        .bind(&key)
        .bind(millis(now))
        .execute(w.conn())
        .await?;
    w.commit().await?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_applies_within_the_window_and_lifts_after_it() {
        let rl = RateLimiter::default();
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let w = SignedDuration::from_secs(60);
        for _ in 0..3 {
            assert!(rl.check_here("k", 3, w, t0).is_ok());
        }
        let retry = rl.check_here("k", 3, w, t0).unwrap_err();
        assert_eq!(retry, w);
        assert!(
            rl.check_here("other", 3, w, t0).is_ok(),
            "keys are independent"
        );
        assert!(
            rl.check_here("k", 3, w, t0 + SignedDuration::from_secs(60))
                .is_ok()
        );
    }
}
