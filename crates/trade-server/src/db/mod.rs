//! The database: one SQL dialect that both SQLite (the embedded default) and PostgreSQL
//! accept, behind sqlx's `Any` driver, so every query is written once and the same test
//! suite runs on both. Backend differences (connection pragmas, how a write transaction
//! starts, migration bookkeeping) are confined to this module. One exception, for speed:
//! on SQLite the sync pages' range scans run the same SQL on connections of their own
//! (`reads.rs`).

mod changes;
mod migrate;
mod reads;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};

use crate::live::Live;

pub use changes::Write;
pub use migrate::{MIGRATIONS, Migration, MigrationError};
pub use reads::Reads;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    url: String,
    live: Arc<Live>,
    /// SQLite takes one writer at a time; writers of this process wait here, woken in
    /// turn, instead of in SQLite's busy handler (which sleeps 1 to 100 ms between
    /// tries). Unused on PostgreSQL, whose writers run side by side.
    writer: Arc<tokio::sync::Mutex<()>>,
    /// On SQLite (a file): the sync pages' reads, on connections of their own.
    reads: Option<Arc<Reads>>,
}

pub type Tx = Transaction<'static, Any>;

impl Db {
    /// The embedded default: a SQLite file in WAL mode.
    pub async fn open_sqlite(path: &Path) -> Result<Db, DbError> {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        Db::connect(&url).await
    }

    /// Connects, then applies pending migrations (refusing edited or unknown ones).
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(DbError::UnsupportedUrl(url.to_owned()));
        };
        let options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10));
        let options = match backend {
            // WAL lets readers run beside the one writer; synchronous=FULL because this
            // database holds payments: a committed payment survives a power cut.
            // busy_timeout makes writers queue instead of failing. temp_store=MEMORY
            // keeps the sub-journal of each savepoint (a push batch sets one per
            // mutation) in memory instead of writing it to a temp file page by page.
            // mmap_size: reads come straight from the file's pages in the OS cache (up to
            // SQLite's own cap of 2 GiB of the file) instead of one pread() and copy per
            // page; a sync page reads thousands of pages, and this doubled the pages a
            // second (bench-reports/sync-100k.md). The pages are the kernel's file cache,
            // shared by every connection, not memory of this process.
            Backend::Sqlite => options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                         PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 2147483648;",
                    )
                    .await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options,
        };
        let pool = options.connect(url).await?;
        let db = Db {
            pool,
            backend,
            url: url.to_owned(),
            live: Arc::new(Live::default()),
            writer: Arc::new(tokio::sync::Mutex::new(())),
            reads: match backend {
                Backend::Sqlite => Reads::path_of(url).map(|path| Arc::new(Reads::new(&path))),
                Backend::Postgres => None,
            },
        };
        migrate::run(&db).await?;
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The SQLite file's own read connections (see `reads.rs`); `None` on PostgreSQL.
    pub fn sqlite_reads(&self) -> Option<&Arc<Reads>> {
        self.reads.as_ref()
    }

    /// Starts a write transaction. On SQLite it first waits its turn among this
    /// process's writers, then takes the write lock up front (`BEGIN IMMEDIATE`), so two
    /// writers never deadlock upgrading read locks (another process's writers queue on
    /// busy_timeout). The turn is held until the transaction ends.
    ///
    /// Opening runs in its own task: a request cancelled while the transaction is being
    /// opened (the client went away) must not leave a connection holding an open
    /// transaction — on SQLite that would keep the write lock and fail every later write.
    /// Run to completion, the transaction exists, and dropping it unused rolls it back.
    pub async fn begin(&self) -> Result<Write, sqlx::Error> {
        let pool = self.pool.clone();
        let backend = self.backend;
        let writer = self.writer.clone();
        let (tx, turn) = tokio::spawn(async move {
            match backend {
                Backend::Sqlite => {
                    let turn = writer.lock_owned().await;
                    let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                    Ok::<_, sqlx::Error>((tx, Some(turn)))
                }
                Backend::Postgres => Ok((pool.begin().await?, None)),
            }
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "opening a transaction failed in its task");
            sqlx::Error::WorkerCrashed
        })??;
        Ok(Write::new(tx, self.backend, self.live.clone(), turn))
    }

    /// Live pokes for this database's accounts.
    pub fn live(&self) -> &Arc<Live> {
        &self.live
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Backend {
    /// The backend `conn` talks to.
    pub fn of(conn: &sqlx::AnyConnection) -> Backend {
        if conn.backend_name().eq_ignore_ascii_case("postgresql") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// `(…), (…)`: `rows` tuples of `width` parameters, for a statement whose only
    /// parameters they are, bound in order. PostgreSQL gets `$1, $2, …`; SQLite gets
    /// anonymous `?`. SQLite finds a numbered parameter by walking its list of names from
    /// the start, and the driver asks for every parameter's name, so binding `n` numbered
    /// parameters costs `n²` steps: a feed upsert of 500 rows (3,000 parameters) spent
    /// most of its time there, and a bulk seed 38% of its. An anonymous one has no name
    /// to look up.
    pub fn tuples(self, rows: usize, width: usize) -> String {
        let mut sql = String::with_capacity(rows * (width * 4 + 4));
        for r in 0..rows {
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..width {
                if c > 0 {
                    sql.push_str(", ");
                }
                match self {
                    Backend::Sqlite => sql.push('?'),
                    Backend::Postgres => {
                        sql.push('$');
                        sql.push_str(&(r * width + c + 1).to_string());
                    }
                }
            }
            sql.push(')');
        }
        sql
    }
}

impl FromStr for Backend {
    type Err = DbError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" => Ok(Backend::Postgres),
            other => Err(DbError::UnsupportedUrl(other.to_owned())),
        }
    }
}

