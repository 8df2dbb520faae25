//! Test support: the real server on 127.0.0.1:0 over HTTPS with a temp data directory
//! and a test clock, and a real HTTPS client that trusts only the server's own CA.
//!
//! Set `TRADE_TEST_POSTGRES_URL` (a server URL whose user may create databases) to run
//! the same tests on a fresh PostgreSQL database per test instead of SQLite.
//!
//! Set `TRADE_TEST_S3FS` (the path of an `s3s-fs` binary) to keep every test server's
//! documents in a real S3 server instead of its data directory: each server starts its
//! own s3s-fs over a temp directory (a bucket there is a directory) with a fresh bucket.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trade_server::clock::TestClock;
use trade_server::{Config, Running};
use trade_test_api::{Api, ca_in};

pub struct TestServer {
    pub running: Running,
    /// Where its documents are, when on S3 (see [`S3Store`]).
    pub s3: Option<S3Store>,
    pub clock: TestClock,
    /// Its JSON API (`client`, `base`, `send`, ...).
    pub api: Api,
    /// The data directory (TLS material, SQLite files, documents).
    pub dir: std::path::PathBuf,
    _dir: Option<tempfile::TempDir>,
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub email: String,
    pub token: String,
    pub refresh: String,
}

pub const PASSWORD: &str = "correct horse battery staple";

/// A fresh PostgreSQL database when `TRADE_TEST_POSTGRES_URL` is set.
pub async fn database_url() -> Option<String> {
    trade_test_api::postgres_database().await
}

