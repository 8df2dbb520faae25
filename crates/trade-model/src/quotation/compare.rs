//! Quotations side by side (issue 17): for one need and a target quantity, each
//! quotation's tier price, goods total, the buyer's freight and duty estimates, and the
//! landed cost per unit in the buyer's currency, with lead time → earliest arrival and
//! expiry. Sortable by any column.
//!
//! Rounding rule: every amount shown in the buyer's currency is rounded once, half to
//! even, to that currency's minor unit, from its exact value: the goods total and the
//! freight from their exact conversion ([`ExchangeRates::convert`]), a percentage duty
//! from the goods total as shown, a fixed duty from its conversion. The landed total is
//! the sum of the three amounts as shown (so the columns add up in the app and in an
//! export), and the landed cost per unit is that total divided by the quantity, rounded
//! half to even.
//!
//! Expired quotations stay in the comparison, marked; a quotation that cannot be priced
//! (below its MOQ, a rate missing from the table, an amount too large) stays too, with
//! its typed [`PricingError`] instead of a cost.

use std::cmp::Ordering;

use jiff::Span;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::rates::ExchangeRates;
use super::{PricingError, Quotation};
use crate::ids::{AccountId, QuotationId};
use crate::money::{Currency, Money, div_round_half_even};
use crate::order::Incoterm;

/// The highest duty a buyer may enter: 1000 % (some tariffs exceed 100 %).
pub const MAX_DUTY_BASIS_POINTS: u32 = 100_000;
/// The longest transit a buyer may enter, in days.
pub const MAX_TRANSIT_DAYS: u32 = 365;

/// The duty the buyer expects to pay on one shipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Duty {
    /// A share of the goods value (the goods total in the buyer's currency), in basis
    /// points: 650 is 6.5 %. Where customs value includes freight (CIF value, as in the
    /// EU), enter the duty as an amount or fold it into the percentage.
    Percent { basis_points: u32 },
    /// A fixed amount per shipment, in any currency of the rate table.
    Amount { amount: Money },
}

/// The buyer's estimates for one quotation, per shipment (kept with the comparison).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Estimates {
    /// Freight the buyer pays on top of the quoted price (for a CIF or DDP quotation
    /// often only the last leg), in any currency of the rate table.
    pub freight: Money,
    pub duty: Duty,
    /// Days from dispatch to arrival; counted as 0 when not given.
    #[serde(default)]
    pub transit_days: Option<u32>,
}

/// What one quotation costs delivered, at the comparison's quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LandedCost {
    /// The minimum quantity of the tier that applies.
    pub tier_min_quantity: u64,
    /// The tier's unit price as quoted (the quotation's currency).
    pub unit_price: Money,
    /// Quantity × unit price as quoted, exact.
    pub goods_quoted: Money,
    /// The rest in the buyer's currency, rounded per the module's rule.
    pub unit_price_converted: Money,
    pub goods: Money,
    pub freight: Money,
    pub duty: Money,
    /// goods + freight + duty.
    pub landed_total: Money,
    pub landed_per_unit: Money,
}

/// A row's cost, or why it has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RowCost {
    Priced(LandedCost),
    Unpriced { problem: PricingError },
}

/// One quotation in a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CompareRow {
    pub quotation: QuotationId,
    pub supplier: AccountId,
    pub product: String,
    /// The quotation's currency.
    pub currency: Currency,
    pub moq: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "FOB"))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub incoterm: Incoterm,
    pub named_place: String,
    pub lead_time_days: u32,
    /// Today + lead time + transit days; `None` when the transit estimate is refused.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub earliest_arrival: Option<Date>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub valid_until: Date,
    /// Past its valid-until date today: shown marked, never left out.
    pub expired: bool,
    pub cost: RowCost,
}

impl CompareRow {
    pub fn landed(&self) -> Option<&LandedCost> {
        match &self.cost {
            RowCost::Priced(c) => Some(c),
            RowCost::Unpriced { .. } => None,
        }
    }
}

/// A comparison at one quantity in one currency, with the date of the rates it used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Comparison {
    pub quantity: u64,
    /// The buyer's currency.
    pub currency: Currency,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub rates_date: Date,
    /// The UTC date expiry and arrival are counted from.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub today: Date,
    pub rows: Vec<CompareRow>,
}

