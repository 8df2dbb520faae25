//! The dated exchange-rate table the server publishes daily, and conversion of money
//! with it. Rates are exact decimals (integer millionths), never floats.
//!
//! Rounding rule: a conversion computes the exact amount in the target currency's minor
//! units as one fraction and rounds it once, half to even (`money::div_round_half_even`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::PricingError;
use crate::money::{Currency, Money, div_round_half_even};

/// Decimal places a rate carries.
pub const RATE_DECIMALS: u32 = 6;
const ONE: u64 = 1_000_000;

/// An exchange rate, above zero, as an exact decimal with up to six places: written
/// `"7.25"`, held as 7 250 000 millionths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "7.25"))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct Rate(u64);

impl Rate {
    /// The rate of a currency against itself.
    pub const ONE: Rate = Rate(ONE);

    /// `micros` millionths; `None` for zero.
    pub fn from_micros(micros: u64) -> Option<Rate> {
        (micros > 0).then_some(Rate(micros))
    }

    pub fn micros(self) -> u64 {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a rate: write a decimal above 0 with at most 6 decimal places")]
pub struct BadRate(pub String);

impl FromStr for Rate {
    type Err = BadRate;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadRate(s.to_owned());
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 6 {
            return Err(bad());
        }
        if s.contains('.') && frac.is_empty() {
            return Err(bad());
        }
        let whole: u64 = whole.parse().map_err(|_| bad())?;
        let frac_micros: u64 = if frac.is_empty() {
            0
        } else {
            let padded = format!("{frac:0<6}");
            padded.parse().map_err(|_| bad())?
        };
        whole
            .checked_mul(ONE)
            .and_then(|w| w.checked_add(frac_micros))
            .and_then(Rate::from_micros)
            .ok_or_else(bad)
    }
}

impl TryFrom<String> for Rate {
    type Error = BadRate;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Rate> for String {
    fn from(r: Rate) -> String {
        r.to_string()
    }
}

impl fmt::Display for Rate {
    /// The shortest exact form: `7.25`, `1`, `0.000041`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / ONE;
        let frac = self.0 % ONE;
        if frac == 0 {
            return write!(f, "{whole}");
        }
        let frac = format!("{frac:06}");
        write!(f, "{whole}.{}", frac.trim_end_matches('0'))
    }
}

/// One day's rates: one unit of `base` buys `rates[c]` units of `c` (major units, as
/// exchange-rate tables are written: base USD, `"CNY": "7.25"` is USD 1 = CNY 7.25).
/// Rates between two other currencies are crossed through the base. The base need not
/// be listed (its rate is 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExchangeRates {
    /// The day the rates are of (shown with every converted amount).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub date: Date,
    pub base: Currency,
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, String>))]
    #[cfg_attr(feature = "ts", ts(type = "Record<string, string>"))]
    pub rates: BTreeMap<Currency, Rate>,
}

impl ExchangeRates {
    /// Units of `currency` one unit of the base buys.
    pub fn rate(&self, currency: Currency) -> Result<Rate, PricingError> {
        if currency == self.base {
            return Ok(Rate::ONE);
        }
        self.rates
            .get(&currency)
            .copied()
            .ok_or(PricingError::MissingRate { currency })
    }

