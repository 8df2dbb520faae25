//! Messages and inquiries kept in columns read back as the server wrote them, through
//! every way the cache reads and changes them, and caches from before migrations 12 and
//! 13 keep them.

use rusqlite::{Connection, params};
use trade_model::entities::{
    Account, Company, DocumentMeta, Inquiry, InquiryStatus, Message, Role,
};
use trade_model::sync::{Change, RecordKind, SyncRecord};
use trade_model::{AccountId, CompanyId, DocumentId, InquiryId, MessageId, QuotationId};

use super::LocalStore;
use super::inquiry_row::INQUIRY_JSON;
use super::message_row::MESSAGE_JSON;
use super::rows::WalkChange;
use super::search::found;
use crate::error::ClientError;

fn at_ms(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).expect("a valid time")
}

fn message(inquiry: InquiryId, sender: AccountId, body: &str, ms: i64) -> Message {
    Message {
        id: MessageId::new(),
        inquiry,
        sender,
        sender_name: "Li \"Jade\" Wu".into(),
        body: body.into(),
        attachments: Vec::new(),
        sent_at: at_ms(ms),
        read: false,
        quotation: None,
    }
}

fn change(m: &Message) -> Change {
    Change {
        version: 1,
        kind: RecordKind::Message,
        id: m.id.to_string(),
        record: Some(SyncRecord::Message(m.clone())),
    }
}

/// Every shape a message takes: attachments, a quotation, text that needs escapes, and
/// times whose fraction of a second has three, two, one or no digits.
fn every_shape(inquiry: InquiryId, supplier: AccountId) -> Vec<Message> {
    let base = 1_800_000_000_000;
    let mut with_all = message(
        inquiry,
        supplier,
        "Quote: \"FOB\" 12.5\tUSD\nline two \\ <b>not markup</b> — 价格 العربية 👍🏽",
        base + 123,
    );
    with_all.attachments = vec![DocumentMeta {
        id: DocumentId::new(),
        file_name: "spec \"v2\".pdf".into(),
        kind: "pdf".into(),
        media_type: "application/pdf".into(),
        size: 48_213,
        sha256: "ab".repeat(32),
        uploaded_by: supplier,
        uploaded_at: at_ms(base - 5_000),
    }];
    with_all.quotation = Some(QuotationId::new());
    with_all.read = true;
    vec![
        with_all,
        message(inquiry, supplier, "two digits", base + 60_120),
        message(inquiry, supplier, "one digit", base + 120_100),
        message(inquiry, supplier, "whole second", base + 180_000),
        message(inquiry, supplier, "", base + 240_001),
    ]
}

fn stored_json(store: &LocalStore, id: MessageId) -> String {
    store
        .conn()
        .query_row(
            &format!("SELECT {MESSAGE_JSON} FROM messages WHERE id = unhex(?1, '-')"),
            [id.to_string()],
            |r| r.get(0),
        )
        .expect("the message is stored")
}

/// In a cache from before a migration: the index row `rowid` with its text, naming the
/// record of kind `code` (1 inquiry, 2 message) at the same table rowid.
fn index_old_row(conn: &Connection, code: i64, rowid: i64, title: &str, body: &str) {
    conn.execute(
        "INSERT INTO search_rows (rowid, kind, record) VALUES (?1, ?2, ?1)",
        params![rowid, code],
    )
    .expect("an index row");
    conn.execute(
        "INSERT INTO search (rowid, title, body) VALUES (?1, ?2, ?3)",
        params![rowid, title, body],
    )
    .expect("indexes");
}

/// A cache from before a migration, synced, its backlog done up to the rowid `highest`
/// of `table` (the index's window empty: its floor at the top).
fn synced_and_indexed(conn: &Connection, table: &str, highest: i64) {
    let mark = |t: &str| if t == table { highest } else { 0 }.to_string();
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('cursor', 'c9'), \
         ('search_backlog', 'up'), ('search_mark:messages', ?1), \
         ('search_mark:inquiries', ?2), ('search_mark:orders', '0'), \
         ('search_recent_floor', ?3)",
        params![mark("messages"), mark("inquiries"), highest.to_string()],
    )
    .expect("a synced and indexed cache");
}

