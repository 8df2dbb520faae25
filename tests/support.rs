//! Shared pieces of the end-to-end tests: a real trade server on loopback over HTTPS
//! (restartable on the same port and data directory, to take it away and bring it
//! back) on SQLite, or on a fresh PostgreSQL database when `TRADE_TEST_POSTGRES_URL` is
//! set, accounts made through its API, and a TCP proxy that can lose the server's
//! answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use trade_client::credentials::MemoryStore;
use trade_client::engine::{Connection, Engine, Options};
use trade_client::profile::ServerProfile;
use trade_client::store::queries::OrderFilter;
use trade_server::clock::{Clock, SystemClock};
use trade_server::payments::gateway::{PaymentGateway, SandboxGateway};
use trade_server::{Config, Running};

pub struct Server {
    pub dir: tempfile::TempDir,
    pub addr: SocketAddr,
    pub running: Option<Running>,
    /// `None`: SQLite in `dir`.
    database_url: Option<String>,
    clock: Arc<dyn Clock>,
    /// The card gateway of the next start (`None`: the sandbox).
    gateway: Option<Arc<dyn PaymentGateway>>,
    /// How long card payments wait for the gateway before the reconciler asks it, from
    /// the next start (`None`: the server's default).
    settle_card_payments_after: Option<jiff::SignedDuration>,
    /// How long Pay Now waits for the gateway, from the next start (`None`: the
    /// server's default).
    pay_now_hold: Option<Duration>,
    snapshot_stream_pages: Option<usize>,
    /// The request budgets (`None`: the server's default).
    request_budget: Option<trade_server::throttle::RequestBudget>,
}

impl Server {
    pub async fn start() -> Server {
        Server::start_with_clock(Arc::new(SystemClock)).await
    }

