//! What both parties agree on (the terms: lines, Incoterm, shipping, payment terms), its
//! validation for a form (every field error at once), and the payment schedule and card
//! fee that follow from it.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::status::{
    CARD_FEE_BASIS_POINTS, MAX_LINES, MAX_QUANTITY, MAX_SHORT_TEXT_CHARS, MAX_TEXT_CHARS,
    MAX_UNIT_CHARS, OrderOrigin,
};
use crate::error::FieldError;
use crate::ids::DocumentId;
use crate::money::{Currency, Money};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Incoterm {
    Exw,
    Fca,
    Fas,
    Fob,
    Cfr,
    Cif,
    Cpt,
    Cip,
    Dap,
    Dpu,
    Ddp,
    /// Withdrawn in 2010 (DAP replaced it) but still written on contracts and quotes.
    Ddu,
    /// Anything else a client sent; refused by validation with a field error.
    Unknown(String),
}

impl Incoterm {
    /// The eleven rules of Incoterms 2020 in their usual order (any mode of transport:
    /// EXW, FCA, CPT, CIP, DAP, DPU, DDP; sea and inland waterway: FAS, FOB, CFR, CIF),
    /// then DDU.
    pub const KNOWN: [Incoterm; 12] = [
        Incoterm::Exw,
        Incoterm::Fca,
        Incoterm::Fas,
        Incoterm::Fob,
        Incoterm::Cfr,
        Incoterm::Cif,
        Incoterm::Cpt,
        Incoterm::Cip,
        Incoterm::Dap,
        Incoterm::Dpu,
        Incoterm::Ddp,
        Incoterm::Ddu,
    ];

    /// What the named place written after the rule means ("FOB Ningbo": the port of
    /// shipment). Every rule is used with a named place (Incoterms 2020 write each as
    /// "FOB [named port of shipment]"; DDU, withdrawn in 2010, was used the same way):
    /// without it a price says nothing about where the risk and the costs pass to the
    /// buyer. `None` only for an unknown rule.
    pub fn named_place(&self) -> Option<NamedPlace> {
        match self {
            Incoterm::Exw | Incoterm::Fca => Some(NamedPlace::PlaceOfDelivery),
            Incoterm::Fas | Incoterm::Fob => Some(NamedPlace::PortOfShipment),
            Incoterm::Cfr | Incoterm::Cif => Some(NamedPlace::PortOfDestination),
            Incoterm::Cpt | Incoterm::Cip | Incoterm::Ddp | Incoterm::Ddu => {
                Some(NamedPlace::PlaceOfDestination)
            }
            Incoterm::Dap | Incoterm::Dpu => Some(NamedPlace::PlaceOfDestination),
            Incoterm::Unknown(_) => None,
        }
    }
}

/// What the place named after an Incoterm is, for a form's label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum NamedPlace {
    /// EXW, FCA: where the seller makes the goods available or hands them to the
    /// buyer's carrier (its premises, a terminal).
    PlaceOfDelivery,
    /// FAS, FOB: the port the goods are delivered alongside or loaded on the ship at.
    PortOfShipment,
    /// CFR, CIF: the port the seller pays carriage to.
    PortOfDestination,
    /// CPT, CIP, DAP, DPU, DDP (and DDU): the place the seller pays carriage to (and
    /// delivers at, for the D rules; DDP also pays the import duty).
    PlaceOfDestination,
}

impl From<String> for Incoterm {
    fn from(s: String) -> Self {
        match s.to_ascii_uppercase().as_str() {
            "EXW" => Incoterm::Exw,
            "FCA" => Incoterm::Fca,
            "FAS" => Incoterm::Fas,
            "FOB" => Incoterm::Fob,
            "CFR" => Incoterm::Cfr,
            "CIF" => Incoterm::Cif,
            "CPT" => Incoterm::Cpt,
            "CIP" => Incoterm::Cip,
            "DAP" => Incoterm::Dap,
            "DPU" => Incoterm::Dpu,
            "DDP" => Incoterm::Ddp,
            "DDU" => Incoterm::Ddu,
            _ => Incoterm::Unknown(s),
        }
    }
}

impl From<Incoterm> for String {
    fn from(i: Incoterm) -> String {
        i.to_string()
    }
}

