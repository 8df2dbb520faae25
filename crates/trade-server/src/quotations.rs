//! Quotations (issue 17): the one code path a supplier's quotation takes, from the REST
//! handler and from the demo bot alike. It works inside the caller's write transaction.
//!
//! In the thread a quotation is a message from the supplier whose `quotation` field
//! refers to it (its text the quotation's plain summary): it moves the inquiry's preview
//! and counts as unread for the buyer like any supplier message, and reading the thread
//! reads it. The quotation itself is a record of its own (kind `quotation` in the feed)
//! for both parties.

use trade_model::ErrorCode;
use trade_model::quotation::{NewQuotation, Quotation};
use trade_model::{InquiryId, MessageId, QuotationId};

use crate::auth::AuthUser;
use crate::db::Write;
use crate::error::{HttpError, HttpResult};
use crate::state::AppState;
use crate::store;

/// `user` sends `request` as quotation `id` in `inquiry`, shown by message `message`.
/// Refused: 404 for an inquiry `user` is not a party of; 403 for its buyer; 409 when it
/// is closed; 422 `quotation.invalid` with every problem (fields and `quotation.*`
/// codes) in the details, validated on the server's UTC date.
pub async fn send(
    w: &mut Write,
    state: &AppState,
    user: &AuthUser,
    inquiry: InquiryId,
    id: QuotationId,
    message: MessageId,
    request: NewQuotation,
) -> HttpResult<Quotation> {
    let (buyer, supplier, status) = store::inquiries::parties(w, user.id, inquiry).await?;
    if user.id != supplier {
        return Err(HttpError::forbidden(
            ErrorCode::QuotationSuppliersOnly,
            "Only the inquiry's supplier sends quotations in it.",
        ));
    }
    if request.inquiry != inquiry {
        return Err(HttpError::unprocessable(
            ErrorCode::RequestInvalid,
            "The quotation names another inquiry than the one it is sent in.",
        ));
    }
    if status == "closed" {
        return Err(HttpError::conflict(
            ErrorCode::InquiryClosed,
            "This inquiry is closed.",
        ));
    }
    let now = state.now();
    let quotation = Quotation::create(id, user.id, request, now).map_err(|problems| {
        let fields: Vec<_> = problems.iter().map(|p| p.field_error()).collect();
        HttpError::unprocessable(ErrorCode::QuotationInvalid, "The quotation is not valid.")
            .with_details(serde_json::to_value(fields).unwrap_or_default())
    })?;
    store::messages::insert_message_carrying(
        w,
        inquiry,
        user.id,
        message,
        &quotation.summary(),
        &[],
        Some(quotation.id),
        now,
    )
    .await?;
    store::quotations::insert(w, &quotation, buyer, message).await?;
    Ok(quotation)
}
