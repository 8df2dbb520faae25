//! A data generator: fills a database with buyers, suppliers, products, inquiries,
//! messages, orders (in every box) and payments, fast, with multi-row INSERTs inside large
//! transactions instead of the HTTP API, for demos, manual testing and benchmarks.
//!
//! The records are the ones the server itself would have written: the same columns with
//! the same derived values (an inquiry's preview, last message time and unread counters
//! follow its messages; an order is a `trade_model::order::Order` made by `create` and
//! `apply`, with the box, version and deadline columns and one `order_events` row per
//! version, as `store::orders` writes them), and the change feed of every account in
//! scope (`sync_changes`, `account_versions`), so every API and every sync pull works on
//! them. Each transaction ("batch") gives every account it touches one new version, as a
//! server write does, so a pull pages through a seeded feed as through any other.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use trade_model::dispute::{DisputeAction, DisputeReason};
use trade_model::entities::{PaymentStatus, Role};
use trade_model::order::{
    self, ActionKind, Actor, Incoterm, Order, OrderAction, OrderLine, OrderOrigin, OrderTerms,
    Party, PaymentMethod, PaymentTerms, ShippingMethod,
};
use trade_model::{AccountId, Currency, DisputeId, InquiryId, OrderId, PaymentId};
use uuid::Uuid;

use trade_model::sync::RecordKind;
use trade_server::db::{Db, from_millis, millis};
use trade_server::store::inquiries::preview;

mod bulk;
mod orders;

use bulk::{
    ACCOUNTS, Batch, COMPANIES, INQUIRIES, MESSAGES, ORDER_EVENTS, ORDERS, PAYMENTS, PRODUCTS,
    Progress, Value, write_rows,
};

/// The password of every seeded account unless another is given.
pub const DEFAULT_PASSWORD: &str = "seeded-password-2026";

/// The rules seeded orders draw from. Fixed apart from `Incoterm::KNOWN`, which grew
/// with Incoterms 2020, so that the same seed still makes the same world.
const SEEDED_INCOTERMS: [Incoterm; 7] = [
    Incoterm::Exw,
    Incoterm::Fob,
    Incoterm::Cfr,
    Incoterm::Cif,
    Incoterm::Cpt,
    Incoterm::Ddp,
    Incoterm::Ddu,
];

