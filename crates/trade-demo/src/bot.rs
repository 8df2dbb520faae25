//! The demo's supplier bot: it makes the world feel alive by doing what the suppliers
//! (and the operator) would do, through the same code paths as the API:
//!
//! - answers the buyer's messages (one reply after the buyer's latest message, chosen
//!   from the seed and the message text, and marks them read); a message that asks for
//!   a price ("price", "quote", "quotation", "how much") is answered with a structured
//!   quotation, through the same code path as a supplier's `POST .../quotations`;
//! - confirms orders waiting for the supplier's confirmation, at the version it saw;
//! - ships paid orders with a carrier and a tracking number;
//! - answers a new dispute with a proposal of half the claim;
//! - as the operator, records the funds of telegraphic transfers in processing.
//!
//! It learns of work like any sync client: per supplier it subscribes to the account's
//! live pokes and pulls the account's change feed from its own cursor (from the start
//! once, then on every poke), keeping in memory what each record asks of it. Work acts
//! after the configured delay. Only changes after the seed count
//! (`version > SEED_FEED_VERSION`), so the seeded world keeps one order in every box.
//!
//! A refused action (the buyer acted first, a version moved on) is logged at debug level
//! and parked until the next poke (or `RETRY_PARKED`), then tried again on fresh state;
//! it never stops the bot. The bot ends when the server's database closes
//! (`Running::shutdown`).

use std::collections::HashMap;
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use trade_model::api::OrderView;
use trade_model::dispute::{DisputeAction, DisputeStatus};
use trade_model::entities::{Payment, PaymentStatus, Role};
use trade_model::order::{OrderAction, OrderBox, PaymentMethod, ShippingMethod};
use trade_model::sync::{Change, RecordKind, SyncRecord};
use trade_model::{
    AccountId, Currency, InquiryId, MessageId, Money, OrderId, PaymentId, QuotationId,
};

use super::catalog;
use super::quotes;
use super::{DemoAccounts, SEED_FEED_VERSION, acting_as, record_funds_arrival};
use trade_server::auth::AuthUser;
use trade_server::chat;
use trade_server::error::{HttpError, HttpResult};
use trade_server::orders;
use trade_server::state::AppState;

/// Changes per pull page.
const PULL_LIMIT: i64 = 500;
/// Parked work is retried (and the feed pulled) after this long even without a poke, so
/// transient failures heal.
const RETRY_PARKED: Duration = Duration::from_secs(30);

/// Starts the bot: one loop per demo supplier, all in one task.
pub fn spawn(
    state: AppState,
    accounts: &DemoAccounts,
    seed: u64,
    delay: Duration,
) -> JoinHandle<()> {
    let operator = acting_as(&accounts.operator, Role::Operator);
    let loops: Vec<_> = accounts
        .suppliers
        .iter()
        .map(|s| SupplierBot {
            state: state.clone(),
            me: acting_as(s, Role::Supplier),
            profile: quotes::profile_of(&s.email),
            operator: operator.clone(),
            seed,
            delay,
            cursor: String::new(),
            threads: HashMap::new(),
            work: HashMap::new(),
        })
        .collect();
    tokio::spawn(async move {
        futures_util::future::join_all(loops.into_iter().map(SupplierBot::run)).await;
        tracing::info!("demo supplier bot stopped");
    })
}

/// What the bot knows of a chat: the product and the latest message.
#[derive(Debug, Default)]
struct ThreadView {
    product: Option<String>,
    buyer_first_name: Option<String>,
    last: Option<LastMessage>,
}

#[derive(Debug)]
struct LastMessage {
    id: MessageId,
    sender: AccountId,
    sent_at: jiff::Timestamp,
    body: String,
    /// The feed version at which the bot last saw it change.
    version: i64,
}

/// The record a piece of work is about; a record asks for at most one thing at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Inquiry(InquiryId),
    Order(OrderId),
    Payment(PaymentId),
}

#[derive(Debug, Clone, PartialEq)]
enum Task {
    /// Answer the buyer, whose latest message is `to`.
    Reply {
        to: MessageId,
        body: String,
    },
    /// Confirm the order as it stands at `version`.
    Confirm {
        version: i64,
    },
    Ship {
        method: ShippingMethod,
    },
    /// Propose half of the claim.
    Propose {
        claim_minor: i64,
        currency: Currency,
    },
    /// Record the transfer's funds (as the operator).
    FundsArrived(Box<Payment>),
}

