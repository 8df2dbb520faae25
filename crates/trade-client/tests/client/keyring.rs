//! The credential store against the real OS keyring (Secret Service via gnome-keyring).
//!
//! Run through `scripts/with-keyring.sh`, once per keyring state:
//!
//! ```sh
//! scripts/with-keyring.sh cargo test -p trade-client --test client keyring::
//! scripts/with-keyring.sh --locked cargo test -p trade-client --test client keyring::
//! ```
//!
//! The script starts a throwaway gnome-keyring on a private session bus with a temporary
//! HOME and says which state it set up in `TRADE_KEYRING` (`unlocked` or `locked`). Every
//! test checks the behaviour for that state, and fails when the variable is missing: run
//! bare, these tests would touch the developer's own keyring or test nothing.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use trade_client::credentials::{
    self, CredentialError, CredentialKey, CredentialStore, DEFAULT_SERVICE, DEFAULT_TIMEOUT,
    KeyringStore,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Unlocked,
    Locked,
    /// Set only by `no_session_bus_is_unavailable` for the copy of itself it starts.
    NoBus,
}

fn mode() -> Mode {
    match std::env::var("TRADE_KEYRING").as_deref() {
        Ok("unlocked") => Mode::Unlocked,
        Ok("locked") => Mode::Locked,
        Ok("no-bus") => Mode::NoBus,
        Ok(other) => panic!("TRADE_KEYRING={other:?}: expected unlocked or locked"),
        Err(_) => panic!(
            "TRADE_KEYRING is not set. These tests need a throwaway keyring: run them as \
             `scripts/with-keyring.sh cargo test -p trade-client --test client keyring::` and \
             `scripts/with-keyring.sh --locked cargo test -p trade-client --test client keyring::`"
        ),
    }
}

fn only_in_child() -> ! {
    panic!("TRADE_KEYRING=no-bus is only for no_session_bus_is_unavailable")
}

/// The temporary HOME the script made (and will delete).
fn temp_home() -> PathBuf {
    let home = std::env::var_os("TRADE_KEYRING_HOME")
        .expect("TRADE_KEYRING_HOME is not set: run through scripts/with-keyring.sh");
    PathBuf::from(home)
}

/// Unique per call, so tests running in parallel never share an entry.
fn unique() -> String {
    format!("{}-{:016x}", std::process::id(), rand::random::<u64>())
}

fn test_key(tag: &str) -> CredentialKey {
    let u = unique();
    CredentialKey::new(
        format!("https://{tag}-{u}.example.com"),
        format!("account-{u}"),
    )
}

fn token() -> String {
    format!("refresh-token-{}", unique())
}

fn secret_tool(args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new("secret-tool")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run secret-tool (Debian package libsecret-tools)");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input
            .write_all(text.as_bytes())
            .expect("write to secret-tool");
    }
    drop(input);
    child.wait_with_output().expect("wait for secret-tool")
}

/// The secret another Secret Service client (secret-tool, in another process) finds for
/// `key`, if any.
fn lookup_elsewhere(store: &KeyringStore, key: &CredentialKey) -> Option<String> {
    let (service, user) = store.entry_name(key);
    let out = secret_tool(
        &[
            "lookup", "service", &service, "username", &user, "target", "default",
        ],
        None,
    );
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).expect("utf-8"))
}

/// How many keyring items another client finds for `key`.
fn count_elsewhere(store: &KeyringStore, key: &CredentialKey) -> usize {
    let (service, user) = store.entry_name(key);
    let out = secret_tool(
        &["search", "--all", "service", &service, "username", &user],
        None,
    );
    // One "[/org/freedesktop/secrets/collection/...]" header per item, on stdout or, for
    // a locked item, after a complaint on stderr.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("[/"))
        .count()
}

fn assert_unavailable<T: std::fmt::Debug>(what: &str, answer: Result<T, CredentialError>) {
    match answer {
        Err(e @ CredentialError::Unavailable(_)) => assert_eq!(e.code(), "credentials.unavailable"),
        other => panic!("{what}: expected Err(Unavailable), got {other:?}"),
    }
}

/// Regular files under `root` whose bytes contain `needle`.
fn files_containing(root: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                dirs.push(path);
            } else if meta.is_file()
                && std::fs::read(&path)
                    .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
            {
                found.push(path);
            }
        }
    }
    found
}

fn regular_files(root: &Path) -> Vec<PathBuf> {
    files_containing(root, b"")
}

