//! The engine killed with SIGKILL at random points, in a child process (`engine-child`),
//! against a real in-process server over HTTPS:
//!
//! - phase 1: at least 25 kills during the initial sync of a large account (each next
//!   child continues the interrupted sync; a finished sync starts over in a new data
//!   directory);
//! - phase 2: at least 25 kills while queued messages are pushed (and, now and then,
//!   while they are being queued).
//!
//! After every kill the cache file is reopened: `PRAGMA integrity_check` is ok, nothing
//! the sync had written is gone, and every message whose queuing the child acknowledged
//! is still there, queued or sent. At the end the engine runs to completion and: every
//! acknowledged message is on the server exactly once, the server has no message from
//! the buyer that was never queued, the outbox is empty, every message shows as synced,
//! and the cache's inquiries and messages equal the server's.
//!
//! The server's login limits (10 per account and 30 per address per minute) would
//! refuse a child signing in 50+ times in a minute or two. This test's server runs on a
//! clock that the test moves a minute ahead before each child starts, so every sign-in
//! falls in a fresh window; the production limits are unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use rand::Rng;
use tokio::sync::mpsc;
use trade_client::store::LocalStore;
use trade_client::store::queries::Delivery;
use trade_demo::seed::{self, SeedOptions};
use trade_e2e::Server;
use trade_model::entities::{Inquiry, Message, Role};
use trade_model::sync::MutationOp;
use trade_model::{AccountId, MessageId, MutationId};
use trade_server::clock::Clock;

/// Kills that must land inside each phase.
const KILLS_PER_PHASE: usize = 25;
/// The seeded account: large enough that its initial sync takes a while.
const INQUIRIES: u32 = 400;
const MESSAGES_PER_INQUIRY: u32 = 5;
const ORDERS: u32 = 40;
/// How long a child may take to reach a line it is waiting for.
const CHILD_DEADLINE: Duration = Duration::from_secs(30);

/// The real time, plus an offset the test moves forward.
#[derive(Debug, Default)]
struct ShiftedClock {
    ahead_secs: AtomicI64,
}

impl ShiftedClock {
    /// A new login window: every sign-in limit window has passed.
    fn next_minute(&self) {
        self.ahead_secs.fetch_add(61, Ordering::SeqCst);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
            .checked_add(SignedDuration::from_secs(
                self.ahead_secs.load(Ordering::SeqCst),
            ))
            .expect("the shifted time is in range")
    }
}

/// What every child needs to reach the server as the buyer.
struct World {
    server: Server,
    clock: Arc<ShiftedClock>,
    buyer: AccountId,
    email: String,
    password: String,
    /// Child logs (stderr), one file per child, for when one fails.
    logs: tempfile::TempDir,
    children: usize,
}

enum Mode {
    Sync,
    Push(usize),
}

/// A running child and the lines it printed so far.
struct Run {
    child: Child,
    /// Each line with when it was read.
    lines: mpsc::UnboundedReceiver<(Instant, String)>,
    seen: Vec<(Instant, String)>,
    log: PathBuf,
    started: Instant,
}

impl World {
    fn cache(&self, data: &Path) -> PathBuf {
        trade_client::engine::cache_path(data, &self.server.profile(), self.buyer).unwrap()
    }

    fn spawn(&mut self, mode: &Mode, data: &Path) -> Run {
        self.clock.next_minute();
        self.children += 1;
        let log = self
            .logs
            .path()
            .join(format!("child-{}.log", self.children));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_engine-child"));
        match mode {
            Mode::Sync => cmd.arg("sync"),
            Mode::Push(n) => cmd.arg("push").arg(n.to_string()),
        };
        let mut child = cmd
            .env("ENGINE_CHILD_URL", self.server.profile().url)
            .env("ENGINE_CHILD_CA", self.server.dir.path().join("tls/ca.pem"))
            .env("ENGINE_CHILD_DATA", data)
            .env("ENGINE_CHILD_EMAIL", &self.email)
            .env("ENGINE_CHILD_PASSWORD", &self.password)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("the child starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            let mut reader = std::io::BufReader::new(stdout);
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    // Only whole lines count: a line cut by the kill was not printed.
                    Ok(n) if n > 0 && line.ends_with('\n') => {
                        if tx
                            .send((Instant::now(), line.trim_end().to_owned()))
                            .is_err()
                        {
                            return;
                        }
                    }
                    _ => return,
                }
            }
        });
        Run {
            child,
            lines,
            seen: Vec::new(),
            log,
            started: Instant::now(),
        }
    }
}

