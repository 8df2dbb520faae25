//! Append-only migrations. Each applied migration is recorded with a checksum of its
//! text; starting against a database whose recorded migration differs from the shipped
//! one (an edited migration) or that has migrations this build does not know (written by
//! a newer version) is refused with a clear error instead of guessing.

use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{Db, millis};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Never edit or reorder an entry: append a new one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "sync",
        sql: include_str!("migrations/0002_sync.sql"),
    },
    Migration {
        version: 3,
        name: "unread_indexes",
        sql: include_str!("migrations/0003_unread_indexes.sql"),
    },
    Migration {
        version: 4,
        name: "exactly_once",
        sql: include_str!("migrations/0004_exactly_once.sql"),
    },
    Migration {
        version: 5,
        name: "refresh_retry",
        sql: include_str!("migrations/0005_refresh_retry.sql"),
    },
    Migration {
        version: 6,
        name: "mutation_fingerprint",
        sql: include_str!("migrations/0006_mutation_fingerprint.sql"),
    },
    Migration {
        version: 7,
        name: "snapshot_walk",
        sql: include_str!("migrations/0007_snapshot_walk.sql"),
    },
    Migration {
        version: 8,
        name: "login_attempts",
        sql: include_str!("migrations/0008_login_attempts.sql"),
    },
    Migration {
        version: 9,
        name: "request_counts",
        sql: include_str!("migrations/0009_request_counts.sql"),
    },
    Migration {
        version: 10,
        name: "quotations",
        sql: include_str!("migrations/0010_quotations.sql"),
    },
    Migration {
        version: 11,
        name: "present_rows",
        sql: include_str!("migrations/0011_present_rows.sql"),
    },
    Migration {
        version: 12,
        name: "unread_totals",
        sql: include_str!("migrations/0012_unread_totals.sql"),
    },
    Migration {
        version: 13,
        name: "feed_payloads",
        sql: include_str!("migrations/0013_feed_payloads.sql"),
    },
];

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error(
        "migration {version} ({name}) was changed after it was applied to this database; \
         migrations are append-only"
    )]
    Edited { version: i64, name: String },
    #[error(
        "this database was written by a newer version of the server (it has migration \
         {version}); upgrade the server"
    )]
    NewerDatabase { version: i64 },
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

pub(super) async fn run(db: &Db) -> Result<(), MigrationError> {
    run_list(db, MIGRATIONS).await
}

pub(crate) async fn run_list(db: &Db, migrations: &[Migration]) -> Result<(), MigrationError> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at BIGINT NOT NULL
        )",
    )
    .execute(db.pool())
    .await?;
    let applied =
        sqlx::query("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
            .fetch_all(db.pool())
            .await?;
    for row in &applied {
        let version: i64 = row.try_get("version")?;
        let name: String = row.try_get("name")?;
        let sum: String = row.try_get("checksum")?;
        match migrations.iter().find(|m| m.version == version) {
            None => return Err(MigrationError::NewerDatabase { version }),
            Some(m) if checksum(m.sql) != sum => {
                return Err(MigrationError::Edited { version, name });
            }
            Some(_) => {}
        }
    }
    let done: Vec<i64> = applied
        .iter()
        .filter_map(|r| r.try_get::<i64, _>("version").ok())
        .collect();
    for m in migrations.iter().filter(|m| !done.contains(&m.version)) {
        let mut tx = db.begin().await?;
        sqlx::raw_sql(m.sql).execute(tx.conn()).await?;
        // Another instance may have applied it meanwhile: the primary key makes the
        // second insert fail and that transaction roll back.
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(checksum(m.sql))
        .bind(millis(jiff::Timestamp::now()))
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: Migration = Migration {
        version: 1,
        name: "one",
        sql: "CREATE TABLE t (a BIGINT)",
    };
    const V1_EDITED: Migration = Migration {
        version: 1,
        name: "one",
        sql: "CREATE TABLE t (a BIGINT, b TEXT)",
    };
    const V2: Migration = Migration {
        version: 2,
        name: "two",
        sql: "CREATE TABLE u (a BIGINT)",
    };

    async fn db(dir: &tempfile::TempDir, migrations: &[Migration]) -> Result<Db, MigrationError> {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display());
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new().connect(&url).await?;
        let db = Db {
            pool,
            backend: super::super::Backend::Sqlite,
            url,
            live: Default::default(),
            writer: Default::default(),
            reads: None,
        };
        run_list(&db, migrations).await?;
        Ok(db)
    }

    #[tokio::test]
    async fn an_edited_migration_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        db(&dir, &[V1]).await.unwrap().close().await;
        let err = db(&dir, &[V1_EDITED]).await.unwrap_err();
        assert!(
            matches!(err, MigrationError::Edited { version: 1, .. }),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_newer_database_is_refused_and_pending_ones_apply() {
        let dir = tempfile::tempdir().unwrap();
        db(&dir, &[V1, V2]).await.unwrap().close().await;
        let err = db(&dir, &[V1]).await.unwrap_err();
        assert!(
            matches!(err, MigrationError::NewerDatabase { version: 2 }),
            "{err}"
        );
        // Reopening with the same list is a no-op.
        db(&dir, &[V1, V2]).await.unwrap();
    }
}
