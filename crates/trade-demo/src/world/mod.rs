//! Seeding the demo world: accounts, companies, products, inquiries with chat histories
//! and orders in every state of the lifecycle, built through the crate's own code paths
//! (`chat`, `orders`, `payments::begin_payment`, `orders::apply_in` for payment
//! outcomes) as the account each step belongs to, so the change feed carries all of it.
//!
//! Invariants:
//! - The whole world is written in ONE write transaction: a crash leaves no half world,
//!   and every seeded record sits at version [`SEED_FEED_VERSION`] in each demo supplier's
//!   feed (the suppliers are created in that transaction, so it is their first version).
//!   The bot uses this to tell the seeded state apart from what happened later.
//! - Time comes from a test clock set to moments in the past (relative to `base`, the
//!   real clock's now at start), never later than five minutes before `base`, and every
//!   automatic deadline of a seeded order lies well after `base` (unconfirmed orders are
//!   at most 4 days old, transfers in processing 1 day, the dispute 2 days ...).
//! - Content (names, products, quantities, prices, messages) depends only on the seed.

use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sqlx::Row;
use trade_model::ErrorCode;
use trade_model::api::{CardDetails, CreateOrderRequest};
use trade_model::dispute::{DisputeAction, DisputeReason};
use trade_model::entities::{Payment, Role};
use trade_model::order::{
    Actor, Incoterm, Order, OrderAction, OrderLine, OrderOrigin, OrderTerms, Party, PaymentMethod,
    PaymentTerms, ShippingMethod,
};
use trade_model::{DisputeId, InquiryId, MessageId, Money, OrderId, PaymentId};

mod lines;
mod scenes;
mod steps;

use super::catalog::{
    self, BUYER_COMPANY, BUYER_COUNTRY, BUYER_FIRST_NAME, BUYER_NAME, FollowUpKind, OPERATOR_NAME,
    ProductProfile, SupplierProfile, fill, pick,
};
use super::{BUYER_EMAIL, OPERATOR_EMAIL, docs, supplier_email};
use lines::Line;
use trade_server::auth::AuthUser;
use trade_server::chat;
use trade_server::clock::TestClock;
use trade_server::db::Write;
use trade_server::error::{HttpError, HttpResult};
use trade_server::orders::{self, apply_in};
use trade_server::payments::begin_payment;
use trade_server::payments::gateway::{CARD_APPROVE, Charge, ChargeOutcome};
use trade_server::state::AppState;
use trade_server::store;

/// The feed version of every seeded record in a demo supplier's feed (see module docs).
pub const SEED_FEED_VERSION: i64 = 1;

const MINUTE: i64 = 1;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// Nothing is seeded later than this before the real clock's now.
const LATEST: i64 = 5 * MINUTE;

/// What a start seeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldSummary {
    pub seed: u64,
    pub suppliers: usize,
    pub inquiries: usize,
    /// Inquiries with supplier messages the buyer has not read ("Unread Messages").
    pub unread_inquiries: i64,
    pub unread_messages: i64,
    pub orders: usize,
}

/// Argon2 hashes of the demo passwords, made before the seeding transaction starts.
pub struct PasswordHashes {
    pub buyer: String,
    pub operator: String,
    pub supplier: String,
}

/// Who acts in a step.
#[derive(Debug, Clone, Copy)]
enum Who {
    Buyer,
    Supplier(usize),
}

struct SeededSupplier {
    user: AuthUser,
    profile: &'static SupplierProfile,
    /// Indexes into `profile.products`, shuffled; inquiries take them in turn.
    products: Vec<usize>,
    next_product: usize,
}

/// A chat between the buyer and one supplier, with who said what last.
struct Thread {
    id: InquiryId,
    supplier: usize,
    last_buyer: Option<MessageId>,
    last_supplier: Option<MessageId>,
    /// Minutes before `base` of the latest message.
    last_at: i64,
}

/// What the chat agreed on, which the order then carries.
struct Deal {
    product: &'static ProductProfile,
    qty: u64,
    price: i64,
    lead_days: u32,
    /// A second line some orders add.
    extra: Option<(&'static ProductProfile, u64, i64)>,
}

struct WorldBuilder<'a> {
    state: &'a AppState,
    clock: &'a TestClock,
    base: Timestamp,
    rng: StdRng,
    w: Write,
    buyer: AuthUser,
    suppliers: Vec<SeededSupplier>,
    orders: usize,
    inquiries: usize,
}

