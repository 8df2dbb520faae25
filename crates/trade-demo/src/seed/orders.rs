//! The seeded orders: each buyer's orders, created over the last few days and brought
//! to a mix of states (every box) through `trade_model::order::{create, apply}`, with
//! their payments, events and feed entries as the server writes them.

use super::*;

/// The state a seeded order is brought to, and the steps that get it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Created by the buyer: "Waiting for Your Partner to Confirm".
    WaitingForPartner,
    /// Created by the supplier: "Waiting for You to Confirm".
    WaitingForMe,
    Ordered,
    Cancelled,
    /// Ordered, a telegraphic transfer under way.
    PaymentProcessing,
    /// Paid: awaiting shipment.
    Paid,
    Shipped,
    Completed,
    /// Paid, then the buyer filed a dispute.
    InDispute,
}

const PLANS: [Plan; 9] = [
    Plan::WaitingForPartner,
    Plan::Ordered,
    Plan::Paid,
    Plan::Shipped,
    Plan::Completed,
    Plan::WaitingForMe,
    Plan::PaymentProcessing,
    Plan::Cancelled,
    Plan::InDispute,
];

impl Plan {
    fn of(order_index: u32) -> Plan {
        PLANS[order_index as usize % PLANS.len()]
    }

    /// Versions the order ends at (creation is version 1).
    fn versions(self) -> u64 {
        match self {
            Plan::WaitingForPartner | Plan::WaitingForMe => 1,
            Plan::Ordered | Plan::Cancelled => 2,
            Plan::PaymentProcessing => 3,
            Plan::Paid => 4,
            Plan::Shipped | Plan::InDispute => 5,
            Plan::Completed => 6,
        }
    }

    fn payments(self) -> u64 {
        match self {
            Plan::WaitingForPartner | Plan::WaitingForMe | Plan::Ordered | Plan::Cancelled => 0,
            _ => 1,
        }
    }
}

/// The rows `count` seeded orders take (for the progress total): each order's row, its
/// events, its feed entries, and its payments' rows.
pub(super) fn rows_of(count: u32) -> u64 {
    (0..count)
        .map(|o| {
            let plan = Plan::of(o);
            1 + plan.versions() + 2 + 3 * plan.payments()
        })
        .sum()
}

impl<'a> Seeder<'a> {
    /// The buyer's orders, created over the last few days and brought to a mix of
    /// states through `trade_model::order::{create, apply}`.
    pub(super) async fn orders(&mut self, b: usize) -> Result<(), SeedError> {
        let n = i64::from(self.opts.orders);
        let per_batch = (ROWS_PER_BATCH / 12).max(1) as i64;
        let mut o = 0;
        while o < n {
            let mut batch = Batch::new();
            for o in o..(o + per_batch).min(n) {
                let order = self.order(&mut batch, b, o)?;
                let report = &mut self.reports[b];
                report.orders += 1;
                *report
                    .order_boxes
                    .entry(order::order_box(&order, Party::Buyer).as_str())
                    .or_default() += 1;
            }
            self.commit(batch).await?;
            o += per_batch;
        }
        Ok(())
    }