/// Creates a new, empty database (named `trade_<uuid>`) on the PostgreSQL server that
/// `server_url` reaches, whose user may create databases, and returns the new database's
/// URL: one database per test or throwaway instance on a shared cluster.
pub async fn create_postgres_database(server_url: &str) -> Result<String, DbError> {
    let (prefix, _) = server_url
        .rsplit_once('/')
        .filter(|(p, _)| p.starts_with("postgres://") || p.starts_with("postgresql://"))
        .ok_or_else(|| DbError::UnsupportedUrl(server_url.to_owned()))?;
    let name = format!("trade_{}", uuid::Uuid::now_v7().simple());
    install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(server_url).await?;
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    sqlx::Connection::close(conn).await?;
    Ok(format!("{prefix}/{name}"))
}

/// Runs `write` (a transaction's statements, begun on the runtime) on a thread of its own
/// and returns its answer; it runs to its end even when the caller is dropped.
///
/// Each statement is a round trip to the database's thread (SQLite) or server, and a
/// write holds the turn every other writer waits for (SQLite takes one at a time). On the
/// runtime, the write's task was queued at each round trip behind the other requests'
/// work (parsing, TLS, other pushes' JSON), so a batch of hundreds of statements held
/// the turn for several times its own work. With four clients pushing at once (the
/// sync bench, three rounds alternating with the code before): 3,130-3,801 mutations/s
/// on the runtime, 4,623-6,793 on a thread of its own.
pub async fn on_own_thread<T, W>(write: W) -> Result<T, tokio::task::JoinError>
where
    T: Send + 'static,
    W: std::future::Future<Output = T> + Send + 'static,
{
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(write)).await
}

/// Unix milliseconds, the only way instants are stored.
pub fn millis(t: jiff::Timestamp) -> i64 {
    t.as_millisecond()
}

pub fn from_millis(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::Backend;

    #[test]
    fn tuples_are_numbered_on_postgres_and_anonymous_on_sqlite() {
        assert_eq!(Backend::Postgres.tuples(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(Backend::Sqlite.tuples(2, 3), "(?, ?, ?), (?, ?, ?)");
        assert_eq!(Backend::Sqlite.tuples(1, 1), "(?)");
    }
}
