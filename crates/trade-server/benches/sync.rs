//! Sync benchmarks with a written report (design §6): pull throughput for one large
//! account, push mutations/s (one client, then several at once) with a replay check, and
//! the server's memory per idle live connection (`GET /v1/events`) at 1k and 10k
//! connections. Writes `bench-reports/sync.md` at the repository root and prints it.
//!
//! ```sh
//! cargo bench -p trade-server --bench sync
//! BENCH_INQUIRIES=100000 BENCH_MESSAGES_PER_INQUIRY=10 cargo bench -p trade-server --bench sync
//! ```
//!
//! Settings (environment): `BENCH_INQUIRIES` (20000), `BENCH_MESSAGES_PER_INQUIRY` (10),
//! `BENCH_ORDERS` (1000), `BENCH_PULL_LIMIT` (1000), `BENCH_PUSH_MUTATIONS` (5000),
//! `BENCH_PUSH_CLIENTS` (4), `BENCH_PUSH_ROUNDS` (3), `BENCH_CONNECTIONS` ("1000,10000"),
//! `BENCH_CONNECT_PARALLEL` (200), `BENCH_PARTS` ("pull,push,connections"),
//! `BENCH_POSTGRES_URL` (unset: SQLite; set to a PostgreSQL server's URL, pull and push
//! run on a fresh database created there and dropped after, and the report is
//! `bench-reports/sync-postgres.md`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures_util::StreamExt;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};
use sqlx::Row;
use trade_bench_report::{Parts, Report, group, list_setting, rate, setting};
use trade_demo::seed::{self, SeedOptions, SeedReport};
use trade_server::db::Db;

const COMMAND: &str = "cargo bench -p trade-server --bench sync";
const PUSH_BATCH: usize = 100;

struct Settings {
    inquiries: u32,
    messages: u32,
    orders: u32,
    pull_limit: u32,
    push_mutations: u32,
    push_clients: u32,
    /// Each push run is done this many times; the figure is the median round.
    push_rounds: u32,
    connections: Vec<usize>,
    connect_parallel: usize,
    parts: Parts,
    /// A PostgreSQL server to run pull and push on instead of SQLite.
    postgres: Option<String>,
}

impl Settings {
    fn from_env() -> Settings {
        Settings {
            inquiries: setting::<u32>("BENCH_INQUIRIES", 20_000),
            messages: setting::<u32>("BENCH_MESSAGES_PER_INQUIRY", 10),
            orders: setting::<u32>("BENCH_ORDERS", 1_000),
            pull_limit: setting::<u32>("BENCH_PULL_LIMIT", 1_000),
            push_mutations: setting::<u32>("BENCH_PUSH_MUTATIONS", 5_000),
            push_clients: setting::<u32>("BENCH_PUSH_CLIENTS", 4).max(1),
            push_rounds: setting::<u32>("BENCH_PUSH_ROUNDS", 3).max(1),
            connections: list_setting("BENCH_CONNECTIONS", "1000,10000")
                .iter()
                .filter_map(|s| s.replace('_', "").parse().ok())
                .collect(),
            connect_parallel: setting::<u32>("BENCH_CONNECT_PARALLEL", 200).max(1) as usize,
            parts: Parts::from_env("pull,push,connections"),
            postgres: std::env::var("BENCH_POSTGRES_URL")
                .ok()
                .filter(|u| !u.is_empty()),
        }
    }
}

fn main() -> Result<()> {
    let settings = Settings::from_env();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let started = Instant::now();
    let mut report = Report::default();
    runtime.block_on(async {
        if settings.parts.runs("pull") || settings.parts.runs("push") {
            pull_and_push(&settings, &mut report).await?;
        }
        if settings.parts.runs("connections") {
            connections(&settings, &mut report).await?;
        }
        anyhow::Ok(())
    })?;
    let nofile = rlimit::getrlimit(rlimit::Resource::NOFILE)
        .map(|(s, h)| format!("{s} (hard {h})"))
        .unwrap_or_default();
    report.fact("open-files limit", nofile);
    report.fact("build", "`cargo bench` profile (optimized)");
    let file = match &settings.postgres {
        Some(_) => {
            report.fact(
                "database",
                "PostgreSQL (pull and push; a fresh database on the server named by \
                 `BENCH_POSTGRES_URL`, default settings); SQLite for the connections part",
            );
            "sync-postgres.md"
        }
        None => {
            report.fact(
                "database",
                "SQLite (embedded default), WAL, synchronous=FULL, in a temp dir",
            );
            "sync.md"
        }
    };
    report.write(
        file,
        "Sync benchmark",
        COMMAND,
        started.elapsed(),
        &method(&settings),
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// HTTPS client

fn client(ca: &Path, addr: SocketAddr) -> Result<reqwest::Client> {
    let ca = std::fs::read(ca).context("reading the server's CA")?;
    Ok(reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca)?)
        .https_only(true)
        .http1_only()
        // The certificate names `localhost`; connect to 127.0.0.1 only.
        .resolve("localhost", addr)
        .timeout(Duration::from_secs(120))
        .build()?)
}

