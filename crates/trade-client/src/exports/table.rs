//! The typed table every export is made of: columns with headers, rows of cells that
//! keep what a value is (a number, an amount in a currency, a date) so that each writer
//! can write it as its format means it.

use jiff::Timestamp;
use jiff::civil::Date;
use trade_model::money::Money;

/// One column: its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub header: String,
}

impl Column {
    pub fn new(header: impl Into<String>) -> Column {
        Column {
            header: header.into(),
        }
    }
}

/// One value. Text is whatever someone typed (a supplier's name, a product) and is
/// written only as text, never as a formula.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Empty,
    Text(String),
    Integer(i64),
    /// `units / 10^scale`, exact: 650 with scale 2 is 6.50.
    Decimal {
        units: i64,
        scale: u32,
    },
    /// An amount in minor units of its currency.
    Money(Money),
    Date(Date),
    /// An instant, written in UTC.
    Timestamp(Timestamp),
    Bool(bool),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// The cell as plain text: what CSV holds and what column widths are measured by.
    /// Numbers without grouping, money as a plain decimal in its currency's digits
    /// (`6200.00`, `-12.5` never: `-12.50`), dates ISO 8601, instants RFC 3339 UTC.
    pub fn plain(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Integer(n) => n.to_string(),
            Cell::Decimal { units, scale } => decimal(i128::from(*units), *scale),
            Cell::Money(m) => decimal(i128::from(m.minor), m.currency.exponent()),
            Cell::Date(d) => d.to_string(),
            Cell::Timestamp(t) => t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }
}

/// `units / 10^scale` written exactly: (620000, 2) → `6200.00`, (-5, 2) → `-0.05`.
pub(crate) fn decimal(units: i128, scale: u32) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let abs = units.unsigned_abs();
    if scale == 0 {
        return format!("{sign}{abs}");
    }
    let div = 10_u128.pow(scale);
    format!(
        "{sign}{}.{:0width$}",
        abs / div,
        abs % div,
        width = scale as usize
    )
}

/// A table to export: one sheet of a workbook, or one CSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The worksheet's name (at most 31 characters, none of `[]:*?/\`).
    pub name: String,
    pub columns: Vec<Column>,
    /// Each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use trade_model::money::Currency;

    #[test]
    fn plain_values_are_exact_in_each_currency_s_digits() {
        let usd = |minor| Cell::Money(Money::new(minor, Currency::USD)).plain();
        assert_eq!(usd(620_000), "6200.00");
        assert_eq!(usd(-5), "-0.05");
        assert_eq!(usd(0), "0.00");
        assert_eq!(Cell::Money(Money::new(1234, Currency::JPY)).plain(), "1234");
        let kwd: Currency = "KWD".parse().unwrap();
        assert_eq!(Cell::Money(Money::new(1234, kwd)).plain(), "1.234");
        assert_eq!(
            Cell::Decimal {
                units: 650,
                scale: 2
            }
            .plain(),
            "6.50"
        );
        assert_eq!(
            Cell::Timestamp("2026-12-04T10:20:30.5Z".parse().unwrap()).plain(),
            "2026-12-04T10:20:30Z"
        );
        assert_eq!(
            Cell::Date(jiff::civil::date(2026, 1, 9)).plain(),
            "2026-01-09"
        );
    }
}
