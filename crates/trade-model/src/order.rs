//! The order lifecycle (design §3): terms and their validation, the payment schedule,
//! deadlines, the boxes each party sees, and `apply`, the one function through which an
//! order changes.
//!
//! Invariants every reachable order keeps (checked by property tests):
//! - `paid_minor ≤ total`, `refunded_minor ≤ paid_minor`;
//! - in `AwaitingConfirmation` exactly one party has confirmed, so the two parties'
//!   views are complementary ("Waiting for You" / "Waiting for Your Partner");
//! - from `Ordered` on both parties have confirmed;
//! - `Cancelled` and `Completed` are final apart from feedback and disputes.

use std::fmt;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::dispute::{self, Dispute, DisputeAction};
use crate::error::{FieldError, Rejection};
use crate::ids::{AccountId, DocumentId, InquiryId, OrderId, PaymentId};
use crate::money::{Currency, Money};
use crate::time::{add_working_days, end_of_utc_day, utc_date};

mod lifecycle;
pub use lifecycle::{apply, available_actions};

/// An unconfirmed order is cancelled 30 days after creation.
pub const CONFIRMATION_WINDOW: SignedDuration = days_const(30);
/// An ordered but unpaid order is cancelled 60 days after both confirmed.
pub const PAYMENT_WINDOW: SignedDuration = days_const(60);
/// A telegraphic transfer (or a card payment held for review) that has not cleared
/// after this many working days fails and the order can be paid again.
pub const PAYMENT_PROCESSING_WORKING_DAYS: u32 = 7;
/// The ship-by date can be pushed back by at most this many days in all.
pub const MAX_SHIP_BY_EXTENSION_DAYS: u32 = 90;
/// Receiving time after shipment before the order completes by itself.
pub const RECEIPT_WINDOW: SignedDuration = days_const(30);
/// Each party may extend the receiving time once, by this much.
pub const RECEIPT_EXTENSION: SignedDuration = days_const(15);
/// Buyer protection (disputes) ends this long after completion.
pub const PROTECTION_AFTER_COMPLETION: SignedDuration = days_const(30);
/// Card payments carry a 2.95% fee, shown before confirming.
pub const CARD_FEE_BASIS_POINTS: u32 = 295;

pub const MAX_LINES: usize = 200;
pub const MAX_TEXT_CHARS: usize = 2000;
pub const MAX_SHORT_TEXT_CHARS: usize = 200;
pub const MAX_QUANTITY: u64 = 1_000_000_000;

const fn days_const(n: i64) -> SignedDuration {
    SignedDuration::from_secs(n * 86_400)
}

/// Which side of an order a person is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Party {
    Buyer,
    Supplier,
}

impl Party {
    pub fn other(self) -> Party {
        match self {
            Party::Buyer => Party::Supplier,
            Party::Supplier => Party::Buyer,
        }
    }
}

/// Who performs an action on an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Party(Party),
    /// The platform's payment and dispute team.
    Operator,
    /// The platform itself: payment gateway outcomes and the deadline engine.
    System,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Incoterm {
    Exw,
    Fob,
    Cfr,
    Cif,
    Cpt,
    Ddp,
    Ddu,
    /// Anything else a client sent; refused by validation with a field error.
    Unknown(String),
}

impl Incoterm {
    pub const KNOWN: [Incoterm; 7] = [
        Incoterm::Exw,
        Incoterm::Fob,
        Incoterm::Cfr,
        Incoterm::Cif,
        Incoterm::Cpt,
        Incoterm::Ddp,
        Incoterm::Ddu,
    ];
}