/// In a cache at migration 14 (before the index was numbered again, when higher rows
/// were newer): the ids of the records of `table` (kind `code`) whose index rows hold
/// `word`, newest first.
fn named(conn: &Connection, table: &str, code: i64, word: &str) -> Vec<String> {
    conn.prepare(&format!(
        "SELECT {} FROM search JOIN search_rows r ON r.rowid = search.rowid \
         JOIN {table} t ON t.rowid = r.record AND r.kind = ?2 \
         WHERE search MATCH ?1 ORDER BY search.rowid DESC",
        crate::store::id_text!("t.id")
    ))
    .expect("prepares")
    .query_map(params![word, code], |r| r.get(0))
    .expect("searches")
    .collect::<rusqlite::Result<_>>()
    .expect("reads")
}

/// Migrates a cache from before migration 12 or 13 to version 14 (the index as it was,
/// before migration 15 makes it anew) and checks that the index row of each record of
/// `table` (kind `code`), whose text has `word{n}`, still names `ids[n]`.
fn index_rows_still_name(conn: &mut Connection, table: &str, code: i64, ids: &[String]) {
    crate::store::migrate::run(conn, &crate::store::migrate::MIGRATIONS[..14])
        .expect("migrates to 14");
    for (n, id) in ids.iter().enumerate() {
        assert_eq!(
            named(conn, table, code, &format!("word{n}")),
            vec![id.clone()],
            "the index row of {table} {n} still names it"
        );
    }
}

fn thread_of(store: &LocalStore, inquiry: InquiryId) -> Vec<Message> {
    store
        .thread(inquiry, None, 100)
        .expect("reads")
        .items
        .into_iter()
        .map(|m| m.message)
        .collect()
}

#[test]
fn a_message_in_columns_reads_back_as_the_server_wrote_it() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let inquiry = InquiryId::new();
    let supplier = AccountId::new();
    let messages = every_shape(inquiry, supplier);
    let now = jiff::Timestamp::now();

    // From the feed (decoded records) and from a first sync's walk (JSON as it came).
    let fed = LocalStore::open(&dir.path().join("fed.sqlite3")).expect("opens");
    let changes: Vec<Change> = messages.iter().map(change).collect();
    fed.apply_page(&changes, "c1", now).expect("applies");
    let walked = LocalStore::open(&dir.path().join("walked.sqlite3")).expect("opens");
    let walk: Vec<WalkChange> = changes
        .iter()
        .map(|c| WalkChange::of(c).expect("encodes"))
        .collect();
    walked
        .apply_snapshot_page(&walk, "w1", "feed", true, now)
        .expect("applies");

    for store in [&fed, &walked] {
        for m in &messages {
            let json = serde_json::to_string(m).expect("serialises");
            assert_eq!(stored_json(store, m.id), json, "byte for byte");
        }
        assert_eq!(thread_of(store, inquiry), messages);
        // The fields are kept once, in their columns: no JSON beside them.
        let (attachments, extra): (Option<String>, Option<String>) = store
            .conn()
            .query_row(
                "SELECT attachments, extra FROM messages WHERE id = unhex(?1, '-')",
                [messages[1].id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("reads");
        assert_eq!((attachments, extra), (None, None));
    }
}

#[test]
fn fields_this_version_does_not_know_are_kept_and_a_message_without_its_time_is_refused() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = LocalStore::open(&dir.path().join("cache.sqlite3")).expect("opens");
    let inquiry = InquiryId::new();
    let m = message(inquiry, AccountId::new(), "with news", 1_800_000_000_500);
    let known = serde_json::to_string(&m).expect("serialises");
    // The server's own spacing, and fields of a later version after the known ones.
    let data = known.replacen(
        "\"quotation\":null}",
        r#""quotation":null,"reactions":[{"emoji":"👍","by":"x"}],"edited_at":"2026-11-30T10:00:00Z","pinned":true}"#,
        1,
    );
    assert_ne!(data, known);
    let walk = |id: &str, data: &str| WalkChange {
        kind: RecordKind::Message,
        id: id.to_owned(),
        record: Some(crate::store::rows::WalkRecord {
            kind: RecordKind::Message,
            data: serde_json::value::RawValue::from_string(data.to_owned()).expect("JSON"),
        }),
    };
    let now = jiff::Timestamp::now();
    store
        .apply_snapshot_page(&[walk(&m.id.to_string(), &data)], "w1", "feed", true, now)
        .expect("applies");
    assert_eq!(stored_json(&store, m.id), data);
    assert_eq!(thread_of(&store, inquiry), vec![m.clone()]);

    // Without its time a message cannot be filed: a clear error, nothing kept.
    let other = MessageId::new();
    let timeless = known
        .replace(&m.id.to_string(), &other.to_string())
        .replace(&format!(",\"sent_at\":\"{}\"", m.sent_at), "");
    let err = store
        .apply_snapshot_page(
            &[walk(&other.to_string(), &timeless)],
            "w2",
            "feed",
            true,
            now,
        )
        .expect_err("refused");
    assert!(matches!(err, ClientError::Decode(_)), "{err:?}");
    assert_eq!(thread_of(&store, inquiry), vec![m]);
}