/// The columns a comparison sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CompareColumn {
    Product,
    Currency,
    Moq,
    Incoterm,
    /// The tier price converted to the buyer's currency.
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SortDirection {
    Ascending,
    Descending,
}

/// `quotation` delivered at `quantity` with the buyer's `estimates`, in `currency`.
pub fn landed_cost(
    quotation: &Quotation,
    quantity: u64,
    estimates: &Estimates,
    currency: Currency,
    rates: &ExchangeRates,
) -> Result<LandedCost, PricingError> {
    estimates.check()?;
    let tier = *quotation.tier_for(quantity)?;
    let unit_price = Money::new(tier.unit_price_minor, quotation.currency);
    let goods_quoted = quotation.total_at(quantity)?;
    let goods = rates.convert(goods_quoted, currency)?;
    let freight = rates.convert(estimates.freight, currency)?;
    let duty = match estimates.duty {
        Duty::Percent { basis_points } => {
            let num = i128::from(goods.minor)
                .checked_mul(i128::from(basis_points))
                .ok_or(PricingError::Overflow)?;
            let minor = div_round_half_even(num, 10_000)
                .and_then(|m| i64::try_from(m).ok())
                .ok_or(PricingError::Overflow)?;
            Money::new(minor, currency)
        }
        Duty::Amount { amount } => rates.convert(amount, currency)?,
    };
    let landed_total = goods.checked_add(freight)?.checked_add(duty)?;
    // quantity ≥ MOQ ≥ 1 here (tier_for refused anything below).
    let per_unit = div_round_half_even(i128::from(landed_total.minor), i128::from(quantity))
        .and_then(|m| i64::try_from(m).ok())
        .ok_or(PricingError::Overflow)?;
    Ok(LandedCost {
        tier_min_quantity: tier.min_quantity,
        unit_price,
        goods_quoted,
        unit_price_converted: rates.convert(unit_price, currency)?,
        goods,
        freight,
        duty,
        landed_total,
        landed_per_unit: Money::new(per_unit, currency),
    })
}

impl Estimates {
    /// Nothing to pay and nothing to wait for: what a quotation gets when added to a
    /// comparison, until the buyer enters estimates.
    pub fn none(currency: Currency) -> Estimates {
        Estimates {
            freight: Money::new(0, currency),
            duty: Duty::Percent { basis_points: 0 },
            transit_days: None,
        }
    }

    /// Why these estimates cannot be used (a negative freight or duty, a duty over
    /// [`MAX_DUTY_BASIS_POINTS`], a transit over [`MAX_TRANSIT_DAYS`]): the check
    /// [`landed_cost`] makes, for a form to refuse them as they are entered.
    pub fn check(&self) -> Result<(), PricingError> {
        check_estimates(self)
    }
}

fn check_estimates(e: &Estimates) -> Result<(), PricingError> {
    if e.freight.minor < 0 {
        return Err(PricingError::BadFreight);
    }
    match e.duty {
        Duty::Percent { basis_points } if basis_points > MAX_DUTY_BASIS_POINTS => {
            return Err(PricingError::BadDuty);
        }
        Duty::Amount { amount } if amount.minor < 0 => return Err(PricingError::BadDuty),
        _ => {}
    }
    if e.transit_days.is_some_and(|d| d > MAX_TRANSIT_DAYS) {
        return Err(PricingError::BadTransitDays);
    }
    Ok(())
}