    /// A server whose time is `clock`'s (also after a restart).
    pub async fn start_with_clock(clock: Arc<dyn Clock>) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let database_url = trade_test_api::postgres_database().await;
        // A port it can have again after a restart (not one from the ephemeral range).
        let listen = SocketAddr::from(([127, 0, 0, 1], trade_test_api::listen_port()));
        let mut server = Server {
            addr: listen,
            running: None,
            dir,
            database_url,
            clock,
            gateway: None,
            settle_card_payments_after: None,
            pay_now_hold: None,
            snapshot_stream_pages: None,
            request_budget: None,
        };
        server.boot().await;
        server
    }

    /// Starts the server on `addr` with its data and clock.
    async fn boot(&mut self) {
        let mut config = Config::new(self.dir.path().to_owned(), self.addr);
        config.clock = self.clock.clone();
        config.database_url = self.database_url.clone();
        config.gateway = self.gateway.clone();
        if let Some(after) = self.settle_card_payments_after {
            config.settle_card_payments_after = after;
        }
        if let Some(hold) = self.pay_now_hold {
            config.pay_now_hold = hold;
        }
        if let Some(pages) = self.snapshot_stream_pages {
            config.snapshot_stream_pages = pages;
        }
        if let Some(budget) = self.request_budget {
            config.request_budget = budget;
        }
        let running = trade_server::start(config).await.expect("server starts");
        self.addr = running.addr;
        self.running = Some(running);
    }

    /// Takes the server away (the client sees connection errors).
    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }

    /// Brings it back on the same port with the same data.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.boot().await;
    }

    pub fn profile(&self) -> ServerProfile {
        ServerProfile {
            url: format!("https://localhost:{}", self.addr.port()),
            ca_pem: Some(std::fs::read_to_string(self.dir.path().join("tls/ca.pem")).unwrap()),
        }
    }

    pub fn state(&self) -> &trade_server::state::AppState {
        &self.running.as_ref().expect("server running").state
    }

    /// Card payments go through `gateway` from the next (re)start on; `None`: the
    /// sandbox, with the books of [`Server::sandbox_books`].
    pub fn set_gateway(&mut self, gateway: Option<Arc<dyn PaymentGateway>>) {
        self.gateway = gateway;
    }

    /// From the next (re)start on, the reconciler settles card payments whose gateway
    /// answer has been missing this long.
    pub fn set_settle_card_payments_after(&mut self, after: jiff::SignedDuration) {
        self.settle_card_payments_after = Some(after);
    }

    /// From the next (re)start on, Pay Now answers "still processing" after waiting
    /// this long for the card gateway.
    pub fn set_pay_now_hold(&mut self, hold: Duration) {
        self.pay_now_hold = Some(hold);
    }

    /// From the next (re)start on, an answer of the snapshot stream holds at most
    /// `pages` pages.
    pub fn set_snapshot_stream_pages(&mut self, pages: usize) {
        self.snapshot_stream_pages = Some(pages);
    }

    /// From the next (re)start on, each account may send `budget` requests per window.
    pub fn set_request_budget(&mut self, budget: trade_server::throttle::RequestBudget) {
        self.request_budget = Some(budget);
    }

    /// The sandbox gateway's books, as the server's default gateway keeps them.
    pub async fn sandbox_books(&self) -> SandboxGateway {
        let url = match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.dir.path().join("sandbox-gateway.db").display()
            ),
        };
        SandboxGateway::open(&url).await.unwrap()
    }

    /// An operator (the platform's team), made directly in the database.
    pub async fn operator(&self) -> Party {
        let email = format!("ops.{}@tradecenter.example", uuid::Uuid::now_v7().simple());
        let account = trade_server::auth::operators::create(
            &self.state().db,
            &email,
            "Dispute Team",
            PASSWORD,
        )
        .await
        .map_err(|e| e.message)
        .unwrap();
        let token = self.session(&email).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        Party {
            id: account.id.to_string(),
            email,
            token,
        }
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

/// An account made through the API, with a token for acting as it directly.
#[derive(Clone, Debug)]
pub struct Party {
    pub id: String,
    pub email: String,
    pub token: String,
}

impl Server {
    pub fn http(&self) -> reqwest::Client {
        trade_test_api::client(&trade_test_api::ca_in(self.dir.path()))
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }

    /// Signs in `email` (with the tests' password); returns the session body.
    async fn session(&self, email: &str) -> serde_json::Value {
        self.session_with(email, PASSWORD).await
    }

    async fn session_with(&self, email: &str, password: &str) -> serde_json::Value {
        self.http()
            .post(self.url("/v1/sessions"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// An account made elsewhere (e.g. by the bulk seed), signed in through the API.
    pub async fn party(&self, id: String, email: &str, password: &str) -> Party {
        let session = self.session_with(email, password).await;
        Party {
            id,
            email: email.to_owned(),
            token: session["access_token"].as_str().unwrap().to_owned(),
        }
    }

    /// A fresh access token for `who` (e.g. after a restart).
    pub async fn login(&self, who: &Party) -> String {
        let session = self.session(&who.email).await;
        session["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn register(&self, role: &str, name: &str) -> Party {
        let email = format!(
            "{}.{}@example.com",
            name.to_lowercase().replace(' ', "."),
            uuid::Uuid::now_v7().simple()
        );
        let resp = self
            .http()
            .post(self.url("/v1/accounts"))
            .json(&serde_json::json!({
                "email": email, "password": PASSWORD, "display_name": name, "role": role,
                "company_name": format!("{name} Ltd"), "country": "CN"
            }))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
        let session = self.session(&email).await;
        Party {
            id: session["account"]["id"].as_str().unwrap().to_owned(),
            email,
            token: session["access_token"].as_str().unwrap().to_owned(),
        }
    }

    /// A request as `who`; returns (status, body).
    pub async fn call(
        &self,
        who: &Party,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        if_match: Option<i64>,
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .http()
            .request(method, self.url(path))
            .bearer_auth(&who.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        if let Some(v) = if_match {
            req = req.header("if-match", format!("\"{v}\""));
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub fn terms(&self, product: &str, quantity: u64, unit_price_minor: i64) -> serde_json::Value {
        let ship_by = jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_hours(24 * 40))
            .unwrap()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .to_string();
        serde_json::json!({
            "lines": [{ "product": product, "quantity": quantity, "unit": "pieces", "unit_price_minor": unit_price_minor }],
            "currency": "USD", "incoterm": "FOB", "shipping_method": "sea", "ship_by": ship_by,
            "payment_terms": { "kind": "full" }, "remarks": "", "documents": []
        })
    }
}

/// Polls `check` until it holds, for at most 20 s of real time.
pub async fn eventually<F: FnMut() -> bool>(what: &str, mut check: F) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// Engine options with short backoff, so reconnects happen quickly in tests.
pub fn fast() -> Options {
    Options {
        backoff_start: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        pay_patience: Duration::from_secs(4),
    }
}

/// Signs `who` in with a fresh in-memory credential store and runs its sync loop until
/// the returned sender says stop.
pub async fn engine(
    s: &Server,
    who: &Party,
    dir: &std::path::Path,
) -> (Engine, tokio::sync::watch::Sender<bool>) {
    let (engine, stop, _) = engine_via(s.profile(), who, dir).await;
    (engine, stop)
}

/// As [`engine`], on `profile` (e.g. through a [`Proxy`]), also returning the sync
/// loop's task, which ends after the stop.
pub async fn engine_via(
    profile: ServerProfile,
    who: &Party,
    dir: &std::path::Path,
) -> (
    Engine,
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<()>,
) {
    engine_with(profile, who, dir, fast()).await
}

/// As [`engine_via`], with `options`.
pub async fn engine_with(
    profile: ServerProfile,
    who: &Party,
    dir: &std::path::Path,
    options: Options,
) -> (
    Engine,
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<()>,
) {
    let engine = Engine::sign_in(
        dir,
        profile,
        &who.email,
        PASSWORD,
        Arc::new(MemoryStore::default()),
        options,
    )
    .await
    .unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let runner = engine.clone();
    let task = tokio::spawn(async move { runner.run(stopped).await });
    (engine, stop, task)
}

/// Waits (polling, with a deadline) for the engine to reach `state`.
pub async fn wait_for(
    status: &tokio::sync::watch::Receiver<trade_client::engine::Status>,
    state: Connection,
) {
    eventually(&format!("{state:?}"), || {
        status.borrow().connection == state
    })
    .await;
}

/// A buyer and a supplier with three inquiries (each with the supplier's unread reply)
/// and one order waiting for the supplier; returns the last inquiry's id.
pub async fn world(s: &Server) -> (Party, Party, String) {
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let mut inquiry = String::new();
    for n in 0..3 {
        let (_, i) = s
            .call(&buyer, Method::POST, "/v1/inquiries", Some(json!({ "supplier": supplier.id, "product": format!("Valve {n}"), "message": "Price?" })), None)
            .await;
        inquiry = i["id"].as_str().unwrap().to_owned();
        s.call(
            &supplier,
            Method::POST,
            &format!("/v1/inquiries/{inquiry}/messages"),
            Some(json!({ "body": format!("USD {n}.50") })),
            None,
        )
        .await;
    }
    s.call(&buyer, Method::POST, "/v1/orders", Some(json!({ "counterparty": supplier.id, "origin": "template", "terms": s.terms("Valve 0", 100, 250) })), None).await;
    (buyer, supplier, inquiry)
}

/// What most engine tests begin with: a fresh server with [`world`] on it, and the
/// buyer's engine signed in and syncing (not yet waited for): the server, the buyer,
/// the supplier, the last inquiry, the engine, its stop, and its data directory (keep
/// it bound for as long as the engine runs).
pub async fn buyer_world() -> (
    Server,
    Party,
    Party,
    String,
    Engine,
    tokio::sync::watch::Sender<bool>,
    tempfile::TempDir,
) {
    let s = Server::start().await;
    let (buyer, supplier, inquiry) = world(&s).await;
    let dir = tempfile::tempdir().unwrap();
    let (e, stop) = engine(&s, &buyer, dir.path()).await;
    (s, buyer, supplier, inquiry, e, stop, dir)
}

/// The first order in the engine's cache (`world` makes one).
pub fn first_order(e: &Engine) -> trade_model::order::Order {
    e.store()
        .orders(&OrderFilter::default(), None, 10)
        .unwrap()
        .items[0]
        .order
        .clone()
}

/// A TCP proxy in front of a server that can lose its answers. With answers lost, each
/// connection still carries the TLS handshake and the client's requests to the server,
/// but what the server sends after the first request is swallowed and the connection
/// closed: the request was served, the client never hears how.
pub struct Proxy {
    pub addr: SocketAddr,
    lose: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// A proxy to `upstream`, passing everything until told otherwise.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let lose = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let task = tokio::spawn({
            let lose = lose.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    tokio::spawn(relay(client, upstream, lose.clone()));
                }
            }
        });
        Proxy { addr, lose, task }
    }

    /// Loses (true) or passes (false) the server's answers, on open connections too.
    pub fn lose_answers(&self, lose: bool) {
        self.lose.store(lose, std::sync::atomic::Ordering::SeqCst);
    }

    /// `s`'s profile through this proxy (the same certificate: it names localhost).
    pub fn profile(&self, s: &Server) -> ServerProfile {
        ServerProfile {
            url: format!("https://localhost:{}", self.addr.port()),
            ..s.profile()
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Counts the TLS application-data records in a byte stream split anyhow into chunks.
#[derive(Default)]
struct TlsRecords {
    header: Vec<u8>,
    /// Bytes of the current record's body still to come.
    left: usize,
    application_data: usize,
}

impl TlsRecords {
    fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.left > 0 {
                let n = self.left.min(bytes.len());
                self.left -= n;
                bytes = &bytes[n..];
                continue;
            }
            let n = (5 - self.header.len()).min(bytes.len());
            self.header.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.header.len() == 5 {
                if self.header[0] == 23 {
                    self.application_data += 1;
                }
                self.left = usize::from(u16::from_be_bytes([self.header[3], self.header[4]]));
                self.header.clear();
            }
        }
    }
}

async fn relay(
    client: tokio::net::TcpStream,
    upstream: SocketAddr,
    lose: Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    // The client's application-data records so far. In TLS 1.3 the first is the client's
    // Finished (the handshake's end); every later one carries requests.
    let sent = AtomicUsize::new(0);
    let up = async {
        let mut records = TlsRecords::default();
        let mut buf = vec![0u8; 16 * 1024];
        while let Ok(n) = client_read.read(&mut buf).await {
            if n == 0 {
                break;
            }
            records.feed(&buf[..n]);
            // Counted before forwarding: an answer can only follow its request.
            sent.store(records.application_data, Ordering::SeqCst);
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        while let Ok(n) = server_read.read(&mut buf).await {
            if n == 0 {
                break;
            }
            if lose.load(Ordering::SeqCst) && sent.load(Ordering::SeqCst) >= 2 {
                // A request went up: swallow everything from here on for a moment, so
                // that the request is served, then cut the connection.
                let until = tokio::time::Instant::now() + Duration::from_millis(500);
                while let Ok(Ok(n)) =
                    tokio::time::timeout_at(until, server_read.read(&mut buf)).await
                {
                    if n == 0 {
                        break;
                    }
                }
                return;
            }
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}

// ---------------------------------------------------------------------------------------
// What the client benches share

/// tauri-driver (WebDriver for the app), from `PATH` or `$CARGO_HOME/bin`; `None` when it
/// is not installed (`cargo install tauri-driver --locked --version '^2'`).
pub fn tauri_driver() -> Option<std::path::PathBuf> {
    let mut candidates: Vec<std::path::PathBuf> = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("tauri-driver"))
                .collect()
        })
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        candidates.push(std::path::PathBuf::from(home).join("bin/tauri-driver"));
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// The processes whose environment holds `var=value` (what a launch marks every process
/// it starts with, whoever their parent is by then).
pub fn processes_with_env(var: &str, value: &str) -> Vec<u32> {
    let needle = format!("{var}={value}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == needle.as_bytes()))
        })
        .collect()
}

/// The one client cache file (`*.sqlite3`) under `dir` (an engine's or the app's data
/// dir), if one is there yet.
pub fn cache_file(dir: &std::path::Path) -> std::io::Result<Option<std::path::PathBuf>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            if let Some(found) = cache_file(&path)? {
                return Ok(Some(found));
            }
        } else if path.extension().is_some_and(|e| e == "sqlite3") {
            return Ok(Some(path));
        }
    }
    Ok(None)
}