fn seeding_user(id: trade_model::AccountId, role: Role) -> AuthUser {
    AuthUser {
        id,
        role,
        family: "demo-world".to_owned(),
    }
}

fn round_price(minor: i64) -> i64 {
    if minor >= 100 { (minor / 5) * 5 } else { minor }
}

fn quantity(q: u64) -> String {
    let digits = q.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The order's lines as a document lists them, numbered: "1. Brass valve — 500 pieces ×
/// USD 6.05 = USD 3,025.00" (`between` after the product, `times` before the price).
fn item_lines(terms: &OrderTerms, between: &str, times: char) -> Vec<String> {
    terms
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let amount = i64::try_from(line.quantity).unwrap_or(0) * line.unit_price_minor;
            format!(
                "{}. {}{between}{} {} {times} {} = {}",
                i + 1,
                line.product,
                quantity(line.quantity),
                line.unit,
                Money::new(line.unit_price_minor, terms.currency),
                Money::new(amount, terms.currency)
            )
        })
        .collect()
}

/// Whether the world exists (the demo buyer's account is the marker). A database with
/// other accounts but no demo world is refused: the demo's passwords (an operator's
/// among them) are public, so they must never land in a real database.
pub async fn exists(state: &AppState) -> HttpResult<bool> {
    if store::accounts::by_email(&state.db, BUYER_EMAIL)
        .await?
        .is_some()
    {
        return Ok(true);
    }
    // A read-only safety check; the store has no "any accounts?" query.
    let accounts: i64 = sqlx::query("SELECT COUNT(*) AS n FROM accounts")
        .fetch_one(state.db.pool())
        .await?
        .try_get("n")?;
    if accounts > 0 {
        return Err(HttpError::conflict(
            ErrorCode::DemoDatabaseInUse,
            format!(
                "the database already has {accounts} accounts and no demo world; the demo \
                 seeds only an empty database (its passwords are public): use another --data-dir"
            ),
        ));
    }
    Ok(false)
}

/// Seeds the world for `seed` in one transaction on `state`, whose clock must be
/// `clock`; `base` is the real now the world's history leads up to.
pub async fn seed(
    state: &AppState,
    clock: &TestClock,
    base: Timestamp,
    seed: u64,
    hashes: &PasswordHashes,
) -> HttpResult<WorldSummary> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut profiles: Vec<&'static SupplierProfile> = Vec::with_capacity(5);
    let mut china: Vec<&'static SupplierProfile> = catalog::CHINA.iter().collect();
    china.shuffle(&mut rng);
    profiles.extend(china.into_iter().take(2));
    for group in [catalog::VIETNAM, catalog::INDIA, catalog::TURKEY] {
        profiles.push(pick(&mut rng, group));
    }

    let w = state.db.begin().await?;
    let mut s = WorldBuilder {
        state,
        clock,
        base,
        rng,
        w,
        buyer: seeding_user(trade_model::AccountId::new(), Role::Buyer),
        suppliers: Vec::new(),
        orders: 0,
        inquiries: 0,
    };
    s.accounts(&profiles, hashes).await?;
    s.scenarios().await?;
    let WorldBuilder {
        w,
        buyer,
        suppliers,
        orders,
        inquiries,
        ..
    } = s;
    w.commit().await?;
    let (unread_messages, unread_inquiries) =
        store::inquiries::unread_totals(&state.db, buyer.id, trade_model::entities::Role::Buyer)
            .await?;
    Ok(WorldSummary {
        seed,
        suppliers: suppliers.len(),
        inquiries,
        unread_inquiries,
        unread_messages,
        orders,
    })
}