impl Run {
    fn printed(&self, what: &str) -> bool {
        self.at(what).is_some()
    }

    /// When the child's line `what` was read.
    fn at(&self, what: &str) -> Option<Instant> {
        self.seen.iter().find(|(_, l)| l == what).map(|(at, _)| *at)
    }

    fn printed_lines(&self) -> Vec<&str> {
        self.seen.iter().map(|(_, l)| l.as_str()).collect()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the child prints `what`; false if it ended first.
    async fn wait_for(&mut self, what: &str) -> bool {
        if self.printed(what) {
            return true;
        }
        let deadline = tokio::time::Instant::now() + CHILD_DEADLINE;
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => {
                    let hit = line.1 == what;
                    self.seen.push(line);
                    if hit {
                        return true;
                    }
                }
                Ok(None) => return false,
                Err(_) => panic!(
                    "the child did not print {what:?} within {CHILD_DEADLINE:?}; it printed {:?}; log:\n{}",
                    self.printed_lines(),
                    self.log()
                ),
            }
        }
    }

    /// Kills the child (SIGKILL) unless it has already exited, which it must have done
    /// successfully; reaps it and collects every line it printed. True if killed.
    async fn kill(&mut self) -> bool {
        let killed = match self.child.try_wait().unwrap() {
            Some(status) => {
                assert!(
                    status.success(),
                    "the child failed: {status}; log:\n{}",
                    self.log()
                );
                false
            }
            None => {
                self.child.kill().unwrap();
                let status = tokio::task::block_in_place(|| self.child.wait().unwrap());
                // It may have finished just before the signal.
                assert!(
                    status.success() || status.code().is_none(),
                    "the child failed: {status}; log:\n{}",
                    self.log()
                );
                status.code().is_none()
            }
        };
        self.drain().await;
        killed
    }

    /// Every line up to the end of the child's output.
    async fn drain(&mut self) {
        let deadline = tokio::time::Instant::now() + CHILD_DEADLINE;
        while let Some(line) = tokio::time::timeout_at(deadline, self.lines.recv())
            .await
            .expect("the child's output ends after it exits")
        {
            self.seen.push(line);
        }
    }

    /// Lets the child finish by itself.
    async fn complete(&mut self) {
        assert!(
            self.wait_for("done").await,
            "the child ended early; it printed {:?}; log:\n{}",
            self.printed_lines(),
            self.log()
        );
        let status = tokio::task::block_in_place(|| self.child.wait().unwrap());
        assert!(status.success(), "{status}; log:\n{}", self.log());
        self.drain().await;
    }

    /// `(mutation, message)` of every `queued` line.
    fn acknowledged(&self) -> Vec<(MutationId, MessageId)> {
        self.seen
            .iter()
            .filter_map(|(_, l)| l.strip_prefix("queued "))
            .map(|rest| {
                let (m, id) = rest.split_once(' ').expect("queued <mutation> <message>");
                (m.parse().unwrap(), id.parse().unwrap())
            })
            .collect()
    }
}

impl Drop for Run {
    /// A child left behind by a failing assertion does not outlive the test.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn random_delay(max: Duration) -> Duration {
    rand::rng().random_range(Duration::ZERO..=max)
}