async fn login(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> Result<String> {
    let resp = client
        .post(format!("{base}/v1/sessions"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await?;
    let status = resp.status();
    let body: Value = resp.json().await?;
    if !status.is_success() {
        bail!("sign-in of {email} failed: {status} {body}");
    }
    Ok(body["access_token"]
        .as_str()
        .ok_or_else(|| anyhow!("no access token"))?
        .to_owned())
}

// ---------------------------------------------------------------------------------------
// Pull and push, against the server in this process

/// A page of the feed or of the snapshot walk, as far as the bench reads it.
#[derive(Deserialize)]
struct PullPage {
    changes: Vec<PulledChange>,
    next_cursor: String,
    has_more: bool,
    total_estimate: Option<i64>,
}

#[derive(Deserialize)]
struct PulledChange {
    kind: String,
    id: String,
    #[serde(default)]
    record: Option<IgnoredAny>,
}

/// A database made for one run on a PostgreSQL server
/// (`trade_server::db::create_postgres_database`), dropped when the run ends.
struct ScratchDatabase {
    admin: String,
    url: String,
}

impl ScratchDatabase {
    async fn create(admin: &str) -> Result<ScratchDatabase> {
        Ok(ScratchDatabase {
            admin: admin.to_owned(),
            url: trade_server::db::create_postgres_database(admin).await?,
        })
    }

    async fn drop_it(self) -> Result<()> {
        use sqlx::Connection;
        let name = self
            .url
            .rsplit('/')
            .next()
            .ok_or_else(|| anyhow!("no database in {}", self.url))?;
        let mut conn = sqlx::AnyConnection::connect(&self.admin).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await?;
        Ok(())
    }
}

async fn pull_and_push(settings: &Settings, report: &mut Report) -> Result<()> {
    let scratch = match &settings.postgres {
        Some(admin) => Some(ScratchDatabase::create(admin).await?),
        None => None,
    };
    let result = pull_and_push_on(settings, report, scratch.as_ref().map(|s| s.url.clone())).await;
    if let Some(scratch) = scratch {
        scratch.drop_it().await?;
    }
    result
}

async fn pull_and_push_on(
    settings: &Settings,
    report: &mut Report,
    database_url: Option<String>,
) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = match &database_url {
        Some(url) => Db::connect(url).await?,
        None => Db::open_sqlite(&dir.path().join("trade.db")).await?,
    };
    let backend = if database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "bench: seeding 1 buyer with {} inquiries x {} messages and {} orders",
        settings.inquiries, settings.messages, settings.orders
    );
    let big = seed::run(
        &db,
        SeedOptions {
            buyers: 1,
            suppliers: 10,
            inquiries: settings.inquiries,
            messages_per_inquiry: settings.messages,
            orders: settings.orders,
            seed: 1,
            progress: true,
            ..SeedOptions::default()
        },
    )
    .await?;
    report.line(
        &format!("seed (bulk, {backend})"),
        format!(
            "1 buyer, {} inquiries x {} messages, {} orders",
            group(settings.inquiries.into()),
            settings.messages,
            group(settings.orders.into())
        ),
        format!(
            "{} rows ({} feed rows) in {:.1} s = **{} rows/s**",
            group(big.rows),
            group(big.feed_rows),
            big.elapsed.as_secs_f64(),
            rate(big.rows as f64, big.elapsed.as_secs_f64())
        ),
    );
    // The pushing buyers: small accounts of their own.
    let pushers = seed::run(
        &db,
        SeedOptions {
            buyers: settings.push_clients.max(1) + 1,
            suppliers: 2,
            inquiries: 10,
            messages_per_inquiry: 2,
            orders: 0,
            seed: 2,
            ..SeedOptions::default()
        },
    )
    .await?;
    if database_url.is_some() {
        // What autovacuum does after a bulk load, done now: the planner's statistics
        // describe the seeded tables rather than empty ones.
        sqlx::query("ANALYZE").execute(db.pool()).await?;
    }
    db.close().await;
    let db_size = match &database_url {
        Some(url) => {
            use sqlx::Connection;
            let mut conn = sqlx::AnyConnection::connect(url).await?;
            let size: i64 = sqlx::query("SELECT pg_database_size(current_database()) AS size")
                .fetch_one(&mut conn)
                .await?
                .try_get("size")?;
            u64::try_from(size).unwrap_or(0)
        }
        None => std::fs::metadata(dir.path().join("trade.db"))
            .map(|m| m.len())
            .unwrap_or(0),
    };

    let postgres = database_url.is_some();
    let mut config = trade_server::Config::new(dir.path().to_owned(), "127.0.0.1:0".parse()?);
    config.database_url = database_url;
    // What is measured is the sync, not the request budget (which would pace it).
    config.request_budget = trade_server::throttle::RequestBudget::OFF;
    let running = trade_server::start(config).await?;
    let ca = running
        .ca_path
        .clone()
        .ok_or_else(|| anyhow!("the server made no CA"))?;
    let mut goals = Goals::default();
    let result = async {
        if settings.parts.runs("pull") {
            pull(settings, report, &mut goals, &ca, &running, &big, db_size).await?;
        }
        if settings.parts.runs("push") {
            push(settings, report, &mut goals, &ca, &running, &pushers).await?;
        }
        anyhow::Ok(())
    }
    .await;
    running.shutdown().await;
    // The issue's goals are for the embedded default, SQLite.
    if !postgres {
        goals.report(report);
    }
    result
}

/// This run's figures that issue 15 sets a goal for, reported against it.
#[derive(Default)]
struct Goals {
    /// Records/s of the snapshot stream (what a first sync reads) and of the feed.
    stream: Option<f64>,
    feed: Option<f64>,
    /// The median round of several clients pushing at once: (clients, mutations/s).
    push_together: Option<(usize, f64)>,
}

impl Goals {
    const PULL: f64 = 200_000.0;
    const PUSH: f64 = 5_000.0;

    fn report(&self, report: &mut Report) {
        let met = |value: f64, goal: f64| if value >= goal { "yes" } else { "no" }.to_owned();
        let mut rows = Vec::new();
        if let Some(stream) = self.stream {
            rows.push(vec![
                "server pull, one account: the snapshot stream a first sync reads".to_owned(),
                format!("≥ {} records/s", rate(Self::PULL, 1.0)),
                format!("{} records/s", rate(stream, 1.0)),
                met(stream, Self::PULL),
            ]);
        }
        if let Some(feed) = self.feed {
            rows.push(vec![
                "the change feed from its start (what a client reads after its first sync, \
                 a few records at a time)"
                    .to_owned(),
                "(a first sync reads the stream)".to_owned(),
                format!("{} records/s", rate(feed, 1.0)),
                String::new(),
            ]);
        }
        if let Some((clients, push)) = self.push_together {
            rows.push(vec![
                format!("push, {clients} clients at once"),
                format!(
                    "≥ {} mutations/s, at most once per mutation id",
                    rate(Self::PUSH, 1.0)
                ),
                format!(
                    "{} mutations/s (the replay line above: at most once)",
                    rate(push, 1.0)
                ),
                met(push, Self::PUSH),
            ]);
        }
        if !rows.is_empty() {
            report.table(
                "Against the goals of issue 15",
                &["figure", "goal", "this run", "met"],
                rows,
            );
        }
    }
}

async fn pull(
    settings: &Settings,
    report: &mut Report,
    goals: &mut Goals,
    ca: &Path,
    running: &trade_server::Running,
    big: &SeedReport,
    db_size: u64,
) -> Result<()> {
    let base = running.base_url();
    let http = client(ca, running.addr)?;
    let buyer = &big.buyers[0];
    let token = login(&http, &base, &buyer.account.email, &big.password).await?;

    // A few reads a client makes on opening, on the same large account.
    for (what, path) in [
        ("GET /v1/inquiries?limit=50", "/v1/inquiries?limit=50"),
        (
            "GET /v1/inquiries?filter=unread&limit=50",
            "/v1/inquiries?filter=unread&limit=50",
        ),
        ("GET /v1/unread", "/v1/unread"),
        ("GET /v1/orders/counts", "/v1/orders/counts"),
    ] {
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let resp = http
                .get(format!("{base}{path}"))
                .bearer_auth(&token)
                .send()
                .await?;
            if !resp.status().is_success() {
                bail!("{path}: {}", resp.status());
            }
            resp.bytes().await?;
            times.push(t.elapsed());
        }
        times.sort();
        report.line(
            what,
            format!(
                "the same account ({} inquiries), median of 5",
                group(buyer.inquiries)
            ),
            format!("{:.1} ms", times[2].as_secs_f64() * 1e3),
        );
    }

    let expected = buyer.feed_records();
    for (route, what, how) in [
        (
            "/v1/sync/snapshot",
            "sync snapshot walk (first sync), one large account",
            "the current state kind by kind, newest first",
        ),
        (
            "/v1/sync/snapshot/stream",
            "sync snapshot stream (first sync, as the engine walks), one large account",
            "the same walk, its pages streamed one a line, 100 pages an answer",
        ),
        (
            "/v1/sync/pull",
            "sync pull (the change feed), one large account",
            "the feed from its start",
        ),
    ] {
        println!(
            "bench: {route} over the whole account of {}",
            buyer.account.email
        );
        let w = walk(&http, &base, &token, route, settings.pull_limit).await?;
        let records_per_sec = w.records as f64 / w.secs;
        match route {
            "/v1/sync/snapshot/stream" => goals.stream = Some(records_per_sec),
            "/v1/sync/pull" => goals.feed = Some(records_per_sec),
            _ => {}
        }
        if w.records != expected || w.total_estimate != Some(expected as i64) {
            bail!(
                "{route} returned {} records (estimate {:?}), expected {expected}",
                w.records,
                w.total_estimate
            );
        }
        report.line(
            what,
            format!(
                "`GET {route}`: {how}; {} records ({} inquiries, {} messages, {} orders, {} payments, unread totals); limit={}, one HTTPS/1.1 client, {} database {:.0} MiB",
                group(w.records),
                group(buyer.inquiries),
                group(buyer.messages),
                group(buyer.orders),
                group(buyer.payments),
                settings.pull_limit,
                if settings.postgres.is_some() { "PostgreSQL" } else { "SQLite" },
                db_size as f64 / 1048576.0
            ),
            format!(
                "{} pages, {:.0} MiB of JSON in {:.1} s = **{} records/s** (first page {:.0} ms, slowest page {:.0} ms)",
                w.pages,
                w.bytes as f64 / 1048576.0,
                w.secs,
                rate(w.records as f64, w.secs),
                w.first.as_secs_f64() * 1e3,
                w.slowest.as_secs_f64() * 1e3
            ),
        );
    }
    Ok(())
}