    /// Order `o` of buyer `b`, with its events and payment, into `batch`.
    fn order(&mut self, batch: &mut Batch, b: usize, o: i64) -> Result<Order, SeedError> {
        let n = i64::from(self.opts.orders);
        let plan = Plan::of(o as u32);
        let buyer = self.buyers[b].id;
        let s = (b + o as usize) % self.suppliers.len();
        let supplier = self.suppliers[s].id;
        // Orders are created within the last five days, so no automatic deadline (30
        // days to confirm, 7 working days for a transfer, 6 days of dispute negotiation)
        // has passed yet: starting the server on the seeded data changes nothing.
        let mut at = self.now_ms - 5 * DAY_MS + o * (4 * DAY_MS / n).max(1);
        let ship_by = trade_model::time::utc_date(self.opts.now)
            .checked_add(jiff::Span::new().days(60))
            .map_err(|e| SeedError::Invalid(e.to_string()))?;
        let lines: Vec<OrderLine> = (0..self.rng.random_range(1..=3usize))
            .map(|l| {
                let products = &self.suppliers[s].products;
                OrderLine {
                    product: products[(o as usize + l) % products.len()].clone(),
                    quantity: self.rng.random_range(1..=50u64) * 100,
                    unit: "pieces".to_owned(),
                    unit_price_minor: self.rng.random_range(50..5_000),
                }
            })
            .collect();
        let total: i64 = lines
            .iter()
            .map(|l| l.unit_price_minor * l.quantity as i64)
            .sum();
        let payment_terms = if plan.payments() == 0 && self.rng.random_bool(0.5) {
            PaymentTerms::deposit_percent(total, 30)
        } else {
            PaymentTerms::Full
        };
        let terms = OrderTerms {
            lines,
            currency: Currency::USD,
            incoterm: SEEDED_INCOTERMS[self.rng.random_range(0..SEEDED_INCOTERMS.len())].clone(),
            shipping_method: [
                ShippingMethod::Sea,
                ShippingMethod::Air,
                ShippingMethod::Express,
            ][self.rng.random_range(0..3)],
            ship_by,
            payment_terms,
            remarks: "Packed in export cartons.".to_owned(),
            documents: Vec::new(),
        };
        let creator = if plan == Plan::WaitingForMe {
            Party::Supplier
        } else {
            Party::Buyer
        };
        let mut order = order::create(
            OrderId(v7(&mut self.rng, at)),
            buyer,
            supplier,
            self.linked_inquiries.get(o as usize).copied(),
            OrderOrigin::Template,
            creator,
            terms,
            from_millis(at),
        )?;
        order_event(batch, &order, ActionKind::Create, Actor::Party(creator))?;
        let (buyer_actor, supplier_actor) =
            (Actor::Party(Party::Buyer), Actor::Party(Party::Supplier));
        match plan {
            Plan::WaitingForPartner | Plan::WaitingForMe => {}
            Plan::Cancelled => {
                let cancel = OrderAction::Cancel {
                    reason: "We found another supplier.".to_owned(),
                };
                self.step(batch, &mut order, &mut at, buyer_actor, cancel)?;
            }
            _ => {
                let confirm = OrderAction::Confirm { version: 1 };
                self.step(batch, &mut order, &mut at, supplier_actor, confirm)?;
            }
        }
        if plan.payments() > 0 {
            let due = order
                .next_installment()
                .ok_or(trade_model::Rejection::NothingDue)?;
            let payment_id = PaymentId(v7(&mut self.rng, at));
            let method = PaymentMethod::TelegraphicTransfer;
            let begin = OrderAction::BeginPayment {
                payment_id,
                method,
                amount_minor: due.amount_minor,
            };
            self.step(batch, &mut order, &mut at, buyer_actor, begin)?;
            let started = millis(order.updated_at);
            let mut status = PaymentStatus::Processing;
            if plan != Plan::PaymentProcessing {
                // The transfer arrived and an operator recorded it.
                let paid = OrderAction::PaymentSucceeded { payment_id };
                self.step(batch, &mut order, &mut at, Actor::Operator, paid)?;
                status = PaymentStatus::Succeeded;
            }
            // As `payments::begin_payment` inserts it and `store::payments::settle`
            // completes it.
            batch.rows(&PAYMENTS).push([
                Value::Text(payment_id.to_string()),
                Value::Text(order.id.to_string()),
                Value::Text(buyer.to_string()),
                Value::Int(i64::from(due.index)),
                Value::Text(enum_str(&due.kind)),
                Value::Text(enum_str(&method)),
                Value::Int(due.amount_minor),
                Value::Int(0),
                Value::Text(order.terms.currency.to_string()),
                Value::Text(status.as_str().to_owned()),
                Value::OptText(Some(self.transfer_reference())),
                Value::OptText(None),
                Value::Int(0),
                Value::OptText(None),
                Value::Int(started),
                Value::Int(millis(order.updated_at)),
            ]);
            batch.touch(&[buyer, supplier], RecordKind::Payment, payment_id);
            self.reports[b].payments += 1;
        }
        match plan {
            Plan::Shipped | Plan::Completed => {
                let ship = OrderAction::Ship {
                    carrier: CARRIERS[self.rng.random_range(0..CARRIERS.len())].to_owned(),
                    tracking_number: format!(
                        "TRK{}",
                        self.rng.random_range(10_000_000..99_999_999u32)
                    ),
                };
                self.step(batch, &mut order, &mut at, supplier_actor, ship)?;
                if plan == Plan::Completed {
                    let receipt = OrderAction::ConfirmReceipt;
                    self.step(batch, &mut order, &mut at, buyer_actor, receipt)?;
                }
            }
            Plan::InDispute => {
                let file = OrderAction::Dispute(DisputeAction::File {
                    dispute_id: DisputeId(v7(&mut self.rng, at)),
                    reason: DisputeReason::NotShipped,
                    claim_minor: order.paid_minor,
                    description: "The goods were not shipped on the agreed date.".to_owned(),
                    evidence: Vec::new(),
                });
                self.step(batch, &mut order, &mut at, buyer_actor, file)?;
            }
            _ => {}
        }
        debug_assert_eq!(order.version.unsigned_abs(), plan.versions());
        order_row(batch, &order)?;
        Ok(order)
    }

