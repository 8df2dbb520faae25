//! What the order's rules and everything built on them name: the parties and who acts,
//! the states, the kinds of action and deadline, and the windows and limits. It imports
//! nothing of the rest of the model (errors and disputes depend on it, not it on them).

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

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
/// A line's unit (pieces, kg, sets).
pub const MAX_UNIT_CHARS: usize = 40;
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
