//! Two `trade-server` processes on one PostgreSQL database and one S3 (s3s-fs) bucket,
//! behind a real HAProxy running `deploy/haproxy.cfg` as written (its `${...}` variables
//! set to this cluster's ports and files). TLS passes through the balancer: both
//! instances serve one certificate, made here as the server makes its local CA, and read
//! the client's address from the PROXY protocol header HAProxy sends.
//!
//! Needs `TRADE_TEST_POSTGRES_URL`, `TRADE_TEST_S3FS` and an `haproxy` binary
//! (`TRADE_TEST_HAPROXY`, else on `PATH` or in `/usr/sbin`); [`Cluster::missing`] says
//! which is absent. Shared by `balancer` (the tests) and `benches/balancer.rs`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::processes::ServerProcess;
use crate::support::S3Store;

/// The backend and server names in `deploy/haproxy.cfg`.
pub const BACKEND: &str = "trade_servers";
pub const SERVERS: [&str; 2] = ["trade1", "trade2"];

/// How long an instance may take to be marked up by HAProxy's health checks.
const UP_DEADLINE: Duration = Duration::from_secs(60);

pub fn haproxy_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TRADE_TEST_HAPROXY").filter(|p| !p.is_empty()) {
        return Some(path.into());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|dir| dir.join("haproxy"))
        .find(|bin| bin.is_file())
}

/// The example configuration the cluster runs.
pub fn config_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/haproxy.cfg")
}

pub struct Cluster {
    /// `trade1` and `trade2`, in `SERVERS`' order.
    pub servers: Vec<ServerProcess>,
    haproxy: Option<Child>,
    /// HAProxy's runtime API.
    pub admin: PathBuf,
    /// `https://localhost:PORT`: the balancer.
    pub base: String,
    /// The CA every client trusts.
    pub ca: Vec<u8>,
    pub database_url: String,
    pub s3: S3Store,
    pub dir: PathBuf,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// Why a cluster cannot run here, or `None`.
    pub fn missing() -> Option<String> {
        let mut missing = Vec::new();
        if std::env::var_os("TRADE_TEST_POSTGRES_URL").is_none_or(|v| v.is_empty()) {
            missing.push("TRADE_TEST_POSTGRES_URL (PostgreSQL)");
        }
        if S3Store::binary().is_none() {
            missing.push("TRADE_TEST_S3FS (an s3s-fs binary)");
        }
        if haproxy_binary().is_none() {
            missing.push("haproxy (apt-get install haproxy, or TRADE_TEST_HAPROXY)");
        }
        (!missing.is_empty()).then(|| format!("needs {}", missing.join(", ")))
    }

