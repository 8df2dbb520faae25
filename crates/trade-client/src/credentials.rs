//! Where the refresh token lives between runs: the OS keyring (design §5).
//!
//! [`KeyringStore`] keeps one entry per server and account in the platform's keyring
//! (Secret Service on Linux, the login keychain on macOS, the Credential Manager on
//! Windows) through the `keyring` crate, with the platform store chosen explicitly:
//! `keyring` 3 silently falls back to a non-persistent mock store when no platform
//! feature is enabled, so this module never relies on its default store.
//! [`MemoryStore`] keeps entries in this process only: unit tests, and the engine's
//! "session only" mode.
//!
//! # Invariant: no plaintext fallback
//!
//! A secret handed to a [`CredentialStore`] goes to the OS keyring or stays in this
//! process's memory, and nowhere else: no file, no database, no log line, no error
//! message (errors name the server and account at most, never the secret). When no
//! keyring can be reached the calls fail with [`CredentialError::Unavailable`]; the engine
//! then keeps the session in memory, it ends when the app quits, and the UI says so. Do
//! not add a store that writes secrets to disk.
//!
//! # Calling from async code
//!
//! The keyring calls block (D-Bus round trips; on a desktop, an unlock prompt can wait
//! for the user). Async code calls [`load_async`], [`store_async`] and [`delete_async`]:
//! they run the call on a dedicated thread and give up after a timeout, so a hung keyring
//! cannot hang the app.

use std::collections::HashMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::Duration;

/// The keyring service name the desktop app uses.
pub const DEFAULT_SERVICE: &str = "Trade Center Desktop";

/// A sensible timeout for background keyring calls. A locked desktop keyring shows an
/// unlock prompt, and a person typing a password needs longer: give a call made right
/// after the user acted (sign in, app start) a longer timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Names one stored secret: the refresh token of one account on one server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CredentialKey {
    /// The server's normalized base URL ([`crate::profile::ServerProfile::base_url`]).
    pub server: String,
    /// The account id (or email).
    pub account: String,
}

impl CredentialKey {
    pub fn new(server: impl Into<String>, account: impl Into<String>) -> Self {
        CredentialKey {
            server: server.into(),
            account: account.into(),
        }
    }

    fn check(&self) -> Result<(), CredentialError> {
        if self.server.is_empty() || self.account.is_empty() {
            return Err(CredentialError::Failed(
                "a credential key needs a server and an account".into(),
            ));
        }
        Ok(())
    }
}

impl fmt::Display for CredentialKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.account, self.server)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// No keyring can be reached: it is locked (and unlocking was refused or impossible),
    /// there is no session D-Bus or no Secret Service, or it did not answer in time. The
    /// session can go on in memory only.
    #[error("the OS keyring is not available: {0}")]
    Unavailable(String),
    /// The keyring answered but the operation failed (ambiguous or undecodable entry, a
    /// name the platform rejects, ...).
    #[error("the OS keyring failed: {0}")]
    Failed(String),
}

impl CredentialError {
    /// The stable machine-readable code the UI switches on.
    pub fn code(&self) -> &'static str {
        match self {
            CredentialError::Unavailable(_) => "credentials.unavailable",
            CredentialError::Failed(_) => "credentials.failed",
        }
    }

    pub fn is_unavailable(&self) -> bool {
        matches!(self, CredentialError::Unavailable(_))
    }
}

/// Where the refresh token lives between runs.
///
/// The methods block; from async code use [`load_async`], [`store_async`] and
/// [`delete_async`].
pub trait CredentialStore: Send + Sync + 'static {
    /// `Ok(Some)` with the stored secret, `Ok(None)` if nothing is stored for `key`,
    /// `Err(Unavailable)` if no keyring can be reached (locked, no D-Bus, no Secret
    /// Service).
    fn load(&self, key: &CredentialKey) -> Result<Option<String>, CredentialError>;
    /// Stores `secret` for `key`, replacing what was there.
    fn store(&self, key: &CredentialKey, secret: &str) -> Result<(), CredentialError>;
    /// Deletes the secret for `key`; deleting a missing entry is `Ok`.
    fn delete(&self, key: &CredentialKey) -> Result<(), CredentialError>;
}

