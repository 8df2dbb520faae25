//! The orders as the list shows them: the same filter and sort, every page, each row
//! with what the list's row shows (products, supplier, number, status, total) and what
//! an accountant wants beside it.

use std::collections::HashMap;

use trade_model::AccountId;
use trade_model::api::OrderView;
use trade_model::money::Money;
use trade_model::order::Order;

use super::table::{Cell, Column, Table};
use crate::error::Result;
use crate::store::LocalStore;
use crate::store::queries::{OrderFilter, Partner};

/// Orders read per query while collecting every page.
const PAGE: usize = 500;

const HEADERS: &[&str] = &[
    "Order number",
    "Products",
    "Supplier",
    "Status",
    "Total",
    "Currency",
    "Paid",
    "Incoterm",
    "Ship by",
    "Next deadline (UTC)",
    "Created (UTC)",
    "Updated (UTC)",
    "Order id",
];

/// Every order `filter` selects, in its sort order (all pages, not only those a screen
/// has loaded).
pub fn orders_table(store: &LocalStore, filter: &OrderFilter) -> Result<Table> {
    let names = supplier_names(&store.partners()?);
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.orders(filter, after.as_deref(), PAGE)?;
        rows.extend(page.items.iter().map(|view| row(view, &names)));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(Table {
        name: "Orders".to_owned(),
        columns: HEADERS.iter().map(|h| Column::new(*h)).collect(),
        rows,
    })
}

fn row(view: &OrderView, names: &HashMap<AccountId, String>) -> Vec<Cell> {
    let order = &view.order;
    let currency = order.terms.currency;
    vec![
        Cell::text(order_number(order)),
        Cell::text(products(order)),
        Cell::text(supplier(names, order.supplier)),
        Cell::text(&view.status_label),
        Cell::Money(Money::new(view.total_minor, currency)),
        Cell::text(currency.code()),
        Cell::Money(Money::new(order.paid_minor, currency)),
        Cell::text(order.terms.incoterm.to_string()),
        Cell::Date(order.terms.ship_by),
        view.next_deadline
            .as_ref()
            .map_or(Cell::Empty, |d| Cell::Timestamp(d.at)),
        Cell::Timestamp(order.created_at),
        Cell::Timestamp(order.updated_at),
        Cell::text(order.id.to_string()),
    ]
}

/// The number the app shows for an order: the last 8 hex digits of its id, upper case.
pub(super) fn order_number(order: &Order) -> String {
    let hex: String = order.id.to_string().chars().filter(|c| *c != '-').collect();
    hex[hex.len().saturating_sub(8)..].to_uppercase()
}

/// The products as the list's row names them: the first, and how many more.
pub(super) fn products(order: &Order) -> String {
    let names: Vec<&str> = order
        .terms
        .lines
        .iter()
        .map(|l| l.product.as_str())
        .filter(|p| !p.is_empty())
        .collect();
    match names.as_slice() {
        [] => "Order".to_owned(),
        [one] => (*one).to_owned(),
        [first, rest @ ..] => format!("{first} + {} more", rest.len()),
    }
}

/// Each supplier as the app names them: the company, else the person.
pub(super) fn supplier_names(partners: &[Partner]) -> HashMap<AccountId, String> {
    partners
        .iter()
        .map(|p| {
            let name = if p.company.is_empty() {
                &p.name
            } else {
                &p.company
            };
            (p.id, name.clone())
        })
        .collect()
}

pub(super) fn supplier(names: &HashMap<AccountId, String>, id: AccountId) -> String {
    names
        .get(&id)
        .filter(|n| !n.is_empty())
        .cloned()
        .unwrap_or_else(|| "Supplier".to_owned())
}