/// A whole walk of `route` (the feed or the snapshot) from an empty cursor.
struct Walked {
    records: u64,
    pages: u64,
    bytes: u64,
    /// The first page, which also counts the records (`total_estimate`): what a first
    /// sign-in waits for before anything shows.
    first: Duration,
    slowest: Duration,
    secs: f64,
    total_estimate: Option<i64>,
}

/// Follows `next_cursor` from an empty cursor until `has_more` is false, checking that
/// every record comes once and none as a tombstone. The clock runs from the first
/// request to the last page's body.
async fn walk(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    route: &str,
    limit: u32,
) -> Result<Walked> {
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut cursor = String::new();
    let (mut pages, mut bytes, mut slowest) = (0u64, 0u64, Duration::ZERO);
    let mut first = Duration::ZERO;
    let mut total_estimate = None;
    let started = Instant::now();
    loop {
        let t = Instant::now();
        let mut resp = http
            .get(format!("{base}{route}"))
            .query(&[("limit", limit.to_string()), ("cursor", cursor.clone())])
            .bearer_auth(token)
            .send()
            .await?;
        if !resp.status().is_success() {
            bail!("{route} failed: {} {}", resp.status(), resp.text().await?);
        }
        // A page an answer (the paged routes), or a page a line (the stream).
        let mut answer_pages = Vec::new();
        if route.ends_with("/stream") {
            let mut buf = Vec::new();
            // How much of `buf` is known to hold no line's end: each chunk's bytes are
            // looked through once (as the engine's reader does), not the page so far
            // again at every chunk.
            let mut scanned = 0;
            let mut since = Instant::now();
            while let Some(chunk) = resp.chunk().await? {
                buf.extend_from_slice(&chunk);
                while let Some(at) = buf[scanned..].iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=scanned + at).collect();
                    scanned = 0;
                    slowest = slowest.max(since.elapsed());
                    since = Instant::now();
                    bytes += line.len() as u64;
                    answer_pages.push((serde_json::from_slice::<PullPage>(&line)?, t.elapsed()));
                }
                scanned = buf.len();
            }
            if !buf.is_empty() {
                bail!("{route}: the answer ended inside a page");
            }
        } else {
            let body = resp.bytes().await?;
            slowest = slowest.max(t.elapsed());
            bytes += body.len() as u64;
            answer_pages.push((serde_json::from_slice::<PullPage>(&body)?, t.elapsed()));
        }
        let mut done = false;
        for (page, at) in answer_pages {
            if pages == 0 {
                total_estimate = page.total_estimate;
                first = at;
            }
            pages += 1;
            for c in page.changes {
                if c.record.is_none() {
                    bail!("unexpected tombstone {} {}", c.kind, c.id);
                }
                if !seen.insert((c.kind, c.id)) {
                    bail!("a record came twice");
                }
            }
            cursor = page.next_cursor;
            done = !page.has_more;
        }
        if done {
            break;
        }
    }
    Ok(Walked {
        records: seen.len() as u64,
        pages,
        bytes,
        first,
        slowest,
        secs: started.elapsed().as_secs_f64(),
        total_estimate,
    })
}

