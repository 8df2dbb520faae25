//! Request budgets: each signed-in account, and each client IP for the requests sent
//! without a valid session (sign-in excepted: it has its own, stricter limits in
//! `auth::rate_limit`), may send `requests` requests in any `window_secs` seconds
//! (counted in whole seconds of the server's clock). A request over budget is answered
//! 429 `request.rate_limited` with `Retry-After`: the seconds until the oldest counted
//! second leaves the window. Refused requests are not counted, so waiting always helps.
//! Health, readiness and metrics are never counted nor refused.
//!
//! Where the counts live follows the database. On the embedded SQLite default one
//! instance serves, and they are kept in its memory. On PostgreSQL several instances may
//! serve one account behind a balancer: each counts in memory and, about every second,
//! adds its new counts to `request_counts` (one upsert statement per sync, not one write
//! per request) and reads back the cluster's totals for the keys it has seen in the
//! window. A decision uses the last known cluster total plus this instance's counts not
//! yet synced.
//!
//! Overshoot bound: what an instance counts but has not synced is unknown to the others.
//! An instance holds at most [`RequestBudget::unsynced_cap`] (an eighth of the budget)
//! unsynced requests per key: a request that would take it over that first waits for a
//! sync (at most [`MAX_SYNC_WAIT`]; then it is decided on what is known). So with N
//! instances a key is admitted at most `requests + N × unsynced_cap` requests per
//! window (2,000 + N × 250 with the defaults), never N × the budget; a lone instance is
//! exact. When the database cannot be reached, counts stay in memory and are added at
//! the next sync that succeeds.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use sqlx::Row;
use tokio::sync::{Notify, watch};
use trade_model::ErrorCode;

use crate::auth::AuthUser;
use crate::db::{Backend, Db};
use crate::error::HttpError;
use crate::state::AppState;

/// How often an instance on PostgreSQL adds its counts to the shared table and reads the
/// cluster's totals back (sooner when a key reaches its unsynced cap).
pub const SYNC_EVERY: Duration = Duration::from_secs(1);

/// The longest a request waits for a sync once its key's unsynced cap is reached.
pub const MAX_SYNC_WAIT: Duration = Duration::from_secs(2);

/// Keys (accounts or IPs) with counts in memory above which idle ones are dropped at
/// once rather than at the next sync (bounded memory under a flood of distinct IPs).
const MAX_KEYS: usize = 100_000;

/// Rows (keys) per statement when syncing: 3 parameters each, well under PostgreSQL's
/// 65,535.
const ROWS_PER_STATEMENT: usize = 1_000;

/// How long after leaving every window a shared count is deleted (slack for instances
/// whose clocks disagree a little).
const KEEP_EXTRA_SECS: i64 = 60;

/// Requests allowed per key in any window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestBudget {
    /// Requests per window; 0 turns throttling off.
    pub requests: u32,
    /// The window, in whole seconds (at least 1).
    pub window_secs: u32,
}

impl Default for RequestBudget {
    /// 2,000 requests in any 10 seconds: 200 per second. The most one desktop sends is a
    /// first sync of a large account, page after page: at the target pace (100,000
    /// records/s in pages of 1,000) that is 100 requests a second, half the budget, so a
    /// buyer's first sync is never slowed by it; a client sending more is not a person.
    fn default() -> Self {
        RequestBudget {
            requests: 2_000,
            window_secs: 10,
        }
    }
}

impl RequestBudget {
    /// No throttling (benchmarks, and tests that push harder than any person).
    pub const OFF: RequestBudget = RequestBudget {
        requests: 0,
        window_secs: 1,
    };

    fn is_off(&self) -> bool {
        self.requests == 0
    }

    fn window(&self) -> i64 {
        i64::from(self.window_secs.max(1))
    }

    /// Requests one instance may admit per key before its counts are synced: an eighth
    /// of the budget, at least one. This bounds the overshoot (module docs).
    pub fn unsynced_cap(&self) -> u64 {
        (u64::from(self.requests) / 8).max(1)
    }
}

/// One second's count of a key.
#[derive(Debug, Default, Clone, Copy)]
struct Count {
    /// The cluster's total as last read (this instance's synced counts included).
    cluster: u64,
    /// Taken by the sync under way: written, or about to be, not yet read back.
    in_flight: u64,
    /// Counted here since the last sync began.
    pending: u64,
}