#[derive(Debug)]
struct Work {
    task: Task,
    /// When to act; `None` while parked after a refusal, until the next poke.
    due: Option<Instant>,
}

struct SupplierBot {
    state: AppState,
    me: AuthUser,
    /// The catalog's supplier this account is (its products, currency, port).
    profile: Option<&'static catalog::SupplierProfile>,
    operator: AuthUser,
    seed: u64,
    delay: Duration,
    /// Position in this supplier's change feed.
    cursor: String,
    threads: HashMap<InquiryId, ThreadView>,
    work: HashMap<Key, Work>,
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl SupplierBot {
    fn closed(&self) -> bool {
        self.state.db.pool().is_closed()
    }

    async fn run(mut self) {
        // Subscribe before the first pull, so nothing committed in between is missed.
        let mut pokes = self.state.db.live().subscribe(&self.me.id.to_string());
        let closed = self.state.db.pool().close_event();
        let mut closed = std::pin::pin!(closed);
        let mut retry = tokio::time::interval(RETRY_PARKED);
        retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        retry.tick().await;
        self.catch_up().await;
        loop {
            let next = self.work.values().filter_map(|w| w.due).min();
            tokio::select! {
                biased;
                () = &mut closed => return,
                changed = pokes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    self.catch_up().await;
                    self.unpark();
                }
                () = sleep_until(next) => self.act_on_due().await,
                // Also heals a pull that failed (the next poke may be far away).
                _ = retry.tick() => {
                    self.catch_up().await;
                    self.unpark();
                }
            }
        }
    }

    /// Pulls every page after the cursor and takes in what the records ask for.
    async fn catch_up(&mut self) {
        loop {
            if self.closed() {
                return;
            }
            let page = match trade_server::sync::pull(
                &self.state,
                &self.me,
                &self.cursor,
                PULL_LIMIT,
            )
            .await
            {
                Ok(page) => page,
                Err(err) => {
                    if !self.closed() {
                        tracing::warn!(supplier = %self.me.id, code = %err.code, message = %err.message, "demo bot could not pull");
                    }
                    return;
                }
            };
            for change in page.changes {
                self.absorb(change);
            }
            self.cursor = page.next_cursor;
            if !page.has_more {
                return;
            }
        }
    }

    /// Parked work gets another try, after the delay.
    fn unpark(&mut self) {
        let due = Instant::now() + self.delay;
        for work in self.work.values_mut() {
            if work.due.is_none() {
                work.due = Some(due);
            }
        }
    }

    /// Sets (or clears) the work a record asks for. The same task keeps its due time, so
    /// an unrelated change does not postpone it; a new task waits the delay.
    fn want(&mut self, key: Key, task: Option<Task>) {
        match task {
            None => {
                self.work.remove(&key);
            }
            Some(task) => {
                if self.work.get(&key).is_some_and(|w| w.task == task) {
                    return;
                }
                let due = Some(Instant::now() + self.delay);
                self.work.insert(key, Work { task, due });
            }
        }
    }

