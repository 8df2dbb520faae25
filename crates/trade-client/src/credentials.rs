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
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

mod thread;

pub use thread::{delete_async, load_async, settle, store_async};

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

#[cfg(test)]
mod tests {
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
}
