//! Caches made by an older version, opened by this one: the migrations that rebuilt the
//! search index or the tables it names records in.

use rusqlite::{Connection, params};
use trade_model::InquiryId;
use trade_model::sync::{Change, SyncRecord};

use super::SearchCoverage;
use super::index_tests::{found, message};
use crate::store::LocalStore;

#[test]
fn a_cache_from_before_migration_7_is_indexed_again_by_the_backlog() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("cache.sqlite3");
    let thread = InquiryId::new();
    // Filled from the feed: oldest first, so the newest has the highest rowid.
    let old = message(thread, "stainless valve", 1);
    let new = message(thread, "stainless flange", 2);
    {
        let mut conn = Connection::open(&path).expect("opens");
        crate::store::migrate::run(&mut conn, &crate::store::migrate::MIGRATIONS[..6])
            .expect("migrates to 6");
        for change in [&old, &new] {
            let Some(SyncRecord::Message(m)) = &change.record else {
                unreachable!("a message change")
            };
            conn.execute(
                "INSERT INTO messages (id, inquiry_id, sent_at, state, data) \
                 VALUES (?1, ?2, ?3, 'synced', ?4)",
                params![
                    change.id,
                    thread.to_string(),
                    m.sent_at.as_millisecond(),
                    serde_json::to_string(m).expect("serialises")
                ],
            )
            .expect("inserts");
            conn.execute(
                "INSERT INTO search (kind, record_id, title, body) VALUES ('message', ?1, 'Li', ?2)",
                params![change.id, m.body],
            )
            .expect("indexes the old way");
        }
        conn.execute("INSERT INTO meta (key, value) VALUES ('cursor', 'c9')", [])
            .expect("a synced cache");
    }
    let store = LocalStore::open(&path).expect("opens and migrates");
    assert_eq!(
        store.search_coverage().expect("counts"),
        Some(SearchCoverage {
            indexed: 0,
            total: 2
        })
    );
    // One at a time: the newest first, so a search meanwhile finds the recent.
    assert_eq!(store.index_backlog(1).expect("indexes"), 1);
    assert_eq!(found(&store, "stainless"), vec![new.id.clone()]);
    while store.index_backlog(100).expect("indexes") > 0 {}
    assert_eq!(found(&store, "stainless"), vec![new.id, old.id]);
}

#[test]
fn a_cache_from_before_migration_11_keeps_its_threads_and_its_search_hits() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("cache.sqlite3");
    let thread = InquiryId::new();
    let other = InquiryId::new();
    // Walked newest first; every message indexed, the index naming each by rowid.
    let walked = [
        message(thread, "brass valve, final offer", 3),
        message(other, "copper pipe", 2),
        message(thread, "brass valve", 1),
    ];
    {
        let mut conn = Connection::open(&path).expect("opens");
        crate::store::migrate::run(&mut conn, &crate::store::migrate::MIGRATIONS[..10])
            .expect("migrates to 10");
        for (n, change) in walked.iter().enumerate() {
            let Some(SyncRecord::Message(m)) = &change.record else {
                unreachable!("a message change")
            };
            // Rowids with gaps, as deletions leave them.
            let rowid = 10 * (n as i64 + 1);
            conn.execute(
                "INSERT INTO messages (rowid, id, inquiry_id, sent_at, state, data) \
                 VALUES (?1, ?2, ?3, ?4, 'synced', ?5)",
                params![
                    rowid,
                    change.id,
                    m.inquiry.to_string(),
                    m.sent_at.as_millisecond(),
                    serde_json::to_string(m).expect("serialises")
                ],
            )
            .expect("inserts");
            // Index rows: the newest the highest.
            let row = 100 - rowid;
            conn.execute(
                "INSERT INTO search_rows (rowid, kind, record) VALUES (?1, 2, ?2)",
                params![row, rowid],
            )
            .expect("an index row");
            conn.execute(
                "INSERT INTO search (rowid, title, body) VALUES (?1, 'Li', ?2)",
                params![row, m.body],
            )
            .expect("indexes");
        }
        conn.execute_batch(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('cursor', 'c9'), \
             ('search_backlog', 'up'), ('search_mark:messages', '30'), \
             ('search_mark:inquiries', '0'), ('search_mark:orders', '0'), \
             ('search_recent_floor', '90')",
        )
        .expect("a synced and indexed cache");
        crate::store::migrate::run(&mut conn, &crate::store::migrate::MIGRATIONS[..11])
            .expect("migrates to 11");
        // The index's rows still name the messages they were made from.
        let named = |word: &str| -> Vec<String> {
            conn.prepare(
                "SELECT m.id FROM search JOIN search_rows r ON r.rowid = search.rowid \
                 JOIN messages m ON m.rowid = r.record AND r.kind = 2 \
                 WHERE search MATCH ?1 ORDER BY search.rowid DESC",
            )
            .expect("prepares")
            .query_map([word], |r| r.get(0))
            .expect("searches")
            .collect::<rusqlite::Result<_>>()
            .expect("reads")
        };
        assert_eq!(
            named("brass"),
            vec![walked[0].id.clone(), walked[2].id.clone()]
        );
        assert_eq!(named("copper"), vec![walked[1].id.clone()]);
    }
    let store = LocalStore::open(&path).expect("opens and migrates");
    // Migration 15 puts the text in the index again, behind the sync.
    while store.index_backlog(100).expect("indexes") > 0 {}
    assert_eq!(
        found(&store, "brass"),
        vec![walked[0].id.clone(), walked[2].id.clone()]
    );
    assert_eq!(found(&store, "copper"), vec![walked[1].id.clone()]);
    // A thread reads oldest first, in pages.
    let first = store.thread(thread, None, 1).expect("reads");
    let rest = store
        .thread(thread, first.next.as_deref(), 10)
        .expect("reads on");
    let ids: Vec<String> = first
        .items
        .iter()
        .chain(&rest.items)
        .map(|m| m.message.id.to_string())
        .collect();
    assert_eq!(ids, vec![walked[2].id.clone(), walked[0].id.clone()]);
    // And a message synced later is filed and found.
    let later = message(thread, "brass valve, shipped", 4);
    store
        .apply_page(std::slice::from_ref(&later), "c10", jiff::Timestamp::now())
        .expect("applies");
    assert_eq!(found(&store, "shipped"), vec![later.id.clone()]);
    assert_eq!(
        store.thread(thread, None, 10).expect("reads").items.len(),
        3
    );
}

