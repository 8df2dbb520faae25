//! An initial sync ends with the cache equal to the server's state for the account: the
//! demo world (every order box, payments, unread threads) and a generated large account.
//! The server's side is read from its own SQLite file; the client's through the queries
//! the UI uses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use trade_client::credentials::MemoryStore;
use trade_client::engine::{Connection, Engine};
use trade_client::profile::ServerProfile;
use trade_client::store::queries::OrderFilter;
use trade_client::store::search::{SearchCoverage, SearchHit};
use trade_e2e::{Server, eventually, fast};
use trade_model::AccountId;

/// What the account sees, reduced to comparable facts.
#[derive(Debug, PartialEq, Eq)]
struct State {
    /// (id, unread count, preview)
    inquiries: BTreeSet<(String, i64, String)>,
    /// (id, inquiry, body, read)
    messages: BTreeSet<(String, String, String, bool)>,
    /// (id, version, box)
    orders: BTreeSet<(String, i64, String)>,
    /// (id, order, status)
    payments: BTreeSet<(String, String, String)>,
    unread_total: i64,
}

fn server_state(db: &Path, buyer: AccountId) -> State {
    let conn = rusqlite::Connection::open_with_flags(
        db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .unwrap();
    let id = buyer.to_string();
    let rows = |sql: &str| -> Vec<Vec<rusqlite::types::Value>> {
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        stmt.query_map([&id], |r| (0..n).map(|i| r.get(i)).collect())
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    use rusqlite::types::Value::{Integer, Null, Text};
    let text = |v: &rusqlite::types::Value| match v {
        Text(t) => t.clone(),
        other => panic!("{other:?}"),
    };
    let int = |v: &rusqlite::types::Value| match v {
        Integer(i) => *i,
        other => panic!("{other:?}"),
    };
    State {
        inquiries: rows(
            "SELECT id, buyer_unread, last_message_preview FROM inquiries WHERE buyer_id = ?1",
        )
        .iter()
        .map(|r| (text(&r[0]), int(&r[1]), text(&r[2])))
        .collect(),
        messages: rows(
            "SELECT m.id, m.inquiry_id, m.body, m.read_at FROM messages m \
             JOIN inquiries i ON i.id = m.inquiry_id WHERE i.buyer_id = ?1",
        )
        .iter()
        .map(|r| (text(&r[0]), text(&r[1]), text(&r[2]), !matches!(r[3], Null)))
        .collect(),
        orders: rows("SELECT id, version, buyer_box FROM orders WHERE buyer_id = ?1")
            .iter()
            .map(|r| (text(&r[0]), int(&r[1]), text(&r[2])))
            .collect(),
        payments: rows("SELECT id, order_id, status FROM payments WHERE buyer_id = ?1")
            .iter()
            .map(|r| (text(&r[0]), text(&r[1]), text(&r[2])))
            .collect(),
        unread_total: rows(
            "SELECT COALESCE(SUM(buyer_unread), 0) FROM inquiries WHERE buyer_id = ?1",
        )
        .iter()
        .map(|r| int(&r[0]))
        .sum(),
    }
}

fn client_state(e: &Engine) -> State {
    let store = e.store();
    let mut state = State {
        inquiries: BTreeSet::new(),
        messages: BTreeSet::new(),
        orders: BTreeSet::new(),
        payments: BTreeSet::new(),
        unread_total: store.unread().unwrap().total,
    };
    let mut after: Option<String> = None;
    loop {
        let page = store.inquiries(false, after.as_deref(), 500).unwrap();
        for i in &page.items {
            state.inquiries.insert((
                i.id.to_string(),
                i.unread_count,
                i.last_message_preview.clone(),
            ));
            let mut thread_after: Option<String> = None;
            loop {
                let thread = store.thread(i.id, thread_after.as_deref(), 500).unwrap();
                for m in &thread.items {
                    state.messages.insert((
                        m.message.id.to_string(),
                        m.message.inquiry.to_string(),
                        m.message.body.clone(),
                        m.message.read,
                    ));
                }
                match thread.next {
                    Some(n) => thread_after = Some(n),
                    None => break,
                }
            }
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let mut after: Option<String> = None;
    loop {
        let page = store
            .orders(&OrderFilter::default(), after.as_deref(), 500)
            .unwrap();
        for o in &page.items {
            state.orders.insert((
                o.order.id.to_string(),
                o.order.version,
                o.order_box.as_str().to_owned(),
            ));
            for p in store.payments(o.order.id).unwrap() {
                let status = serde_json::to_value(p.status).unwrap();
                state.payments.insert((
                    p.id.to_string(),
                    p.order.to_string(),
                    status.as_str().unwrap().to_owned(),
                ));
            }
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    state
}

/// One buyer with `inquiries` × `messages` and `orders`, among `suppliers`.
async fn seed_one_buyer(
    s: &Server,
    suppliers: u32,
    inquiries: u32,
    messages: u32,
    orders: u32,
) -> trade_demo::seed::SeedReport {
    trade_demo::seed::run(
        &s.state().db,
        trade_demo::seed::SeedOptions {
            buyers: 1,
            suppliers,
            inquiries,
            messages_per_inquiry: messages,
            orders,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// The engine's loop, running until `true` is sent on the returned sender; await the
/// handle after.
fn start_loop(
    e: &Engine,
) -> (
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<()>,
) {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let e = e.clone();
    (stop, tokio::spawn(async move { e.run(stopped).await }))
}

/// A seeded supplier, signed in to the server's API.
async fn as_supplier(
    s: &Server,
    supplier: &trade_demo::seed::SeededAccount,
    password: &str,
) -> trade_e2e::Party {
    s.party(supplier.id.to_string(), &supplier.email, password)
        .await
}

/// An engine signed in to `s` with an empty cache in `dir` (its loop not started).
async fn sign_in(s: &Server, email: &str, password: &str, dir: &Path) -> Engine {
    Engine::sign_in(
        dir,
        s.profile(),
        email,
        password,
        Arc::new(MemoryStore::default()),
        fast(),
    )
    .await
    .unwrap()
}

async fn sync_once(
    profile: ServerProfile,
    email: &str,
    password: &str,
    dir: &Path,
) -> (Engine, Vec<(u64, Option<u64>)>) {
    let e = Engine::sign_in(
        dir,
        profile,
        email,
        password,
        Arc::new(MemoryStore::default()),
        fast(),
    )
    .await
    .unwrap();
    // Every progress report the status carried during the sync.
    let progress = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut watch = e.status();
    let seen = progress.clone();
    let follower = tokio::spawn(async move {
        while watch.changed().await.is_ok() {
            if let Connection::Syncing { done, total } = watch.borrow().connection {
                seen.lock().unwrap().push((done, total));
            }
        }
    });
    e.sync_now().await.unwrap();
    follower.abort();
    let progress = progress.lock().unwrap().clone();
    (e, progress)
}

#[tokio::test]
async fn the_demo_world_syncs_to_exactly_what_the_server_has() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts =
        trade_demo::DemoOptions::new(dir.path().to_owned(), "127.0.0.1:0".parse().unwrap());
    // The bot stays quiet during the comparison.
    opts.bot_delay = Duration::from_secs(3600);
    let (running, accounts) = trade_demo::start(opts).await.unwrap();
    let profile = ServerProfile {
        url: running.base_url().replace("127.0.0.1", "localhost"),
        ca_pem: Some(std::fs::read_to_string(running.ca_path.as_ref().unwrap()).unwrap()),
    };
    let cache = tempfile::tempdir().unwrap();
    let (e, _) = sync_once(
        profile,
        &accounts.buyer.email,
        accounts.buyer.password,
        cache.path(),
    )
    .await;
    let server = server_state(&dir.path().join("trade.db"), accounts.buyer.id);
    assert!(
        server.orders.len() >= 8,
        "the demo has an order in every box"
    );
    assert!(server.unread_total > 0);
    let client = client_state(&e);
    assert_eq!(client, server);
    // Every box of the seed is represented and counted as the server counts.
    let counts = e.store().order_counts().unwrap();
    for (b, n) in counts {
        let expected = server.orders.iter().filter(|o| o.2 == b.as_str()).count() as i64;
        assert_eq!(n, expected, "{b:?}");
    }
    assert!(e.store().integrity_ok().unwrap());
    running.shutdown().await;
}

#[tokio::test]
async fn a_large_generated_account_syncs_to_exactly_what_the_server_has_with_progress() {
    let s = Server::start().await;
    let report = seed_one_buyer(&s, 20, 1_200, 5, 100).await;
    let buyer = &report.buyers[0];
    let cache = tempfile::tempdir().unwrap();
    let (e, progress) = sync_once(
        s.profile(),
        &buyer.account.email,
        &report.password,
        cache.path(),
    )
    .await;
    let server = server_state(&s.dir.path().join("trade.db"), buyer.account.id);
    assert_eq!(server.inquiries.len(), 1_200);
    let client = client_state(&e);
    assert_eq!(client.inquiries.len(), server.inquiries.len());
    assert_eq!(client.messages.len(), server.messages.len());
    assert_eq!(client, server);
    // Progress: several reports, growing, against the server's estimate of the total.
    assert!(progress.len() >= 5, "{} progress reports", progress.len());
    assert!(progress.windows(2).all(|w| w[0].0 < w[1].0));
    let total = progress[0].1.expect("an initial sync has a total estimate");
    assert_eq!(total, buyer.feed_records());
    assert!(progress.iter().all(|(done, _)| *done <= total));
    eventually("nothing left to pull", || {
        e.store().cursor().is_ok_and(|c| !c.is_empty())
    })
    .await;
}

#[tokio::test]
async fn a_first_sync_goes_on_where_each_answer_of_the_server_ends() {
    let mut s = Server::start().await;
    // Each answer of the snapshot stream holds one page: the walk is as many answers.
    s.set_snapshot_stream_pages(1);
    s.restart().await;
    let report = seed_one_buyer(&s, 10, 600, 5, 40).await;
    let buyer = &report.buyers[0];
    assert!(
        buyer.feed_records() > 3_000,
        "too few records for several pages"
    );
    let cache = tempfile::tempdir().unwrap();
    let (e, progress) = sync_once(
        s.profile(),
        &buyer.account.email,
        &report.password,
        cache.path(),
    )
    .await;
    assert_eq!(
        client_state(&e),
        server_state(&s.dir.path().join("trade.db"), buyer.account.id)
    );
    assert!(progress.len() >= 3, "{} progress reports", progress.len());
    assert!(
        e.store().snapshot_cursor().unwrap().is_empty(),
        "the walk ended"
    );
}

fn ids(page: &serde_json::Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_first_sync_shows_the_newest_inquiries_first_and_misses_nothing_written_during_it() {
    let s = Arc::new(Server::start().await);
    let report = seed_one_buyer(&s, 3, 3_000, 3, 30).await;
    let buyer = &report.buyers[0];
    let as_buyer = s
        .party(
            buyer.account.id.to_string(),
            &buyer.account.email,
            &report.password,
        )
        .await;
    let (_, inbox) = s
        .call(&as_buyer, Method::GET, "/v1/inquiries?limit=50", None, None)
        .await;
    let newest = ids(&inbox);
    assert_eq!(newest.len(), 50);

    // Suppliers write into their threads from the first progress report until stopped.
    let (started, start) = tokio::sync::watch::channel(false);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut writers = Vec::new();
    for supplier in &report.suppliers {
        let who = as_supplier(&s, supplier, &report.password).await;
        let (_, theirs) = s
            .call(&who, Method::GET, "/v1/inquiries?limit=20", None, None)
            .await;
        let threads = ids(&theirs);
        let (s, mut start, stopped) = (s.clone(), start.clone(), stopped.clone());
        writers.push(tokio::spawn(async move {
            start.wait_for(|go| *go).await.unwrap();
            let mut written = 0usize;
            while !*stopped.borrow() {
                let thread = &threads[written % threads.len()];
                let body =
                    serde_json::json!({ "body": format!("Update {written}: new price list.") });
                let (status, answer) = s
                    .call(
                        &who,
                        Method::POST,
                        &format!("/v1/inquiries/{thread}/messages"),
                        Some(body),
                        None,
                    )
                    .await;
                assert_eq!(status, 201, "{answer}");
                written += 1;
            }
            written
        }));
    }

    let cache = tempfile::tempdir().unwrap();
    let e = sign_in(&s, &buyer.account.email, &report.password, cache.path()).await;
    // At the first progress report the first page is in and the sync goes on: the inbox
    // already shows the newest inquiries, as the server lists them.
    let mut watch = e.status();
    let watcher = e.clone();
    let first_report = tokio::spawn(async move {
        loop {
            watch.changed().await.unwrap();
            if let Connection::Syncing { done, total } = watch.borrow().connection {
                let inbox = watcher.store().inquiries(false, None, 50).unwrap();
                let shown: Vec<String> = inbox.items.iter().map(|i| i.id.to_string()).collect();
                started.send_replace(true);
                return (done, total, shown);
            }
        }
    });
    e.sync_now().await.unwrap();
    let (done, total, shown) = first_report.await.unwrap();
    assert!(
        done < total.unwrap(),
        "{done} of {total:?}: reported mid-sync"
    );
    assert_eq!(shown, newest, "the newest inquiries were on screen first");

    stop.send_replace(true);
    let mut written = 0;
    for w in writers {
        written += w.await.unwrap();
    }
    assert!(written > 0);
    e.sync_now().await.unwrap();
    let server = server_state(&s.dir.path().join("trade.db"), buyer.account.id);
    assert_eq!(server.messages.len(), 9_000 + written);
    assert_eq!(client_state(&e), server);
    assert!(e.store().integrity_ok().unwrap());
}

/// The words of `text` as the search takes them (runs of letters and digits), lowercase.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

#[tokio::test]
async fn a_first_sync_becomes_searchable_behind_it_newest_first_and_search_says_how_far_it_got() {
    let s = Server::start().await;
    let report = seed_one_buyer(&s, 3, 600, 5, 20).await;
    let buyer = &report.buyers[0];
    let cache = tempfile::tempdir().unwrap();
    // The first sync alone: the records are in, the index waits for the indexer.
    let (e, _) = sync_once(
        s.profile(),
        &buyer.account.email,
        &report.password,
        cache.path(),
    )
    .await;
    let client = client_state(&e);
    let searchable = (client.inquiries.len() + client.messages.len() + client.orders.len()) as i64;
    let before = e.store().search("lead", 10).unwrap();
    assert!(before.hits.is_empty(), "{:?}", before.hits);
    assert_eq!(
        before.indexing,
        Some(SearchCoverage {
            indexed: 0,
            total: searchable
        }),
        "search says nothing is indexed yet"
    );

    // The engine's loop indexes the backlog behind the sync.
    let (stop, runner) = start_loop(&e);
    eventually("the backlog indexed", || {
        e.store().search_coverage().unwrap().is_none()
    })
    .await;

    // Every message with a word starting with "lead" is found, newest first.
    let expected: BTreeSet<String> = client
        .messages
        .iter()
        .filter(|m| words(&m.2).any(|w| w.starts_with("lead")))
        .map(|m| m.0.clone())
        .collect();
    assert!(expected.len() > 100, "{} messages", expected.len());
    let all = e.store().search("Lead", 1_000_000).unwrap();
    assert_eq!(all.indexing, None);
    let found: Vec<&SearchHit> = all.hits.iter().filter(|h| h.kind == "message").collect();
    assert_eq!(
        found.iter().map(|h| h.id.clone()).collect::<BTreeSet<_>>(),
        expected
    );
    assert_eq!(found.len(), expected.len(), "each message found once");
    assert!(
        found
            .iter()
            .all(|h| h.snippet.to_lowercase().contains("[lead"))
    );
    let server = rusqlite::Connection::open(s.dir.path().join("trade.db")).unwrap();
    let sent_at = |id: &str| -> i64 {
        server
            .query_row("SELECT sent_at FROM messages WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap()
    };
    let times: Vec<i64> = found.iter().map(|h| sent_at(&h.id)).collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );

    // A message that arrives later is indexed as it is pulled, and comes first.
    let supplier = &report.suppliers[0];
    let who = as_supplier(&s, supplier, &report.password).await;
    let (_, theirs) = s
        .call(&who, Method::GET, "/v1/inquiries?limit=1", None, None)
        .await;
    let thread = ids(&theirs)[0].clone();
    let (status, sent) = s
        .call(
            &who,
            Method::POST,
            &format!("/v1/inquiries/{thread}/messages"),
            Some(serde_json::json!({ "body": "The lead time is now 12 days." })),
            None,
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    let id = sent["id"].as_str().unwrap().to_owned();
    eventually("the new message found first", || {
        let hits = e.store().search("lead", 2).unwrap().hits;
        hits.iter().any(|h| h.id == id)
    })
    .await;
    // Its thread is found by its new preview, once.
    let after = e.store().search("lead", 1_000_000).unwrap().hits;
    let keys: BTreeSet<(String, String)> = after
        .iter()
        .map(|h| (h.kind.clone(), h.id.clone()))
        .collect();
    assert_eq!(keys.len(), after.len(), "no record found twice");
    assert!(keys.contains(&("inquiry".to_owned(), thread.clone())));
    stop.send_replace(true);
    runner.await.unwrap();
}

#[tokio::test]
async fn during_a_long_first_sync_a_new_message_notifies_and_a_sent_one_leaves_at_once() {
    let s = Server::start().await;
    let report = seed_one_buyer(&s, 3, 6_000, 3, 30).await;
    let buyer = &report.buyers[0];
    let supplier = &report.suppliers[0];
    let who = as_supplier(&s, supplier, &report.password).await;
    let (_, theirs) = s
        .call(&who, Method::GET, "/v1/inquiries?limit=2", None, None)
        .await;
    let threads = ids(&theirs);

    let cache = tempfile::tempdir().unwrap();
    let e = sign_in(&s, &buyer.account.email, &report.password, cache.path()).await;
    let mut notes = e.notifications();
    let (stop, runner) = start_loop(&e);
    let mut status = e.status();
    status
        .wait_for(|st| matches!(st.connection, Connection::Syncing { .. }))
        .await
        .unwrap();
    let walking = || !e.store().snapshot_cursor().unwrap().is_empty();
    assert!(walking(), "the walk is under way");

    // A supplier writes, and the buyer answers another thread, while the walk goes on.
    let (code, sent) = s
        .call(
            &who,
            Method::POST,
            &format!("/v1/inquiries/{}/messages", threads[0]),
            Some(serde_json::json!({ "body": "New stock arrived today." })),
            None,
        )
        .await;
    assert_eq!(code, 201, "{sent}");
    let (_, mine) = e
        .send_message(threads[1].parse().unwrap(), "Please send the catalogue.")
        .unwrap();

    let note = tokio::time::timeout(Duration::from_secs(20), notes.recv())
        .await
        .expect("a notification in time")
        .unwrap();
    assert_eq!(note.body, "New stock arrived today.");
    assert!(walking(), "notified before the walk ended");
    let server = rusqlite::Connection::open(s.dir.path().join("trade.db")).unwrap();
    eventually("the buyer's message on the server", || {
        server
            .query_row(
                "SELECT count(*) FROM messages WHERE id = ?1",
                [mine.to_string()],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
            == 1
    })
    .await;
    assert!(walking(), "sent before the walk ended");

    // The walk ends equal to the server, having overwritten nothing the feed brought,
    // and the history it brought notified nothing.
    status
        .wait_for(|st| st.connection == Connection::Online && !walking())
        .await
        .unwrap();
    e.sync_now().await.unwrap();
    assert_eq!(
        client_state(&e),
        server_state(&s.dir.path().join("trade.db"), buyer.account.id)
    );
    assert!(notes.try_recv().is_err(), "one notification only");
    stop.send_replace(true);
    runner.await.unwrap();
}

/// The threads of `buyer` in the order a first sync walks them (most recently changed
/// first), read from the server's file.
fn walk_order(db: &Path, buyer: AccountId) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(
        db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT record_id FROM sync_changes WHERE account_id = ?1 AND kind = 'inquiry' \
             ORDER BY version DESC, record_id DESC",
        )
        .unwrap();
    stmt.query_map([buyer.to_string()], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// A live poke during a first sync has the feed pulled at once, beside the page being
/// fetched; that page may hold an older state of a thread the feed just brought, and
/// must not put it back. The supplier writes, as fast as it can, into the threads just
/// ahead of where the walk stands, so that pages in flight keep holding threads that
/// change under them; the cache ends equal to the server, unread counts and previews
/// included, and the first message written notified before the walk ended.
#[tokio::test]
async fn threads_that_change_just_ahead_of_a_first_sync_end_as_the_server_has_them() {
    let s = Server::start().await;
    let report = seed_one_buyer(&s, 1, 12_000, 1, 0).await;
    let buyer = &report.buyers[0];
    let supplier = &report.suppliers[0];
    let who = as_supplier(&s, supplier, &report.password).await;
    let db = s.dir.path().join("trade.db");
    let threads = walk_order(&db, buyer.account.id);
    assert_eq!(threads.len(), 12_000);

    let cache = tempfile::tempdir().unwrap();
    let e = sign_in(&s, &buyer.account.email, &report.password, cache.path()).await;
    let mut notes = e.notifications();
    let (stop, runner) = start_loop(&e);
    let status = e.status();
    let walking = || !e.store().snapshot_cursor().unwrap().is_empty();
    let mut written = 0usize;
    let mut notified_while_walking = false;
    // Until the walk has passed the threads (the unread counts, then 12,000 inquiries).
    loop {
        let done = match status.borrow().connection {
            Connection::Syncing { done, .. } => done as usize,
            Connection::Online => usize::MAX,
            _ => 0,
        };
        if done >= threads.len() {
            break;
        }
        // Just ahead of the page last applied: the page in flight, or the next.
        let target = &threads[(done + 200 + (written * 37) % 900).min(threads.len() - 1)];
        let (code, sent) = s
            .call(
                &who,
                Method::POST,
                &format!("/v1/inquiries/{target}/messages"),
                Some(serde_json::json!({ "body": format!("Update {written}: new stock.") })),
                None,
            )
            .await;
        assert_eq!(code, 201, "{sent}");
        written += 1;
        if !notified_while_walking && let Ok(note) = notes.try_recv() {
            assert!(note.body.starts_with("Update "), "{}", note.body);
            notified_while_walking = walking();
        }
    }
    assert!(
        written >= 20,
        "only {written} messages went in during the walk"
    );
    let mut status = e.status();
    status
        .wait_for(|st| st.connection == Connection::Online && !walking())
        .await
        .unwrap();
    e.sync_now().await.unwrap();
    assert_eq!(client_state(&e), server_state(&db, buyer.account.id));
    assert!(
        notified_while_walking,
        "a message written during the walk notified before it ended"
    );
    stop.send_replace(true);
    runner.await.unwrap();
}
