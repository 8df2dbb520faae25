//! Typed rejections of the lifecycle rules. Every variant has a stable machine-readable
//! code (`area.reason`) that the API returns and the UI switches on.

use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::order::status::{ActionKind, OrderStatus};

/// One problem with one field of an order draft, e.g. `lines[0].quantity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldError {
    /// Path of the field, e.g. `lines[2].unit_price_minor`, `ship_by`.
    pub field: String,
    /// Machine-readable reason, e.g. `quantity_not_positive`.
    pub code: String,
    /// What to tell the user.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("this action is not possible while the order is {status:?}")]
    InvalidState {
        status: OrderStatus,
        action: ActionKind,
    },
    #[error("only the {allowed} can do this")]
    WrongParty { allowed: &'static str },
    #[error("the order changed (now version {current}); review the changes and try again")]
    VersionConflict { current: i64 },
    #[error("you have already confirmed this order")]
    AlreadyConfirmed,
    #[error("the order terms are not valid")]
    InvalidTerms(Vec<FieldError>),
    #[error("nothing is due on this order")]
    NothingDue,
    #[error("a payment for this order is already being processed")]
    PaymentInProgress,
    #[error("the amount does not match the installment due ({due_minor})")]
    AmountMismatch { due_minor: i64 },
    #[error("that payment is not the one in progress")]
    PaymentNotFound,
    #[error("an order with payments cannot be cancelled; file a dispute to ask for a refund")]
    PaidOrderCannotBeCancelled,
    #[error("the ship-by date can be extended by at most {max_days} days in all")]
    ShipByExtensionExceeded { max_days: u32 },
    #[error("you have already extended the receiving time once")]
    ReceiptExtensionUsed,
    #[error("feedback has already been left")]
    FeedbackExists,
    #[error("feedback needs a rating from 1 to 5 and at most 2000 characters")]
    InvalidFeedback,
    #[error("the order has an open dispute")]
    DisputeOpen,
    #[error("no deadline of this order is due yet")]
    DeadlineNotDue,
    #[error("a dispute can only be filed on a paid, shipped or recently completed order")]
    DisputeNotAllowed,
    #[error("disputes can be filed until 30 days after completion")]
    DisputeWindowClosed,
    #[error("this order already has a dispute")]
    DisputeAlreadyFiled,
    #[error("a withdrawn dispute cannot be reopened")]
    DisputeWithdrawn,
    #[error("the amount may not exceed what was paid ({paid_minor})")]
    RefundExceedsPaid { paid_minor: i64 },
    #[error("the dispute can be escalated from day 4 of negotiation")]
    EscalationTooEarly,
    #[error("the supplier has not made a proposal yet")]
    NoProposal,
    #[error("the dispute is not in a state that allows this")]
    DisputeInvalidState,
    #[error("this order has no dispute")]
    NoDispute,
    #[error("the text is too long or empty")]
    InvalidText,
    #[error("the amount must be more than 0")]
    InvalidAmount,
    #[error("attach at most {max} evidence files")]
    TooMuchEvidence { max: usize },
}

impl Rejection {
    pub fn code(&self) -> ErrorCode {
        match self {
            Rejection::InvalidState { .. } => ErrorCode::OrderInvalidState,
            Rejection::WrongParty { .. } => ErrorCode::OrderWrongParty,
            Rejection::VersionConflict { .. } => ErrorCode::OrderVersionConflict,
            Rejection::AlreadyConfirmed => ErrorCode::OrderAlreadyConfirmed,
            Rejection::InvalidTerms(_) => ErrorCode::OrderInvalidTerms,
            Rejection::NothingDue => ErrorCode::OrderNothingDue,
            Rejection::PaymentInProgress => ErrorCode::OrderPaymentInProgress,
            Rejection::AmountMismatch { .. } => ErrorCode::PaymentAmountMismatch,
            Rejection::PaymentNotFound => ErrorCode::PaymentNotInProgress,
            Rejection::PaidOrderCannotBeCancelled => ErrorCode::OrderPaidCannotCancel,
            Rejection::ShipByExtensionExceeded { .. } => ErrorCode::OrderShipByExtensionExceeded,
            Rejection::ReceiptExtensionUsed => ErrorCode::OrderReceiptExtensionUsed,
            Rejection::FeedbackExists => ErrorCode::OrderFeedbackExists,
            Rejection::InvalidFeedback => ErrorCode::OrderInvalidFeedback,
            Rejection::DisputeOpen => ErrorCode::OrderDisputeOpen,
            Rejection::DeadlineNotDue => ErrorCode::OrderDeadlineNotDue,
            Rejection::DisputeNotAllowed => ErrorCode::DisputeNotAllowed,
            Rejection::DisputeWindowClosed => ErrorCode::DisputeWindowClosed,
            Rejection::DisputeAlreadyFiled => ErrorCode::DisputeAlreadyFiled,
            Rejection::DisputeWithdrawn => ErrorCode::DisputeWithdrawnFinal,
            Rejection::RefundExceedsPaid { .. } => ErrorCode::DisputeExceedsPaid,
            Rejection::EscalationTooEarly => ErrorCode::DisputeEscalationTooEarly,
            Rejection::NoProposal => ErrorCode::DisputeNoProposal,
            Rejection::DisputeInvalidState => ErrorCode::DisputeInvalidState,
            Rejection::NoDispute => ErrorCode::DisputeNotFound,
            Rejection::InvalidText => ErrorCode::RequestInvalidText,
            Rejection::InvalidAmount => ErrorCode::RequestInvalidAmount,
            Rejection::TooMuchEvidence { .. } => ErrorCode::DisputeTooMuchEvidence,
        }
    }

    /// Structured details for the API error body (field errors, current version, ...).
    pub fn details(&self) -> Option<serde_json::Value> {
        match self {
            Rejection::InvalidTerms(fields) => serde_json::to_value(fields).ok(),
            Rejection::VersionConflict { current } => {
                Some(serde_json::json!({ "current_version": current }))
            }
            Rejection::AmountMismatch { due_minor } => {
                Some(serde_json::json!({ "due_minor": due_minor }))
            }
            Rejection::RefundExceedsPaid { paid_minor } => {
                Some(serde_json::json!({ "paid_minor": paid_minor }))
            }
            Rejection::InvalidState { status, action } => {
                Some(serde_json::json!({ "status": status, "action": action }))
            }
            _ => None,
        }
    }
}
