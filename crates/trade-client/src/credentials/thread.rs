//! The credential thread: every keyring call made from async code runs on one plain
//! thread, in the order it was made, and the caller gives up after a timeout (see
//! [`run`] for why one thread and not one per call).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::Duration;

use super::{CredentialError, CredentialKey, CredentialStore};

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
    use crate::credentials::MemoryStore;

    fn key(server: &str, account: &str) -> CredentialKey {
        CredentialKey::new(server, account)
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
