//! The real `trade-server` binary in child processes, and the exactly-once bookkeeping
//! the suites that kill it share (`faults`, `balancer`): requests retried with the same
//! key until they have an answer, then checks that every acknowledged effect exists once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

/// Longest any one request may take to get its final answer, retries included.
pub const ANSWER_DEADLINE: Duration = Duration::from_secs(120);

pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The server binary in a child process on a fixed port and data directory.
pub struct ServerProcess {
    pub child: Option<Child>,
    /// Its data directory, where its logs go too (`server-N.log`, one per start).
    pub dir: PathBuf,
    pub port: u16,
    pub database_url: Option<String>,
    pub starts: usize,
    /// More of `serve`'s options (`--cert`, `--documents`, `--proxy-protocol`, ...).
    pub serve_args: Vec<String>,
    /// More of its environment (S3 credentials, ...).
    pub env: Vec<(String, String)>,
}

impl ServerProcess {
    /// Not started yet; on a free port.
    pub fn new(dir: &Path, database_url: Option<String>) -> ServerProcess {
        ServerProcess {
            child: None,
            dir: dir.to_owned(),
            port: ServerProcess::free_port(),
            database_url,
            starts: 0,
            serve_args: Vec::new(),
            env: Vec::new(),
        }
    }

    pub fn free_port() -> u16 {
        trade_test_api::listen_port()
    }

