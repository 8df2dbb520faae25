//! The window of the newest index rows: `search_recent`, a second FTS5 index that holds
//! exactly the rows of the whole index below meta `search_recent_ceiling` (invariant;
//! lower rows are newer), so that a search can answer a common word from the newest rows
//! alone (see `search.rs`).
//!
//! A row written below the ceiling goes in both indexes ([`add`]); a row dropped below it
//! leaves both ([`remove`]). The window is kept near [`RECENT_ROWS`] rows: extended
//! upwards in steps once the backlog is done ([`extend`]), and trimmed from above as new
//! rows go in below.

use rusqlite::{Connection, Transaction, params};

use super::super::apply::{meta_on, put_meta};
use super::index::{Entry, stored_entry};
use crate::error::Result;

/// How many of the newest index rows `search_recent` holds (between this and twice this:
/// it is trimmed from above in small steps as rows go in below). Meta
/// `search_recent_rows` sets another size (the tests' small windows).
pub const RECENT_ROWS: i64 = 50_000;

/// Index rows below this are in `search_recent` too; `i64::MIN` (none) if unset.
pub(super) fn ceiling(conn: &Connection) -> Result<i64> {
    Ok(meta_on(conn, "search_recent_ceiling")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(i64::MIN))
}

fn size(conn: &Connection) -> Result<i64> {
    Ok(meta_on(conn, "search_recent_rows")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(RECENT_ROWS))
}

/// Puts the index row `rowid` with `entry` in the window if it is below the ceiling.
pub(super) fn add(tx: &Transaction<'_>, rowid: i64, entry: &Entry) -> Result<()> {
    let ceiling = ceiling(tx)?;
    if rowid < ceiling {
        tx.prepare_cached("INSERT INTO search_recent (rowid, title, body) VALUES (?1, ?2, ?3)")?
            .execute(params![rowid, entry.title, entry.body])?;
        // Two rows out from above for each one in below keeps the window near its size,
        // a little at a time.
        if ceiling.saturating_sub(rowid) > 2 * size(tx)? {
            trim(tx, ceiling, 2)?;
        }
    }
    Ok(())
}

/// Takes the index row `rowid` out of the window if it is there (below the ceiling).
pub(super) fn remove(tx: &Transaction<'_>, rowid: i64) -> Result<()> {
    if rowid < ceiling(tx)? {
        tx.prepare_cached("DELETE FROM search_recent WHERE rowid = ?1")?
            .execute([rowid])?;
    }
    Ok(())
}

/// Takes the `n` highest (oldest) rows out of `search_recent` and lowers its ceiling
/// past them.
fn trim(tx: &Transaction<'_>, ceiling: i64, n: i64) -> Result<()> {
    let highest: Vec<i64> = tx
        .prepare_cached(
            "SELECT rowid FROM search_rows WHERE rowid < ?1 ORDER BY rowid DESC LIMIT ?2",
        )?
        .query_map(params![ceiling, n], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for rowid in &highest {
        tx.prepare_cached("DELETE FROM search_recent WHERE rowid = ?1")?
            .execute([rowid])?;
    }
    if let Some(last) = highest.last() {
        put_meta(tx, "search_recent_ceiling", &last.to_string())?;
    }
    Ok(())
}

/// Puts up to `limit` index rows from the ceiling of `search_recent` up in it, newest
/// first, while it holds fewer than its size; returns how many it put in.
pub(super) fn extend(tx: &Transaction<'_>, limit: usize) -> Result<usize> {
    let ceiling = ceiling(tx)?;
    let bottom: Option<i64> = tx
        .prepare_cached("SELECT min(rowid) FROM search_rows")?
        .query_row([], |r| r.get(0))?;
    let Some(bottom) = bottom else {
        return Ok(0);
    };
    // The window's highest row is below this.
    let target = bottom.saturating_add(size(tx)?);
    if ceiling >= target || ceiling == i64::MIN {
        return Ok(0);
    }
    let rows: Vec<(i64, i64, i64)> = tx
        .prepare_cached(
            "SELECT rowid, kind, record FROM search_rows WHERE rowid >= ?1 AND rowid < ?2 \
             ORDER BY rowid LIMIT ?3",
        )?
        .query_map(params![ceiling, target, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    // In rising order, as FTS5 takes rows best (see index::index_older).
    for &(rowid, code, record) in &rows {
        // The same text the whole index got: both are read from the stored record.
        if let Some(entry) = stored_entry(tx, code, record)? {
            tx.prepare_cached(
                "INSERT INTO search_recent (rowid, title, body) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![rowid, entry.title, entry.body])?;
        }
    }
    let new_ceiling = match rows.last() {
        Some(&(highest, _, _)) if rows.len() == limit => highest + 1,
        _ => target,
    };
    put_meta(tx, "search_recent_ceiling", &new_ceiling.to_string())?;
    Ok(rows.len())
}
