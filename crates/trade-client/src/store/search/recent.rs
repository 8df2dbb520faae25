//! The window of the newest index rows: `search_recent`, a second FTS5 index that holds
//! exactly the rows of the whole index above meta `search_recent_floor` (invariant), so
//! that a search can answer a common word from the newest rows alone (see `search.rs`).
//!
//! A row written above the floor goes in both indexes ([`add`]); a row dropped above it
//! leaves both ([`remove`]). The window is kept near [`RECENT_ROWS`] rows: extended
//! downwards in steps once the backlog is done ([`extend`]), and trimmed from below as
//! new rows go on top.

use rusqlite::{Connection, Transaction, params};

use super::super::apply::{meta_on, put_meta};
use super::index::{Entry, INDEXED, stored_entries};
use crate::error::Result;

/// How many of the newest index rows `search_recent` holds (between this and twice this:
/// it is trimmed from below in small steps as rows go on top). Meta `search_recent_rows`
/// sets another size (the tests' small windows).
pub const RECENT_ROWS: i64 = 50_000;

/// Index rows above this are in `search_recent` too; `i64::MAX` (none) if unset.
pub(super) fn floor(conn: &Connection) -> Result<i64> {
    Ok(meta_on(conn, "search_recent_floor")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(i64::MAX))
}

fn size(conn: &Connection) -> Result<i64> {
    Ok(meta_on(conn, "search_recent_rows")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(RECENT_ROWS))
}

/// Puts the index row `rowid` with `entry` in the window if it is above the floor.
pub(super) fn add(tx: &Transaction<'_>, rowid: i64, entry: &Entry) -> Result<()> {
    let floor = floor(tx)?;
    if rowid > floor {
        tx.prepare_cached("INSERT INTO search_recent (rowid, title, body) VALUES (?1, ?2, ?3)")?
            .execute(params![rowid, entry.title, entry.body])?;
        // Two rows out from below for each one in on top keeps the window near its size,
        // a little at a time.
        if rowid.saturating_sub(floor) > 2 * size(tx)? {
            trim(tx, floor, 2)?;
        }
    }
    Ok(())
}

/// Takes the index row `rowid` out of the window if it is there (above the floor).
pub(super) fn remove(tx: &Transaction<'_>, rowid: i64) -> Result<()> {
    if rowid > floor(tx)? {
        tx.prepare_cached("DELETE FROM search_recent WHERE rowid = ?1")?
            .execute([rowid])?;
    }
    Ok(())
}

/// Takes the `n` lowest rows out of `search_recent` and raises its floor past them.
fn trim(tx: &Transaction<'_>, floor: i64, n: i64) -> Result<()> {
    let lowest: Vec<i64> = tx
        .prepare_cached("SELECT rowid FROM search_rows WHERE rowid > ?1 ORDER BY rowid LIMIT ?2")?
        .query_map(params![floor, n], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for rowid in &lowest {
        tx.prepare_cached("DELETE FROM search_recent WHERE rowid = ?1")?
            .execute([rowid])?;
    }
    if let Some(last) = lowest.last() {
        put_meta(tx, "search_recent_floor", &last.to_string())?;
    }
    Ok(())
}

/// Puts up to `limit` index rows just below the floor of `search_recent` in it, newest
/// first, while it holds fewer than its size; returns how many it put in.
pub(super) fn extend(tx: &Transaction<'_>, limit: usize) -> Result<usize> {
    let floor = floor(tx)?;
    let top: Option<i64> = tx
        .prepare_cached("SELECT max(rowid) FROM search_rows")?
        .query_row([], |r| r.get(0))?;
    let Some(top) = top else {
        return Ok(0);
    };
    // The window's lowest row is above this.
    let target = top.saturating_sub(size(tx)?);
    if floor <= target || floor == i64::MAX {
        return Ok(0);
    }
    let rows: Vec<(i64, i64, i64)> = tx
        .prepare_cached(
            "SELECT rowid, kind, record FROM search_rows WHERE rowid <= ?1 AND rowid > ?2 \
             ORDER BY rowid DESC LIMIT ?3",
        )?
        .query_map(params![floor, target, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    // Lowest first: FTS5 writes out what it holds whenever a row is not above the last
    // (see index::index_below).
    for &(rowid, code, record) in rows.iter().rev() {
        let Some(&(kind, table, _)) = INDEXED.iter().find(|(_, _, c)| *c == code) else {
            continue;
        };
        // The same text the whole index got: both are read from the stored record.
        if let Some((_, Some(entry))) =
            stored_entries(tx, kind, table, "WHERE rowid = ?1", [record])?.pop()
        {
            tx.prepare_cached(
                "INSERT INTO search_recent (rowid, title, body) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![rowid, entry.title, entry.body])?;
        }
    }
    let new_floor = match rows.last() {
        Some(&(lowest, _, _)) if rows.len() == limit => lowest - 1,
        _ => target,
    };
    put_meta(tx, "search_recent_floor", &new_floor.to_string())?;
    Ok(rows.len())
}