#[test]
fn reading_a_thread_marks_its_messages_read_and_a_refusal_puts_them_back() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = LocalStore::open(&dir.path().join("cache.sqlite3")).expect("opens");
    let me = Account {
        id: AccountId::new(),
        email: "ann@example.com".into(),
        display_name: "Ann".into(),
        role: Role::Buyer,
        company: Company {
            id: CompanyId::new(),
            name: "Ann Ltd".into(),
            country: "DE".into(),
        },
    };
    store
        .set_meta("account", &serde_json::to_string(&me).expect("serialises"))
        .expect("signed in");
    let supplier = AccountId::new();
    let now = jiff::Timestamp::now();
    let messages = every_shape(InquiryId::new(), supplier);
    let inquiry_id = messages[0].inquiry;
    let mut mine = message(inquiry_id, me.id, "my question", 1_800_000_300_000);
    mine.sender_name = "Ann".into();
    let inquiry = Inquiry {
        id: inquiry_id,
        buyer: me.id,
        supplier,
        buyer_name: "Ann".into(),
        supplier_name: "Li".into(),
        supplier_company: "Li Ltd".into(),
        product: "Pipe".into(),
        status: InquiryStatus::Open,
        created_at: now,
        last_message_at: mine.sent_at,
        last_message_preview: mine.body.clone(),
        unread_count: 4,
    };
    let mut changes = vec![Change {
        version: 1,
        kind: RecordKind::Inquiry,
        id: inquiry.id.to_string(),
        record: Some(SyncRecord::Inquiry(inquiry)),
    }];
    changes.extend(messages.iter().chain([&mine]).map(change));
    store.apply_page(&changes, "c1", now).expect("applies");
    let before = thread_of(&store, inquiry_id);

    let mutation = store
        .queue_mark_read(inquiry_id, now)
        .expect("queues")
        .expect("there was something to read");
    let read = thread_of(&store, inquiry_id);
    assert!(
        read.iter().filter(|m| m.sender == supplier).all(|m| m.read),
        "the supplier's messages are read"
    );
    assert!(
        !read.iter().any(|m| m.sender == me.id && m.read),
        "mine untouched"
    );
    assert_eq!(
        read.iter()
            .map(|m| Message {
                read: false,
                ..m.clone()
            })
            .collect::<Vec<_>>(),
        before
            .iter()
            .map(|m| Message {
                read: false,
                ..m.clone()
            })
            .collect::<Vec<_>>(),
        "nothing else changed"
    );
    store
        .mark_rejected(mutation, "inquiry.not_found", "refused")
        .expect("marks");
    assert_eq!(thread_of(&store, inquiry_id), before);
}

