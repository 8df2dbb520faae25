//! Client benchmark with a written report: the initial sync of one large buyer into the
//! engine's local cache, next to raw rusqlite inserts measured in the same run, and the
//! latency of the inbox, thread and full-text queries on that cache. Writes
//! `bench-reports/client-sync.md` at the repository root and prints it.
//!
//! ```sh
//! BENCH_INQUIRIES=2000 cargo bench -p trade-e2e --bench client_sync   # a quick run
//! cargo bench -p trade-e2e --bench client_sync                        # 100k x 10
//! ```
//!
//! The trade server runs in this process over HTTPS (SQLite in a temp dir) and is seeded
//! with `trade_demo::seed` (one buyer). Parts (`BENCH_PARTS`, all by default):
//!
//! - `engine`: `Engine::sign_in` then `Engine::sync_now` from an empty cache, exactly as
//!   the app does it, stopped after `BENCH_SYNC_BUDGET_SECS` if it has not finished.
//! - `split`: the loop the engine runs for a first sync (its own `Api::snapshot` with the
//!   engine's page size, then `LocalStore::apply_snapshot_page`) into a second fresh cache,
//!   one after the other, with the time waiting for pages and the time applying them
//!   measured apart (the engine overlaps the two).
//! - `raw`: the same number of rows of the same shape (id, a sort column, the records'
//!   JSON) inserted with rusqlite into a plain table, same pragmas and transaction size;
//!   once more with an FTS5 row per indexed record.
//! - `queries`: inbox pages (first, deep, whole walk; all and unread), thread pages and
//!   full-text search on the synced cache, p50/p95.
//! - `notify`: a supplier's message → the buyer's engine handing out its notification,
//!   during a first sync of the large account and after it.
//!
//! Settings (environment): `BENCH_INQUIRIES` (100000), `BENCH_MESSAGES_PER_INQUIRY` (10),
//! `BENCH_ORDERS` (1000), `BENCH_SYNC_BUDGET_SECS` (1800; 0 = no limit),
//! `BENCH_SAMPLES` (200), `BENCH_SEARCH_REPEATS` (20),
//! `BENCH_PARTS` ("engine,split,raw,queries,notify").
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use rand::Rng;
use rusqlite::{Connection, OptionalExtension, params};
use trade_bench_report::{Parts, Report, group, rate, setting};
use trade_client::api::Api;
use trade_client::credentials::MemoryStore;
use trade_client::engine::{self, Engine, Options};
use trade_client::error::ClientError;
use trade_client::store::LocalStore;
use trade_client::store::queries::{OrderFilter, OrderSort};
use trade_e2e::Server;
use trade_model::InquiryId;

const COMMAND: &str = "cargo bench -p trade-e2e --bench client_sync";
/// Records per page of a first sync, and so per transaction: the engine's
/// `SNAPSHOT_LIMIT`.
const PAGE: usize = 1000;
/// Inquiries per inbox page, as the app asks for them.
const INBOX_PAGE: usize = 50;
/// Orders per page of the orders screen.
const ORDERS_PAGE: usize = 200;
/// Messages per thread page.
const THREAD_PAGE: usize = 50;
const SEARCH_LIMIT: usize = 20;
/// Tables of synced records in the cache (those that exist are counted).
const RECORD_TABLES: [&str; 6] = [
    "inquiries",
    "messages",
    "orders",
    "payments",
    "documents",
    "order_history",
];
/// What a user types into the search box: words of the seeded products, messages and
/// companies (`trade_demo::seed`), a few prefixes as typed, and one word that is nowhere.
const SEARCHES: [&str; 16] = [
    "bottle",
    "LED panel",
    "bluetooth speaker",
    "yoga mat",
    "coffee mug",
    "logo",
    "lead time",
    "catalogue",
    "export cartons",
    "FOB Ningbo",
    "Shenzhen",
    "pieces",
    "USD",
    "bot",
    "pho",
    "titanium",
];
/// The cache's search table as migration 0007 creates it (used when no cache is at hand).
const FTS_SQL: &str = "CREATE VIRTUAL TABLE search USING fts5(title, body, content = '', \
                       contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2')";
/// Records per transaction of the search backlog, as the engine indexes it.
const INDEX_CHUNK: usize = 250;

struct Settings {
    inquiries: u32,
    messages: u32,
    orders: u32,
    budget: Option<Duration>,
    samples: usize,
    search_repeats: usize,
    parts: Parts,
}

impl Settings {
    fn from_env() -> Settings {
        let small =
            |name, default| u32::try_from(setting::<u64>(name, default)).unwrap_or(u32::MAX);
        let budget = setting::<u64>("BENCH_SYNC_BUDGET_SECS", 1800);
        Settings {
            inquiries: small("BENCH_INQUIRIES", 100_000),
            messages: small("BENCH_MESSAGES_PER_INQUIRY", 10),
            orders: small("BENCH_ORDERS", 1_000),
            budget: (budget > 0).then(|| Duration::from_secs(budget)),
            samples: setting::<u64>("BENCH_SAMPLES", 200).max(1) as usize,
            search_repeats: setting::<u64>("BENCH_SEARCH_REPEATS", 20).max(1) as usize,
            parts: Parts::from_env("engine,split,raw,queries,notify"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The report

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / 1_048_576.0)
}

fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1e3;
    if v < 10.0 {
        format!("{v:.2} ms")
    } else {
        format!("{v:.0} ms")
    }
}

/// Nearest-rank percentiles of a set of timings.
struct Stats {
    n: usize,
    p50: Duration,
    p95: Duration,
    p99: Duration,
    max: Duration,
}

impl Stats {
    fn of(mut v: Vec<Duration>) -> Stats {
        v.sort();
        let at = |p: f64| {
            let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len().max(1));
            v.get(rank - 1).copied().unwrap_or_default()
        };
        Stats {
            n: v.len(),
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: v.last().copied().unwrap_or_default(),
        }
    }

    fn show(&self) -> String {
        format!(
            "p50 **{}**, p95 **{}** (max {}, n={})",
            ms(self.p50),
            ms(self.p95),
            ms(self.max),
            self.n
        )
    }
}