    fn absorb(&mut self, change: Change) {
        let Change {
            version,
            kind,
            id,
            record,
        } = change;
        match record {
            None => {
                // A tombstone: whatever the record asked for is moot.
                let key = match kind {
                    RecordKind::Inquiry => id.parse().ok().map(Key::Inquiry),
                    RecordKind::Order => id.parse().ok().map(Key::Order),
                    RecordKind::Payment => id.parse().ok().map(Key::Payment),
                    _ => None,
                };
                if let Some(key) = key {
                    self.work.remove(&key);
                }
            }
            Some(SyncRecord::Inquiry(inquiry)) => {
                let thread = self.threads.entry(inquiry.id).or_default();
                thread.product = Some(inquiry.product);
                thread.buyer_first_name = inquiry
                    .buyer_name
                    .split_whitespace()
                    .next()
                    .map(str::to_owned);
            }
            Some(SyncRecord::Message(message)) => {
                let thread = self.threads.entry(message.inquiry).or_default();
                let newer = match &thread.last {
                    None => true,
                    Some(last) if last.id == message.id => true,
                    Some(last) => (message.sent_at, message.id) > (last.sent_at, last.id),
                };
                if newer {
                    thread.last = Some(LastMessage {
                        id: message.id,
                        sender: message.sender,
                        sent_at: message.sent_at,
                        body: message.body,
                        version,
                    });
                }
                let task = thread
                    .last
                    .as_ref()
                    .filter(|last| last.sender != self.me.id && last.version > SEED_FEED_VERSION)
                    .map(|last| Task::Reply {
                        to: last.id,
                        body: last.body.clone(),
                    });
                self.want(Key::Inquiry(message.inquiry), task);
            }
            Some(SyncRecord::Order(view)) => {
                let task = (version > SEED_FEED_VERSION)
                    .then(|| order_task(&view))
                    .flatten();
                self.want(Key::Order(view.order.id), task);
            }
            Some(SyncRecord::Payment(payment)) => {
                let clears = version > SEED_FEED_VERSION
                    && payment.method == PaymentMethod::TelegraphicTransfer
                    && payment.status == PaymentStatus::Processing
                    && !payment.held_for_review;
                let key = Key::Payment(payment.id);
                self.want(key, clears.then(|| Task::FundsArrived(Box::new(payment))));
            }
            Some(_) => {}
        }
    }

    async fn act_on_due(&mut self) {
        let now = Instant::now();
        let due: Vec<(Key, Task)> = self
            .work
            .iter()
            .filter(|(_, w)| w.due.is_some_and(|d| d <= now))
            .map(|(k, w)| (*k, w.task.clone()))
            .collect();
        for (key, task) in due {
            if self.closed() {
                return;
            }
            match self.act(key, &task).await {
                Ok(()) => {
                    // Done; the feed brings the new state (which asks for nothing more).
                    if self.work.get(&key).is_some_and(|w| w.task == task) {
                        self.work.remove(&key);
                    }
                }
                Err(err) => {
                    if err.status.is_server_error() && !self.closed() {
                        tracing::warn!(supplier = %self.me.id, ?key, code = %err.code, message = %err.message, "demo bot action failed; retrying later");
                    } else {
                        tracing::debug!(supplier = %self.me.id, ?key, code = %err.code, message = %err.message, "demo bot action refused; retrying on the next poke");
                    }
                    if let Some(work) = self.work.get_mut(&key) {
                        work.due = None;
                    }
                }
            }
        }
    }

    async fn act(&mut self, key: Key, task: &Task) -> HttpResult<()> {
        match (key, task) {
            (Key::Inquiry(inquiry), Task::Reply { to, body }) => {
                self.reply(inquiry, *to, body).await
            }
            (Key::Order(order), Task::Confirm { version }) => {
                let action = OrderAction::Confirm { version: *version };
                let order = self.step(order, action).await?;
                tracing::info!(%order.id, "demo bot confirmed an order");
                let note =
                    "Thank you for your order! It is confirmed and we are planning production.";
                self.note(order.inquiry, note).await;
                Ok(())
            }
            (Key::Order(order), Task::Ship { method }) => {
                let mut rng =
                    StdRng::seed_from_u64(catalog::stable_hash(self.seed, &order.to_string()));
                let (carrier, tracking_number) = catalog::tracking(&mut rng, *method);
                let action = OrderAction::Ship {
                    carrier: carrier.clone(),
                    tracking_number: tracking_number.clone(),
                };
                let order = self.step(order, action).await?;
                tracing::info!(%order.id, %carrier, %tracking_number, "demo bot shipped an order");
                let note = format!(
                    "Your order has shipped with {carrier}. Tracking number: {tracking_number}."
                );
                self.note(order.inquiry, &note).await;
                Ok(())
            }
            (
                Key::Order(order),
                Task::Propose {
                    claim_minor,
                    currency,
                },
            ) => {
                let refund_minor = claim_minor / 2;
                let note = format!(
                    "We are sorry about the problem. We propose a refund of {} (half of your claim).",
                    Money::new(refund_minor, *currency)
                );
                let action = OrderAction::Dispute(DisputeAction::Propose { refund_minor, note });
                let order = self.step(order, action).await?;
                tracing::info!(%order.id, refund_minor, "demo bot proposed a dispute settlement");
                Ok(())
            }
            (Key::Payment(_), Task::FundsArrived(payment)) => {
                let mut w = self.state.db.begin().await?;
                let order = record_funds_arrival(&mut w, &self.state, payment).await?;
                w.commit().await?;
                self.state.deadlines_changed.notify_one();
                tracing::info!(
                    %order.id,
                    operator = %self.operator.id,
                    reference = payment.reference.as_deref().unwrap_or(""),
                    "demo bot recorded a transfer's funds"
                );
                Ok(())
            }
            (key, task) => Err(HttpError::internal(format!(
                "demo bot: {task:?} does not apply to {key:?}"
            ))),
        }
    }

