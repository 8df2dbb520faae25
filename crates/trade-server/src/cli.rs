//! What the server's commands (`trade-server`, `trade-demo`) share on their command line:
//! where the data lives.

use std::path::PathBuf;

use crate::db::{Db, DbError};

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