/// A thread read one message a page: messages sent in the same millisecond come in id
/// order, each once (the thread index orders by time only; the id breaks the tie as the
/// rows are read).
#[test]
fn a_thread_pages_through_messages_sent_in_the_same_millisecond() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = LocalStore::open(&dir.path().join("cache.sqlite3")).expect("opens");
    let inquiry = InquiryId::new();
    let supplier = AccountId::new();
    let base = 1_800_000_000_000;
    let mut messages: Vec<Message> = (0..7)
        .map(|n| {
            message(
                inquiry,
                supplier,
                &format!("m{n}"),
                base + [5, 1, 5, 5, 2, 5, 9][n],
            )
        })
        .collect();
    // Another thread at the same moments, which no page of this one may show.
    let other: Vec<Message> = (0..3)
        .map(|n| message(InquiryId::new(), supplier, "elsewhere", base + 5 + n))
        .collect();
    let changes: Vec<Change> = messages.iter().chain(&other).map(change).collect();
    store
        .apply_page(&changes, "c1", jiff::Timestamp::now())
        .expect("applies");
    messages.sort_by_key(|m| (m.sent_at, m.id.to_string()));

    let mut read = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .thread(inquiry, after.as_deref(), 1)
            .expect("reads a page");
        read.extend(page.items.into_iter().map(|m| m.message));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
        assert!(read.len() <= messages.len(), "no page repeats");
    }
    assert_eq!(read, messages);
}

#[test]
fn a_cache_from_before_migration_12_keeps_every_message_and_its_search_hits() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("cache.sqlite3");
    let inquiry = InquiryId::new();
    let supplier = AccountId::new();
    let messages = every_shape(inquiry, supplier);
    let states = ["synced", "synced", "pending", "failed", "sent"];
    // A field of a later server version, in a message stored as JSON.
    let with_news = serde_json::to_string(&messages[1])
        .expect("serialises")
        .replace("\"quotation\":null}", "\"quotation\":null,\"pinned\":true}");
    {
        let mut conn = Connection::open(&path).expect("opens");
        crate::store::migrate::run(&mut conn, &crate::store::migrate::MIGRATIONS[..11])
            .expect("migrates to 11");
        for (n, (m, state)) in messages.iter().zip(states).enumerate() {
            let data = if n == 1 {
                with_news.clone()
            } else {
                serde_json::to_string(m).expect("serialises")
            };
            // Rowids with gaps, as deletions leave them.
            let rowid = 10 * (n as i64 + 1);
            conn.execute(
                "INSERT INTO messages (rowid, id, inquiry_id, sent_at, state, data) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    rowid,
                    m.id.to_string(),
                    inquiry.to_string(),
                    m.sent_at.as_millisecond(),
                    state,
                    data
                ],
            )
            .expect("inserts");
            index_old_row(
                &conn,
                2,
                rowid,
                &m.sender_name,
                &format!("{} word{n}", m.body),
            );
        }
        synced_and_indexed(&conn, "messages", 50);
        let ids: Vec<String> = messages.iter().map(|m| m.id.to_string()).collect();
        index_rows_still_name(&mut conn, "messages", 2, &ids);
    }
    let store = LocalStore::open(&path).expect("opens and migrates");
    assert_eq!(stored_json(&store, messages[1].id), with_news);
    for (n, m) in messages.iter().enumerate() {
        if n != 1 {
            let json = serde_json::to_string(m).expect("serialises");
            assert_eq!(stored_json(&store, m.id), json, "message {n}");
        }
    }
    // Migration 15 puts each record's own text in the index again, behind the sync.
    while store.index_backlog(100).expect("indexes") > 0 {}
    assert_eq!(found(&store, "digits"), vec![messages[1].id.to_string()]);
    let states_now: Vec<String> = store
        .conn()
        .prepare("SELECT state FROM messages ORDER BY rowid")
        .expect("prepares")
        .query_map([], |r| r.get(0))
        .expect("reads")
        .collect::<rusqlite::Result<_>>()
        .expect("reads");
    assert_eq!(states_now, states);
    assert_eq!(thread_of(&store, inquiry), messages);
}

