//! The search index's writing side: what each record puts in it and its rows (numbered
//! densely, lower is newer). Records changed by later pages and by local actions are
//! indexed as they are written; what a first sync wrote is indexed behind it, by the
//! backlog in `search/backlog.rs`. The newest rows are indexed a second time, in the
//! window `search/recent.rs` keeps.
//!
//! Why lower is newer: the backlog writes most of the rows (a first sync's, newest first)
//! and each of its rows is older than the last, so it numbers them upwards, and every row
//! it writes to `search_rows` and to FTS5's `search_docsize` (both keyed by the index
//! row) is appended and fills its page. Numbered downwards they went in at the left of
//! each b-tree, where SQLite splits pages in halves: on the bench's cache both were half
//! empty (42 MiB each where 16 hold them, bench-reports/client-sync.md). Rows written as
//! records change take the next number down; there are few of them at a time.
//!
//! Rows are numbered from [`ORIGIN`] (positive and small: a rowid from 2^21 to 2^28 is a
//! 4-byte key, a negative one 9 bytes).

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use trade_model::sync::{RecordKind, SyncRecord};

use super::recent;
use crate::error::Result;

/// Where index rows are numbered from: the backlog up from it, records written as they
/// change down from just below it.
pub(crate) const ORIGIN: i64 = 1 << 27;

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

/// The indexed text of the rows of `table` that `tail` (the rest of a SELECT, after its
/// FROM) selects, with their rowids: a message's or an inquiry's read from its columns
/// (the title and body [`entry_of`] makes), any other record's cut from its JSON. `None`
/// for a row whose JSON does not parse: it has no text to index.
pub(super) fn stored_entries(
    tx: &Connection,
    kind: RecordKind,
    table: &str,
    tail: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<(i64, Option<Entry>)>> {
    // Title and body as `entry_of` makes them, from the columns of a row that has them.
    let from_columns = match kind {
        RecordKind::Message => Some("sender_name, body"),
        RecordKind::Inquiry => {
            Some("product, supplier_name || ' ' || supplier_company || ' ' || last_message_preview")
        }
        _ => None,
    };
    let mut stmt = match from_columns {
        Some(columns) => {
            tx.prepare_cached(&format!("SELECT rowid, {columns} FROM {table} {tail}"))?
        }
        None => tx.prepare_cached(&format!(
            "SELECT rowid, {} FROM {table} {tail}",
            crate::store::json_of(table)
        ))?,
    };
    let rows = stmt.query_map(params, |r| {
        let row: i64 = r.get(0)?;
        Ok(if from_columns.is_some() {
            (
                row,
                Some(Entry {
                    title: r.get(1)?,
                    body: r.get(2)?,
                }),
            )
        } else {
            let data: String = r.get(1)?;
            (
                row,
                crate::store::apply::parse_record(kind, &data)
                    .as_ref()
                    .and_then(entry_of),
            )
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The indexed text of the record at `record` (its table rowid) of the kind `code`, read
/// from the stored record: `None` if there is no such record or it has no text.
pub(super) fn stored_entry(tx: &Connection, code: i64, record: i64) -> Result<Option<Entry>> {
    let Some(&(kind, table, _)) = INDEXED.iter().find(|(_, _, c)| *c == code) else {
        return Ok(None);
    };
    Ok(
        stored_entries(tx, kind, table, "WHERE rowid = ?1", [record])?
            .pop()
            .and_then(|(_, entry)| entry),
    )
}

/// A record's table rowid and its index row, if it is indexed.
fn row_of(tx: &Connection, kind: RecordKind, id: &str) -> Result<Option<(i64, Option<i64>)>> {
    let Some((table, code)) = indexed(kind) else {
        return Ok(None);
    };
    Ok(tx
        .prepare_cached(&format!(
            "SELECT t.rowid, s.rowid FROM {table} t \
             LEFT JOIN search_rows s ON s.kind = ?1 AND s.record = t.rowid WHERE t.id = {}",
            crate::store::columns::id_param(table, 2)
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

/// Puts the text of the record at `record` (its table rowid) in the index below every
/// row (the newest: a record written now), replacing its index row `old` if it has one.
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
         SELECT coalesce(min(rowid), ?3) - 1, ?1, ?2 FROM search_rows",
    )?
    .execute(params![code, record, ORIGIN])?;
    let rowid = tx.last_insert_rowid();
    put_row(tx, rowid, entry)
}

/// Puts the texts of `records` (table rowids of the kind `code`, newest first: the
/// backlog's order) in the index above every row (older than all indexed), the newest
/// the lowest of them. Rows go in rising order, as FTS5 and the b-trees take them best
/// (FTS5 writes out the terms it holds whenever a row comes that is not above the last).
pub(super) fn index_older(tx: &Transaction<'_>, code: i64, records: &[(i64, Entry)]) -> Result<()> {
    let first: i64 = tx
        .prepare_cached("SELECT coalesce(max(rowid) + 1, ?1) FROM search_rows")?
        .query_row([ORIGIN], |r| r.get(0))?;
    for (n, (record, entry)) in records.iter().enumerate() {
        let rowid = first + n as i64;
        tx.prepare_cached("INSERT INTO search_rows (rowid, kind, record) VALUES (?1, ?2, ?3)")?
            .execute(params![rowid, code, record])?;
        put_row(tx, rowid, entry)?;
    }
    Ok(())
}

/// The index row `rowid`'s text, in the whole index and, below its ceiling, the window.
pub(super) fn put_row(tx: &Transaction<'_>, rowid: i64, entry: &Entry) -> Result<()> {
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

/// Puts a record (just written) in the index as the newest: kinds that are searched.
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