#[test]
fn round_trip_across_instances_and_processes() {
    let key = test_key("round-trip");
    let first = KeyringStore::default();
    match mode() {
        Mode::Unlocked => {
            assert_eq!(first.load(&key).unwrap(), None);
            let t1 = token();
            first.store(&key, &t1).unwrap();
            // What a second engine would do: a new handle, its own D-Bus connection.
            let second = KeyringStore::new(DEFAULT_SERVICE);
            assert_eq!(second.load(&key).unwrap().as_deref(), Some(t1.as_str()));
            // Another process, another Secret Service client library.
            assert_eq!(lookup_elsewhere(&first, &key).as_deref(), Some(t1.as_str()));

            // Rotation replaces the entry; it does not add a second one.
            let t2 = token();
            second.store(&key, &t2).unwrap();
            assert_eq!(first.load(&key).unwrap().as_deref(), Some(t2.as_str()));
            assert_eq!(count_elsewhere(&first, &key), 1);

            second.delete(&key).unwrap();
            assert_eq!(first.load(&key).unwrap(), None);
            assert_eq!(lookup_elsewhere(&first, &key), None);
            assert_eq!(count_elsewhere(&first, &key), 0);
            // Deleting what is not there is fine.
            first.delete(&key).unwrap();
        }
        Mode::Locked => {
            assert_unavailable("store in a locked keyring", first.store(&key, &token()));
            assert_eq!(
                count_elsewhere(&first, &key),
                0,
                "the failed store left an item"
            );
            // The Secret Service can search a locked keyring (item attributes are not
            // secret), so "nothing stored" is still a truthful answer...
            assert_eq!(first.load(&key).unwrap(), None);
            first.delete(&key).unwrap();
        }
        Mode::NoBus => only_in_child(),
    }
}

#[test]
fn existing_entries_are_shared_with_other_clients() {
    match mode() {
        Mode::Unlocked => {
            // An entry written by another client under KeyringStore's names is found.
            let store = KeyringStore::default();
            let key = test_key("interop");
            let (service, user) = store.entry_name(&key);
            let t = token();
            let out = secret_tool(
                &[
                    "store",
                    "--label",
                    "written by secret-tool",
                    "service",
                    &service,
                    "username",
                    &user,
                    "target",
                    "default",
                ],
                Some(&t),
            );
            assert!(out.status.success(), "secret-tool store: {out:?}");
            assert_eq!(store.load(&key).unwrap().as_deref(), Some(t.as_str()));
            store.delete(&key).unwrap();
            assert_eq!(lookup_elsewhere(&store, &key), None);
        }
        Mode::Locked => {
            // ...but a secret that is there cannot be read, replaced or deleted without
            // the unlock prompt: Unavailable, not "nothing stored" and not a hang.
            let var = |name| {
                std::env::var(name).unwrap_or_else(|_| panic!("{name} not set by the script"))
            };
            let store = KeyringStore::new(var("TRADE_KEYRING_SEED_SERVICE"));
            let key = CredentialKey::new(
                var("TRADE_KEYRING_SEED_SERVER"),
                var("TRADE_KEYRING_SEED_ACCOUNT"),
            );
            assert_eq!(
                count_elsewhere(&store, &key),
                1,
                "scripts/with-keyring.sh --locked should have stored an entry under {:?}",
                store.entry_name(&key)
            );
            assert_unavailable("load of a locked entry", store.load(&key));
            assert_unavailable("store over a locked entry", store.store(&key, &token()));
            assert_unavailable("delete of a locked entry", store.delete(&key));
            assert_eq!(count_elsewhere(&store, &key), 1);
        }
        Mode::NoBus => only_in_child(),
    }
}

#[test]
fn servers_and_accounts_do_not_collide() {
    let u = unique();
    let servers = [
        format!("https://a-{u}.example.com"),
        format!("https://b-{u}.example.com"),
    ];
    let accounts = [format!("alice-{u}"), format!("bob-{u}")];
    let keys: Vec<CredentialKey> = servers
        .iter()
        .flat_map(|s| {
            accounts
                .iter()
                .map(move |a| CredentialKey::new(s.clone(), a.clone()))
        })
        .collect();
    let store = KeyringStore::default();
    match mode() {
        Mode::Unlocked => {
            let tokens: Vec<String> = keys.iter().map(|_| token()).collect();
            for (key, t) in keys.iter().zip(&tokens) {
                store.store(key, t).unwrap();
            }
            for (key, t) in keys.iter().zip(&tokens) {
                assert_eq!(store.load(key).unwrap().as_ref(), Some(t), "{key}");
                assert_eq!(count_elsewhere(&store, key), 1, "{key}");
            }
            store.delete(&keys[0]).unwrap();
            assert_eq!(store.load(&keys[0]).unwrap(), None);
            for (key, t) in keys.iter().zip(&tokens).skip(1) {
                assert_eq!(store.load(key).unwrap().as_ref(), Some(t), "{key}");
                store.delete(key).unwrap();
            }
        }
        Mode::Locked => {
            for key in &keys {
                assert_unavailable("store in a locked keyring", store.store(key, &token()));
            }
        }
        Mode::NoBus => only_in_child(),
    }
}

