//! The sync protocol (design §4): pull pages of changed records after a cursor, push
//! ordered batches of client mutations applied at most once, live pokes.

use serde::{Deserialize, Serialize};

use crate::api::{CreateOrderRequest, OrderView, UnreadCounts};
use crate::entities::{DocumentMeta, Inquiry, Message, Payment};
use crate::ids::{AccountId, DocumentId, InquiryId, MessageId, MutationId, OrderId};
use crate::order::OrderAction;
use crate::quotation::Quotation;

/// Most mutations one push may carry.
pub const MAX_PUSH_BATCH: usize = 100;
/// Most changes one pull page may carry.
pub const MAX_PULL_LIMIT: i64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RecordKind {
    Inquiry,
    Message,
    Order,
    Payment,
    Document,
    /// The account's unread totals; its id is the account id.
    UnreadCounts,
    /// An order's timeline with the order as it stood after each event; its id is the
    /// order id. Changes with the order.
    OrderHistory,
    /// A supplier's structured quotation in an inquiry (issue 17); the message that
    /// carries it in the thread refers to it (`Message::quotation`).
    Quotation,
}

impl RecordKind {
    pub const ALL: [RecordKind; 8] = [
        RecordKind::Inquiry,
        RecordKind::Message,
        RecordKind::Order,
        RecordKind::Payment,
        RecordKind::Document,
        RecordKind::UnreadCounts,
        RecordKind::OrderHistory,
        RecordKind::Quotation,
    ];

    /// Its name on the wire (and in the server's change feed).
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Inquiry => "inquiry",
            RecordKind::Message => "message",
            RecordKind::Order => "order",
            RecordKind::Payment => "payment",
            RecordKind::Document => "document",
            RecordKind::UnreadCounts => "unread_counts",
            RecordKind::OrderHistory => "order_history",
            RecordKind::Quotation => "quotation",
        }
    }

    pub fn parse(s: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The current state of one record, as the pulling account sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[allow(clippy::large_enum_variant)]
pub enum SyncRecord {
    Inquiry(Inquiry),
    Message(Message),
    Order(OrderView),
    Payment(Payment),
    Document(DocumentMeta),
    UnreadCounts(UnreadCounts),
    OrderHistory(OrderHistory),
    Quotation(Quotation),
}

/// Every event of an order, oldest first, each with the order as it stood after it: the
/// timeline, and the versions a "what changed" view compares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrderHistory {
    pub order: OrderId,
    pub entries: Vec<OrderVersion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrderVersion {
    pub event: crate::api::OrderEvent,
    pub snapshot: crate::order::Order,
}

/// One changed record: its current state, or a tombstone (`record` absent) when it left
/// the account's scope.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Change {
    /// The account version at which this record last changed.
    pub version: i64,
    pub kind: RecordKind,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<SyncRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PullResponse {
    pub changes: Vec<Change>,
    /// Pass back to get what changed after this page. Store it with the page, in one
    /// transaction.
    pub next_cursor: String,
    pub has_more: bool,
    /// The account's current version on the server.
    pub account_version: i64,
    /// On the first page of an initial sync: how many records there are in all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_estimate: Option<i64>,
}

/// One page of a first sync (`GET /v1/sync/snapshot`): the account's records as they
/// are now, most recently changed first, so the newest inquiries and their latest
/// messages come on the first pages. The walk covers the records the account had at the
/// version read on its first page (`feed_cursor`); whatever changes after that comes
/// from the feed, which the client pulls from `feed_cursor` once the last page is in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnapshotResponse {
    pub changes: Vec<Change>,
    /// Pass back for the next page. Store it with the page, in one transaction.
    pub next_cursor: String,
    pub has_more: bool,
    /// The feed cursor to pull from once the last page is applied: the account's
    /// version when the walk began. Store it with the last page.
    pub feed_cursor: String,
    /// On the first page: how many records the walk holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_estimate: Option<i64>,
}

/// One queued local action. `id` is generated by the client (UUIDv7) and is the
/// action's idempotency key: the server applies it at most once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Mutation {
    pub id: MutationId,
    #[serde(flatten)]
    pub op: MutationOp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[allow(clippy::large_enum_variant)]
pub enum MutationOp {
    OpenInquiry {
        inquiry: InquiryId,
        supplier: AccountId,
        product: String,
        message: MessageId,
        body: String,
    },
    SendMessage {
        inquiry: InquiryId,
        /// The id the client already shows the message under.
        message: MessageId,
        body: String,
        #[serde(default)]
        attachments: Vec<DocumentId>,
    },
    MarkRead {
        inquiry: InquiryId,
        up_to: MessageId,
    },
    SubmitOrder {
        order: OrderId,
        request: CreateOrderRequest,
    },
    /// Any lifecycle step on an order: confirm, modify, request modification, cancel,
    /// pay by transfer, ship, extensions, confirm receipt, feedback, dispute steps.
    OrderStep { order: OrderId, action: OrderAction },
}

impl MutationOp {
    /// The documents this mutation refers to: they must be on the server before it is
    /// sent (an offline client uploads the files it holds first).
    pub fn documents(&self) -> Vec<DocumentId> {
        use crate::dispute::DisputeAction;
        match self {
            MutationOp::SendMessage { attachments, .. } => attachments.clone(),
            MutationOp::SubmitOrder { request, .. } => request.terms.documents.clone(),
            MutationOp::OrderStep { action, .. } => match action {
                OrderAction::Modify { terms, .. } => terms.documents.clone(),
                OrderAction::Dispute(DisputeAction::File { evidence, .. }) => evidence.clone(),
                OrderAction::Confirm { .. }
                | OrderAction::RequestModification { .. }
                | OrderAction::Cancel { .. }
                | OrderAction::BeginPayment { .. }
                | OrderAction::PaymentSucceeded { .. }
                | OrderAction::PaymentFailed { .. }
                | OrderAction::Ship { .. }
                | OrderAction::ExtendShipBy { .. }
                | OrderAction::ExtendReceipt
                | OrderAction::ConfirmReceipt
                | OrderAction::LeaveFeedback { .. }
                | OrderAction::Dispute(_)
                | OrderAction::ApplyDeadline => Vec::new(),
            },
            MutationOp::OpenInquiry { .. } | MutationOp::MarkRead { .. } => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PushRequest {
    pub mutations: Vec<Mutation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum MutationOutcome {
    /// Applied; the pushing account's version that includes it (a batch's changes enter
    /// the feed together: every mutation a batch applied has the batch's version), and
    /// the order's new version for order mutations.
    Applied {
        account_version: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        order_version: Option<i64>,
    },
    /// Refused; nothing changed. `code` is machine-readable (e.g.
    /// `order.version_conflict`).
    Rejected {
        code: crate::ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        details: Option<serde_json::Value>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MutationResult {
    pub id: MutationId,
    #[serde(flatten)]
    pub outcome: MutationOutcome,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PushResponse {
    /// One result per mutation, in the order sent.
    pub results: Vec<MutationResult>,
}

/// Data of a live `changed` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Poke {
    pub account_version: i64,
}
