//! One sync round: queued actions pushed in order, then the pull. A cache with no
//! cursor yet gets a first sync (the snapshot walk, newest first) before the feed;
//! what the feed brings decides the notifications.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use futures_util::FutureExt;

use trade_model::sync::{Change, MutationOutcome, RecordKind, SnapshotResponse, SyncRecord};

use super::*;

const PULL_LIMIT: i64 = 500;
/// A first sync's pages are as large as the server gives: fewer round trips, and one
/// transaction (one fsync) per thousand records.
const SNAPSHOT_LIMIT: i64 = trade_model::sync::MAX_PULL_LIMIT;
const PUSH_BATCH: usize = 100;

impl Engine {
    /// Sends queued actions in order and pending transfer calls again, then pulls until
    /// the cache is current and settles the card calls the pulled payments answer.
    pub async fn sync_now(&self) -> Result<()> {
        let _round = self.inner.sync_lock.lock().await;
        self.push_all().await?;
        self.resend_transfers().await?;
        self.pull_all().await?;
        if self.inner.store.settle_pending_cards(Timestamp::now())? > 0 {
            self.bump();
        }
        Ok(())
    }

    async fn push_all(&self) -> Result<()> {
        loop {
            let queued = self.inner.store.queued(PUSH_BATCH)?;
            if queued.is_empty() {
                return Ok(());
            }
            if !self.upload_files_of(&queued).await? {
                // An upload was refused and its action marked failed: take the queue again.
                continue;
            }
            let batch: Vec<_> = queued.iter().map(|e| e.mutation.clone()).collect();
            let api = self.inner.api.clone();
            let response = self
                .authed(|access| {
                    let (api, batch) = (api.clone(), batch.clone());
                    async move { api.push(&access, batch).await }
                })
                .await?;
            for result in response.results {
                match result.outcome {
                    MutationOutcome::Applied { .. } => self.inner.store.mark_applied(result.id)?,
                    MutationOutcome::Rejected { code, message, .. } => {
                        tracing::info!(%code, "the server refused a queued action");
                        self.inner
                            .store
                            .mark_rejected(result.id, code.as_str(), &message)?;
                    }
                }
            }
            self.refresh_counts()?;
            self.bump();
        }
    }

    /// A first sync: the account's current state, newest first, page by page. Each page
    /// is fetched while the one before it is applied; where the walk stands is kept with
    /// each page, so a restart goes on from there. The feed's cursor starts at the walk's
    /// version with its first page.
    ///
    /// A long walk does not hold back what happens meanwhile: between two pages, queued
    /// local actions are pushed and, after a live poke, the feed is pulled (and notifies)
    /// beside the walk. The page fetched before the feed is applied before it, and the
    /// next is fetched after it, so the walk never overwrites what the feed brought (and
    /// what changed after the walk's version has left the walk anyway).
    async fn first_sync(&self) -> Result<()> {
        let mut done = 0u64;
        let mut total = None;
        let mut page = self
            .snapshot_page(self.inner.store.snapshot_cursor()?)
            .await?;
        loop {
            if let Some(t) = page.total_estimate {
                total = Some(u64::try_from(t).unwrap_or(0));
            }
            done += page.changes.len() as u64;
            let last = !page.has_more;
            let next_cursor = page.next_cursor.clone();
            let store = self.clone();
            let apply = tokio::task::spawn_blocking(move || {
                store.inner.store.apply_snapshot_page(
                    &page.changes,
                    &page.next_cursor,
                    &page.feed_cursor,
                    last,
                    Timestamp::now(),
                )
            });
            if last {
                applied(apply.await)?;
                self.bump();
                self.inner.index_wake.notify_one();
                return Ok(());
            }
            let local = self.inner.wake.notified().now_or_never().is_some();
            let live = self.inner.live_news.swap(false, Ordering::AcqRel);
            if local || live {
                applied(apply.await)?;
                self.bump();
                if local {
                    self.push_all().await?;
                }
                self.pull_feed().await?;
                page = self.snapshot_page(next_cursor).await?;
            } else {
                let (done_applying, next) = tokio::join!(apply, self.snapshot_page(next_cursor));
                applied(done_applying)?;
                self.bump();
                page = next?;
            }
            self.set_connection(Connection::Syncing { done, total }, None);
        }
    }

    async fn snapshot_page(&self, cursor: String) -> Result<SnapshotResponse> {
        let api = self.inner.api.clone();
        self.authed(|access| {
            let (api, cursor) = (api.clone(), cursor.clone());
            async move { api.snapshot(&access, &cursor, SNAPSHOT_LIMIT).await }
        })
        .await
    }

    /// Pulls until the cache is current: the rest of a first sync if one is not done
    /// (none yet, or a walk cut short), then the feed.
    async fn pull_all(&self) -> Result<()> {
        let store = &self.inner.store;
        if store.cursor()?.is_empty() || !store.snapshot_cursor()?.is_empty() {
            self.first_sync().await?;
        }
        self.pull_feed().await
    }

    /// Pulls the feed to its end, then notifies what the pulled changes call for.
    async fn pull_feed(&self) -> Result<()> {
        let mut done = 0u64;
        let mut changes = Vec::new();
        let mut previous = HashMap::new();
        loop {
            let cursor = self.inner.store.cursor()?;
            let api = self.inner.api.clone();
            let page = self
                .authed(|access| {
                    let (api, cursor) = (api.clone(), cursor.clone());
                    async move { api.pull(&access, &cursor, PULL_LIMIT).await }
                })
                .await?;
            done += page.changes.len() as u64;
            let effects =
                self.inner
                    .store
                    .apply_page(&page.changes, &page.next_cursor, Timestamp::now())?;
            if effects.applied > 0 {
                self.bump();
            }
            for (key, record) in effects.previous {
                previous.entry(key).or_insert(record);
            }
            changes.extend(page.changes);
            if !page.has_more {
                return self.notify(&changes, &previous);
            }
            self.set_connection(Connection::Syncing { done, total: None }, None);
        }
    }

    /// Decides what the changes of one sync should show on the desktop and hands the
    /// requests to the shell, each at most once.
    fn notify(
        &self,
        changes: &[Change],
        previous: &HashMap<(RecordKind, String), SyncRecord>,
    ) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let settings = self.inner.store.notification_settings()?;
        let already_sent = self.inner.store.notified()?;
        let now = Timestamp::now();
        let ctx = notify::Context {
            me: self.inner.account.id,
            now,
            settings: &settings,
            already_sent: &already_sent,
        };
        let decided = notify::decide(&ctx, changes, |kind, id| {
            previous.get(&(kind, id.to_owned())).cloned()
        });
        let keys: Vec<String> = decided.iter().map(|n| n.key.clone()).collect();
        self.inner.store.mark_notified(&keys, now)?;
        for n in decided {
            // No listener (no window yet) is fine: the app shows unread state anyway.
            let _ = self.inner.notifications.send(n);
        }
        Ok(())
    }
}

/// The answer of a page applied on the blocking pool; a panic there (a bug) becomes an
/// error, so the loop backs off and tries again rather than taking the app down.
fn applied<T>(joined: std::result::Result<Result<T>, tokio::task::JoinError>) -> Result<T> {
    joined.map_err(|e| ClientError::Io(std::io::Error::other(format!("applying a page: {e}"))))?
}
