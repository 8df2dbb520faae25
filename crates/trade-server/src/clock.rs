//! Time as a dependency. The server never reads the system clock directly, so tests can
//! move time and watch deadlines fire.

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};
use tokio::sync::Notify;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
    /// Woken whenever time jumps (test clocks); the deadline engine waits on it as well
    /// as on its timer.
    fn changed(&self) -> Option<Arc<Notify>> {
        None
    }
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until a test moves it.
#[derive(Debug, Clone)]
pub struct TestClock {
    now: Arc<Mutex<Timestamp>>,
    changed: Arc<Notify>,
}

impl TestClock {
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
            changed: Arc::new(Notify::new()),
        }
    }

    pub fn advance(&self, by: SignedDuration) {
        {
            let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
            *now = now.saturating_add(by).unwrap_or(Timestamp::MAX);
        }
        self.changed.notify_waiters();
    }

    pub fn set(&self, to: Timestamp) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
        self.changed.notify_waiters();
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn changed(&self) -> Option<Arc<Notify>> {
        Some(self.changed.clone())
    }
}
