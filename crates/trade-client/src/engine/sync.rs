//! One sync round: queued actions pushed in order, then the pull. A cache with no
//! cursor yet gets a first sync (the snapshot walk, newest first) before the feed;
//! what the feed brings decides the notifications.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;

use futures_util::FutureExt;

use trade_model::sync::{Change, MutationOutcome, RecordKind, SyncRecord};

use crate::api;

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
    /// local actions are pushed, and a live poke has the feed pulled (and notify) as soon
    /// as the page being applied is in, without waiting for the page being fetched.
    ///
    /// Invariant: the walk never puts back an older state than the feed brought. Every
    /// change the feed brings is newer than the walk's version, so newer than anything in
    /// the walk; a page fetched before such a change may still hold the record's old
    /// state, so each page is applied without the records the feed has already brought
    /// (`fed`, kept for the walk: a page fetched after a restart no longer holds them,
    /// since a changed record leaves the walk on the server).
    async fn first_sync(&self) -> Result<()> {
        let mut done = 0u64;
        let mut total = None;
        let mut fed: HashSet<(RecordKind, String)> = HashSet::new();
        let mut walk = Walk {
            answer: None,
            cursor: self.inner.store.snapshot_cursor()?,
        };
        let mut page = self.walk_page(&mut walk).await?;
        loop {
            if let Some(t) = page.total_estimate {
                total = Some(u64::try_from(t).unwrap_or(0));
            }
            done += page.changes.len() as u64;
            if !fed.is_empty() {
                page.changes
                    .retain(|c| !fed.contains(&(c.kind, c.id.clone())));
            }
            let last = !page.has_more;
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
            if self.inner.wake.notified().now_or_never().is_some() {
                applied(apply.await)?;
                self.bump();
                self.push_all().await?;
                self.inner.live_news.store(false, Ordering::Release);
                fed.extend(self.pull_feed().await?);
                page = self.walk_page(&mut walk).await?;
            } else {
                let fetch = self.walk_page(&mut walk);
                tokio::pin!(fetch);
                let mut apply = Some(apply);
                let next = loop {
                    tokio::select! {
                        next = &mut fetch => break next,
                        joined = async {
                            match apply.as_mut() {
                                Some(pending) => pending.await,
                                None => std::future::pending().await,
                            }
                        }, if apply.is_some() => {
                            apply = None;
                            applied(joined)?;
                            self.bump();
                        }
                        () = self.inner.live_wake.notified() => {
                            // The page being applied was fetched before this news: it
                            // goes in first. The one being fetched waits (see above).
                            if let Some(pending) = apply.take() {
                                applied(pending.await)?;
                                self.bump();
                            }
                            if self.inner.live_news.swap(false, Ordering::AcqRel) {
                                fed.extend(self.pull_feed().await?);
                            }
                        }
                    }
                };
                if let Some(pending) = apply.take() {
                    applied(pending.await)?;
                    self.bump();
                }
                page = next?;
            }
            self.set_connection(Connection::Syncing { done, total }, None);
        }
    }

    /// The walk's next page: from the answer under way, or from a new request where the
    /// last page left off when there is none (the first, one cut off, or one the server
    /// ended before the walk's last page).
    async fn walk_page(&self, walk: &mut Walk) -> Result<api::WalkPage> {
        loop {
            let fresh = walk.answer.is_none();
            let answer = match walk.answer.as_mut() {
                Some(answer) => answer,
                None => {
                    let api = self.inner.api.clone();
                    let cursor = walk.cursor.clone();
                    let answer = self
                        .authed(|access| {
                            let (api, cursor) = (api.clone(), cursor.clone());
                            async move {
                                api.snapshot_stream(&access, &cursor, SNAPSHOT_LIMIT)
                                    .await
                            }
                        })
                        .await?;
                    walk.answer.insert(answer)
                }
            };
            match answer.next().await {
                Ok(Some(page)) => {
                    walk.cursor.clone_from(&page.next_cursor);
                    return Ok(page);
                }
                // A new answer holds a page at least (the server reads the first one
                // before it answers): an empty one is a broken server or proxy.
                Ok(None) if fresh => {
                    walk.answer = None;
                    return Err(ClientError::Decode(
                        "the server's first sync answer held no page".into(),
                    ));
                }
                Ok(None) => walk.answer = None,
                Err(e) => {
                    walk.answer = None;
                    return Err(e);
                }
            }
        }
    }

    /// Pulls until the cache is current: the rest of a first sync if one is not done
    /// (none yet, or a walk cut short), then the feed.
    async fn pull_all(&self) -> Result<()> {
        let store = &self.inner.store;
        if store.cursor()?.is_empty() || !store.snapshot_cursor()?.is_empty() {
            self.first_sync().await?;
        }
        self.pull_feed().await.map(|_| ())
    }

    /// Pulls the feed to its end, then notifies what the pulled changes call for.
    /// Returns the records it brought.
    async fn pull_feed(&self) -> Result<HashSet<(RecordKind, String)>> {
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
                self.notify(&changes, &previous)?;
                return Ok(changes.into_iter().map(|c| (c.kind, c.id)).collect());
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

/// Where a first sync's walk stands on the wire: the answer whose pages are being read,
/// and the cursor after the last page taken from it.
struct Walk {
    answer: Option<api::SnapshotPages>,
    cursor: String,
}

/// The answer of a page applied on the blocking pool; a panic there (a bug) becomes an
/// error, so the loop backs off and tries again rather than taking the app down.
fn applied<T>(joined: std::result::Result<Result<T>, tokio::task::JoinError>) -> Result<T> {
    joined.map_err(|e| ClientError::Io(std::io::Error::other(format!("applying a page: {e}"))))?
}