/// Records in a cache (rows of the synced tables), read directly from the file.
fn records(cache: &Path) -> u64 {
    let conn = rusqlite::Connection::open(cache).unwrap();
    conn.query_row(
        "SELECT (SELECT COUNT(*) FROM inquiries) + (SELECT COUNT(*) FROM messages) \
         + (SELECT COUNT(*) FROM orders) + (SELECT COUNT(*) FROM payments)",
        [],
        |r| r.get::<_, i64>(0),
    )
    .unwrap()
    .try_into()
    .unwrap()
}

/// Reopens a cache after a kill: it must be intact. None if the child never created it.
fn reopen(cache: &Path) -> Option<LocalStore> {
    if !cache.exists() {
        return None;
    }
    let store = LocalStore::open(cache).expect("the cache opens after a kill");
    assert!(
        store.integrity_ok().unwrap(),
        "PRAGMA integrity_check after a kill"
    );
    Some(store)
}

/// Where a kill during the push left a message queued in that run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Landed {
    /// Queued; the server does not have it yet.
    NotApplied,
    /// Applied by the server, still in the outbox: the next push sends it again, and
    /// the server must not apply it twice.
    AppliedNotMarked,
    /// Out of the outbox (killed while pulling, or after the child said `done`).
    Marked,
}