    /// `amount` in `to`, rounded half to even to `to`'s minor unit. The same currency
    /// converts to itself exactly, whether or not the table lists it.
    ///
    /// exact = minor_from / 10^exp_from / rate_from × rate_to × 10^exp_to, computed as
    /// one fraction in i128 and rounded once.
    pub fn convert(&self, amount: Money, to: Currency) -> Result<Money, PricingError> {
        if amount.currency == to {
            return Ok(amount);
        }
        let from_rate = i128::from(self.rate(amount.currency)?.micros());
        let to_rate = i128::from(self.rate(to)?.micros());
        let num = i128::from(amount.minor)
            .checked_mul(to_rate)
            .and_then(|n| n.checked_mul(10_i128.pow(to.exponent())))
            .ok_or(PricingError::Overflow)?;
        let den = from_rate
            .checked_mul(10_i128.pow(amount.currency.exponent()))
            .ok_or(PricingError::Overflow)?;
        div_round_half_even(num, den)
            .and_then(|minor| i64::try_from(minor).ok())
            .map(|minor| Money::new(minor, to))
            .ok_or(PricingError::Overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> ExchangeRates {
        serde_json::from_value(serde_json::json!({
            "date": "2026-07-01",
            "base": "USD",
            "rates": { "EUR": "0.8", "CNY": "7.25", "JPY": "150.5", "KWD": "0.307" }
        }))
        .unwrap()
    }

    #[test]
    fn rates_are_exact_decimals() {
        let r = |s: &str| s.parse::<Rate>().map(Rate::micros);
        assert_eq!(r("7.25"), Ok(7_250_000));
        assert_eq!(r("1"), Ok(1_000_000));
        assert_eq!(r("0.000041"), Ok(41));
        assert_eq!(r("150.123456"), Ok(150_123_456));
        for bad in [
            "0",
            "0.0",
            "-1",
            "1.",
            ".5",
            "1.1234567",
            "1e3",
            "",
            " 1",
            "7,25",
        ] {
            assert!(bad.parse::<Rate>().is_err(), "{bad:?}");
        }
        for s in ["7.25", "1", "0.000041", "150.5"] {
            assert_eq!(s.parse::<Rate>().unwrap().to_string(), s);
        }
        let t = table();
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["rates"]["CNY"], "7.25");
        assert_eq!(serde_json::from_value::<ExchangeRates>(json).unwrap(), t);
    }

    #[test]
    fn conversion_crosses_through_the_base_and_rounds_half_even() {
        let t = table();
        let kwd: Currency = "KWD".parse().unwrap();
        let conv = |minor, from, to| t.convert(Money::new(minor, from), to).map(|m| m.minor);
        // USD 100.00 → CNY 725.00
        assert_eq!(conv(10_000, Currency::USD, Currency::CNY), Ok(72_500));
        // EUR 10.00 → USD 10 / 0.8 = 12.50
        assert_eq!(conv(1_000, Currency::EUR, Currency::USD), Ok(1_250));
        // CNY 1.00 → EUR 1 / 7.25 × 0.8 = 0.110344… → 0.11
        assert_eq!(conv(100, Currency::CNY, Currency::EUR), Ok(11));
        // USD 0.01 → JPY 1.505 → 2 (exponent 0)
        assert_eq!(conv(1, Currency::USD, Currency::JPY), Ok(2));
        // JPY 1 → USD 1 / 150.5 = 0.0066… → 0.01
        assert_eq!(conv(1, Currency::JPY, Currency::USD), Ok(1));
        // USD 0.10 → KWD 0.0307 = 30.7 fils → 31 (exponent 3)
        assert_eq!(conv(10, Currency::USD, kwd), Ok(31));
        // Halves go to the even cent: EUR 0.02 → USD 0.025 → 0.02; EUR 0.06 → 0.075 → 0.08
        assert_eq!(conv(2, Currency::EUR, Currency::USD), Ok(2));
        assert_eq!(conv(6, Currency::EUR, Currency::USD), Ok(8));
        // The same currency needs no rate.
        let gbp: Currency = "GBP".parse().unwrap();
        assert_eq!(conv(123, gbp, gbp), Ok(123));
    }

    #[test]
    fn a_missing_rate_is_named_and_a_huge_amount_is_an_error() {
        let t = table();
        let gbp: Currency = "GBP".parse().unwrap();
        assert_eq!(
            t.convert(Money::new(100, gbp), Currency::USD),
            Err(PricingError::MissingRate { currency: gbp })
        );
        assert_eq!(
            t.convert(Money::new(100, Currency::USD), gbp),
            Err(PricingError::MissingRate { currency: gbp })
        );
        // i64::MAX cents are 1.505 × i64::MAX yen: past i64.
        assert_eq!(
            t.convert(Money::new(i64::MAX, Currency::USD), Currency::JPY),
            Err(PricingError::Overflow)
        );
    }
}