impl fmt::Display for Incoterm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Incoterm::Exw => "EXW",
            Incoterm::Fca => "FCA",
            Incoterm::Fas => "FAS",
            Incoterm::Fob => "FOB",
            Incoterm::Cfr => "CFR",
            Incoterm::Cif => "CIF",
            Incoterm::Cpt => "CPT",
            Incoterm::Cip => "CIP",
            Incoterm::Dap => "DAP",
            Incoterm::Dpu => "DPU",
            Incoterm::Ddp => "DDP",
            Incoterm::Ddu => "DDU",
            Incoterm::Unknown(s) => s,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ShippingMethod {
    Sea,
    Air,
    Express,
    Land,
    Rail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrderLine {
    pub product: String,
    pub quantity: u64,
    /// "pieces", "sets", "kg", ...
    pub unit: String,
    /// Price of one unit in minor units of the order's currency.
    pub unit_price_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum PaymentTerms {
    /// The whole amount at once.
    Full,
    /// A deposit, then the balance before shipment. Amounts in minor units; they must
    /// add up to the order total.
    DepositBalance {
        deposit_minor: i64,
        balance_minor: i64,
    },
}

impl PaymentTerms {
    /// Deposit of `percent` % of `total_minor` (rounded half up), balance the rest.
    pub fn deposit_percent(total_minor: i64, percent: u32) -> PaymentTerms {
        let deposit = Money::new(total_minor, Currency::USD)
            .percent_bp(percent.saturating_mul(100))
            .map(|m| m.minor)
            .unwrap_or(total_minor);
        PaymentTerms::DepositBalance {
            deposit_minor: deposit,
            balance_minor: total_minor - deposit,
        }
    }
}

/// What both parties agree on. Changing any of it needs both confirmations again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrderTerms {
    pub lines: Vec<OrderLine>,
    pub currency: Currency,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "FOB"))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub incoterm: Incoterm,
    pub shipping_method: ShippingMethod,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub ship_by: Date,
    pub payment_terms: PaymentTerms,
    #[serde(default)]
    pub remarks: String,
    /// Contract / pro forma invoice documents attached to the terms.
    #[serde(default)]
    pub documents: Vec<DocumentId>,
}

impl OrderTerms {
    /// Sum of quantity × unit price; `None` on overflow.
    pub fn total_minor(&self) -> Option<i64> {
        self.lines.iter().try_fold(0_i64, |acc, l| {
            let q = i64::try_from(l.quantity).ok()?;
            acc.checked_add(q.checked_mul(l.unit_price_minor)?)
        })
    }

    pub fn total(&self) -> Option<Money> {
        self.total_minor().map(|m| Money::new(m, self.currency))
    }
}

/// A text that is not blank and within `max` characters.
pub(crate) fn text_ok(s: &str, max: usize) -> bool {
    !s.trim().is_empty() && s.chars().count() <= max
}

/// What an order of `origin` needs beyond valid terms: one made from an uploaded
/// contract carries the contract (or pro forma invoice).
pub fn check_origin(terms: &OrderTerms, origin: OrderOrigin) -> Result<(), Vec<FieldError>> {
    if origin == OrderOrigin::UploadedContract && terms.documents.is_empty() {
        return Err(vec![FieldError::new(
            "documents",
            "contract_required",
            "Upload the contract or pro forma invoice.",
        )]);
    }
    Ok(())
}

/// Everything that keeps a draft of `origin` from being submitted on `today`, field by
/// field (empty when it can be).
pub fn draft_problems(terms: &OrderTerms, origin: OrderOrigin, today: Date) -> Vec<FieldError> {
    let mut errors = validate_terms(terms, today).err().unwrap_or_default();
    errors.extend(check_origin(terms, origin).err().unwrap_or_default());
    errors
}

