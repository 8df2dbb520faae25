//! Append-only migrations of the local cache (the same rules as the server's).

use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use crate::error::{ClientError, Result};

pub struct Migration {
    pub version: i64,
    pub sql: &'static str,
}

/// Never edit or reorder an entry: append a new one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("migrations/0001_cache.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("migrations/0002_notified.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("migrations/0003_history_files.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("migrations/0004_search_rows.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("migrations/0005_orders_screen.sql"),
    },
    Migration {
        version: 6,
        sql: include_str!("migrations/0006_pending_payments.sql"),
    },
    Migration {
        version: 7,
        sql: include_str!("migrations/0007_search_behind_sync.sql"),
    },
    Migration {
        version: 8,
        sql: include_str!("migrations/0008_quotations.sql"),
    },
    Migration {
        version: 9,
        sql: include_str!("migrations/0009_comparisons.sql"),
    },
    Migration {
        version: 10,
        sql: include_str!("migrations/0010_search_recent.sql"),
    },
    Migration {
        version: 11,
        sql: include_str!("migrations/0011_messages_newest_first.sql"),
    },
    Migration {
        version: 12,
        sql: include_str!("migrations/0012_messages_in_columns.sql"),
    },
    Migration {
        version: 13,
        sql: include_str!("migrations/0013_inquiries_in_columns.sql"),
    },
    Migration {
        version: 14,
        sql: include_str!("migrations/0014_thread_index_without_id.sql"),
    },
    Migration {
        version: 15,
        sql: include_str!("migrations/0015_search_newest_lowest.sql"),
    },
];

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

pub fn run(conn: &mut Connection, migrations: &[Migration]) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            checksum TEXT NOT NULL
        ) STRICT",
    )?;
    let applied: Vec<(i64, String)> = {
        let mut stmt =
            conn.prepare("SELECT version, checksum FROM schema_migrations ORDER BY version")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    for (version, sum) in &applied {
        match migrations.iter().find(|m| m.version == *version) {
            None => return Err(ClientError::NewerDatabase),
            Some(m) if checksum(m.sql) != *sum => {
                return Err(ClientError::EditedMigration(*version));
            }
            Some(_) => {}
        }
    }
    for m in migrations
        .iter()
        .filter(|m| !applied.iter().any(|(v, _)| *v == m.version))
    {
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, checksum) VALUES (?1, ?2)",
            params![m.version, checksum(m.sql)],
        )?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edited_and_newer_databases_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let v1 = Migration {
            version: 1,
            sql: "CREATE TABLE a (x INTEGER)",
        };
        let v1_edited = Migration {
            version: 1,
            sql: "CREATE TABLE a (x INTEGER, y TEXT)",
        };
        let v2 = Migration {
            version: 2,
            sql: "CREATE TABLE b (x INTEGER)",
        };
        run(&mut Connection::open(&path).unwrap(), &[v1]).unwrap();
        let v1 = Migration {
            version: 1,
            sql: "CREATE TABLE a (x INTEGER)",
        };
        assert!(matches!(
            run(&mut Connection::open(&path).unwrap(), &[v1_edited]),
            Err(ClientError::EditedMigration(1))
        ));
        run(&mut Connection::open(&path).unwrap(), &[v1, v2]).unwrap();
        let v1 = Migration {
            version: 1,
            sql: "CREATE TABLE a (x INTEGER)",
        };
        let err = run(&mut Connection::open(&path).unwrap(), &[v1]).unwrap_err();
        assert!(matches!(err, ClientError::NewerDatabase));
        assert_eq!(err.code(), "store.newer_database");
    }
}
