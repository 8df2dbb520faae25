//! Bulk rows: the tables the seed fills, a batch's rows and feed entries, and multi-row
//! INSERTs of bound parameters, with the progress they report.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use sqlx::AnyConnection;
use trade_model::AccountId;
use trade_model::sync::RecordKind;
use trade_server::db::Backend;

/// Rows in one multi-row INSERT (fewer when the row is wide).
const ROWS_PER_STATEMENT: usize = 500;
/// SQLite's limit on bound parameters in one statement (PostgreSQL allows 65535).
const MAX_VARIABLES: usize = 32_766;
/// Progress is printed this often.
const PROGRESS_EVERY: Duration = Duration::from_secs(3);

pub(super) enum Value {
    Text(String),
    Int(i64),
    OptInt(Option<i64>),
    OptText(Option<String>),
}

pub(super) struct Table {
    name: &'static str,
    columns: &'static [&'static str],
}

pub(super) static COMPANIES: Table = Table {
    name: "companies",
    columns: &["id", "name", "country"],
};
pub(super) static ACCOUNTS: Table = Table {
    name: "accounts",
    columns: &[
        "id",
        "email",
        "password_hash",
        "display_name",
        "role",
        "company_id",
        "created_at",
    ],
};
pub(super) static PRODUCTS: Table = Table {
    name: "products",
    columns: &["id", "supplier_id", "name"],
};
pub(super) static INQUIRIES: Table = Table {
    name: "inquiries",
    columns: &[
        "id",
        "buyer_id",
        "supplier_id",
        "product",
        "status",
        "created_at",
        "last_message_at",
        "last_message_preview",
        "buyer_unread",
        "supplier_unread",
    ],
};
pub(super) static MESSAGES: Table = Table {
    name: "messages",
    columns: &[
        "id",
        "inquiry_id",
        "sender_id",
        "body",
        "attachments",
        "sent_at",
        "read_at",
    ],
};
pub(super) static ORDERS: Table = Table {
    name: "orders",
    columns: &[
        "id",
        "buyer_id",
        "supplier_id",
        "status",
        "buyer_box",
        "supplier_box",
        "version",
        "next_deadline_at",
        "deadline_automatic",
        "has_dispute",
        "created_at",
        "updated_at",
        "doc",
    ],
};
pub(super) static ORDER_EVENTS: Table = Table {
    name: "order_events",
    columns: &["order_id", "version", "action", "actor", "at", "snapshot"],
};
pub(super) static PAYMENTS: Table = Table {
    name: "payments",
    columns: &[
        "id",
        "order_id",
        "buyer_id",
        "installment",
        "installment_kind",
        "method",
        "amount_minor",
        "fee_minor",
        "currency",
        "status",
        "reference",
        "card_last4",
        "held_for_review",
        "failure",
        "created_at",
        "updated_at",
    ],
};
/// Rows for one table, flattened.
pub(super) struct Rows {
    table: &'static Table,
    values: Vec<Value>,
}

impl Rows {
    pub(super) fn new(table: &'static Table) -> Rows {
        Rows {
            table,
            values: Vec::new(),
        }
    }

    pub(super) fn push<const N: usize>(&mut self, row: [Value; N]) {
        debug_assert_eq!(N, self.table.columns.len(), "{}", self.table.name);
        self.values.extend(row);
    }

    pub(super) fn len(&self) -> usize {
        self.values.len() / self.table.columns.len()
    }
}

/// `INSERT INTO table (...) VALUES (...), (...) ...` for `rows` rows, with the parameters
/// each backend binds fastest (`Backend::tuples`).
fn insert_sql(table: &Table, rows: usize, backend: Backend) -> String {
    format!(
        "INSERT INTO {} ({}) VALUES {}",
        table.name,
        table.columns.join(", "),
        backend.tuples(rows, table.columns.len())
    )
}

/// Writes `rows` with multi-row INSERTs of bound parameters.
pub(super) async fn write_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: Rows,
    progress: &mut Progress,
) -> Result<(), sqlx::Error> {
    let cols = rows.table.columns.len();
    let per_statement = ROWS_PER_STATEMENT.min(MAX_VARIABLES / cols).max(1);
    let mut remaining = rows.len();
    let mut values = rows.values.into_iter();
    let full_sql = insert_sql(rows.table, per_statement, backend);
    while remaining > 0 {
        let n = remaining.min(per_statement);
        let partial;
        let sql = if n == per_statement {
            &full_sql
        } else {
            partial = insert_sql(rows.table, n, backend);
            &partial
        };
        let mut q = sqlx::query(sql);
        for v in values.by_ref().take(n * cols) {
            q = match v {
                Value::Text(s) => q.bind(s),
                Value::Int(i) => q.bind(i),
                Value::OptInt(i) => q.bind(i),
                Value::OptText(s) => q.bind(s),
            };
        }
        q.execute(&mut *conn).await?;
        remaining -= n;
        progress.add(n as u64);
    }
    Ok(())
}

/// The rows of one transaction and the feed entries it records.
pub(super) struct Batch {
    pub(super) tables: Vec<Rows>,
    /// account → (kind, record id)
    pub(super) feed: BTreeMap<AccountId, BTreeSet<(RecordKind, String)>>,
}

impl Batch {
    pub(super) fn new() -> Batch {
        Batch {
            tables: [
                &COMPANIES,
                &ACCOUNTS,
                &PRODUCTS,
                &INQUIRIES,
                &MESSAGES,
                &ORDERS,
                &ORDER_EVENTS,
                &PAYMENTS,
            ]
            .into_iter()
            .map(Rows::new)
            .collect(),
            feed: BTreeMap::new(),
        }
    }

    pub(super) fn rows(&mut self, table: &'static Table) -> &mut Rows {
        let i = self
            .tables
            .iter()
            .position(|r| r.table.name == table.name)
            .unwrap_or_else(|| unreachable!("every table has its rows in a batch"));
        &mut self.tables[i]
    }

    /// `record` is in the scope of each of `accounts`.
    pub(super) fn touch(
        &mut self,
        accounts: &[AccountId],
        kind: RecordKind,
        record: impl ToString,
    ) {
        let record = record.to_string();
        for a in accounts {
            self.feed
                .entry(*a)
                .or_default()
                .insert((kind, record.clone()));
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.feed.is_empty() && self.tables.iter().all(|r| r.len() == 0)
    }
}

pub(super) struct Progress {
    pub(super) enabled: bool,
    pub(super) total: u64,
    pub(super) done: u64,
    pub(super) started: Instant,
    pub(super) last: Instant,
}

impl Progress {
    pub(super) fn add(&mut self, n: u64) {
        self.done += n;
        if self.enabled && self.last.elapsed() >= PROGRESS_EVERY {
            self.last = Instant::now();
            let secs = self.started.elapsed().as_secs_f64();
            println!(
                "seed: {} / {} rows ({:.0}%), {:.0} rows/s",
                self.done,
                self.total,
                100.0 * self.done as f64 / self.total.max(1) as f64,
                self.done as f64 / secs.max(1e-9)
            );
        }
    }

    pub(super) fn finish(&self) {
        if self.enabled {
            let secs = self.started.elapsed().as_secs_f64();
            println!(
                "seed: done, {} rows in {:.1} s ({:.0} rows/s)",
                self.done,
                secs,
                self.done as f64 / secs.max(1e-9)
            );
        }
    }
}
