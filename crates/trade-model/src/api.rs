//! Request and response bodies of the `/v1` API, shared by the server and the client.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::dispute::DisputeReason;
use crate::entities::{Account, BeneficiaryAccount, Payment, Role};
use crate::error::FieldError;
use crate::ids::{AccountId, DocumentId, InquiryId, MessageId, ProductId, QuotationId};
use crate::order::{
    ActionKind, Deadline, Installment, Order, OrderBox, OrderOrigin, OrderTerms, Party,
    PaymentMethod,
};

/// Every error the API returns. `code` is stable and machine-readable (`area.reason`);
/// `message` is for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ApiError {
    pub code: crate::ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RegisterRequest {
    pub email: String,
    pub password: String,
    pub display_name: String,
    /// `buyer` or `supplier`; operators are created by a server command.
    pub role: Role,
    pub company_name: String,
    /// ISO 3166 alpha-2.
    pub country: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// A session: a short-lived bearer token and a single-use refresh token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Session {
    pub access_token: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub access_expires_at: Timestamp,
    pub refresh_token: String,
    pub account: Account,
    /// The platform's designated account for telegraphic transfers: the only account a
    /// buyer should ever pay into, which the client compares chat messages against.
    pub designated_account: crate::entities::BeneficiaryAccount,
}

/// A page of a list with an opaque cursor for the next one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CreateInquiryRequest {
    pub supplier: AccountId,
    #[serde(default)]
    pub product_id: Option<ProductId>,
    /// Product name when no catalogue product is named.
    pub product: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PostMessageRequest {
    pub body: String,
    #[serde(default)]
    pub attachments: Vec<DocumentId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MarkReadRequest {
    /// Everything up to and including this message is read.
    pub up_to: MessageId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UnreadCounts {
    pub total: i64,
    pub inquiries_with_unread: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CreateOrderRequest {
    /// The other party: the supplier when a buyer creates, the buyer when a supplier does.
    pub counterparty: AccountId,
    #[serde(default)]
    pub inquiry: Option<InquiryId>,
    pub origin: OrderOrigin,
    pub terms: OrderTerms,
    /// The quotation the order is placed from: one its supplier sent in `inquiry`,
    /// still valid.
    #[serde(default)]
    pub quotation: Option<QuotationId>,
}

/// An order as one party sees it, with everything the UI derives from the rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrderView {
    pub order: Order,
    pub viewer: Party,
    #[serde(rename = "box")]
    pub order_box: OrderBox,
    /// The seed's words for `box`, e.g. "Waiting for You to Confirm".
    pub status_label: String,
    pub total_minor: i64,
    pub next_installment: Option<Installment>,
    pub next_deadline: Option<Deadline>,
    pub available_actions: Vec<ActionKind>,
}

impl OrderView {
    /// The order as `viewer` sees it at `now`: box, label, installment, deadline and the
    /// actions the rules allow. Server and client derive views only through this.
    pub fn new(order: Order, viewer: Party, now: jiff::Timestamp) -> OrderView {
        let order_box = crate::order::order_box(&order, viewer);
        OrderView {
            viewer,
            order_box,
            status_label: order_box.label().to_owned(),
            total_minor: order.total_minor(),
            next_installment: order.next_installment(),
            next_deadline: order.next_deadline(),
            available_actions: crate::order::available_actions(&order, viewer, now),
            order,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BoxCount {
    #[serde(rename = "box")]
    pub order_box: OrderBox,
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ModifyOrderRequest {
    pub terms: OrderTerms,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoteRequest {
    #[serde(default)]
    pub note: String,
}

/// Card details go to the payment gateway and nowhere else.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CardDetails {
    pub number: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 12))]
    pub exp_month: u8,
    /// Four digits.
    #[cfg_attr(feature = "openapi", schema(minimum = 2000, maximum = 9999))]
    pub exp_year: u16,
    pub cvc: String,
    pub holder: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PayRequest {
    pub method: PaymentMethod,
    /// The installment amount the buyer reviewed; refused if it is no longer what is due.
    pub amount_minor: i64,
    #[serde(default)]
    pub card: Option<CardDetails>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PaymentQuote {
    pub installment: Installment,
    pub currency: String,
    pub card_fee_minor: i64,
    pub card_total_minor: i64,
    pub beneficiary: BeneficiaryAccount,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PaymentResult {
    pub payment: Payment,
    pub order: OrderView,
    /// For telegraphic transfers: where to send the money, with `payment.reference`.
    pub beneficiary: Option<BeneficiaryAccount>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FundsArrivedRequest {
    pub reference: String,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CardReviewRequest {
    pub approve: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ShipRequest {
    pub carrier: String,
    pub tracking_number: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExtendShipByRequest {
    pub days: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FeedbackRequest {
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 5))]
    pub rating: u8,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FileDisputeRequest {
    pub reason: DisputeReason,
    pub claim_minor: i64,
    pub description: String,
    #[serde(default)]
    pub evidence: Vec<DocumentId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RefundRequest {
    pub refund_minor: i64,
    pub note: String,
}

/// Body of `order.invalid_terms` errors.
pub type FieldErrors = Vec<FieldError>;

/// A timeline entry of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrderEvent {
    pub version: i64,
    pub action: ActionKind,
    /// `buyer`, `supplier`, `operator` or `system`.
    pub actor: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CreateOperatorRequest {
    pub email: String,
    pub display_name: String,
}
