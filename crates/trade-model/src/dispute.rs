//! Disputes on an order (design §3): negotiation for 3 days, then the buyer may escalate
//! (from day 4; day 1 is the day of filing); negotiation escalates by itself on day 7; the
//! platform's dispute team decides. Refunds never exceed what was paid. A withdrawn
//! dispute is final, and an order has at most one dispute.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::Rejection;
use crate::ids::{DisputeId, DocumentId};
use crate::order::{
    ActionKind, Actor, Deadline, DeadlineKind, MAX_TEXT_CHARS, Order, OrderStatus,
    PROTECTION_AFTER_COMPLETION, Party,
};

/// The buyer may escalate once negotiation has lasted this long (the start of day 4).
pub const BUYER_ESCALATION_AFTER: SignedDuration = SignedDuration::from_secs(3 * 86_400);
/// Negotiation escalates by itself at the start of day 7.
pub const AUTO_ESCALATION_AFTER: SignedDuration = SignedDuration::from_secs(6 * 86_400);
pub const MAX_EVIDENCE: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DisputeReason {
    NotShipped,
    NotReceived,
    NotAsDescribed,
    QualityProblem,
    QuantityShort,
    Damaged,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DisputeStatus {
    Negotiating,
    Escalated,
    /// The buyer accepted the supplier's proposal.
    Settled,
    /// The dispute team decided.
    Decided,
    Withdrawn,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Proposal {
    pub refund_minor: i64,
    pub note: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Decision {
    pub refund_minor: i64,
    pub note: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Dispute {
    pub id: DisputeId,
    pub reason: DisputeReason,
    /// What the buyer asks back, in minor units; at most what was paid.
    pub claim_minor: i64,
    pub description: String,
    pub evidence: Vec<DocumentId>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub filed_at: Timestamp,
    pub status: DisputeStatus,
    pub proposals: Vec<Proposal>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub escalated_at: Option<Timestamp>,
    pub auto_escalated: bool,
    pub decision: Option<Decision>,
    /// The refund the dispute ended with.
    pub refund_minor: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub closed_at: Option<Timestamp>,
}

impl Dispute {
    pub fn is_open(&self) -> bool {
        matches!(
            self.status,
            DisputeStatus::Negotiating | DisputeStatus::Escalated
        )
    }

    pub fn next_deadline(&self) -> Option<Deadline> {
        match self.status {
            DisputeStatus::Negotiating => Some(Deadline {
                at: self.filed_at.saturating_add(AUTO_ESCALATION_AFTER).ok()?,
                kind: DeadlineKind::DisputeAutoEscalation,
            }),
            _ => None,
        }
    }

    /// When the buyer may escalate.
    pub fn escalation_opens_at(&self) -> Option<Timestamp> {
        self.filed_at.saturating_add(BUYER_ESCALATION_AFTER).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DisputeAction {
    File {
        dispute_id: DisputeId,
        reason: DisputeReason,
        claim_minor: i64,
        description: String,
        #[serde(default)]
        evidence: Vec<DocumentId>,
    },
    /// Supplier proposes a refund.
    Propose { refund_minor: i64, note: String },
    /// Buyer accepts the latest proposal.
    AcceptProposal,
    /// Buyer hands the dispute to the platform.
    Escalate,
    /// Operator decides a refund (0 for none).
    Decide { refund_minor: i64, note: String },
    /// Buyer withdraws; final.
    Withdraw,
}

impl DisputeAction {
    /// The rules about what the action carries, whatever the dispute's state (see
    /// [`crate::order::OrderAction::check_content`]).
    pub fn check_content(&self) -> Result<(), Rejection> {
        match self {
            DisputeAction::File {
                claim_minor,
                description,
                evidence,
                ..
            } => {
                if *claim_minor <= 0 {
                    return Err(Rejection::InvalidAmount);
                }
                if evidence.len() > MAX_EVIDENCE {
                    return Err(Rejection::TooMuchEvidence { max: MAX_EVIDENCE });
                }
                text(description).map(|_| ())
            }
            DisputeAction::Propose { refund_minor, .. } if *refund_minor < 0 => {
                Err(Rejection::InvalidAmount)
            }
            _ => Ok(()),
        }
    }

    pub fn kind(&self) -> ActionKind {
        match self {
            DisputeAction::File { .. } => ActionKind::FileDispute,
            DisputeAction::Propose { .. } => ActionKind::ProposeSettlement,
            DisputeAction::AcceptProposal => ActionKind::AcceptProposal,
            DisputeAction::Escalate => ActionKind::EscalateDispute,
            DisputeAction::Decide { .. } => ActionKind::DecideDispute,
            DisputeAction::Withdraw => ActionKind::WithdrawDispute,
        }
    }
}

fn refundable(order: &Order) -> i64 {
    order.paid_minor - order.refunded_minor
}

fn open_dispute(order: &mut Order) -> Result<&mut Dispute, Rejection> {
    match order.dispute.as_mut() {
        Some(d) if d.is_open() => Ok(d),
        Some(_) => Err(Rejection::DisputeInvalidState),
        None => Err(Rejection::NoDispute),
    }
}

/// An open dispute still between the parties (not yet with the dispute team).
fn negotiating(order: &mut Order) -> Result<&mut Dispute, Rejection> {
    let d = open_dispute(order)?;
    if d.status == DisputeStatus::Negotiating {
        Ok(d)
    } else {
        Err(Rejection::DisputeInvalidState)
    }
}

fn text(s: &str) -> Result<String, Rejection> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > MAX_TEXT_CHARS {
        Err(Rejection::InvalidText)
    } else {
        Ok(t.to_owned())
    }
}

fn is(actor: Actor, party: Party) -> Result<(), Rejection> {
    if actor == Actor::Party(party) {
        Ok(())
    } else {
        Err(Rejection::WrongParty {
            allowed: match party {
                Party::Buyer => "buyer",
                Party::Supplier => "supplier",
            },
        })
    }
}

/// Applies a dispute step to `order` in place (the caller bumps the version).
pub(crate) fn apply(
    order: &mut Order,
    actor: Actor,
    action: &DisputeAction,
    now: Timestamp,
) -> Result<(), Rejection> {
    let can_refund = refundable(order);
    match action {
        DisputeAction::File {
            dispute_id,
            reason,
            claim_minor,
            description,
            evidence,
        } => {
            is(actor, Party::Buyer)?;
            match order.status {
                OrderStatus::Paid | OrderStatus::Shipped => {}
                // A paid deposit is protected too, while the balance is still due.
                OrderStatus::Ordered if order.paid_minor > 0 => {}
                OrderStatus::Completed => {
                    let ends = order
                        .completed_at
                        .and_then(|c| c.saturating_add(PROTECTION_AFTER_COMPLETION).ok());
                    if ends.is_none_or(|e| now > e) {
                        return Err(Rejection::DisputeWindowClosed);
                    }
                }
                _ => return Err(Rejection::DisputeNotAllowed),
            }
            match &order.dispute {
                Some(d) if d.status == DisputeStatus::Withdrawn => {
                    return Err(Rejection::DisputeWithdrawn);
                }
                Some(_) => return Err(Rejection::DisputeAlreadyFiled),
                None => {}
            }
            if *claim_minor <= 0 {
                return Err(Rejection::InvalidAmount);
            }
            if *claim_minor > can_refund {
                return Err(Rejection::RefundExceedsPaid {
                    paid_minor: can_refund,
                });
            }
            if evidence.len() > MAX_EVIDENCE {
                return Err(Rejection::TooMuchEvidence { max: MAX_EVIDENCE });
            }
            order.dispute = Some(Dispute {
                id: *dispute_id,
                reason: *reason,
                claim_minor: *claim_minor,
                description: text(description)?,
                evidence: evidence.clone(),
                filed_at: now,
                status: DisputeStatus::Negotiating,
                proposals: Vec::new(),
                escalated_at: None,
                auto_escalated: false,
                decision: None,
                refund_minor: 0,
                closed_at: None,
            });
        }
        DisputeAction::Propose { refund_minor, note } => {
            is(actor, Party::Supplier)?;
            let d = negotiating(order)?;
            if *refund_minor < 0 {
                return Err(Rejection::InvalidAmount);
            }
            if *refund_minor > can_refund {
                return Err(Rejection::RefundExceedsPaid {
                    paid_minor: can_refund,
                });
            }
            d.proposals.push(Proposal {
                refund_minor: *refund_minor,
                note: text(note)?,
                at: now,
            });
        }
        DisputeAction::AcceptProposal => {
            is(actor, Party::Buyer)?;
            let d = negotiating(order)?;
            let refund = d
                .proposals
                .last()
                .ok_or(Rejection::NoProposal)?
                .refund_minor;
            d.status = DisputeStatus::Settled;
            close(order, refund, now);
        }
        DisputeAction::Escalate => {
            is(actor, Party::Buyer)?;
            let d = open_dispute(order)?;
            if d.status != DisputeStatus::Negotiating {
                return Err(Rejection::DisputeInvalidState);
            }
            if d.escalation_opens_at().is_none_or(|at| now < at) {
                return Err(Rejection::EscalationTooEarly);
            }
            d.status = DisputeStatus::Escalated;
            d.escalated_at = Some(now);
        }
        DisputeAction::Decide { refund_minor, note } => {
            if actor != Actor::Operator {
                return Err(Rejection::WrongParty {
                    allowed: "dispute team",
                });
            }
            let d = open_dispute(order)?;
            if d.status != DisputeStatus::Escalated {
                return Err(Rejection::DisputeInvalidState);
            }
            if *refund_minor < 0 || *refund_minor > can_refund {
                return Err(Rejection::RefundExceedsPaid {
                    paid_minor: can_refund,
                });
            }
            d.status = DisputeStatus::Decided;
            d.decision = Some(Decision {
                refund_minor: *refund_minor,
                note: text(note)?,
                at: now,
            });
            close(order, *refund_minor, now);
        }
        DisputeAction::Withdraw => {
            is(actor, Party::Buyer)?;
            let d = open_dispute(order)?;
            let suspended = now.duration_since(d.filed_at).max(SignedDuration::ZERO);
            d.status = DisputeStatus::Withdrawn;
            d.closed_at = Some(now);
            // The receiving time did not run while the dispute was open.
            if order.status == OrderStatus::Shipped {
                order.receipt_deadline = order
                    .receipt_deadline
                    .and_then(|r| r.saturating_add(suspended).ok());
            }
        }
    }
    Ok(())
}

pub(crate) fn auto_escalate(order: &mut Order, now: Timestamp) -> Result<(), Rejection> {
    let d = open_dispute(order)?;
    if d.status != DisputeStatus::Negotiating {
        return Err(Rejection::DeadlineNotDue);
    }
    d.status = DisputeStatus::Escalated;
    d.escalated_at = Some(now);
    d.auto_escalated = true;
    Ok(())
}

/// Ends a dispute with `refund`: the refund is recorded, an unshipped order refunded in
/// full is cancelled, a shipped one completes.
fn close(order: &mut Order, refund: i64, now: Timestamp) {
    let refund = refund.clamp(0, refundable(order));
    if let Some(d) = order.dispute.as_mut() {
        d.refund_minor = refund;
        d.closed_at = Some(now);
    }
    order.refunded_minor += refund;
    match order.status {
        OrderStatus::Paid | OrderStatus::Ordered if order.refunded_minor == order.paid_minor => {
            order.status = OrderStatus::Cancelled;
            order.cancelled_at = Some(now);
            order.cancel_reason = Some("Refunded in full after a dispute.".to_owned());
        }
        OrderStatus::Shipped => {
            order.status = OrderStatus::Completed;
            order.completed_at = Some(now);
        }
        _ => {}
    }
}
