//! A comparison as its table shows it: the same rows in the same order (the sort chosen
//! on screen, applied by [`crate::comparisons::sort_sheet`] before it gets here), the
//! screen's columns left to right, then what the screen shows under them (the quoted
//! price, Incoterm and place, the estimates), and the date of the exchange-rate table
//! the costs were converted with on every row.

use trade_model::quotation::{Duty, RowCost};

use super::table::{Cell, Column, Table};
use crate::comparisons::{ComparisonSheet, SheetRow};
use crate::error::sentence;

const HEADERS: &[&str] = &[
    // The screen's columns (ui/src/lib/compare.ts COLUMNS), in its order.
    "Supplier",
    "Product",
    "Landed per unit",
    "Landed total",
    "Unit price",
    "Goods",
    "Freight",
    "Duty",
    "MOQ",
    "Lead time (days)",
    "Earliest arrival",
    "Valid until",
    "Years on platform",
    "Median reply (minutes)",
    "Completed orders",
    "Disputes lost",
    // What the screen shows under them.
    "Currency",
    "Why no cost",
    "Expired",
    "Incoterm",
    "Named place",
    "Quoted unit price",
    "Quoted currency",
    "Duty estimate (%)",
    "Transit estimate (days)",
    "Contact",
    "Rates date",
    "Quantity",
];

pub fn comparison_table(sheet: &ComparisonSheet) -> Table {
    Table {
        name: "Comparison".to_owned(),
        columns: HEADERS.iter().map(|h| Column::new(*h)).collect(),
        rows: sheet.rows.iter().map(|r| row(sheet, r)).collect(),
    }
}

fn row(sheet: &ComparisonSheet, r: &SheetRow) -> Vec<Cell> {
    let q = &r.row;
    let cost = match &q.cost {
        RowCost::Priced(c) => Some(c),
        RowCost::Unpriced { .. } => None,
    };
    let money = |pick: fn(&trade_model::quotation::LandedCost) -> trade_model::Money| {
        cost.map_or(Cell::Empty, |c| Cell::Money(pick(c)))
    };
    let facts = r.facts.as_ref();
    let label = if !r.supplier_company.is_empty() {
        r.supplier_company.clone()
    } else if !r.supplier_name.is_empty() {
        r.supplier_name.clone()
    } else {
        "Unknown supplier".to_owned()
    };
    vec![
        Cell::Text(label),
        Cell::text(&q.product),
        money(|c| c.landed_per_unit),
        money(|c| c.landed_total),
        money(|c| c.unit_price_converted),
        money(|c| c.goods),
        money(|c| c.freight),
        money(|c| c.duty),
        Cell::Integer(i64::try_from(q.moq).unwrap_or(i64::MAX)),
        Cell::Integer(i64::from(q.lead_time_days)),
        q.earliest_arrival.map_or(Cell::Empty, Cell::Date),
        Cell::Date(q.valid_until),
        facts.map_or(Cell::Empty, |f| {
            Cell::Integer(i64::from(f.years_on_platform))
        }),
        facts
            .and_then(|f| f.median_first_reply_secs)
            .map_or(Cell::Empty, |s| Cell::Integer((s + 30) / 60)),
        facts.map_or(Cell::Empty, |f| Cell::Integer(f.completed_orders)),
        facts.map_or(Cell::Empty, |f| Cell::Integer(f.disputes_lost)),
        Cell::text(sheet.terms.currency.code()),
        match &q.cost {
            RowCost::Unpriced { problem } => Cell::Text(sentence(&problem.to_string())),
            RowCost::Priced(_) => Cell::Empty,
        },
        Cell::Bool(q.expired),
        Cell::text(q.incoterm.to_string()),
        Cell::text(&q.named_place),
        money(|c| c.unit_price),
        cost.map_or(Cell::Empty, |c| Cell::text(c.unit_price.currency.code())),
        match r.estimates.duty {
            Duty::Percent { basis_points } => Cell::Decimal {
                units: i64::from(basis_points),
                scale: 2,
            },
            Duty::Amount { .. } => Cell::Empty,
        },
        r.estimates
            .transit_days
            .map_or(Cell::Empty, |d| Cell::Integer(i64::from(d))),
        if r.supplier_company.is_empty() {
            Cell::Empty
        } else {
            Cell::text(&r.supplier_name)
        },
        sheet.rates_date.map_or(Cell::Empty, Cell::Date),
        Cell::Integer(i64::try_from(sheet.terms.quantity).unwrap_or(i64::MAX)),
    ]
}