fn inquiry(supplier: AccountId, product: &str, created_ms: i64, last_ms: i64) -> Inquiry {
    Inquiry {
        id: InquiryId::new(),
        buyer: AccountId::new(),
        supplier,
        buyer_name: "Ann \"A.\" Smith".into(),
        supplier_name: "Li\tWu".into(),
        supplier_company: "Jade Valves 有限公司".into(),
        product: product.into(),
        status: InquiryStatus::Open,
        created_at: at_ms(created_ms),
        last_message_at: at_ms(last_ms),
        last_message_preview: "FOB\nNingbo <i>not markup</i> 👍".into(),
        unread_count: 2,
    }
}

fn inquiry_json(store: &LocalStore, id: InquiryId) -> String {
    store
        .conn()
        .query_row(
            &format!("SELECT {INQUIRY_JSON} FROM inquiries WHERE id = unhex(?1, '-')"),
            [id.to_string()],
            |r| r.get(0),
        )
        .expect("the inquiry is stored")
}

/// The inbox, every page of `per_page`, newest activity first.
fn inbox(store: &LocalStore, unread_only: bool, per_page: usize) -> Vec<Inquiry> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .inquiries(unread_only, after.as_deref(), per_page)
            .expect("reads");
        all.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return all,
        }
    }
}

/// Inquiries whose times have three, two, one or no digits of a second, two of them at
/// the same moment (the inbox breaks the tie by id).
fn inquiries_of_every_shape() -> Vec<Inquiry> {
    let base = 1_800_000_000_000;
    let supplier = AccountId::new();
    let mut all = vec![
        inquiry(supplier, "Brass valve", base + 123, base + 90_120),
        inquiry(supplier, "Copper pipe", base + 120, base + 90_120),
        inquiry(AccountId::new(), "Steel flange", base + 100, base + 60_000),
        inquiry(supplier, "", base, base + 30_001),
    ];
    all[2].unread_count = 0;
    all[3].status = InquiryStatus::Closed;
    all
}

fn inquiry_change(i: &Inquiry) -> Change {
    Change {
        version: 1,
        kind: RecordKind::Inquiry,
        id: i.id.to_string(),
        record: Some(SyncRecord::Inquiry(i.clone())),
    }
}

/// The inbox's order: newest activity first, then the higher id.
fn newest_first(mut all: Vec<Inquiry>) -> Vec<Inquiry> {
    all.sort_by_key(|i| std::cmp::Reverse((i.last_message_at, i.id)));
    all
}

#[test]
fn an_inquiry_in_columns_reads_back_as_the_server_wrote_it_and_lists_in_the_inbox() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let all = inquiries_of_every_shape();
    let changes: Vec<Change> = all.iter().map(inquiry_change).collect();
    let now = jiff::Timestamp::now();
    let fed = LocalStore::open(&dir.path().join("fed.sqlite3")).expect("opens");
    fed.apply_page(&changes, "c1", now).expect("applies");
    let walked = LocalStore::open(&dir.path().join("walked.sqlite3")).expect("opens");
    let walk: Vec<WalkChange> = changes
        .iter()
        .map(|c| WalkChange::of(c).expect("encodes"))
        .collect();
    walked
        .apply_snapshot_page(&walk, "w1", "feed", true, now)
        .expect("applies");
    for store in [&fed, &walked] {
        for i in &all {
            let json = serde_json::to_string(i).expect("serialises");
            assert_eq!(inquiry_json(store, i.id), json, "byte for byte");
            assert_eq!(&store.inquiry(i.id).expect("reads"), i);
        }
        // One a page: every cursor, the tie at the same moment included.
        assert_eq!(inbox(store, false, 1), newest_first(all.clone()));
        assert_eq!(inbox(store, false, 50), newest_first(all.clone()));
        let unread: Vec<Inquiry> = all.iter().filter(|i| i.unread_count > 0).cloned().collect();
        assert_eq!(inbox(store, true, 1), newest_first(unread));
        assert_eq!(store.unread().expect("counts").total, 6);
        // Found by what the index takes from it (a walk's, once its backlog is indexed).
        while store.index_backlog(100).expect("indexes") > 0 {}
        assert_eq!(found(store, "jade brass"), vec![all[0].id.to_string()]);
    }
}

