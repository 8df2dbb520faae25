//! The local cache: one SQLite file per signed-in account and server.
//!
//! Durability: WAL with `synchronous = FULL`, so a queued action acknowledged to the
//! user (its outbox row committed) survives the app being killed or the machine losing
//! power. Foreign keys on. Migrations are append-only and checksummed; a database whose
//! applied migration differs from the shipped one, or that a newer app version wrote,
//! is refused rather than guessed at.

mod apply;
mod columns;
#[cfg(test)]
mod columns_tests;
mod inquiry_row;
mod message_row;
mod migrate;
pub mod queries;
mod rows;
pub mod search;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

pub use apply::PageEffects;
pub(crate) use apply::put as apply_put;
pub(crate) use apply::remove as remove_record;
pub use columns::{id_of, json_of};
pub(crate) use columns::{id_param, id_text};
pub(crate) use message_row::put as put_message;
pub use rows::{WalkChange, WalkRecord};

pub struct LocalStore {
    conn: Mutex<Connection>,
    /// Copies of files picked here and not yet uploaded (`files.rs`), next to the cache.
    files_dir: PathBuf,
}

/// Gives the file's free pages back to the disk when they are more than a quarter of it
/// (and over a mebibyte): a migration that makes a table again (12, 13) leaves the old
/// one's pages free, which SQLite keeps in the file for later writes. Measured on a cache
/// of a million messages: 574 MiB free after migration 12, given back in under two
/// seconds. A failure leaves the cache as it was, only larger.
fn compact(conn: &Connection) -> Result<()> {
    let pages = |pragma: &str| -> Result<i64> {
        Ok(conn.query_row(&format!("PRAGMA {pragma}"), [], |r| r.get(0))?)
    };
    let free_bytes = pages("freelist_count")? * pages("page_size")?;
    if free_bytes > 1024 * 1024 && pages("freelist_count")? * 4 > pages("page_count")? {
        tracing::info!(free_bytes, "compacting the cache");
        if let Err(e) = conn.execute_batch("VACUUM") {
            tracing::warn!("the cache could not be compacted: {e}");
        }
    }
    Ok(())
}

impl LocalStore {
    pub fn open(path: &Path) -> Result<LocalStore> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // A long write (a first sync, the search backlog) grows the WAL file; after a
        // checkpoint it is cut back to this instead of keeping its largest size on disk.
        conn.pragma_update(None, "journal_size_limit", 8 * 1024 * 1024)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate::run(&mut conn, migrate::MIGRATIONS)?;
        compact(&conn)?;
        Ok(LocalStore {
            conn: Mutex::new(conn),
            files_dir: path.with_extension("files"),
        })
    }

    pub(crate) fn files_dir(&self) -> &Path {
        &self.files_dir
    }

    /// The connection, for one short operation. A poisoned lock (a panic mid-operation)
    /// is recovered: SQLite rolled the transaction back, the data is consistent.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub(crate) fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// The pull cursor the last applied page ended at ("" before the initial sync).
    pub fn cursor(&self) -> Result<String> {
        Ok(self.meta("cursor")?.unwrap_or_default())
    }

    /// The user's notification settings (defaults until changed).
    pub fn notification_settings(&self) -> Result<crate::notify::NotificationSettings> {
        match self.meta("notification_settings")? {
            Some(raw) => serde_json::from_str(&raw)
                .map_err(|e| crate::error::ClientError::Decode(e.to_string())),
            None => Ok(crate::notify::NotificationSettings::default()),
        }
    }

    pub(crate) fn set_notification_settings(
        &self,
        settings: &crate::notify::NotificationSettings,
    ) -> Result<()> {
        let raw = serde_json::to_string(settings)
            .map_err(|e| crate::error::ClientError::Decode(e.to_string()))?;
        self.set_meta("notification_settings", &raw)
    }

    /// Keys of notifications already shown.
    pub fn notified(&self) -> Result<std::collections::BTreeSet<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT key FROM notified")?;
        let keys = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(keys)
    }

    pub(crate) fn mark_notified(&self, keys: &[String], now: jiff::Timestamp) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for key in keys {
            tx.execute(
                "INSERT INTO notified (key, at) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                params![key, now.as_millisecond()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// `PRAGMA integrity_check` is `ok`.
    pub fn integrity_ok(&self) -> Result<bool> {
        let result: String = self
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        Ok(result == "ok")
    }
}
