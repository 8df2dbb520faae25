//! Reads SQLite serves on a plain connection of its own, for the sync pages. Through
//! sqlx, each row of a page was copied on the driver's worker thread, sent over a
//! channel and converted again into an `Any` row: a third of the server's time in a first
//! sync's walk (bench-reports/sync.md). Here a page is read on a blocking thread, straight
//! from the statement into the rows the page is made of.
//!
//! The connections are read-only in effect (`query_only`) and share the file with the
//! pool's connections; WAL lets them read beside the one writer, each statement seeing
//! one committed state, as a read through the pool does.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

use crate::store::{StoreError, StoreResult};

/// Idle connections kept for the next read; more are opened when all are busy.
const KEEP_IDLE: usize = 4;

#[derive(Debug)]
pub struct Reads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Reads {
    /// Reads of the SQLite file at `path` (opened when first needed).
    pub fn new(path: &Path) -> Reads {
        Reads {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// The file of a `sqlite://PATH?...` URL, when it names one.
    pub fn path_of(url: &str) -> Option<PathBuf> {
        let rest = url.strip_prefix("sqlite://")?;
        let path = rest.split('?').next().unwrap_or(rest);
        (!path.is_empty() && !path.starts_with(':')).then(|| PathBuf::from(path))
    }

    /// Runs `read` on a connection of its own, on a blocking thread.
    pub async fn run<T, F>(self: &Arc<Self>, read: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let reads = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = reads.take()?;
            let out = read(&conn);
            reads.give_back(conn);
            out
        })
        .await
        .map_err(|e| StoreError::corrupt(format!("a read's thread failed: {e}")))?
    }

    fn take(&self) -> StoreResult<Connection> {
        if let Some(conn) = self.lock().pop() {
            return Ok(conn);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // As the pool's connections (db/mod.rs), and no writes through this one.
        conn.execute_batch(
            "PRAGMA busy_timeout = 10000; PRAGMA mmap_size = 2147483648; \
             PRAGMA temp_store = MEMORY; PRAGMA query_only = ON;",
        )?;
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.lock();
        if idle.len() < KEEP_IDLE {
            idle.push(conn);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // The list holds no invariant a panic elsewhere could break: take it as it is.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_file_url_gets_reads_of_its_own() {
        assert_eq!(
            Reads::path_of("sqlite:///var/lib/trade/trade.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/trade/trade.db"))
        );
        assert_eq!(
            Reads::path_of("sqlite://data/trade.db"),
            Some(PathBuf::from("data/trade.db"))
        );
        assert_eq!(Reads::path_of("sqlite::memory:"), None);
        assert_eq!(Reads::path_of("sqlite://:memory:"), None);
        assert_eq!(Reads::path_of("postgres://u@h/db"), None);
    }
}