#[test]
fn a_cache_from_before_migration_15_keeps_the_order_of_its_index_and_gets_its_text_back_newest_first()
 {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("cache.sqlite3");
    let thread = InquiryId::new();
    // m[0] the oldest; the walk wrote the newest first (lowest rowid).
    let m: Vec<Change> = (0..6)
        .map(|n| message(thread, &format!("valve offer {n}"), n + 1))
        .collect();
    // The old index, higher rows newer, in an order of its own (m[2] was indexed again
    // after m[3]); m[0] not indexed yet: the backlog had passed rowid 50 of 60.
    let old_rows = [(5, 100), (4, 99), (2, 98), (3, 97), (1, 96)];
    {
        let mut conn = Connection::open(&path).expect("opens");
        crate::store::migrate::run(&mut conn, &crate::store::migrate::MIGRATIONS[..14])
            .expect("migrates to 14");
        for (n, change) in m.iter().enumerate() {
            let Some(SyncRecord::Message(msg)) = &change.record else {
                unreachable!("a message change")
            };
            conn.execute(
                "INSERT INTO messages (rowid, id, inquiry_id, sent_at, state, sender, \
                 sender_name, body, read) VALUES (?1, unhex(?2, '-'), unhex(?3, '-'), ?4, \
                 'synced', unhex(?5, '-'), ?6, ?7, 0)",
                params![
                    60 - 10 * n as i64,
                    change.id,
                    thread.to_string(),
                    msg.sent_at.as_millisecond(),
                    msg.sender.to_string(),
                    msg.sender_name,
                    msg.body
                ],
            )
            .expect("inserts");
        }
        for (n, row) in old_rows {
            conn.execute(
                "INSERT INTO search_rows (rowid, kind, record) VALUES (?1, 2, ?2)",
                params![row, 60 - 10 * n as i64],
            )
            .expect("an index row");
            let Some(SyncRecord::Message(msg)) = &m[n].record else {
                unreachable!("a message change")
            };
            conn.execute(
                "INSERT INTO search (rowid, title, body) VALUES (?1, 'Li', ?2)",
                params![row, msg.body],
            )
            .expect("indexes");
            if row > 98 {
                conn.execute(
                    "INSERT INTO search_recent (rowid, title, body) VALUES (?1, 'Li', ?2)",
                    params![row, msg.body],
                )
                .expect("in the window");
            }
        }
        conn.execute_batch(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('cursor', 'c9'), \
             ('search_backlog', 'up'), ('search_mark:messages', '50'), \
             ('search_mark:inquiries', '0'), ('search_mark:orders', '0'), \
             ('search_recent_floor', '98'), ('search_recent_rows', '3')",
        )
        .expect("a synced cache, its backlog under way");
    }
    let store = LocalStore::open(&path).expect("opens and migrates");
    let coverage = |indexed| Some(SearchCoverage { indexed, total: 6 });
    assert_eq!(store.search_coverage().expect("counts"), coverage(0));
    assert!(
        found(&store, "valve").is_empty(),
        "no text until it is back"
    );

    // The text comes back newest first, in the old index's order.
    assert_eq!(store.index_backlog(2).expect("indexes"), 2);
    assert_eq!(store.search_coverage().expect("counts"), coverage(2));
    let ids = |ns: &[usize]| ns.iter().map(|&n| m[n].id.clone()).collect::<Vec<_>>();
    assert_eq!(found(&store, "valve"), ids(&[5, 4]));

    // Meanwhile a new message comes and one waiting for its text is edited: both are
    // indexed as the newest, each once.
    let new = message(thread, "valve offer 6", 7);
    let mut edited = m[3].clone();
    if let Some(SyncRecord::Message(msg)) = &mut edited.record {
        msg.body = "valve offer 3, corrected".into();
    }
    store
        .apply_page(&[new.clone(), edited], "c10", jiff::Timestamp::now())
        .expect("applies");
    while store.index_backlog(2).expect("indexes") > 0 {}
    assert_eq!(store.search_coverage().expect("counts"), None);
    let mut expected = vec![m[3].id.clone(), new.id.clone()];
    expected.extend(ids(&[5, 4, 2, 1, 0]));
    assert_eq!(found(&store, "valve"), expected);
    assert_eq!(found(&store, "corrected"), ids(&[3]));
    let (window, _) = super::index_tests::window(&store);
    assert_eq!(window.len(), 3, "the window is filled to its size");
    super::index_tests::assert_searches_as_the_whole(&store, "refilled");
}
