//! The write transaction and the change feed it records (design §4, sync).
//!
//! Every write goes through [`Write`]: store functions note which records changed for
//! which accounts (`touch`), and `commit` bumps each affected account's version once,
//! upserts one `sync_changes` row per record with that version, commits, and pokes live
//! listeners. Accounts are bumped in sorted order so two transactions never wait on each
//! other's account rows in opposite orders. The account row stays locked until commit,
//! so an account's versions become visible strictly in order: a reader paging by
//! version can never skip a change that commits later with a smaller version.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::Row;

use trade_model::sync::RecordKind;

use super::{Backend, Tx};
use crate::live::Live;

/// Feed rows upserted by one statement (6 parameters each: well under SQLite's 32,766
/// and PostgreSQL's 65,535 bound parameters).
const FEED_ROWS_PER_STATEMENT: usize = 500;

/// A write transaction that records what it changed for whom.
pub struct Write {
    tx: Tx,
    backend: Backend,
    live: Arc<Live>,
    /// account → (kind, record id) → removed from the account's scope
    changes: BTreeMap<String, BTreeMap<(RecordKind, String), bool>>,
    /// Versions assigned by `flush`, poked after commit.
    flushed: Vec<(String, i64)>,
    /// While a savepoint is set: how to undo the changes noted since (each noted entry
    /// with what it replaced, in order). A journal rather than a copy, so a batch of
    /// many mutations, each in a savepoint, stays linear in its size.
    journal: Option<Vec<Noted>>,
    /// SQLite: this process's write turn, given back when the transaction ends
    /// (committed, rolled back or dropped).
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// One change noted after the savepoint: the entry and its value before (`None`: it
/// was not there).
struct Noted {
    account: String,
    record: (RecordKind, String),
    before: Option<bool>,
}

impl Deref for Write {
    type Target = Tx;
    fn deref(&self) -> &Tx {
        &self.tx
    }
}

impl DerefMut for Write {
    fn deref_mut(&mut self) -> &mut Tx {
        &mut self.tx
    }
}

impl Write {
    pub(super) fn new(
        tx: Tx,
        backend: Backend,
        live: Arc<Live>,
        turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    ) -> Self {
        Write {
            tx,
            backend,
            live,
            changes: BTreeMap::new(),
            flushed: Vec::new(),
            journal: None,
            _turn: turn,
        }
    }

    /// The connection to run statements on inside this transaction.
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// The database this transaction runs on (how its statements number parameters).
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// `record` changed (or appeared) in `account`'s scope.
    pub fn touch(&mut self, account: impl ToString, kind: RecordKind, record: impl ToString) {
        self.note(account.to_string(), (kind, record.to_string()), false);
    }

    /// `record` left `account`'s scope: pulls report a tombstone.
    pub fn remove(&mut self, account: impl ToString, kind: RecordKind, record: impl ToString) {
        self.note(account.to_string(), (kind, record.to_string()), true);
    }

    fn note(&mut self, account: String, record: (RecordKind, String), removed: bool) {
        let records = self.changes.entry(account.clone()).or_default();
        let before = records.insert(record.clone(), removed);
        if let Some(journal) = &mut self.journal {
            journal.push(Noted {
                account,
                record,
                before,
            });
        }
    }

    /// Records the changes noted so far in the feed (inside the transaction) and returns
    /// the version each affected account gets. `commit` flushes too; call this first
    /// only when the versions must be written in the same transaction.
    ///
    /// A few statements whatever the number of records (each statement is a round trip
    /// to the database's thread or server, which costs more than the rows): one bumps
    /// every affected account, in sorted order (the `VALUES` order is the order rows are
    /// locked in), one upserts the feed rows per [`FEED_ROWS_PER_STATEMENT`], and on
    /// PostgreSQL one notifies every instance.
    pub async fn flush(&mut self) -> Result<Vec<(String, i64)>, sqlx::Error> {
        if self.journal.is_some() {
            // The journal could not undo what a flush takes out of `changes`.
            return Err(sqlx::Error::Protocol(
                "the change feed is flushed only outside a savepoint".to_owned(),
            ));
        }
        let changes = std::mem::take(&mut self.changes);
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        let versions = self.bump_versions(changes.keys()).await?;
        // The records as they are now, at the end of the write: what each row keeps.
        let present: Vec<(RecordKind, &String)> = changes
            .values()
            .flat_map(|records| records.iter())
            .filter(|(_, removed)| !**removed)
            .map(|((kind, record), _)| (*kind, record))
            .collect();
        let payloads = crate::store::sync::Payloads::read(&mut self.tx, &present)
            .await
            .map_err(|e| match e {
                crate::store::StoreError::Db(e) | crate::store::StoreError::Contended(e) => e,
                other => sqlx::Error::Protocol(format!("reading the changed records: {other}")),
            })?;
        let rows: Vec<(&String, i64, &RecordKind, &String, bool)> = changes
            .iter()
            .zip(&versions)
            .flat_map(|((account, records), (_, version))| {
                records.iter().map(move |((kind, record), removed)| {
                    (account, *version, kind, record, *removed)
                })
            })
            .collect();
        for chunk in rows.chunks(FEED_ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO sync_changes (account_id, kind, record_id, version, removed, payload) \
                 VALUES {} ON CONFLICT (account_id, kind, record_id) \
                 DO UPDATE SET version = excluded.version, removed = excluded.removed, \
                 payload = excluded.payload",
                self.backend.tuples(chunk.len(), 6)
            );
            let mut query = sqlx::query(&sql);
            for (account, version, kind, record, removed) in chunk {
                let payload = if *removed {
                    None
                } else {
                    payloads.get(account, **kind, record)
                };
                query = query
                    .bind(account.as_str())
                    .bind(kind.as_str())
                    .bind(record.as_str())
                    .bind(*version)
                    .bind(i64::from(*removed))
                    .bind(payload);
            }
            query.execute(&mut *self.tx).await?;
        }
        if self.backend == Backend::Postgres {
            // Delivered to every instance's LISTEN when (and only if) this commits.
            let sql = format!(
                "SELECT {}",
                (0..versions.len())
                    .map(|i| format!("pg_notify($1, ${})", i + 2))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut query = sqlx::query(&sql).bind(crate::live::PG_CHANNEL);
            for (account, version) in &versions {
                query = query.bind(format!("{account} {version}"));
            }
            query.execute(&mut *self.tx).await?;
        }
        self.flushed.extend(versions.iter().cloned());
        Ok(versions)
    }

