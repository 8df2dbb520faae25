//! The trade backend's demo and test data, apart from the product (`trade-server`):
//! the real HTTPS server with a seeded, realistic world and a supplier bot that keeps it
//! alive (what `trade-demo` serves and `./dev run` starts), and [`seed`], bulk-generated
//! accounts for benchmarks.
//!
//! - The world (a demo buyer with known credentials, an operator, suppliers in CN, VN,
//!   IN and TR with products, a dozen inquiries with chat histories over the past weeks,
//!   orders in every state of the lifecycle) is created once, when the database has no
//!   demo buyer; restarting keeps the world and whatever the user did. See [`world`].
//! - The bot answers buyer messages, confirms orders, ships paid ones, answers disputes
//!   and (as the operator) records transfers' funds, through the same code paths as the
//!   API. See [`bot`].
//!
//! Everything runs in-process: [`start`] returns the [`Running`] server and the demo
//! accounts; `Running::shutdown` stops the bot too (it ends when the database closes).

mod bot;
mod catalog;
mod docs;
mod quotes;
pub mod seed;
mod world;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use trade_model::ErrorCode;

use jiff::SignedDuration;
use trade_model::AccountId;
use trade_model::entities::{Account, Payment, PaymentStatus, Role};
use trade_model::order::{Actor, Order, OrderAction, PaymentMethod};

use trade_server::app::{Config, Running, StartError};
use trade_server::auth::AuthUser;
use trade_server::clock::{Clock, SystemClock, TestClock};
use trade_server::db::Write;
use trade_server::error::{HttpError, HttpResult};
use trade_server::orders::apply_in;
use trade_server::payments::gateway::PaymentGateway;
use trade_server::state::AppState;
use trade_server::store;

pub use world::{SEED_FEED_VERSION, WorldSummary};

/// Every demo account's email is in this domain (`.test` never resolves).
pub const DEMO_DOMAIN: &str = "demo.tradecenter.test";
pub const BUYER_EMAIL: &str = "buyer@demo.tradecenter.test";
pub const BUYER_PASSWORD: &str = "demo-buyer-2026";
pub const OPERATOR_EMAIL: &str = "operator@demo.tradecenter.test";
pub const OPERATOR_PASSWORD: &str = "demo-operator-2026";
/// Shared by the demo suppliers, so one can sign in as a supplier too.
pub const SUPPLIER_PASSWORD: &str = "demo-supplier-2026";

pub const DEFAULT_SEED: u64 = 42;
pub const DEFAULT_BOT_DELAY: Duration = Duration::from_millis(1500);

/// How the world's history is laid out before the start: the build clock starts here.
const HISTORY: SignedDuration = SignedDuration::from_hours(24 * 40);

fn supplier_email(local: &str) -> String {
    format!("{local}@{DEMO_DOMAIN}")
}

pub struct DemoOptions {
    /// Database (SQLite `trade.db` unless `database_url`), documents and the local CA.
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// PostgreSQL instead of the embedded SQLite file.
    pub database_url: Option<String>,
    /// Chooses the world's content (suppliers, products, prices, messages) and the bot's
    /// replies; the same seed gives the same world.
    pub seed: u64,
    /// How long the bot takes before it acts on something new.
    pub bot_delay: Duration,
    /// The server's clock (tests may pass a `TestClock`). The world's history ends just
    /// before its now.
    pub clock: Arc<dyn Clock>,
    /// The card provider (`None`: the sandbox with its books in `data_dir`).
    pub gateway: Option<Arc<dyn PaymentGateway>>,
    /// How long a card payment waits for the provider's answer before the reconciler
    /// asks the provider what became of it.
    pub settle_card_payments_after: SignedDuration,
    /// How long Pay Now waits for the card provider before it answers "still processing".
    pub pay_now_hold: Duration,
}

