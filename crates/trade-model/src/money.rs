//! Money as integer minor units of an ISO 4217 currency. No floats anywhere.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An ISO 4217 currency the platform settles in.
///
/// Only currencies whose minor-unit exponent we know are accepted, so that formatting
/// and percentage arithmetic are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct Currency([u8; 3]);

/// The codes the platform settles in, as the document's enum: any other string is
/// refused when read.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("An ISO 4217 currency the platform settles in."))
            .enum_values(Some(KNOWN.iter().map(|(code, _)| *code)))
            .examples(["USD"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Currency {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Currency")
    }
}

/// (code, minor-unit exponent)
const KNOWN: &[(&str, u32)] = &[
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("CNY", 2),
    ("HKD", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("AUD", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("SGD", 2),
    ("INR", 2),
    ("AED", 2),
    ("BRL", 2),
    ("MXN", 2),
    ("RUB", 2),
    ("TRY", 2),
    ("VND", 0),
    ("THB", 2),
    ("KWD", 3),
];

impl Currency {
    pub const USD: Currency = Currency(*b"USD");
    pub const EUR: Currency = Currency(*b"EUR");
    pub const CNY: Currency = Currency(*b"CNY");
    pub const JPY: Currency = Currency(*b"JPY");

    pub fn code(&self) -> &str {
        // Invariant: constructed only from entries of KNOWN, which are ASCII.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// Number of decimal places of the minor unit (2 for USD, 0 for JPY).
    pub fn exponent(&self) -> u32 {
        KNOWN
            .iter()
            .find(|(c, _)| c.as_bytes() == self.0)
            .map(|(_, e)| *e)
            .unwrap_or(2)
    }

    pub fn all() -> impl Iterator<Item = Currency> {
        KNOWN.iter().filter_map(|(c, _)| Currency::from_str(c).ok())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a currency the platform settles in")]
pub struct UnknownCurrency(pub String);

impl FromStr for Currency {
    type Err = UnknownCurrency;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KNOWN
            .iter()
            .find(|(c, _)| *c == s)
            .and_then(|(c, _)| <[u8; 3]>::try_from(c.as_bytes()).ok())
            .map(Currency)
            .ok_or_else(|| UnknownCurrency(s.to_owned()))
    }
}

impl TryFrom<String> for Currency {
    type Error = UnknownCurrency;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount in minor units (cents) of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Money {
    /// Minor units: 1234 USD means $12.34.
    pub minor: i64,
    pub currency: Currency,
}

/// Arithmetic that would overflow or mix currencies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount is too large")]
    Overflow,
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self { minor: 0, currency }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor
            .checked_add(other.minor)
            .map(|minor| Money::new(minor, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor
            .checked_sub(other.minor)
            .map(|minor| Money::new(minor, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    /// `self × basis_points / 10_000`, rounded half away from zero to the minor unit.
    pub fn percent_bp(self, basis_points: u32) -> Result<Money, MoneyError> {
        let product = i128::from(self.minor) * i128::from(basis_points);
        let q = product / 10_000;
        let r = product % 10_000;
        let rounded = if r.abs() * 2 >= 10_000 {
            q + product.signum()
        } else {
            q
        };
        i64::try_from(rounded)
            .map(|minor| Money::new(minor, self.currency))
            .map_err(|_| MoneyError::Overflow)
    }
}

/// `num / den` rounded to the nearest integer, a half to the even neighbour (banker's
/// rounding: over many conversions the halves cancel instead of all going up). `None`
/// when `den` is not positive.
pub fn div_round_half_even(num: i128, den: i128) -> Option<i128> {
    if den <= 0 {
        return None;
    }
    // Euclidean: 0 ≤ r < den, so q is the floor for negative numerators too.
    let q = num.div_euclid(den);
    let r = num.rem_euclid(den);
    let twice = r.checked_mul(2)?;
    Some(match twice.cmp(&den) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal if q % 2 == 0 => q,
        std::cmp::Ordering::Equal => q + 1,
    })
}

impl fmt::Display for Money {
    /// `USD 1,234.50`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = self.currency.exponent();
        let scale = 10_i64.pow(exp);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let major = abs / scale.unsigned_abs();
        let minor = abs % scale.unsigned_abs();
        let digits = major.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        if exp == 0 {
            write!(f, "{} {sign}{grouped}", self.currency)
        } else {
            write!(
                f,
                "{} {sign}{grouped}.{minor:0width$}",
                self.currency,
                width = exp as usize
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_fee_rounds_half_up_to_the_cent() {
        // 2.95% of $100.00 = $2.95
        assert_eq!(
            Money::new(10_000, Currency::USD)
                .percent_bp(295)
                .unwrap()
                .minor,
            295
        );
        // 2.95% of $0.50 = 1.475 cents -> 1 cent
        assert_eq!(
            Money::new(50, Currency::USD).percent_bp(295).unwrap().minor,
            1
        );
        // 2.95% of $1.70 = 5.015 cents -> 5 cents
        assert_eq!(
            Money::new(170, Currency::USD)
                .percent_bp(295)
                .unwrap()
                .minor,
            5
        );
        // 2.95% of $0.17 = 0.5015 -> 1 cent (half up)
        assert_eq!(
            Money::new(17, Currency::USD).percent_bp(295).unwrap().minor,
            1
        );
    }

    #[test]
    fn display_groups_and_respects_exponent() {
        assert_eq!(
            Money::new(123_456_789, Currency::USD).to_string(),
            "USD 1,234,567.89"
        );
        assert_eq!(Money::new(5, Currency::USD).to_string(), "USD 0.05");
        assert_eq!(
            Money::new(1_500_000, Currency::JPY).to_string(),
            "JPY 1,500,000"
        );
        assert_eq!(Money::new(-250, Currency::EUR).to_string(), "EUR -2.50");
    }

    #[test]
    fn half_even_rounds_halves_to_the_even_neighbour() {
        let r = |n, d| div_round_half_even(n, d).unwrap();
        assert_eq!(r(5, 2), 2); // 2.5 -> 2
        assert_eq!(r(7, 2), 4); // 3.5 -> 4
        assert_eq!(r(-5, 2), -2); // -2.5 -> -2
        assert_eq!(r(-7, 2), -4); // -3.5 -> -4
        assert_eq!(r(251, 100), 3); // 2.51 -> 3
        assert_eq!(r(249, 100), 2); // 2.49 -> 2
        assert_eq!(r(-251, 100), -3);
        assert_eq!(r(9, 3), 3);
        assert_eq!(div_round_half_even(1, 0), None);
    }

    #[test]
    fn mixing_currencies_is_refused() {
        let err = Money::new(1, Currency::USD).checked_add(Money::new(1, Currency::EUR));
        assert!(matches!(err, Err(MoneyError::CurrencyMismatch(..))));
    }

    #[test]
    fn unknown_currency_is_refused_on_deserialize() {
        let err = serde_json::from_str::<Currency>("\"XXX\"").unwrap_err();
        assert!(err.to_string().contains("XXX"));
        let ok: Currency = serde_json::from_str("\"CNY\"").unwrap();
        assert_eq!(ok, Currency::CNY);
    }
}