    pub fn spawn(&mut self) {
        let log =
            std::fs::File::create(self.dir.join(format!("server-{}.log", self.starts))).unwrap();
        self.starts += 1;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trade-server"));
        cmd.arg("--data-dir").arg(&self.dir);
        if let Some(url) = &self.database_url {
            cmd.arg("--database-url").arg(url);
        }
        cmd.args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{}", self.port),
            "--settle-card-payments-after",
            "1",
            // No request budget: these clients push far harder than people, and retry
            // on their own schedule (budgets and backing off: `throttle::`, e2e).
            "--request-budget",
            "0",
        ])
        .args(&self.serve_args)
        .envs(self.env.iter().map(|(k, v)| (k, v)))
        .env("RUST_LOG", "warn,trade_server=info")
        .stdin(Stdio::null())
        .stdout(Stdio::from(
            log.try_clone().expect("the log file's second handle"),
        ))
        .stderr(Stdio::from(log));
        self.child = Some(cmd.spawn().expect("start trade-server"));
    }

    /// Starts the server and waits until it answers.
    pub async fn start(&mut self, client: &reqwest::Client) {
        self.spawn();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                let log = self.dir.join(format!("server-{}.log", self.starts - 1));
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(20).collect();
                panic!(
                    "trade-server exited at start: {status}; the end of {}:\n{}",
                    log.display(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            let ok = client
                .get(format!("https://localhost:{}/v1/health", self.port))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return;
            }
            assert!(Instant::now() < deadline, "trade-server did not come up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL the server");
            child.wait().expect("reap the server");
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The first start makes the CA; clients trust only it.
pub fn https_client(dir: &Path, timeout: Duration) -> reqwest::Client {
    trade_test_api::client_builder(&trade_test_api::ca_in(dir))
        .timeout(timeout)
        // A connection per request: every request meets the proxy's dice.
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// Sends the request built by `build` until it has an answer: transport errors, cut
/// bodies, 5xx and "payment still processing" are retried with the same key.
pub async fn answered(
    build: impl Fn() -> reqwest::RequestBuilder,
    retries: &AtomicU64,
) -> (StatusCode, Value) {
    let (started, since) = (Instant::now(), jiff::Timestamp::now());
    let deadline = started + ANSWER_DEADLINE;
    let mut last = String::from("nothing yet");
    // Every kind of answer the tries got, and how often: what a stuck request was told.
    let mut told: BTreeMap<String, u64> = BTreeMap::new();
    let mut tries = 0u64;
    loop {
        if Instant::now() >= deadline {
            let what = build()
                .build()
                .map(|r| format!("{} {}", r.method(), r.url().path()))
                .unwrap_or_default();
            panic!(
                "{what} got no answer in {ANSWER_DEADLINE:?} ({tries} tries since {since}); \
                 the last: {last}; all of them: {told:?}"
            );
        }
        tries += 1;
        match build().send().await {
            Ok(resp) => {
                let status = resp.status();
                match resp.text().await {
                    Ok(text) => match serde_json::from_str::<Value>(&text) {
                        Ok(value) => {
                            let processing = status == StatusCode::CONFLICT
                                && value["code"] == "payment.processing";
                            if !status.is_server_error() && !processing {
                                return (status, value);
                            }
                            last = format!("{status} {}", value["code"]);
                        }
                        Err(_) => last = format!("{status} with a cut or bad body"),
                    },
                    Err(e) => last = format!("{status}, then the body failed: {e}"),
                }
            }
            Err(e) => last = format!("no response: {e}"),
        }
        let kind = last.split(':').next().unwrap_or_default().to_owned();
        *told.entry(kind).or_default() += 1;
        retries.fetch_add(1, Ordering::Relaxed);
        let pause = rand::rng().random_range(10..60);
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}

/// The last `lines` lines of the logs of the last three starts of the server in `dir`.
pub fn server_log_tails(dir: &Path, lines: usize) -> String {
    let mut logs: Vec<(usize, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let n = name
                .strip_prefix("server-")?
                .strip_suffix(".log")?
                .parse()
                .ok()?;
            Some((n, e.path()))
        })
        .collect();
    logs.sort();
    let mut out = String::new();
    for (n, path) in logs.iter().rev().take(3).rev() {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        out.push_str(&format!("--- start {n} ({} lines)\n", all.len()));
        for line in &all[all.len().saturating_sub(lines)..] {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A new account signed in: (id, email, access token, refresh token).
pub async fn register(
    http: &reqwest::Client,
    base: &str,
    role: &str,
    name: &str,
) -> (String, String, String, String) {
    let email = format!("{role}.{}@faults.example", uuid::Uuid::now_v7().simple());
    let resp = http
        .post(format!("{base}/v1/accounts"))
        .json(
            &json!({ "email": email, "password": crate::support::PASSWORD, "display_name": name,
            "role": role, "company_name": format!("{name} Trading Co."), "country": "CN" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED, "register");
    let (id, access, refresh) = login(http, base, &email).await;
    (id, email, access, refresh)
}

/// A new session for `email`: (account id, access token, refresh token).
pub async fn login(http: &reqwest::Client, base: &str, email: &str) -> (String, String, String) {
    let session: Value = http
        .post(format!("{base}/v1/sessions"))
        .json(&json!({ "email": email, "password": crate::support::PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        session["account"]["id"].as_str().unwrap().to_owned(),
        session["access_token"].as_str().unwrap().to_owned(),
        session["refresh_token"].as_str().unwrap().to_owned(),
    )
}

pub async fn scalar(pool: &sqlx::AnyPool, sql: &str, arg: &str) -> i64 {
    sqlx::query(sql)
        .bind(arg)
        .fetch_one(pool)
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

/// Every pushed `(message id, body)` exists exactly once: one message with the body, one
/// with the id.
pub async fn assert_pushed_once(pool: &sqlx::AnyPool, pushed: &[(String, String)]) {
    for (message, token) in pushed {
        assert_eq!(
            scalar(pool, "SELECT COUNT(*) FROM messages WHERE body = $1", token).await,
            1,
            "pushed message {token}"
        );
        assert_eq!(
            scalar(pool, "SELECT COUNT(*) FROM messages WHERE id = $1", message).await,
            1
        );
    }
}

/// A pull from the start (through `base` with `token`) returns every message stored in
/// `inquiry`: the cursor skips nothing and invents nothing.
pub async fn assert_pull_returns_every_message(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    pool: &sqlx::AnyPool,
    inquiry: &str,
    retries: &AtomicU64,
) {
    let mut cursor = String::new();
    let mut pulled = BTreeSet::new();
    loop {
        let (status, page) = answered(
            || {
                http.get(format!("{base}/v1/sync/pull"))
                    .query(&[("cursor", cursor.as_str()), ("limit", "1000")])
                    .bearer_auth(token)
            },
            retries,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for change in page["changes"].as_array().unwrap() {
            if change["kind"] == "message" {
                pulled.insert(change["id"].as_str().unwrap().to_owned());
            }
        }
        cursor = page["next_cursor"].as_str().unwrap().to_owned();
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
    }
    let stored: BTreeSet<String> = sqlx::query("SELECT id FROM messages WHERE inquiry_id = $1")
        .bind(inquiry)
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>(0).unwrap())
        .collect();
    assert_eq!(
        pulled, stored,
        "inquiry {inquiry}: the pull skipped or invented messages"
    );
}
