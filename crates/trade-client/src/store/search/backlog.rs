//! The search backlog: what a first sync left unindexed.
//!
//! A first sync writes records without indexing them (a row of FTS5 costs more than the
//! record's own row); the backlog is indexed afterwards, newest first, in short
//! transactions ([`LocalStore::index_backlog`]), and a search says how far that got.
//! Records changed by later pages and by local actions are indexed as they are written.
//!
//! The backlog goes through each table in rowid order, in the direction in which its
//! records get older: upwards after a walk (it writes the newest first), downwards in a
//! cache that was filled from the feed, oldest first, before this index existed (meta
//! `search_backlog`: `up` or `down`). Invariant: every record the backlog has passed
//! (meta `search_mark:<table>`, a table rowid) is in the index, and every record it has
//! not passed was written by the walk, or is indexed already (written since) and is
//! skipped when the backlog reaches it. The backlog waits until a walk ends.
//!
//! Before the backlog, the refill: a cache from before migration 15 keeps the order its
//! index had (`search_rows`, numbered again) but its text must go in the index again,
//! newest first (meta `search_refill`: the index rows above it are not in the index).

use rusqlite::{Connection, Transaction, params};

use super::super::LocalStore;
use super::super::apply::{meta_on, put_meta};
use super::index::{INDEXED, index_older, index_row, put_row, stored_entries, stored_entry};
use super::recent;
use crate::error::Result;

/// Which way the backlog goes through the tables' rowids (see the module's doc).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    Up,
    Down,
}

pub(super) fn direction(conn: &Connection) -> Result<Direction> {
    Ok(match meta_on(conn, "search_backlog")?.as_deref() {
        Some("down") => Direction::Down,
        _ => Direction::Up,
    })
}

fn mark_key(table: &str) -> String {
    format!("search_mark:{table}")
}

/// The table rowid the backlog has passed (before it starts: past either end).
pub(super) fn mark(conn: &Connection, table: &str, direction: Direction) -> Result<i64> {
    let stored = meta_on(conn, &mark_key(table))?.and_then(|v| v.parse().ok());
    Ok(stored.unwrap_or(match direction {
        Direction::Up => 0,
        Direction::Down => i64::MAX,
    }))
}

/// The part of `table` the backlog has not passed, as a condition on its rowid (`?1`
/// the mark) and the order to take it in.
pub(super) fn unpassed(direction: Direction) -> (&'static str, &'static str) {
    match direction {
        Direction::Up => ("rowid > ?1", "ORDER BY rowid"),
        Direction::Down => ("rowid < ?1", "ORDER BY rowid DESC"),
    }
}

/// Whether a first sync's walk is under way (or has not started): the backlog waits for
/// it, so that no walked record can land below a mark unindexed.
fn walk_under_way(conn: &Connection) -> Result<bool> {
    let cursor = meta_on(conn, "cursor")?.unwrap_or_default();
    let walk = meta_on(conn, "snapshot_cursor")?.unwrap_or_default();
    Ok(cursor.is_empty() || !walk.is_empty())
}

impl LocalStore {
    /// Indexes up to about `limit` records of the refill or the backlog in one
    /// transaction, newest first; returns how many it took (0: nothing waits, or a first
    /// sync's walk is under way and the backlog waits for it). Once both are done, the
    /// steps extend `search_recent` up to its size instead (and count the rows they put
    /// in it).
    ///
    /// The step commits without waiting for the disk (`synchronous = NORMAL`, set back to
    /// `FULL` before the connection is let go): what it writes is derived from the
    /// records and is written again if a power cut takes it, and steps short enough not to
    /// hold back a pulled page or a notification should not each wait for an fsync.
    pub fn index_backlog(&self, limit: usize) -> Result<usize> {
        let mut conn = self.conn();
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let step = backlog_step(&mut conn, limit);
        conn.pragma_update(None, "synchronous", "FULL")?;
        step
    }
}

/// One step of the backlog (see [`LocalStore::index_backlog`]), in one transaction.
fn backlog_step(conn: &mut Connection, limit: usize) -> Result<usize> {
    let tx = conn.transaction()?;
    if walk_under_way(&tx)? {
        return Ok(0);
    }
    let refilled = refill(&tx, limit)?;
    if refilled > 0 {
        tx.commit()?;
        return Ok(refilled);
    }
    let direction = direction(&tx)?;
    let (condition, order) = unpassed(direction);
    let mut taken = 0;
    for (kind, name, code) in INDEXED {
        if taken >= limit {
            break;
        }
        let from = mark(&tx, name, direction)?;
        let rows = stored_entries(
            &tx,
            kind,
            name,
            &format!("WHERE {condition} {order} LIMIT ?2"),
            params![from, (limit - taken) as i64],
        )?;
        let Some(&(last, _)) = rows.last() else {
            continue;
        };
        let taken_here = rows.len();
        let mut entries = Vec::with_capacity(rows.len());
        for (row, entry) in rows {
            if index_row(&tx, code, row)?.is_some() {
                continue;
            }
            if let Some(entry) = entry {
                entries.push((row, entry));
            }
        }
        index_older(&tx, code, &entries)?;
        put_meta(&tx, &mark_key(name), &last.to_string())?;
        taken += taken_here;
    }
    if taken == 0 {
        taken = recent::extend(&tx, limit)?;
    }
    tx.commit()?;
    Ok(taken)
}

/// The index rows above meta `search_refill` are mapped to their records but not in the
/// index (`None`: all are).
pub(super) fn refill_mark(conn: &Connection) -> Result<Option<i64>> {
    Ok(meta_on(conn, "search_refill")?.and_then(|v| v.parse().ok()))
}

/// Puts the text of up to `limit` rows of the refill in the index, lowest (newest)
/// first, each at its own row; returns how many it took (0: none waits).
fn refill(tx: &Transaction<'_>, limit: usize) -> Result<usize> {
    let Some(mark) = refill_mark(tx)? else {
        return Ok(0);
    };
    let rows: Vec<(i64, i64, i64)> = tx
        .prepare_cached(
            "SELECT rowid, kind, record FROM search_rows WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
        )?
        .query_map(params![mark, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for &(rowid, code, record) in &rows {
        if let Some(entry) = stored_entry(tx, code, record)? {
            put_row(tx, rowid, &entry)?;
        }
    }
    match rows.last() {
        Some(&(last, _, _)) if rows.len() == limit => {
            put_meta(tx, "search_refill", &last.to_string())?
        }
        _ => {
            tx.execute("DELETE FROM meta WHERE key = 'search_refill'", [])?;
        }
    }
    Ok(rows.len())
}