/// One client's push run: `count` send_message mutations in batches of 100.
async fn push_run(
    http: reqwest::Client,
    base: String,
    token: String,
    inquiries: Vec<String>,
    count: usize,
) -> Result<(usize, Option<(Value, Value)>)> {
    let mut applied = 0;
    let mut first_batch = None;
    let mut sent = 0;
    while sent < count {
        let n = PUSH_BATCH.min(count - sent);
        let mutations: Vec<Value> = (0..n)
            .map(|k| {
                let i = (sent + k) % inquiries.len();
                json!({
                    "id": uuid::Uuid::now_v7().to_string(),
                    "op": "send_message",
                    "inquiry": inquiries[i],
                    "message": uuid::Uuid::now_v7().to_string(),
                    "body": format!("Benchmark message {} — please confirm the carton size.", sent + k),
                })
            })
            .collect();
        let request = json!({ "mutations": mutations });
        let resp = http
            .post(format!("{base}/v1/sync/push"))
            .bearer_auth(&token)
            .json(&request)
            .send()
            .await?;
        let status = resp.status();
        let body: Value = resp.json().await?;
        if !status.is_success() {
            bail!("push failed: {status} {body}");
        }
        let results = body["results"]
            .as_array()
            .ok_or_else(|| anyhow!("no results: {body}"))?;
        applied += results.iter().filter(|r| r["outcome"] == "applied").count();
        if first_batch.is_none() {
            first_batch = Some((request, body));
        }
        sent += n;
    }
    Ok((applied, first_batch))
}

