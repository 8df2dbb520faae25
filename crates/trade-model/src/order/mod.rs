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

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::dispute::{self, Dispute, DisputeAction};
use crate::error::Rejection;
use crate::ids::{AccountId, DocumentId, InquiryId, OrderId, PaymentId, QuotationId};
use crate::money::Money;
use crate::time::{add_working_days, end_of_utc_day, utc_date};

mod dispute_steps;
mod lifecycle;
pub(crate) mod status;
mod terms;

pub use lifecycle::{apply, available_actions};
pub use status::*;
pub(crate) use terms::text_ok;
pub use terms::*;

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
    /// The quotation the order was placed from, if any (see `quotation::check_order`).
    #[serde(default)]
    pub quotation: Option<QuotationId>,
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
    check_origin(&terms, origin).map_err(Rejection::InvalidTerms)?;
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
        quotation: None,
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

impl OrderAction {
    /// A party's confirmation of `order` as it stands, with a pro forma invoice attached
    /// or not. Attaching one changes the order's documents, so it is a modification
    /// (the other party confirms again), not a plain confirmation.
    pub fn confirmation(order: &Order, pro_forma: Option<DocumentId>) -> OrderAction {
        match pro_forma {
            Some(pi) => {
                let mut terms = order.terms.clone();
                terms.documents.push(pi);
                OrderAction::Modify {
                    version: order.version,
                    terms,
                }
            }
            None => OrderAction::Confirm {
                version: order.version,
            },
        }
    }

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
