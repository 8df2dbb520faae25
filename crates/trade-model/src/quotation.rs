//! Structured quotations (issue 17): what a supplier sends in an inquiry instead of
//! "USD 6.05 per piece, FOB Ningbo, valid 30 days, lead time 26 days, MOQ 300" in chat,
//! the rules a valid one keeps, which price tier applies to a quantity, and expiry.
//! Comparing quotations in the buyer's currency with freight and duty is in [`compare`],
//! the dated exchange-rate table it converts with in [`rates`].
//!
//! Invariants of a quotation [`validate`] accepts:
//! - at least one tier, at most [`MAX_TIERS`]; minimum quantities strictly ascending,
//!   the first one equal to the MOQ (≥ 1), so every quantity from the MOQ on has
//!   exactly one tier and nothing below it has any;
//! - unit prices above zero and never higher in a higher tier;
//! - lead time within [`LEAD_TIME_DAYS`]; valid until a date not before the day it was
//!   made; texts within the lengths of the order's texts; a named place with the
//!   Incoterm.
//!
//! Time zones: `valid_until` is a calendar date as the supplier writes it. Like every
//! date of the model (an order's ship-by date, deadlines), it is read as a UTC date: the
//! quotation is valid through the end of that UTC day (`time::end_of_utc_day`), and
//! callers pass "today" as the UTC date of now (`time::utc_date`), never a local date,
//! so that the server, the buyer's app and the supplier all call the same quotation
//! expired at the same instant.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::error::FieldError;
use crate::ids::{AccountId, InquiryId, QuotationId};
use crate::money::{Currency, Money};
use crate::order::{Incoterm, MAX_QUANTITY, MAX_SHORT_TEXT_CHARS, MAX_TEXT_CHARS, text_ok};
use crate::time::utc_date;

pub mod compare;
pub mod placing;
pub mod rates;

pub use compare::{
    CompareColumn, CompareRow, Comparison, Duty, Estimates, LandedCost, RowCost, SortDirection,
    compare, compare_row, landed_cost, sort_rows,
};
pub use placing::{QUOTED_UNIT, QuotationUse};
pub use rates::{ExchangeRates, Rate};

/// Most price tiers one quotation may have.
pub const MAX_TIERS: usize = 20;
/// The lead times a quotation may state, in days (one day to a year).
pub const LEAD_TIME_DAYS: std::ops::RangeInclusive<u32> = 1..=365;

/// From `min_quantity` units on (up to the next tier's minimum), each unit costs
/// `unit_price_minor` minor units of the quotation's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PriceTier {
    pub min_quantity: u64,
    pub unit_price_minor: i64,
}

/// A quotation as its supplier sends it (the id travels beside it, as with orders).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewQuotation {
    pub inquiry: InquiryId,
    pub product: String,
    /// Ascending by minimum quantity; the first minimum is the MOQ.
    pub tiers: Vec<PriceTier>,
    /// Unsupported currencies are refused when the request is read (`Currency`).
    pub currency: Currency,
    /// Minimum order quantity.
    pub moq: u64,
    pub lead_time_days: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "FOB"))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub incoterm: Incoterm,
    /// "Ningbo" in "FOB Ningbo": see [`Incoterm::named_place`].
    pub named_place: String,
    /// The last day the prices hold (inclusive), a UTC date.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub valid_until: Date,
    /// Price of one sample in minor units; `Some(0)` is a free sample, `None` no
    /// sample offered.
    #[serde(default)]
    pub sample_price_minor: Option<i64>,
    #[serde(default)]
    pub notes: String,
}

/// A quotation on record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Quotation {
    pub id: QuotationId,
    pub inquiry: InquiryId,
    /// The supplier's account.
    pub supplier: AccountId,
    pub product: String,
    pub tiers: Vec<PriceTier>,
    pub currency: Currency,
    pub moq: u64,
    pub lead_time_days: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "FOB"))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub incoterm: Incoterm,
    pub named_place: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub valid_until: Date,
    pub sample_price_minor: Option<i64>,
    pub notes: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub created_at: Timestamp,
}

