//! Records other than orders: accounts, companies, inquiries, messages, documents,
//! payments. Orders (with their shipment and dispute) live in `order`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{
    AccountId, CompanyId, DocumentId, InquiryId, MessageId, OrderId, PaymentId, ProductId,
    QuotationId,
};
use crate::order::{InstallmentKind, PaymentMethod};

/// The most characters a message's text may have.
pub const MAX_MESSAGE_CHARS: usize = 10_000;
/// The most files one message may carry.
pub const MAX_ATTACHMENTS: usize = 10;

/// Whether `body` can be a message's text: not blank, at most [`MAX_MESSAGE_CHARS`].
pub fn message_body_ok(body: &str) -> bool {
    !body.trim().is_empty() && body.chars().count() <= MAX_MESSAGE_CHARS
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Role {
    Buyer,
    Supplier,
    /// The platform's payment and dispute team; created by a server command only.
    Operator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Buyer => "buyer",
            Role::Supplier => "supplier",
            Role::Operator => "operator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "buyer" => Some(Role::Buyer),
            "supplier" => Some(Role::Supplier),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    /// ISO 3166 alpha-2, e.g. "CN".
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Account {
    pub id: AccountId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub company: Company,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Product {
    pub id: ProductId,
    pub supplier: AccountId,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum InquiryStatus {
    Open,
    Closed,
}

/// An inquiry as one of its parties sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Inquiry {
    pub id: InquiryId,
    pub buyer: AccountId,
    pub supplier: AccountId,
    pub buyer_name: String,
    pub supplier_name: String,
    pub supplier_company: String,
    pub product: String,
    pub status: InquiryStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub last_message_at: Timestamp,
    /// First characters of the latest message (plain text).
    pub last_message_preview: String,
    /// Messages from the other party the viewer has not read.
    pub unread_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Message {
    pub id: MessageId,
    pub inquiry: InquiryId,
    pub sender: AccountId,
    pub sender_name: String,
    /// Plain text, never markup.
    pub body: String,
    pub attachments: Vec<DocumentMeta>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub sent_at: Timestamp,
    /// Whether the recipient has read it.
    pub read: bool,
    /// The structured quotation this message carries, if any: the thread draws it as a
    /// card in the message's place (the quotation itself is its own record, kind
    /// `quotation`); `body` is its plain-text summary for whatever cannot draw the card.
    #[serde(default)]
    pub quotation: Option<QuotationId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DocumentMeta {
    pub id: DocumentId,
    pub file_name: String,
    /// Lower-case type from the allow-list: pdf, docx, ...
    pub kind: String,
    pub media_type: String,
    pub size: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub uploaded_by: AccountId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub uploaded_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum PaymentStatus {
    /// Waiting for the bank transfer to arrive, or for card review.
    Processing,
    Succeeded,
    Declined,
    Failed,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Processing => "processing",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Declined => "declined",
            PaymentStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentStatus> {
        match s {
            "processing" => Some(PaymentStatus::Processing),
            "succeeded" => Some(PaymentStatus::Succeeded),
            "declined" => Some(PaymentStatus::Declined),
            "failed" => Some(PaymentStatus::Failed),
            _ => None,
        }
    }
}

/// One attempt to pay one installment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Payment {
    pub id: PaymentId,
    pub order: OrderId,
    pub installment: u32,
    pub installment_kind: InstallmentKind,
    pub method: PaymentMethod,
    pub amount_minor: i64,
    /// Card fee paid on top (0 for transfers).
    pub fee_minor: i64,
    pub currency: String,
    pub status: PaymentStatus,
    /// Unique reference to quote on a telegraphic transfer.
    pub reference: Option<String>,
    /// Last four digits of the card; the number itself is never stored.
    pub card_last4: Option<String>,
    pub held_for_review: bool,
    pub failure: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub updated_at: Timestamp,
}

/// The platform's designated account that buyers pay telegraphic transfers into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BeneficiaryAccount {
    pub beneficiary: String,
    pub bank: String,
    pub account_number: String,
    pub swift: String,
    pub bank_address: String,
}
