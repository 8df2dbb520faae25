//! A comparison as the buyer sees it: its rows (the model's [`CompareRow`] with the
//! supplier's name and facts), the columns it sorts by, and the sorting.

use std::collections::HashMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use trade_model::quotation::{CompareColumn, CompareRow, Estimates, SortDirection, sort_rows};
use trade_model::supplier::SupplierFacts;
use trade_model::{InquiryId, QuotationId};

use super::{ComparisonId, ComparisonTerms};

/// The columns a comparison sorts by: the model's ([`CompareColumn`], same names) and
/// the supplier's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SheetColumn {
    /// The supplier's company (its name when it has none).
    Supplier,
    Product,
    Currency,
    Moq,
    Incoterm,
    UnitPrice,
    GoodsTotal,
    Freight,
    Duty,
    LandedTotal,
    LandedPerUnit,
    LeadTime,
    EarliestArrival,
    ValidUntil,
    Expired,
    YearsOnPlatform,
    MedianReply,
    CompletedOrders,
    DisputesLost,
}

impl SheetColumn {
    fn model(self) -> Option<CompareColumn> {
        Some(match self {
            SheetColumn::Product => CompareColumn::Product,
            SheetColumn::Currency => CompareColumn::Currency,
            SheetColumn::Moq => CompareColumn::Moq,
            SheetColumn::Incoterm => CompareColumn::Incoterm,
            SheetColumn::UnitPrice => CompareColumn::UnitPrice,
            SheetColumn::GoodsTotal => CompareColumn::GoodsTotal,
            SheetColumn::Freight => CompareColumn::Freight,
            SheetColumn::Duty => CompareColumn::Duty,
            SheetColumn::LandedTotal => CompareColumn::LandedTotal,
            SheetColumn::LandedPerUnit => CompareColumn::LandedPerUnit,
            SheetColumn::LeadTime => CompareColumn::LeadTime,
            SheetColumn::EarliestArrival => CompareColumn::EarliestArrival,
            SheetColumn::ValidUntil => CompareColumn::ValidUntil,
            SheetColumn::Expired => CompareColumn::Expired,
            SheetColumn::Supplier
            | SheetColumn::YearsOnPlatform
            | SheetColumn::MedianReply
            | SheetColumn::CompletedOrders
            | SheetColumn::DisputesLost => return None,
        })
    }
}

/// One chosen quotation, computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SheetRow {
    /// The model's row: tier price, goods, freight, duty and landed cost in the buyer's
    /// currency (or the typed reason it has none), arrival, validity.
    pub row: CompareRow,
    /// The buyer's estimates as entered (their own currencies).
    pub estimates: Estimates,
    /// The inquiry the quotation came in.
    pub inquiry: InquiryId,
    /// From the inquiry (empty while it is not cached). Supplier text: shown as text,
    /// never as HTML.
    pub supplier_name: String,
    pub supplier_company: String,
    /// As last fetched; `None` before the first fetch.
    pub facts: Option<SupplierFacts>,
}

/// A comparison as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ComparisonSheet {
    pub id: ComparisonId,
    pub terms: ComparisonTerms,
    /// The date of the exchange-rate table the costs were converted with; `None` when
    /// no table has been fetched yet (then only amounts already in the buyer's currency
    /// convert).
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub rates_date: Option<Date>,
    /// The UTC date expiry and arrival are counted from.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub today: Date,
    pub sort: SheetColumn,
    pub direction: SortDirection,
    pub rows: Vec<SheetRow>,
    /// Chosen quotations this cache no longer holds (they left the account's scope).
    pub missing: Vec<QuotationId>,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Number(i64),
    Text(String),
}

fn supplier_key(row: &SheetRow, column: SheetColumn) -> Option<Key> {
    let facts = row.facts.as_ref();
    match column {
        SheetColumn::Supplier => {
            let name = if row.supplier_company.is_empty() {
                &row.supplier_name
            } else {
                &row.supplier_company
            };
            Some(Key::Text(name.to_lowercase()))
        }
        SheetColumn::YearsOnPlatform => facts.map(|f| Key::Number(i64::from(f.years_on_platform))),
        SheetColumn::MedianReply => facts
            .and_then(|f| f.median_first_reply_secs)
            .map(Key::Number),
        SheetColumn::CompletedOrders => facts.map(|f| Key::Number(f.completed_orders)),
        SheetColumn::DisputesLost => facts.map(|f| Key::Number(f.disputes_lost)),
        _ => None,
    }
}

/// Sorts by any column with the model's rules ([`sort_rows`]): rows without a value in
/// the column last either way, ties in quotation-id order.
pub fn sort_sheet(rows: &mut Vec<SheetRow>, column: SheetColumn, direction: SortDirection) {
    if let Some(model) = column.model() {
        let mut order: Vec<CompareRow> = rows.iter().map(|r| r.row.clone()).collect();
        sort_rows(&mut order, model, direction);
        let mut by_id: HashMap<QuotationId, SheetRow> =
            rows.drain(..).map(|r| (r.row.quotation, r)).collect();
        rows.extend(order.iter().filter_map(|r| by_id.remove(&r.quotation)));
        return;
    }
    rows.sort_by(|a, b| {
        let by_value = match (supplier_key(a, column), supplier_key(b, column)) {
            (Some(x), Some(y)) => match direction {
                SortDirection::Ascending => x.cmp(&y),
                SortDirection::Descending => y.cmp(&x),
            },
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        by_value.then(a.row.quotation.cmp(&b.row.quotation))
    });
}
