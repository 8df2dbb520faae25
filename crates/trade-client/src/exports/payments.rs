//! Every payment of the buyer's orders, for their accountant: when, which order and
//! supplier, how, how much in which currency, and how it stands. Pay Now calls made
//! here that have no payment yet are listed as processing, as the order screen shows
//! them.

use std::collections::{HashMap, HashSet};

use trade_model::entities::{Payment, PaymentStatus};
use trade_model::money::{Currency, Money};
use trade_model::order::{Order, PaymentMethod};
use trade_model::{OrderId, PaymentId};

use super::orders::{order_number, products, supplier, supplier_names};
use super::table::{Cell, Column, Table};
use crate::error::{ClientError, Result};
use crate::store::LocalStore;

const HEADERS: &[&str] = &[
    "Date (UTC)",
    "Order number",
    "Products",
    "Supplier",
    "Installment",
    "Method",
    "Card",
    "Amount",
    "Card fee",
    "Currency",
    "Status",
    "Reference",
    "Payment id",
    "Order id",
];

pub fn payments_table(store: &LocalStore) -> Result<Table> {
    let names = supplier_names(&store.partners()?);
    let payments = store.all_payments()?;
    let listed: HashSet<PaymentId> = payments.iter().map(|p| p.id).collect();
    let mut orders: HashMap<OrderId, Option<Order>> = HashMap::new();
    // The order a payment is of; `None` when it has left the cache (the payment is
    // still listed, with its order's id).
    let mut order_of = |id: OrderId| -> Result<Option<Order>> {
        if let Some(known) = orders.get(&id) {
            return Ok(known.clone());
        }
        let order = match store.order(id) {
            Ok(view) => Some(view.order),
            Err(ClientError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        orders.insert(id, order.clone());
        Ok(order)
    };
    let mut rows: Vec<(jiff::Timestamp, Vec<Cell>)> = Vec::new();
    for p in &payments {
        let order = order_of(p.order)?;
        rows.push((p.created_at, payment_row(p, order.as_ref(), &names)));
    }
    for call in store.all_pending_payments()? {
        if call.payment_id.is_some_and(|id| listed.contains(&id)) {
            continue;
        }
        let order = order_of(call.order)?;
        let amount = order.as_ref().map_or(
            Cell::Decimal {
                units: call.amount_minor,
                scale: 2,
            },
            |o| Cell::Money(Money::new(call.amount_minor, o.terms.currency)),
        );
        let mut row = order_cells(call.order, order.as_ref(), &names);
        row.splice(0..0, [Cell::Timestamp(call.created_at)]);
        let currency = order
            .as_ref()
            .map_or(Cell::Empty, |o| Cell::text(o.terms.currency.code()));
        row.splice(
            4..4,
            [
                Cell::Empty,
                Cell::text(method(call.method)),
                Cell::Empty,
                amount,
                Cell::Empty,
                currency,
                Cell::text("Processing"),
                Cell::Empty,
                Cell::Empty,
            ],
        );
        rows.push((call.created_at, row));
    }
    // Stable: payments before calls made at the same instant.
    rows.sort_by_key(|(at, _)| *at);
    Ok(Table {
        name: "Payments".to_owned(),
        columns: HEADERS.iter().map(|h| Column::new(*h)).collect(),
        rows: rows.into_iter().map(|(_, row)| row).collect(),
    })
}

/// Order number, products, supplier, then (last) the order's id.
fn order_cells(
    id: OrderId,
    order: Option<&Order>,
    names: &HashMap<trade_model::AccountId, String>,
) -> Vec<Cell> {
    match order {
        Some(o) => vec![
            Cell::text(order_number(o)),
            Cell::text(products(o)),
            Cell::text(supplier(names, o.supplier)),
            Cell::text(id.to_string()),
        ],
        None => vec![
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::text(id.to_string()),
        ],
    }
}

fn payment_row(
    p: &Payment,
    order: Option<&Order>,
    names: &HashMap<trade_model::AccountId, String>,
) -> Vec<Cell> {
    let money = |minor: i64| match p.currency.parse::<Currency>() {
        Ok(c) => Cell::Money(Money::new(minor, c)),
        Err(_) => Cell::Decimal {
            units: minor,
            scale: 2,
        },
    };
    let mut row = order_cells(p.order, order, names);
    row.insert(0, Cell::Timestamp(p.created_at));
    let installment = serde_json::to_value(p.installment_kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    row.splice(
        4..4,
        [
            Cell::text(installment),
            Cell::text(method(p.method)),
            p.card_last4.as_deref().map_or(Cell::Empty, Cell::text),
            money(p.amount_minor),
            if p.method == PaymentMethod::Card {
                money(p.fee_minor)
            } else {
                Cell::Empty
            },
            Cell::text(&p.currency),
            Cell::text(status(p.status)),
            p.reference.as_deref().map_or(Cell::Empty, Cell::text),
            Cell::text(p.id.to_string()),
        ],
    );
    row
}

fn method(m: PaymentMethod) -> &'static str {
    match m {
        PaymentMethod::Card => "Card",
        PaymentMethod::TelegraphicTransfer => "Telegraphic transfer",
    }
}

/// The order screen's words for a payment's status.
fn status(s: PaymentStatus) -> &'static str {
    match s {
        PaymentStatus::Processing => "Processing",
        PaymentStatus::Succeeded => "Received",
        PaymentStatus::Declined => "Declined",
        PaymentStatus::Failed => "Failed",
    }
}