/// One row: the quotation's facts, its cost or why it has none, expiry and arrival as
/// of `today` (the buyer's UTC date).
pub fn compare_row(
    quotation: &Quotation,
    estimates: &Estimates,
    quantity: u64,
    currency: Currency,
    rates: &ExchangeRates,
    today: Date,
) -> CompareRow {
    let cost = match landed_cost(quotation, quantity, estimates, currency, rates) {
        Ok(c) => RowCost::Priced(c),
        Err(problem) => RowCost::Unpriced { problem },
    };
    let transit = estimates.transit_days.unwrap_or(0);
    let earliest_arrival = (transit <= MAX_TRANSIT_DAYS).then(|| {
        let days = i64::from(quotation.lead_time_days) + i64::from(transit);
        Span::new()
            .try_days(days)
            .and_then(|span| today.checked_add(span))
            .unwrap_or(Date::MAX)
    });
    CompareRow {
        quotation: quotation.id,
        supplier: quotation.supplier,
        product: quotation.product.clone(),
        currency: quotation.currency,
        moq: quotation.moq,
        incoterm: quotation.incoterm.clone(),
        named_place: quotation.named_place.clone(),
        lead_time_days: quotation.lead_time_days,
        earliest_arrival,
        valid_until: quotation.valid_until,
        expired: quotation.is_expired(today),
        cost,
    }
}

/// Compares `candidates` (each quotation with the buyer's estimates for it) at
/// `quantity` in `currency`, as of `today` (the buyer's UTC date). Every candidate has
/// a row; the rows come cheapest landed cost per unit first.
pub fn compare<'a>(
    candidates: impl IntoIterator<Item = (&'a Quotation, &'a Estimates)>,
    quantity: u64,
    currency: Currency,
    rates: &ExchangeRates,
    today: Date,
) -> Comparison {
    let mut comparison = Comparison {
        quantity,
        currency,
        rates_date: rates.date,
        today,
        rows: candidates
            .into_iter()
            .map(|(q, e)| compare_row(q, e, quantity, currency, rates, today))
            .collect(),
    };
    comparison.sort(CompareColumn::LandedPerUnit, SortDirection::Ascending);
    comparison
}

impl Comparison {
    /// See [`sort_rows`].
    pub fn sort(&mut self, column: CompareColumn, direction: SortDirection) {
        sort_rows(&mut self.rows, column, direction);
    }
}

/// Sorts by `column` in `direction`. Rows without a value in the column (a cost column
/// of a row that could not be priced, an arrival that could not be counted) come last
/// either way; equal values keep the order of their quotation ids (ascending either
/// way), so a sort always gives the same order whatever the rows' order before.
pub fn sort_rows(rows: &mut [CompareRow], column: CompareColumn, direction: SortDirection) {
    rows.sort_by(|a, b| {
        let by_value = match (sort_key(a, column), sort_key(b, column)) {
            (Some(x), Some(y)) => match direction {
                SortDirection::Ascending => x.cmp(&y),
                SortDirection::Descending => y.cmp(&x),
            },
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        by_value.then(a.quotation.cmp(&b.quotation))
    });
}

/// A column's value in a row. All rows of one column give the same variant.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    Number(i128),
    Day(Date),
    Text(String),
    Flag(bool),
}