    /// One lifecycle step as this supplier, in its own transaction.
    async fn step(
        &self,
        order: OrderId,
        action: OrderAction,
    ) -> HttpResult<trade_model::order::Order> {
        let mut w = self.state.db.begin().await?;
        let (order, _) = orders::step(&mut w, &self.state, &self.me, order, &action).await?;
        w.commit().await?;
        Ok(order)
    }

    /// Reads the buyer's messages up to `to` and answers them.
    async fn reply(&self, inquiry: InquiryId, to: MessageId, buyer_said: &str) -> HttpResult<()> {
        let thread = self.threads.get(&inquiry);
        let product = thread
            .and_then(|t| t.product.clone())
            .unwrap_or_else(|| "your order".to_owned());
        let buyer = thread
            .and_then(|t| t.buyer_first_name.clone())
            .unwrap_or_else(|| "there".to_owned());
        let mut w = self.state.db.begin().await?;
        chat::mark_read(&mut w, &self.state, &self.me, inquiry, to).await?;
        if quotes::asks_for_price(buyer_said) {
            let today = trade_model::time::utc_date(self.state.now());
            let request = quotes::quotation_for(self.seed, self.profile, inquiry, &product, today);
            let quotation = trade_server::quotations::send(
                &mut w,
                &self.state,
                &self.me,
                inquiry,
                QuotationId::new(),
                MessageId::new(),
                request,
            )
            .await?;
            w.commit().await?;
            tracing::info!(%inquiry, quotation = %quotation.id, "demo bot quoted a price");
            return Ok(());
        }
        let body = catalog::reply(self.seed, &product, &buyer, buyer_said);
        chat::post_message(
            &mut w,
            &self.state,
            &self.me,
            inquiry,
            MessageId::new(),
            &body,
            &[],
        )
        .await?;
        w.commit().await?;
        tracing::info!(%inquiry, "demo bot answered the buyer");
        Ok(())
    }

    /// A courtesy message in the order's inquiry, if it has one; best effort (the order
    /// step it follows has already happened).
    async fn note(&self, inquiry: Option<InquiryId>, body: &str) {
        let Some(inquiry) = inquiry else { return };
        let result = async {
            let mut w = self.state.db.begin().await?;
            chat::post_message(
                &mut w,
                &self.state,
                &self.me,
                inquiry,
                MessageId::new(),
                body,
                &[],
            )
            .await?;
            w.commit().await?;
            Ok::<_, HttpError>(())
        }
        .await;
        if let Err(err) = result {
            tracing::debug!(%inquiry, code = %err.code, "demo bot could not post a note");
        }
    }
}

/// What an order, as the supplier sees it, asks of the supplier.
fn order_task(view: &OrderView) -> Option<Task> {
    let order = &view.order;
    match view.order_box {
        OrderBox::WaitingForMe => Some(Task::Confirm {
            version: order.version,
        }),
        OrderBox::AwaitingShipment => Some(Task::Ship {
            method: order.terms.shipping_method,
        }),
        OrderBox::InDispute => order
            .dispute
            .as_ref()
            .filter(|d| d.status == DisputeStatus::Negotiating && d.proposals.is_empty())
            .map(|d| Task::Propose {
                claim_minor: d.claim_minor,
                currency: order.terms.currency,
            }),
        _ => None,
    }
}
