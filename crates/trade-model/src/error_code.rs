//! Every machine-readable code the API answers with, as one enum: in error bodies
//! (`ApiError::code`) and in refused sync mutations. Clients switch on these; the
//! OpenAPI document lists them and the desktop app's TypeScript gets them as a union.
//!
//! A code is `area.reason` and never changes meaning once shipped: add a new one
//! instead of reusing an old one for something else.

use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, )*) => {
        /// A stable, machine-readable reason for a refusal (`area.reason`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum ErrorCode {
            $( $(#[$doc])* #[serde(rename = $code)] $variant, )*
            /// A code this build does not know: a newer server sent it. Never sent by
            /// this one; the message that came with it still says what happened.
            #[serde(rename = "unknown", other)]
            Unknown,
        }

        impl ErrorCode {
            /// Every code the server can send (not [`ErrorCode::Unknown`]).
            pub const ALL: &'static [ErrorCode] = &[$( ErrorCode::$variant, )*];

            /// The code as it appears on the wire, e.g. `order.invalid_state`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $code, )*
                    ErrorCode::Unknown => "unknown",
                }
            }
        }
    };
}

error_codes! {
    // Accounts and sign-in.
    AccountBadCountry = "account.bad_country",
    AccountBadEmail = "account.bad_email",
    AccountBadName = "account.bad_name",
    AccountBadOperator = "account.bad_operator",
    AccountEmailTaken = "account.email_taken",
    AccountOperatorNotRegistrable = "account.operator_not_registrable",
    AccountWeakPassword = "account.weak_password",
    AuthBadCredentials = "auth.bad_credentials",
    AuthInvalidToken = "auth.invalid_token",
    AuthMissingToken = "auth.missing_token",
    AuthRateLimited = "auth.rate_limited",
    /// A refresh token was used twice: the whole session was ended for safety.
    AuthRefreshReused = "auth.refresh_reused",
    /// A late copy of a refresh whose successor is already in use; nothing was ended.
    AuthRefreshSpent = "auth.refresh_spent",
    // Starting the demo backend (never in an HTTP answer).
    DemoDatabaseInUse = "demo.database_in_use",
    DemoEmailTaken = "demo.email_taken",
    DemoIncompleteWorld = "demo.incomplete_world",
    // Disputes.
    DisputeAlreadyFiled = "dispute.already_filed",
    DisputeEscalationTooEarly = "dispute.escalation_too_early",
    DisputeExceedsPaid = "dispute.exceeds_paid",
    DisputeInvalidState = "dispute.invalid_state",
    DisputeNoProposal = "dispute.no_proposal",
    DisputeNotAllowed = "dispute.not_allowed",
    DisputeNotFound = "dispute.not_found",
    DisputeTooMuchEvidence = "dispute.too_much_evidence",
    DisputeWindowClosed = "dispute.window_closed",
    DisputeWithdrawnFinal = "dispute.withdrawn_final",
    // Documents (the checks in `trade-documents`, storage and access).
    DocumentArchiveBomb = "document.archive_bomb",
    DocumentArchiveMalformed = "document.archive_malformed",
    DocumentBadName = "document.bad_name",
    DocumentContentMismatch = "document.content_mismatch",
    /// The document is on record but its content is gone from the server's document
    /// store (restored from an older backup, deleted by hand): sending again will not
    /// bring it back; the uploader can upload it again.
    DocumentContentMissing = "document.content_missing",
    DocumentEmpty = "document.empty",
    DocumentIdTaken = "document.id_taken",
    DocumentImageTooLarge = "document.image_too_large",
    DocumentInUse = "document.in_use",
    DocumentIo = "document.io",
    DocumentMacroContent = "document.macro_content",
    DocumentNotFound = "document.not_found",
    DocumentNotText = "document.not_text",
    /// The server's document store did not answer: nothing was stored or read; send it
    /// again (later, or to another instance).
    DocumentStoreUnavailable = "document.store_unavailable",
    DocumentTooLarge = "document.too_large",
    DocumentUnsupportedType = "document.unsupported_type",
    DocumentUploadInterrupted = "document.upload_interrupted",
    // Retries.
    IdempotencyBadKey = "idempotency.bad_key",
    /// The key was used before for a different request.
    IdempotencyKeyReused = "idempotency.key_reused",
    // Inquiries and messages.
    InquiryBadProduct = "inquiry.bad_product",
    InquiryBuyersOnly = "inquiry.buyers_only",
    InquiryClosed = "inquiry.closed",
    InquiryUnknownProduct = "inquiry.unknown_product",
    InquiryUnknownSupplier = "inquiry.unknown_supplier",
    MessageBadLength = "message.bad_length",
    MessageTooManyAttachments = "message.too_many_attachments",
    // Orders.
    OrderAlreadyConfirmed = "order.already_confirmed",
    OrderBadCounterparty = "order.bad_counterparty",
    OrderBadIfMatch = "order.bad_if_match",
    OrderConcurrentChange = "order.concurrent_change",
    OrderDeadlineNotDue = "order.deadline_not_due",
    OrderDisputeOpen = "order.dispute_open",
    OrderExists = "order.exists",
    OrderFeedbackExists = "order.feedback_exists",
    OrderInquiryMismatch = "order.inquiry_mismatch",
    OrderInvalidFeedback = "order.invalid_feedback",
    OrderInvalidState = "order.invalid_state",
    /// `details` lists the fields and what is wrong with each.
    OrderInvalidTerms = "order.invalid_terms",
    OrderNothingDue = "order.nothing_due",
    OrderPaidCannotCancel = "order.paid_cannot_cancel",
    OrderPaymentInProgress = "order.payment_in_progress",
    /// The quotation an order names is not one its supplier sent in its inquiry.
    OrderQuotationMismatch = "order.quotation_mismatch",
    OrderReceiptExtensionUsed = "order.receipt_extension_used",
    OrderShipByExtensionExceeded = "order.ship_by_extension_exceeded",
    /// A stale `If-Match` or base version; `details.current_version` has the current one.
    OrderVersionConflict = "order.version_conflict",
    OrderVersionRequired = "order.version_required",
    OrderWrongParty = "order.wrong_party",
    // Payments.
    PaymentAmountMismatch = "payment.amount_mismatch",
    PaymentCardCvcInvalid = "payment.card_cvc_invalid",
    PaymentCardExpired = "payment.card_expired",
    PaymentCardHolderMissing = "payment.card_holder_missing",
    PaymentCardMissing = "payment.card_missing",
    PaymentCardNeedsConnection = "payment.card_needs_connection",
    PaymentCardNumberInvalid = "payment.card_number_invalid",
    PaymentDeclined = "payment.declined",
    PaymentGatewayUnavailable = "payment.gateway_unavailable",
    PaymentNotInProgress = "payment.not_in_progress",
    PaymentNotProcessing = "payment.not_processing",
    /// The card network has not answered yet; the outcome follows through sync.
    PaymentProcessing = "payment.processing",
    // Quotations (the rules in `quotation`).
    /// A price, total or conversion is too large to compute.
    QuotationAmountOverflow = "quotation.amount_overflow",
    /// The buyer's duty estimate is negative or above 1000 %.
    QuotationBadDuty = "quotation.bad_duty",
    /// The buyer's freight estimate is negative.
    QuotationBadFreight = "quotation.bad_freight",
    QuotationBadNamedPlace = "quotation.bad_named_place",
    QuotationBadProduct = "quotation.bad_product",
    QuotationBadTransitDays = "quotation.bad_transit_days",
    /// The quantity is below the quotation's minimum order quantity.
    QuotationBelowMoq = "quotation.below_moq",
    /// An order names a quotation whose prices no longer hold (`details.valid_until`).
    QuotationExpired = "quotation.expired",
    QuotationFirstTierNotMoq = "quotation.first_tier_not_moq",
    /// `details` lists the fields and what is wrong with each (codes `quotation.*`).
    QuotationInvalid = "quotation.invalid",
    QuotationLeadTimeOutOfRange = "quotation.lead_time_out_of_range",
    /// The exchange-rate table has no rate for a currency the comparison needs.
    QuotationMissingRate = "quotation.missing_rate",
    QuotationMoqOutOfRange = "quotation.moq_out_of_range",
    QuotationNoTiers = "quotation.no_tiers",
    QuotationNotesTooLong = "quotation.notes_too_long",
    QuotationSamplePriceNegative = "quotation.sample_price_negative",
    /// Only the inquiry's supplier sends quotations in it.
    QuotationSuppliersOnly = "quotation.suppliers_only",
    QuotationTierQuantityOutOfRange = "quotation.tier_quantity_out_of_range",
    QuotationTiersNotAscending = "quotation.tiers_not_ascending",
    QuotationTooManyTiers = "quotation.too_many_tiers",
    QuotationUnitPriceNotPositive = "quotation.unit_price_not_positive",
    QuotationUnitPriceRises = "quotation.unit_price_rises",
    QuotationUnknownIncoterm = "quotation.unknown_incoterm",
    QuotationValidUntilPast = "quotation.valid_until_past",
    // Any record.
    /// A client-chosen id is already taken by another record.
    RecordIdTaken = "record.id_taken",
    NotFound = "not_found",
    Internal = "internal",
    /// The database gave up on this request for a conflicting one at the same moment (a
    /// deadlock or a busy lock): nothing of it took effect; send it again.
    ServerBusy = "server.busy",
    /// The server is up but should get no requests now: its database or document store
    /// does not answer, or it is shutting down (`GET /v1/ready`; `details.checks` says
    /// which). Another instance, or this one a little later, can serve them.
    ServerNotReady = "server.not_ready",
    // The request itself.
    RequestBadCursor = "request.bad_cursor",
    RequestBadFilter = "request.bad_filter",
    RequestInvalid = "request.invalid",
    RequestInvalidAmount = "request.invalid_amount",
    RequestInvalidText = "request.invalid_text",
    RequestMalformed = "request.malformed",
    RequestMethodNotAllowed = "request.method_not_allowed",
    /// The account (or, without a session, the client's address) sent more requests
    /// than its budget allows; `Retry-After` and `details.retry_after_secs` say when
    /// the next one is admitted.
    RequestRateLimited = "request.rate_limited",
    RequestTooLarge = "request.too_large",
    RequestUnsupportedMediaType = "request.unsupported_media_type",
    // Sync.
    SyncBadCursor = "sync.bad_cursor",
    SyncBatchTooLarge = "sync.batch_too_large",
    /// A mutation id was sent again with a different body.
    SyncMutationIdReused = "sync.mutation_id_reused",
}

// By hand: utoipa's derive does not see a `serde(rename)` written by a macro, and would
// list the variant names instead of the codes.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let codes = ErrorCode::ALL.iter().chain([&ErrorCode::Unknown]);
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A stable, machine-readable reason for a refusal (`area.reason`).",
            ))
            .enum_values(Some(codes.map(|c| c.as_str())))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ErrorCode {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("ErrorCode")
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_is_written_and_read_as_its_string() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} is declared twice");
            let wire = serde_json::to_string(code).unwrap();
            assert_eq!(wire, format!("\"{code}\""));
            assert_eq!(serde_json::from_str::<ErrorCode>(&wire).unwrap(), *code);
        }
    }

    #[test]
    fn a_code_from_a_newer_server_reads_as_unknown() {
        let read: ErrorCode = serde_json::from_str("\"order.something_new\"").unwrap();
        assert_eq!(read, ErrorCode::Unknown);
    }
}
