//! The search index's writing side: what each record puts in it and its rows (numbered
//! densely, higher is newer). Records changed by later pages and by local actions are
//! indexed as they are written; what a first sync wrote is indexed behind it, by the
//! backlog in `search/backlog.rs`. The newest rows are indexed a second time, in the
//! window `search/recent.rs` keeps.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use trade_model::sync::{RecordKind, SyncRecord};

use super::recent;
use crate::error::Result;

/// The tables the index covers, in the order the backlog takes them (inquiries first:
/// they are few and are what a buyer looks for most).
/// Each with its code in `search_rows.kind` (stored, never to change).
pub(super) const INDEXED: [(RecordKind, &str, i64); 3] = [
    (RecordKind::Inquiry, "inquiries", 1),
    (RecordKind::Message, "messages", 2),
    (RecordKind::Order, "orders", 3),
];

/// The table and code of a kind the index covers.
fn indexed(kind: RecordKind) -> Option<(&'static str, i64)> {
    INDEXED
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map(|&(_, table, code)| (table, code))
}

/// What the index holds for a record.
pub(crate) struct Entry {
    pub(super) title: String,
    pub(super) body: String,
}

/// The indexed text of a record; `None` for kinds that are not searched.
pub(crate) fn entry_of(record: &SyncRecord) -> Option<Entry> {
    match record {
        SyncRecord::Inquiry(i) => Some(Entry {
            title: i.product.clone(),
            body: format!(
                "{} {} {}",
                i.supplier_name, i.supplier_company, i.last_message_preview
            ),
        }),
        SyncRecord::Message(m) => Some(Entry {
            title: m.sender_name.clone(),
            body: m.body.clone(),
        }),
        SyncRecord::Order(o) => Some(Entry {
            title: o
                .order
                .terms
                .lines
                .iter()
                .map(|l| l.product.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            body: format!(
                "{} {} {}",
                o.status_label, o.order.terms.remarks, o.order.terms.incoterm
            ),
        }),
        _ => None,
    }
}

/// A record's table rowid and its index row, if it is indexed.
fn row_of(tx: &Connection, kind: RecordKind, id: &str) -> Result<Option<(i64, Option<i64>)>> {
    let Some((table, code)) = indexed(kind) else {
        return Ok(None);
    };
    Ok(tx
        .prepare_cached(&format!(
            "SELECT t.rowid, s.rowid FROM {table} t \
             LEFT JOIN search_rows s ON s.kind = ?1 AND s.record = t.rowid WHERE t.id = ?2"
        ))?
        .query_row(params![code, id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// The index row of the record at `record` (its table rowid), if it is indexed.
pub(super) fn index_row(tx: &Connection, code: i64, record: i64) -> Result<Option<i64>> {
    Ok(tx
        .prepare_cached("SELECT rowid FROM search_rows WHERE kind = ?1 AND record = ?2")?
        .query_row(params![code, record], |r| r.get(0))
        .optional()?)
}

/// Puts the text of the record at `record` (its table rowid) in the index above every
/// row (a record written now), replacing its index row `old` if it has one.
pub(super) fn index_at(
    tx: &Transaction<'_>,
    code: i64,
    record: i64,
    old: Option<i64>,
    entry: &Entry,
) -> Result<()> {
    if let Some(old) = old {
        drop_row(tx, old)?;
    }
    tx.prepare_cached(
        "INSERT INTO search_rows (rowid, kind, record) \
         SELECT coalesce(max(rowid), 0) + 1, ?1, ?2 FROM search_rows",
    )?
    .execute(params![code, record])?;
    let rowid = tx.last_insert_rowid();
    put_row(tx, rowid, entry)
}

/// Puts the texts of `records` (table rowids of the kind `code`, newest first: the
/// backlog's order) in the index below every row, the newest the highest of them.
///
/// Written lowest first: FTS5 writes out the terms it holds whenever a row comes that is
/// not above the last one, so rows put in falling order cost a segment each, to be
/// merged again later.
pub(super) fn index_below(tx: &Transaction<'_>, code: i64, records: &[(i64, Entry)]) -> Result<()> {
    let lowest: i64 = tx
        .prepare_cached("SELECT coalesce(min(rowid), 0) FROM search_rows")?
        .query_row([], |r| r.get(0))?;
    for (n, (record, entry)) in records.iter().enumerate().rev() {
        let rowid = lowest - 1 - n as i64;
        tx.prepare_cached("INSERT INTO search_rows (rowid, kind, record) VALUES (?1, ?2, ?3)")?
            .execute(params![rowid, code, record])?;
        put_row(tx, rowid, entry)?;
    }
    Ok(())
}

/// The index row `rowid`'s text, in the whole index and, above its floor, the window.
fn put_row(tx: &Transaction<'_>, rowid: i64, entry: &Entry) -> Result<()> {
    tx.prepare_cached("INSERT INTO search (rowid, title, body) VALUES (?1, ?2, ?3)")?
        .execute(params![rowid, entry.title, entry.body])?;
    recent::add(tx, rowid, entry)
}

fn drop_row(tx: &Transaction<'_>, rowid: i64) -> Result<()> {
    tx.prepare_cached("DELETE FROM search WHERE rowid = ?1")?
        .execute([rowid])?;
    recent::remove(tx, rowid)?;
    tx.prepare_cached("DELETE FROM search_rows WHERE rowid = ?1")?
        .execute([rowid])?;
    Ok(())
}

/// Takes a record out of the index. Call it before the record's row is deleted: the
/// index refers to that row.
pub(crate) fn unindex(tx: &Transaction<'_>, kind: RecordKind, id: &str) -> Result<()> {
    if let Some((_, Some(rowid))) = row_of(tx, kind, id)? {
        drop_row(tx, rowid)?;
    }
    Ok(())
}

/// Puts a record (just written) in the index, above everything: kinds that are
/// searched.
pub(crate) fn index_record(tx: &Transaction<'_>, record: &SyncRecord) -> Result<()> {
    let (kind, id) = kind_and_id(record);
    if let (Some(entry), Some((_, code)), Some((row, old))) =
        (entry_of(record), indexed(kind), row_of(tx, kind, &id)?)
    {
        index_at(tx, code, row, old, &entry)?;
    }
    Ok(())
}

/// Indexes a record written without indexing if it was indexed before (a local action's
/// prediction during a walk), so the index never keeps an older text.
pub(crate) fn reindex_if_indexed(tx: &Transaction<'_>, record: &SyncRecord) -> Result<()> {
    let (kind, id) = kind_and_id(record);
    let Some((_, code)) = indexed(kind) else {
        return Ok(());
    };
    if let Some((row, Some(old))) = row_of(tx, kind, &id)?
        && let Some(entry) = entry_of(record)
    {
        index_at(tx, code, row, Some(old), &entry)?;
    }
    Ok(())
}

/// Whether the index holds any record: a cache filled by a first sync from empty holds
/// none until the walk ends (the backlog is indexed between sync rounds), so its pages
/// need not look each record up to re-index it.
pub(crate) fn holds_any(tx: &Transaction<'_>) -> Result<bool> {
    Ok(tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM search_rows)")?
        .query_row([], |r| r.get(0))?)
}

fn kind_and_id(record: &SyncRecord) -> (RecordKind, String) {
    match record {
        SyncRecord::Inquiry(i) => (RecordKind::Inquiry, i.id.to_string()),
        SyncRecord::Message(m) => (RecordKind::Message, m.id.to_string()),
        SyncRecord::Order(o) => (RecordKind::Order, o.order.id.to_string()),
        SyncRecord::Payment(p) => (RecordKind::Payment, p.id.to_string()),
        SyncRecord::Document(d) => (RecordKind::Document, d.id.to_string()),
        SyncRecord::OrderHistory(h) => (RecordKind::OrderHistory, h.order.to_string()),
        SyncRecord::Quotation(q) => (RecordKind::Quotation, q.id.to_string()),
        SyncRecord::UnreadCounts(_) => (RecordKind::UnreadCounts, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use trade_model::InquiryId;
    use trade_model::sync::Change;
    use trade_model::{AccountId, MessageId};

    /// `changes` as a first sync's walk brings them.
    fn walk(changes: &[Change]) -> Vec<crate::store::WalkChange> {
        changes
            .iter()
            .map(|c| crate::store::WalkChange::of(c).expect("encodes"))
            .collect()
    }

    use super::super::super::LocalStore;
    use super::super::SearchCoverage;
    use super::*;

    fn message(inquiry: InquiryId, body: &str, minute: i64) -> Change {
        let m = trade_model::entities::Message {
            id: MessageId::new(),
            inquiry,
            sender: AccountId::new(),
            sender_name: "Li".into(),
            body: body.into(),
            attachments: Vec::new(),
            sent_at: jiff::Timestamp::from_second(1_800_000_000 + minute * 60)
                .expect("a valid time"),
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

    fn found(store: &LocalStore, q: &str) -> Vec<String> {
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
        let fts = super::super::terms_of(q)
            .iter()
            .map(|t| format!("\"{t}\"*"))
            .collect::<Vec<_>>()
            .join(" ");
        let mut stmt = conn
            .prepare(
                "SELECT m.id FROM search JOIN search_rows r ON r.rowid = search.rowid \
                 JOIN messages m ON m.rowid = r.record AND r.kind = 2 \
                 WHERE search MATCH ?1 ORDER BY search.rowid DESC LIMIT ?2",
            )
            .expect("prepares");
        stmt.query_map(params![fts, limit as i64], |r| r.get(0))
            .expect("queries")
            .collect::<rusqlite::Result<_>>()
            .expect("reads")
    }

    /// The window's rows, and the index rows above its floor: equal by the invariant.
    fn window(store: &LocalStore) -> (Vec<i64>, Vec<i64>) {
        let conn = store.conn();
        let floor = recent::floor(&conn).expect("reads the floor");
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
                "SELECT rowid FROM search_rows WHERE rowid > ?1 ORDER BY rowid",
                &[&floor],
            ),
        )
    }

    fn assert_searches_as_the_whole(store: &LocalStore, step: &str) {
        let (recent, above_floor) = window(store);
        assert_eq!(
            recent, above_floor,
            "{step}: the window is the rows above its floor"
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

        // New messages go on top, one page each: the window moves up, trimmed from below,
        // never more than twice its size and a step.
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
            !window(&store).0.contains(&1),
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
}
