//! The engine's sessions against the real OS keyring (gnome-keyring on a private D-Bus)
//! and the real server. Run through `scripts/with-keyring.sh`, once unlocked and once
//! `--locked` (the script says which in `TRADE_KEYRING`; `./dev test` does both):
//! - unlocked: signing in stores the refresh token; a second engine (another process
//!   would do the same) resumes from it; signing out deletes it and resuming then asks
//!   for a sign-in;
//! - locked: the engine signs in for this run only, says so (`session_only`), and the
//!   refresh token is written nowhere on disk.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use trade_client::credentials::{CredentialError, CredentialKey, CredentialStore, KeyringStore};
use trade_client::engine::Engine;
use trade_e2e::{PASSWORD, Server, fast};

/// The real keyring, remembering the last secret the engine asked it to keep (so the
/// test can look for that secret on disk).
struct Recording {
    inner: KeyringStore,
    last: Mutex<Option<String>>,
}

impl CredentialStore for Recording {
    fn load(&self, key: &CredentialKey) -> Result<Option<String>, CredentialError> {
        self.inner.load(key)
    }
    fn store(&self, key: &CredentialKey, secret: &str) -> Result<(), CredentialError> {
        *self.last.lock().unwrap() = Some(secret.to_owned());
        self.inner.store(key, secret)
    }
    fn delete(&self, key: &CredentialKey) -> Result<(), CredentialError> {
        self.inner.delete(key)
    }
}

fn service() -> String {
    format!(
        "trade-center-e2e-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    )
}

fn mode() -> String {
    std::env::var("TRADE_KEYRING").expect(
        "TRADE_KEYRING is not set: run as `scripts/with-keyring.sh [--locked] cargo test -p trade-e2e --test e2e keyring::`",
    )
}

fn files_containing(root: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path)
                && bytes.windows(needle.len()).any(|w| w == needle)
            {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test]
async fn the_refresh_token_lives_in_the_keyring_or_nowhere() {
    let mode = mode();
    let s = Server::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let service = service();
    let first_store = Arc::new(Recording {
        inner: KeyringStore::new(&service),
        last: Mutex::new(None),
    });
    let dir = tempfile::tempdir().unwrap();
    let first = Engine::sign_in(
        dir.path(),
        s.profile(),
        &buyer.email,
        PASSWORD,
        first_store.clone(),
        fast(),
    )
    .await
    .unwrap();
    let key = CredentialKey::new(
        s.profile().base_url().unwrap(),
        first.account().id.to_string(),
    );
    let token = first_store
        .last
        .lock()
        .unwrap()
        .clone()
        .expect("the engine offered the keyring its refresh token");
    let again = || async {
        Engine::resume(
            tempfile::tempdir().unwrap().path(),
            s.profile(),
            first.account().id,
            Arc::new(KeyringStore::new(&service)),
            fast(),
        )
        .await
        .unwrap()
    };
    match mode.as_str() {
        "unlocked" => {
            assert!(!first.status().borrow().session_only);
            assert_eq!(
                KeyringStore::new(&service).load(&key).unwrap().as_deref(),
                Some(token.as_str())
            );
            // A second engine, sharing nothing with the first but the keyring, resumes.
            let second_dir = tempfile::tempdir().unwrap();
            let second = Engine::resume(
                second_dir.path(),
                s.profile(),
                first.account().id,
                Arc::new(KeyringStore::new(&service)),
                fast(),
            )
            .await
            .unwrap()
            .expect("resumed from the keyring");
            second.sync_now().await.unwrap();
            assert_eq!(second.account().email, buyer.email);
            let rotated = KeyringStore::new(&service).load(&key).unwrap();
            assert!(
                rotated.is_some() && rotated.as_deref() != Some(token.as_str()),
                "the rotated token replaced the used one"
            );
            second.sign_out().await.unwrap();
            assert_eq!(KeyringStore::new(&service).load(&key).unwrap(), None);
            assert!(again().await.is_none(), "after sign-out: sign in again");
        }
        "locked" => {
            assert!(
                first.status().borrow().session_only,
                "the UI is told this session ends with the app"
            );
            first.sync_now().await.unwrap();
            let home = PathBuf::from(std::env::var_os("TRADE_KEYRING_HOME").unwrap());
            for root in [dir.path(), home.as_path()] {
                let leaks = files_containing(root, token.as_bytes());
                assert!(leaks.is_empty(), "the token reached the disk: {leaks:?}");
            }
            assert!(again().await.is_none(), "nothing to resume from");
        }
        other => panic!("TRADE_KEYRING={other:?}"),
    }
}