/// One thing wrong with a quotation a supplier sends. Each has its own code; a server
/// refusing a whole request answers `quotation.invalid` with every problem as a
/// [`FieldError`] in the details (see [`QuotationError::field_error`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuotationError {
    #[error("name the product (up to {MAX_SHORT_TEXT_CHARS} characters)")]
    BadProduct,
    #[error("add at least one price tier")]
    NoTiers,
    #[error("a quotation can have at most {MAX_TIERS} price tiers")]
    TooManyTiers,
    #[error("the minimum order quantity must be from 1 to {MAX_QUANTITY}")]
    MoqOutOfRange,
    #[error("the first tier must start at the minimum order quantity ({moq})")]
    FirstTierNotMoq { moq: u64 },
    #[error("tier {} must start at a larger quantity than the tier before it", .tier + 1)]
    TiersNotAscending { tier: usize },
    #[error("tier {}'s quantity is more than {MAX_QUANTITY}", .tier + 1)]
    TierQuantityOutOfRange { tier: usize },
    #[error("tier {}'s unit price must be more than 0", .tier + 1)]
    UnitPriceNotPositive { tier: usize },
    /// A tier for more pieces that costs more per piece is a typo (a swapped digit, a
    /// missing tier) that a buyer comparing quotations would be misled by: the one who
    /// orders more is never charged more per unit. Equal prices are allowed.
    #[error("tier {} costs more per unit than the tier before it", .tier + 1)]
    UnitPriceRises { tier: usize },
    #[error("the lead time must be from {} to {} days", LEAD_TIME_DAYS.start(), LEAD_TIME_DAYS.end())]
    LeadTimeOutOfRange,
    #[error("the quotation must be valid until today or later")]
    ValidUntilPast,
    #[error(
        "`{0}` is not an Incoterm; use one of the Incoterms 2020 rules (EXW, FCA, FAS, FOB, CFR, CIF, CPT, CIP, DAP, DPU, DDP) or DDU"
    )]
    UnknownIncoterm(String),
    #[error("name the place for the Incoterm (up to {MAX_SHORT_TEXT_CHARS} characters)")]
    BadNamedPlace,
    #[error("the sample price cannot be negative")]
    SamplePriceNegative,
    #[error("notes can be at most {MAX_TEXT_CHARS} characters")]
    NotesTooLong,
}

impl QuotationError {
    pub fn code(&self) -> ErrorCode {
        match self {
            QuotationError::BadProduct => ErrorCode::QuotationBadProduct,
            QuotationError::NoTiers => ErrorCode::QuotationNoTiers,
            QuotationError::TooManyTiers => ErrorCode::QuotationTooManyTiers,
            QuotationError::MoqOutOfRange => ErrorCode::QuotationMoqOutOfRange,
            QuotationError::FirstTierNotMoq { .. } => ErrorCode::QuotationFirstTierNotMoq,
            QuotationError::TiersNotAscending { .. } => ErrorCode::QuotationTiersNotAscending,
            QuotationError::TierQuantityOutOfRange { .. } => {
                ErrorCode::QuotationTierQuantityOutOfRange
            }
            QuotationError::UnitPriceNotPositive { .. } => ErrorCode::QuotationUnitPriceNotPositive,
            QuotationError::UnitPriceRises { .. } => ErrorCode::QuotationUnitPriceRises,
            QuotationError::LeadTimeOutOfRange => ErrorCode::QuotationLeadTimeOutOfRange,
            QuotationError::ValidUntilPast => ErrorCode::QuotationValidUntilPast,
            QuotationError::UnknownIncoterm(_) => ErrorCode::QuotationUnknownIncoterm,
            QuotationError::BadNamedPlace => ErrorCode::QuotationBadNamedPlace,
            QuotationError::SamplePriceNegative => ErrorCode::QuotationSamplePriceNegative,
            QuotationError::NotesTooLong => ErrorCode::QuotationNotesTooLong,
        }
    }