    /// Starts the instances one after the other (the first migrates the fresh database)
    /// and the balancer, and waits until HAProxy's health checks mark both up.
    pub async fn start() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let (ca, cert, key) = trade_server::tls::ensure_local_ca(&root.join("tls")).unwrap();
        let database_url = crate::support::database_url()
            .await
            .expect("TRADE_TEST_POSTGRES_URL");
        let s3 = S3Store::from_env().expect("TRADE_TEST_S3FS");
        let trade_server::documents::DocumentsLocation::S3(location) = &s3.location else {
            panic!("an S3 store keeps documents in S3");
        };
        // The server reads the store's endpoint and credentials from the AWS_*
        // environment, the names of object_store's options in capitals.
        let env: Vec<(String, String)> = location
            .options
            .iter()
            .map(|(k, v)| (k.to_uppercase(), v.clone()))
            .collect();
        let documents = format!("s3://{}/{}", location.bucket, location.prefix);
        let servers: Vec<ServerProcess> = SERVERS
            .iter()
            .map(|name| {
                let data = root.join(name);
                std::fs::create_dir(&data).unwrap();
                let mut server = ServerProcess::new(&data, Some(database_url.clone()));
                server.serve_args = vec![
                    "--cert".into(),
                    cert.display().to_string(),
                    "--key".into(),
                    key.display().to_string(),
                    "--documents".into(),
                    documents.clone(),
                    "--proxy-protocol".into(),
                ];
                server.env = env.clone();
                server
            })
            .collect();
        let port = ServerProcess::free_port();
        let admin = root.join("haproxy.sock");
        let binary = haproxy_binary().expect("haproxy");
        let check = Command::new(&binary)
            .arg("-c")
            .arg("-f")
            .arg(config_path())
            .envs(haproxy_env(port, &admin, &servers))
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "deploy/haproxy.cfg is refused: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let log = std::fs::File::create(root.join("haproxy.log")).unwrap();
        let haproxy = Command::new(&binary)
            // In the foreground, logging to standard output (the file).
            .arg("-db")
            .arg("-f")
            .arg(config_path())
            .envs(haproxy_env(port, &admin, &servers))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut cluster = Cluster {
            servers,
            haproxy: Some(haproxy),
            admin,
            base: format!("https://localhost:{port}"),
            ca: std::fs::read(&ca).unwrap(),
            database_url,
            s3,
            dir: root,
            _dir: dir,
        };
        for n in 0..SERVERS.len() {
            cluster.servers[n].spawn();
            cluster.wait_status(n, "UP").await;
        }
        cluster
    }

    /// An HTTPS client trusting the cluster's CA, its connections from `source` (a
    /// loopback address of the test's choosing: the server sees it through the PROXY
    /// header), a connection per request unless `pool`.
    pub fn client(&self, source: Option<IpAddr>, timeout: Duration, pool: bool) -> reqwest::Client {
        let mut builder = trade_test_api::client_builder(&self.ca)
            .timeout(timeout)
            .local_address(source);
        if !pool {
            builder = builder.pool_max_idle_per_host(0);
        }
        builder.build().unwrap()
    }

    /// One runtime API command; its answer. Waits (10 s at most) for a balancer that
    /// is starting to open its socket.
    pub async fn admin(&self, command: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut socket = loop {
            match tokio::net::UnixStream::connect(&self.admin).await {
                Ok(socket) => break socket,
                Err(err) => assert!(
                    Instant::now() < deadline,
                    "HAProxy's runtime API at {}: {err}\n{}",
                    self.admin.display(),
                    self.logs()
                ),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        socket
            .write_all(format!("{command}\n").as_bytes())
            .await
            .unwrap();
        let mut answer = String::new();
        socket.read_to_string(&mut answer).await.unwrap();
        answer
    }

    /// `show stat`'s `column` for server `n`.
    pub async fn stat(&self, n: usize, column: &str) -> String {
        let csv = self.admin("show stat").await;
        let mut lines = csv.lines();
        let header: Vec<&str> = lines
            .next()
            .unwrap_or_default()
            .trim_start_matches("# ")
            .split(',')
            .collect();
        let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
        lines
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|row| row.len() > 2 && row[0] == BACKEND && row[1] == SERVERS[n])
            .map(|row| row[at(column)].to_owned())
            .unwrap_or_else(|| panic!("no {} in HAProxy's stats: {csv}", SERVERS[n]))
    }

    /// Connections HAProxy has sent to server `n` so far.
    pub async fn sessions_total(&self, n: usize) -> u64 {
        self.stat(n, "stot").await.parse().unwrap()
    }

    /// Connections open to server `n` now.
    pub async fn sessions_now(&self, n: usize) -> u64 {
        self.stat(n, "scur").await.parse().unwrap()
    }

    /// Waits until HAProxy's health checks give server `n` `status` (`UP`, `DOWN`).
    pub async fn wait_status(&mut self, n: usize, status: &str) {
        let deadline = Instant::now() + UP_DEADLINE;
        loop {
            let now = self.stat(n, "status").await;
            if now == status {
                return;
            }
            if let Some(child) = self.servers[n].child.as_mut()
                && let Ok(Some(exit)) = child.try_wait()
            {
                panic!("{} exited: {exit}\n{}", SERVERS[n], self.logs());
            }
            assert!(
                Instant::now() < deadline,
                "{} is still {now}, not {status}, after {UP_DEADLINE:?}\n{}",
                SERVERS[n],
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// New connections go to server `n` only (existing ones stay where they are).
    pub async fn pin(&self, n: usize) {
        for (m, name) in SERVERS.iter().enumerate() {
            let weight = if m == n { 1 } else { 0 };
            let answer = self
                .admin(&format!("set weight {BACKEND}/{name} {weight}"))
                .await;
            assert!(answer.trim().is_empty(), "set weight: {answer}");
        }
    }

    /// New connections go to every server again.
    pub async fn unpin(&self) {
        for name in SERVERS {
            let answer = self.admin(&format!("set weight {BACKEND}/{name} 1")).await;
            assert!(answer.trim().is_empty(), "set weight: {answer}");
        }
    }

    /// The ends of HAProxy's and the instances' logs, for a failure's message.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        let haproxy = std::fs::read_to_string(self.dir.join("haproxy.log")).unwrap_or_default();
        let lines: Vec<&str> = haproxy.lines().collect();
        out.push_str("--- haproxy\n");
        for line in &lines[lines.len().saturating_sub(20)..] {
            out.push_str(line);
            out.push('\n');
        }
        for (server, name) in self.servers.iter().zip(SERVERS) {
            out.push_str(&format!("--- {name}\n"));
            out.push_str(&crate::processes::server_log_tails(&server.dir, 20));
        }
        out
    }
}

fn haproxy_env(port: u16, admin: &Path, servers: &[ServerProcess]) -> Vec<(String, String)> {
    vec![
        ("TRADE_LB_BIND".into(), format!("127.0.0.1:{port}")),
        ("TRADE_LB_ADMIN_SOCKET".into(), admin.display().to_string()),
        (
            "TRADE_SERVER_1".into(),
            format!("127.0.0.1:{}", servers[0].port),
        ),
        (
            "TRADE_SERVER_2".into(),
            format!("127.0.0.1:{}", servers[1].port),
        ),
    ]
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
        if let Some(mut haproxy) = self.haproxy.take() {
            let _ = haproxy.kill();
            let _ = haproxy.wait();
        }
        for server in &mut self.servers {
            server.kill();
        }
    }
}

/// The server-sent events of one `GET /v1/events` response.
pub struct Events {
    response: reqwest::Response,
    buf: String,
}

impl Events {
    /// Opens the stream through `http` (which must not time the stream out).
    pub async fn open(http: &reqwest::Client, base: &str, token: &str) -> Option<Events> {
        let response = http
            .get(format!("{base}/v1/events"))
            .bearer_auth(token)
            .timeout(Duration::from_secs(3600))
            .send()
            .await
            .ok()?;
        (response.status() == StatusCode::OK).then(|| Events {
            response,
            buf: String::new(),
        })
    }

    /// The next event (`ready` or `changed`) and its data; `None` when the stream ends
    /// or breaks.
    pub async fn next(&mut self) -> Option<(String, Value)> {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut event = None;
                let mut data = Value::Null;
                for line in block.lines() {
                    if let Some(e) = line.strip_prefix("event: ") {
                        event = Some(e.to_owned());
                    } else if let Some(d) = line.strip_prefix("data: ") {
                        data = serde_json::from_str(d).unwrap_or(Value::Null);
                    }
                }
                // Heartbeats are comments: no event.
                if let Some(event) = event {
                    return Some((event, data));
                }
            }
            let chunk = self.response.chunk().await.ok()??;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next event called `want`, within `within`.
    pub async fn expect(&mut self, want: &str, within: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.next()).await {
                Ok(Some((event, data))) if event == want => return data,
                Ok(Some(_)) => {}
                Ok(None) => panic!("the event stream ended before `{want}`"),
                Err(_) => panic!("no `{want}` event within {within:?}"),
            }
        }
    }
}
