//! Sliding-window limits on login attempts, per client IP and per account, in memory.
//! Each server instance keeps its own window; behind a load balancer the effective limit
//! is per instance, which still stops a burst.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, VecDeque<Timestamp>>>,
}

impl RateLimiter {
    /// Records an attempt under `key` and says whether it is within `limit` attempts per
    /// `window`. Refused attempts are not recorded, so waiting always helps. On refusal
    /// returns how long until the next attempt is allowed.
    pub fn check(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_applies_within_the_window_and_lifts_after_it() {
        let rl = RateLimiter::default();
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let w = SignedDuration::from_secs(60);
        for _ in 0..3 {
            assert!(rl.check("k", 3, w, t0).is_ok());
        }
        let retry = rl.check("k", 3, w, t0).unwrap_err();
        assert_eq!(retry, w);
        assert!(rl.check("other", 3, w, t0).is_ok(), "keys are independent");
        assert!(
            rl.check("k", 3, w, t0 + SignedDuration::from_secs(60))
                .is_ok()
        );
    }
}