impl From<String> for Incoterm {
    fn from(s: String) -> Self {
        match s.to_ascii_uppercase().as_str() {
            "EXW" => Incoterm::Exw,
            "FOB" => Incoterm::Fob,
            "CFR" => Incoterm::Cfr,
            "CIF" => Incoterm::Cif,
            "CPT" => Incoterm::Cpt,
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
            Incoterm::Fob => "FOB",
            Incoterm::Cfr => "CFR",
            Incoterm::Cif => "CIF",
            Incoterm::Cpt => "CPT",
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

fn text_ok(s: &str, max: usize) -> bool {
    !s.trim().is_empty() && s.chars().count() <= max
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
        if !text_ok(&line.unit, 40) {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum OrderStatus {
    AwaitingConfirmation,
    Ordered,
    PaymentProcessing,
    Paid,
    Shipped,
    Completed,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::AwaitingConfirmation => "awaiting_confirmation",
            OrderStatus::Ordered => "ordered",
            OrderStatus::PaymentProcessing => "payment_processing",
            OrderStatus::Paid => "paid",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum OrderOrigin {
    /// Filled in from the order template ("Place Order Online").
    Template,
    /// Made from an uploaded contract or pro forma invoice ("Upload Contract").
    UploadedContract,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum PaymentMethod {
    Card,
    TelegraphicTransfer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PendingPayment {
    pub payment_id: PaymentId,
    pub installment: u32,
    pub amount_minor: i64,
    pub method: PaymentMethod,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub started_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Shipment {
    pub carrier: String,
    pub tracking_number: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub shipped_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Feedback {
    pub rating: u8,
    pub comment: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ModificationRequest {
    pub by: Party,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Order {
    pub id: OrderId,
    pub buyer: AccountId,
    pub supplier: AccountId,
    pub inquiry: Option<InquiryId>,
    pub origin: OrderOrigin,
    pub created_by: Party,
    pub terms: OrderTerms,
    pub status: OrderStatus,
    pub buyer_confirmed: bool,
    pub supplier_confirmed: bool,
    /// Bumped by every change; the `If-Match` of modifications.
    pub version: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub updated_at: Timestamp,
    /// When both parties had confirmed.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub ordered_at: Option<Timestamp>,
    pub modification_request: Option<ModificationRequest>,
    /// When a modification request sent the order back to awaiting confirmation: the
    /// 30-day confirmation window counts from here instead of from creation.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub confirmation_reopened_at: Option<Timestamp>,
    pub paid_minor: i64,
    pub installments_paid: u32,
    pub pending_payment: Option<PendingPayment>,
    pub ship_by_extension_days: u32,
    pub shipment: Option<Shipment>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub receipt_deadline: Option<Timestamp>,
    pub receipt_extended_by_buyer: bool,
    pub receipt_extended_by_supplier: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub completed_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub cancelled_at: Option<Timestamp>,
    pub cancel_reason: Option<String>,
    pub refunded_minor: i64,
    pub feedback: Option<Feedback>,
    pub dispute: Option<Dispute>,
}

/// A new order as its creator submits it. Creating counts as the creator's confirmation.
#[allow(clippy::too_many_arguments)] // the server calls it with every field named
pub fn create(
    id: OrderId,
    buyer: AccountId,
    supplier: AccountId,
    inquiry: Option<InquiryId>,
    origin: OrderOrigin,
    created_by: Party,
    terms: OrderTerms,
    now: Timestamp,
) -> Result<Order, Rejection> {
    validate_terms(&terms, utc_date(now)).map_err(Rejection::InvalidTerms)?;
    if origin == OrderOrigin::UploadedContract && terms.documents.is_empty() {
        return Err(Rejection::InvalidTerms(vec![FieldError::new(
            "documents",
            "contract_required",
            "Upload the contract or pro forma invoice.",
        )]));
    }
    Ok(Order {
        id,
        buyer,
        supplier,
        inquiry,
        origin,
        created_by,
        terms,
        status: OrderStatus::AwaitingConfirmation,
        buyer_confirmed: created_by == Party::Buyer,
        supplier_confirmed: created_by == Party::Supplier,
        version: 1,
        created_at: now,
        updated_at: now,
        ordered_at: None,
        modification_request: None,
        confirmation_reopened_at: None,
        paid_minor: 0,
        installments_paid: 0,
        pending_payment: None,
        ship_by_extension_days: 0,
        shipment: None,
        receipt_deadline: None,
        receipt_extended_by_buyer: false,
        receipt_extended_by_supplier: false,
        completed_at: None,
        cancelled_at: None,
        cancel_reason: None,
        refunded_minor: 0,
        feedback: None,
        dispute: None,
    })
}

/// Everything that can happen to an order after it was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum OrderAction {
    /// Confirm the order as it stands at `version`.
    Confirm {
        version: i64,
    },
    /// Replace the terms of the order at `version`; confirms for the actor and clears the
    /// other side's confirmation.
    Modify {
        version: i64,
        terms: OrderTerms,
    },
    /// Ask the partner to change an ordered, unpaid order: back to awaiting confirmation.
    RequestModification {
        note: String,
    },
    Cancel {
        reason: String,
    },
    /// Buyer starts paying the next installment.
    BeginPayment {
        payment_id: PaymentId,
        method: PaymentMethod,
        amount_minor: i64,
    },
    /// The gateway or the bank (through an operator) cleared the payment.
    PaymentSucceeded {
        payment_id: PaymentId,
    },
    /// The payment failed or expired; the order can be paid again.
    PaymentFailed {
        payment_id: PaymentId,
    },
    Ship {
        carrier: String,
        tracking_number: String,
    },
    ExtendShipBy {
        days: u32,
    },
    ExtendReceipt,
    ConfirmReceipt,
    LeaveFeedback {
        #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 5))]
        rating: u8,
        comment: String,
    },
    Dispute(DisputeAction),
    /// The deadline engine applies the order's next deadline, if it is due and automatic.
    ApplyDeadline,
}

/// The kind of an action, for allowed-action lists and error details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ActionKind {
    /// The order was created (the timeline's first entry).
    Create,
    Confirm,
    Modify,
    RequestModification,
    Cancel,
    PayNow,
    PaymentSucceeded,
    PaymentFailed,
    Ship,
    ExtendShipBy,
    ExtendReceipt,
    ConfirmReceipt,
    LeaveFeedback,
    FileDispute,
    ProposeSettlement,
    AcceptProposal,
    EscalateDispute,
    DecideDispute,
    WithdrawDispute,
    ApplyDeadline,
}

impl OrderAction {
    /// The rules about what the action carries, whatever the order's state: a rating
    /// from 1 to 5, texts within their lengths, amounts above zero, terms that are
    /// valid on `now`'s date. [`apply`] checks them too; a server checks them first, so
    /// that a request it could never take is refused as such (422) even when its
    /// `If-Match` is stale, as HTTP has it (RFC 9110 §13.2.1).
    pub fn check_content(&self, now: Timestamp) -> Result<(), Rejection> {
        match self {
            OrderAction::Modify { terms, .. } => validate_terms(terms, utc_date(now))
                .map(|_| ())
                .map_err(Rejection::InvalidTerms),
            OrderAction::RequestModification { note } => {
                check_text(note, MAX_TEXT_CHARS).map(|_| ())
            }
            OrderAction::Cancel { reason } if reason.chars().count() > MAX_TEXT_CHARS => {
                Err(Rejection::InvalidText)
            }
            OrderAction::Ship {
                carrier,
                tracking_number,
            } => {
                check_text(carrier, MAX_SHORT_TEXT_CHARS)?;
                check_text(tracking_number, MAX_SHORT_TEXT_CHARS).map(|_| ())
            }
            OrderAction::LeaveFeedback { rating, comment }
                if !(1..=5).contains(rating) || comment.chars().count() > MAX_TEXT_CHARS =>
            {
                Err(Rejection::InvalidFeedback)
            }
            OrderAction::Dispute(action) => action.check_content(),
            _ => Ok(()),
        }
    }

    pub fn kind(&self) -> ActionKind {
        match self {
            OrderAction::Confirm { .. } => ActionKind::Confirm,
            OrderAction::Modify { .. } => ActionKind::Modify,
            OrderAction::RequestModification { .. } => ActionKind::RequestModification,
            OrderAction::Cancel { .. } => ActionKind::Cancel,
            OrderAction::BeginPayment { .. } => ActionKind::PayNow,
            OrderAction::PaymentSucceeded { .. } => ActionKind::PaymentSucceeded,
            OrderAction::PaymentFailed { .. } => ActionKind::PaymentFailed,
            OrderAction::Ship { .. } => ActionKind::Ship,
            OrderAction::ExtendShipBy { .. } => ActionKind::ExtendShipBy,
            OrderAction::ExtendReceipt => ActionKind::ExtendReceipt,
            OrderAction::ConfirmReceipt => ActionKind::ConfirmReceipt,
            OrderAction::LeaveFeedback { .. } => ActionKind::LeaveFeedback,
            OrderAction::Dispute(d) => d.kind(),
            OrderAction::ApplyDeadline => ActionKind::ApplyDeadline,
        }
    }
}

/// What the next deadline does when it passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DeadlineKind {
    /// Not confirmed by both within 30 days: cancelled.
    ConfirmationExpires,
    /// Ordered but nothing paid within 60 days: cancelled.
    PaymentExpires,
    /// A transfer or held card payment not cleared in 7 working days: fails.
    PaymentProcessingExpires,
    /// The balance must be paid before the ship-by date (informational).
    BalanceDue,
    /// The supplier must ship by then (informational; the buyer may then dispute).
    ShipBy,
    /// Receiving time ends: the order completes.
    ReceiptAutoComplete,
    /// Buyer protection ends (informational; no disputes after it).
    ProtectionEnds,
    /// Negotiation ends: the dispute goes to the platform's dispute team.
    DisputeAutoEscalation,
}

impl DeadlineKind {
    /// Whether the deadline engine acts when it passes (the others only inform).
    pub fn is_automatic(self) -> bool {
        matches!(
            self,
            DeadlineKind::ConfirmationExpires
                | DeadlineKind::PaymentExpires
                | DeadlineKind::PaymentProcessingExpires
                | DeadlineKind::ReceiptAutoComplete
                | DeadlineKind::DisputeAutoEscalation
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Deadline {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: Timestamp,
    pub kind: DeadlineKind,
}

impl Order {
    pub fn total_minor(&self) -> i64 {
        self.terms.total_minor().unwrap_or(0)
    }

    pub fn total(&self) -> Money {
        Money::new(self.total_minor(), self.terms.currency)
    }

    pub fn party_of(&self, account: AccountId) -> Option<Party> {
        if account == self.buyer {
            Some(Party::Buyer)
        } else if account == self.supplier {
            Some(Party::Supplier)
        } else {
            None
        }
    }

    pub fn confirmed_by(&self, party: Party) -> bool {
        match party {
            Party::Buyer => self.buyer_confirmed,
            Party::Supplier => self.supplier_confirmed,
        }
    }

    fn set_confirmed(&mut self, party: Party, value: bool) {
        match party {
            Party::Buyer => self.buyer_confirmed = value,
            Party::Supplier => self.supplier_confirmed = value,
        }
    }

    /// The installment Pay Now pays next, if any is still due.
    pub fn next_installment(&self) -> Option<Installment> {
        schedule(&self.terms)
            .into_iter()
            .nth(self.installments_paid as usize)
    }

    pub fn dispute_open(&self) -> bool {
        self.dispute.as_ref().is_some_and(Dispute::is_open)
    }

    /// The ship-by date including extensions.
    pub fn effective_ship_by(&self) -> Date {
        self.terms
            .ship_by
            .checked_add(jiff::Span::new().days(i64::from(self.ship_by_extension_days)))
            .unwrap_or(self.terms.ship_by)
    }

    /// The next deadline this order faces, if any. An open dispute suspends the order's
    /// own deadlines; its negotiation deadline applies instead.
    pub fn next_deadline(&self) -> Option<Deadline> {
        if let Some(d) = &self.dispute
            && d.is_open()
        {
            return d.next_deadline();
        }
        let (at, kind) = match self.status {
            OrderStatus::AwaitingConfirmation => (
                self.confirmation_reopened_at
                    .unwrap_or(self.created_at)
                    .saturating_add(CONFIRMATION_WINDOW)
                    .ok()?,
                DeadlineKind::ConfirmationExpires,
            ),
            OrderStatus::Ordered if self.paid_minor == 0 => (
                self.ordered_at?.saturating_add(PAYMENT_WINDOW).ok()?,
                DeadlineKind::PaymentExpires,
            ),
            OrderStatus::Ordered => (
                end_of_utc_day(self.effective_ship_by()),
                DeadlineKind::BalanceDue,
            ),
            OrderStatus::PaymentProcessing => (
                add_working_days(
                    self.pending_payment.as_ref()?.started_at,
                    PAYMENT_PROCESSING_WORKING_DAYS,
                ),
                DeadlineKind::PaymentProcessingExpires,
            ),
            OrderStatus::Paid => (
                end_of_utc_day(self.effective_ship_by()),
                DeadlineKind::ShipBy,
            ),
            OrderStatus::Shipped => (self.receipt_deadline?, DeadlineKind::ReceiptAutoComplete),
            OrderStatus::Completed => {
                let end = self
                    .completed_at?
                    .saturating_add(PROTECTION_AFTER_COMPLETION)
                    .ok()?;
                (end, DeadlineKind::ProtectionEnds)
            }
            OrderStatus::Cancelled => return None,
        };
        Some(Deadline { at, kind })
    }
}

/// The boxes of the Trade Center orders screen. Every order is in exactly one box for
/// each party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum OrderBox {
    /// "Waiting for You to Confirm"
    WaitingForMe,
    /// "Waiting for Your Partner to Confirm"
    WaitingForPartner,
    /// "Ordered": both confirmed, payment due or being processed.
    Ordered,
    AwaitingShipment,
    Shipped,
    Completed,
    Cancelled,
    InDispute,
}

impl OrderBox {
    pub const ALL: [OrderBox; 8] = [
        OrderBox::WaitingForMe,
        OrderBox::WaitingForPartner,
        OrderBox::Ordered,
        OrderBox::AwaitingShipment,
        OrderBox::Shipped,
        OrderBox::Completed,
        OrderBox::Cancelled,
        OrderBox::InDispute,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderBox::WaitingForMe => "waiting_for_me",
            OrderBox::WaitingForPartner => "waiting_for_partner",
            OrderBox::Ordered => "ordered",
            OrderBox::AwaitingShipment => "awaiting_shipment",
            OrderBox::Shipped => "shipped",
            OrderBox::Completed => "completed",
            OrderBox::Cancelled => "cancelled",
            OrderBox::InDispute => "in_dispute",
        }
    }

    /// The seed's words.
    pub fn label(self) -> &'static str {
        match self {
            OrderBox::WaitingForMe => "Waiting for You to Confirm",
            OrderBox::WaitingForPartner => "Waiting for Your Partner to Confirm",
            OrderBox::Ordered => "Ordered",
            OrderBox::AwaitingShipment => "Awaiting Shipment",
            OrderBox::Shipped => "Shipped",
            OrderBox::Completed => "Completed",
            OrderBox::Cancelled => "Cancelled",
            OrderBox::InDispute => "In Dispute",
        }
    }

    pub fn parse(s: &str) -> Option<OrderBox> {
        OrderBox::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

/// The box `viewer` sees `order` in.
pub fn order_box(order: &Order, viewer: Party) -> OrderBox {
    if order.dispute_open() {
        return OrderBox::InDispute;
    }
    match order.status {
        OrderStatus::AwaitingConfirmation => {
            if order.confirmed_by(viewer) {
                OrderBox::WaitingForPartner
            } else {
                OrderBox::WaitingForMe
            }
        }
        OrderStatus::Ordered | OrderStatus::PaymentProcessing => OrderBox::Ordered,
        OrderStatus::Paid => OrderBox::AwaitingShipment,
        OrderStatus::Shipped => OrderBox::Shipped,
        OrderStatus::Completed => OrderBox::Completed,
        OrderStatus::Cancelled => OrderBox::Cancelled,
    }
}

fn check_text(s: &str, max: usize) -> Result<String, Rejection> {
    if text_ok(s, max) {
        Ok(s.trim().to_owned())
    } else {
        Err(Rejection::InvalidText)
    }
}