async fn push(
    settings: &Settings,
    report: &mut Report,
    goals: &mut Goals,
    ca: &Path,
    running: &trade_server::Running,
    pushers: &SeedReport,
) -> Result<()> {
    let base = running.base_url();
    let pool = running.state.db.pool();
    let inquiries_of = |buyer: String| async move {
        let rows = sqlx::query("SELECT id FROM inquiries WHERE buyer_id = $1 ORDER BY id")
            .bind(buyer)
            .fetch_all(pool)
            .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("id"))
            .collect::<Result<Vec<_>, _>>()
    };
    let count_messages = || async move {
        sqlx::query("SELECT COUNT(*) AS n FROM messages")
            .fetch_one(pool)
            .await?
            .try_get::<i64, _>("n")
    };
    let n = settings.push_mutations as usize;

    // One client.
    let buyer = &pushers.buyers[0];
    let http = client(ca, running.addr)?;
    let token = login(&http, &base, &buyer.account.email, &pushers.password).await?;
    let inquiries = inquiries_of(buyer.account.id.to_string()).await?;
    let rounds = settings.push_rounds as usize;
    let mut one_client = Vec::with_capacity(rounds);
    let mut first = None;
    for round in 1..=rounds {
        println!("bench: pushing {n} mutations from one client (round {round} of {rounds})");
        let t = Instant::now();
        let (applied, batch) = push_run(
            http.clone(),
            base.clone(),
            token.clone(),
            inquiries.clone(),
            n,
        )
        .await?;
        let secs = t.elapsed().as_secs_f64();
        if applied != n {
            bail!("only {applied} of {n} mutations applied");
        }
        one_client.push(n as f64 / secs);
        first = first.or(batch);
    }
    report.line(
        "sync push, send_message",
        format!(
            "{} mutations in batches of {PUSH_BATCH}, 1 client, sequential",
            group(n as u64)
        ),
        rounds_result(&mut one_client).0,
    );

    // Replay: the same batch again gives the same results and writes nothing.
    let (request, original) = first.ok_or_else(|| anyhow!("no batch was pushed"))?;
    let before = count_messages().await?;
    let resp = http
        .post(format!("{base}/v1/sync/push"))
        .bearer_auth(&token)
        .json(&request)
        .send()
        .await?;
    let replayed: Value = resp.json().await?;
    let after = count_messages().await?;
    let same = replayed["results"] == original["results"];
    let replay_line = format!(
        "re-pushed the first batch of {}: results {} the first ones, messages {} → {} ({})",
        request["mutations"].as_array().map_or(0, Vec::len),
        if same {
            "identical to"
        } else {
            "DIFFERENT from"
        },
        before,
        after,
        if after == before {
            "no new messages"
        } else {
            "NEW MESSAGES WRITTEN"
        }
    );
    println!("bench: replay: {replay_line}");
    report.line(
        "sync push replay",
        "same mutation ids again",
        if same && after == before {
            format!("ok: {replay_line}")
        } else {
            format!("FAILED: {replay_line}")
        },
    );

    // Several clients at once, one buyer each.
    let clients = settings.push_clients as usize;
    let per_client = n.div_ceil(clients);
    let mut tasks = Vec::new();
    for buyer in pushers.buyers.iter().skip(1).take(clients) {
        let http = client(ca, running.addr)?;
        let token = login(&http, &base, &buyer.account.email, &pushers.password).await?;
        let inquiries = inquiries_of(buyer.account.id.to_string()).await?;
        tasks.push((http, token, inquiries));
    }
    let mut together = Vec::with_capacity(rounds);
    for round in 1..=rounds {
        println!(
            "bench: pushing {per_client} mutations from each of {clients} clients at once \
             (round {round} of {rounds})"
        );
        let t = Instant::now();
        let handles: Vec<_> = tasks
            .iter()
            .cloned()
            .map(|(http, token, inquiries)| {
                tokio::spawn(push_run(http, base.clone(), token, inquiries, per_client))
            })
            .collect();
        let mut applied = 0;
        for h in handles {
            applied += h.await??.0;
        }
        let secs = t.elapsed().as_secs_f64();
        if applied != per_client * clients {
            bail!(
                "only {applied} of {} mutations applied",
                per_client * clients
            );
        }
        together.push(applied as f64 / secs);
    }
    let (result, median) = rounds_result(&mut together);
    goals.push_together = Some((clients, median));
    report.line(
        "sync push, send_message",
        format!(
            "{} mutations in batches of {PUSH_BATCH}, {clients} clients at once (different buyers, {} each)",
            group((per_client * clients) as u64),
            group(per_client as u64)
        ),
        result,
    );
    Ok(())
}

