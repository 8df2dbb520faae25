//! The engine: a signed-in account on one server, its local cache, and the sync loop.
//!
//! Sessions follow design §5: the access token lives in memory only; the refresh token
//! in the OS keyring through [`CredentialStore`]. When no keyring can be reached the
//! session lasts until the app quits (`Status::session_only`) and no secret is written
//! anywhere.
//!
//! The loop: connect the live-event stream; on connect and on every poke, push the
//! outbox then pull to the end; on a local action, push. When the connection drops the
//! engine is offline and retries with exponential backoff and full jitter.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use jiff::Timestamp;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, Notify, broadcast, watch};
use trade_model::api::Session;
use trade_model::api::{PayRequest, PaymentQuote, PaymentResult};
use trade_model::entities::Account;
use trade_model::{AccountId, DocumentId, OrderId};

use crate::api::{Api, LiveEvent};
use crate::credentials::{self, CredentialError, CredentialKey, CredentialStore};
use crate::error::{ClientError, Result};
use crate::notify::{self, Notification};
use crate::profile::ServerProfile;
use crate::store::LocalStore;

pub use compare::Refreshed;

const CREDENTIAL_TIMEOUT: Duration = Duration::from_secs(5);

mod backlog;
mod compare;
mod files;
mod payments;
mod session;
mod sync;
mod writes;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Connection {
    Offline,
    Connecting,
    /// Pulling: records so far, and the server's estimate of the total on an initial sync.
    Syncing {
        done: u64,
        total: Option<u64>,
    },
    Online,
    /// The session ended (signed out elsewhere, or the refresh token was refused).
    SignedOut,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Status {
    pub connection: Connection,
    /// Actions waiting to be sent.
    pub queued: usize,
    /// Actions the server refused, waiting for the user.
    pub failed: usize,
    /// No keyring: the session lasts until the app quits.
    pub session_only: bool,
    /// Code of the last error that made the engine go offline.
    pub last_error: Option<String>,
    /// A file being uploaded or downloaded, with its progress.
    pub transfer: Option<Transfer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Transfer {
    pub document: DocumentId,
    pub file_name: String,
    pub upload: bool,
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub backoff_start: Duration,
    pub backoff_max: Duration,
    /// How long Pay Now keeps asking (same key) for a final answer before it answers
    /// "still processing" and leaves the outcome to sync.
    pub pay_patience: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            backoff_start: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            pay_patience: Duration::from_secs(20),
        }
    }
}

struct Tokens {
    access: String,
    /// Kept in memory too, so a session-only engine can refresh.
    refresh: String,
}

struct Inner {
    api: Api,
    store: LocalStore,
    account: Account,
    key: CredentialKey,
    creds: Arc<dyn CredentialStore>,
    tokens: Mutex<Tokens>,
    status: watch::Sender<Status>,
    wake: Notify,
    /// Wakes the search indexer: a first sync ended, its records wait to be indexed.
    index_wake: Notify,
    /// A live poke came while a sync round ran (a long first sync pulls the feed for it
    /// beside the walk).
    live_news: AtomicBool,
    /// Signalled with each `live_news`: a first sync pulls the feed for it mid-page.
    live_wake: Notify,
    options: Options,
    /// Serialises push/pull rounds.
    sync_lock: Mutex<()>,
    /// What the desktop should show, decided after each sync.
    notifications: broadcast::Sender<Notification>,
    /// Bumped whenever the cache changed (a pulled page, a queued or answered action), so
    /// views re-read what they show.
    revision: watch::Sender<u64>,
    /// Keys of the Pay Now calls `pay` is sending right now.
    paying: std::sync::Mutex<std::collections::HashSet<String>>,
}

#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// Where an account's cache lives: one file per server and account.
pub fn cache_path(data_dir: &Path, profile: &ServerProfile, account: AccountId) -> Result<PathBuf> {
    let server = hex::encode(&Sha256::digest(profile.base_url()?.as_bytes())[..8]);
    Ok(data_dir
        .join("accounts")
        .join(server)
        .join(format!("{account}.sqlite3")))
}

impl Engine {
    pub fn account(&self) -> &Account {
        &self.inner.account
    }

    pub fn store(&self) -> &LocalStore {
        &self.inner.store
    }

    /// Notification requests for the shell (which shows them, escaped for the platform).
    pub fn notifications(&self) -> broadcast::Receiver<Notification> {
        self.inner.notifications.subscribe()
    }

    pub fn status(&self) -> watch::Receiver<Status> {
        self.inner.status.subscribe()
    }

    /// Changes whenever the cache changed; the value itself only counts.
    pub fn revision(&self) -> watch::Receiver<u64> {
        self.inner.revision.subscribe()
    }

    fn bump(&self) {
        self.inner.revision.send_modify(|r| *r += 1);
    }

    fn set_connection(&self, connection: Connection, error: Option<String>) {
        self.inner.status.send_modify(|s| {
            s.connection = connection;
            if error.is_some() || matches!(s.connection, Connection::Online) {
                s.last_error = error;
            }
        });
    }

    fn refresh_counts(&self) -> Result<()> {
        let (queued, failed) = self.inner.store.outbox_counts()?;
        self.inner.status.send_modify(|s| {
            s.queued = queued;
            s.failed = failed;
        });
        Ok(())
    }