    /// Applies `action` a few minutes after the previous step, as the server does.
    fn step(
        &mut self,
        batch: &mut Batch,
        order: &mut Order,
        at: &mut i64,
        actor: Actor,
        action: OrderAction,
    ) -> Result<(), SeedError> {
        *at += 10 * MINUTE_MS + self.rng.random_range(0..MINUTE_MS);
        let next = order::apply(order, actor, &action, from_millis(*at))?;
        order_event(batch, &next, action.kind(), actor)?;
        *order = next;
        Ok(())
    }

    /// A transfer reference like the server's (`TC-` and 10 unambiguous characters).
    fn transfer_reference(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let tail: String = (0..10)
            .map(|_| char::from(ALPHABET[self.rng.random_range(0..ALPHABET.len())]))
            .collect();
        format!("TC-{tail}")
    }
}

/// One `order_events` row, as `store::orders` writes it: the order as it stood at this
/// version.
fn order_event(
    batch: &mut Batch,
    order: &Order,
    action: ActionKind,
    actor: Actor,
) -> Result<(), SeedError> {
    batch.rows(&ORDER_EVENTS).push([
        Value::Text(order.id.to_string()),
        Value::Int(order.version),
        Value::Text(enum_str(&action)),
        Value::Text(trade_server::orders::actor_label(actor).to_owned()),
        Value::Int(millis(order.updated_at)),
        Value::Text(serde_json::to_string(order)?),
    ]);
    Ok(())
}

/// The `orders` row with the columns `store::orders::insert` and `save` derive.
fn order_row(batch: &mut Batch, order: &Order) -> Result<(), SeedError> {
    let (deadline, automatic) = match order.next_deadline() {
        Some(d) => (Some(millis(d.at)), i64::from(d.kind.is_automatic())),
        None => (None, 0),
    };
    batch.rows(&ORDERS).push([
        Value::Text(order.id.to_string()),
        Value::Text(order.buyer.to_string()),
        Value::Text(order.supplier.to_string()),
        Value::Text(order.status.as_str().to_owned()),
        Value::Text(order::order_box(order, Party::Buyer).as_str().to_owned()),
        Value::Text(order::order_box(order, Party::Supplier).as_str().to_owned()),
        Value::Int(order.version),
        Value::OptInt(deadline),
        Value::Int(automatic),
        Value::Int(i64::from(order.dispute.is_some())),
        Value::Int(millis(order.created_at)),
        Value::Int(millis(order.updated_at)),
        Value::Text(serde_json::to_string(order)?),
    ]);
    batch.touch(&[order.buyer, order.supplier], RecordKind::Order, order.id);
    batch.touch(
        &[order.buyer, order.supplier],
        RecordKind::OrderHistory,
        order.id,
    );
    Ok(())
}