impl Count {
    fn total(&self) -> u64 {
        self.cluster + self.in_flight + self.pending
    }

    fn unsynced(&self) -> u64 {
        self.in_flight + self.pending
    }
}

/// A key's counts by Unix second.
type Seconds = BTreeMap<i64, Count>;

enum Verdict {
    Admit,
    /// Over budget: retry after this many seconds (at least 1).
    Refuse(u64),
    /// The key's unsynced cap is reached: sync first, then decide.
    SyncFirst,
}

/// The budgets of every key this instance has seen in the window.
pub struct Throttle {
    budget: RequestBudget,
    counts: Mutex<HashMap<String, Seconds>>,
    /// PostgreSQL: the database every instance shares.
    shared: Option<Db>,
    /// Bumped when a sync ends (whether it reached the database or not).
    synced: watch::Sender<u64>,
    /// Asks the sync task for a sync now.
    sync_soon: Notify,
}

impl Throttle {
    /// Counts shared through `db` on PostgreSQL, kept in memory on SQLite.
    pub fn for_database(db: &Db, budget: RequestBudget) -> Self {
        Throttle {
            budget,
            counts: Mutex::new(HashMap::new()),
            shared: (db.backend() == Backend::Postgres && !budget.is_off()).then(|| db.clone()),
            synced: watch::channel(0).0,
            sync_soon: Notify::new(),
        }
    }

    pub fn budget(&self) -> RequestBudget {
        self.budget
    }

    /// Counts a request under `key` at `now` if the key's budget allows it; otherwise
    /// `Err(seconds)` to wait before the next one may be admitted.
    pub async fn check(&self, key: &str, now: Timestamp) -> Result<(), u64> {
        if self.budget.is_off() {
            return Ok(());
        }
        // Hashed: keys hold IP addresses, and the shared table stores what is kept here.
        let key = hex::encode(Sha256::digest(key.as_bytes()));
        let deadline = tokio::time::Instant::now() + MAX_SYNC_WAIT;
        let mut may_wait = self.shared.is_some();
        loop {
            // Subscribed before deciding, so a sync that ends meanwhile is not missed.
            let mut synced = self.synced.subscribe();
            match self.decide(&key, now, may_wait) {
                Verdict::Admit => return Ok(()),
                Verdict::Refuse(secs) => return Err(secs),
                Verdict::SyncFirst => {
                    self.sync_soon.notify_one();
                    let ended = tokio::time::timeout_at(deadline, synced.changed()).await;
                    if !matches!(ended, Ok(Ok(()))) {
                        // No sync in time (or none running): decide on what is known.
                        may_wait = false;
                    }
                }
            }
        }
    }

    fn decide(&self, key: &str, now: Timestamp, may_wait: bool) -> Verdict {
        let second = now.as_second();
        let window = self.budget.window();
        let first = second - window + 1;
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.len() > MAX_KEYS {
            forget_before(&mut counts, first);
        }
        let seconds = counts.entry(key.to_owned()).or_default();
        *seconds = seconds.split_off(&first);
        let total: u64 = seconds.values().map(Count::total).sum();
        if total >= u64::from(self.budget.requests) {
            let oldest = seconds
                .iter()
                .find(|(_, c)| c.total() > 0)
                .map_or(second, |(s, _)| *s);
            // The oldest counted second leaves the window at the start of `oldest + window`.
            let wait_ms = (oldest + window) * 1000 - now.as_millisecond();
            let secs = u64::try_from(wait_ms.max(0)).unwrap_or(0).div_ceil(1000);
            return Verdict::Refuse(secs.max(1));
        }
        if may_wait {
            let unsynced: u64 = seconds.values().map(Count::unsynced).sum();
            if unsynced >= self.budget.unsynced_cap() {
                return Verdict::SyncFirst;
            }
        }
        seconds.entry(second).or_default().pending += 1;
        Verdict::Admit
    }