/// After a kill during phase 2: the cache is intact, nothing is refused, and every
/// acknowledged message is still here, queued or sent. Adds the queued messages to
/// `queued`; says where the kill left each of `these` (the messages of that run).
async fn check_after_push_kill(
    w: &World,
    cache: &Path,
    acknowledged: &BTreeMap<MessageId, MutationId>,
    queued: &mut BTreeSet<MessageId>,
    these: &[MessageId],
) -> Vec<Landed> {
    let store = reopen(cache).expect("the cache exists");
    let outbox = store.outbox().unwrap();
    drop(store);
    assert!(
        outbox.iter().all(|e| e.status == "queued"),
        "nothing refused: {outbox:?}"
    );
    let in_outbox: BTreeSet<MutationId> = outbox.iter().map(|e| e.mutation.id).collect();
    let mut waiting = BTreeSet::new();
    for entry in &outbox {
        if let MutationOp::SendMessage { message, .. } = &entry.mutation.op {
            queued.insert(*message);
            waiting.insert(*message);
        }
    }
    let states: BTreeMap<String, String> = {
        let conn = rusqlite::Connection::open(cache).unwrap();
        // The cache keeps a message's id as the UUID's 16 bytes.
        let mut stmt = conn.prepare("SELECT id, state FROM messages").unwrap();
        stmt.query_map([], |r| {
            let id: Vec<u8> = r.get(0)?;
            let id = uuid::Uuid::from_slice(&id).expect("a UUID").to_string();
            Ok((id, r.get(1)?))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
    };
    for (message, mutation) in acknowledged {
        let state = states.get(&message.to_string()).map(String::as_str);
        let ok = match state {
            Some("pending") => in_outbox.contains(mutation),
            Some("sent" | "synced") => !in_outbox.contains(mutation),
            _ => false,
        };
        assert!(
            ok,
            "acknowledged message {message} (mutation {mutation}) after a kill: state {state:?}, \
             in the outbox: {}",
            in_outbox.contains(mutation)
        );
    }
    let ids: Vec<String> = these.iter().map(|m| m.to_string()).collect();
    let on_server: BTreeSet<MessageId> =
        trade_server::store::messages::messages_many(&w.server.state().db, w.buyer, &ids)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.id)
            .collect();
    these
        .iter()
        .map(|m| match (waiting.contains(m), on_server.contains(m)) {
            (true, false) => Landed::NotApplied,
            (true, true) => Landed::AppliedNotMarked,
            (false, true) => Landed::Marked,
            (false, false) => panic!("message {m} is neither queued nor on the server"),
        })
        .collect()
}

/// The buyer's inquiries and messages as the server has them, sorted by id.
async fn server_view(s: &Server, buyer: AccountId) -> (Vec<Inquiry>, Vec<Message>) {
    let db = &s.state().db;
    let mut inquiries = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (items, next) = trade_server::store::inquiries::list(
            db,
            buyer,
            Role::Buyer,
            false,
            cursor.as_deref(),
            1_000,
        )
        .await
        .unwrap();
        inquiries.extend(items);
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut messages = Vec::new();
    for inquiry in &inquiries {
        let mut cursor: Option<String> = None;
        loop {
            let (items, next) =
                trade_server::store::messages::messages(db, inquiry.id, cursor.as_deref(), 1_000)
                    .await
                    .unwrap();
            messages.extend(items);
            match next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
    }
    inquiries.sort_by_key(|i| i.id);
    messages.sort_by_key(|m| m.id);
    (inquiries, messages)
}

/// The cache's inquiries and messages (with their delivery state), sorted by id.
fn local_view(store: &LocalStore) -> (Vec<Inquiry>, Vec<(Message, Delivery)>) {
    let mut inquiries = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.inquiries(false, after.as_deref(), 1_000).unwrap();
        inquiries.extend(page.items);
        match page.next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    let mut messages = Vec::new();
    for inquiry in &inquiries {
        let mut after: Option<String> = None;
        loop {
            let page = store.thread(inquiry.id, after.as_deref(), 1_000).unwrap();
            messages.extend(page.items.into_iter().map(|m| (m.message, m.delivery)));
            match page.next {
                Some(c) => after = Some(c),
                None => break,
            }
        }
    }
    inquiries.sort_by_key(|i| i.id);
    messages.sort_by_key(|(m, _)| m.id);
    (inquiries, messages)
}

/// The cache equals the server for the buyer, every message synced. Returns the
/// server's messages.
async fn assert_cache_equals_server(w: &World, cache: &Path) -> Vec<Message> {
    let (server_inquiries, server_messages) = server_view(&w.server, w.buyer).await;
    let store = reopen(cache).expect("the cache exists");
    assert!(store.outbox().unwrap().is_empty(), "the outbox is empty");
    let (local_inquiries, local_messages) = local_view(&store);
    assert_eq!(local_inquiries.len(), server_inquiries.len(), "inquiries");
    assert!(
        local_inquiries == server_inquiries,
        "the cache's inquiries equal the server's"
    );
    let unsynced: Vec<_> = local_messages
        .iter()
        .filter(|(_, d)| *d != Delivery::Synced)
        .collect();
    assert!(unsynced.is_empty(), "messages not synced: {unsynced:?}");
    let local_messages: Vec<Message> = local_messages.into_iter().map(|(m, _)| m).collect();
    assert_eq!(local_messages.len(), server_messages.len(), "messages");
    assert!(
        local_messages == server_messages,
        "the cache's messages equal the server's"
    );
    server_messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_initial_sync_and_push_loses_nothing_and_duplicates_nothing() {
    let test_started = Instant::now();
    let clock = Arc::new(ShiftedClock::default());
    let server = Server::start_with_clock(clock.clone()).await;
    let seeded = seed::run(
        &server.state().db,
        SeedOptions {
            buyers: 1,
            suppliers: 8,
            inquiries: INQUIRIES,
            messages_per_inquiry: MESSAGES_PER_INQUIRY,
            orders: ORDERS,
            now: clock.now(),
            ..SeedOptions::default()
        },
    )
    .await
    .expect("seeded");
    let account = seeded.buyers[0].account.clone();
    let mut w = World {
        server,
        clock,
        buyer: account.id,
        email: account.email,
        password: seeded.password.clone(),
        logs: tempfile::tempdir().unwrap(),
        children: 0,
    };
    eprintln!(
        "seeded {} rows in {:.1} s",
        seeded.rows,
        seeded.elapsed.as_secs_f64()
    );

    // Calibration: one initial sync left alone, to know how long it takes.
    let calibration = tempfile::tempdir().unwrap();
    let mut run = w.spawn(&Mode::Sync, calibration.path());
    assert!(run.wait_for("syncing").await, "{}", run.log());
    let startup = run.started.elapsed();
    let syncing = Instant::now();
    run.complete().await;
    let sync_time = syncing.elapsed();
    let total_records = records(&w.cache(calibration.path()));
    drop(calibration);
    eprintln!(
        "calibration: sign-in {startup:?}, initial sync of {total_records} records {sync_time:?}"
    );

    // Phase 1: kills during the initial sync.
    let phase1 = Instant::now();
    let mut dir = tempfile::tempdir().unwrap();
    let mut dir_kills = 0usize;
    // Kills in one directory before a child may finish its sync.
    let mut kills_for_dir = rand::rng().random_range(2..=5);
    let mut previous_records = 0u64;
    let (mut sync_kills, mut early_kills, mut finished_syncs) = (0usize, 0usize, 0usize);
    while sync_kills < KILLS_PER_PHASE || dir_kills == 0 {
        let cache = w.cache(dir.path());
        if dir_kills >= kills_for_dir {
            // Enough: the next child finishes the sync from where the last one died,
            // and it has everything.
            let mut run = w.spawn(&Mode::Sync, dir.path());
            run.complete().await;
            drop(reopen(&cache));
            assert_eq!(
                records(&cache),
                total_records,
                "a resumed sync has everything"
            );
            finished_syncs += 1;
            dir = tempfile::tempdir().unwrap();
            (dir_kills, previous_records) = (0, 0);
            kills_for_dir = rand::rng().random_range(2..=5);
            continue;
        }
        // What is left of the sync: the kill lands anywhere in it (or, near its end,
        // maybe just after it).
        let left = sync_time
            .mul_f64(1.0 - previous_records as f64 / total_records as f64)
            .max(sync_time / 6);
        let mut run = w.spawn(&Mode::Sync, dir.path());
        if rand::rng().random_bool(0.15) {
            // Now and then anywhere, sign-in included.
            tokio::time::sleep(random_delay(startup + left)).await;
        } else {
            assert!(run.wait_for("syncing").await, "{}", run.log());
            tokio::time::sleep(random_delay(left)).await;
        }
        let killed = run.kill().await;
        if let Some(store) = reopen(&cache) {
            drop(store);
            let now = records(&cache);
            assert!(
                now >= previous_records,
                "synced records went from {previous_records} to {now} after a kill"
            );
            previous_records = now;
        }
        if run.printed("done") {
            // The sync was over before the kill.
            assert_eq!(
                previous_records, total_records,
                "a finished sync has everything"
            );
            finished_syncs += 1;
            dir = tempfile::tempdir().unwrap();
            (dir_kills, previous_records) = (0, 0);
            kills_for_dir = rand::rng().random_range(2..=5);
        } else if killed && run.printed("syncing") {
            sync_kills += 1;
            dir_kills += 1;
        } else {
            early_kills += 1;
        }
    }
    let phase1_time = phase1.elapsed();
    eprintln!(
        "phase 1: {sync_kills} kills during the initial sync, {early_kills} before it, \
         {finished_syncs} interrupted syncs finished, in {phase1_time:?}"
    );

    // The interrupted sync, finished, equals the server.
    let mut run = w.spawn(&Mode::Sync, dir.path());
    run.complete().await;
    let cache = w.cache(dir.path());
    let before: BTreeSet<MessageId> = assert_cache_equals_server(&w, &cache)
        .await
        .into_iter()
        .map(|m| m.id)
        .collect();

    // Phase 2: kills while queued messages are pushed.
    let phase2 = Instant::now();
    let mut acknowledged: BTreeMap<MessageId, MutationId> = BTreeMap::new();
    // Messages committed to the outbox, acknowledged or not (killed before the line).
    let mut queued: BTreeSet<MessageId> = BTreeSet::new();
    let mut run = w.spawn(&Mode::Push(3), dir.path());
    run.complete().await;
    acknowledged.extend(run.acknowledged().into_iter().map(|(m, id)| (id, m)));
    let queuing = |run: &Run| Some(run.at("pushing")? - run.at("queuing")?);
    let pushing = |run: &Run| Some(run.at("done")? - run.at("pushing")?);
    let (mut queue_time, mut push_time) =
        (queuing(&run).expect("timed"), pushing(&run).expect("timed"));
    eprintln!("calibration: queuing 3 messages {queue_time:?}, pushing them {push_time:?}");

    let (mut push_kills, mut other_kills) = (0usize, 0usize);
    // Where the kills left the messages of their run.
    let mut landed: BTreeMap<Landed, usize> = BTreeMap::new();
    while push_kills < KILLS_PER_PHASE {
        let count = rand::rng().random_range(1..=4);
        let mut run = w.spawn(&Mode::Push(count), dir.path());
        if rand::rng().random_bool(0.2) {
            // Now and then while queuing, or while pushing.
            assert!(run.wait_for("queuing").await, "{}", run.log());
            tokio::time::sleep(random_delay(queue_time + push_time)).await;
        } else {
            assert!(run.wait_for("pushing").await, "{}", run.log());
            tokio::time::sleep(random_delay(push_time)).await;
        }
        let killed = run.kill().await;
        // How long the last uninterrupted stretches took, for the next delays.
        if let Some(q) = queuing(&run) {
            queue_time = (queue_time + q) / 2;
        }
        if let Some(p) = pushing(&run) {
            push_time = ((push_time + p) / 2).max(Duration::from_millis(5));
        }
        acknowledged.extend(run.acknowledged().into_iter().map(|(m, id)| (id, m)));
        let these: Vec<MessageId> = run.acknowledged().into_iter().map(|(_, m)| m).collect();
        let after_kill =
            check_after_push_kill(&w, &cache, &acknowledged, &mut queued, &these).await;
        if killed && run.printed("pushing") && !run.printed("done") {
            push_kills += 1;
            for l in &after_kill {
                *landed.entry(*l).or_default() += 1;
            }
        } else if killed {
            other_kills += 1;
        }
    }
    let phase2_time = phase2.elapsed();
    eprintln!(
        "phase 2: {push_kills} kills during the push (leaving the messages of their run \
         {landed:?}), {other_kills} elsewhere, \
         {} messages acknowledged, {} more queued but not acknowledged, in {phase2_time:?}",
        acknowledged.len(),
        queued
            .iter()
            .filter(|m| !acknowledged.contains_key(*m))
            .count()
    );

    // Finally the engine runs to the end.
    let mut run = w.spawn(&Mode::Push(0), dir.path());
    run.complete().await;
    let after = assert_cache_equals_server(&w, &cache).await;
    let mut copies: BTreeMap<MessageId, usize> = BTreeMap::new();
    let mut bodies: BTreeMap<&str, usize> = BTreeMap::new();
    for m in after.iter().filter(|m| !before.contains(&m.id)) {
        assert_eq!(m.sender, w.buyer, "only the buyer wrote: {m:?}");
        *copies.entry(m.id).or_default() += 1;
        *bodies.entry(m.body.as_str()).or_default() += 1;
    }
    for message in acknowledged.keys() {
        assert_eq!(
            copies.get(message).copied().unwrap_or(0),
            1,
            "acknowledged message {message} is on the server exactly once"
        );
    }
    let duplicated: Vec<_> = bodies.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "delivered twice: {duplicated:?}");
    let expected: BTreeSet<MessageId> = acknowledged.keys().chain(queued.iter()).copied().collect();
    let delivered: BTreeSet<MessageId> = copies.keys().copied().collect();
    assert_eq!(
        delivered, expected,
        "the server has every queued message and nothing else"
    );
    eprintln!(
        "{} kills in all ({} children), {} messages delivered once each, {:?} in all",
        sync_kills + early_kills + push_kills + other_kills,
        w.children,
        delivered.len(),
        test_started.elapsed()
    );
    w.server.stop().await;
}
