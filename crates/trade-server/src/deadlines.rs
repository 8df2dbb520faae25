//! The deadline engine: applies every order's automatic deadline once it has passed
//! (auto-cancel unconfirmed after 30 days and unpaid after 60, expire uncleared
//! payments, auto-complete at the receipt deadline, escalate disputes on day 7). Time
//! comes from the injected clock, so tests move it instead of waiting.

use std::time::Duration;
use trade_model::ErrorCode;

use tokio::sync::watch;
use trade_model::order::OrderAction;

use crate::error::HttpError;
use crate::orders::act_as_system;
use crate::state::AppState;
use crate::store;

/// Longest real-time sleep between scans; also bounds how late a deadline fires after
/// another instance changed an order.
const MAX_SLEEP: Duration = Duration::from_secs(30);

/// Applies every deadline due now; returns how many orders changed. Each call and each
/// deadline applied are counted in the metrics.
pub async fn run_due(state: &AppState) -> Result<usize, HttpError> {
    state.metrics.deadline_run();
    let mut changed = 0;
    loop {
        let now = state.now();
        let due = store::orders::due(&state.db, now, 100).await?;
        if due.is_empty() {
            return Ok(changed);
        }
        let batch = due.len();
        let mut progressed = false;
        for id in due {
            match act_as_system(state, id, OrderAction::ApplyDeadline).await {
                Ok(order) => {
                    tracing::info!(order = %id, status = order.status.as_str(), "deadline applied");
                    state.metrics.deadline_applied();
                    changed += 1;
                    progressed = true;
                }
                // Another instance or a user got there first; the next scan sees the new state.
                Err(err) if err.code == ErrorCode::OrderConcurrentChange => {}
                Err(err) => tracing::warn!(order = %id, code = %err.code, "deadline not applied"),
            }
        }
        if batch < 100 || !progressed {
            return Ok(changed);
        }
    }
}

/// Pushed-mutation results and idempotency keys are kept this long: far longer than a
/// client may stay offline and still expect its queue to replay exactly once (90 days).
pub const KEEP_REPLAYS: jiff::SignedDuration = jiff::SignedDuration::from_hours(180 * 24);

/// Runs the engine until `stop` turns true. Also forgets replay records older than
/// [`KEEP_REPLAYS`], once an hour.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let clock_changed = state.clock.changed();
    let mut last_purge: Option<std::time::Instant> = None;
    loop {
        if let Err(err) = run_due(&state).await {
            tracing::warn!(code = %err.code, message = %err.message, "deadline scan failed");
        }
        if last_purge.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
            last_purge = Some(std::time::Instant::now());
            let before = state
                .now()
                .saturating_sub(KEEP_REPLAYS)
                .unwrap_or(state.now());
            match store::sync::purge_before(&state.db, before).await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "purged old replay records"),
                Ok(_) => {}
                Err(err) => tracing::warn!(%err, "purging replay records failed"),
            }
        }
        let sleep = match store::orders::earliest_deadline(&state.db).await {
            Ok(Some(at)) => {
                let wait = at.duration_since(state.now());
                Duration::try_from(wait)
                    .unwrap_or(Duration::ZERO)
                    .min(MAX_SLEEP)
            }
            _ => MAX_SLEEP,
        };
        let clock = async {
            match &clock_changed {
                Some(n) => n.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = tokio::time::sleep(sleep.max(Duration::from_millis(10))) => {}
            () = state.deadlines_changed.notified() => {}
            () = clock => {}
            _ = stop.changed() => return,
        }
    }
}
