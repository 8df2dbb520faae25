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
    Actor, Incoterm, Order, OrderAction, OrderLine, OrderOrigin, OrderTerms, PaymentMethod,
    PaymentTerms, ShippingMethod,
};
use trade_model::{DisputeId, InquiryId, MessageId, Money, OrderId, PaymentId};

use super::catalog::{
    self, BUYER_COMPANY, BUYER_COUNTRY, BUYER_FIRST_NAME, BUYER_NAME, FollowUpKind, OPERATOR_NAME,
    ProductProfile, SupplierProfile, fill, pick,
};
use super::{BUYER_EMAIL, OPERATOR_EMAIL, docs, supplier_email};
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

    async fn buyer_says(&mut self, th: &mut Thread, at: i64, body: &str) -> HttpResult<()> {
        self.at(at);
        // People read what they answer.
        if let Some(up_to) = th.last_supplier {
            chat::mark_read(&mut self.w, self.state, &self.buyer, th.id, up_to).await?;
        }
        let id = MessageId::new();
        chat::post_message(&mut self.w, self.state, &self.buyer, th.id, id, body, &[]).await?;
        th.last_buyer = Some(id);
        th.last_at = at;
        Ok(())
    }

    async fn supplier_says(&mut self, th: &mut Thread, at: i64, body: &str) -> HttpResult<()> {
        self.at(at);
        let user = self.user(Who::Supplier(th.supplier));
        if let Some(up_to) = th.last_buyer {
            chat::mark_read(&mut self.w, self.state, &user, th.id, up_to).await?;
        }
        let id = MessageId::new();
        chat::post_message(&mut self.w, self.state, &user, th.id, id, body, &[]).await?;
        th.last_supplier = Some(id);
        th.last_at = at;
        Ok(())
    }

    /// When the next message of `th` is written: a little after its last one.
    fn next_gap(&mut self, th: &Thread) -> i64 {
        th.last_at - self.gap()
    }

    /// Opens an inquiry at `start` minutes ago: the buyer asks, the supplier quotes, then
    /// `follow_ups` rounds of question and answer. Returns the thread and the deal.
    async fn open(
        &mut self,
        supplier: usize,
        start: i64,
        follow_ups: usize,
    ) -> HttpResult<(Thread, Deal)> {
        let sup = &mut self.suppliers[supplier];
        let profile = sup.profile;
        let product = &profile.products[sup.products[sup.next_product % sup.products.len()]];
        sup.next_product += 1;
        let qty = *pick(&mut self.rng, product.quantities);
        let price = round_price(self.rng.random_range(product.price.0..=product.price.1));
        let mut deal = Deal {
            product,
            qty,
            price,
            lead_days: self.rng.random_range(20..=45),
            extra: None,
        };
        let mut th = Thread {
            id: InquiryId::new(),
            supplier,
            last_buyer: None,
            last_supplier: None,
            last_at: start,
        };
        let vars = self.vars(&th, &deal);
        let opening = Self::text(pick::<&str>(&mut self.rng, catalog::OPENINGS), &vars);
        self.at(start);
        let first = MessageId::new();
        let supplier_id = self.suppliers[supplier].user.id;
        chat::open_inquiry(
            &mut self.w,
            self.state,
            &self.buyer,
            th.id,
            supplier_id,
            product.name,
            first,
            &opening,
        )
        .await?;
        self.inquiries += 1;
        th.last_buyer = Some(first);
        let quote = Self::text(pick::<&str>(&mut self.rng, catalog::QUOTES), &vars);
        let at = self.next_gap(&th);
        self.supplier_says(&mut th, at, &quote).await?;

        let mut kinds: Vec<usize> = (0..catalog::FOLLOW_UPS.len()).collect();
        kinds.shuffle(&mut self.rng);
        for &k in kinds.iter().take(follow_ups) {
            let follow = &catalog::FOLLOW_UPS[k];
            let mut vars = self.vars(&th, &deal);
            if follow.kind == FollowUpKind::Discount {
                let qty2 = deal.qty * 2;
                let price2 = round_price(deal.price * self.rng.random_range(92..=97) / 100);
                vars.push(("qty2", quantity(qty2)));
                vars.push(("price2", self.money(supplier, price2)));
                deal.qty = qty2;
                deal.price = price2;
            }
            let question = Self::text(pick::<&str>(&mut self.rng, follow.questions), &vars);
            let at = self.next_gap(&th);
            self.buyer_says(&mut th, at, &question).await?;
            let answer = Self::text(pick::<&str>(&mut self.rng, follow.answers), &vars);
            let at = self.next_gap(&th);
            self.supplier_says(&mut th, at, &answer).await?;
        }
        // Some orders add a second product of the same supplier.
        if self.rng.random_ratio(1, 3) && profile.products.len() > 1 {
            let others: Vec<&'static ProductProfile> = profile
                .products
                .iter()
                .filter(|p| p.name != product.name)
                .collect();
            let other = *pick(&mut self.rng, &others);
            let qty = *pick(&mut self.rng, other.quantities);
            let price = round_price(self.rng.random_range(other.price.0..=other.price.1));
            deal.extra = Some((other, qty, price));
        }
        Ok((th, deal))
    }

    /// Ends a thread as read (the buyer read everything a little after the last
    /// message) or leaves the supplier's last messages unread.
    async fn finish(&mut self, th: &Thread, unread: bool) -> HttpResult<()> {
        if unread {
            return Ok(());
        }
        if let Some(up_to) = th.last_supplier {
            let at = th.last_at - self.rng.random_range(5..=60);
            self.at(at);
            chat::mark_read(&mut self.w, self.state, &self.buyer, th.id, up_to).await?;
        }
        Ok(())
    }

    // ---- orders -----------------------------------------------------------------

    fn terms(
        &mut self,
        th: &Thread,
        deal: &Deal,
        deposit_percent: Option<u32>,
        documents: Vec<trade_model::DocumentId>,
    ) -> HttpResult<OrderTerms> {
        let profile = self.suppliers[th.supplier].profile;
        let mut lines = vec![OrderLine {
            product: deal.product.name.to_owned(),
            quantity: deal.qty,
            unit: deal.product.unit.to_owned(),
            unit_price_minor: deal.price,
        }];
        if let Some((p, qty, price)) = deal.extra {
            lines.push(OrderLine {
                product: p.name.to_owned(),
                quantity: qty,
                unit: p.unit.to_owned(),
                unit_price_minor: price,
            });
        }
        let total: i64 = lines
            .iter()
            .map(|l| i64::try_from(l.quantity).unwrap_or(0) * l.unit_price_minor)
            .sum();
        let today = trade_model::time::utc_date(self.state.now());
        let ship_by = today
            .checked_add(jiff::Span::new().days(self.rng.random_range(30..=60)))
            .map_err(HttpError::internal)?;
        let incoterm = pick(
            &mut self.rng,
            &[Incoterm::Fob, Incoterm::Fob, Incoterm::Cif, Incoterm::Exw],
        )
        .clone();
        let shipping_method = *pick(
            &mut self.rng,
            &[
                ShippingMethod::Sea,
                ShippingMethod::Sea,
                ShippingMethod::Sea,
                ShippingMethod::Rail,
                ShippingMethod::Air,
            ],
        );
        let remarks = format!(
            "{} Port of loading: {}.",
            pick(&mut self.rng, catalog::REMARKS),
            profile.port
        );
        Ok(OrderTerms {
            lines,
            currency: profile.currency,
            incoterm,
            shipping_method,
            ship_by,
            payment_terms: match deposit_percent {
                Some(p) => PaymentTerms::deposit_percent(total, p),
                None => PaymentTerms::Full,
            },
            remarks,
            documents,
        })
    }

    /// The usual start of a scene: an inquiry to `supplier` opened `start` ago with
    /// `follow_ups` exchanges, the buyer's order from its quote placed `placed` ago with a
    /// deposit of `deposit_percent` (`None`: paid in full), and the supplier's
    /// confirmation `after` that.
    async fn confirmed_from_quote(
        &mut self,
        supplier: usize,
        start: i64,
        follow_ups: usize,
        deposit_percent: Option<u32>,
        placed: i64,
        after: i64,
    ) -> HttpResult<(Thread, Deal, Order)> {
        let (th, deal) = self.open(supplier, start, follow_ups).await?;
        let terms = self.terms(&th, &deal, deposit_percent, vec![])?;
        let order = self
            .create_order(Who::Buyer, &th, OrderOrigin::Template, terms, placed)
            .await?;
        let order = self
            .confirm(Who::Supplier(supplier), &order, placed - after)
            .await?;
        Ok((th, deal, order))
    }

    async fn create_order(
        &mut self,
        by: Who,
        th: &Thread,
        origin: OrderOrigin,
        terms: OrderTerms,
        at: i64,
    ) -> HttpResult<Order> {
        self.at(at);
        let user = self.user(by);
        let counterparty = match by {
            Who::Buyer => self.suppliers[th.supplier].user.id,
            Who::Supplier(_) => self.buyer.id,
        };
        let request = CreateOrderRequest {
            counterparty,
            inquiry: Some(th.id),
            origin,
            terms,
        };
        let (order, _) =
            orders::submit(&mut self.w, self.state, &user, OrderId::new(), request).await?;
        self.orders += 1;
        Ok(order)
    }

    async fn step(
        &mut self,
        by: Who,
        order: OrderId,
        action: OrderAction,
        at: i64,
    ) -> HttpResult<Order> {
        self.at(at);
        let user = self.user(by);
        let (order, _) = orders::step(&mut self.w, self.state, &user, order, &action).await?;
        Ok(order)
    }

    async fn confirm(&mut self, by: Who, order: &Order, at: i64) -> HttpResult<Order> {
        let action = OrderAction::Confirm {
            version: order.version,
        };
        self.step(by, order.id, action, at).await
    }

    /// Pay Now by card with the sandbox's approving test card: the order enters payment
    /// processing, the gateway approves, the platform records the success.
    async fn pay_by_card(&mut self, order: &Order, at: i64) -> HttpResult<Order> {
        self.at(at);
        let due = order
            .next_installment()
            .ok_or_else(|| HttpError::from(trade_model::Rejection::NothingDue))?;
        let payment_id = PaymentId::new();
        let (processing, payment) = begin_payment(
            &mut self.w,
            self.state,
            &self.buyer,
            order.id,
            payment_id,
            PaymentMethod::Card,
            due.amount_minor,
            Some(CARD_APPROVE[CARD_APPROVE.len() - 4..].to_owned()),
        )
        .await?;
        let today = trade_model::time::utc_date(self.state.now());
        let card = CardDetails {
            number: CARD_APPROVE.to_owned(),
            exp_month: 12,
            exp_year: u16::try_from(today.year() + 3).unwrap_or(2030),
            cvc: "123".to_owned(),
            holder: BUYER_NAME.to_owned(),
        };
        let outcome = self
            .state
            .gateway
            .charge(Charge {
                payment: payment_id,
                amount: Money::new(
                    payment.amount_minor + payment.fee_minor,
                    processing.terms.currency,
                ),
                card: &card,
            })
            .await;
        if !matches!(outcome, Ok(ChargeOutcome::Approved { .. })) {
            return Err(HttpError::internal(format!(
                "the payment gateway did not approve the demo card: {outcome:?}"
            )));
        }
        let (paid, _) = apply_in(
            &mut self.w,
            self.state,
            order.id,
            |_| Some(Actor::System),
            &OrderAction::PaymentSucceeded { payment_id },
        )
        .await?;
        Ok(paid)
    }

    /// Pay Now by telegraphic transfer: the order waits for the funds.
    async fn begin_transfer(&mut self, order: &Order, at: i64) -> HttpResult<Payment> {
        self.at(at);
        let due = order
            .next_installment()
            .ok_or_else(|| HttpError::from(trade_model::Rejection::NothingDue))?;
        let (_, payment) = begin_payment(
            &mut self.w,
            self.state,
            &self.buyer,
            order.id,
            PaymentId::new(),
            PaymentMethod::TelegraphicTransfer,
            due.amount_minor,
            None,
        )
        .await?;
        Ok(payment)
    }

    async fn funds_arrive(&mut self, payment: &Payment, at: i64) -> HttpResult<Order> {
        self.at(at);
        super::record_funds_arrival(&mut self.w, self.state, payment).await
    }

    /// The supplier ships with a carrier for the order's shipping method and tells the
    /// buyer the tracking number in the chat.
    async fn ship(&mut self, th: &mut Thread, order: &Order, at: i64) -> HttpResult<Order> {
        let (carrier, tracking_number) =
            catalog::tracking(&mut self.rng, order.terms.shipping_method);
        let shipped = self
            .step(
                Who::Supplier(th.supplier),
                order.id,
                OrderAction::Ship {
                    carrier: carrier.clone(),
                    tracking_number: tracking_number.clone(),
                },
                at,
            )
            .await?;
        let port = self.suppliers[th.supplier].profile.port;
        let note = format!(
            "Good news, {BUYER_FIRST_NAME}: your order left {port} today with {carrier}. Tracking number: {tracking_number}."
        );
        self.supplier_says(th, at - 10 * MINUTE, &note).await?;
        Ok(shipped)
    }

    // ---- scenarios ----------------------------------------------------------------
    // Each builds one inquiry (and order) along its own timeline; minutes are counted
    // back from `base`.

    /// Completed with feedback: card, shipped, receipt confirmed, five stars.
    async fn completed(&mut self, supplier: usize, unread: bool) -> HttpResult<()> {
        let (mut th, _, order) = self
            .confirmed_from_quote(supplier, 28 * DAY, 2, None, 26 * DAY, 3 * HOUR)
            .await?;
        let order = self.pay_by_card(&order, 25 * DAY).await?;
        let order = self.ship(&mut th, &order, 22 * DAY).await?;
        let order = self
            .step(Who::Buyer, order.id, OrderAction::ConfirmReceipt, 4 * DAY)
            .await?;
        let (rating, comment) = *pick(&mut self.rng, catalog::FEEDBACK);
        self.step(
            Who::Buyer,
            order.id,
            OrderAction::LeaveFeedback {
                rating,
                comment: comment.to_owned(),
            },
            4 * DAY - 30 * MINUTE,
        )
        .await?;
        self.buyer_says(
            &mut th,
            4 * DAY - 40 * MINUTE,
            "Goods received in good condition, thank you! I left feedback on the order.",
        )
        .await?;
        self.supplier_says(
            &mut th,
            3 * DAY,
            &format!(
                "Thank you for the feedback, {BUYER_FIRST_NAME}! Looking forward to your next order."
            ),
        )
        .await?;
        self.finish(&th, unread).await
    }

    /// In dispute: paid by card, shipped, the buyer filed a quality claim with an
    /// inspection report, the supplier proposed half of it.
    async fn disputed(&mut self, supplier: usize, unread: bool) -> HttpResult<()> {
        let (mut th, deal, order) = self
            .confirmed_from_quote(supplier, 25 * DAY, 1, None, 23 * DAY, 4 * HOUR)
            .await?;
        let order = self.pay_by_card(&order, 22 * DAY).await?;
        let order = self.ship(&mut th, &order, 17 * DAY).await?;

        self.at(2 * DAY);
        let total = order.total_minor();
        let claim = ((total * self.rng.random_range(15..=35) / 100) / 100).max(1) * 100;
        let damaged = claim * 100 / total.max(1);
        let report = docs::text(&[
            "INSPECTION REPORT".to_owned(),
            format!("Buyer: {BUYER_COMPANY}, Großer Burstah 12, 20457 Hamburg"),
            format!("Product: {}", deal.product.name),
            format!(
                "Received: {} {} — about {damaged}% of the goods damaged or not as sampled.",
                quantity(deal.qty),
                deal.product.unit
            ),
            "Findings: scratched surfaces, 14 cartons crushed, colour differs from the approved sample.".to_owned(),
            format!("Claim: {}", self.money(supplier, claim)),
        ]);
        let name = format!(
            "Inspection-report-{}.txt",
            self.rng.random_range(1000..9999)
        );
        let evidence = docs::keep(&mut self.w, self.state, self.buyer.id, &name, &report).await?;
        let (order, _) = orders::file_dispute(
            &mut self.w,
            self.state,
            &self.buyer,
            order.id,
            &DisputeAction::File {
                dispute_id: DisputeId::new(),
                reason: DisputeReason::QualityProblem,
                claim_minor: claim,
                description: format!(
                    "About {damaged}% of the goods arrived damaged or differ from the approved sample. Inspection report attached."
                ),
                evidence: vec![evidence.id],
            },
        )
        .await?;
        self.buyer_says(
            &mut th,
            2 * DAY - 5 * MINUTE,
            "We found damaged goods in the shipment and opened a dispute with our inspection report. Please have a look.",
        )
        .await?;
        let offer = claim / 2;
        self.step(
            Who::Supplier(supplier),
            order.id,
            OrderAction::Dispute(DisputeAction::Propose {
                refund_minor: offer,
                note: format!(
                    "We are sorry for the damage. We propose to refund {} (half of the claim); the cartons were crushed in transit.",
                    self.money(supplier, offer)
                ),
            }),
            DAY,
        )
        .await?;
        self.supplier_says(
            &mut th,
            DAY - 5 * MINUTE,
            &format!(
                "Dear {BUYER_FIRST_NAME}, we checked your report and proposed a partial refund in the dispute. Please let us know."
            ),
        )
        .await?;
        self.finish(&th, unread).await
    }

    /// Shipped: paid in full by telegraphic transfer, funds arrived, on its way.
    async fn shipped_after_transfer(&mut self, supplier: usize, unread: bool) -> HttpResult<()> {
        let (mut th, _, order) = self
            .confirmed_from_quote(supplier, 20 * DAY, 2, None, 18 * DAY, 5 * HOUR)
            .await?;
        let payment = self.begin_transfer(&order, 17 * DAY).await?;
        let reference = payment.reference.clone().unwrap_or_default();
        self.buyer_says(
            &mut th,
            17 * DAY - 10 * MINUTE,
            &format!(
                "We sent the transfer to the Trade Center account today, reference {reference}."
            ),
        )
        .await?;
        self.supplier_says(
            &mut th,
            17 * DAY - 2 * HOUR,
            "Thank you! We will ship as soon as Trade Center confirms the funds.",
        )
        .await?;
        let order = self.funds_arrive(&payment, 14 * DAY).await?;
        self.ship(&mut th, &order, 6 * DAY).await?;
        self.finish(&th, unread).await
    }

    /// Ordered with a 30% deposit paid by transfer; the balance is due before shipment.
    async fn deposit_paid(&mut self, supplier: usize, unread: bool) -> HttpResult<()> {
        let (mut th, _, order) = self
            .confirmed_from_quote(supplier, 16 * DAY, 1, Some(30), 15 * DAY, 4 * HOUR)
            .await?;
        let payment = self.begin_transfer(&order, 13 * DAY).await?;
        self.funds_arrive(&payment, 10 * DAY).await?;
        self.supplier_says(
            &mut th,
            10 * DAY - 2 * HOUR,
            "Deposit received, thank you. Production has started; the balance is due before shipment.",
        )
        .await?;
        self.finish(&th, unread).await
    }

    /// Paid by card, waiting for the supplier to ship.
    async fn paid_awaiting_shipment(&mut self, supplier: usize, unread: bool) -> HttpResult<()> {
        let (mut th, deal) = self.open(supplier, 12 * DAY, 2).await?;
        let terms = self.terms(&th, &deal, None, vec![])?;
        let ship_by = terms.ship_by;
        let order = self
            .create_order(Who::Buyer, &th, OrderOrigin::Template, terms, 10 * DAY)
            .await?;
        let order = self
            .confirm(Who::Supplier(supplier), &order, 10 * DAY - 6 * HOUR)
            .await?;
        self.pay_by_card(&order, 9 * DAY).await?;
        self.supplier_says(
            &mut th,
            9 * DAY - 3 * HOUR,
            &format!("Payment received. Your goods are scheduled for production and will ship before {ship_by}."),
        )
        .await?;
        self.finish(&th, unread).await
    }

    /// Cancelled: the buyer asked to reduce the quantity after ordering, the supplier
    /// could not hold the price and cancelled.
    async fn cancelled(&mut self, supplier: usize, unread: bool) -> HttpResult<()> {
        let (mut th, deal, order) = self
            .confirmed_from_quote(supplier, 13 * DAY, 1, None, 11 * DAY, 2 * HOUR)
            .await?;
        let smaller = (deal.qty / 2).max(1);
        let note = format!(
            "Please reduce the quantity to {} {}; our customer postponed the promotion.",
            quantity(smaller),
            deal.product.unit
        );
        self.step(
            Who::Buyer,
            order.id,
            OrderAction::RequestModification { note: note.clone() },
            9 * DAY,
        )
        .await?;
        self.buyer_says(&mut th, 9 * DAY - 5 * MINUTE, &note)
            .await?;
        self.step(
            Who::Supplier(supplier),
            order.id,
            OrderAction::Cancel {
                reason: "We cannot hold the price for the reduced quantity.".to_owned(),
            },
            8 * DAY,
        )
        .await?;
        self.supplier_says(
            &mut th,
            8 * DAY - 5 * MINUTE,
            "Sorry, at half the quantity we cannot hold the price, so we cancelled the order. Happy to quote again for the next season.",
        )
        .await?;
        self.finish(&th, unread).await
    }

    /// Ordered, to pay: made from the buyer's uploaded purchase contract (TXT).
    async fn ordered_from_buyer_contract(
        &mut self,
        supplier: usize,
        unread: bool,
    ) -> HttpResult<()> {
        let (mut th, deal) = self.open(supplier, 8 * DAY, 2).await?;
        self.at(3 * DAY);
        let po = format!("NW-PO-{}", self.rng.random_range(10000..99999));
        let profile = self.suppliers[supplier].profile;
        let mut terms = self.terms(&th, &deal, None, vec![])?;
        let mut lines = vec![
            format!("PURCHASE CONTRACT {po}"),
            String::new(),
            format!("Buyer:  {BUYER_COMPANY}, Großer Burstah 12, 20457 Hamburg, Germany"),
            format!("Seller: {}, {}", profile.company, profile.country),
            String::new(),
        ];
        lines.extend(item_lines(&terms, " — ", '×'));
        lines.extend([
            String::new(),
            format!(
                "Delivery: {} {}, ship by {}.",
                terms.incoterm, profile.port, terms.ship_by
            ),
            "Payment: in full through Trade Center before shipment.".to_owned(),
            format!("Remarks: {}", terms.remarks),
        ]);
        let contract = docs::text(&lines);
        let doc = docs::keep(
            &mut self.w,
            self.state,
            self.buyer.id,
            &format!("{po}.txt"),
            &contract,
        )
        .await?;
        terms.documents = vec![doc.id];
        let order = self
            .create_order(
                Who::Buyer,
                &th,
                OrderOrigin::UploadedContract,
                terms,
                3 * DAY,
            )
            .await?;
        self.buyer_says(
            &mut th,
            3 * DAY - 5 * MINUTE,
            &format!("I uploaded our purchase contract {po} to the order. Please confirm."),
        )
        .await?;
        self.confirm(Who::Supplier(supplier), &order, 2 * DAY)
            .await?;
        self.supplier_says(
            &mut th,
            2 * DAY - 5 * MINUTE,
            "Contract checked and the order is confirmed. We start as soon as the payment arrives.",
        )
        .await?;
        self.finish(&th, unread).await
    }

    /// Payment processing: the buyer started a telegraphic transfer yesterday.
    async fn transfer_processing(&mut self, supplier: usize, unread: bool) -> HttpResult<()> {
        let (mut th, _, order) = self
            .confirmed_from_quote(supplier, 7 * DAY, 1, None, 5 * DAY, 3 * HOUR)
            .await?;
        let payment = self.begin_transfer(&order, DAY).await?;
        let reference = payment.reference.clone().unwrap_or_default();
        self.buyer_says(
            &mut th,
            DAY - 5 * MINUTE,
            &format!("Transfer sent this morning with reference {reference}."),
        )
        .await?;
        self.supplier_says(
            &mut th,
            DAY - 2 * HOUR,
            "Thank you. Bank transfers take a few working days; we will prepare the goods meanwhile.",
        )
        .await?;
        self.finish(&th, unread).await
    }

    /// Waiting for Your Partner to Confirm: the supplier drafted the order, the buyer
    /// changed the quantity, now the supplier has to confirm the new terms.
    async fn waiting_for_supplier(&mut self, supplier: usize, unread: bool) -> HttpResult<()> {
        let (mut th, deal) = self.open(supplier, 6 * DAY, 1).await?;
        let terms = self.terms(&th, &deal, None, vec![])?;
        let order = self
            .create_order(
                Who::Supplier(supplier),
                &th,
                OrderOrigin::Template,
                terms.clone(),
                4 * DAY,
            )
            .await?;
        self.supplier_says(
            &mut th,
            4 * DAY - 5 * MINUTE,
            "I placed the order for you in Trade Center as discussed. Please check and confirm.",
        )
        .await?;
        let mut changed = terms;
        let more = deal.qty + deal.qty / 2;
        if let Some(first) = changed.lines.first_mut() {
            first.quantity = more;
        }
        self.at(2 * DAY);
        orders::modify(
            &mut self.w,
            self.state,
            &self.buyer,
            order.id,
            order.version,
            changed,
        )
        .await?;
        self.buyer_says(
            &mut th,
            2 * DAY - 5 * MINUTE,
            &format!(
                "I changed the quantity to {} {} in the order. Please confirm.",
                quantity(more),
                deal.product.unit
            ),
        )
        .await?;
        self.supplier_says(
            &mut th,
            2 * DAY - HOUR,
            "Received, thank you. We are checking the material for the extra quantity and will confirm shortly.",
        )
        .await?;
        self.finish(&th, unread).await
    }

    /// Waiting for You to Confirm: the supplier uploaded its pro forma invoice (PDF) and
    /// made the order from it; its message is unread.
    async fn waiting_for_buyer(&mut self, supplier: usize) -> HttpResult<()> {
        let (mut th, deal) = self.open(supplier, 4 * DAY, 1).await?;
        self.at(DAY);
        let pi = format!("PI-{}", self.rng.random_range(10000..99999));
        let profile = self.suppliers[supplier].profile;
        let mut terms = self.terms(&th, &deal, Some(30), vec![])?;
        let mut lines = vec![
            format!("Seller: {} ({})", profile.company, profile.country),
            format!("Buyer:  {BUYER_COMPANY}, Hamburg, Germany"),
            format!("Date: {}", trade_model::time::utc_date(self.state.now())),
            String::new(),
        ];
        lines.extend(item_lines(&terms, "   ", 'x'));
        let total = terms.total().map(|m| m.to_string()).unwrap_or_default();
        lines.extend([
            String::new(),
            format!("Total: {total}"),
            format!(
                "Terms: {} {}, {:?} freight, ship by {}",
                terms.incoterm, profile.port, terms.shipping_method, terms.ship_by
            ),
            "Payment: 30% deposit, balance before shipment, through Trade Center only.".to_owned(),
            format!("Remarks: {}", terms.remarks),
        ]);
        let pdf = docs::pdf(&format!("PRO FORMA INVOICE {pi}"), &lines);
        let supplier_id = self.suppliers[supplier].user.id;
        let doc = docs::keep(
            &mut self.w,
            self.state,
            supplier_id,
            &format!("{pi}.pdf"),
            &pdf,
        )
        .await?;
        terms.documents = vec![doc.id];
        self.create_order(
            Who::Supplier(supplier),
            &th,
            OrderOrigin::UploadedContract,
            terms,
            DAY,
        )
        .await?;
        self.supplier_says(
            &mut th,
            DAY - 5 * MINUTE,
            &format!(
                "Dear {BUYER_FIRST_NAME}, we uploaded our pro forma invoice {pi} for {} {} and placed the order. Please check and confirm.",
                quantity(deal.qty),
                deal.product.unit
            ),
        )
        .await?;
        Ok(())
    }

    /// A quote two days old, not read yet.
    async fn open_quote(&mut self, supplier: usize) -> HttpResult<()> {
        let follow_ups = self.rng.random_range(0..=1);
        self.open(supplier, 2 * DAY, follow_ups).await?;
        Ok(())
    }

    /// Today's inquiry: a quote and a nudge, both unread.
    async fn fresh_inquiry(&mut self, supplier: usize) -> HttpResult<()> {
        let (mut th, deal) = self.open(supplier, 20 * HOUR, 0).await?;
        let vars = self.vars(&th, &deal);
        let nudge = Self::text(pick::<&str>(&mut self.rng, catalog::NUDGES), &vars);
        let at = th.last_at - self.gap();
        self.supplier_says(&mut th, at, &nudge).await?;
        Ok(())
    }
}
