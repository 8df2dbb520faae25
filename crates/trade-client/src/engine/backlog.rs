//! The search backlog indexed behind the sync (`store/search.rs`): short transactions on
//! the blocking pool one after another while records wait, then asleep until a first
//! sync ends.

use std::time::Duration;

use tokio::sync::watch;

use super::Engine;

/// Records per transaction: short enough that a pulled page (a notification) or a read
/// of the window waits a few milliseconds for it (2,000 held them back by a p50 of
/// 155 ms in `bench-reports/client-sync.md`), long enough to amortise the commit.
const CHUNK: usize = 250;

/// After a failed step (a full disk, say), the next try.
const RETRY: Duration = Duration::from_secs(30);

impl Engine {
    /// Runs until `stop` turns true.
    pub(super) async fn index_backlog(&self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            // A step runs between sync rounds, never during one: a round (a pulled
            // message, its notification) waits for at most one step, and a step in the
            // middle of a round would hold its pages back.
            let round = self.inner.sync_lock.lock().await;
            let engine = self.clone();
            let step =
                tokio::task::spawn_blocking(move || engine.inner.store.index_backlog(CHUNK)).await;
            drop(round);
            let wait = match step {
                Ok(Ok(taken)) if taken > 0 => continue,
                Ok(Ok(_)) => None,
                Ok(Err(e)) => {
                    tracing::warn!(code = %e.code(), "indexing the search backlog failed");
                    Some(RETRY)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the search indexing task failed");
                    Some(RETRY)
                }
            };
            tokio::select! {
                () = self.inner.index_wake.notified() => {}
                () = async {
                    match wait {
                        Some(d) => tokio::time::sleep(d).await,
                        None => std::future::pending().await,
                    }
                } => {}
                _ = stop.changed() => return,
            }
        }
    }
}
