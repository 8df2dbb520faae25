//! The search index as the cache keeps it: built by the backlog behind a first sync,
//! kept up by the writes after it, its window of the newest rows, and the caches the
//! migrations rebuilt. Through `LocalStore`, on cache files.

use rusqlite::params;
use trade_model::InquiryId;
use trade_model::sync::{Change, RecordKind, SyncRecord};
use trade_model::{AccountId, MessageId};

/// `changes` as a first sync's walk brings them.
fn walk(changes: &[Change]) -> Vec<crate::store::WalkChange> {
    changes
        .iter()
        .map(|c| crate::store::WalkChange::of(c).expect("encodes"))
        .collect()
}

use super::SearchCoverage;
use crate::store::LocalStore;

pub(super) fn message(inquiry: InquiryId, body: &str, minute: i64) -> Change {
    let m = trade_model::entities::Message {
        id: MessageId::new(),
        inquiry,
        sender: AccountId::new(),
        sender_name: "Li".into(),
        body: body.into(),
        attachments: Vec::new(),
        sent_at: jiff::Timestamp::from_second(1_800_000_000 + minute * 60).expect("a valid time"),
        read: false,
        quotation: None,
    };
    Change {
        version: 1,
        kind: RecordKind::Message,
        id: m.id.to_string(),
        record: Some(SyncRecord::Message(m)),
    }
}

pub(crate) fn found(store: &LocalStore, q: &str) -> Vec<String> {
    let results = store.search(q, 100).expect("searches");
    results.hits.into_iter().map(|h| h.id).collect()
}

#[test]
fn a_walked_cache_is_indexed_in_steps_newest_first_and_a_record_changed_meanwhile_once() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = LocalStore::open(&dir.path().join("cache.sqlite3")).expect("opens");
    let thread = InquiryId::new();
    // A walk brings the newest first: minutes 5, 4, 3, 2, 1.
    let walked: Vec<Change> = (1..=5)
        .rev()
        .map(|m| message(thread, &format!("valve offer {m}"), m))
        .collect();
    let now = jiff::Timestamp::now();
    store
        .apply_snapshot_page(&walk(&walked[..3]), "w1", "feed", false, now)
        .expect("applies");
    // Mid-walk nothing is indexed, and the backlog waits for the walk.
    assert_eq!(store.index_backlog(10).expect("indexes"), 0);
    store
        .apply_snapshot_page(&walk(&walked[3..]), "w2", "feed", true, now)
        .expect("applies");
    let coverage = |indexed| Some(SearchCoverage { indexed, total: 5 });
    assert_eq!(store.search_coverage().expect("counts"), coverage(0));
    assert!(found(&store, "valve").is_empty());

    // Two steps in, a page changes a record not indexed yet, and removes another.
    assert_eq!(store.index_backlog(2).expect("indexes"), 2);
    assert_eq!(store.search_coverage().expect("counts"), coverage(2));
    let mut edited = walked[4].clone();
    if let Some(SyncRecord::Message(m)) = &mut edited.record {
        m.body = "valve offer 1, corrected".into();
    }
    let gone = Change {
        record: None,
        ..walked[3].clone()
    };
    store
        .apply_page(&[edited, gone], "feed2", now)
        .expect("applies");
    while store.index_backlog(2).expect("indexes") > 0 {}
    assert_eq!(store.search_coverage().expect("counts"), None);

    // Each record once, the most recently changed first, then the walk's newest
    // first; the removed one not at all.
    let ids = |changes: &[&Change]| changes.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    assert_eq!(
        found(&store, "valve"),
        ids(&[&walked[4], &walked[0], &walked[1], &walked[2]])
    );
    assert_eq!(found(&store, "corrected"), ids(&[&walked[4]]));
    let hits = store.search("correct", 10).expect("searches").hits;
    assert_eq!(hits[0].snippet, "valve offer 1, [corrected]");
    assert_eq!(hits[0].inquiry, Some(thread));
}

#[test]
fn a_walk_page_indexes_again_a_record_indexed_before_and_only_that_one() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = LocalStore::open(&dir.path().join("cache.sqlite3")).expect("opens");
    let thread = InquiryId::new();
    let now = jiff::Timestamp::now();
    // A record indexed when it was written (pulled from the feed), then met again
    // by a walk with another text, beside one the index never held.
    let early = message(thread, "brass fitting", 1);
    store
        .apply_page(std::slice::from_ref(&early), "feed", now)
        .expect("applies");
    assert_eq!(found(&store, "brass"), vec![early.id.clone()]);
    let mut again = early.clone();
    if let Some(SyncRecord::Message(m)) = &mut again.record {
        m.body = "copper fitting".into();
    }
    let other = message(thread, "copper valve", 2);
    store
        .apply_snapshot_page(&walk(&[other.clone(), again]), "w1", "feed", true, now)
        .expect("applies");
    assert!(found(&store, "brass").is_empty(), "the old text is gone");
    assert_eq!(found(&store, "copper"), vec![early.id.clone()]);
    // The other waits for the backlog.
    while store.index_backlog(10).expect("indexes") > 0 {}
    assert_eq!(found(&store, "copper").len(), 2);
}