/// The OS keyring, through the `keyring` crate.
///
/// Each call opens its own connection to the keyring (nothing is cached here), so two
/// instances, or two processes, see the same entries.
///
/// An entry is stored under the service `"{service} ({server})"` and the user
/// `"{account}"` (see [`KeyringStore::entry_name`]): on Linux these are the Secret
/// Service item's `service` and `username` attributes (plus `target` = `default`, the
/// default collection); on macOS the generic password's service and account; on Windows
/// the generic credential's target name is `"{account}.{service} ({server})"`. Entries of
/// different servers or accounts are therefore distinct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringStore {
    service: String,
}

impl Default for KeyringStore {
    fn default() -> Self {
        KeyringStore::new(DEFAULT_SERVICE)
    }
}

impl KeyringStore {
    /// `service` names the application, e.g. [`DEFAULT_SERVICE`].
    pub fn new(service: impl Into<String>) -> Self {
        KeyringStore {
            service: service.into(),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    /// The `(service, user)` pair the entry for `key` is stored under. For a fixed
    /// application service name this is one-to-one with `(server, account)`.
    pub fn entry_name(&self, key: &CredentialKey) -> (String, String) {
        (
            format!("{} ({})", self.service, key.server),
            key.account.clone(),
        )
    }
}

impl CredentialStore for KeyringStore {
    fn load(&self, key: &CredentialKey) -> Result<Option<String>, CredentialError> {
        key.check()?;
        let (service, user) = self.entry_name(key);
        platform::load(&service, &user)
    }

    fn store(&self, key: &CredentialKey, secret: &str) -> Result<(), CredentialError> {
        key.check()?;
        let (service, user) = self.entry_name(key);
        platform::store(&service, &user, secret)
    }

    fn delete(&self, key: &CredentialKey) -> Result<(), CredentialError> {
        key.check()?;
        let (service, user) = self.entry_name(key);
        platform::delete(&service, &user)
    }
}

#[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
mod platform {
    use keyring::{Entry, Error};

    use super::CredentialError;

    /// Builds the entry on the platform's own store, never on `keyring`'s default
    /// store (which is a mock when no platform feature is on).
    fn entry(service: &str, user: &str) -> Result<Entry, CredentialError> {
        #[cfg(target_os = "linux")]
        let credential =
            keyring::secret_service::SsCredential::new_with_target(None, service, user);
        #[cfg(target_os = "macos")]
        let credential = keyring::macos::MacCredential::new_with_target(None, service, user);
        #[cfg(target_os = "windows")]
        let credential = keyring::windows::WinCredential::new_with_target(None, service, user);
        let credential = credential.map_err(map_error)?;
        Ok(Entry::new_with_credential(Box::new(credential)))
    }

    pub(super) fn load(service: &str, user: &str) -> Result<Option<String>, CredentialError> {
        match entry(service, user)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    pub(super) fn store(service: &str, user: &str, secret: &str) -> Result<(), CredentialError> {
        entry(service, user)?
            .set_password(secret)
            .map_err(map_error)
    }

    pub(super) fn delete(service: &str, user: &str) -> Result<(), CredentialError> {
        match entry(service, user)?.delete_credential() {
            Ok(()) | Err(Error::NoEntry) => Ok(()),
            Err(e) => Err(map_error(e)),
        }
    }

    /// Never puts the secret in the message: `BadEncoding` carries the stored bytes.
    fn map_error(e: Error) -> CredentialError {
        match e {
            Error::NoStorageAccess(inner) => CredentialError::Unavailable(format!(
                "the keyring is locked or refused access ({inner})"
            )),
            Error::PlatformFailure(inner) => {
                CredentialError::Unavailable(format!("the keyring cannot be reached ({inner})"))
            }
            Error::NoEntry => CredentialError::Failed("no such keyring entry".into()),
            Error::BadEncoding(_) => {
                CredentialError::Failed("the stored secret is not valid UTF-8".into())
            }
            Error::Ambiguous(items) => CredentialError::Failed(format!(
                "{} keyring entries match; expected one",
                items.len()
            )),
            other => CredentialError::Failed(other.to_string()),
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
mod platform {
    use super::CredentialError;

    fn unsupported() -> CredentialError {
        CredentialError::Unavailable("this platform has no supported OS keyring".into())
    }

    pub(super) fn load(_service: &str, _user: &str) -> Result<Option<String>, CredentialError> {
        Err(unsupported())
    }

    pub(super) fn store(_service: &str, _user: &str, _secret: &str) -> Result<(), CredentialError> {
        Err(unsupported())
    }

    pub(super) fn delete(_service: &str, _user: &str) -> Result<(), CredentialError> {
        Err(unsupported())
    }
}

/// Secrets in this process's memory only; gone when it exits.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<CredentialKey, String>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// How many secrets are held.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<CredentialKey, String>> {
        // A panic elsewhere cannot leave the map half-updated: every change is one call.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Lists the keys, never the secrets.
impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("keys", &self.entries().keys().collect::<Vec<_>>())
            .finish()
    }
}

impl CredentialStore for MemoryStore {
    fn load(&self, key: &CredentialKey) -> Result<Option<String>, CredentialError> {
        key.check()?;
        Ok(self.entries().get(key).cloned())
    }

    fn store(&self, key: &CredentialKey, secret: &str) -> Result<(), CredentialError> {
        key.check()?;
        self.entries().insert(key.clone(), secret.to_owned());
        Ok(())
    }

    fn delete(&self, key: &CredentialKey) -> Result<(), CredentialError> {
        key.check()?;
        self.entries().remove(key);
        Ok(())
    }
}

/// [`CredentialStore::load`] off the async runtime, giving up after `timeout` with
/// [`CredentialError::Unavailable`].
pub async fn load_async(
    store: Arc<dyn CredentialStore>,
    key: CredentialKey,
    timeout: Duration,
) -> Result<Option<String>, CredentialError> {
    run(timeout, move || store.load(&key)).await
}

/// [`CredentialStore::store`] off the async runtime, giving up after `timeout` with
/// [`CredentialError::Unavailable`].
pub async fn store_async(
    store: Arc<dyn CredentialStore>,
    key: CredentialKey,
    secret: String,
    timeout: Duration,
) -> Result<(), CredentialError> {
    run(timeout, move || store.store(&key, &secret)).await
}

/// [`CredentialStore::delete`] off the async runtime, giving up after `timeout` with
/// [`CredentialError::Unavailable`].
pub async fn delete_async(
    store: Arc<dyn CredentialStore>,
    key: CredentialKey,
    timeout: Duration,
) -> Result<(), CredentialError> {
    run(timeout, move || store.delete(&key)).await
}

/// Waits until every keyring call made so far has finished, at most `timeout`; false
/// when one is still running then. For quitting: the credential thread dies with the
/// process, and a call cut off halfway loses what it was storing (the refresh token of
/// a sign-in a moment ago: the next start would ask to sign in again) and leaves the
/// keyring's daemon in the middle of an exchange.
pub fn settle(timeout: Duration) -> bool {
    let started = WORKER
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .is_some();
    if !started {
        return true;
    }
    let (done, finished) = mpsc::channel();
    // Queued behind every call made so far: it runs when they have.
    let queued = submit(Box::new(move || {
        let _ = done.send(());
    }));
    queued.is_ok() && finished.recv_timeout(timeout).is_ok()
}

/// Runs `op` on the credential thread and waits at most `timeout` for its answer.
///
/// All calls go through one thread, in the order they were made. A call that times out
/// still runs to completion later, and the calls after it wait for it: so the keyring
/// always ends up holding what the *last* call asked for. (With a thread per call, a
/// hung store of an old refresh token could land after the store of its successor and
/// bring the old, rotated-out token back; using it would then revoke the family.)
/// While one call hangs, the calls behind it time out too, which is the truth: the
/// keyring is not answering. Calls made directly through [`CredentialStore`] bypass
/// this queue, so the engine should only use the async functions.
///
/// It is a plain thread, not `spawn_blocking`: dropping a tokio runtime waits for its
/// blocking tasks, so a hung keyring call would hang the app at quit.
async fn run<T: Send + 'static>(
    timeout: Duration,
    op: impl FnOnce() -> Result<T, CredentialError> + Send + 'static,
) -> Result<T, CredentialError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    submit(Box::new(move || {
        // The caller may have given up; then nobody wants the answer.
        let _ = tx.send(op());
    }))?;
    match tokio::time::timeout(timeout, rx).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(_)) => Err(CredentialError::Failed(
            "the credential store call panicked".into(),
        )),
        Err(_) => Err(CredentialError::Unavailable(format!(
            "the keyring did not answer within {} ms",
            timeout.as_millis()
        ))),
    }
}

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The credential thread's queue, started on first use; it lives as long as the process.
static WORKER: Mutex<Option<mpsc::Sender<Job>>> = Mutex::new(None);

