//! Full-text search over the cache (inquiries, messages, orders) and the index behind it.
//!
//! The index (`search`, FTS5) keeps no copy of the text: the text lives once, in the
//! records, and a hit's title and snippet are cut from its record. `search_rows` maps an
//! index row to its record. An index row's id is its record's time key (see [`key`]), so
//! hits come newest first and the index stops after `limit` of them.
//!
//! A first sync writes records without indexing them (a row of FTS5 costs more than the
//! record's own row); the backlog is indexed afterwards, newest first, in short
//! transactions ([`LocalStore::index_backlog`]), and a search says how far that got.
//! Records changed by later pages and by local actions are indexed as they are written.
//!
//! Invariant: for each indexed table, every record whose table rowid is at most the
//! table's mark (meta `search_mark:<table>`) is in the index. Records above the mark are
//! the backlog; those already in `search_rows` (indexed as a later page changed them) are
//! skipped when the backlog reaches them. A walk writes only into a fresh cache, where
//! the marks are 0, and the backlog waits until it ends.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use trade_model::InquiryId;
use trade_model::sync::{RecordKind, SyncRecord};

use super::LocalStore;
use super::apply::load;
use crate::error::Result;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchHit {
    /// `message`, `inquiry` or `order`.
    pub kind: String,
    pub id: String,
    pub title: String,
    /// The matching text with the match between `[` and `]` (plain text).
    pub snippet: String,
    /// The thread to open: the inquiry itself, or a message's inquiry (none for orders).
    pub inquiry: Option<InquiryId>,
}

/// What a search found, and how much of the cache it could look at.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Set while records are still waiting to be indexed (after a first sync): the hits
    /// come from the indexed part only.
    pub indexing: Option<SearchCoverage>,
}

/// How many of the cache's searchable records are in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchCoverage {
    pub indexed: i64,
    pub total: i64,
}

/// The tables the index covers, in the order the backlog takes them (inquiries first:
/// they are few and are what a buyer looks for most).
const INDEXED: [(RecordKind, &str); 3] = [
    (RecordKind::Inquiry, "inquiries"),
    (RecordKind::Message, "messages"),
    (RecordKind::Order, "orders"),
];

/// What the index holds for a record.
pub(crate) struct Entry {
    /// When the record last changed (milliseconds): its place in the newest-first order.
    at: i64,
    title: String,
    body: String,
}

