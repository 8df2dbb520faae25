//! The pace at which engine events reach the window. A first sync changes the cache a
//! thousand records at a time, many times a second; each change makes the window re-read
//! and redraw what it shows. The window needs the latest state, not every step: a change
//! after a quiet spell goes out at once, and a burst goes out at most once per interval,
//! always ending with its last value.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// How often, at most, the window hears of status changes or of a changed cache.
pub const EVENT_INTERVAL: Duration = Duration::from_millis(250);

/// Calls `send` with the current value of `rx`, then with the latest value after each
/// change, at most once per `every`. Returns when the sender is gone.
pub async fn forward<T: Clone>(
    mut rx: watch::Receiver<T>,
    every: Duration,
    mut send: impl FnMut(T),
) {
    loop {
        let now = rx.borrow_and_update().clone();
        send(now);
        let next = Instant::now() + every;
        if rx.changed().await.is_err() {
            return;
        }
        // Changes until then are folded into the value read at the top.
        tokio::time::sleep_until(next).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::sync::{Arc, Mutex};

    /// What `forward` sent, with when.
    type Sent = Arc<Mutex<Vec<(Instant, u32)>>>;

    fn follow(rx: watch::Receiver<u32>, every: Duration) -> (Sent, tokio::task::JoinHandle<()>) {
        let sent: Sent = Arc::default();
        let log = sent.clone();
        let task = tokio::spawn(forward(rx, every, move |v| {
            log.lock().unwrap().push((Instant::now(), v));
        }));
        (sent, task)
    }

    /// Polls until `forward` has sent `value`, for at most 10 s.
    async fn until_sent(sent: &Sent, value: u32) -> Instant {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some((at, _)) = sent.lock().unwrap().iter().find(|(_, v)| *v == value) {
                return *at;
            }
            assert!(Instant::now() < deadline, "{value} was never sent");
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn a_burst_reaches_the_window_at_the_interval_ending_with_its_last_value() {
        let every = Duration::from_millis(100);
        let (tx, rx) = watch::channel(0u32);
        let (sent, task) = follow(rx, every);
        // A first sync: changes as fast as they come, for half a second.
        let start = Instant::now();
        let mut n = 0;
        while start.elapsed() < Duration::from_millis(500) {
            n += 1;
            tx.send_replace(n);
            tokio::task::yield_now().await;
        }
        until_sent(&sent, n).await;
        let elapsed = start.elapsed();
        drop(tx);
        task.await.unwrap();
        let sent = sent.lock().unwrap().clone();
        assert!(n > 100, "{n} changes");
        let most = (elapsed.as_millis() / every.as_millis()) as usize + 2;
        assert!(sent.len() <= most, "{} events for {n} changes", sent.len());
        assert!(sent.windows(2).all(|w| w[1].0 - w[0].0 >= every));
        assert_eq!(sent.last().unwrap().1, n, "the last value always arrives");
    }

    #[tokio::test]
    async fn a_change_after_a_quiet_spell_is_not_held_back() {
        let every = Duration::from_secs(1);
        let (tx, rx) = watch::channel(0u32);
        let (sent, task) = follow(rx, every);
        let first = until_sent(&sent, 0).await;
        // A quiet spell: an interval with no change.
        tokio::time::sleep_until(first + every).await;
        let changed = Instant::now();
        tx.send_replace(1);
        let at = until_sent(&sent, 1).await;
        drop(tx);
        task.await.unwrap();
        assert!(
            at - changed < every / 2,
            "held back {:?} after a quiet spell",
            at - changed
        );
    }
}