    /// The path of the field at fault, e.g. `tiers[1].unit_price_minor`.
    pub fn field(&self) -> String {
        match self {
            QuotationError::BadProduct => "product".to_owned(),
            QuotationError::NoTiers | QuotationError::TooManyTiers => "tiers".to_owned(),
            QuotationError::MoqOutOfRange => "moq".to_owned(),
            QuotationError::FirstTierNotMoq { .. } => "tiers[0].min_quantity".to_owned(),
            QuotationError::TiersNotAscending { tier }
            | QuotationError::TierQuantityOutOfRange { tier } => {
                format!("tiers[{tier}].min_quantity")
            }
            QuotationError::UnitPriceNotPositive { tier }
            | QuotationError::UnitPriceRises { tier } => format!("tiers[{tier}].unit_price_minor"),
            QuotationError::LeadTimeOutOfRange => "lead_time_days".to_owned(),
            QuotationError::ValidUntilPast => "valid_until".to_owned(),
            QuotationError::UnknownIncoterm(_) => "incoterm".to_owned(),
            QuotationError::BadNamedPlace => "named_place".to_owned(),
            QuotationError::SamplePriceNegative => "sample_price_minor".to_owned(),
            QuotationError::NotesTooLong => "notes".to_owned(),
        }
    }

    /// For a form: the field, the code (`quotation.*`) and the message.
    pub fn field_error(&self) -> FieldError {
        FieldError::new(self.field(), self.code().as_str(), self.to_string())
    }
}

/// Why a quotation cannot be priced: at a quantity, or in a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum PricingError {
    #[error("{quantity} is below the minimum order quantity of {moq}")]
    BelowMoq { quantity: u64, moq: u64 },
    /// Only a quotation that was never validated has no tier.
    #[error("the quotation has no price tier")]
    NoTiers,
    #[error("the amount is too large to compute")]
    Overflow,
    #[error("the exchange-rate table has no rate for {currency}")]
    MissingRate { currency: Currency },
    #[error("the freight estimate cannot be negative")]
    BadFreight,
    #[error("the duty cannot be negative or more than 1000 %")]
    BadDuty,
    #[error("the transit time can be at most 365 days")]
    BadTransitDays,
}

impl PricingError {
    pub fn code(&self) -> ErrorCode {
        match self {
            PricingError::BelowMoq { .. } => ErrorCode::QuotationBelowMoq,
            PricingError::NoTiers => ErrorCode::QuotationNoTiers,
            PricingError::Overflow => ErrorCode::QuotationAmountOverflow,
            PricingError::MissingRate { .. } => ErrorCode::QuotationMissingRate,
            PricingError::BadFreight => ErrorCode::QuotationBadFreight,
            PricingError::BadDuty => ErrorCode::QuotationBadDuty,
            PricingError::BadTransitDays => ErrorCode::QuotationBadTransitDays,
        }
    }
}

impl From<crate::money::MoneyError> for PricingError {
    /// Amounts in one computation are all in one currency, so what can go wrong is size.
    fn from(_: crate::money::MoneyError) -> Self {
        PricingError::Overflow
    }
}