impl DemoOptions {
    pub fn new(data_dir: PathBuf, listen: SocketAddr) -> Self {
        Self {
            data_dir,
            listen,
            database_url: None,
            seed: DEFAULT_SEED,
            bot_delay: DEFAULT_BOT_DELAY,
            clock: Arc::new(SystemClock),
            gateway: None,
            settle_card_payments_after: trade_server::app::DEFAULT_SETTLE_CARD_PAYMENTS_AFTER,
            pay_now_hold: trade_server::app::DEFAULT_PAY_NOW_HOLD,
        }
    }
}

/// An account of the demo world with its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    pub id: AccountId,
    pub email: String,
    pub password: &'static str,
    pub display_name: String,
    pub company: String,
    pub country: String,
}

impl DemoLogin {
    fn new(account: Account, password: &'static str) -> Self {
        Self {
            id: account.id,
            email: account.email,
            password,
            display_name: account.display_name,
            company: account.company.name,
            country: account.company.country,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DemoAccounts {
    pub buyer: DemoLogin,
    pub operator: DemoLogin,
    pub suppliers: Vec<DemoLogin>,
    /// What this start seeded; `None` when the world was already there.
    pub seeded: Option<WorldSummary>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("demo world: {message} ({code})")]
    World { code: ErrorCode, message: String },
    #[error("demo world: {0}")]
    Store(#[from] trade_server::store::StoreError),
}

impl From<HttpError> for DemoError {
    fn from(err: HttpError) -> Self {
        DemoError::World {
            code: err.code,
            message: err.message,
        }
    }
}

/// Starts the demo: seeds the world if the database has none, then serves it over HTTPS
/// with the supplier bot running. The world is built on a short-lived server instance
/// whose clock walks through the past weeks; the returned server runs on `opts.clock`.
pub async fn start(opts: DemoOptions) -> Result<(Running, DemoAccounts), DemoError> {
    let base = opts.clock.now();
    let seeded = build_world(&opts, base).await?;

    let mut config = Config::new(opts.data_dir, opts.listen);
    config.database_url = opts.database_url;
    config.clock = opts.clock;
    config.gateway = opts.gateway;
    config.settle_card_payments_after = opts.settle_card_payments_after;
    config.pay_now_hold = opts.pay_now_hold;
    let running = trade_server::app::start(config).await?;
    let accounts = match load_accounts(&running.state, seeded).await {
        Ok(accounts) => accounts,
        Err(err) => {
            running.shutdown().await;
            return Err(err);
        }
    };
    if let Err(err) = quotes::publish_rates(&running.state, opts.seed).await {
        running.shutdown().await;
        return Err(err.into());
    }
    bot::spawn(running.state.clone(), &accounts, opts.seed, opts.bot_delay);
    tracing::info!(
        suppliers = accounts.suppliers.len(),
        seeded = accounts.seeded.is_some(),
        "demo running"
    );
    Ok((running, accounts))
}

/// Seeds the world unless it exists, on a temporary instance with a test clock (on an
/// ephemeral port nobody is told about). Returns what it seeded.
async fn build_world(
    opts: &DemoOptions,
    base: jiff::Timestamp,
) -> Result<Option<WorldSummary>, DemoError> {
    tracing::info!("opening the demo database on a temporary instance");
    let clock = TestClock::new(base.checked_sub(HISTORY).unwrap_or(base));
    let mut config = Config::new(opts.data_dir.clone(), SocketAddr::from(([127, 0, 0, 1], 0)));
    config.database_url = opts.database_url.clone();
    config.clock = Arc::new(clock.clone());
    let builder = trade_server::app::start(config).await?;
    let result = async {
        if world::exists(&builder.state).await? {
            tracing::info!("demo world found; keeping it");
            return Ok(None);
        }
        tracing::info!(seed = opts.seed, "seeding the demo world");
        let hashes = world::PasswordHashes {
            buyer: trade_server::auth::password::hash_on_pool(BUYER_PASSWORD.to_owned()).await?,
            operator: trade_server::auth::password::hash_on_pool(OPERATOR_PASSWORD.to_owned())
                .await?,
            supplier: trade_server::auth::password::hash_on_pool(SUPPLIER_PASSWORD.to_owned())
                .await?,
        };
        let summary = world::seed(&builder.state, &clock, base, opts.seed, &hashes).await?;
        tracing::info!(?summary, "demo world seeded");
        Ok::<_, HttpError>(Some(summary))
    }
    .await;
    builder.shutdown().await;
    Ok(result?)
}

async fn load_accounts(
    state: &AppState,
    seeded: Option<WorldSummary>,
) -> Result<DemoAccounts, DemoError> {
    let incomplete = |what: &str| DemoError::World {
        code: ErrorCode::DemoIncompleteWorld,
        message: format!("the database has a demo world without {what}; use an empty --data-dir"),
    };
    let buyer = store::accounts::by_email(&state.db, BUYER_EMAIL)
        .await?
        .ok_or_else(|| incomplete("the demo buyer"))?
        .0;
    let operator = store::accounts::by_email(&state.db, OPERATOR_EMAIL)
        .await?
        .filter(|(a, _)| a.role == Role::Operator)
        .ok_or_else(|| incomplete("the demo operator"))?
        .0;
    let suppliers: Vec<DemoLogin> = store::accounts::suppliers(&state.db)
        .await?
        .into_iter()
        .filter(|a| a.email.ends_with(&format!("@{DEMO_DOMAIN}")))
        .map(|a| DemoLogin::new(a, SUPPLIER_PASSWORD))
        .collect();
    if suppliers.is_empty() {
        return Err(incomplete("demo suppliers"));
    }
    Ok(DemoAccounts {
        buyer: DemoLogin::new(buyer, BUYER_PASSWORD),
        operator: DemoLogin::new(operator, OPERATOR_PASSWORD),
        suppliers,
        seeded,
    })
}

/// The user acting for a demo account in-process (world building and the bot). The
/// session family is only used by sign-out, which these never do.
fn acting_as(login: &DemoLogin, role: Role) -> AuthUser {
    AuthUser {
        id: login.id,
        role,
        family: "demo".to_owned(),
    }
}

/// The bank told the platform a transfer arrived: the operator records it, as
/// `POST /v1/operator/payments/funds-arrived` does, inside `w`.
async fn record_funds_arrival(
    w: &mut Write,
    state: &AppState,
    payment: &Payment,
) -> HttpResult<Order> {
    if payment.method != PaymentMethod::TelegraphicTransfer
        || payment.status != PaymentStatus::Processing
    {
        return Err(HttpError::conflict(
            ErrorCode::PaymentNotProcessing,
            "This transfer was already settled or has expired.",
        ));
    }
    let (order, _) = apply_in(
        w,
        state,
        payment.order,
        |_| Some(Actor::Operator),
        &OrderAction::PaymentSucceeded {
            payment_id: payment.id,
        },
    )
    .await?;
    Ok(order)
}

/// What `trade-demo serve` prints once it is up.
pub fn describe(running: &Running, accounts: &DemoAccounts) -> String {
    let mut out = format!("Trade Center demo on {}\n", running.base_url());
    if let Some(ca) = &running.ca_path {
        out.push_str(&format!("Clients must trust this CA: {}\n", ca.display()));
    }
    let b = &accounts.buyer;
    out.push_str(&format!(
        "\nDemo buyer:  {} / {}   ({}, {}, {})\n",
        b.email, b.password, b.display_name, b.company, b.country
    ));
    let o = &accounts.operator;
    out.push_str(&format!(
        "Operator:    {} / {}   (payments and disputes)\n",
        o.email, o.password
    ));
    out.push_str(&format!("Suppliers (password {SUPPLIER_PASSWORD}):\n"));
    for s in &accounts.suppliers {
        out.push_str(&format!(
            "  {:<36} {} ({})\n",
            s.email, s.company, s.country
        ));
    }
    match &accounts.seeded {
        Some(w) => out.push_str(&format!(
            "\nSeeded a new world (seed {}): {} inquiries ({} unread), {} orders.\n",
            w.seed, w.inquiries, w.unread_inquiries, w.orders
        )),
        None => out.push_str("\nKept the existing demo world.\n"),
    }
    out.push_str(
        "The supplier bot answers messages, confirms and ships orders, answers disputes and \
         clears transfers.\n",
    );
    out
}