fn sort_key(row: &CompareRow, column: CompareColumn) -> Option<SortKey> {
    let money = |f: fn(&LandedCost) -> Money| {
        row.landed()
            .map(|c| SortKey::Number(i128::from(f(c).minor)))
    };
    match column {
        CompareColumn::Product => Some(SortKey::Text(row.product.to_lowercase())),
        CompareColumn::Currency => Some(SortKey::Text(row.currency.code().to_owned())),
        CompareColumn::Moq => Some(SortKey::Number(i128::from(row.moq))),
        CompareColumn::Incoterm => Some(SortKey::Text(row.incoterm.to_string())),
        CompareColumn::UnitPrice => money(|c| c.unit_price_converted),
        CompareColumn::GoodsTotal => money(|c| c.goods),
        CompareColumn::Freight => money(|c| c.freight),
        CompareColumn::Duty => money(|c| c.duty),
        CompareColumn::LandedTotal => money(|c| c.landed_total),
        CompareColumn::LandedPerUnit => money(|c| c.landed_per_unit),
        CompareColumn::LeadTime => Some(SortKey::Number(i128::from(row.lead_time_days))),
        CompareColumn::EarliestArrival => row.earliest_arrival.map(SortKey::Day),
        CompareColumn::ValidUntil => Some(SortKey::Day(row.valid_until)),
        CompareColumn::Expired => Some(SortKey::Flag(row.expired)),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use uuid::Uuid;

    use super::*;
    use crate::ids::InquiryId;
    use crate::quotation::tests::{date, now, tiers};
    use crate::quotation::{NewQuotation, PriceTier};

    const USD: Currency = Currency::USD;
    const EUR: Currency = Currency::EUR;
    const CNY: Currency = Currency::CNY;

    fn gbp() -> Currency {
        "GBP".parse().unwrap()
    }

    /// Base USD: USD 1 = EUR 0.92 = CNY 7.25 (no GBP).
    fn rates() -> ExchangeRates {
        serde_json::from_value(serde_json::json!({
            "date": "2026-07-14",
            "base": "USD",
            "rates": { "EUR": "0.92", "CNY": "7.25" }
        }))
        .unwrap()
    }

    #[allow(clippy::too_many_arguments)]
    fn quote(
        id: u128,
        currency: Currency,
        t: &[(u64, i64)],
        lead_time_days: u32,
        incoterm: &str,
        named_place: &str,
        valid_until: &str,
    ) -> Quotation {
        let request = NewQuotation {
            inquiry: InquiryId::new(),
            product: "Water bottle 750 ml".into(),
            tiers: tiers(t),
            currency,
            moq: t[0].0,
            lead_time_days,
            incoterm: Incoterm::from(incoterm.to_owned()),
            named_place: named_place.into(),
            valid_until: date(valid_until),
            sample_price_minor: None,
            notes: String::new(),
        };
        let id = QuotationId(Uuid::from_u128(id));
        Quotation::create(id, AccountId::new(), request, now()).unwrap()
    }

    fn percent(basis_points: u32) -> Duty {
        Duty::Percent { basis_points }
    }

    fn estimates(freight: Money, duty: Duty, transit_days: Option<u32>) -> Estimates {
        Estimates {
            freight,
            duty,
            transit_days,
        }
    }

    /// Three suppliers answer for the same bottle; a fourth quotes in GBP, which the
    /// rate table lacks.
    fn field() -> Vec<(Quotation, Estimates)> {
        vec![
            (
                quote(
                    1,
                    USD,
                    &[(300, 605), (1_000, 580), (5_000, 550)],
                    26,
                    "FOB",
                    "Ningbo",
                    "2026-07-31",
                ),
                estimates(Money::new(120_000, USD), percent(650), Some(30)),
            ),
            (
                quote(
                    3,
                    EUR,
                    &[(500, 520), (2_000, 495)],
                    20,
                    "EXW",
                    "Stuttgart",
                    "2026-07-10",
                ),
                estimates(Money::new(150_000, EUR), percent(650), None),
            ),
            (
                quote(
                    2,
                    CNY,
                    &[(1_000, 3_900), (3_000, 3_700)],
                    35,
                    "CIF",
                    "Hamburg",
                    "2026-08-15",
                ),
                estimates(
                    Money::new(290_000, CNY),
                    Duty::Amount {
                        amount: Money::new(85_000, USD),
                    },
                    Some(28),
                ),
            ),
            (
                quote(
                    4,
                    gbp(),
                    &[(100, 450)],
                    10,
                    "DDP",
                    "Rotterdam",
                    "2026-08-01",
                ),
                estimates(Money::zero(USD), percent(0), None),
            ),
        ]
    }

    fn run(quantity: u64) -> Comparison {
        let field = field();
        compare(
            field.iter().map(|(q, e)| (q, e)),
            quantity,
            USD,
            &rates(),
            date("2026-07-15"),
        )
    }

    fn ids(rows: &[CompareRow]) -> Vec<u128> {
        rows.iter().map(|r| r.quotation.0.as_u128()).collect()
    }

    fn cents(minor: i64) -> Money {
        Money::new(minor, USD)
    }

    #[test]
    fn three_quotations_at_2000_pieces_rank_by_landed_cost_per_unit() {
        let c = run(2_000);
        assert_eq!(c.rates_date, date("2026-07-14"));
        assert_eq!(c.currency, USD);
        // Cheapest landed per unit first, the unpriced GBP quotation last.
        assert_eq!(ids(&c.rows), vec![2, 3, 1, 4]);
        let [cny, eur, usd, gbp_row] = &c.rows[..] else {
            panic!("four rows")
        };

        // CNY, CIF Hamburg: 2,000 is in the 1,000 tier, CNY 39.00.
        //   goods   2,000 × 39.00 = CNY 78,000.00 → / 7.25 = 10,758.6206… → USD 10,758.62
        //   freight CNY 2,900.00 / 7.25 = USD 400.00
        //   duty    USD 850.00 as entered
        //   landed  10,758.62 + 400.00 + 850.00 = 12,008.62; / 2,000 = 6.00431 → 6.00
        let l = cny.landed().unwrap();
        assert_eq!(l.tier_min_quantity, 1_000);
        assert_eq!(l.unit_price, Money::new(3_900, CNY));
        assert_eq!(l.goods_quoted, Money::new(7_800_000, CNY));
        assert_eq!(l.unit_price_converted, cents(538)); // 39 / 7.25 = 5.3793… → 5.38
        assert_eq!(l.goods, cents(1_075_862));
        assert_eq!(l.freight, cents(40_000));
        assert_eq!(l.duty, cents(85_000));
        assert_eq!(l.landed_total, cents(1_200_862));
        assert_eq!(l.landed_per_unit, cents(600));
        assert!(!cny.expired);
        // 2026-07-15 + 35 + 28 days
        assert_eq!(cny.earliest_arrival, Some(date("2026-09-16")));

        // EUR, EXW Stuttgart: 2,000 is exactly the second tier's minimum, EUR 4.95.
        //   goods   EUR 9,900.00 / 0.92 = 10,760.8695… → USD 10,760.87
        //   freight EUR 1,500.00 / 0.92 = 1,630.4347… → USD 1,630.43
        //   duty    6.5 % × 10,760.87 = 699.45655 → USD 699.46
        //   landed  10,760.87 + 1,630.43 + 699.46 = 13,090.76; / 2,000 = 6.54538 → 6.55
        let l = eur.landed().unwrap();
        assert_eq!(l.tier_min_quantity, 2_000);
        assert_eq!(l.unit_price, Money::new(495, EUR));
        assert_eq!(l.unit_price_converted, cents(538)); // 4.95 / 0.92 = 5.3804… → 5.38
        assert_eq!(l.goods, cents(1_076_087));
        assert_eq!(l.freight, cents(163_043));
        assert_eq!(l.duty, cents(69_946));
        assert_eq!(l.landed_total, cents(1_309_076));
        assert_eq!(l.landed_per_unit, cents(655));
        // Valid until 2026-07-10: expired on the 15th, kept and marked.
        assert!(eur.expired);
        assert_eq!(eur.earliest_arrival, Some(date("2026-08-04"))); // + 20 days

        // USD, FOB Ningbo: the 1,000 tier, USD 5.80.
        //   goods   2,000 × 5.80 = 11,600.00
        //   freight 1,200.00
        //   duty    6.5 % × 11,600.00 = 754.00
        //   landed  13,554.00; / 2,000 = 6.777 → 6.78
        let l = usd.landed().unwrap();
        assert_eq!(l.goods, cents(1_160_000));
        assert_eq!(l.goods_quoted, cents(1_160_000));
        assert_eq!(l.freight, cents(120_000));
        assert_eq!(l.duty, cents(75_400));
        assert_eq!(l.landed_total, cents(1_355_400));
        assert_eq!(l.landed_per_unit, cents(678));
        assert_eq!(usd.earliest_arrival, Some(date("2026-09-09"))); // + 26 + 30 days

        // GBP: no rate in the table. The row stays, with the reason.
        assert_eq!(
            gbp_row.cost,
            RowCost::Unpriced {
                problem: PricingError::MissingRate { currency: gbp() }
            }
        );
        assert_eq!(gbp_row.earliest_arrival, Some(date("2026-07-25")));
    }

    #[test]
    fn any_column_sorts_both_ways_with_ties_in_id_order() {
        let mut c = run(2_000);
        let mut by = |col, dir| {
            c.sort(col, dir);
            ids(&c.rows)
        };
        use CompareColumn as C;
        use SortDirection::{Ascending as Up, Descending as Down};
        assert_eq!(by(C::LandedPerUnit, Down), vec![1, 3, 2, 4]);
        assert_eq!(by(C::LandedTotal, Up), vec![2, 3, 1, 4]);
        // CNY and EUR both cost USD 5.38 a piece: the lower id first, either way.
        assert_eq!(by(C::UnitPrice, Up), vec![2, 3, 1, 4]);
        assert_eq!(by(C::UnitPrice, Down), vec![1, 2, 3, 4]);
        assert_eq!(by(C::GoodsTotal, Up), vec![2, 3, 1, 4]);
        assert_eq!(by(C::Freight, Up), vec![2, 1, 3, 4]);
        assert_eq!(by(C::Duty, Down), vec![2, 1, 3, 4]);
        // Columns every row has: the GBP row sorts like the others.
        assert_eq!(by(C::EarliestArrival, Up), vec![4, 3, 1, 2]);
        assert_eq!(by(C::LeadTime, Down), vec![2, 1, 3, 4]);
        assert_eq!(by(C::ValidUntil, Up), vec![3, 1, 4, 2]);
        assert_eq!(by(C::Expired, Up), vec![1, 2, 4, 3]);
        assert_eq!(by(C::Currency, Up), vec![2, 3, 4, 1]);
        assert_eq!(by(C::Incoterm, Up), vec![2, 4, 3, 1]);
        assert_eq!(by(C::Moq, Down), vec![2, 3, 1, 4]);
        assert_eq!(by(C::Product, Up), vec![1, 2, 3, 4]);
        // Sorting again from any order gives the same rows.
        c.rows.reverse();
        c.sort(C::LandedPerUnit, Up);
        assert_eq!(ids(&c.rows), vec![2, 3, 1, 4]);
    }

    #[test]
    fn below_a_moq_the_row_stays_with_the_reason() {
        let c = run(400);
        let problem = |id: u128| {
            let row = c
                .rows
                .iter()
                .find(|r| r.quotation.0.as_u128() == id)
                .unwrap();
            match &row.cost {
                RowCost::Unpriced { problem } => Some(problem.clone()),
                RowCost::Priced(_) => None,
            }
        };
        assert_eq!(problem(1), None);
        assert_eq!(
            problem(3),
            Some(PricingError::BelowMoq {
                quantity: 400,
                moq: 500
            })
        );
        assert_eq!(
            problem(2),
            Some(PricingError::BelowMoq {
                quantity: 400,
                moq: 1_000
            })
        );
        assert_eq!(c.rows.len(), 4);
        assert_eq!(c.rows[0].quotation.0.as_u128(), 1);
    }

    #[test]
    fn huge_quantities_and_amounts_are_errors_not_panics() {
        let c = run(100_000_000_000_000_000);
        for row in &c.rows {
            assert_eq!(
                row.cost,
                RowCost::Unpriced {
                    problem: PricingError::Overflow
                },
                "{}",
                row.quotation
            );
        }
        let field = field();
        let (usd, _) = &field[0];
        let huge = estimates(cents(i64::MAX), percent(0), None);
        assert_eq!(
            landed_cost(usd, 2_000, &huge, USD, &rates()),
            Err(PricingError::Overflow)
        );
        let huge = estimates(cents(0), percent(MAX_DUTY_BASIS_POINTS), None);
        assert!(landed_cost(usd, 1_000_000_000, &huge, USD, &rates()).is_ok());
    }

    #[test]
    fn refused_estimates_are_typed() {
        let field = field();
        let (usd, _) = &field[0];
        let cost = |e: Estimates| landed_cost(usd, 2_000, &e, USD, &rates());
        assert_eq!(
            cost(estimates(cents(-1), percent(0), None)),
            Err(PricingError::BadFreight)
        );
        assert_eq!(
            cost(estimates(
                cents(0),
                percent(MAX_DUTY_BASIS_POINTS + 1),
                None
            )),
            Err(PricingError::BadDuty)
        );
        let negative = Duty::Amount { amount: cents(-5) };
        assert_eq!(
            cost(estimates(cents(0), negative, None)),
            Err(PricingError::BadDuty)
        );
        let long = estimates(cents(0), percent(0), Some(MAX_TRANSIT_DAYS + 1));
        assert_eq!(cost(long), Err(PricingError::BadTransitDays));
        let row = compare_row(usd, &long, 2_000, USD, &rates(), date("2026-07-15"));
        assert_eq!(row.earliest_arrival, None);
        assert_eq!(
            PricingError::BadTransitDays.code().as_str(),
            "quotation.bad_transit_days"
        );
    }

    #[test]
    fn a_comparison_reads_back_as_written() {
        let c = run(2_000);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["rows"][0]["cost"]["outcome"], "priced");
        assert_eq!(json["rows"][0]["cost"]["landed_per_unit"]["minor"], 600);
        assert_eq!(json["rows"][3]["cost"]["outcome"], "unpriced");
        assert_eq!(json["rows"][3]["cost"]["problem"]["kind"], "missing_rate");
        let back: Comparison = serde_json::from_value(json).unwrap();
        assert_eq!(back, c);
        let e: Estimates = serde_json::from_value(serde_json::json!({
            "freight": { "minor": 120000, "currency": "USD" },
            "duty": { "kind": "percent", "basis_points": 650 }
        }))
        .unwrap();
        assert_eq!(e.transit_days, None);
    }

    fn arb_tiers() -> impl Strategy<Value = (u64, Vec<PriceTier>)> {
        (
            1_u64..=1_000_000,
            prop::collection::vec((1_u64..=100_000, 0_i64..=500), 0..8),
            1_i64..=1_000_000,
        )
            .prop_map(|(moq, steps, top_price)| {
                let mut tiers = vec![PriceTier {
                    min_quantity: moq,
                    unit_price_minor: top_price,
                }];
                for (step, cut) in steps {
                    let last = tiers[tiers.len() - 1];
                    tiers.push(PriceTier {
                        min_quantity: last.min_quantity + step,
                        unit_price_minor: (last.unit_price_minor - cut).max(1),
                    });
                }
                (moq, tiers)
            })
    }

    proptest! {
        /// The tier chosen never starts above the quantity, and no tier that starts at
        /// or below it starts later; below the MOQ none is.
        #[test]
        fn tier_choice_never_starts_above_the_quantity(
            (moq, tiers) in arb_tiers(),
            quantity in 0_u64..=2_000_000,
        ) {
            match crate::quotation::tier_for(&tiers, moq, quantity) {
                Ok(tier) => {
                    prop_assert!(tier.min_quantity <= quantity);
                    prop_assert!(quantity >= moq);
                    let highest = tiers.iter().filter(|t| t.min_quantity <= quantity).map(|t| t.min_quantity).max();
                    prop_assert_eq!(Some(tier.min_quantity), highest);
                }
                Err(e) => {
                    prop_assert!(quantity < moq);
                    prop_assert_eq!(e, PricingError::BelowMoq { quantity, moq });
                }
            }
        }

        /// More freight never makes the landed cost (total or per unit) lower, in the
        /// quotation's currency or converted.
        #[test]
        fn landed_cost_is_monotonic_in_freight(
            quantity in 500_u64..=1_000_000,
            a in 0_i64..=1_000_000_000_000,
            extra in 0_i64..=1_000_000_000,
            freight_in_cny in any::<bool>(),
            duty in 0_u32..=MAX_DUTY_BASIS_POINTS,
            buyer in prop::sample::select(vec![USD, EUR, CNY]),
        ) {
            let field = field();
            let (eur_quote, _) = &field[1];
            let currency = if freight_in_cny { CNY } else { EUR };
            let cost = |freight| {
                let e = estimates(Money::new(freight, currency), percent(duty), None);
                landed_cost(eur_quote, quantity, &e, buyer, &rates()).unwrap()
            };
            let (low, high) = (cost(a), cost(a + extra));
            prop_assert!(low.landed_total.minor <= high.landed_total.minor);
            prop_assert!(low.landed_per_unit.minor <= high.landed_per_unit.minor);
            prop_assert_eq!(low.goods, high.goods);
            prop_assert_eq!(
                high.landed_total.minor,
                high.goods.minor + high.freight.minor + high.duty.minor
            );
        }
    }
}