/// Every problem of `q` as sent on `today` (the UTC date of its creation), all at once
/// so a form can show each next to its field.
pub fn validate(q: &NewQuotation, today: Date) -> Result<(), Vec<QuotationError>> {
    let mut errors = Vec::new();
    if !text_ok(&q.product, MAX_SHORT_TEXT_CHARS) {
        errors.push(QuotationError::BadProduct);
    }
    if q.moq == 0 || q.moq > MAX_QUANTITY {
        errors.push(QuotationError::MoqOutOfRange);
    }
    check_tiers(&q.tiers, q.moq, &mut errors);
    if !LEAD_TIME_DAYS.contains(&q.lead_time_days) {
        errors.push(QuotationError::LeadTimeOutOfRange);
    }
    if q.valid_until < today {
        errors.push(QuotationError::ValidUntilPast);
    }
    match q.incoterm.named_place() {
        None => errors.push(QuotationError::UnknownIncoterm(q.incoterm.to_string())),
        // Every known rule needs its place (see `Incoterm::named_place`).
        Some(_) if !text_ok(&q.named_place, MAX_SHORT_TEXT_CHARS) => {
            errors.push(QuotationError::BadNamedPlace)
        }
        Some(_) => {}
    }
    if q.sample_price_minor.is_some_and(|p| p < 0) {
        errors.push(QuotationError::SamplePriceNegative);
    }
    if q.notes.chars().count() > MAX_TEXT_CHARS {
        errors.push(QuotationError::NotesTooLong);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn check_tiers(tiers: &[PriceTier], moq: u64, errors: &mut Vec<QuotationError>) {
    let Some(first) = tiers.first() else {
        errors.push(QuotationError::NoTiers);
        return;
    };
    if tiers.len() > MAX_TIERS {
        errors.push(QuotationError::TooManyTiers);
    }
    if first.min_quantity != moq {
        errors.push(QuotationError::FirstTierNotMoq { moq });
    }
    for (i, tier) in tiers.iter().enumerate() {
        if tier.min_quantity > MAX_QUANTITY {
            errors.push(QuotationError::TierQuantityOutOfRange { tier: i });
        }
        if tier.unit_price_minor <= 0 {
            errors.push(QuotationError::UnitPriceNotPositive { tier: i });
        }
        let Some(prev) = i.checked_sub(1).and_then(|p| tiers.get(p)) else {
            continue;
        };
        if tier.min_quantity <= prev.min_quantity {
            errors.push(QuotationError::TiersNotAscending { tier: i });
        }
        if tier.unit_price_minor > prev.unit_price_minor {
            errors.push(QuotationError::UnitPriceRises { tier: i });
        }
    }
}

impl Quotation {
    /// The quotation `supplier` sends at `now`, if [`validate`] accepts it on `now`'s
    /// UTC date. Texts are kept trimmed.
    pub fn create(
        id: QuotationId,
        supplier: AccountId,
        request: NewQuotation,
        now: Timestamp,
    ) -> Result<Quotation, Vec<QuotationError>> {
        validate(&request, utc_date(now))?;
        Ok(Quotation {
            id,
            inquiry: request.inquiry,
            supplier,
            product: request.product.trim().to_owned(),
            tiers: request.tiers,
            currency: request.currency,
            moq: request.moq,
            lead_time_days: request.lead_time_days,
            incoterm: request.incoterm,
            named_place: request.named_place.trim().to_owned(),
            valid_until: request.valid_until,
            sample_price_minor: request.sample_price_minor,
            notes: request.notes,
            created_at: now,
        })
    }

    /// The tier that prices `quantity`: the highest one whose minimum is at most
    /// `quantity`. Below the MOQ there is none.
    pub fn tier_for(&self, quantity: u64) -> Result<&PriceTier, PricingError> {
        tier_for(&self.tiers, self.moq, quantity)
    }

    /// What one unit costs when `quantity` units are ordered.
    pub fn unit_price_at(&self, quantity: u64) -> Result<Money, PricingError> {
        self.tier_for(quantity)
            .map(|t| Money::new(t.unit_price_minor, self.currency))
    }

    /// `quantity` × the unit price at that quantity, without overflowing.
    pub fn total_at(&self, quantity: u64) -> Result<Money, PricingError> {
        let unit = self.unit_price_at(quantity)?;
        let q = i64::try_from(quantity).map_err(|_| PricingError::Overflow)?;
        unit.minor
            .checked_mul(q)
            .map(|minor| Money::new(minor, self.currency))
            .ok_or(PricingError::Overflow)
    }

    /// The quotation in one plain-text paragraph (the text of the message that carries
    /// it in the thread, its preview, and what a reader without the card sees):
    /// `Quotation for Bottle: USD 6.05 per unit from 300, USD 5.80 from 1,000; FOB
    /// Ningbo; lead time 26 days; valid until 2026-07-31.` then the sample and the notes.
    pub fn summary(&self) -> String {
        let tiers: Vec<String> = self
            .tiers
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let price = Money::new(t.unit_price_minor, self.currency);
                let from = group_thousands(t.min_quantity);
                if i == 0 {
                    format!("{price} per unit from {from}")
                } else {
                    format!("{price} from {from}")
                }
            })
            .collect();
        let mut out = format!(
            "Quotation for {}: {}; {} {}; lead time {} days; valid until {}.",
            self.product,
            tiers.join(", "),
            self.incoterm,
            self.named_place,
            self.lead_time_days,
            self.valid_until
        );
        match self.sample_price_minor {
            Some(0) => out.push_str(" Free sample."),
            Some(p) => out.push_str(&format!(" Sample: {}.", Money::new(p, self.currency))),
            None => {}
        }
        let notes = self.notes.trim();
        if !notes.is_empty() {
            out.push('\n');
            out.push_str(notes);
        }
        out
    }

    /// Whether the prices no longer hold on `today` (a UTC date, `time::utc_date(now)`):
    /// valid through `valid_until` inclusive, expired from the day after.
    pub fn is_expired(&self, today: Date) -> bool {
        today > self.valid_until
    }
}