/// Products each seeded supplier offers.
const PRODUCTS_PER_SUPPLIER: usize = 8;
/// Rows written per transaction (one version per account per transaction).
const ROWS_PER_BATCH: u64 = 60_000;

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub buyers: u32,
    pub suppliers: u32,
    /// Inquiries per buyer.
    pub inquiries: u32,
    /// Messages in each inquiry (the first is the buyer's opening message).
    pub messages_per_inquiry: u32,
    /// Orders per buyer.
    pub orders: u32,
    /// Seeds the generator: the same seed makes the same world (emails, texts, states).
    pub seed: u64,
    pub password: String,
    /// Everything seeded happened before this instant (within the last year).
    pub now: Timestamp,
    /// Print progress (rows so far / total, rows/s) every few seconds.
    pub progress: bool,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions {
            buyers: 1,
            suppliers: 10,
            inquiries: 100,
            messages_per_inquiry: 10,
            orders: 20,
            seed: 1,
            password: DEFAULT_PASSWORD.to_owned(),
            now: Timestamp::now(),
            progress: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SeededAccount {
    pub id: AccountId,
    pub email: String,
    pub display_name: String,
}

/// What one buyer got, as the buyer sees it.
#[derive(Debug, Clone)]
pub struct BuyerReport {
    pub account: SeededAccount,
    pub inquiries: u64,
    pub messages: u64,
    /// Inquiries with messages the buyer has not read ("Unread Messages").
    pub unread_inquiries: u64,
    /// Messages the buyer has not read.
    pub unread_messages: u64,
    pub orders: u64,
    pub payments: u64,
    /// Orders per box (`OrderBox::as_str`) in the buyer's view.
    pub order_boxes: BTreeMap<&'static str, u64>,
}

impl BuyerReport {
    /// Records in this buyer's sync feed: every inquiry, message, order (with its
    /// history), payment, and the unread totals.
    pub fn feed_records(&self) -> u64 {
        self.inquiries
            + self.messages
            + 2 * self.orders
            + self.payments
            + u64::from(self.messages > self.inquiries)
    }
}

#[derive(Debug, Clone)]
pub struct SeedReport {
    pub password: String,
    pub buyers: Vec<BuyerReport>,
    pub suppliers: Vec<SeededAccount>,
    /// Rows inserted in all tables, change feed included.
    pub rows: u64,
    /// Of which change-feed rows (`sync_changes`).
    pub feed_rows: u64,
    pub elapsed: Duration,
}

impl SeedReport {
    pub fn rows_per_sec(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Invalid(String),
    #[error(
        "an account with the email {0} exists already: seed a fresh database or pass another --seed"
    )]
    Exists(String),
    #[error("hashing the password failed: {0}")]
    Hash(String),
    #[error("the order model refused a seeded order: {0}")]
    Order(#[from] trade_model::Rejection),
    #[error("encoding an order: {0}")]
    Json(#[from] serde_json::Error),
}

/// Fills `db` as `opts` says. Prints progress to stdout when `opts.progress`.
pub async fn run(db: &Db, opts: SeedOptions) -> Result<SeedReport, SeedError> {
    check(&opts)?;
    let started = Instant::now();
    let mut seeder = Seeder::new(db, &opts);
    for email in seeder
        .buyers
        .iter()
        .chain(seeder.suppliers.iter())
        .map(|a| a.email.clone())
        .collect::<Vec<_>>()
    {
        let taken = sqlx::query("SELECT 1 AS one FROM accounts WHERE email = $1")
            .bind(&email)
            .fetch_optional(db.pool())
            .await?;
        if taken.is_some() {
            return Err(SeedError::Exists(email));
        }
    }
    let password = opts.password.clone();
    let hash = tokio::task::spawn_blocking(move || trade_server::auth::password::hash(&password))
        .await
        .map_err(|e| SeedError::Hash(e.to_string()))?
        .map_err(|e| SeedError::Hash(e.to_string()))?;
    seeder.accounts(&hash).await?;
    for b in 0..seeder.buyers.len() {
        seeder.inquiries(b).await?;
        seeder.orders(b).await?;
    }
    seeder.unread_counts().await?;
    seeder.progress.finish();
    Ok(SeedReport {
        password: opts.password.clone(),
        buyers: seeder.reports,
        suppliers: seeder.suppliers.iter().map(|a| a.seeded()).collect(),
        rows: seeder.progress.done,
        feed_rows: seeder.feed_rows,
        elapsed: started.elapsed(),
    })
}

fn check(opts: &SeedOptions) -> Result<(), SeedError> {
    if opts.buyers == 0 || opts.suppliers == 0 {
        return Err(SeedError::Invalid(
            "seed at least one buyer and one supplier".into(),
        ));
    }
    if opts.inquiries > 0 && opts.messages_per_inquiry == 0 {
        return Err(SeedError::Invalid(
            "an inquiry opens with a message: --messages-per-inquiry must be at least 1".into(),
        ));
    }
    let chars = opts.password.chars().count();
    if !(trade_server::auth::password::MIN_PASSWORD_CHARS
        ..=trade_server::auth::password::MAX_PASSWORD_CHARS)
        .contains(&chars)
    {
        return Err(SeedError::Invalid(format!(
            "the password must have {} to {} characters",
            trade_server::auth::password::MIN_PASSWORD_CHARS,
            trade_server::auth::password::MAX_PASSWORD_CHARS
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The world

struct Person {
    id: AccountId,
    email: String,
    display_name: String,
    company: String,
    country: &'static str,
    /// Supplier's products.
    products: Vec<String>,
}

impl Person {
    fn seeded(&self) -> SeededAccount {
        SeededAccount {
            id: self.id,
            email: self.email.clone(),
            display_name: self.display_name.clone(),
        }
    }
}

struct Seeder<'a> {
    db: &'a Db,
    opts: &'a SeedOptions,
    now_ms: i64,
    rng: StdRng,
    buyers: Vec<Person>,
    suppliers: Vec<Person>,
    reports: Vec<BuyerReport>,
    /// Per buyer: its first inquiries, which its first orders refer to.
    linked_inquiries: Vec<InquiryId>,
    /// Accounts that must get an unread-counts feed row.
    unread_accounts: BTreeSet<AccountId>,
    progress: Progress,
    feed_rows: u64,
}

const BUYER_FIRST: [&str; 12] = [
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Mateo", "Sofia", "Jonas", "Chloe",
    "Arjun",
];
const BUYER_LAST: [&str; 10] = [
    "Schmidt", "Johnson", "Rossi", "García", "Dubois", "Nakamura", "Kowalski", "Silva", "Okafor",
    "Larsen",
];
const BUYER_COMPANY: [&str; 8] = [
    "Imports",
    "Trading GmbH",
    "Retail Group",
    "Wholesale Ltd",
    "Distribution BV",
    "Home & Living",
    "Outdoor Supply",
    "Sourcing LLC",
];
const BUYER_COUNTRY: [&str; 8] = ["US", "DE", "IT", "FR", "GB", "NL", "ES", "PL"];
const SUPPLIER_CITY: [&str; 8] = [
    "Shenzhen",
    "Ningbo",
    "Yiwu",
    "Guangzhou",
    "Xiamen",
    "Suzhou",
    "Qingdao",
    "Dongguan",
];
const SUPPLIER_TRADE: [&str; 8] = [
    "Bright Electronics",
    "Ocean Houseware",
    "Evergreen Textiles",
    "Golden Lighting",
    "Sunrise Outdoor",
    "Harmony Ceramics",
    "Swift Packaging",
    "Unity Sporting Goods",
];
const PRODUCT_NAMES: [&str; 16] = [
    "LED panel light",
    "Stainless steel water bottle",
    "Bluetooth speaker",
    "Cotton T-shirt",
    "Ceramic coffee mug",
    "Solar garden lamp",
    "USB-C charger 65W",
    "Yoga mat",
    "Ergonomic office chair",
    "Silicone baking mat",
    "Wireless mouse",
    "Laptop backpack",
    "Kraft paper bag",
    "Camping tent",
    "Bamboo cutting board",
    "Resistance band set",
];
const PORTS: [&str; 6] = [
    "Shenzhen",
    "Ningbo",
    "Shanghai",
    "Xiamen",
    "Qingdao",
    "Guangzhou",
];
const CARRIERS: [&str; 5] = ["Maersk", "COSCO", "MSC", "DHL Express", "Evergreen"];

impl<'a> Seeder<'a> {
    fn new(db: &'a Db, opts: &'a SeedOptions) -> Seeder<'a> {
        let mut rng = StdRng::seed_from_u64(opts.seed);
        let now_ms = millis(opts.now);
        let tag = opts.seed;
        let suppliers = (0..opts.suppliers)
            .map(|s| {
                let s = s as usize;
                let company = format!(
                    "{} {} Co., Ltd.",
                    SUPPLIER_CITY[s % SUPPLIER_CITY.len()],
                    SUPPLIER_TRADE[(s / SUPPLIER_CITY.len() + s) % SUPPLIER_TRADE.len()]
                );
                let products = (0..PRODUCTS_PER_SUPPLIER)
                    .map(|p| {
                        format!(
                            "{} {}{}",
                            PRODUCT_NAMES[(s * 3 + p) % PRODUCT_NAMES.len()],
                            char::from(b'A' + rng.random_range(0..26u8)),
                            rng.random_range(100..1000)
                        )
                    })
                    .collect();
                Person {
                    id: AccountId(v7(&mut rng, now_ms - 400 * DAY_MS)),
                    email: format!("supplier{}.seed{tag}@example.com", s + 1),
                    display_name: format!(
                        "{} sales {}",
                        SUPPLIER_CITY[s % SUPPLIER_CITY.len()],
                        s + 1
                    ),
                    company,
                    country: "CN",
                    products,
                }
            })
            .collect();
        let buyers: Vec<Person> = (0..opts.buyers)
            .map(|b| {
                let b = b as usize;
                let first = BUYER_FIRST[b % BUYER_FIRST.len()];
                let last = BUYER_LAST[(b / BUYER_FIRST.len() + b) % BUYER_LAST.len()];
                Person {
                    id: AccountId(v7(&mut rng, now_ms - 400 * DAY_MS)),
                    email: format!("buyer{}.seed{tag}@example.com", b + 1),
                    display_name: format!("{first} {last}"),
                    company: format!("{last} {}", BUYER_COMPANY[b % BUYER_COMPANY.len()]),
                    country: BUYER_COUNTRY[b % BUYER_COUNTRY.len()],
                    products: Vec::new(),
                }
            })
            .collect();
        let reports = buyers
            .iter()
            .map(|b| BuyerReport {
                account: b.seeded(),
                inquiries: 0,
                messages: 0,
                unread_inquiries: 0,
                unread_messages: 0,
                orders: 0,
                payments: 0,
                order_boxes: BTreeMap::new(),
            })
            .collect();
        let progress = Progress {
            enabled: opts.progress,
            total: total_rows(opts),
            done: 0,
            started: Instant::now(),
            last: Instant::now(),
        };
        Seeder {
            db,
            opts,
            now_ms,
            rng,
            buyers,
            suppliers,
            reports,
            linked_inquiries: Vec::new(),
            unread_accounts: BTreeSet::new(),
            progress,
            feed_rows: 0,
        }
    }

    /// Inserts the batch's rows and commits them as a server write does (`Write`): each
    /// account it touched gets a new version, the feed rows record it (with the records
    /// they keep), and live listeners of this process are poked.
    async fn commit(&mut self, batch: Batch) -> Result<(), SeedError> {
        if batch.is_empty() {
            return Ok(());
        }
        let backend = self.db.backend();
        let mut w = self.db.begin().await?;
        for rows in batch.tables {
            write_rows(w.conn(), backend, rows, &mut self.progress).await?;
        }
        let mut feed_rows = 0;
        for (account, records) in batch.feed {
            feed_rows += records.len() as u64;
            for (kind, record) in records {
                w.touch(account, kind, record);
            }
        }
        w.commit().await?;
        self.feed_rows += feed_rows;
        self.progress.add(feed_rows);
        Ok(())
    }

    async fn accounts(&mut self, password_hash: &str) -> Result<(), SeedError> {
        let mut batch = Batch::new();
        let created = self.now_ms - 400 * DAY_MS;
        for (person, role) in self
            .suppliers
            .iter()
            .map(|p| (p, Role::Supplier))
            .chain(self.buyers.iter().map(|p| (p, Role::Buyer)))
        {
            let company = v7(&mut self.rng, created).to_string();
            batch.rows(&COMPANIES).push([
                Value::Text(company.clone()),
                Value::Text(person.company.clone()),
                Value::Text(person.country.to_owned()),
            ]);
            batch.rows(&ACCOUNTS).push([
                Value::Text(person.id.to_string()),
                Value::Text(person.email.clone()),
                Value::Text(password_hash.to_owned()),
                Value::Text(person.display_name.clone()),
                Value::Text(role.as_str().to_owned()),
                Value::Text(company),
                Value::Int(created),
            ]);
            for product in &person.products {
                batch.rows(&PRODUCTS).push([
                    Value::Text(v7(&mut self.rng, created).to_string()),
                    Value::Text(person.id.to_string()),
                    Value::Text(product.clone()),
                ]);
            }
        }
        self.commit(batch).await
    }

    /// The buyer's inquiries and their messages, spread over the last year, in batches.
    async fn inquiries(&mut self, b: usize) -> Result<(), SeedError> {
        let n = i64::from(self.opts.inquiries);
        let m = i64::from(self.opts.messages_per_inquiry);
        if n == 0 {
            return Ok(());
        }
        // Inquiries open evenly over the past year; a thread's messages follow each other
        // a few minutes apart and all end before `now`.
        let gap = (7 * MINUTE_MS).min((DAY_MS - MINUTE_MS) / m.max(1)).max(2);
        let first = self.now_ms - 366 * DAY_MS;
        let spacing = (365 * DAY_MS / n).max(1);
        let rows_per_inquiry = 3 + 3 * m.unsigned_abs();
        let per_batch = (ROWS_PER_BATCH / rows_per_inquiry).max(1) as i64;
        let buyer = self.buyers[b].id;
        let orders = i64::from(self.opts.orders);
        self.linked_inquiries.clear();
        let mut i = 0;
        while i < n {
            let mut batch = Batch::new();
            for i in i..(i + per_batch).min(n) {
                let s = (b + i as usize) % self.suppliers.len();
                let supplier = self.suppliers[s].id;
                let products = &self.suppliers[s].products;
                let product =
                    products[(i as usize / self.suppliers.len()) % products.len()].clone();
                let opened = first + i * spacing + self.rng.random_range(0..spacing.max(2) / 2);
                let id = InquiryId(v7(&mut self.rng, opened));
                if i < orders {
                    self.linked_inquiries.push(id);
                }
                // Who sent each message: the buyer opens, then they take turns; in about
                // one thread in five the supplier has the last word (one to three
                // messages) and the buyer has not read it yet.
                let supplier_tail = if m >= 2 && self.rng.random_bool(0.2) {
                    self.rng.random_range(1..=(m - 1).min(3))
                } else {
                    0
                };
                let unread_for_buyer = supplier_tail > 0;
                let supplier_read_all = self.rng.random_bool(0.7);
                let senders: Vec<Party> = (0..m)
                    .map(|j| {
                        if j == 0 {
                            Party::Buyer
                        } else if j >= m - supplier_tail {
                            Party::Supplier
                        } else if j % 2 == 0 {
                            Party::Buyer
                        } else {
                            Party::Supplier
                        }
                    })
                    .collect();
                let mut times = Vec::with_capacity(senders.len());
                let mut t = opened;
                for j in 0..m {
                    if j > 0 {
                        t += gap / 2 + self.rng.random_range(0..gap / 2 + 1);
                    }
                    times.push(t);
                }
                let last_buyer = senders.iter().rposition(|p| *p == Party::Buyer);
                let last_supplier = senders.iter().rposition(|p| *p == Party::Supplier);
                let (mut buyer_unread, mut supplier_unread) = (0_i64, 0_i64);
                let mut last_body = String::new();
                for (j, sender) in senders.iter().enumerate() {
                    let sent = times[j];
                    // Read when the reader next wrote, else a little later; unread when
                    // the reader has not written since (and, for the buyer, when this
                    // thread is an unread one).
                    let (reader_last, reader_is_buyer) = match sender {
                        Party::Buyer => (last_supplier, false),
                        Party::Supplier => (last_buyer, true),
                    };
                    let replied = reader_last.is_some_and(|r| r > j);
                    let read = replied
                        || if reader_is_buyer {
                            !unread_for_buyer
                        } else {
                            supplier_read_all
                        };
                    let read_at = if read {
                        let next = senders[j + 1..]
                            .iter()
                            .position(|p| p != sender)
                            .map(|k| times[j + 1 + k] - 1);
                        Some(next.unwrap_or((sent + gap / 2).min(self.now_ms - 1)))
                    } else {
                        if reader_is_buyer {
                            buyer_unread += 1;
                        } else {
                            supplier_unread += 1;
                        }
                        None
                    };
                    let body = self.body(*sender, &product);
                    let message = v7(&mut self.rng, sent).to_string();
                    batch.rows(&MESSAGES).push([
                        Value::Text(message.clone()),
                        Value::Text(id.to_string()),
                        Value::Text(
                            match sender {
                                Party::Buyer => buyer,
                                Party::Supplier => supplier,
                            }
                            .to_string(),
                        ),
                        Value::Text(body.clone()),
                        Value::Text("[]".to_owned()),
                        Value::Int(sent),
                        Value::OptInt(read_at),
                    ]);
                    batch.touch(&[buyer, supplier], RecordKind::Message, message);
                    last_body = body;
                    if *sender == Party::Supplier {
                        self.unread_accounts.insert(buyer);
                    } else {
                        self.unread_accounts.insert(supplier);
                    }
                }
                batch.rows(&INQUIRIES).push([
                    Value::Text(id.to_string()),
                    Value::Text(buyer.to_string()),
                    Value::Text(supplier.to_string()),
                    Value::Text(product),
                    Value::Text("open".to_owned()),
                    Value::Int(opened),
                    Value::Int(times.last().copied().unwrap_or(opened)),
                    Value::Text(preview(&last_body)),
                    Value::Int(buyer_unread),
                    Value::Int(supplier_unread),
                ]);
                batch.touch(&[buyer, supplier], RecordKind::Inquiry, id);
                let report = &mut self.reports[b];
                report.inquiries += 1;
                report.messages += m.unsigned_abs();
                report.unread_messages += buyer_unread.unsigned_abs();
                report.unread_inquiries += u64::from(buyer_unread > 0);
            }
            self.commit(batch).await?;
            i += per_batch;
        }
        Ok(())
    }

    fn body(&mut self, sender: Party, product: &str) -> String {
        let r = &mut self.rng;
        let qty = r.random_range(1..50) * 100;
        let price = format!("{}.{:02}", r.random_range(1..80), r.random_range(0..100));
        let port = PORTS[r.random_range(0..PORTS.len())];
        match (sender, r.random_range(0..6)) {
            (Party::Buyer, 0) => format!(
                "Hello, we are interested in your {product}. Could you quote {qty} pieces FOB {port}?"
            ),
            (Party::Buyer, 1) => {
                format!("What is the lead time for {qty} units of {product}?")
            }
            (Party::Buyer, 2) => {
                "Can you send photos of the packaging and the export carton size?".to_owned()
            }
            (Party::Buyer, 3) => format!(
                "Please confirm USD {price} per piece for {qty} pieces, shipped by sea from {port}."
            ),
            (Party::Buyer, 4) => format!(
                "Could you print our logo on the {product}? What is the minimum order for that?"
            ),
            (Party::Buyer, _) => {
                "Thank you. We will check with our team and come back to you this week.".to_owned()
            }
            (Party::Supplier, 0) => format!(
                "Thank you for your inquiry. For {qty} pieces the price is USD {price} per piece FOB {port}."
            ),
            (Party::Supplier, 1) => format!(
                "Lead time is {} days after the deposit. Samples are available in 5 days.",
                r.random_range(15..60)
            ),
            (Party::Supplier, 2) => {
                format!("Yes, we can print your logo. The minimum order is {qty} pieces.")
            }
            (Party::Supplier, 3) => {
                "Please find our latest catalogue and the test reports on our product page."
                    .to_owned()
            }
            (Party::Supplier, 4) => format!(
                "We can offer {}% off for orders above {} pieces.",
                r.random_range(3..12),
                qty * 2
            ),
            (Party::Supplier, _) => format!(
                "Goods are packed in export cartons of {} pieces; we ship from {port}.",
                r.random_range(2..50)
            ),
        }
    }

    /// Every account that received a message gets its unread totals in its feed, last.
    async fn unread_counts(&mut self) -> Result<(), SeedError> {
        let mut batch = Batch::new();
        for account in std::mem::take(&mut self.unread_accounts) {
            batch.touch(&[account], RecordKind::UnreadCounts, account);
        }
        self.commit(batch).await
    }
}

/// A serde unit variant's name, as the store writes enums.
fn enum_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A UUIDv7 for the instant `at_ms` (so ids sort like the seeded times) with random bits
/// from the seeded generator.
fn v7(rng: &mut StdRng, at_ms: i64) -> Uuid {
    let mut bytes = [0u8; 10];
    rng.fill(&mut bytes);
    uuid::Builder::from_unix_timestamp_millis(at_ms.max(0).unsigned_abs(), &bytes).into_uuid()
}

/// Rows `opts` will insert, for progress.
fn total_rows(opts: &SeedOptions) -> u64 {
    let (b, s) = (u64::from(opts.buyers), u64::from(opts.suppliers));
    let (i, m) = (
        u64::from(opts.inquiries),
        u64::from(opts.messages_per_inquiry),
    );
    let accounts = 2 * (b + s) + s * PRODUCTS_PER_SUPPLIER as u64;
    let threads = i * 3 + i * m * 3;
    let orders = orders::rows_of(opts.orders);
    let unread = if i > 0 {
        s.min(b * i) + if m >= 2 { b } else { 0 }
    } else {
        0
    };
    accounts + b * (threads + orders) + unread
}

/// A summary for people: counts, speed, the accounts and their password.
pub fn describe(report: &SeedReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Seeded {} rows ({} change-feed rows) in {:.1} s ({:.0} rows/s).",
        report.rows,
        report.feed_rows,
        report.elapsed.as_secs_f64(),
        report.rows_per_sec()
    );
    let _ = writeln!(out, "Password of every seeded account: {}", report.password);
    for b in &report.buyers {
        let _ = writeln!(
            out,
            "buyer    {}  ({}: {} inquiries, {} messages, {} unread in {} inquiries, {} orders)",
            b.account.email,
            b.account.display_name,
            b.inquiries,
            b.messages,
            b.unread_messages,
            b.unread_inquiries,
            b.orders
        );
    }
    for s in &report.suppliers {
        let _ = writeln!(out, "supplier {}  ({})", s.email, s.display_name);
    }
    out
}