    /// Syncs with the other instances (PostgreSQL) every [`SYNC_EVERY`], or sooner when
    /// asked, until `stopped` turns true. Returns at once without a shared database.
    pub async fn run_sync(state: AppState, mut stopped: watch::Receiver<bool>) {
        let throttle = &state.throttle;
        let Some(db) = &throttle.shared else {
            return;
        };
        let mut every = tokio::time::interval(SYNC_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut cleaned_at = i64::MIN;
        loop {
            tokio::select! {
                _ = every.tick() => {}
                () = throttle.sync_soon.notified() => {}
                _ = stopped.changed() => return,
            }
            if *stopped.borrow() {
                return;
            }
            let now = state.now();
            if let Err(err) = throttle.sync(db, now).await {
                tracing::warn!(%err, "request counts not synced; kept for the next sync");
            }
            throttle.synced.send_modify(|n| *n = n.wrapping_add(1));
            let first = now.as_second() - throttle.budget.window() + 1;
            if first.saturating_sub(cleaned_at) >= throttle.budget.window() {
                cleaned_at = first;
                let deleted = sqlx::query("DELETE FROM request_counts WHERE slot < $1")
                    .bind(first - KEEP_EXTRA_SECS)
                    .execute(db.pool())
                    .await;
                if let Err(err) = deleted {
                    tracing::warn!(%err, "old request counts not deleted; next time");
                }
            }
        }
    }

    /// Adds this instance's pending counts to the shared table, then reads the cluster's
    /// totals back for every key it has counts for in the window.
    async fn sync(&self, db: &Db, now: Timestamp) -> Result<(), sqlx::Error> {
        let first = now.as_second() - self.budget.window() + 1;
        let mut rows: Vec<(String, i64, u64)> = Vec::new();
        let keys: Vec<String> = {
            let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            forget_before(&mut counts, first);
            for (key, seconds) in counts.iter_mut() {
                for (second, count) in seconds.iter_mut().filter(|(_, c)| c.pending > 0) {
                    count.in_flight += count.pending;
                    rows.push((key.clone(), *second, count.pending));
                    count.pending = 0;
                }
            }
            counts.keys().cloned().collect()
        };
        if keys.is_empty() {
            return Ok(());
        }
        // Sorted, so two instances upserting the same rows lock them in the same order.
        rows.sort();
        if let Err(err) = write_counts(db, &rows).await {
            // Nothing was written (one transaction): counted again at the next sync.
            self.settle(|c| {
                c.pending += c.in_flight;
                c.in_flight = 0;
            });
            return Err(err);
        }
        let totals = match read_totals(db, &keys, first).await {
            Ok(totals) => totals,
            Err(err) => {
                // Written: the counts are the cluster's now, as far as this one knows.
                self.settle(|c| {
                    c.cluster += c.in_flight;
                    c.in_flight = 0;
                });
                return Err(err);
            }
        };
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        for key in &keys {
            let Some(seconds) = counts.get_mut(key) else {
                continue;
            };
            for count in seconds.values_mut() {
                count.cluster = 0;
                count.in_flight = 0;
            }
            if let Some(read) = totals.get(key) {
                for (second, total) in read {
                    seconds.entry(*second).or_default().cluster = *total;
                }
            }
        }
        Ok(())
    }

    fn settle(&self, mut f: impl FnMut(&mut Count)) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts
            .values_mut()
            .flat_map(|s| s.values_mut())
            .for_each(&mut f);
    }
}

/// Drops the seconds before `first`, and the keys left with none.
fn forget_before(counts: &mut HashMap<String, Seconds>, first: i64) {
    counts.retain(|_, seconds| {
        *seconds = seconds.split_off(&first);
        !seconds.is_empty()
    });
}

/// Adds `rows` (key, second, count) to the shared counts, all or nothing.
async fn write_counts(db: &Db, rows: &[(String, i64, u64)]) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut tx = db.pool().begin().await?;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO request_counts (key, slot, count) VALUES {} \
             ON CONFLICT (key, slot) DO UPDATE SET count = request_counts.count + EXCLUDED.count",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (key, second, count) in chunk {
            query = query
                .bind(key.clone())
                .bind(*second)
                .bind(i64::try_from(*count).unwrap_or(i64::MAX));
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// The cluster's counts of `keys` by second, from `first` on.
async fn read_totals(
    db: &Db,
    keys: &[String],
    first: i64,
) -> Result<HashMap<String, Vec<(i64, u64)>>, sqlx::Error> {
    let mut totals: HashMap<String, Vec<(i64, u64)>> = HashMap::new();
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT key, slot, count FROM request_counts WHERE slot >= $1 AND key IN ({})",
            list.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(first);
        for key in chunk {
            query = query.bind(key.clone());
        }
        for row in query.fetch_all(db.pool()).await? {
            let key: String = row.try_get("key")?;
            let second: i64 = row.try_get("slot")?;
            let count: i64 = row.try_get("count")?;
            totals
                .entry(key)
                .or_default()
                .push((second, u64::try_from(count).unwrap_or(0)));
        }
    }
    Ok(totals)
}

