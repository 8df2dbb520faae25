//! Applying pulled pages: every change of a page and the new cursor in one transaction,
//! so a crash leaves either the whole page or none of it.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use trade_model::sync::{Change, RecordKind, SyncRecord};

use super::rows::{Partners, WalkChange, write, write_json};
use super::{LocalStore, message_row, search};
use crate::error::{ClientError, Result};

/// What applying a page changed, for notification decisions.
#[derive(Debug, Default)]
pub struct PageEffects {
    pub applied: usize,
    /// The state each changed record had before, if it was known.
    pub previous: HashMap<(RecordKind, String), SyncRecord>,
}

pub(super) fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| ClientError::Decode(e.to_string()))
}

pub(crate) fn table(kind: RecordKind) -> Option<&'static str> {
    match kind {
        RecordKind::Inquiry => Some("inquiries"),
        RecordKind::Message => Some("messages"),
        RecordKind::Order => Some("orders"),
        RecordKind::Payment => Some("payments"),
        RecordKind::Document => Some("documents"),
        RecordKind::OrderHistory => Some("order_history"),
        RecordKind::Quotation => Some("quotations"),
        RecordKind::UnreadCounts => None,
    }
}

/// The stored state of a record, as the server sent it.
pub(crate) fn load(conn: &Connection, kind: RecordKind, id: &str) -> Result<Option<SyncRecord>> {
    let data: Option<String> = match table(kind) {
        Some(t) => conn
            .prepare_cached(&format!(
                "SELECT {} FROM {t} WHERE id = {}",
                super::columns::json_of(t),
                super::columns::id_param(t, 1)
            ))?
            .query_row([id], |r| r.get(0))
            .optional()?,
        None => conn
            .query_row("SELECT value FROM meta WHERE key = 'unread'", [], |r| {
                r.get(0)
            })
            .optional()?,
    };
    Ok(data.and_then(|data| parse_record(kind, &data)))
}

/// A stored record's `data` as the record it is (`None` if it does not parse).
pub(crate) fn parse_record(kind: RecordKind, data: &str) -> Option<SyncRecord> {
    let wrapped = format!(
        "{{\"kind\":\"{}\",\"data\":{data}}}",
        RecordKind::as_str(kind)
    );
    serde_json::from_str(&wrapped).ok()
}