impl std::ops::Deref for TestServer {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_on(database_url().await).await
    }

    /// A server on `database_url` (`None`: SQLite in its temp dir); several servers may
    /// share one PostgreSQL database.
    pub async fn start_on(database_url: Option<String>) -> TestServer {
        TestServer::start_sharing(database_url, S3Store::from_env()).await
    }

    /// A server on `database_url` keeping its documents in `s3` (`None`: its data
    /// directory); several servers may share one bucket.
    pub async fn start_sharing(database_url: Option<String>, s3: Option<S3Store>) -> TestServer {
        TestServer::start_configured(database_url, s3, |_| {}).await
    }

    /// A server on `database_url` (`None`: SQLite) with `configure` applied to its
    /// configuration, in its own temp dir.
    pub async fn start_with(
        database_url: Option<String>,
        configure: impl FnOnce(&mut Config),
    ) -> TestServer {
        TestServer::start_configured(database_url, S3Store::from_env(), configure).await
    }

    async fn start_configured(
        database_url: Option<String>,
        s3: Option<S3Store>,
        configure: impl FnOnce(&mut Config),
    ) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let clock = TestClock::new("2026-11-26T09:00:00Z".parse().unwrap());
        let location = s3.as_ref().map(|s3| s3.location.clone());
        let mut server = TestServer::start_in(dir.path(), clock, |config| {
            config.database_url = database_url;
            if let Some(location) = location {
                config.documents = location;
            }
            configure(config);
        })
        .await;
        server._dir = Some(dir);
        server.s3 = s3;
        server
    }

    /// Where the blob of `sha256` is kept on disk: in the data directory, or in the S3
    /// server's directory (for tests that remove it behind the server's back).
    pub fn blob_path(&self, sha256: &str) -> std::path::PathBuf {
        let base = match &self.s3 {
            Some(s3) => s3.bucket_dir.join(S3_PREFIX),
            None => self.dir.join("documents"),
        };
        base.join(&sha256[..2]).join(sha256)
    }

    /// A server on the data in `dir` (kept by the caller; another server may be using
    /// it too) and `clock`, with `configure` applied to its configuration.
    pub async fn start_in(
        dir: &std::path::Path,
        clock: TestClock,
        configure: impl FnOnce(&mut Config),
    ) -> TestServer {
        let mut config = Config::new(dir.to_owned(), "127.0.0.1:0".parse().unwrap());
        config.clock = Arc::new(clock.clone());
        // Short, so a test can watch heartbeats arrive.
        config.heartbeat = std::time::Duration::from_millis(200);
        // No request budgets: the test clock stands still, so every request of a test
        // would count in one window (`throttle::` sets its own). The end-to-end and
        // desktop suites run with the default budget.
        config.request_budget = trade_server::throttle::RequestBudget::OFF;
        configure(&mut config);
        let running = trade_server::start(config).await.expect("server starts");
        let api = Api::new(running.base_url(), trade_test_api::client(&ca_in(dir)));
        TestServer {
            running,
            s3: None,
            clock,
            api,
            dir: dir.to_owned(),
            _dir: None,
        }
    }

    pub fn now(&self) -> Timestamp {
        use trade_server::clock::Clock;
        self.clock.now()
    }

    pub fn advance(&self, by: SignedDuration) {
        self.clock.advance(by);
    }

    /// A UTC date `days` after the test clock's today.
    pub fn date_in(&self, days: i64) -> String {
        let today = self.now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        today
            .checked_add(jiff::Span::new().days(days))
            .unwrap()
            .to_string()
    }

    /// Renews a session with `refresh_token`: the status and the body.
    pub async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.send(
            Method::POST,
            "/v1/sessions/refresh",
            None,
            Some(serde_json::json!({ "refresh_token": refresh_token })),
            &[],
        )
        .await
    }

    pub async fn get(&self, path: &str, user: &User) -> (StatusCode, Value) {
        self.send(Method::GET, path, Some(&user.token), None, &[])
            .await
    }

    pub async fn post(&self, path: &str, user: &User, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(&user.token), Some(body), &[])
            .await
    }

    /// POST that must succeed; returns the body.
    pub async fn ok(&self, path: &str, user: &User, body: Value) -> Value {
        let (status, value) = self.post(path, user, body).await;
        assert!(status.is_success(), "POST {path} -> {status}: {value}");
        value
    }

    pub async fn register(&self, role: &str, name: &str) -> User {
        let email = format!(
            "{}.{}@example.com",
            name.to_lowercase().replace(' ', "."),
            uuid::Uuid::now_v7().simple()
        );
        let (status, body) = self
            .send(
                Method::POST,
                "/v1/accounts",
                None,
                Some(json!({
                    "email": email, "password": PASSWORD, "display_name": name, "role": role,
                    "company_name": format!("{name} Trading Co."), "country": "CN"
                })),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        self.login(&email).await
    }

    pub async fn login(&self, email: &str) -> User {
        let (status, body) = self
            .send(
                Method::POST,
                "/v1/sessions",
                None,
                Some(json!({ "email": email, "password": PASSWORD })),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        User {
            id: body["account"]["id"].as_str().unwrap().to_owned(),
            email: email.to_owned(),
            token: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn operator(&self) -> User {
        let email = format!("ops.{}@tradecenter.example", uuid::Uuid::now_v7().simple());
        trade_server::auth::operators::create(
            &self.running.state.db,
            &email,
            "Dispute Team",
            PASSWORD,
        )
        .await
        .map_err(|e| e.message)
        .unwrap();
        self.login(&email).await
    }

    /// Upload bytes as a document; returns (status, body).
    pub async fn upload(&self, user: &User, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
        let resp = self
            .client
            .post(format!("{}/v1/documents", self.base))
            .query(&[("name", name)])
            .bearer_auth(&user.token)
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Order terms: `lines` of (product, quantity, unit price in cents), USD, FOB, sea.
    pub fn terms(&self, lines: &[(&str, u64, i64)], deposit_percent: Option<u32>) -> Value {
        let total: i64 = lines.iter().map(|(_, q, p)| *q as i64 * p).sum();
        let payment_terms = match deposit_percent {
            None => json!({ "kind": "full" }),
            Some(p) => {
                let deposit = total * i64::from(p) / 100;
                json!({ "kind": "deposit_balance", "deposit_minor": deposit, "balance_minor": total - deposit })
            }
        };
        json!({
            "lines": lines.iter().map(|(p, q, u)| json!({"product": p, "quantity": q, "unit": "pieces", "unit_price_minor": u})).collect::<Vec<_>>(),
            "currency": "USD",
            "incoterm": "FOB",
            "shipping_method": "sea",
            "ship_by": self.date_in(45),
            "payment_terms": payment_terms,
            "remarks": "Packed in export cartons.",
            "documents": []
        })
    }

    /// Polls GET `path` until `done` holds, for at most 10 s of real time.
    pub async fn wait_for(&self, path: &str, user: &User, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let (_, body) = self.get(path, user).await;
            if done(&body) {
                return body;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting on {path}: {body}"
            );
            tokio::task::yield_now().await;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

/// The key prefix test servers keep documents under in their bucket.
pub const S3_PREFIX: &str = "documents";

/// A running s3s-fs: a real S3 protocol server over a directory. Killed when the last
/// holder drops it.
pub struct S3Server {
    child: std::sync::Mutex<std::process::Child>,
    pub endpoint: String,
    /// Its data: one directory per bucket, one file per object (under its key's path).
    pub root: tempfile::TempDir,
}

const S3_ACCESS_KEY: &str = "trade-test";
const S3_SECRET_KEY: &str = "trade-test-secret";

impl S3Server {
    /// Starts `binary` on a port the system picks, and waits (10 s at most) for the line
    /// where it says which.
    pub fn start(binary: &std::path::Path) -> Arc<S3Server> {
        use std::io::BufRead;
        let root = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(["--access-key", S3_ACCESS_KEY, "--secret-key", S3_SECRET_KEY])
            .arg(root.path())
            .env("RUST_LOG", "s3s_fs=info")
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the log to its end (so the server never blocks on a full pipe), handing
        // over the address line.
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some((_, url)) = line.split_once("server is running at ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let endpoint = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("s3s-fs says where it listens");
        Arc::new(S3Server {
            child: std::sync::Mutex::new(child),
            endpoint,
            root,
        })
    }

    /// A new, empty bucket.
    pub fn bucket(self: &Arc<Self>) -> S3Store {
        let bucket = format!("trade-{}", uuid::Uuid::now_v7().simple());
        let bucket_dir = self.root.path().join(&bucket);
        std::fs::create_dir(&bucket_dir).unwrap();
        let options = [
            ("aws_endpoint", self.endpoint.as_str()),
            ("aws_allow_http", "true"),
            ("aws_access_key_id", S3_ACCESS_KEY),
            ("aws_secret_access_key", S3_SECRET_KEY),
            ("aws_region", "us-east-1"),
        ];
        S3Store {
            server: self.clone(),
            location: trade_server::documents::DocumentsLocation::S3(
                trade_server::documents::S3Location {
                    bucket,
                    prefix: S3_PREFIX.to_owned(),
                    options: options
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect(),
                },
            ),
            bucket_dir,
        }
    }

    /// Stops it (as a store that goes away does); it is not restarted.
    pub fn kill(&self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A bucket on an [`S3Server`], as a server's document location.
#[derive(Clone)]
pub struct S3Store {
    pub server: Arc<S3Server>,
    pub location: trade_server::documents::DocumentsLocation,
    /// The bucket's directory in the server's data.
    pub bucket_dir: std::path::PathBuf,
}

impl S3Store {
    /// The s3s-fs binary named by `TRADE_TEST_S3FS`, if any.
    pub fn binary() -> Option<std::path::PathBuf> {
        std::env::var_os("TRADE_TEST_S3FS")
            .filter(|v| !v.is_empty())
            .map(Into::into)
    }

    /// A fresh bucket on a fresh server when `TRADE_TEST_S3FS` is set.
    pub fn from_env() -> Option<S3Store> {
        S3Store::binary().map(|binary| S3Server::start(&binary).bucket())
    }
}
