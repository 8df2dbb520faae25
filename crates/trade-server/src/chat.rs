//! Inquiries and messages: the one code path used by the REST handlers and by sync push.
//! Each function works inside the caller's write transaction.

use trade_model::ErrorCode;
use trade_model::entities::Role;
use trade_model::{AccountId, DocumentId, InquiryId, MessageId};

use crate::auth::AuthUser;
use crate::db::Write;
use crate::error::{HttpError, HttpResult};
use crate::state::AppState;
use crate::store;
use trade_model::entities::{MAX_ATTACHMENTS, message_body_ok};

fn check_body(body: &str) -> HttpResult<()> {
    if !message_body_ok(body) {
        return Err(HttpError::unprocessable(
            ErrorCode::MessageBadLength,
            "A message must have text, at most 10,000 characters.",
        ));
    }
    Ok(())
}

/// A buyer opens an inquiry to a supplier with a first message.
#[allow(clippy::too_many_arguments)]
pub async fn open_inquiry(
    w: &mut Write,
    state: &AppState,
    user: &AuthUser,
    id: InquiryId,
    supplier: AccountId,
    product: &str,
    first_message: MessageId,
    body: &str,
) -> HttpResult<()> {
    if user.role != Role::Buyer {
        return Err(HttpError::forbidden(
            ErrorCode::InquiryBuyersOnly,
            "Only buyers open inquiries.",
        ));
    }
    check_body(body)?;
    let supplier = store::accounts::by_id_in(w, supplier)
        .await?
        .filter(|a| a.role == Role::Supplier)
        .ok_or_else(|| {
            HttpError::unprocessable(ErrorCode::InquiryUnknownSupplier, "No such supplier.")
        })?;
    let product = product.trim();
    if product.is_empty() || product.chars().count() > 200 {
        return Err(HttpError::unprocessable(
            ErrorCode::InquiryBadProduct,
            "Name the product.",
        ));
    }
    let now = state.now();
    store::inquiries::create(w, id, user.id, supplier.id, product, now).await?;
    store::messages::insert_message(w, id, user.id, first_message, body.trim(), &[], now).await?;
    Ok(())
}

/// Appends a message from `user` to an inquiry it is a party of.
pub async fn post_message(
    w: &mut Write,
    state: &AppState,
    user: &AuthUser,
    inquiry: InquiryId,
    id: MessageId,
    body: &str,
    attachments: &[DocumentId],
) -> HttpResult<()> {
    check_body(body)?;
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(HttpError::unprocessable(
            ErrorCode::MessageTooManyAttachments,
            "Attach at most 10 files.",
        ));
    }
    // The message first: it checks that `user` is a party of the open inquiry and gives
    // its parties; a refused attachment after it is undone with the rest of the write.
    let (buyer, supplier) = store::messages::insert_message(
        w,
        inquiry,
        user.id,
        id,
        body.trim(),
        attachments,
        state.now(),
    )
    .await?;
    store::documents::require_owned(w, user.id, attachments).await?;
    let recipient = if user.id == buyer { supplier } else { buyer };
    for doc in attachments {
        store::documents::grant(w, *doc, &recipient.to_string()).await?;
    }
    Ok(())
}

/// Appends a run of text messages (no attachments) from `user`, each as
/// [`post_message`] would, in a few statements whatever their number (see
/// `store::messages::insert_messages`): all of them, or a refusal for one of them and
/// nothing left to keep but the caller's rollback.
pub async fn post_messages(
    w: &mut Write,
    state: &AppState,
    user: &AuthUser,
    messages: &[(InquiryId, MessageId, &str)],
) -> HttpResult<()> {
    let mut run = Vec::with_capacity(messages.len());
    for &(inquiry, id, body) in messages {
        check_body(body)?;
        run.push(store::messages::NewMessage {
            inquiry,
            id,
            body: body.trim(),
            sent_at: state.now(),
        });
    }
    store::messages::insert_messages(w, user.id, &run).await?;
    Ok(())
}

/// Marks the partner's messages up to `up_to` read by `user`.
pub async fn mark_read(
    w: &mut Write,
    state: &AppState,
    user: &AuthUser,
    inquiry: InquiryId,
    up_to: MessageId,
) -> HttpResult<()> {
    let (buyer, supplier, _) = store::inquiries::parties(w, user.id, inquiry).await?;
    store::messages::mark_read(w, user.id, (buyer, supplier), inquiry, up_to, state.now()).await?;
    Ok(())
}
