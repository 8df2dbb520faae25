//! A dispute's steps applied to its order (design §3): filing, proposals, escalation,
//! the dispute team's decision, withdrawal, and the automatic escalation on day 7.

use jiff::{SignedDuration, Timestamp};

use super::{Actor, Order, OrderStatus, PROTECTION_AFTER_COMPLETION, Party};
use crate::dispute::{
    Decision, Dispute, DisputeAction, DisputeStatus, MAX_EVIDENCE, Proposal, text,
};
use crate::error::Rejection;

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
