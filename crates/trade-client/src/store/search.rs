//! Full-text search over the cache (inquiries, messages, orders) and the index behind it.
//!
//! The index (`search`, FTS5) keeps no copy of the text: the text lives once, in the
//! records, and a hit's title and snippet are cut from its record. `search_rows` maps an
//! index row to its record (kind code and the record's rowid in its table). Index rows
//! are numbered densely (the index stores the gaps between them: small numbers keep it
//! small) so that lower is newer: a record indexed as it is written takes the next
//! number down; the backlog, indexed newest first, takes the next number up (why this
//! way round: `search/index.rs`). Hits are read lowest first, so the index stops after
//! `limit` of them.
//!
//! Except for a prefix term (every typed word is one): FTS5 reads the whole list of rows
//! that match it before it can stop, 16 ms for a word in half of 1.1 million records
//! (bench-reports/client-sync.md). So the newest rows are indexed once more, in
//! `search_recent` (about 50,000 rows), and a search reads that first: a common word
//! fills its page there, and only the hits it leaves are looked for in the rest, from
//! the window's ceiling up, where a word that is rare lately has a short list.
//!
//! The index is written and its backlog run in `search/index.rs`.

mod backlog;
mod index;
#[cfg(test)]
mod index_tests;
#[cfg(test)]
pub(crate) use index_tests::found;
#[cfg(test)]
mod migrated_tests;
mod recent;

pub use recent::RECENT_ROWS;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use trade_model::InquiryId;
use trade_model::sync::SyncRecord;

use super::LocalStore;
use crate::error::Result;
use backlog::{direction, mark, refill_mark, unpassed};
use index::{INDEXED, entry_of};
pub(crate) use index::{holds_any, index_record, reindex_if_indexed, unindex};

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
        // The newest rows first, from their own small index: a common word fills the
        // page there. The rest of the index only for what they leave to find.
        let ceiling = recent::ceiling(&conn)?;
        let mut found = hits_in(&conn, "search_recent", &fts, limit, i64::MIN)?;
        if found.len() < limit {
            found.extend(hits_in(
                &conn,
                "search",
                &fts,
                limit - found.len(),
                ceiling,
            )?);
        }
        let mut hits = Vec::with_capacity(found.len());
        for (code, row) in found {
            let Some(&(kind, table, _)) = INDEXED.iter().find(|(_, _, c)| *c == code) else {
                continue;
            };
            let stored: Option<(String, String)> = conn
                .prepare_cached(&format!(
                    "SELECT {}, {} FROM {table} WHERE rowid = ?1",
                    super::columns::id_of(table),
                    super::columns::json_of(table)
                ))?
                .query_row([row], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((id, data)) = stored else { continue };
            let Some(record) = super::apply::parse_record(kind, &data) else {
                continue;
            };
            let Some(entry) = entry_of(&record) else {
                continue;
            };
            let inquiry = match &record {
                SyncRecord::Inquiry(i) => Some(i.id),
                SyncRecord::Message(m) => Some(m.inquiry),
                _ => None,
            };
            hits.push(SearchHit {
                kind: kind.as_str().to_owned(),
                id,
                snippet: snippet(&entry.body, &terms, 12),
                title: entry.title,
                inquiry,
            });
        }
        Ok(SearchResults { hits, indexing })
    }

    /// How much of the cache is indexed, while some of it is not (`None` once all is).
    pub fn search_coverage(&self) -> Result<Option<SearchCoverage>> {
        coverage(&self.conn())
    }
}

/// Up to `limit` hits of the FTS5 query `fts` in the index `table` (`search` or
/// `search_recent`) at index rows from `from` up, lowest (newest) first: (kind code,
/// record rowid) each.
fn hits_in(
    conn: &Connection,
    table: &str,
    fts: &str,
    limit: usize,
    from: i64,
) -> Result<Vec<(i64, i64)>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT r.kind, r.record FROM {table} JOIN search_rows r ON r.rowid = {table}.rowid \
             WHERE {table} MATCH ?1 AND {table}.rowid >= ?3 ORDER BY {table}.rowid LIMIT ?2"
        ))?
        .query_map(params![fts, limit as i64, from], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?)
}

fn coverage(conn: &Connection) -> Result<Option<SearchCoverage>> {
    let direction = direction(conn)?;
    let (condition, _) = unpassed(direction);
    let mut waiting = 0;
    for (_, name, _) in INDEXED {
        let from = mark(conn, name, direction)?;
        let n: i64 = conn
            .prepare_cached(&format!("SELECT count(*) FROM {name} WHERE {condition}"))?
            .query_row([from], |r| r.get(0))?;
        waiting += n;
    }
    // Rows of the refill: mapped, not in the index yet.
    let refilling: i64 = match refill_mark(conn)? {
        Some(mark) => conn
            .prepare_cached("SELECT count(*) FROM search_rows WHERE rowid > ?1")?
            .query_row([mark], |r| r.get(0))?,
        None => 0,
    };
    waiting += refilling;
    if waiting == 0 {
        return Ok(None);
    }
    let mapped: i64 = conn
        .prepare_cached("SELECT count(*) FROM search_rows")?
        .query_row([], |r| r.get(0))?;
    let indexed = mapped - refilling;
    Ok(Some(SearchCoverage {
        indexed,
        total: indexed + waiting,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