#[test]
fn a_word_of_any_script_is_found_as_typed_and_by_its_start() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = LocalStore::open(&dir.path().join("cache.sqlite3")).expect("opens");
    let thread = InquiryId::new();
    // (text, what a buyer types: the whole word, then its start). Hindi, Thai, Arabic
    // and Hebrew with their vowel marks and Korean: words the tokenizer splits at
    // marks; an emoji and a joiner between words; Japanese with its long-vowel mark.
    let texts = [
        ("नमस्ते, price list attached", "नमस्ते", "नम"),
        ("สวัสดีครับ ราคา", "สวัสดีครับ", "สวัส"),
        ("مَرْحَبًا بكم", "مَرْحَبًا", "مَر"),
        ("שָׁלוֹם לכם", "שָׁלוֹם", "שָׁל"),
        ("안녕하세요 견적", "안녕하세요", "안녕"),
        ("コーヒーカップ 1000個", "コーヒーカップ", "コーヒー"),
        ("valve🔧fitting set", "valve🔧fitting", "fitt"),
        ("Καλημέρα σας", "ΚΑΛΗΜΈΡΑ", "καλη"),
        (
            "stainless\u{200d}steel mug",
            "stainless\u{200d}steel",
            "steel",
        ),
    ];
    let changes: Vec<Change> = texts
        .iter()
        .enumerate()
        .map(|(n, (text, _, _))| message(thread, text, n as i64))
        .collect();
    store
        .apply_page(&changes, "c1", jiff::Timestamp::now())
        .expect("applies");
    for ((_, word, start), change) in texts.iter().zip(&changes) {
        for q in [word, start] {
            let results = store.search(q, 10).expect("no query is refused");
            let ids: Vec<&str> = results.hits.iter().map(|h| h.id.as_str()).collect();
            assert!(
                ids.contains(&change.id.as_str()),
                "{q:?} finds its message: {ids:?}"
            );
        }
    }
}

#[test]
fn a_discarded_message_leaves_the_index_and_no_hit_points_at_another_record() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = LocalStore::open(&dir.path().join("cache.sqlite3")).expect("opens");
    let me = trade_model::entities::Account {
        id: AccountId::new(),
        email: "ann@example.com".into(),
        display_name: "Ann".into(),
        role: trade_model::entities::Role::Buyer,
        company: trade_model::entities::Company {
            id: trade_model::CompanyId::new(),
            name: "Ann Ltd".into(),
            country: "DE".into(),
        },
    };
    store
        .set_meta("account", &serde_json::to_string(&me).expect("serialises"))
        .expect("signed in");
    let now = jiff::Timestamp::now();
    let inquiry = trade_model::entities::Inquiry {
        id: InquiryId::new(),
        buyer: me.id,
        supplier: AccountId::new(),
        buyer_name: "Ann".into(),
        supplier_name: "Li".into(),
        supplier_company: "Li Ltd".into(),
        product: "Pipe".into(),
        status: trade_model::entities::InquiryStatus::Open,
        created_at: now,
        last_message_at: now,
        last_message_preview: "Hello".into(),
        unread_count: 0,
    };
    let thread = inquiry.id;
    let opened = Change {
        version: 1,
        kind: RecordKind::Inquiry,
        id: thread.to_string(),
        record: Some(SyncRecord::Inquiry(inquiry)),
    };
    let synced = message(thread, "valve price", 1);
    store
        .apply_page(&[opened, synced.clone()], "c1", now)
        .expect("applies");
    let (mutation, queued) = store
        .queue_message(thread, "valve drawing attached", now)
        .expect("queues");
    while store.index_backlog(10).expect("indexes") > 0 {}
    assert_eq!(
        found(&store, "valve").len(),
        2,
        "the queued message is found too"
    );

    store
        .mark_rejected(mutation, "message.bad_length", "refused")
        .expect("refused");
    store.discard(mutation).expect("discarded");
    assert_eq!(found(&store, "valve"), vec![synced.id.clone()]);
    assert!(found(&store, "drawing").is_empty(), "{queued}");
    // A record written afterwards may take the freed row; nothing finds it by the
    // discarded text.
    let later = message(thread, "flange offer", 3);
    store.apply_page(&[later], "c2", now).expect("applies");
    assert!(found(&store, "drawing").is_empty());
    assert_eq!(found(&store, "flange").len(), 1);
}