impl WorldBuilder<'_> {
    /// Moves the clock to `minutes_ago` minutes before `base`.
    fn at(&self, minutes_ago: i64) {
        let ago = minutes_ago.max(LATEST);
        let t = self
            .base
            .checked_sub(SignedDuration::from_mins(ago))
            .unwrap_or(self.base);
        self.clock.set(t);
    }

    /// A pause between two chat messages, in minutes.
    fn gap(&mut self) -> i64 {
        self.rng.random_range(20..=180)
    }

    fn user(&self, who: Who) -> AuthUser {
        match who {
            Who::Buyer => self.buyer.clone(),
            Who::Supplier(i) => self.suppliers[i].user.clone(),
        }
    }

    fn money(&self, supplier: usize, minor: i64) -> String {
        Money::new(minor, self.suppliers[supplier].profile.currency).to_string()
    }

    async fn accounts(
        &mut self,
        profiles: &[&'static SupplierProfile],
        hashes: &PasswordHashes,
    ) -> HttpResult<()> {
        self.at(35 * DAY);
        let now = self.state.now();
        let taken = || {
            HttpError::conflict(
                ErrorCode::DemoEmailTaken,
                "A demo account's email is already registered by someone else.",
            )
        };
        let buyer = store::accounts::insert(
            &mut self.w,
            &store::accounts::NewAccount {
                email: BUYER_EMAIL,
                password_hash: &hashes.buyer,
                display_name: BUYER_NAME,
                role: Role::Buyer,
                company_name: BUYER_COMPANY,
                country: BUYER_COUNTRY,
            },
            now,
        )
        .await?
        .ok_or_else(taken)?;
        self.buyer = seeding_user(buyer.id, Role::Buyer);
        store::accounts::insert(
            &mut self.w,
            &store::accounts::NewAccount {
                email: OPERATOR_EMAIL,
                password_hash: &hashes.operator,
                display_name: OPERATOR_NAME,
                role: Role::Operator,
                company_name: "Trade Center",
                country: "HK",
            },
            now,
        )
        .await?
        .ok_or_else(taken)?;
        for profile in profiles {
            let email = supplier_email(profile.email_local);
            let account = store::accounts::insert(
                &mut self.w,
                &store::accounts::NewAccount {
                    email: &email,
                    password_hash: &hashes.supplier,
                    display_name: profile.contact,
                    role: Role::Supplier,
                    company_name: profile.company,
                    country: profile.country,
                },
                now,
            )
            .await?
            .ok_or_else(taken)?;
            for product in profile.products {
                store::accounts::insert_product(&mut self.w, account.id, product.name).await?;
            }
            let mut products: Vec<usize> = (0..profile.products.len()).collect();
            products.shuffle(&mut self.rng);
            self.suppliers.push(SeededSupplier {
                user: seeding_user(account.id, Role::Supplier),
                profile,
                products,
                next_product: 0,
            });
        }
        Ok(())
    }

    /// Twelve inquiries, ten of them with an order, one order per box (and a few more).
    async fn scenarios(&mut self) -> HttpResult<()> {
        let mut order_of_suppliers: Vec<usize> = (0..self.suppliers.len()).collect();
        order_of_suppliers.shuffle(&mut self.rng);
        let supplier_for = |i: usize| order_of_suppliers[i % order_of_suppliers.len()];
        // One more thread (besides the newest three) ends with messages left unread.
        let extra_unread = *pick(&mut self.rng, &[2usize, 3, 4, 6, 7]);
        let unread = |i: usize| i >= 9 || i == extra_unread;

        self.completed(supplier_for(0), unread(0)).await?;
        self.disputed(supplier_for(1), unread(1)).await?;
        self.shipped_after_transfer(supplier_for(2), unread(2))
            .await?;
        self.deposit_paid(supplier_for(3), unread(3)).await?;
        self.paid_awaiting_shipment(supplier_for(4), unread(4))
            .await?;
        self.cancelled(supplier_for(5), unread(5)).await?;
        self.ordered_from_buyer_contract(supplier_for(6), unread(6))
            .await?;
        self.transfer_processing(supplier_for(7), unread(7)).await?;
        self.waiting_for_supplier(supplier_for(8), unread(8))
            .await?;
        self.waiting_for_buyer(supplier_for(9)).await?;
        self.open_quote(supplier_for(10)).await?;
        self.fresh_inquiry(supplier_for(11)).await?;
        Ok(())
    }

    // ---- chat -------------------------------------------------------------------

    fn vars(&self, th: &Thread, deal: &Deal) -> Vec<(&'static str, String)> {
        let p = self.suppliers[th.supplier].profile;
        vec![
            ("product", deal.product.name.to_owned()),
            ("qty", quantity(deal.qty)),
            ("unit", deal.product.unit.to_owned()),
            ("each", deal.product.each.to_owned()),
            ("price", self.money(th.supplier, deal.price)),
            ("port", p.port.to_owned()),
            ("moq", quantity(deal.product.moq)),
            ("lead", deal.lead_days.to_string()),
            ("certs", p.certificates.to_owned()),
            ("contact", p.first_name().to_owned()),
            ("buyer", BUYER_FIRST_NAME.to_owned()),
        ]
    }

    fn text(template: &str, vars: &[(&'static str, String)]) -> String {
        let borrowed: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        fill(template, &borrowed)
    }
}