/// The indexed text of a record; `None` for kinds that are not searched.
pub(crate) fn entry_of(record: &SyncRecord) -> Option<Entry> {
    match record {
        SyncRecord::Inquiry(i) => Some(Entry {
            at: i.last_message_at.as_millisecond(),
            title: i.product.clone(),
            body: format!(
                "{} {} {}",
                i.supplier_name, i.supplier_company, i.last_message_preview
            ),
        }),
        SyncRecord::Message(m) => Some(Entry {
            at: m.sent_at.as_millisecond(),
            title: m.sender_name.clone(),
            body: m.body.clone(),
        }),
        SyncRecord::Order(o) => Some(Entry {
            at: o.order.updated_at.as_millisecond(),
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

/// The index row id for a record changed at `at`: the time in the high bits, a hash of
/// the record's id in the low 20 (records of the same millisecond rarely meet; when they
/// do, [`index`] takes the next free id).
fn key(at: i64, id: &str) -> i64 {
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (at.max(0) << 20) | (hash & 0xF_FFFF) as i64
}

/// The index row of a record, if it is indexed.
fn row_of(tx: &Connection, kind: &str, id: &str) -> Result<Option<i64>> {
    Ok(tx
        .prepare_cached("SELECT rowid FROM search_rows WHERE kind = ?1 AND record_id = ?2")?
        .query_row(params![kind, id], |r| r.get(0))
        .optional()?)
}

/// Puts a record's text in the index, replacing what it had there.
fn index(tx: &Transaction<'_>, kind: &str, id: &str, entry: &Entry) -> Result<()> {
    unindex(tx, kind, id)?;
    let mut rowid = key(entry.at, id);
    // Ids only collide within one millisecond, and then on a 20-bit hash: a few steps.
    while tx
        .prepare_cached(
            "INSERT OR IGNORE INTO search_rows (rowid, kind, record_id) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![rowid, kind, id])?
        == 0
    {
        rowid = rowid.wrapping_add(1);
    }
    tx.prepare_cached("INSERT INTO search (rowid, title, body) VALUES (?1, ?2, ?3)")?
        .execute(params![rowid, entry.title, entry.body])?;
    Ok(())
}

/// Takes a record out of the index.
pub(crate) fn unindex(tx: &Transaction<'_>, kind: &str, id: &str) -> Result<()> {
    if let Some(rowid) = row_of(tx, kind, id)? {
        tx.prepare_cached("DELETE FROM search WHERE rowid = ?1")?
            .execute([rowid])?;
        tx.prepare_cached("DELETE FROM search_rows WHERE rowid = ?1")?
            .execute([rowid])?;
    }
    Ok(())
}

/// Puts a record in the index (kinds that are searched), replacing what it had there.
pub(crate) fn index_record(tx: &Transaction<'_>, record: &SyncRecord) -> Result<()> {
    if let Some(entry) = entry_of(record) {
        let (kind, id) = kind_and_id(record);
        index(tx, kind.as_str(), &id, &entry)?;
    }
    Ok(())
}

/// Indexes a record written without indexing if it was indexed before (a local action's
/// prediction during a walk), so the index never keeps an older text.
pub(crate) fn reindex_if_indexed(tx: &Transaction<'_>, record: &SyncRecord) -> Result<()> {
    if let Some(entry) = entry_of(record) {
        let (kind, id) = kind_and_id(record);
        if row_of(tx, kind.as_str(), &id)?.is_some() {
            index(tx, kind.as_str(), &id, &entry)?;
        }
    }
    Ok(())
}

fn kind_and_id(record: &SyncRecord) -> (RecordKind, String) {
    match record {
        SyncRecord::Inquiry(i) => (RecordKind::Inquiry, i.id.to_string()),
        SyncRecord::Message(m) => (RecordKind::Message, m.id.to_string()),
        SyncRecord::Order(o) => (RecordKind::Order, o.order.id.to_string()),
        SyncRecord::Payment(p) => (RecordKind::Payment, p.id.to_string()),
        SyncRecord::Document(d) => (RecordKind::Document, d.id.to_string()),
        SyncRecord::OrderHistory(h) => (RecordKind::OrderHistory, h.order.to_string()),
        SyncRecord::UnreadCounts(_) => (RecordKind::UnreadCounts, String::new()),
    }
}

fn mark_key(table: &str) -> String {
    format!("search_mark:{table}")
}

fn mark(conn: &Connection, table: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?1")?
        .query_row([mark_key(table)], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Whether a first sync's walk is under way (or has not started): the backlog waits for
/// it, so that no walked record can land below a mark unindexed.
fn walk_under_way(conn: &Connection) -> Result<bool> {
    let cursor: Option<String> = conn
        .prepare_cached("SELECT value FROM meta WHERE key = 'cursor'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    let walk: Option<String> = conn
        .prepare_cached("SELECT value FROM meta WHERE key = 'snapshot_cursor'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(cursor.unwrap_or_default().is_empty() || walk.is_some_and(|w| !w.is_empty()))
}

/// Turns the words a user typed into an FTS5 query: each word a quoted prefix term, so
/// nothing typed is read as query syntax.
fn terms_of(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The part of `text` around its first word that starts with one of `terms` (lowercase),
/// at most `words` words, every matching word between `[` and `]`, `…` where text was
/// cut. Without a match, the text's first words.
pub(crate) fn snippet(text: &str, terms: &[String], words: usize) -> String {
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                tokens.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        tokens.push((s, text.len()));
    }
    let matches = |&(s, e): &(usize, usize)| {
        let word = text[s..e].to_lowercase();
        terms.iter().any(|t| word.starts_with(t.as_str()))
    };
    let first = tokens.iter().position(matches).unwrap_or(0);
    // A little context before the match, as much as fits after it.
    let from = first
        .saturating_sub(2)
        .min(tokens.len().saturating_sub(words));
    let to = (from + words).min(tokens.len());
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let mut at = if from == 0 { 0 } else { tokens[from].0 };
    for t in &tokens[from..to] {
        out.push_str(&text[at..t.0]);
        if matches(t) {
            out.push('[');
            out.push_str(&text[t.0..t.1]);
            out.push(']');
        } else {
            out.push_str(&text[t.0..t.1]);
        }
        at = t.1;
    }
    if to < tokens.len() {
        out.push('…');
    } else {
        out.push_str(&text[at..]);
    }
    out
}

impl LocalStore {
    /// Full-text search over messages, inquiries and orders, newest first. The query is
    /// taken as words (each a prefix), never as FTS syntax, so any text the user types is
    /// safe. Newest first (by index row) rather than by relevance: the index can stop after
    /// `limit` hits, where ranking must score every match (half a second for a word in
    /// 500,000 messages; see bench-reports/client-sync.md).
    pub fn search(&self, query: &str, limit: usize) -> Result<SearchResults> {
        let terms = terms_of(query);
        let conn = self.conn();
        let indexing = coverage(&conn)?;
        if terms.is_empty() {
            return Ok(SearchResults {
                hits: Vec::new(),
                indexing,
            });
        }
        let fts = terms
            .iter()
            .map(|t| format!("\"{}\"*", t.replace('"', "")))
            .collect::<Vec<_>>()
            .join(" ");
        let found: Vec<(String, String)> = conn
            .prepare_cached(
                "SELECT r.kind, r.record_id FROM search JOIN search_rows r ON r.rowid = search.rowid \
                 WHERE search MATCH ?1 ORDER BY search.rowid DESC LIMIT ?2",
            )?
            .query_map(params![fts, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut hits = Vec::with_capacity(found.len());
        for (kind, id) in found {
            let Some(record) =
                RecordKind::parse(&kind).and_then(|k| load(&conn, k, &id).transpose())
            else {
                continue;
            };
            let record = record?;
            let Some(entry) = entry_of(&record) else {
                continue;
            };
            let inquiry = match &record {
                SyncRecord::Inquiry(i) => Some(i.id),
                SyncRecord::Message(m) => Some(m.inquiry),
                _ => None,
            };
            hits.push(SearchHit {
                kind,
                id,
                snippet: snippet(&entry.body, &terms, 12),
                title: entry.title,
                inquiry,
            });
        }
        Ok(SearchResults { hits, indexing })
    }

    /// Indexes up to about `limit` records of the backlog in one transaction, newest
    /// first; returns how many it took (0: nothing waits, or a first sync's walk is under
    /// way and the backlog waits for it).
    pub fn index_backlog(&self, limit: usize) -> Result<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if walk_under_way(&tx)? {
            return Ok(0);
        }
        let mut taken = 0;
        for (kind, name) in INDEXED {
            if taken >= limit {
                break;
            }
            let from = mark(&tx, name)?;
            let rows: Vec<(i64, String, String)> = tx
                .prepare_cached(&format!(
                    "SELECT rowid, id, data FROM {name} WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
                ))?
                .query_map(params![from, (limit - taken) as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let Some(&(last, _, _)) = rows.last() else {
                continue;
            };
            for (_, id, data) in &rows {
                if row_of(&tx, kind.as_str(), id)?.is_some() {
                    continue;
                }
                // A row that does not parse has no text to index; the rest goes on.
                if let Some(entry) = super::apply::parse_record(kind, data)
                    .as_ref()
                    .and_then(entry_of)
                {
                    index(&tx, kind.as_str(), id, &entry)?;
                }
            }
            tx.prepare_cached(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![mark_key(name), last.to_string()])?;
            taken += rows.len();
        }
        tx.commit()?;
        Ok(taken)
    }

    /// How much of the cache is indexed, while some of it is not (`None` once all is).
    pub fn search_coverage(&self) -> Result<Option<SearchCoverage>> {
        coverage(&self.conn())
    }
}

fn coverage(conn: &Connection) -> Result<Option<SearchCoverage>> {
    let mut waiting = 0;
    for (_, name) in INDEXED {
        let from = mark(conn, name)?;
        let n: i64 = conn
            .prepare_cached(&format!("SELECT count(*) FROM {name} WHERE rowid > ?1"))?
            .query_row([from], |r| r.get(0))?;
        waiting += n;
    }
    if waiting == 0 {
        return Ok(None);
    }
    let indexed: i64 = conn
        .prepare_cached("SELECT count(*) FROM search_rows")?
        .query_row([], |r| r.get(0))?;
    Ok(Some(SearchCoverage {
        indexed,
        total: indexed + waiting,
    }))
}

#[cfg(test)]
mod tests {
    use trade_model::sync::Change;
    use trade_model::{AccountId, MessageId};

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
            .apply_snapshot_page(&walked[..3], "w1", "feed", false, now)
            .expect("applies");
        // Mid-walk nothing is indexed, and the backlog waits for the walk.
        assert_eq!(store.index_backlog(10).expect("indexes"), 0);
        store
            .apply_snapshot_page(&walked[3..], "w2", "feed", true, now)
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

        // Each record once, newest first; the removed one not at all.
        let ids = |changes: &[&Change]| changes.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(
            found(&store, "valve"),
            ids(&[&walked[0], &walked[1], &walked[2], &walked[4]])
        );
        assert_eq!(found(&store, "corrected"), ids(&[&walked[4]]));
        let hits = store.search("correct", 10).expect("searches").hits;
        assert_eq!(hits[0].snippet, "valve offer 1, [corrected]");
        assert_eq!(hits[0].inquiry, Some(thread));
    }

    #[test]
    fn a_cache_from_before_migration_7_is_indexed_again_by_the_backlog() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("cache.sqlite3");
        let thread = InquiryId::new();
        let old = message(thread, "stainless valve", 1);
        {
            let mut conn = Connection::open(&path).expect("opens");
            super::super::migrate::run(&mut conn, &super::super::migrate::MIGRATIONS[..6])
                .expect("migrates to 6");
            let Some(SyncRecord::Message(m)) = &old.record else {
                unreachable!("a message change")
            };
            conn.execute(
                "INSERT INTO messages (id, inquiry_id, sent_at, state, data) \
                 VALUES (?1, ?2, ?3, 'synced', ?4)",
                params![
                    old.id,
                    thread.to_string(),
                    m.sent_at.as_millisecond(),
                    serde_json::to_string(m).expect("serialises")
                ],
            )
            .expect("inserts");
            conn.execute(
                "INSERT INTO search (kind, record_id, title, body) VALUES ('message', ?1, 'Li', 'stainless valve')",
                [&old.id],
            )
            .expect("indexes the old way");
            conn.execute("INSERT INTO meta (key, value) VALUES ('cursor', 'c9')", [])
                .expect("a synced cache");
        }
        let store = LocalStore::open(&path).expect("opens and migrates");
        assert_eq!(
            store.search_coverage().expect("counts"),
            Some(SearchCoverage {
                indexed: 0,
                total: 1
            })
        );
        while store.index_backlog(100).expect("indexes") > 0 {}
        assert_eq!(found(&store, "stainless"), vec![old.id]);
    }

    fn terms(q: &str) -> Vec<String> {
        terms_of(q)
    }

    #[test]
    fn a_snippet_marks_the_words_that_start_with_a_term_and_cuts_around_the_first() {
        let text = "We can ship the stainless valves in May; stock is limited, so order soon.";
        assert_eq!(
            snippet(text, &terms("limit"), 5),
            "…stock is [limited], so order…"
        );
        assert_eq!(
            snippet(text, &terms("VALVE we"), 6),
            "[We] can ship the stainless [valves]…"
        );
        // All of a short text, with what follows the last word.
        assert_eq!(snippet("Price?", &terms("price"), 12), "[Price]?");
        // No match (a hit on the title): the first words.
        assert_eq!(snippet("one two three", &terms("zzz"), 2), "one two…");
        assert_eq!(snippet("", &terms("a"), 12), "");
        // Words of any script, cut on character boundaries.
        assert_eq!(snippet("价格 是 多少", &terms("是"), 12), "价格 [是] 多少");
    }

    #[test]
    fn keys_order_by_time_and_differ_for_records_of_the_same_millisecond() {
        assert!(key(2, "a") > key(1, "z"));
        assert_ne!(key(5, "a"), key(5, "b"));
        assert_eq!(key(-3, "a") >> 20, 0);
    }
}
