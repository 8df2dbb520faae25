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
    /// Wakes the checkpointer (see [`checkpointer`]); `None` if it could not start.
    checkpoints: Option<std::sync::mpsc::SyncSender<()>>,
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

/// The WAL size (in pages) at which a first sync's own commit copies the WAL into the
/// database itself, in case the checkpointer falls behind: it bounds the WAL to 64 MiB.
pub(crate) const WALK_AUTOCHECKPOINT: i64 = 16 * 1024;
/// SQLite's own default, for every other commit: they are few and small.
pub(crate) const AUTOCHECKPOINT: i64 = 1000;

/// Copies the WAL into the database on a connection of its own, when woken after a first
/// sync's commit, so that the walk's commits only append to the WAL: copying it (a fifth
/// of applying a page, measured) runs beside them. A PASSIVE checkpoint never waits for
/// the writer. Ends when the store is dropped.
fn checkpointer(path: &Path) -> Option<std::sync::mpsc::SyncSender<()>> {
    let (wake, woken) = std::sync::mpsc::sync_channel::<()>(1);
    let path = path.to_owned();
    let started = std::thread::Builder::new()
        .name("cache-checkpoints".into())
        .spawn(move || {
            let conn = match Connection::open(&path) {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!("the cache's checkpointer could not open it: {e}");
                    return;
                }
            };
            while woken.recv().is_ok() {
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::debug!("checkpoint: {e}");
                }
            }
        });
    match started {
        Ok(_) => Some(wake),
        Err(e) => {
            tracing::warn!("the cache's checkpointer could not start: {e}");
            None
        }
    }
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
            checkpoints: checkpointer(path),
            files_dir: path.with_extension("files"),
        })
    }

    /// Asks the checkpointer to copy the WAL into the database (at once if it is idle; a
    /// copy under way takes in what was committed before it started, and the next wake
    /// the rest).
    pub(crate) fn checkpoint_behind(&self) {
        if let Some(wake) = &self.checkpoints {
            let _ = wake.try_send(());
        }
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

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use trade_model::entities::Message;
    use trade_model::sync::{Change, RecordKind, SyncRecord};
    use trade_model::{AccountId, InquiryId, MessageId};

    use super::{LocalStore, WalkChange};

    /// A first sync's walk commits without copying the WAL into the database (up to
    /// 64 MiB of it): the checkpointer copies it beside the walk, so the database file
    /// grows as the walk goes and the WAL does not pile up.
    #[test]
    fn a_walk_gets_its_wal_copied_into_the_database_as_it_goes() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("cache.sqlite3");
        let store = LocalStore::open(&path).expect("opens");
        let inquiry = InquiryId::new();
        let sender = AccountId::new();
        let body = "quote ".repeat(300);
        let now = jiff::Timestamp::now();
        // 16 pages of 400 messages of about 2 KB: 12 MiB, well under the walk's own
        // checkpoint at 64 MiB.
        for page in 0..16_i64 {
            let changes: Vec<WalkChange> = (0..400_i64)
                .map(|n| {
                    let m = Message {
                        id: MessageId::new(),
                        inquiry,
                        sender,
                        sender_name: "Li".into(),
                        body: body.clone(),
                        attachments: Vec::new(),
                        sent_at: jiff::Timestamp::from_second(1_800_000_000 - page * 400 - n)
                            .expect("a valid time"),
                        read: false,
                        quotation: None,
                    };
                    WalkChange::of(&Change {
                        version: 1,
                        kind: RecordKind::Message,
                        id: m.id.to_string(),
                        record: Some(SyncRecord::Message(m)),
                    })
                    .expect("encodes")
                })
                .collect();
            store
                .apply_snapshot_page(&changes, &format!("w{page}"), "feed", page == 15, now)
                .expect("applies");
        }
        let database = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let deadline = Instant::now() + Duration::from_secs(20);
        while database() < 10 << 20 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            database() >= 10 << 20,
            "the walk's pages reached the database file: {} bytes",
            database()
        );
    }
}