/// Routes never counted nor refused: a balancer's and a monitor's probes. `method` as
/// in HTTP (any case), `path` as requested or as its OpenAPI template.
pub fn is_exempt(method: &str, path: &str) -> bool {
    matches!(path, "/v1/health" | "/v1/ready" | "/metrics")
        // Sign-in has its own limits (per IP and per account, shared the same way).
        || (method.eq_ignore_ascii_case("POST") && path == "/v1/sessions")
}

/// The layer: finds whose request it is (the session's account, else the client's IP),
/// and answers 429 when that key is over budget. A session found here is handed to the
/// handler (see `AuthUser`), so it is looked up once.
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.throttle.budget.is_off() || is_exempt(request.method().as_str(), request.uri().path())
    {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let mut key = None;
    if parts
        .headers
        .contains_key(axum::http::header::AUTHORIZATION)
    {
        // A refused or failed lookup is the handler's to answer; the IP pays for it.
        if let Ok(user) = AuthUser::from_request_parts(&mut parts, &state).await {
            key = Some(format!("account:{}", user.id));
            parts.extensions.insert(user);
        }
    }
    let key = key.unwrap_or_else(|| match parts.extensions.get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(peer)) => format!("ip:{}", peer.ip()),
        None => "ip:unknown".to_owned(),
    });
    if let Err(secs) = state.throttle.check(&key, state.now()).await {
        return too_many(secs).into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

fn too_many(secs: u64) -> HttpError {
    HttpError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RequestRateLimited,
        format!("Too many requests; try again in {secs} seconds."),
    )
    .with_details(serde_json::json!({ "retry_after_secs": secs }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(requests: u32, window_secs: u32) -> Throttle {
        Throttle {
            budget: RequestBudget {
                requests,
                window_secs,
            },
            counts: Mutex::new(HashMap::new()),
            shared: None,
            synced: watch::channel(0).0,
            sync_soon: Notify::new(),
        }
    }

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a timestamp")
    }

    #[tokio::test]
    async fn a_key_gets_its_budget_per_window_and_the_oldest_second_frees_room() {
        let t = throttle(3, 10);
        let t0 = at("2026-01-01T00:00:00.250Z");
        assert!(t.check("a", t0).await.is_ok());
        let t1 = at("2026-01-01T00:00:04Z");
        assert!(t.check("a", t1).await.is_ok());
        assert!(t.check("a", t1).await.is_ok());
        // The second counted at 00:00:00 leaves the window at 00:00:10.
        assert_eq!(t.check("a", t1).await, Err(6));
        assert!(t.check("b", t1).await.is_ok(), "keys are independent");
        assert_eq!(
            t.check("a", at("2026-01-01T00:00:09.500Z")).await,
            Err(1),
            "a fraction of a second rounds up"
        );
        assert!(t.check("a", at("2026-01-01T00:00:10Z")).await.is_ok());
        assert!(t.check("a", at("2026-01-01T00:00:10Z")).await.is_err());
    }

    #[tokio::test]
    async fn refusals_are_not_counted_and_off_means_off() {
        let t = throttle(1, 1);
        let t0 = at("2026-01-01T00:00:00Z");
        assert!(t.check("a", t0).await.is_ok());
        for _ in 0..10 {
            assert_eq!(t.check("a", t0).await, Err(1));
        }
        assert!(t.check("a", at("2026-01-01T00:00:01Z")).await.is_ok());
        let off = throttle(0, 1);
        for _ in 0..1000 {
            assert!(off.check("a", t0).await.is_ok());
        }
    }

    #[test]
    fn probes_and_sign_in_are_exempt_and_nothing_else() {
        assert!(is_exempt("GET", "/v1/health"));
        assert!(is_exempt("GET", "/v1/ready"));
        assert!(is_exempt("GET", "/metrics"));
        assert!(is_exempt("POST", "/v1/sessions"));
        assert!(!is_exempt("POST", "/v1/sessions/refresh"));
        assert!(!is_exempt("GET", "/v1/sync/pull"));
    }
}