/// A field of `/proc/self/status` in KiB (`VmRSS`, `VmHWM`).
fn proc_kib(field: &str) -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Resets the process's peak RSS (`VmHWM`) to its current RSS; false when not allowed.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn peak_rss(reset: bool) -> String {
    match proc_kib("VmHWM") {
        Some(kib) if reset => format!("{} MiB", group(kib / 1024)),
        Some(kib) => format!("{} MiB (peak since the process started)", group(kib / 1024)),
        None => "unknown".into(),
    }
}

/// Size of an SQLite file and its WAL.
fn file_sizes(path: &Path) -> (u64, u64) {
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    (size(path), size(Path::new(&wal)))
}

fn show_sizes(path: &Path) -> String {
    let (db, wal) = file_sizes(path);
    // Pages freed inside the file are not data.
    let free = Connection::open(path).ok().and_then(|c| {
        let pages: i64 = c
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))
            .ok()?;
        let size: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).ok()?;
        Some((pages * size).unsigned_abs())
    });
    match free {
        Some(free) if free > 1_048_576 => format!(
            "{} in use (file {}, {} of it free pages; + {} WAL)",
            mib(db.saturating_sub(free)),
            mib(db),
            mib(free),
            mib(wal)
        ),
        _ => format!("{} (+ {} WAL)", mib(db), mib(wal)),
    }
}

// ---------------------------------------------------------------------------------------

fn main() -> Result<()> {
    let settings = Settings::from_env();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let started = Instant::now();
    let mut report = Report::default();
    runtime.block_on(run(&settings, &mut report))?;
    report.fact("build", "`cargo bench` profile (release, optimized)");
    report.fact(
        "SQLite",
        format!(
            "{} (bundled with rusqlite); the server's database and the caches in temp dirs",
            rusqlite::version()
        ),
    );
    report.write(
        "client-sync.md",
        "Client sync benchmark",
        COMMAND,
        started.elapsed(),
        &method(&settings),
    )?;
    Ok(())
}