/// The async wrapper with the engine's timeout: a locked keyring refuses at once rather
/// than running into the timeout.
#[tokio::test]
async fn async_calls_answer_within_the_timeout() {
    let store: Arc<dyn CredentialStore> = Arc::new(KeyringStore::default());
    let key = test_key("async");
    let t = token();
    let started = Instant::now();
    match mode() {
        Mode::Unlocked => {
            credentials::store_async(store.clone(), key.clone(), t.clone(), DEFAULT_TIMEOUT)
                .await
                .unwrap();
            let loaded = credentials::load_async(store.clone(), key.clone(), DEFAULT_TIMEOUT).await;
            assert_eq!(loaded.unwrap(), Some(t));
            credentials::delete_async(store.clone(), key.clone(), DEFAULT_TIMEOUT)
                .await
                .unwrap();
            let loaded = credentials::load_async(store, key, DEFAULT_TIMEOUT).await;
            assert_eq!(loaded.unwrap(), None);
        }
        Mode::Locked => {
            let answer = credentials::store_async(store, key, t, DEFAULT_TIMEOUT).await;
            assert_unavailable("store_async in a locked keyring", answer.clone());
            assert!(
                !answer.unwrap_err().to_string().contains("did not answer"),
                "the keyring should refuse, not hang until the timeout"
            );
        }
        Mode::NoBus => only_in_child(),
    }
    let elapsed = started.elapsed();
    assert!(elapsed < DEFAULT_TIMEOUT, "took {elapsed:?}");
}

/// The no-plaintext invariant, end to end: after storing (unlocked) or failing to store
/// (locked), no file under the temporary HOME holds the token, the keyring's own files
/// included.
#[test]
fn secrets_never_reach_the_disk_in_plaintext() {
    let home = temp_home();
    let store = KeyringStore::default();
    let key = test_key("disk");
    let t = token();
    match mode() {
        Mode::Unlocked => store.store(&key, &t).unwrap(),
        Mode::Locked => assert_unavailable("store in a locked keyring", store.store(&key, &t)),
        Mode::NoBus => only_in_child(),
    }
    let keyring_file = home.join(".local/share/keyrings/login.keyring");
    assert!(
        keyring_file.is_file(),
        "expected the keyring at {}; files under the temporary HOME: {:?}",
        keyring_file.display(),
        regular_files(&home)
    );
    let leaks = files_containing(&home, t.as_bytes());
    assert!(leaks.is_empty(), "the token is in plaintext in {leaks:?}");
    if mode() == Mode::Locked {
        let seed = std::env::var("TRADE_KEYRING_SEED_SECRET").expect("TRADE_KEYRING_SEED_SECRET");
        let leaks = files_containing(&home, seed.as_bytes());
        assert!(
            leaks.is_empty(),
            "the seeded secret is in plaintext in {leaks:?}"
        );
    } else {
        store.delete(&key).unwrap();
    }
}

/// Without a session bus (no D-Bus, no Secret Service) every call is Unavailable, at once.
/// Runs a copy of this test binary with a bus address that leads nowhere.
#[test]
fn no_session_bus_is_unavailable() {
    if mode() == Mode::NoBus {
        let store = KeyringStore::default();
        let key = test_key("no-bus");
        let started = Instant::now();
        assert_unavailable("load without D-Bus", store.load(&key));
        assert_unavailable("store without D-Bus", store.store(&key, &token()));
        assert_unavailable("delete without D-Bus", store.delete(&key));
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
        return;
    }
    let bus = temp_home().join("no-such-bus");
    // This test's name inside the test binary: its module path without the crate.
    let (_, module) = module_path!()
        .split_once("::")
        .expect("the test sits in a module of the test binary");
    let name = format!("{module}::no_session_bus_is_unavailable");
    let out = Command::new(std::env::current_exe().expect("test binary path"))
        .args(["--exact", &name, "--test-threads", "1"])
        .env("TRADE_KEYRING", "no-bus")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", bus.display()),
        )
        .env_remove("DISPLAY")
        .output()
        .expect("run the test binary again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the no-bus run failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
