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

    /// What `forward` sent, with the (paused, virtual) time since the start.
    type Sent = Arc<Mutex<Vec<(Duration, u32)>>>;

    fn follow(rx: watch::Receiver<u32>, start: Instant) -> (Sent, tokio::task::JoinHandle<()>) {
        let sent: Sent = Arc::default();
        let log = sent.clone();
        let task = tokio::spawn(forward(rx, EVENT_INTERVAL, move |v| {
            log.lock().unwrap().push((start.elapsed(), v));
        }));
        (sent, task)
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_reaches_the_window_a_few_times_a_second_ending_with_its_last_value() {
        let start = Instant::now();
        let (tx, rx) = watch::channel(0u32);
        let (sent, task) = follow(rx, start);
        // A first sync: 200 changes, one every 10 ms, over 2 s.
        for n in 1..=200 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            tx.send_replace(n);
        }
        tokio::time::sleep(EVENT_INTERVAL * 2).await;
        drop(tx);
        task.await.unwrap();
        let sent = sent.lock().unwrap().clone();
        assert!(
            sent.len() <= 11,
            "{} events for 2 s of changes: {sent:?}",
            sent.len()
        );
        assert_eq!(sent.last().unwrap().1, 200, "the last value always arrives");
        assert!(sent.windows(2).all(|w| w[1].0 - w[0].0 >= EVENT_INTERVAL));
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_after_a_quiet_spell_goes_out_at_once() {
        let start = Instant::now();
        let (tx, rx) = watch::channel(0u32);
        let (sent, task) = follow(rx, start);
        tokio::time::sleep(Duration::from_secs(5)).await;
        tx.send_replace(1);
        tokio::time::sleep(Duration::from_millis(1)).await;
        drop(tx);
        task.await.unwrap();
        let sent = sent.lock().unwrap().clone();
        assert_eq!(sent, [(Duration::ZERO, 0), (Duration::from_secs(5), 1)]);
    }
}