    /// Tells the loop that a local action is waiting to be sent.
    pub fn poke(&self) {
        self.bump();
        let _ = self.refresh_counts();
        self.inner.wake.notify_one();
    }

    /// Whether the server has this order for the signed-in account (asked now, not
    /// synced): what a link to a record not in the cache is checked against.
    pub async fn order_on_server(&self, id: OrderId) -> Result<bool> {
        self.on_server(format!("/v1/orders/{id}")).await
    }

    /// As [`Engine::order_on_server`], for an inquiry.
    pub async fn inquiry_on_server(&self, id: trade_model::InquiryId) -> Result<bool> {
        self.on_server(format!("/v1/inquiries/{id}")).await
    }

    async fn on_server(&self, path: String) -> Result<bool> {
        let api = self.inner.api.clone();
        self.authed(|access| {
            let (api, path) = (api.clone(), path.clone());
            async move { api.exists(&access, &path).await }
        })
        .await
    }

    /// The sync loop, and the search indexer behind it; returns when `stop` turns true
    /// or the session ends.
    pub async fn run(&self, stop: watch::Receiver<bool>) {
        tokio::select! {
            () = self.sync_loop(stop.clone()) => {}
            () = self.index_backlog(stop) => {}
        }
    }

    async fn sync_loop(&self, mut stop: watch::Receiver<bool>) {
        let mut backoff = self.inner.options.backoff_start;
        loop {
            if *stop.borrow() {
                return;
            }
            self.set_connection(Connection::Connecting, None);
            let api = self.inner.api.clone();
            let events = self
                .authed(|access| {
                    let api = api.clone();
                    async move { api.events(&access).await }
                })
                .await;
            let failure = match events {
                Ok(stream) => {
                    let mut stream = Box::pin(stream);
                    match self.first_round(&mut stream).await {
                        Ok(()) => {
                            backoff = self.inner.options.backoff_start;
                            self.set_connection(Connection::Online, None);
                            self.follow(&mut stream, &mut stop).await
                        }
                        Err(e) => Some(e),
                    }
                }
                Err(e) => Some(e),
            };
            let failure_wait = match failure {
                None => return,
                Some(ClientError::Api {
                    status: 401, code, ..
                }) => {
                    self.set_connection(Connection::SignedOut, Some(code));
                    return;
                }
                Some(e) => {
                    tracing::debug!(code = %e.code(), "offline");
                    self.set_connection(Connection::Offline, Some(e.code()));
                    e.retry_after()
                }
            };
            // Full jitter: anywhere between zero and the current backoff; never sooner
            // than the server asked (a 429's Retry-After).
            let jitter = rand::rng().random_range(Duration::ZERO..=backoff);
            let wait = failure_wait.map_or(jitter, |asked| asked.max(jitter));
            backoff = (backoff * 2).min(self.inner.options.backoff_max);
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                // A local action cuts a backoff short, not a wait the server asked for
                // (it would only be refused again); it is sent once the wait is over.
                () = self.inner.wake.notified(), if failure_wait.is_none() => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// The rounds that follow a (re)connection, the first of which may be a long first
    /// sync: live events that come meanwhile are noted (`live_news`; a first sync pulls
    /// the feed for them between two pages), and another round follows a round during
    /// which one came, so none is lost. A live connection that ends meanwhile ends the
    /// connection once the round is over.
    async fn first_round<S>(&self, stream: &mut S) -> Result<()>
    where
        S: futures_util::Stream<Item = Result<LiveEvent>> + Unpin,
    {
        let mut ended = None;
        loop {
            self.inner.live_news.store(false, Ordering::Release);
            let round = self.sync_now();
            tokio::pin!(round);
            let done = loop {
                tokio::select! {
                    done = &mut round => break done,
                    event = stream.next(), if ended.is_none() => match event {
                        // The handshake brings no news: this round is the answer to it.
                        Some(Ok(LiveEvent::Ready(_))) => {}
                        Some(Ok(LiveEvent::Changed(_))) => {
                            self.inner.live_news.store(true, Ordering::Release);
                            self.inner.live_wake.notify_one();
                        }
                        Some(Err(e)) => ended = Some(e),
                        None => {
                            ended = Some(ClientError::Unreachable("the live connection closed".into()));
                        }
                    },
                }
            };
            done?;
            if let Some(e) = ended {
                return Err(e);
            }
            if !self.inner.live_news.load(Ordering::Acquire) {
                return Ok(());
            }
        }
    }

    /// Follows live events while connected. Returns None when stopped, or the error that
    /// ended the connection.
    async fn follow<S>(
        &self,
        stream: &mut S,
        stop: &mut watch::Receiver<bool>,
    ) -> Option<ClientError>
    where
        S: futures_util::Stream<Item = Result<LiveEvent>> + Unpin,
    {
        loop {
            tokio::select! {
                event = stream.next() => match event {
                    Some(Ok(_)) => {
                        if let Err(e) = self.sync_now().await {
                            return Some(e);
                        }
                        self.set_connection(Connection::Online, None);
                    }
                    Some(Err(e)) => return Some(e),
                    None => return Some(ClientError::Unreachable("the live connection closed".into())),
                },
                () = self.inner.wake.notified() => {
                    if let Err(e) = self.sync_now().await {
                        return Some(e);
                    }
                }
                _ = stop.changed() => return None,
            }
        }
    }
}