/// "**median mutations/s** (rounds: a, b, c)", and the median: the machine's speed
/// moves by a third within minutes, so one run's figure says as much about the minute as
/// about the code.
fn rounds_result(rates: &mut [f64]) -> (String, f64) {
    let each: Vec<String> = rates.iter().map(|r| rate(*r, 1.0)).collect();
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    let text = format!(
        "**{} mutations/s**, the median of {} rounds ({} in order)",
        rate(median, 1.0),
        rates.len(),
        each.join(", ")
    );
    (text, median)
}

// ---------------------------------------------------------------------------------------
// Memory per idle live connection, against the server binary in its own process

fn raise_open_files() -> Result<u64> {
    use rlimit::Resource;
    let (soft, hard) = rlimit::getrlimit(Resource::NOFILE)?;
    let want = 65_536.max(hard);
    if soft < want && rlimit::setrlimit(Resource::NOFILE, want, want).is_ok() {
        return Ok(want);
    }
    Ok(rlimit::increase_nofile_limit(u64::MAX)?.max(soft))
}

fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow!("no VmRSS for {pid}"))
}

/// The child server; killed when dropped.
struct ServerProcess {
    child: Child,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_trade-server"))
}

/// Starts `trade-server serve` on 127.0.0.1 (a free port) and waits for its address.
fn spawn_server(data_dir: &Path) -> Result<(ServerProcess, SocketAddr)> {
    let mut child = Command::new(server_binary())
        .arg("--data-dir")
        .arg(data_dir)
        // No request budget: one account opens thousands of streams at once here.
        .args(["serve", "--listen", "127.0.0.1:0", "--request-budget", "0"])
        .env("RUST_LOG", "warn")
        .env_remove("TRADE_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the trade-server binary")?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("no stdout from the server"))?;
    let process = ServerProcess { child };
    let (tx, rx) = std::sync::mpsc::channel();
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(url) = line.strip_prefix("Trade server listening on ") {
                let _ = tx.send(url.to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .context("the server did not say where it listens")?;
    let port: u16 = url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| anyhow!("no port in {url}"))?;
    Ok((process, SocketAddr::from(([127, 0, 0, 1], port))))
}

