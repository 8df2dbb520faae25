//! `apply`, the one function through which an order changes, and the actions a party
//! may take now (derived from it). The state and party rules of every step live here;
//! the types and the terms' validation in the parent module.

use super::*;

fn require_party(actor: Actor, allowed: Party) -> Result<(), Rejection> {
    if actor == Actor::Party(allowed) {
        Ok(())
    } else {
        Err(Rejection::WrongParty {
            allowed: match allowed {
                Party::Buyer => "buyer",
                Party::Supplier => "supplier",
            },
        })
    }
}

fn require_either_party(actor: Actor) -> Result<Party, Rejection> {
    match actor {
        Actor::Party(p) => Ok(p),
        _ => Err(Rejection::WrongParty {
            allowed: "buyer or supplier",
        }),
    }
}

fn require_system(actor: Actor) -> Result<(), Rejection> {
    match actor {
        Actor::System | Actor::Operator => Ok(()),
        _ => Err(Rejection::WrongParty {
            allowed: "platform",
        }),
    }
}

fn invalid_state(order: &Order, action: &OrderAction) -> Rejection {
    Rejection::InvalidState {
        status: order.status,
        action: action.kind(),
    }
}

fn check_version(order: &Order, version: i64) -> Result<(), Rejection> {
    if order.version == version {
        Ok(())
    } else {
        Err(Rejection::VersionConflict {
            current: order.version,
        })
    }
}