/// The large account of the client benches, seeded in bulk into `s`: one buyer with
/// `inquiries` x `messages` messages and `orders` orders, among 10 suppliers; its
/// report line goes to `report`.
pub async fn seed_one_buyer(
    s: &Server,
    inquiries: u32,
    messages: u32,
    orders: u32,
    report: &mut trade_bench_report::Report,
) -> anyhow::Result<trade_demo::seed::SeedReport> {
    use trade_bench_report::group;
    println!(
        "bench: seeding 1 buyer with {inquiries} inquiries x {messages} messages and {orders} orders"
    );
    let seeded = trade_demo::seed::run(
        &s.state().db,
        trade_demo::seed::SeedOptions {
            buyers: 1,
            suppliers: 10,
            inquiries,
            messages_per_inquiry: messages,
            orders,
            seed: 1,
            password: PASSWORD.to_owned(),
            progress: true,
            ..trade_demo::seed::SeedOptions::default()
        },
    )
    .await?;
    let b = seeded
        .buyers
        .first()
        .ok_or_else(|| anyhow::anyhow!("the seed made no buyer"))?;
    report.line(
        "seed (server, bulk SQL)",
        format!(
            "1 buyer: {} inquiries x {messages} messages, {} orders, {} payments",
            group(b.inquiries),
            group(b.orders),
            group(b.payments)
        ),
        format!(
            "{} rows in {:.1} s",
            group(seeded.rows),
            seeded.elapsed.as_secs_f64()
        ),
    );
    Ok(seeded)
}