/// Runs one statement through the connection's statement cache (pages apply thousands).
pub(super) fn exec(
    tx: &Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<usize> {
    Ok(tx.prepare_cached(sql)?.execute(params)?)
}

/// A `meta` value, read inside a transaction (or on a held connection).
pub(crate) fn meta_on(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// Sets a `meta` value inside the page's transaction.
pub(crate) fn put_meta(tx: &Transaction<'_>, key: &str, value: &str) -> Result<()> {
    exec(
        tx,
        "INSERT INTO meta (key, value) VALUES (?1, ?2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// Writes one record (server state) into the cache and the search index.
pub(crate) fn put(tx: &Transaction<'_>, record: &SyncRecord) -> Result<()> {
    write(tx, record)?;
    search::index_record(tx, record)
}

/// Deletes a record, and its entry in the search index with it (first: the entry
/// refers to the record's row).
pub(crate) fn remove(tx: &Transaction<'_>, kind: RecordKind, id: &str) -> Result<()> {
    search::unindex(tx, kind, id)?;
    if let Some(t) = table(kind) {
        exec(
            tx,
            &format!(
                "DELETE FROM {t} WHERE id = {}",
                super::columns::id_param(t, 1)
            ),
            [id],
        )?;
    }
    Ok(())
}

/// Keeps the undo of queued actions on an order or inquiry row the server just
/// overwrote pointing at the server's state (what a refusal restores).
fn rebase_undo_of(tx: &Transaction<'_>, change: &Change) -> Result<()> {
    // Encoded only for a queued action that refers to the record (rarely any).
    let server = || match &change.record {
        Some(SyncRecord::Order(view)) => Ok(Some(json(view)?)),
        Some(SyncRecord::Inquiry(inquiry)) => Ok(Some(json(inquiry)?)),
        _ => Ok(None),
    };
    rebase_undo_on(tx, change.kind, &change.id, server)
}

/// [`rebase_undo_of`] for `kind` and `id`, with `server` the record's JSON now (if any).
fn rebase_undo_on(
    tx: &Transaction<'_>,
    kind: RecordKind,
    id: &str,
    server: impl FnOnce() -> Result<Option<String>>,
) -> Result<()> {
    if let (RecordKind::Order | RecordKind::Inquiry, Some(table)) = (kind, table(kind)) {
        crate::outbox::rebase_undo(tx, table, id, server)?;
    }
    Ok(())
}

impl LocalStore {
    /// Where an unfinished first sync's walk stands ("" when none is under way).
    pub fn snapshot_cursor(&self) -> Result<String> {
        Ok(self.meta("snapshot_cursor")?.unwrap_or_default())
    }

    /// Applies a page of a first sync's walk and where the walk stands, atomically. The
    /// first page also starts the feed's cursor at the walk's version (`feed_cursor`), so
    /// the feed can be pulled beside the walk (the two never hold the same change:
    /// anything that changes after that version leaves the walk); the last page (`done`)
    /// ends the walk. Nothing is looked up first: a first sync brings history, which
    /// notifies nothing. Records are not indexed for search here: the backlog is, after
    /// the walk (`search.rs`).
    pub fn apply_snapshot_page(
        &self,
        changes: &[WalkChange],
        next_cursor: &str,
        feed_cursor: &str,
        done: bool,
        now: jiff::Timestamp,
    ) -> Result<usize> {
        let mut conn = self.conn();
        // The checkpointer copies the WAL beside the walk; this commit does only if the
        // WAL has grown past the bound.
        conn.pragma_update(None, "wal_autocheckpoint", super::WALK_AUTOCHECKPOINT)?;
        let applied = walk_page(&mut conn, changes, next_cursor, feed_cursor, done, now);
        conn.pragma_update(None, "wal_autocheckpoint", super::AUTOCHECKPOINT)?;
        drop(conn);
        self.checkpoint_behind();
        applied
    }

    /// Applies a pulled page and its cursor atomically, then re-applies the predicted
    /// effects of actions still queued, so the user keeps seeing what they did.
    pub fn apply_page(
        &self,
        changes: &[Change],
        next_cursor: &str,
        now: jiff::Timestamp,
    ) -> Result<PageEffects> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut effects = PageEffects::default();
        for change in changes {
            if let Some(prev) = load(&tx, change.kind, &change.id)? {
                effects
                    .previous
                    .insert((change.kind, change.id.clone()), prev);
            }
            match &change.record {
                Some(record) => put(&tx, record)?,
                None => remove(&tx, change.kind, &change.id)?,
            }
            rebase_undo_of(&tx, change)?;
            effects.applied += 1;
        }
        put_meta(&tx, "cursor", next_cursor)?;
        crate::outbox::rebase(&tx, now)?;
        tx.commit()?;
        Ok(effects)
    }
}

/// One page of a first sync's walk, in one transaction (see
/// [`LocalStore::apply_snapshot_page`]).
fn walk_page(
    conn: &mut Connection,
    changes: &[WalkChange],
    next_cursor: &str,
    feed_cursor: &str,
    done: bool,
    now: jiff::Timestamp,
) -> Result<usize> {
    let tx = conn.transaction()?;
    // A record indexed before (a local action's prediction) is indexed again with the
    // server's text; an empty index has none to look for.
    let reindex = search::holds_any(&tx)?;
    // Only a queued action's undo can refer to a record of the page.
    let queued = crate::outbox::holds_queued(&tx)?;
    let mut partners = Partners::default();
    // Most of a page's records are messages: their statement is prepared once a page.
    let mut put_message = None;
    for change in changes {
        match &change.record {
            Some(record) => {
                if record.kind != change.kind {
                    return Err(ClientError::Decode(format!(
                        "a change of kind {} holds a record of kind {}",
                        change.kind.as_str(),
                        record.kind.as_str()
                    )));
                }
                let data = record.data.get();
                if change.kind == RecordKind::Message {
                    let put = match &mut put_message {
                        Some(put) => put,
                        None => put_message.insert(tx.prepare_cached(message_row::PUT)?),
                    };
                    message_row::put_with(put, data, "synced")?;
                } else {
                    write_json(&tx, change.kind, data, &mut partners)?;
                }
                if reindex && let Some(record) = parse_record(change.kind, data) {
                    search::reindex_if_indexed(&tx, &record)?;
                }
            }
            None => remove(&tx, change.kind, &change.id)?,
        }
        if queued {
            let server = || -> Result<Option<String>> {
                Ok(change.record.as_ref().map(|r| r.data.get().to_owned()))
            };
            rebase_undo_on(&tx, change.kind, &change.id, server)?;
        }
    }
    drop(put_message);
    partners.write(&tx)?;
    // A walk writes the newest first: the search backlog goes up the rowids.
    put_meta(&tx, "search_backlog", "up")?;
    // Only where no cursor is yet: the feed pulled beside the walk moves it on.
    exec(
        &tx,
        "INSERT INTO meta (key, value) VALUES ('cursor', ?1) ON CONFLICT (key) DO NOTHING",
        [feed_cursor],
    )?;
    if done {
        exec(&tx, "DELETE FROM meta WHERE key = 'snapshot_cursor'", [])?;
    } else {
        put_meta(&tx, "snapshot_cursor", next_cursor)?;
    }
    crate::outbox::rebase(&tx, now)?;
    tx.commit()?;
    Ok(changes.len())
}