/// `1234567` as `1,234,567`.
fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// [`Quotation::tier_for`] over bare tiers, for a form that has no quotation yet.
pub fn tier_for(tiers: &[PriceTier], moq: u64, quantity: u64) -> Result<&PriceTier, PricingError> {
    let Some(first) = tiers.first() else {
        return Err(PricingError::NoTiers);
    };
    // A quotation read from storage may predate a rule; never price below either floor.
    let floor = first.min_quantity.max(moq);
    if quantity < floor {
        return Err(PricingError::BelowMoq {
            quantity,
            moq: floor,
        });
    }
    tiers
        .iter()
        .rev()
        .find(|t| t.min_quantity <= quantity)
        .ok_or(PricingError::BelowMoq {
            quantity,
            moq: floor,
        })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    pub(crate) fn tiers(t: &[(u64, i64)]) -> Vec<PriceTier> {
        t.iter()
            .map(|&(min_quantity, unit_price_minor)| PriceTier {
                min_quantity,
                unit_price_minor,
            })
            .collect()
    }

    /// "USD 6.05 per piece from 300, 5.80 from 1,000, 5.50 from 5,000, FOB Ningbo,
    /// lead time 26 days, valid until 2026-07-31".
    pub(crate) fn request() -> NewQuotation {
        NewQuotation {
            inquiry: InquiryId::new(),
            product: "  Stainless steel water bottle 750 ml ".to_owned(),
            tiers: tiers(&[(300, 605), (1_000, 580), (5_000, 550)]),
            currency: Currency::USD,
            moq: 300,
            lead_time_days: 26,
            incoterm: Incoterm::Fob,
            named_place: "Ningbo".to_owned(),
            valid_until: date("2026-07-31"),
            sample_price_minor: Some(0),
            notes: String::new(),
        }
    }

    pub(crate) fn now() -> Timestamp {
        "2026-07-01T09:00:00Z".parse().unwrap()
    }

    fn quotation() -> Quotation {
        Quotation::create(QuotationId::new(), AccountId::new(), request(), now()).unwrap()
    }

    fn problems(q: &NewQuotation) -> Vec<QuotationError> {
        validate(q, date("2026-07-01")).err().unwrap_or_default()
    }

    #[test]
    fn a_well_formed_quotation_is_accepted_and_trimmed() {
        let q = quotation();
        assert_eq!(q.product, "Stainless steel water bottle 750 ml");
        assert_eq!(q.created_at, now());
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_field_and_code() {
        let mut q = request();
        q.product = " ".into();
        q.tiers = tiers(&[(500, 605), (500, 580), (400, 0), (6_000, 700)]);
        q.lead_time_days = 0;
        q.valid_until = date("2026-06-30");
        q.named_place = String::new();
        q.sample_price_minor = Some(-1);
        q.notes = "x".repeat(MAX_TEXT_CHARS + 1);
        let errors = problems(&q);
        assert_eq!(
            errors,
            vec![
                QuotationError::BadProduct,
                QuotationError::FirstTierNotMoq { moq: 300 },
                QuotationError::TiersNotAscending { tier: 1 },
                QuotationError::UnitPriceNotPositive { tier: 2 },
                QuotationError::TiersNotAscending { tier: 2 },
                QuotationError::UnitPriceRises { tier: 3 },
                QuotationError::LeadTimeOutOfRange,
                QuotationError::ValidUntilPast,
                QuotationError::BadNamedPlace,
                QuotationError::SamplePriceNegative,
                QuotationError::NotesTooLong,
            ]
        );
        let fe = QuotationError::UnitPriceRises { tier: 3 }.field_error();
        assert_eq!(fe.field, "tiers[3].unit_price_minor");
        assert_eq!(fe.code, "quotation.unit_price_rises");
        assert_eq!(
            fe.message,
            "tier 4 costs more per unit than the tier before it"
        );
    }

    #[test]
    fn tiers_moq_and_lead_time_limits() {
        let mut q = request();
        q.tiers.clear();
        assert_eq!(problems(&q), vec![QuotationError::NoTiers]);

        let mut q = request();
        q.moq = 0;
        q.tiers = tiers(&[(0, 605)]);
        assert_eq!(problems(&q), vec![QuotationError::MoqOutOfRange]);

        let mut q = request();
        q.tiers = (0..=MAX_TIERS as u64)
            .map(|i| PriceTier {
                min_quantity: 300 + i,
                unit_price_minor: 605,
            })
            .collect();
        assert_eq!(problems(&q), vec![QuotationError::TooManyTiers]);

        let mut q = request();
        q.tiers.push(PriceTier {
            min_quantity: MAX_QUANTITY + 1,
            unit_price_minor: 500,
        });
        assert_eq!(
            problems(&q),
            vec![QuotationError::TierQuantityOutOfRange { tier: 3 }]
        );

        // Equal prices in a higher tier are allowed; 1 and 365 days are the bounds.
        for (lead, ok) in [(1, true), (365, true), (366, false)] {
            let mut q = request();
            q.tiers = tiers(&[(300, 605), (1_000, 605)]);
            q.lead_time_days = lead;
            assert_eq!(problems(&q).is_empty(), ok, "lead time {lead}");
        }
    }

    #[test]
    fn validity_from_the_day_of_creation_on() {
        let mut q = request();
        q.valid_until = date("2026-07-01"); // the UTC date of `now()`
        assert!(Quotation::create(QuotationId::new(), AccountId::new(), q, now()).is_ok());
    }

    #[test]
    fn every_known_incoterm_needs_its_named_place() {
        for incoterm in Incoterm::KNOWN {
            let mut q = request();
            q.incoterm = incoterm.clone();
            assert!(problems(&q).is_empty(), "{incoterm}");
            q.named_place = "   ".into();
            assert_eq!(
                problems(&q),
                vec![QuotationError::BadNamedPlace],
                "{incoterm}"
            );
            q.named_place = "x".repeat(MAX_SHORT_TEXT_CHARS + 1);
            assert_eq!(
                problems(&q),
                vec![QuotationError::BadNamedPlace],
                "{incoterm}"
            );
        }
        let mut q = request();
        q.incoterm = Incoterm::from("FOT".to_owned()); // "free on truck": no rule
        q.named_place.clear();
        let errors = problems(&q);
        assert_eq!(errors, vec![QuotationError::UnknownIncoterm("FOT".into())]);
        assert_eq!(errors[0].code(), ErrorCode::QuotationUnknownIncoterm);
    }

    #[test]
    fn the_highest_tier_reached_applies() {
        let q = quotation();
        let price = |n| q.unit_price_at(n).map(|m| m.minor);
        assert_eq!(price(300), Ok(605)); // exactly the MOQ
        assert_eq!(price(999), Ok(605));
        assert_eq!(price(1_000), Ok(580)); // exactly at the boundary: the new tier
        assert_eq!(price(4_999), Ok(580));
        assert_eq!(price(5_000), Ok(550));
        assert_eq!(price(u64::MAX), Ok(550));
        // 2,000 × 5.80 = 11,600.00
        assert_eq!(q.total_at(2_000), Ok(Money::new(1_160_000, Currency::USD)));
    }

    #[test]
    fn below_the_moq_there_is_no_price() {
        let q = quotation();
        let below = PricingError::BelowMoq {
            quantity: 299,
            moq: 300,
        };
        assert_eq!(q.tier_for(299), Err(below.clone()));
        assert_eq!(q.total_at(299), Err(below.clone()));
        assert_eq!(below.code(), ErrorCode::QuotationBelowMoq);
        assert!(matches!(
            q.tier_for(0),
            Err(PricingError::BelowMoq { quantity: 0, .. })
        ));
        assert_eq!(tier_for(&[], 1, 5), Err(PricingError::NoTiers));
    }

    #[test]
    fn a_huge_total_is_an_error_not_a_panic() {
        let q = quotation();
        // 10^17 × 5.50 = 5.5 × 10^19 cents > i64::MAX (9.2 × 10^18)
        assert_eq!(
            q.total_at(100_000_000_000_000_000),
            Err(PricingError::Overflow)
        );
        // u64::MAX pieces do not even fit the i64 a total is counted in.
        assert_eq!(q.total_at(u64::MAX), Err(PricingError::Overflow));
    }

    #[test]
    fn valid_through_the_last_day_expired_the_day_after() {
        let q = quotation(); // valid until 2026-07-31
        assert!(!q.is_expired(date("2026-07-01")));
        assert!(!q.is_expired(date("2026-07-31")));
        assert!(q.is_expired(date("2026-08-01")));
        // 23:59 UTC on the last day is still that day; midnight UTC is the next one.
        let last: Timestamp = "2026-07-31T23:59:59Z".parse().unwrap();
        let next: Timestamp = "2026-08-01T00:00:00Z".parse().unwrap();
        assert!(!q.is_expired(utc_date(last)));
        assert!(q.is_expired(utc_date(next)));
    }

    #[test]
    fn the_summary_says_it_all_in_plain_text() {
        let mut q = quotation();
        q.notes = " Carton of 24. ".into();
        assert_eq!(
            q.summary(),
            "Quotation for Stainless steel water bottle 750 ml: USD 6.05 per unit from 300, \
             USD 5.80 from 1,000, USD 5.50 from 5,000; FOB Ningbo; lead time 26 days; \
             valid until 2026-07-31. Free sample.\nCarton of 24."
        );
        q.sample_price_minor = Some(1_250);
        q.notes.clear();
        assert!(
            q.summary().ends_with("Sample: USD 12.50."),
            "{}",
            q.summary()
        );
    }

    #[test]
    fn a_quotation_reads_back_as_written() {
        let q = quotation();
        let json = serde_json::to_value(&q).unwrap();
        assert_eq!(json["incoterm"], "FOB");
        assert_eq!(json["valid_until"], "2026-07-31");
        assert_eq!(json["tiers"][1]["unit_price_minor"], 580);
        let back: Quotation = serde_json::from_value(json).unwrap();
        assert_eq!(back, q);
        let err = serde_json::to_value(PricingError::MissingRate {
            currency: Currency::CNY,
        })
        .unwrap();
        assert_eq!(
            err,
            serde_json::json!({"kind": "missing_rate", "currency": "CNY"})
        );
    }
}