/// The figures issue 15 sets goals for, as this run measures them.
#[derive(Default)]
struct Figures {
    /// The engine's first sync, records/s (when it finished).
    engine: Option<f64>,
    /// Raw rusqlite inserts of as many rows, rows/s.
    raw: Option<f64>,
    first_page: Option<Duration>,
    /// The synced cache with its search index (file and WAL), bytes.
    cache: Option<u64>,
    search_p95: Option<Duration>,
    /// Notification latency p99 by phase.
    notify_p99: Vec<(&'static str, Duration)>,
}

struct Buyer {
    email: String,
    password: String,
    /// A supplier with threads with this buyer: (account id, email).
    supplier: (String, String),
    /// Records in the buyer's feed as the seed counts them.
    feed_records: u64,
}

impl Buyer {
    /// An engine signed in as this buyer with an empty cache in `data`, as the app does.
    async fn sign_in(&self, s: &Server, data: &Path) -> Result<Engine> {
        Ok(Engine::sign_in(
            data,
            s.profile(),
            &self.email,
            &self.password,
            Arc::new(MemoryStore::default()),
            Options::default(),
        )
        .await?)
    }
}

/// A complete cache and what made it.
struct Synced {
    path: PathBuf,
    by: &'static str,
    records: u64,
}

async fn run(settings: &Settings, report: &mut Report) -> Result<()> {
    report.load("at the start");
    // The server's default request budget, as buyers meet it: a first sync at full
    // speed stays under it.
    let s = Server::start().await;
    let seeded = trade_e2e::seed_one_buyer(
        &s,
        settings.inquiries,
        settings.messages,
        settings.orders,
        report,
    )
    .await?;
    let b = seeded
        .buyers
        .first()
        .ok_or_else(|| anyhow!("the seed made no buyer"))?;
    let supplier = seeded
        .suppliers
        .first()
        .ok_or_else(|| anyhow!("the seed made no supplier"))?;
    let buyer = Buyer {
        email: b.account.email.clone(),
        password: seeded.password.clone(),
        supplier: (supplier.id.to_string(), supplier.email.clone()),
        feed_records: b.feed_records(),
    };
    let work = tempfile::tempdir()?;
    let mut figures = Figures::default();
    let mut synced: Option<Synced> = None;
    let mut records = None;
    if settings.parts.runs("engine") {
        let (path, applied, complete) =
            engine_sync(&s, settings, report, &mut figures, &buyer, work.path())
                .await
                .context("the engine's initial sync")?;
        records = Some(applied);
        if complete {
            synced = Some(Synced {
                path,
                by: "the engine's own initial sync (`Engine::sync_now`)",
                records: applied,
            });
        }
    }
    report.load("after the engine part");
    if settings.parts.runs("split") {
        let (path, applied) = split_sync(&s, report, &buyer, work.path())
            .await
            .context("the split sync")?;
        if records.is_none_or(|r| r < applied) {
            records = Some(applied);
        }
        if synced.is_none() {
            synced = Some(Synced {
                path,
                by: "the engine's loop timed in halves (`Api::snapshot` + `LocalStore::apply_snapshot_page`)",
                records: applied,
            });
        }
    }
    report.load("after the split part");
    if settings.parts.runs("raw") {
        let n = synced
            .as_ref()
            .map(|c| c.records)
            .or(records)
            .unwrap_or(buyer.feed_records);
        raw_inserts(
            report,
            &mut figures,
            work.path(),
            n,
            synced.as_ref().map(|c| c.path.as_path()),
        )
        .context("the raw rusqlite inserts")?;
    }
    if settings.parts.runs("queries") {
        match &synced {
            Some(c) => queries(settings, report, &mut figures, c).context("the queries")?,
            None => report.note(
                "No complete cache was made in this run (the engine's sync did not finish in \
                 its budget and the split part did not run), so the queries were not measured.",
            ),
        }
    }
    if settings.parts.runs("notify") {
        notification_latency(&s, report, &mut figures, &buyer, work.path())
            .await
            .context("the notification latency")?;
    }
    goals(report, &figures);
    report.load("at the end");
    drop(s);
    Ok(())
}

/// The run's figures against the goals of issue 15, with the baseline of this run.
fn goals(report: &mut Report, f: &Figures) {
    let mut rows: Vec<Vec<String>> = Vec::new();
    // A row: the figure, its goal, this run's value and whether it is met (if known).
    let mut row = |figure: &str, goal: &str, value: String, met: Option<bool>| {
        let met = match met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        rows.push(vec![
            figure.to_owned(),
            goal.to_owned(),
            value,
            met.to_owned(),
        ]);
    };
    if let Some(engine) = f.engine {
        let of_raw = f.raw.map(|raw| {
            format!(
                " = {:.1}% of raw inserts ({} rows/s)",
                100.0 * engine / raw,
                rate(raw, 1.0)
            )
        });
        row(
            "first sync, engine over HTTPS loopback",
            "≥ 100,000 records/s and ≥ 50% of raw inserts in the same run",
            format!(
                "{} records/s{}",
                rate(engine, 1.0),
                of_raw.unwrap_or_default()
            ),
            Some(engine >= 100_000.0 && f.raw.is_some_and(|raw| engine >= raw / 2.0)),
        );
    }
    if let Some(d) = f.first_page {
        let ok = d <= Duration::from_secs(2);
        row(
            "sign-in → inbox first page and unread counts",
            "≤ 2 s",
            ms(d),
            Some(ok),
        );
    }
    if let Some(bytes) = f.cache {
        let value = format!("{} MB", group(bytes / 1_000_000));
        let ok = bytes <= 450_000_000;
        row(
            "cache on disk, with the search index",
            "≤ 450 MB",
            value,
            Some(ok),
        );
    }
    if let Some(d) = f.search_p95 {
        let ok = d <= Duration::from_millis(10);
        row("full-text search p95", "≤ 10 ms", ms(d), Some(ok));
    }
    for (phase, d) in &f.notify_p99 {
        let figure = format!("supplier message → notification p99, {phase}");
        row(
            &figure,
            "≤ 50 ms",
            ms(*d),
            Some(*d <= Duration::from_millis(50)),
        );
    }
    let elsewhere = "`bench-reports/sync.md` (`cargo bench -p trade-server --bench sync`); \
                     at this account's size `bench-reports/sync-100k.md`";
    row(
        "server pull, one account",
        "≥ 200,000 records/s",
        elsewhere.to_owned(),
        None,
    );
    row(
        "push, 4 clients",
        "≥ 5,000 mutations/s",
        elsewhere.to_owned(),
        None,
    );
    row(
        "first sync in the real app, window CPU during it, app memory, cold starts",
        "see issue 15",
        "`bench-reports/desktop.md` (`scripts/with-keyring.sh --desktop cargo bench -p trade-e2e --bench desktop`)"
            .to_owned(),
        None,
    );
    report.table(
        "Against the goals of issue 15",
        &["figure", "goal", "this run", "met"],
        rows,
    );
}

// ---------------------------------------------------------------------------------------
// The engine, as shipped

/// Signs an engine in and times its initial sync. Returns the cache, the records applied
/// and whether the sync finished within the budget.
async fn engine_sync(
    s: &Server,
    settings: &Settings,
    report: &mut Report,
    figures: &mut Figures,
    buyer: &Buyer,
    dir: &Path,
) -> Result<(PathBuf, u64, bool)> {
    let data = dir.join("engine");
    let signing_in = Instant::now();
    let engine = buyer.sign_in(s, &data).await?;
    let cache = engine::cache_path(&data, &s.profile(), engine.account().id)?;
    println!("bench: engine initial sync into {}", cache.display());

    // Progress as the engine reports it: (seconds, records applied) after each page.
    let samples: Arc<Mutex<Vec<(f64, u64)>>> = Arc::new(Mutex::new(vec![(0.0, 0)]));
    // At the first report (the first page is in): time since sign-in began, inquiries on
    // the inbox's first page and the unread total, as the inbox reads them.
    let inbox_at_first_page: Arc<Mutex<Option<(Duration, usize, i64)>>> = Arc::default();
    let mut status = engine.status();
    let reset = reset_peak_rss();
    let rss_before = proc_kib("VmRSS").unwrap_or(0);
    let started = Instant::now();
    let sampler = {
        let samples = samples.clone();
        let inbox = inbox_at_first_page.clone();
        let watcher = engine.clone();
        tokio::spawn(async move {
            let mut printed = Instant::now();
            while status.changed().await.is_ok() {
                let connection = status.borrow().connection.clone();
                if let engine::Connection::Syncing { done, total } = connection {
                    let t = started.elapsed().as_secs_f64();
                    let mut inbox = inbox.lock().unwrap_or_else(|e| e.into_inner());
                    if inbox.is_none() {
                        let since_sign_in = signing_in.elapsed();
                        let shown = watcher.store().inquiries(false, None, INBOX_PAGE);
                        let unread = watcher.store().unread();
                        if let (Ok(shown), Ok(unread)) = (shown, unread) {
                            *inbox = Some((since_sign_in, shown.items.len(), unread.total));
                        }
                    }
                    drop(inbox);
                    samples
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((t, done));
                    if printed.elapsed() >= Duration::from_secs(5) {
                        printed = Instant::now();
                        println!(
                            "bench: engine sync: {done} / {} records in {t:.0} s ({:.0} records/s)",
                            total.map(|t| t.to_string()).unwrap_or("?".into()),
                            done as f64 / t.max(1e-9)
                        );
                    }
                }
            }
        })
    };
    let finished = match settings.budget {
        Some(budget) => tokio::time::timeout(budget, engine.sync_now()).await.ok(),
        None => Some(engine.sync_now().await),
    };
    let secs = started.elapsed().as_secs_f64();
    let peak = peak_rss(reset);
    sampler.abort();
    let complete = match finished {
        Some(result) => {
            result?;
            true
        }
        None => false,
    };
    let records = count_records(&cache)?;
    let mut samples = samples.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if complete {
        samples.push((secs, records));
    }
    let setting = format!(
        "{} records into an empty cache; the snapshot walk in pages of {PAGE}, one transaction each, the next page fetched while one is applied; WAL, synchronous=FULL",
        group(records)
    );
    if complete {
        figures.engine = Some(records as f64 / secs);
    }
    let result = if complete {
        format!(
            "{secs:.1} s = **{} records/s**; cache {}; peak RSS {peak} (server and engine in one process; RSS before {} MiB)",
            rate(records as f64, secs),
            show_sizes(&cache),
            group(rss_before / 1024)
        )
    } else {
        format!(
            "**did not finish**: stopped by the budget of {} s (after {secs:.0} s) with {} of {} records applied = {} records/s on average; cache so far {}; peak RSS {peak}",
            settings.budget.map(|b| b.as_secs()).unwrap_or_default(),
            group(records),
            group(buyer.feed_records),
            rate(records as f64, secs),
            show_sizes(&cache)
        )
    };
    report.line("initial sync, engine as shipped", setting, result);
    let first = *inbox_at_first_page
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some((after, shown, unread)) = first {
        figures.first_page = Some(after);
        report.line(
            "first sign-in → inbox first page and unread counts in the cache",
            "from `Engine::sign_in` to the engine's first progress report (its first page applied), then `inquiries(false, None, 50)` and `unread()` read as the inbox reads them",
            format!(
                "**{}**: {shown} inquiries on the first page, {} unread in all (the sync went on behind it)",
                ms(after),
                group(unread.unsigned_abs())
            ),
        );
    }
    curve(report, &samples);

    drop(engine);
    if !complete {
        // Not used further; give the disk back.
        let _ = std::fs::remove_dir_all(&data);
    }
    Ok((cache, records, complete))
}

/// The rate in stretches of the sync, from the engine's progress after each page.
fn curve(report: &mut Report, samples: &[(f64, u64)]) {
    let Some(&(_, last)) = samples.last() else {
        return;
    };
    if last == 0 || samples.len() < 3 {
        return;
    }
    let mut points = vec![samples[0]];
    for k in 1..=10u64 {
        let target = last * k / 10;
        if let Some(p) = samples.iter().find(|(_, d)| *d >= target)
            && points.last().is_none_or(|q| q.1 < p.1)
        {
            points.push(*p);
        }
    }
    let rows = points
        .windows(2)
        .map(|w| {
            let ((t0, d0), (t1, d1)) = (w[0], w[1]);
            let (dt, dd) = (t1 - t0, (d1 - d0) as f64);
            vec![
                format!("{} – {}", group(d0), group(d1)),
                format!("{:.1} s", dt),
                format!("**{}**", rate(dd, dt)),
                format!("{:.3} ms", dt * 1e3 / dd.max(1.0)),
            ]
        })
        .collect();
    report.table(
        "Engine initial sync, rate as the cache fills (from the engine's progress after each page)",
        &["records in the cache", "time", "records/s", "per record"],
        rows,
    );
}

fn cache_conn(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}

fn table_exists(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Synced records in a cache: rows of the record tables, and the unread totals.
fn count_records(path: &Path) -> Result<u64> {
    let conn = cache_conn(path)?;
    let mut n = 0u64;
    for t in RECORD_TABLES {
        if table_exists(&conn, t)? {
            let c: i64 = conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?;
            n += c.unsigned_abs();
        }
    }
    let unread: Option<i64> = conn
        .query_row("SELECT 1 FROM meta WHERE key = 'unread'", [], |r| r.get(0))
        .optional()?;
    Ok(n + u64::from(unread.is_some()))
}

// ---------------------------------------------------------------------------------------
// The engine's loop, timed in halves

async fn split_sync(
    s: &Server,
    report: &mut Report,
    buyer: &Buyer,
    dir: &Path,
) -> Result<(PathBuf, u64)> {
    let path = dir.join("split").join("cache.sqlite3");
    let store = LocalStore::open(&path)?;
    let api = Api::new(&s.profile())?;
    let session = api.login(&buyer.email, &buyer.password).await?;
    let (mut access, mut refresh) = (session.access_token, session.refresh_token);
    println!("bench: split sync into {}", path.display());
    let reset = reset_peak_rss();
    let started = Instant::now();
    let (mut in_pull, mut in_apply) = (Duration::ZERO, Duration::ZERO);
    let (mut records, mut pages) = (0u64, 0u64);
    let mut slowest_pull = Duration::ZERO;
    let mut slowest_apply = Duration::ZERO;
    let mut estimate = None;
    let mut printed = Instant::now();
    loop {
        let cursor = store.snapshot_cursor()?;
        let t = Instant::now();
        let page = match api.snapshot(&access, &cursor, PAGE as i64).await {
            // The access token lasts 15 minutes; refresh it as the engine does.
            Err(ClientError::Api { status: 401, .. }) => {
                let session = api.refresh(&refresh).await?;
                (access, refresh) = (session.access_token, session.refresh_token);
                api.snapshot(&access, &cursor, PAGE as i64).await?
            }
            other => other?,
        };
        let pulled = t.elapsed();
        in_pull += pulled;
        slowest_pull = slowest_pull.max(pulled);
        if pages == 0 {
            estimate = page.total_estimate;
        }
        pages += 1;
        let t = Instant::now();
        store.apply_snapshot_page(
            &page.changes,
            &page.next_cursor,
            &page.feed_cursor,
            !page.has_more,
            jiff::Timestamp::now(),
        )?;
        let applied = t.elapsed();
        in_apply += applied;
        slowest_apply = slowest_apply.max(applied);
        records += page.changes.len() as u64;
        if printed.elapsed() >= Duration::from_secs(5) {
            printed = Instant::now();
            let secs = started.elapsed().as_secs_f64();
            println!(
                "bench: split sync: {records} / {} records in {secs:.0} s ({:.0} records/s; pull {:.0} s, apply {:.0} s)",
                estimate.map(|e| e.to_string()).unwrap_or("?".into()),
                records as f64 / secs.max(1e-9),
                in_pull.as_secs_f64(),
                in_apply.as_secs_f64()
            );
        }
        if !page.has_more {
            break;
        }
    }
    let sync_secs = started.elapsed().as_secs_f64();
    let peak = peak_rss(reset);
    drop(store);
    let (pull_s, apply_s) = (in_pull.as_secs_f64(), in_apply.as_secs_f64());
    report.line(
        "initial sync, the engine's loop timed in halves",
        format!(
            "{} records (server estimate {}), {pages} pages of {PAGE}: `Api::snapshot`, then `LocalStore::apply_snapshot_page`, one after the other",
            group(records),
            estimate.map(|e| group(e.unsigned_abs())).unwrap_or("none".into())
        ),
        format!(
            "{sync_secs:.1} s = **{} records/s**: waiting for pages (server, HTTPS, JSON decoding) {pull_s:.1} s (slowest {}), applying them {apply_s:.1} s (slowest page {}); cache {}; peak RSS {peak}",
            rate(records as f64, sync_secs),
            ms(slowest_pull),
            ms(slowest_apply),
            show_sizes(&path)
        ),
    );
    report.line(
        "`LocalStore::apply_snapshot_page` alone",
        format!(
            "the same {} records, {pages} transactions (cache rows, where the walk stands; the search index comes after)",
            group(records)
        ),
        format!(
            "{apply_s:.1} s = **{} records/s**",
            rate(records as f64, apply_s)
        ),
    );
    Ok((path, records))
}

// ---------------------------------------------------------------------------------------
// Raw rusqlite

/// A record as stored: its JSON, and the title and body the engine indexes (None: not
/// indexed).
struct Sample {
    data: String,
    index: Option<(&'static str, String, String)>,
}

fn text(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .to_owned()
}

/// About 2,000 records from the cache, each table in its share, with the texts
/// `store/apply.rs` indexes.
fn sample_pool(cache: Option<&Path>) -> Result<Vec<Sample>> {
    let Some(cache) = cache else {
        // No cache at hand: JSON of a seeded message's usual size.
        let data = format!(
            "{{\"id\":\"{}\",\"body\":\"{}\"}}",
            uuid::Uuid::now_v7(),
            "Thank you for your inquiry. ".repeat(12)
        );
        return Ok(vec![Sample {
            index: Some(("message", "Sales".into(), data.clone())),
            data,
        }]);
    };
    let conn = cache_conn(cache)?;
    let mut counts = Vec::new();
    for t in RECORD_TABLES {
        if table_exists(&conn, t)? {
            let c: i64 = conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?;
            counts.push((t, c.max(0)));
        }
    }
    let total: i64 = counts.iter().map(|(_, c)| c).sum::<i64>().max(1);
    let mut pool = Vec::new();
    for (t, c) in counts {
        if c == 0 {
            continue;
        }
        let want = ((2_000 * c + total - 1) / total).max(1);
        let step = (c / want).max(1);
        let mut stmt = conn.prepare(&format!(
            "SELECT {} FROM {t} WHERE rowid % ?1 = 0 LIMIT ?2",
            trade_client::store::json_of(t)
        ))?;
        let rows = stmt.query_map(params![step, want], |r| r.get::<_, String>(0))?;
        for data in rows {
            let data = data?;
            let v: serde_json::Value = serde_json::from_str(&data)?;
            let index = match t {
                "inquiries" => Some((
                    "inquiry",
                    text(&v, "product"),
                    format!(
                        "{} {} {}",
                        text(&v, "supplier_name"),
                        text(&v, "supplier_company"),
                        text(&v, "last_message_preview")
                    ),
                )),
                "messages" => Some(("message", text(&v, "sender_name"), text(&v, "body"))),
                "orders" => Some(("order", String::new(), text(&v, "status_label"))),
                _ => None,
            };
            pool.push(Sample { data, index });
        }
    }
    if pool.is_empty() {
        return sample_pool(None);
    }
    Ok(pool)
}

/// How a raw run writes its rows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Raw {
    /// One prepared (cached) INSERT.
    Plain,
    /// One prepared INSERT, plus an FTS5 row for each record the engine indexes.
    WithFts,
}

fn raw_inserts(
    report: &mut Report,
    figures: &mut Figures,
    dir: &Path,
    records: u64,
    cache: Option<&Path>,
) -> Result<()> {
    let pool = sample_pool(cache)?;
    let fts_sql = match cache {
        Some(c) => cache_conn(c)?
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'search'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .filter(|s| s.to_ascii_lowercase().contains("fts5"))
            .unwrap_or_else(|| FTS_SQL.to_owned()),
        None => FTS_SQL.to_owned(),
    };
    let avg = pool.iter().map(|s| s.data.len()).sum::<usize>() / pool.len().max(1);
    const INSERT: &str = "INSERT INTO records (id, sort, data) VALUES (?1, ?2, ?3)";
    for (n, variant) in [Raw::Plain, Raw::WithFts].into_iter().enumerate() {
        let path = dir.join(format!("raw-{n}.sqlite3"));
        let mut conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE records (id TEXT PRIMARY KEY, sort INTEGER NOT NULL, data TEXT NOT NULL) STRICT",
        )?;
        if variant == Raw::WithFts {
            conn.execute_batch(&fts_sql)?;
        }
        println!("bench: raw rusqlite inserts of {records} rows");
        let mut indexed = 0u64;
        let started = Instant::now();
        let mut i = 0u64;
        while i < records {
            let n = (records - i).min(PAGE as u64);
            let tx = conn.transaction()?;
            {
                let mut insert = tx.prepare_cached(INSERT)?;
                let mut index = if variant == Raw::WithFts {
                    Some(tx.prepare_cached("INSERT INTO search (title, body) VALUES (?1, ?2)")?)
                } else {
                    None
                };
                for k in i..i + n {
                    let sample = &pool[(k % pool.len() as u64) as usize];
                    let id = uuid::Uuid::now_v7().to_string();
                    insert.execute(params![id, (k as i64) * 1_000, sample.data])?;
                    if let (Some(index), Some((_, title, body))) = (&mut index, &sample.index) {
                        index.execute(params![title, body])?;
                        indexed += 1;
                    }
                }
            }
            tx.commit()?;
            i += n;
        }
        let secs = started.elapsed().as_secs_f64();
        drop(conn);
        if variant == Raw::Plain {
            figures.raw = Some(records as f64 / secs);
        }
        let result = format!(
            "{secs:.1} s = **{} rows/s**; file {}",
            rate(records as f64, secs),
            show_sizes(&path)
        );
        match variant {
            Raw::Plain => report.line(
                "raw rusqlite insert",
                format!(
                    "{} rows (id TEXT PRIMARY KEY, sort INTEGER, data TEXT: the records' JSON as the server sent them, read back from the cache, sampled per table, avg {avg} B) into one plain table; one cached prepared INSERT; {PAGE} per transaction; WAL, synchronous=FULL",
                    group(records)
                ),
                result,
            ),
            Raw::WithFts => report.line(
                "raw rusqlite insert + FTS5 row",
                format!(
                    "as above, plus an FTS5 row (same table definition as the cache's `search`) for each of the {} records the engine indexes",
                    group(indexed)
                ),
                result,
            ),
        }
        let _ = std::fs::remove_file(&path);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Queries on the synced cache

fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(Duration, T)> {
    let t = Instant::now();
    let v = f()?;
    Ok((t.elapsed(), v))
}

/// Walks a whole inbox list with the cursor: each page's time, the ids, and the cursors.
fn walk(store: &LocalStore, unread: bool) -> Result<(Vec<Duration>, Vec<InquiryId>, Vec<String>)> {
    let (mut times, mut ids, mut cursors) = (Vec::new(), Vec::new(), Vec::new());
    let mut after: Option<String> = None;
    loop {
        let (d, page) = timed(|| Ok(store.inquiries(unread, after.as_deref(), INBOX_PAGE)?))?;
        times.push(d);
        ids.extend(page.items.iter().map(|i| i.id));
        match page.next {
            Some(next) => {
                cursors.push(next.clone());
                after = Some(next);
            }
            None => return Ok((times, ids, cursors)),
        }
    }
}

/// Indexes the cache's search backlog as the engine does behind a first sync (chunks of
/// `INDEX_CHUNK` records, one transaction each) and reports its rate.
fn index_backlog(
    report: &mut Report,
    figures: &mut Figures,
    store: &LocalStore,
    cache: &Path,
) -> Result<()> {
    let waiting = store.search_coverage()?.map_or(0, |c| c.total - c.indexed);
    println!("bench: indexing the search backlog ({waiting} records)");
    let started = Instant::now();
    let mut taken = 0;
    loop {
        let n = store.index_backlog(INDEX_CHUNK)?;
        if n == 0 {
            break;
        }
        taken += n;
    }
    let secs = started.elapsed().as_secs_f64();
    let (file, wal) = file_sizes(cache);
    figures.cache = Some(file + wal);
    report.line(
        "search index built behind the sync",
        format!(
            "`LocalStore::index_backlog({INDEX_CHUNK})` until done, as the engine runs it after a first sync (searchable records: inquiries, messages, orders); search answers meanwhile from what is indexed"
        ),
        format!(
            "{} records in {secs:.1} s = **{} records/s**; cache then {}",
            group(taken as u64),
            rate(taken as f64, secs),
            show_sizes(cache)
        ),
    );
    Ok(())
}

fn queries(
    settings: &Settings,
    report: &mut Report,
    figures: &mut Figures,
    cache: &Synced,
) -> Result<()> {
    let store = LocalStore::open(&cache.path)?;
    index_backlog(report, figures, &store, &cache.path)?;
    let n = settings.samples;
    println!("bench: queries on {}", cache.path.display());
    report.note(format!(
        "The queries ran on the cache made by {}: {} records, {}.",
        cache.by,
        group(cache.records),
        show_sizes(&cache.path)
    ));

    for unread in [false, true] {
        let list = if unread { "unread" } else { "all" };
        let call = format!("`inquiries({unread}, None, {INBOX_PAGE})`");
        let mut first = Vec::with_capacity(n);
        let _ = store.inquiries(unread, None, INBOX_PAGE)?;
        for _ in 0..n {
            first.push(timed(|| Ok(store.inquiries(unread, None, INBOX_PAGE)?))?.0);
        }
        report.line(
            &format!("inbox first page ({list})"),
            format!("{call}, {n} times"),
            Stats::of(first).show(),
        );
        let walked = Instant::now();
        let (times, ids, cursors) = walk(&store, unread)?;
        let walked = walked.elapsed();
        let pages = times.len();
        report.line(
            &format!("inbox, every page ({list})"),
            format!(
                "walking all {} inquiries with the cursor, {INBOX_PAGE} a page",
                group(ids.len() as u64)
            ),
            format!(
                "{} pages in {:.2} s: {}",
                group(pages as u64),
                walked.as_secs_f64(),
                Stats::of(times).show()
            ),
        );
        if let Some(deep) = cursors.get(cursors.len() * 9 / 10) {
            let mut times = Vec::with_capacity(n);
            for _ in 0..n {
                times.push(
                    timed(|| Ok(store.inquiries(unread, Some(deep.as_str()), INBOX_PAGE)?))?.0,
                );
            }
            report.line(
                &format!("inbox deep page ({list})"),
                format!(
                    "the page after the cursor of page {} of {pages}, {n} times",
                    cursors.len() * 9 / 10 + 1
                ),
                Stats::of(times).show(),
            );
        }
        if !unread && !ids.is_empty() {
            let mut rng = rand::rng();
            let mut times = Vec::with_capacity(n);
            let mut messages = 0;
            for _ in 0..n {
                let id = ids[rng.random_range(0..ids.len())];
                let (d, page) = timed(|| Ok(store.thread(id, None, THREAD_PAGE)?))?;
                messages += page.items.len();
                times.push(d);
            }
            report.line(
                "thread page",
                format!(
                    "`thread(id, None, {THREAD_PAGE})` of {n} random inquiries ({:.1} messages a page)",
                    messages as f64 / n as f64
                ),
                Stats::of(times).show(),
            );
        }
    }

    // The orders screen: first pages by each sort, over all orders and within a box,
    // and narrowed by a word (a product word, then a supplier's company).
    let boxes = store.order_counts()?;
    let biggest = boxes.iter().max_by_key(|(_, n)| *n).map(|(b, _)| *b);
    let filters = [
        ("all, recent", OrderFilter::default()),
        (
            "all, by next deadline",
            OrderFilter {
                sort: OrderSort::Deadline,
                ..OrderFilter::default()
            },
        ),
        (
            "biggest box, by next deadline",
            OrderFilter {
                order_box: biggest,
                sort: OrderSort::Deadline,
                ..OrderFilter::default()
            },
        ),
        (
            "product word \"bottle\"",
            OrderFilter {
                text: "bottle".into(),
                ..OrderFilter::default()
            },
        ),
        (
            "supplier word \"textile\"",
            OrderFilter {
                text: "textile".into(),
                ..OrderFilter::default()
            },
        ),
    ];
    for (what, filter) in filters {
        let _ = store.orders(&filter, None, ORDERS_PAGE)?;
        let mut times = Vec::with_capacity(n);
        let mut shown = 0;
        for _ in 0..n {
            let (d, page) = timed(|| Ok(store.orders(&filter, None, ORDERS_PAGE)?))?;
            shown = page.items.len();
            times.push(d);
        }
        report.line(
            &format!("orders first page ({what})"),
            format!("`orders(filter, None, {ORDERS_PAGE})`, {n} times ({shown} orders a page)"),
            Stats::of(times).show(),
        );
    }

    let reps = settings.search_repeats;
    let mut all = Vec::new();
    let mut rows = Vec::new();
    let counter = cache_conn(&cache.path)?;
    for q in SEARCHES {
        let hits = match store.search(q, SEARCH_LIMIT) {
            Ok(found) => found.hits.len(),
            Err(e) => {
                report.line(
                    "full-text search",
                    format!("`search({q:?}, {SEARCH_LIMIT})`"),
                    format!("**failed**: {e}"),
                );
                return Ok(());
            }
        };
        // The rows the query matches, all of which are ranked: the MATCH expression
        // `LocalStore::search` makes (each word a quoted prefix term).
        let expr = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(|t| format!("\"{t}\"*"))
            .collect::<Vec<_>>()
            .join(" ");
        let matching: i64 = counter.query_row(
            "SELECT count(*) FROM search WHERE search MATCH ?1",
            [&expr],
            |r| r.get(0),
        )?;
        let mut times = Vec::with_capacity(reps);
        for _ in 0..reps {
            times.push(timed(|| Ok(store.search(q, SEARCH_LIMIT)?))?.0);
        }
        all.extend(times.iter().copied());
        let s = Stats::of(times);
        rows.push(vec![
            format!("`{q}`"),
            group(matching.unsigned_abs()),
            hits.to_string(),
            ms(s.p50),
            ms(s.p95),
        ]);
    }
    report.line(
        "full-text search",
        format!(
            "`search(q, {SEARCH_LIMIT})`, {} queries (below) {reps} times each",
            SEARCHES.len()
        ),
        {
            let all = Stats::of(all);
            figures.search_p95 = Some(all.p95);
            all.show()
        },
    );
    report.table(
        "Full-text search by query",
        &["query", "rows matching", "hits returned", "p50", "p95"],
        rows,
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Notification latency

/// Messages the supplier sends after the first sync (during it: as many as fit).
const PINGS: usize = 50;
/// The spacing of the supplier's messages (the load's pace; nothing waits on it).
const PING_EVERY: Duration = Duration::from_millis(100);
/// How long a message may go without its notification before it counts as missing.
const NOTIFY_PATIENCE: Duration = Duration::from_secs(120);

/// Whether the search window (`search_recent`, the newest index rows searched first) is
/// filled behind the backlog: its ceiling has gone up to its size above the bottom (the
/// newest row), or past the top of the index. Read from the cache file under `data`.
fn search_window_filled(data: &Path) -> Result<bool> {
    let Some(file) = trade_e2e::cache_file(data)? else {
        return Ok(false);
    };
    let conn = Connection::open_with_flags(&file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let ceiling: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'search_recent_ceiling'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let (bottom, top): (Option<i64>, Option<i64>) =
        conn.query_row("SELECT min(rowid), max(rowid) FROM search_rows", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let (Some(ceiling), Some(bottom), Some(top)) =
        (ceiling.and_then(|c| c.parse::<i64>().ok()), bottom, top)
    else {
        return Ok(false);
    };
    Ok(ceiling >= (bottom + trade_client::store::search::RECENT_ROWS).min(top + 1))
}

/// A supplier's message (from the server's answer to the POST) to the buyer's engine
/// handing out the notification for it (on `Engine::notifications`, what the desktop
/// shows), during a first sync of the large account and after it. A message counts as
/// notified by the first notification of its thread that comes after its POST answer.
async fn notification_latency(
    s: &Server,
    report: &mut Report,
    figures: &mut Figures,
    buyer: &Buyer,
    dir: &Path,
) -> Result<()> {
    let data = dir.join("notify");
    let engine = buyer.sign_in(s, &data).await?;
    let arrived: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let listener = {
        let arrived = arrived.clone();
        let mut notes = engine.notifications();
        tokio::spawn(async move {
            loop {
                match notes.recv().await {
                    Ok(n) => {
                        if let trade_client::notify::Target::Inquiry(id) = n.target {
                            arrived
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push((id.to_string(), Instant::now()));
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => return,
                }
            }
        })
    };
    let mut status = engine.status();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let runner = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.run(stopped).await })
    };
    let (id, email) = &buyer.supplier;
    let supplier = s.party(id.clone(), email, &buyer.password).await;
    let (_, theirs) = s
        .call(
            &supplier,
            reqwest::Method::GET,
            "/v1/inquiries?limit=20",
            None,
            None,
        )
        .await;
    let threads: Vec<String> = theirs["items"]
        .as_array()
        .ok_or_else(|| anyhow!("the supplier's inquiries: {theirs}"))?
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect();
    if threads.is_empty() {
        return Err(anyhow!("the supplier has no thread with the buyer"));
    }
    let mut sent = 0usize;
    let post = async |sent: &mut usize| -> Result<(String, Instant)> {
        let thread = threads[*sent % threads.len()].clone();
        let body = serde_json::json!({ "body": format!("Ping {sent}: the stock list changed.") });
        let (code, answer) = s
            .call(
                &supplier,
                reqwest::Method::POST,
                &format!("/v1/inquiries/{thread}/messages"),
                Some(body),
                None,
            )
            .await;
        if code != 201 {
            return Err(anyhow!("posting a message: {code} {answer}"));
        }
        *sent += 1;
        Ok((thread, Instant::now()))
    };
    println!("bench: notifications during and after a first sync");
    status
        .wait_for(|st| matches!(st.connection, engine::Connection::Syncing { .. }))
        .await?;
    let mut during = Vec::new();
    while matches!(
        status.borrow().connection,
        engine::Connection::Syncing { .. }
    ) {
        during.push(post(&mut sent).await?);
        tokio::time::sleep(PING_EVERY).await;
    }
    status
        .wait_for(|st| st.connection == engine::Connection::Online)
        .await?;
    let mut after = Vec::new();
    for _ in 0..PINGS {
        after.push(post(&mut sent).await?);
        tokio::time::sleep(PING_EVERY).await;
    }
    // Once the search backlog is indexed and the window of the newest rows filled: the
    // engine at rest.
    let indexed_by = Instant::now() + NOTIFY_PATIENCE;
    while (engine.store().search_coverage()?.is_some() || !search_window_filled(&data)?)
        && Instant::now() < indexed_by
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut at_rest = Vec::new();
    for _ in 0..PINGS {
        at_rest.push(post(&mut sent).await?);
        tokio::time::sleep(PING_EVERY).await;
    }
    // Every message's notification, or the patience spent.
    let deadline = Instant::now() + NOTIFY_PATIENCE;
    let latencies = |pings: &[(String, Instant)]| -> Vec<Option<Duration>> {
        let arrived = arrived.lock().unwrap_or_else(|e| e.into_inner());
        pings
            .iter()
            .map(|(thread, at)| {
                arrived
                    .iter()
                    .filter(|(t, when)| t == thread && when >= at)
                    .map(|(_, when)| *when - *at)
                    .min()
            })
            .collect()
    };
    while Instant::now() < deadline
        && [&during, &after, &at_rest]
            .iter()
            .any(|pings| latencies(pings).iter().any(Option::is_none))
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send_replace(true);
    let _ = runner.await;
    listener.abort();
    for (phase, pings) in [
        ("during the first sync", &during),
        (
            "after the first sync (the search backlog being indexed)",
            &after,
        ),
        ("after the search backlog", &at_rest),
    ] {
        let got = latencies(pings);
        let missing = got.iter().filter(|l| l.is_none()).count();
        let stats = Stats::of(got.into_iter().flatten().collect());
        if stats.n > 0 {
            figures.notify_p99.push((phase, stats.p99));
        }
        report.line(
            &format!("supplier message → buyer notification, {phase}"),
            format!(
                "{} messages from one supplier, one every {} ms, round-robin over {} threads; from the POST's answer to the engine's notification of that thread",
                pings.len(),
                PING_EVERY.as_millis(),
                threads.len()
            ),
            format!(
                "p50 **{}**, p99 **{}** (max {}, n={}){}",
                ms(stats.p50),
                ms(stats.p99),
                ms(stats.max),
                stats.n,
                if missing > 0 {
                    format!("; **{missing} not notified** within {} s", NOTIFY_PATIENCE.as_secs())
                } else {
                    String::new()
                }
            ),
        );
    }
    drop(engine);
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Rendering

fn method(settings: &Settings) -> Vec<String> {
    vec![
        format!(
            "**Server**: `trade_server::start` in this process on 127.0.0.1 over HTTPS (its own CA), \
         SQLite in a temp dir; `trade_demo::seed::run` on its database makes one buyer with {} \
         inquiries × {} messages and {} orders (10 suppliers, seed 1), as `trade-demo seed` does.",
            group(settings.inquiries.into()),
            settings.messages,
            group(settings.orders.into())
        ),
        format!(
            "**Engine as shipped**: `Engine::sign_in` (with `MemoryStore` credentials) into a fresh \
         data dir, then one `Engine::sync_now()` from the empty cache: the snapshot walk \
         (`GET /v1/sync/snapshot`: unread counts, inquiries, messages, orders, each kind most \
         recently changed first) in pages of {PAGE} records, each applied with where the walk \
         stands in one transaction (WAL, synchronous=FULL) while the next page is fetched, then \
         the feed from the walk's version. Records are counted in \
         the cache afterwards; the rate curve comes from the engine's own `Syncing {{ done }}` status \
         after each page. Stopped after `BENCH_SYNC_BUDGET_SECS` ({}) if not done. Peak RSS is \
         `VmHWM` of this process (server and engine together), reset through \
         `/proc/self/clear_refs` just before the sync.",
            settings
                .budget
                .map(|b| format!("{} s", b.as_secs()))
                .unwrap_or("no limit".into())
        ),
        format!(
            "**The engine's loop timed in halves**: what `first_sync` does, step by step with the \
         engine's public pieces, into a second fresh cache: `store.snapshot_cursor()`, \
         `Api::snapshot(cursor, {PAGE})` (HTTPS round trip, the server's work, JSON decoding), \
         then `LocalStore::apply_snapshot_page(changes, next_cursor, feed_cursor, done, now)` (cache \
         rows, where the walk stands, outbox rebase in one transaction; no search index), each \
         timed, one after the other. The engine overlaps them (the next page is fetched while \
         one is applied), so its time is near the larger half, not their sum."
        ),
        format!(
            "**Raw rusqlite**: the same number of rows into a fresh file, same pragmas, a \
         prepared-cached INSERT, {PAGE} rows per transaction; ids are new UUIDv7 strings (in \
         order, like the synced ids), the data is the cache's own JSON (about 2,000 records \
         sampled in each table's share, cycled). The second run also inserts an FTS5 row per \
         record the engine indexes (title and body as `store/search.rs` makes them for inquiries \
         and messages; orders with their status label), into the cache's own contentless \
         FTS5 table."
        ),
        format!(
            "**Search backlog**: before the queries, the synced cache's search index is built \
         as the engine builds it behind a first sync: `LocalStore::index_backlog({INDEX_CHUNK})` \
         until nothing waits (the cache's records, newest first, {INDEX_CHUNK} per transaction)."
        ),
        format!(
            "**Queries**: `LocalStore` calls on the synced cache, warm (one untimed call first), \
         timed one by one in this process; p50/p95 are nearest-rank. Inbox pages: \
         `inquiries(unread, cursor, {INBOX_PAGE})` (first page, the page at 90% of the list, and \
         every page of a walk with `next`); thread: `thread(id, None, {THREAD_PAGE})`; search: \
         `search(q, {SEARCH_LIMIT})` (words become prefix terms, newest first; title and snippet \
         cut from the hits' records)."
        ),
        format!(
            "**Notifications**: a third engine signs in to the large account with an empty cache \
         and runs its loop (`Engine::run`: live events, sync, the search indexer); from its first \
         progress report until the first sync ends, one of the buyer's suppliers posts a \
         message every {} ms (`POST /v1/inquiries/{{id}}/messages`, round-robin over up to 20 \
         threads), then {PINGS} more after it (while the search backlog is indexed), and \
         {PINGS} more once the backlog is done and the search window of the newest rows filled. A message's latency runs from the server's \
         answer to its POST to the first notification of its thread that the engine hands out \
         after it (`Engine::notifications`, what the desktop passes to the notification server). \
         Missing after {} s counts as not notified.",
            PING_EVERY.as_millis(),
            NOTIFY_PATIENCE.as_secs()
        ),
        format!(
            "Quick run: `BENCH_INQUIRIES=2000 {COMMAND}`. Settings: `BENCH_INQUIRIES`, \
         `BENCH_MESSAGES_PER_INQUIRY`, `BENCH_ORDERS`, `BENCH_SYNC_BUDGET_SECS`, \
         `BENCH_SAMPLES`, `BENCH_SEARCH_REPEATS`, `BENCH_PARTS` \
         (`engine,split,raw,queries,notify`)."
        ),
    ]
}