#[test]
fn a_cache_from_before_migration_13_keeps_every_inquiry_and_its_search_hits() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("cache.sqlite3");
    let all = inquiries_of_every_shape();
    // A field of a later server version, in an inquiry stored as JSON.
    let with_news = serde_json::to_string(&all[1]).expect("serialises").replace(
        "\"unread_count\":2}",
        "\"unread_count\":2,\"tags\":[\"urgent\"]}",
    );
    {
        let mut conn = Connection::open(&path).expect("opens");
        crate::store::migrate::run(&mut conn, &crate::store::migrate::MIGRATIONS[..12])
            .expect("migrates to 12");
        for (n, i) in all.iter().enumerate() {
            let data = if n == 1 {
                with_news.clone()
            } else {
                serde_json::to_string(i).expect("serialises")
            };
            // Rowids with gaps, as deletions leave them.
            let rowid = 10 * (n as i64 + 1);
            conn.execute(
                "INSERT INTO inquiries (rowid, id, last_message_at, unread, data) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    rowid,
                    i.id.to_string(),
                    i.last_message_at.as_millisecond(),
                    i.unread_count,
                    data
                ],
            )
            .expect("inserts");
            index_old_row(&conn, 1, rowid, &i.product, &format!("word{n}"));
        }
        synced_and_indexed(&conn, "inquiries", 40);
        let ids: Vec<String> = all.iter().map(|i| i.id.to_string()).collect();
        index_rows_still_name(&mut conn, "inquiries", 1, &ids);
    }
    let store = LocalStore::open(&path).expect("opens and migrates");
    assert_eq!(inquiry_json(&store, all[1].id), with_news);
    for (n, i) in all.iter().enumerate() {
        if n != 1 {
            let json = serde_json::to_string(i).expect("serialises");
            assert_eq!(inquiry_json(&store, i.id), json, "inquiry {n}");
        }
    }
    assert_eq!(inbox(&store, false, 1), newest_first(all.clone()));
    assert_eq!(store.unread().expect("counts").total, 6);
}

#[test]
fn a_cache_migrated_to_columns_gives_the_space_it_freed_back_to_the_disk() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("cache.sqlite3");
    let inquiry = InquiryId::new();
    let supplier = AccountId::new();
    let messages: Vec<Message> = (0..3_000)
        .map(|n| {
            message(
                inquiry,
                supplier,
                "Please find our latest catalogue and the test reports on our product page.",
                1_800_000_000_000 + n,
            )
        })
        .collect();
    let size_before = {
        let mut conn = Connection::open(&path).expect("opens");
        crate::store::migrate::run(&mut conn, &crate::store::migrate::MIGRATIONS[..11])
            .expect("migrates to 11");
        let tx = conn.transaction().expect("begins");
        for m in &messages {
            tx.execute(
                "INSERT INTO messages (id, inquiry_id, sent_at, state, data) \
                 VALUES (?1, ?2, ?3, 'synced', ?4)",
                params![
                    m.id.to_string(),
                    inquiry.to_string(),
                    m.sent_at.as_millisecond(),
                    serde_json::to_string(m).expect("serialises")
                ],
            )
            .expect("inserts");
        }
        tx.commit().expect("commits");
        conn.execute_batch("INSERT INTO meta (key, value) VALUES ('cursor', 'c9')")
            .expect("a synced cache");
        conn.query_row("PRAGMA page_count", [], |r| r.get::<_, i64>(0))
            .expect("counts")
    };
    let store = LocalStore::open(&path).expect("opens and migrates");
    let (free, size_after): (i64, i64) = {
        let conn = store.conn();
        let count = |pragma: &str| {
            conn.query_row(&format!("PRAGMA {pragma}"), [], |r| r.get::<_, i64>(0))
                .expect("counts")
        };
        (count("freelist_count"), count("page_count"))
    };
    assert_eq!(free, 0, "no free pages kept in the file");
    assert!(
        size_after * 2 < size_before,
        "{size_after} pages after, {size_before} before"
    );
    let kept: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .expect("counts");
    assert_eq!(kept, 3_000);
    assert_eq!(thread_of(&store, inquiry), messages[..100]);
}