fn submit(job: Job) -> Result<(), CredentialError> {
    let mut worker = WORKER.lock().unwrap_or_else(PoisonError::into_inner);
    let job = match worker.as_ref() {
        Some(queue) => match queue.send(job) {
            Ok(()) => return Ok(()),
            // The thread is gone (it cannot panic, but be safe): start another.
            Err(mpsc::SendError(job)) => job,
        },
        None => job,
    };
    let (queue, jobs) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("credential-store".into())
        .spawn(move || {
            for job in jobs {
                if catch_unwind(AssertUnwindSafe(job)).is_err() {
                    tracing::error!("a credential store call panicked");
                }
            }
        })
        .map_err(|e| CredentialError::Failed(format!("cannot start the credential thread: {e}")))?;
    queue
        .send(job)
        .map_err(|_| CredentialError::Failed("the credential thread stopped".into()))?;
    *worker = Some(queue);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

    use super::*;

    fn key(server: &str, account: &str) -> CredentialKey {
        CredentialKey::new(server, account)
    }

    #[test]
    fn memory_store_round_trip() {
        let store = MemoryStore::new();
        let k = key("https://a.example", "acc-1");
        assert_eq!(store.load(&k).unwrap(), None);
        store.store(&k, "token-1").unwrap();
        assert_eq!(store.load(&k).unwrap().as_deref(), Some("token-1"));
        store.store(&k, "token-2").unwrap();
        assert_eq!(store.load(&k).unwrap().as_deref(), Some("token-2"));
        assert_eq!(store.len(), 1);
        store.delete(&k).unwrap();
        assert_eq!(store.load(&k).unwrap(), None);
        assert!(store.is_empty());
        // Deleting a missing entry is fine.
        store.delete(&k).unwrap();
    }

    #[test]
    fn memory_store_keeps_servers_and_accounts_apart() {
        let store = MemoryStore::new();
        let keys = [
            key("https://a.example", "acc-1"),
            key("https://a.example", "acc-2"),
            key("https://b.example", "acc-1"),
            key("https://b.example", "acc-2"),
        ];
        for (i, k) in keys.iter().enumerate() {
            store.store(k, &format!("token-{i}")).unwrap();
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(store.load(k).unwrap(), Some(format!("token-{i}")));
        }
        store.delete(&keys[0]).unwrap();
        assert_eq!(store.load(&keys[0]).unwrap(), None);
        assert_eq!(store.load(&keys[1]).unwrap().as_deref(), Some("token-1"));
        assert_eq!(store.len(), 3);
    }

    #[test]
    fn empty_keys_are_refused() {
        let store = MemoryStore::new();
        for k in [key("", "acc"), key("https://a.example", "")] {
            assert!(matches!(
                store.store(&k, "x"),
                Err(CredentialError::Failed(_))
            ));
            assert!(matches!(store.load(&k), Err(CredentialError::Failed(_))));
            // The keyring store refuses before reaching any keyring.
            let keyring = KeyringStore::default();
            assert!(matches!(keyring.load(&k), Err(CredentialError::Failed(_))));
        }
    }

    #[test]
    fn debug_output_does_not_show_secrets() {
        let store = MemoryStore::new();
        store
            .store(&key("https://a.example", "acc"), "very-secret-token")
            .unwrap();
        let shown = format!("{store:?}");
        assert!(shown.contains("acc"), "{shown}");
        assert!(!shown.contains("very-secret-token"), "{shown}");
    }

    #[test]
    fn error_codes() {
        assert_eq!(
            CredentialError::Unavailable("x".into()).code(),
            "credentials.unavailable"
        );
        assert_eq!(
            CredentialError::Failed("x".into()).code(),
            "credentials.failed"
        );
        assert!(CredentialError::Unavailable("x".into()).is_unavailable());
        assert!(!CredentialError::Failed("x".into()).is_unavailable());
    }

    #[test]
    fn keyring_entry_names_are_distinct_per_server_and_account() {
        let store = KeyringStore::new("Trade Center Desktop");
        let names: Vec<_> = [
            key("https://a.example", "acc-1"),
            key("https://a.example", "acc-2"),
            key("https://b.example", "acc-1"),
            key("https://a.example:8443", "acc-1"),
        ]
        .iter()
        .map(|k| store.entry_name(k))
        .collect();
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(
            names[0],
            (
                "Trade Center Desktop (https://a.example)".to_owned(),
                "acc-1".to_owned()
            )
        );
    }

    /// A store whose calls wait until the test lets them go, and tell the test when they
    /// started, so a test can hold the credential thread without sleeping.
    struct GatedStore {
        inner: MemoryStore,
        started: Mutex<mpsc::Sender<()>>,
        gate: Mutex<Receiver<()>>,
    }

    impl GatedStore {
        /// The store, a receiver of "a call started", and the sender that releases one
        /// waiting call per message (or all of them when dropped).
        fn new() -> (Arc<Self>, Receiver<()>, SyncSender<()>) {
            let (started_tx, started_rx) = mpsc::channel();
            let (release_tx, release_rx) = sync_channel(16);
            let store = GatedStore {
                inner: MemoryStore::new(),
                started: Mutex::new(started_tx),
                gate: Mutex::new(release_rx),
            };
            (Arc::new(store), started_rx, release_tx)
        }

        fn wait(&self) {
            let _ = self.started.lock().unwrap().send(());
            // Err means the test dropped the sender: go on.
            let _ = self.gate.lock().unwrap().recv();
        }
    }

    impl CredentialStore for GatedStore {
        fn load(&self, key: &CredentialKey) -> Result<Option<String>, CredentialError> {
            self.wait();
            self.inner.load(key)
        }
        fn store(&self, key: &CredentialKey, secret: &str) -> Result<(), CredentialError> {
            if secret != UNGATED {
                self.wait();
            }
            self.inner.store(key, secret)
        }
        fn delete(&self, key: &CredentialKey) -> Result<(), CredentialError> {
            self.wait();
            self.inner.delete(key)
        }
    }

    const LONG: Duration = Duration::from_secs(30);
    /// A secret [`GatedStore::store`] stores without waiting at the gate.
    const UNGATED: &str = "new token (not gated)";

    #[tokio::test]
    async fn async_calls_reach_the_store() {
        let store: Arc<dyn CredentialStore> = Arc::new(MemoryStore::new());
        let k = key("https://a.example", "acc");
        assert_eq!(load_async(store.clone(), k.clone(), LONG).await, Ok(None));
        store_async(store.clone(), k.clone(), "tok".into(), LONG)
            .await
            .unwrap();
        assert_eq!(
            load_async(store.clone(), k.clone(), LONG).await,
            Ok(Some("tok".into()))
        );
        delete_async(store.clone(), k.clone(), LONG).await.unwrap();
        assert_eq!(load_async(store, k, LONG).await, Ok(None));
    }

    #[tokio::test]
    async fn a_hung_store_times_out_as_unavailable() {
        let (gated, started, release) = GatedStore::new();
        let store: Arc<dyn CredentialStore> = gated;
        let k = key("https://a.example", "acc");
        let answer = load_async(store.clone(), k.clone(), Duration::from_millis(50)).await;
        // The call really was running (and hung) when the wrapper gave up.
        started.recv().unwrap();
        match answer {
            Err(e @ CredentialError::Unavailable(_)) => {
                assert_eq!(e.code(), "credentials.unavailable");
                assert!(e.to_string().contains("did not answer"), "{e}");
            }
            other => panic!("expected Unavailable after the timeout, got {other:?}"),
        }
        // Once the keyring answers again, later calls work.
        drop(release);
        assert_eq!(load_async(store, k, LONG).await, Ok(None));
    }

    #[tokio::test]
    async fn calls_run_in_order_even_after_a_timeout() {
        let (gated, started, release) = GatedStore::new();
        let store: Arc<dyn CredentialStore> = gated.clone();
        let k = key("https://a.example", "acc");
        // The old token's store hangs and the caller gives up...
        let old = store_async(
            store.clone(),
            k.clone(),
            "old".into(),
            Duration::from_millis(20),
        )
        .await;
        assert!(
            matches!(old, Err(CredentialError::Unavailable(_))),
            "{old:?}"
        );
        started.recv().unwrap();
        // ...then its successor is stored (this one is not held at the gate). Its call is
        // queued by the first poll.
        let mut new = std::pin::pin!(store_async(store, k.clone(), UNGATED.into(), LONG));
        assert!(futures_util::poll!(&mut new).is_pending());
        // The old store completes late; the new one must still come last.
        release.send(()).unwrap();
        new.await.unwrap();
        assert_eq!(gated.inner.load(&k).unwrap().as_deref(), Some(UNGATED));
    }

    #[tokio::test]
    async fn settling_waits_for_a_store_still_running() {
        let (gated, started, release) = GatedStore::new();
        let store: Arc<dyn CredentialStore> = gated.clone();
        let k = key("https://a.example", "acc");
        // A sign-in's refresh token is being stored when the app quits.
        let answer = store_async(store, k.clone(), "token".into(), Duration::from_millis(20)).await;
        assert!(
            matches!(answer, Err(CredentialError::Unavailable(_))),
            "{answer:?}"
        );
        started.recv().unwrap();
        // Quitting now would lose it: settling says so when its time is up.
        assert!(!settle(Duration::from_millis(20)));
        assert_eq!(gated.inner.load(&k), Ok(None));
        // Once the keyring answers, settling returns after the store, not before.
        release.send(()).unwrap();
        assert!(settle(LONG));
        assert_eq!(gated.inner.load(&k), Ok(Some("token".into())));
    }

    #[test]
    fn a_hung_call_does_not_block_runtime_shutdown() {
        let (gated, started, release) = GatedStore::new();
        let store: Arc<dyn CredentialStore> = gated;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let answer = runtime.block_on(delete_async(
            store,
            key("https://a.example", "acc"),
            Duration::from_millis(20),
        ));
        assert!(matches!(answer, Err(CredentialError::Unavailable(_))));
        started.recv().unwrap();
        // With spawn_blocking this drop would wait for the hung call: a deadlock here.
        drop(runtime);
        drop(release);
    }

    struct PanickingStore;

    impl CredentialStore for PanickingStore {
        fn load(&self, _: &CredentialKey) -> Result<Option<String>, CredentialError> {
            panic!("boom (expected by the test)");
        }
        fn store(&self, _: &CredentialKey, _: &str) -> Result<(), CredentialError> {
            unreachable!()
        }
        fn delete(&self, _: &CredentialKey) -> Result<(), CredentialError> {
            unreachable!()
        }
    }

    #[tokio::test]
    async fn a_panicking_store_fails_and_the_thread_survives() {
        let k = key("https://a.example", "acc");
        let answer = load_async(Arc::new(PanickingStore), k.clone(), LONG).await;
        assert!(
            matches!(answer, Err(CredentialError::Failed(_))),
            "{answer:?}"
        );
        let store: Arc<dyn CredentialStore> = Arc::new(MemoryStore::new());
        assert_eq!(load_async(store, k, LONG).await, Ok(None));
    }
}