/// What the whole index alone finds for `q` (messages), newest first: the answer a
/// search must give whatever the window holds.
fn found_in_whole(store: &LocalStore, q: &str, limit: usize) -> Vec<String> {
    let conn = store.conn();
    let fts = super::terms_of(q)
        .iter()
        .map(|t| format!("\"{t}\"*"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {} FROM search JOIN search_rows r ON r.rowid = search.rowid \
             JOIN messages m ON m.rowid = r.record AND r.kind = 2 \
             WHERE search MATCH ?1 ORDER BY search.rowid LIMIT ?2",
            crate::store::id_text!("m.id")
        ))
        .expect("prepares");
    stmt.query_map(params![fts, limit as i64], |r| r.get(0))
        .expect("queries")
        .collect::<rusqlite::Result<_>>()
        .expect("reads")
}

/// The window's rows, and the index rows below its ceiling: equal by the invariant.
pub(super) fn window(store: &LocalStore) -> (Vec<i64>, Vec<i64>) {
    let conn = store.conn();
    let ceiling = super::recent::ceiling(&conn).expect("reads the ceiling");
    let rows = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Vec<i64> {
        conn.prepare(sql)
            .expect("prepares")
            .query_map(p, |r| r.get(0))
            .expect("queries")
            .collect::<rusqlite::Result<_>>()
            .expect("reads")
    };
    (
        rows("SELECT rowid FROM search_recent ORDER BY rowid", &[]),
        rows(
            "SELECT rowid FROM search_rows WHERE rowid < ?1 ORDER BY rowid",
            &[&ceiling],
        ),
    )
}

pub(super) fn assert_searches_as_the_whole(store: &LocalStore, step: &str) {
    let (recent, below_ceiling) = window(store);
    assert_eq!(
        recent, below_ceiling,
        "{step}: the window is the rows below its ceiling"
    );
    for q in ["valve", "flange", "valve offer", "offer", "gasket", "of"] {
        for limit in [1, 3, 5, 40] {
            let hits: Vec<String> = store
                .search(q, limit)
                .expect("searches")
                .hits
                .into_iter()
                .map(|h| h.id)
                .collect();
            assert_eq!(
                hits,
                found_in_whole(store, q, limit),
                "{step}: {q:?}, {limit} hits"
            );
        }
    }
}

#[test]
fn the_newest_rows_are_searched_first_and_every_search_finds_what_the_whole_index_has() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = LocalStore::open(&dir.path().join("cache.sqlite3")).expect("opens");
    store
        .set_meta("search_recent_rows", "4")
        .expect("a small window");
    let thread = InquiryId::new();
    let text = |m: i64| {
        if m % 4 == 0 {
            format!("flange offer {m}")
        } else {
            format!("valve offer {m}")
        }
    };
    // A walk of 12 messages, newest first, then its backlog: the window holds the
    // newest 4 once the backlog is done.
    let walked: Vec<Change> = (1..=12)
        .rev()
        .map(|m| message(thread, &text(m), m))
        .collect();
    let now = jiff::Timestamp::now();
    store
        .apply_snapshot_page(&walk(&walked), "w1", "feed", true, now)
        .expect("applies");
    assert_searches_as_the_whole(&store, "walked, nothing indexed");
    while store.index_backlog(3).expect("indexes") > 0 {}
    assert_eq!(
        window(&store).0.len(),
        4,
        "the window is filled to its size"
    );
    assert_searches_as_the_whole(&store, "indexed");

    // New messages go in below, one page each: the window moves down, trimmed from
    // above, never more than twice its size and a step.
    let mut live = Vec::new();
    for m in 13..=30 {
        let change = message(thread, &text(m), m);
        store
            .apply_page(std::slice::from_ref(&change), &format!("c{m}"), now)
            .expect("applies");
        live.push(change);
        assert!(window(&store).0.len() <= 10, "after message {m}");
        assert_searches_as_the_whole(&store, &format!("message {m}"));
    }
    assert!(
        !window(&store).0.contains(&(super::index::ORIGIN - 1)),
        "the oldest live rows left the window"
    );

    // Removed and edited records, in the window and below it.
    let mut edited = live[17].clone();
    if let Some(SyncRecord::Message(m)) = &mut edited.record {
        m.body = "gasket offer".into();
    }
    let gone = |c: &Change| Change {
        record: None,
        ..c.clone()
    };
    store
        .apply_page(
            &[edited, gone(&live[16]), gone(&live[2]), gone(&walked[0])],
            "c31",
            now,
        )
        .expect("applies");
    assert_searches_as_the_whole(&store, "removed and edited");
    assert_eq!(found(&store, "gasket"), vec![live[17].id.clone()]);
}
