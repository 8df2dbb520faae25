//! What the server's commands (`trade-server`, `trade-demo`) share on their command line:
//! where the data lives, how logs are written, and the request limits.

use std::path::PathBuf;

use crate::db::{Db, DbError};
use crate::throttle::RequestBudget;

#[derive(Debug, Clone, clap::Args)]
pub struct Storage {
    /// Where the SQLite database, documents and the local CA live.
    #[arg(
        long,
        env = "TRADE_DATA_DIR",
        default_value = "./trade-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// PostgreSQL URL (postgres://...); the embedded SQLite file when absent.
    #[arg(long, env = "TRADE_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
}

impl Storage {
    /// The database alone (for commands that write to it without serving): PostgreSQL
    /// at the URL, else the SQLite file in the data directory (created if need be).
    pub async fn open_db(&self) -> Result<Db, DbError> {
        match &self.database_url {
            Some(url) => Db::connect(url).await,
            None => {
                std::fs::create_dir_all(&self.data_dir).map_err(|source| DbError::DataDir {
                    path: self.data_dir.clone(),
                    source,
                })?;
                Db::open_sqlite(&self.data_dir.join("trade.db")).await
            }
        }
    }
}

/// How many requests each account (or client address without a session) may send.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Limits {
    /// Requests each signed-in account, and each client IP without a session, may send
    /// in any `--request-window-secs` (over 429 `request.rate_limited` with
    /// Retry-After; health, readiness and metrics are never limited). 0 turns request
    /// throttling off. Shared by every instance on PostgreSQL.
    #[arg(long, env = "TRADE_REQUEST_BUDGET", default_value_t = RequestBudget::default().requests)]
    pub request_budget: u32,
    /// The window of `--request-budget`, in seconds.
    #[arg(
        long,
        env = "TRADE_REQUEST_WINDOW_SECS",
        default_value_t = RequestBudget::default().window_secs,
        value_parser = clap::value_parser!(u32).range(1..=3600)
    )]
    pub request_window_secs: u32,
}

impl Limits {
    pub fn budget(&self) -> RequestBudget {
        RequestBudget {
            requests: self.request_budget,
            window_secs: self.request_window_secs,
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// For people reading a terminal.
    #[default]
    Text,
    /// One JSON object per line (`timestamp`, `level`, `fields`, `target`, spans), for
    /// log collectors.
    Json,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Logging {
    /// How log lines are written (to standard output).
    #[arg(
        long,
        env = "TRADE_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text,
        global = true
    )]
    pub log_format: LogFormat,
}

impl Logging {
    /// Installs the process's log subscriber, filtered by `RUST_LOG` or else by
    /// `default_filter`. Fails when one is installed already.
    pub fn init(&self, default_filter: &str) -> Result<(), tracing_subscriber::util::TryInitError> {
        use tracing_subscriber::util::SubscriberInitExt;
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| default_filter.into());
        let builder = tracing_subscriber::fmt().with_env_filter(filter);
        match self.log_format {
            LogFormat::Text => builder.finish().try_init(),
            LogFormat::Json => builder.json().finish().try_init(),
        }
    }
}