/// Opens one `GET /v1/events` stream and reads until its `ready` event.
async fn open_events(
    http: reqwest::Client,
    base: Arc<str>,
    token: Arc<str>,
) -> Result<reqwest::Response> {
    let mut resp = http
        .get(format!("{base}/v1/events"))
        .bearer_auth(&*token)
        .send()
        .await?;
    if !resp.status().is_success() {
        bail!("GET /v1/events: {}", resp.status());
    }
    let mut seen = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        seen.extend_from_slice(&chunk);
        if seen.windows(12).any(|w| w == b"event: ready")
            || seen.windows(11).any(|w| w == b"event:ready")
        {
            return Ok(resp);
        }
    }
    bail!("the event stream ended before `ready`")
}

async fn connections(settings: &Settings, report: &mut Report) -> Result<()> {
    let limit = raise_open_files()?;
    println!("bench: open-files limit {limit}");
    let dir = tempfile::tempdir()?;
    let db = Db::open_sqlite(&dir.path().join("trade.db")).await?;
    let world = seed::run(
        &db,
        SeedOptions {
            buyers: 1,
            suppliers: 1,
            inquiries: 5,
            messages_per_inquiry: 2,
            orders: 0,
            seed: 3,
            ..SeedOptions::default()
        },
    )
    .await?;
    db.close().await;
    let (server, addr) = spawn_server(dir.path())?;
    let pid = server.child.id();
    let ca = dir.path().join("tls/ca.pem");
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(&ca)?)?)
        .https_only(true)
        .http1_only()
        .resolve("localhost", addr)
        .connect_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(0)
        .build()?;
    let base: Arc<str> = format!("https://localhost:{}", addr.port()).into();
    let buyer = &world.buyers[0];
    let token: Arc<str> = login(&http, &base, &buyer.account.email, &world.password)
        .await?
        .into();
    // Warm up: the code paths, the pool's connections, TLS session state.
    {
        let warm = futures_util::stream::iter(0..20)
            .map(|_| open_events(http.clone(), base.clone(), token.clone()))
            .buffer_unordered(20)
            .collect::<Vec<_>>()
            .await;
        for w in warm {
            w?;
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let baseline = rss_kib(pid)?;
    println!("bench: server pid {pid}, RSS {baseline} KiB before connections");
    let mut open: Vec<reqwest::Response> = Vec::new();
    let mut targets = settings.connections.clone();
    targets.sort_unstable();
    for target in targets {
        let missing = target.saturating_sub(open.len());
        println!("bench: opening {missing} more idle event streams (to {target})");
        let t = Instant::now();
        let mut results = futures_util::stream::iter(0..missing)
            .map(|_| open_events(http.clone(), base.clone(), token.clone()))
            .buffer_unordered(settings.connect_parallel);
        let mut failure = None;
        let mut failures = 0usize;
        while let Some(r) = results.next().await {
            match r {
                Ok(resp) => open.push(resp),
                Err(e) => {
                    failures += 1;
                    failure.get_or_insert_with(|| format!("{e:#}"));
                }
            }
        }
        drop(results);
        let opened_in = t.elapsed();
        tokio::time::sleep(Duration::from_secs(3)).await;
        let rss = rss_kib(pid)?;
        let per = (rss.saturating_sub(baseline)) as f64 / open.len().max(1) as f64;
        let setting = format!(
            "{} idle `GET /v1/events` streams (HTTP/1.1, one TLS connection each), opened {} at a time in {:.1} s",
            group(open.len() as u64),
            settings.connect_parallel,
            opened_in.as_secs_f64()
        );
        let result = format!(
            "server RSS {} → {} KiB: **{per:.1} KiB per connection**",
            group(baseline),
            group(rss)
        );
        if let Some(err) = failure {
            report.line(
                "memory per idle live connection",
                setting,
                format!("{result}; {failures} of {missing} connections FAILED (first: {err})"),
            );
            report.note(format!(
                "Only {} of {target} connections could be opened; the first error: {err}",
                open.len()
            ));
            break;
        }
        report.line("memory per idle live connection", setting, result);
    }
    let count = open.len();
    drop(open);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after_close = rss_kib(pid).unwrap_or(0);
    report.note(format!(
        "After closing the {count} streams the server's RSS was {} KiB (freed memory is kept by the allocator).",
        group(after_close)
    ));
    drop(server);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The report

fn method(settings: &Settings) -> Vec<String> {
    vec![
        format!(
            "**Seed**: `trade_demo::seed::run` (what `trade-demo seed` runs): multi-row INSERTs of \
         bound parameters in transactions of about 60,000 rows, each giving every account it touches \
         one new feed version, committed as a server write commits (`Write`). Rows include the change \
         feed (`sync_changes`: two per inquiry, message, order and payment, one per party); a message's \
         or an inquiry's feed row keeps the record as that party sees it (its JSON), read back inside \
         the same transaction."
        ),
        format!(
            "**Snapshot walk and pull**: the server runs in the bench process on 127.0.0.1 over \
         HTTPS; one client walks the large buyer's whole account with `GET /v1/sync/snapshot?limit={0}` \
         (page by page), then the same walk with `GET /v1/sync/snapshot/stream?limit={0}` (what a \
         first sync reads: the pages one a line, the server reading the next while the client takes \
         one; a new answer every 100 pages), then its whole feed with `GET /v1/sync/pull?limit={0}`, \
         each from an empty cursor, following `next_cursor` until `has_more` is false, and checks \
         every record came exactly once and the count matches the seed and `total_estimate`. The \
         clock runs from the first request to the last page's body; for the stream, \"slowest page\" \
         is the longest wait between two pages. Messages and inquiries are handed out as their \
         feed rows keep them (one range scan a page); orders, payments, histories and documents are \
         read at pull time.",
            settings.pull_limit
        ),
        format!(
            "**Push**: `POST /v1/sync/push` with `send_message` mutations (fresh UUIDv7 mutation and \
         message ids) in batches of {PUSH_BATCH}, round-robin over the buyer's 10 inquiries; every \
         result must be `applied`. The server applies a batch in one transaction, each mutation in a \
         savepoint with the record of its result (one commit, one fsync, per batch), on a thread of \
         its own once it has the write turn. A batch none of whose mutations is refused is applied in \
         one savepoint, its consecutive text messages together: two statements for the run (one \
         update of its inquiries with each one's count and last preview, one multi-row insert of \
         its messages), and about ten more for the batch (its recorded results, the feed, the \
         results it records, the commit). Then the first batch is pushed again: the results must equal the first \
         ones and the `messages` table must not grow. Then {} buyers push at once, each from its own \
         client and connection. Each run is done {} times (`BENCH_PUSH_ROUNDS`), one after the other; \
         the figure is the median round.",
            settings.push_clients, settings.push_rounds
        ),
        format!(
            "**Memory**: the built `trade-server` binary runs as its own process (`--data-dir <tmp> serve \
         --listen 127.0.0.1:0`); after sign-in and a warm-up of 20 streams, its VmRSS \
         (`/proc/<pid>/status`) is read, then idle `GET /v1/events` streams are opened over HTTP/1.1, \
         one TCP+TLS connection each, {} at a time, each read up to its `ready` event; after 3 s of \
         settling VmRSS is read again. Per connection = (RSS after − RSS before) / open connections, \
         both counts from the same baseline. The open-files limit is raised first (the child inherits it).",
            settings.connect_parallel
        ),
        format!(
            "The issue's full size, one buyer with 100,000 inquiries × 10 messages (1,000,000 messages): \
         `BENCH_INQUIRIES=100000 BENCH_MESSAGES_PER_INQUIRY=10 {COMMAND}`. Other settings: \
         `BENCH_ORDERS`, `BENCH_PULL_LIMIT`, `BENCH_PUSH_MUTATIONS`, `BENCH_PUSH_CLIENTS`, \
         `BENCH_CONNECTIONS` (e.g. `1000,10000`), `BENCH_CONNECT_PARALLEL`, `BENCH_PARTS` \
         (`pull,push,connections`)."
        ),
    ]
}