/// Applies `action` by `actor` at `now`. Returns the new order (version bumped) or why
/// the action is refused; the input is never changed.
pub fn apply(
    order: &Order,
    actor: Actor,
    action: &OrderAction,
    now: Timestamp,
) -> Result<Order, Rejection> {
    let mut o = order.clone();
    // An open dispute freezes the order apart from the dispute itself.
    if order.dispute_open()
        && !matches!(
            action,
            OrderAction::Dispute(_)
                | OrderAction::ApplyDeadline
                | OrderAction::LeaveFeedback { .. }
        )
    {
        return Err(Rejection::DisputeOpen);
    }
    match action {
        OrderAction::Confirm { version } => {
            let party = require_either_party(actor)?;
            if o.status != OrderStatus::AwaitingConfirmation {
                return Err(invalid_state(order, action));
            }
            check_version(order, *version)?;
            if o.confirmed_by(party) {
                return Err(Rejection::AlreadyConfirmed);
            }
            o.set_confirmed(party, true);
            o.status = OrderStatus::Ordered;
            o.ordered_at = Some(now);
            o.modification_request = None;
        }
        OrderAction::Modify { version, terms } => {
            let party = require_either_party(actor)?;
            if o.status != OrderStatus::AwaitingConfirmation {
                return Err(invalid_state(order, action));
            }
            check_version(order, *version)?;
            validate_terms(terms, utc_date(now)).map_err(Rejection::InvalidTerms)?;
            check_origin(terms, o.origin).map_err(Rejection::InvalidTerms)?;
            o.terms = terms.clone();
            // The new terms carry their own ship-by date: extensions of the old one (made
            // while ordered, before a modification was requested) no longer apply.
            o.ship_by_extension_days = 0;
            o.set_confirmed(party, true);
            o.set_confirmed(party.other(), false);
            o.modification_request = None;
        }
        OrderAction::RequestModification { note } => {
            let party = require_either_party(actor)?;
            if o.status != OrderStatus::Ordered {
                return Err(invalid_state(order, action));
            }
            if o.paid_minor > 0 {
                return Err(Rejection::PaidOrderCannotBeCancelled);
            }
            let note = check_text(note, MAX_TEXT_CHARS)?;
            o.status = OrderStatus::AwaitingConfirmation;
            // The requester stays confirmed: the partner now has to act (modify or confirm
            // as is), so the two views stay complementary.
            o.set_confirmed(party, true);
            o.set_confirmed(party.other(), false);
            o.ordered_at = None;
            o.confirmation_reopened_at = Some(now);
            o.modification_request = Some(ModificationRequest { by: party, note });
        }
        OrderAction::Cancel { reason } => {
            require_either_party(actor)?;
            match o.status {
                OrderStatus::AwaitingConfirmation => {}
                OrderStatus::Ordered if o.paid_minor == 0 => {}
                OrderStatus::PaymentProcessing if o.paid_minor == 0 => {
                    return Err(Rejection::PaymentInProgress);
                }
                OrderStatus::Ordered | OrderStatus::PaymentProcessing | OrderStatus::Paid => {
                    return Err(Rejection::PaidOrderCannotBeCancelled);
                }
                _ => return Err(invalid_state(order, action)),
            }
            if reason.chars().count() > MAX_TEXT_CHARS {
                return Err(Rejection::InvalidText);
            }
            o.status = OrderStatus::Cancelled;
            o.cancelled_at = Some(now);
            o.cancel_reason = Some(reason.trim().to_owned());
        }
        OrderAction::BeginPayment {
            payment_id,
            method,
            amount_minor,
        } => {
            require_party(actor, Party::Buyer)?;
            match o.status {
                OrderStatus::Ordered => {}
                OrderStatus::PaymentProcessing => return Err(Rejection::PaymentInProgress),
                _ => return Err(invalid_state(order, action)),
            }
            let due = o.next_installment().ok_or(Rejection::NothingDue)?;
            if due.amount_minor != *amount_minor {
                return Err(Rejection::AmountMismatch {
                    due_minor: due.amount_minor,
                });
            }
            o.status = OrderStatus::PaymentProcessing;
            o.pending_payment = Some(PendingPayment {
                payment_id: *payment_id,
                installment: due.index,
                amount_minor: due.amount_minor,
                method: *method,
                started_at: now,
            });
        }
        OrderAction::PaymentSucceeded { payment_id } => {
            require_system(actor)?;
            let pending = match (&o.status, &o.pending_payment) {
                (OrderStatus::PaymentProcessing, Some(p)) if p.payment_id == *payment_id => {
                    p.clone()
                }
                (OrderStatus::PaymentProcessing, _) => return Err(Rejection::PaymentNotFound),
                _ => return Err(invalid_state(order, action)),
            };
            o.paid_minor = o
                .paid_minor
                .checked_add(pending.amount_minor)
                .filter(|p| *p <= order.total_minor())
                .ok_or(Rejection::NothingDue)?;
            o.installments_paid += 1;
            o.pending_payment = None;
            o.status = if o.next_installment().is_some() {
                OrderStatus::Ordered
            } else {
                OrderStatus::Paid
            };
        }
        OrderAction::PaymentFailed { payment_id } => {
            require_system(actor)?;
            match (&o.status, &o.pending_payment) {
                (OrderStatus::PaymentProcessing, Some(p)) if p.payment_id == *payment_id => {}
                (OrderStatus::PaymentProcessing, _) => return Err(Rejection::PaymentNotFound),
                _ => return Err(invalid_state(order, action)),
            }
            o.pending_payment = None;
            o.status = OrderStatus::Ordered;
        }
        OrderAction::Ship {
            carrier,
            tracking_number,
        } => {
            require_party(actor, Party::Supplier)?;
            if o.status != OrderStatus::Paid {
                return Err(invalid_state(order, action));
            }
            o.status = OrderStatus::Shipped;
            o.shipment = Some(Shipment {
                carrier: check_text(carrier, MAX_SHORT_TEXT_CHARS)?,
                tracking_number: check_text(tracking_number, MAX_SHORT_TEXT_CHARS)?,
                shipped_at: now,
            });
            o.receipt_deadline = Some(now.saturating_add(RECEIPT_WINDOW).unwrap_or(now));
        }
        OrderAction::ExtendShipBy { days: extra } => {
            require_party(actor, Party::Supplier)?;
            if !matches!(
                o.status,
                OrderStatus::Ordered | OrderStatus::PaymentProcessing | OrderStatus::Paid
            ) {
                return Err(invalid_state(order, action));
            }
            let total = o.ship_by_extension_days.saturating_add(*extra);
            if *extra == 0 || total > MAX_SHIP_BY_EXTENSION_DAYS {
                return Err(Rejection::ShipByExtensionExceeded {
                    max_days: MAX_SHIP_BY_EXTENSION_DAYS,
                });
            }
            o.ship_by_extension_days = total;
        }
        OrderAction::ExtendReceipt => {
            let party = require_either_party(actor)?;
            if o.status != OrderStatus::Shipped {
                return Err(invalid_state(order, action));
            }
            let used = match party {
                Party::Buyer => &mut o.receipt_extended_by_buyer,
                Party::Supplier => &mut o.receipt_extended_by_supplier,
            };
            if *used {
                return Err(Rejection::ReceiptExtensionUsed);
            }
            *used = true;
            o.receipt_deadline = o
                .receipt_deadline
                .and_then(|d| d.saturating_add(RECEIPT_EXTENSION).ok());
        }
        OrderAction::ConfirmReceipt => {
            require_party(actor, Party::Buyer)?;
            if o.status != OrderStatus::Shipped {
                return Err(invalid_state(order, action));
            }
            o.status = OrderStatus::Completed;
            o.completed_at = Some(now);
        }
        OrderAction::LeaveFeedback { rating, comment } => {
            require_party(actor, Party::Buyer)?;
            if o.status != OrderStatus::Completed {
                return Err(invalid_state(order, action));
            }
            if o.feedback.is_some() {
                return Err(Rejection::FeedbackExists);
            }
            if !(1..=5).contains(rating) || comment.chars().count() > MAX_TEXT_CHARS {
                return Err(Rejection::InvalidFeedback);
            }
            o.feedback = Some(Feedback {
                rating: *rating,
                comment: comment.trim().to_owned(),
                at: now,
            });
        }
        OrderAction::Dispute(d) => dispute_steps::apply(&mut o, actor, d, now)?,
        OrderAction::ApplyDeadline => {
            require_system(actor)?;
            let due = o
                .next_deadline()
                .filter(|d| d.kind.is_automatic() && d.at <= now)
                .ok_or(Rejection::DeadlineNotDue)?;
            match due.kind {
                DeadlineKind::ConfirmationExpires | DeadlineKind::PaymentExpires => {
                    o.status = OrderStatus::Cancelled;
                    o.cancelled_at = Some(now);
                    o.cancel_reason = Some(
                        match due.kind {
                            DeadlineKind::ConfirmationExpires => {
                                "Not confirmed by both parties within 30 days."
                            }
                            _ => "Not paid within 60 days of confirmation.",
                        }
                        .to_owned(),
                    );
                }
                DeadlineKind::PaymentProcessingExpires => {
                    o.pending_payment = None;
                    o.status = OrderStatus::Ordered;
                }
                DeadlineKind::ReceiptAutoComplete => {
                    o.status = OrderStatus::Completed;
                    o.completed_at = Some(now);
                }
                DeadlineKind::DisputeAutoEscalation => dispute_steps::auto_escalate(&mut o, now)?,
                DeadlineKind::BalanceDue | DeadlineKind::ShipBy | DeadlineKind::ProtectionEnds => {
                    return Err(Rejection::DeadlineNotDue);
                }
            }
        }
    }
    o.version += 1;
    o.updated_at = now;
    Ok(o)
}