/// Validates terms as of `today` (UTC). Returns the total, or every field error at once
/// so a form can show them all next to their fields.
pub fn validate_terms(terms: &OrderTerms, today: Date) -> Result<Money, Vec<FieldError>> {
    let mut errors = Vec::new();
    if terms.lines.is_empty() {
        errors.push(FieldError::new(
            "lines",
            "no_lines",
            "Add at least one product line.",
        ));
    }
    if terms.lines.len() > MAX_LINES {
        errors.push(FieldError::new(
            "lines",
            "too_many_lines",
            format!("An order can have at most {MAX_LINES} lines."),
        ));
    }
    for (i, line) in terms.lines.iter().enumerate() {
        if !text_ok(&line.product, MAX_SHORT_TEXT_CHARS) {
            errors.push(FieldError::new(
                format!("lines[{i}].product"),
                "product_required",
                "Name the product (up to 200 characters).",
            ));
        }
        if !text_ok(&line.unit, MAX_UNIT_CHARS) {
            errors.push(FieldError::new(
                format!("lines[{i}].unit"),
                "unit_required",
                "Give the unit, e.g. pieces or kg.",
            ));
        }
        if line.quantity == 0 {
            errors.push(FieldError::new(
                format!("lines[{i}].quantity"),
                "quantity_not_positive",
                "Quantity must be more than 0.",
            ));
        } else if line.quantity > MAX_QUANTITY {
            errors.push(FieldError::new(
                format!("lines[{i}].quantity"),
                "quantity_too_large",
                "Quantity is too large.",
            ));
        }
        if line.unit_price_minor < 0 {
            errors.push(FieldError::new(
                format!("lines[{i}].unit_price_minor"),
                "unit_price_negative",
                "Unit price cannot be negative.",
            ));
        }
    }
    if let Incoterm::Unknown(s) = &terms.incoterm {
        errors.push(FieldError::new(
            "incoterm",
            "unknown_incoterm",
            format!("`{s}` is not an Incoterm; use EXW, FOB, CFR, CIF, CPT, DDP or DDU."),
        ));
    }
    if terms.ship_by <= today {
        errors.push(FieldError::new(
            "ship_by",
            "ship_by_not_future",
            "The ship-by date must be after today.",
        ));
    }
    if terms.remarks.chars().count() > MAX_TEXT_CHARS {
        errors.push(FieldError::new(
            "remarks",
            "remarks_too_long",
            "Remarks can be at most 2000 characters.",
        ));
    }
    let total = terms.total_minor();
    match total {
        None => errors.push(FieldError::new(
            "lines",
            "total_overflow",
            "The order total is too large.",
        )),
        Some(t) if t <= 0 && !terms.lines.is_empty() => errors.push(FieldError::new(
            "lines",
            "total_not_positive",
            "The order total must be more than 0.",
        )),
        _ => {}
    }
    if let (
        PaymentTerms::DepositBalance {
            deposit_minor,
            balance_minor,
        },
        Some(t),
    ) = (&terms.payment_terms, total)
    {
        if *deposit_minor <= 0 || *balance_minor <= 0 {
            errors.push(FieldError::new(
                "payment_terms",
                "installment_not_positive",
                "Deposit and balance must both be more than 0.",
            ));
        }
        if deposit_minor.checked_add(*balance_minor) != Some(t) {
            errors.push(FieldError::new(
                "payment_terms",
                "installments_do_not_add_up",
                "Deposit and balance must add up to the order total.",
            ));
        }
    }
    match total {
        Some(t) if errors.is_empty() => Ok(Money::new(t, terms.currency)),
        _ => Err(errors),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum InstallmentKind {
    Full,
    Deposit,
    Balance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Installment {
    /// 0-based position in the schedule.
    pub index: u32,
    pub kind: InstallmentKind,
    pub amount_minor: i64,
}

/// The payment schedule of a set of terms.
pub fn schedule(terms: &OrderTerms) -> Vec<Installment> {
    match terms.payment_terms {
        PaymentTerms::Full => vec![Installment {
            index: 0,
            kind: InstallmentKind::Full,
            amount_minor: terms.total_minor().unwrap_or(0),
        }],
        PaymentTerms::DepositBalance {
            deposit_minor,
            balance_minor,
        } => vec![
            Installment {
                index: 0,
                kind: InstallmentKind::Deposit,
                amount_minor: deposit_minor,
            },
            Installment {
                index: 1,
                kind: InstallmentKind::Balance,
                amount_minor: balance_minor,
            },
        ],
    }
}

/// The card fee for paying `amount` by card.
pub fn card_fee(amount: Money) -> Money {
    amount
        .percent_bp(CARD_FEE_BASIS_POINTS)
        .unwrap_or(Money::zero(amount.currency))
}
