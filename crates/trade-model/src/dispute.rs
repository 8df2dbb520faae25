//! Disputes on an order (design §3): negotiation for 3 days, then the buyer may escalate
//! (from day 4; day 1 is the day of filing); negotiation escalates by itself on day 7; the
//! platform's dispute team decides. Refunds never exceed what was paid. A withdrawn
//! dispute is final, and an order has at most one dispute.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::Rejection;
use crate::ids::{DisputeId, DocumentId};
use crate::order::status::{ActionKind, Deadline, DeadlineKind, MAX_TEXT_CHARS};

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

    /// Whether the platform's dispute team decided it against the supplier: a decision
    /// with a refund (full or partial). A settlement the parties agreed on, a withdrawn
    /// dispute and a decision of no refund are not lost.
    pub fn lost_by_supplier(&self) -> bool {
        self.decision.as_ref().is_some_and(|d| d.refund_minor > 0)
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

/// A dispute's text (a description, a note): trimmed, not empty, within the limit.
pub(crate) fn text(s: &str) -> Result<String, Rejection> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > MAX_TEXT_CHARS {
        Err(Rejection::InvalidText)
    } else {
        Ok(t.to_owned())
    }
}