    /// Bumps the version of each account (sorted, as a `BTreeMap`'s keys come) in one
    /// statement; the new versions in the same order.
    async fn bump_versions(
        &mut self,
        accounts: impl ExactSizeIterator<Item = &String> + Clone,
    ) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let sql = format!(
            "INSERT INTO account_versions (account_id, version) VALUES {} \
             ON CONFLICT (account_id) DO UPDATE SET version = account_versions.version + 1 \
             RETURNING account_id, version",
            (0..accounts.len())
                .map(|i| format!("(${}, 1)", i + 1))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut query = sqlx::query(&sql);
        for account in accounts.clone() {
            query = query.bind(account.as_str());
        }
        let returned: BTreeMap<String, i64> = query
            .fetch_all(&mut *self.tx)
            .await?
            .iter()
            .map(|row| Ok((row.try_get("account_id")?, row.try_get("version")?)))
            .collect::<Result<_, sqlx::Error>>()?;
        accounts
            .map(|account| {
                let version = returned.get(account).copied().ok_or_else(|| {
                    sqlx::Error::Protocol(format!("no version returned for account {account}"))
                })?;
                Ok((account.clone(), version))
            })
            .collect()
    }

    /// Records the changes, commits, and pokes live listeners. Returns the new version of
    /// every affected account.
    pub async fn commit(mut self) -> Result<Vec<(String, i64)>, sqlx::Error> {
        self.flush().await?;
        self.tx.commit().await?;
        for (account, version) in &self.flushed {
            self.live.poke(account, *version);
        }
        Ok(self.flushed)
    }

    /// Sets the point `rollback_to_savepoint` returns to: the statements run after it and
    /// the changes noted after it are undone then, the rest of the transaction kept. One
    /// savepoint at a time: a new one keeps what was done since the last and replaces it,
    /// in the same round trip (a push sets one per mutation); `release_savepoint` keeps
    /// everything. The feed is not flushed while a savepoint is set.
    pub async fn savepoint(&mut self) -> Result<(), sqlx::Error> {
        let sql = if self.journal.is_some() {
            "RELEASE SAVEPOINT write_step; SAVEPOINT write_step"
        } else {
            "SAVEPOINT write_step"
        };
        sqlx::Executor::execute(&mut *self.tx, sql).await?;
        self.journal = Some(Vec::new());
        Ok(())
    }

    /// Undoes everything since `savepoint` (which stays set). Also the way out of a failed
    /// statement on PostgreSQL, where the transaction refuses everything else until then.
    pub async fn rollback_to_savepoint(&mut self) -> Result<(), sqlx::Error> {
        sqlx::Executor::execute(&mut *self.tx, "ROLLBACK TO SAVEPOINT write_step").await?;
        for noted in self.journal.iter_mut().flat_map(|j| j.drain(..).rev()) {
            let Some(records) = self.changes.get_mut(&noted.account) else {
                continue;
            };
            match noted.before {
                Some(removed) => {
                    records.insert(noted.record, removed);
                }
                None => {
                    records.remove(&noted.record);
                    if records.is_empty() {
                        self.changes.remove(&noted.account);
                    }
                }
            }
        }
        Ok(())
    }

    /// Keeps what was done since `savepoint`, and forgets the savepoint (if one is set).
    pub async fn release_savepoint(&mut self) -> Result<(), sqlx::Error> {
        if self.journal.take().is_some() {
            sqlx::Executor::execute(&mut *self.tx, "RELEASE SAVEPOINT write_step").await?;
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }

    /// Accounts this transaction has touched so far.
    pub fn touched_accounts(&self) -> BTreeSet<String> {
        self.changes.keys().cloned().collect()
    }
}