/// The actions `viewer` may take on `order` right now, for the UI's buttons. Derived by
/// trying each action on a copy, so it can never disagree with `apply`.
pub fn available_actions(order: &Order, viewer: Party, now: Timestamp) -> Vec<ActionKind> {
    let actor = Actor::Party(viewer);
    let paid = order.paid_minor;
    let mut candidates = vec![
        OrderAction::Confirm {
            version: order.version,
        },
        OrderAction::RequestModification {
            note: "change".to_owned(),
        },
        OrderAction::Cancel {
            reason: String::new(),
        },
        OrderAction::Ship {
            carrier: "carrier".to_owned(),
            tracking_number: "tracking".to_owned(),
        },
        OrderAction::ExtendShipBy { days: 1 },
        OrderAction::ExtendReceipt,
        OrderAction::ConfirmReceipt,
        OrderAction::LeaveFeedback {
            rating: 5,
            comment: String::new(),
        },
        OrderAction::Dispute(DisputeAction::File {
            dispute_id: crate::ids::DisputeId::new(),
            reason: dispute::DisputeReason::NotAsDescribed,
            claim_minor: paid.max(1),
            description: "problem".to_owned(),
            evidence: vec![],
        }),
        OrderAction::Dispute(DisputeAction::Propose {
            refund_minor: 0,
            note: "offer".to_owned(),
        }),
        OrderAction::Dispute(DisputeAction::AcceptProposal),
        OrderAction::Dispute(DisputeAction::Escalate),
        OrderAction::Dispute(DisputeAction::Withdraw),
    ];
    if let Some(due) = order.next_installment() {
        candidates.push(OrderAction::BeginPayment {
            payment_id: PaymentId::new(),
            method: PaymentMethod::Card,
            amount_minor: due.amount_minor,
        });
    }
    let mut kinds: Vec<ActionKind> = candidates
        .iter()
        .filter(|a| apply(order, actor, a, now).is_ok())
        .map(OrderAction::kind)
        .collect();
    // Modification is possible whenever confirming is: the same state and party rules.
    if order.status == OrderStatus::AwaitingConfirmation && !order.dispute_open() {
        kinds.push(ActionKind::Modify);
    }
    kinds
}
