//! The IPC commands: each one a few lines over `Desk`. Argument names arrive from the
//! front end in camelCase (`unreadOnly`), as Tauri maps them.

use std::path::PathBuf;
use std::sync::Arc;

use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;
use trade_client::drafts::Draft;
use trade_client::engine::Status;
use trade_client::evidence::Manifest;
use trade_client::files::LocalFile;
use trade_client::notify::NotificationSettings;
use trade_client::outbox::OutboxEntry;
use trade_client::payment_safety::BankDetail;
use trade_client::store::queries::OrderDetail;
use trade_client::store::queries::{LocalPage, OrderFilter, Partner, SearchHit, ThreadMessage};
use trade_desk::launch::{LaunchState, SignInForm, SignedIn, StartOptions};
use trade_desk::{CommandError, Desk};
use trade_model::api::{
    BoxCount, OrderView, PayRequest, PaymentQuote, PaymentResult, UnreadCounts,
};
use trade_model::entities::Inquiry;
use trade_model::error::FieldError;
use trade_model::order::OrderAction;
use trade_model::{DocumentId, InquiryId, MessageId, MutationId, OrderId};

type Desk_<'a> = State<'a, Arc<Desk>>;
type Answer<T> = Result<T, CommandError>;

#[tauri::command]
pub async fn launch(desk: Desk_<'_>) -> Answer<LaunchState> {
    Ok(desk.launch(StartOptions::from_env()).await)
}

#[tauri::command]
pub async fn sign_in(desk: Desk_<'_>, form: SignInForm) -> Answer<SignedIn> {
    desk.sign_in(form).await
}

#[tauri::command]
pub async fn sign_out(desk: Desk_<'_>) -> Answer<()> {
    desk.sign_out().await
}

/// The native open dialog for the server's CA certificate; the chosen path or none.
#[tauri::command]
pub async fn choose_ca_file(app: AppHandle) -> Answer<Option<String>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("The server's CA certificate")
        .add_filter("Certificate (PEM)", &["pem", "crt", "cer"])
        .pick_file(move |path| {
            let _ = tx.send(path.and_then(|p| p.into_path().ok()));
        });
    let path = rx.await.ok().flatten();
    Ok(path.map(|p| p.to_string_lossy().into_owned()))
}

#[tauri::command]
pub async fn status(desk: Desk_<'_>) -> Answer<Status> {
    desk.status().await
}

#[tauri::command]
pub async fn inquiries(
    desk: Desk_<'_>,
    unread_only: bool,
    after: Option<String>,
    limit: usize,
) -> Answer<LocalPage<Inquiry>> {
    desk.inquiries(unread_only, after, limit).await
}

#[tauri::command]
pub async fn inquiry(desk: Desk_<'_>, id: InquiryId) -> Answer<Inquiry> {
    desk.inquiry(id).await
}

#[tauri::command]
pub async fn thread(
    desk: Desk_<'_>,
    inquiry: InquiryId,
    after: Option<String>,
    limit: usize,
) -> Answer<LocalPage<ThreadMessage>> {
    desk.thread(inquiry, after, limit).await
}

#[tauri::command]
pub async fn send_message(desk: Desk_<'_>, inquiry: InquiryId, body: String) -> Answer<MessageId> {
    desk.send_message(inquiry, body).await
}

#[tauri::command]
pub async fn mark_read(desk: Desk_<'_>, inquiry: InquiryId) -> Answer<()> {
    desk.mark_read(inquiry).await
}

#[tauri::command]
pub async fn outbox(desk: Desk_<'_>) -> Answer<Vec<OutboxEntry>> {
    desk.outbox().await
}

#[tauri::command]
pub async fn retry(desk: Desk_<'_>, mutation: MutationId) -> Answer<()> {
    desk.retry(mutation).await
}

#[tauri::command]
pub async fn discard(desk: Desk_<'_>, mutation: MutationId) -> Answer<()> {
    desk.discard(mutation).await
}

#[tauri::command]
pub async fn search(desk: Desk_<'_>, query: String) -> Answer<Vec<SearchHit>> {
    desk.search(query).await
}

#[tauri::command]
pub async fn unread(desk: Desk_<'_>) -> Answer<UnreadCounts> {
    desk.unread().await
}

#[tauri::command]
pub async fn settings(desk: Desk_<'_>) -> Answer<NotificationSettings> {
    desk.settings().await
}

#[tauri::command]
pub async fn set_settings(desk: Desk_<'_>, settings: NotificationSettings) -> Answer<()> {
    desk.set_settings(settings).await
}

#[tauri::command]
pub async fn set_muted(desk: Desk_<'_>, inquiry: InquiryId, muted: bool) -> Answer<()> {
    desk.set_muted(inquiry, muted).await
}

/// Asks where to save (native dialog, the document's name suggested) and saves there.
/// `false` when the user cancelled.
#[tauri::command]
pub async fn save_document(
    app: AppHandle,
    desk: Desk_<'_>,
    document: DocumentId,
    suggested_name: String,
) -> Answer<bool> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Save the document")
        .set_file_name(&suggested_name)
        .save_file(move |path| {
            let _ = tx.send(path.and_then(|p| p.into_path().ok()));
        });
    let Some(dest): Option<PathBuf> = rx.await.ok().flatten() else {
        return Ok(false);
    };
    desk.save_document(document, &dest).await?;
    Ok(true)
}

/// Opens a document in the system's viewer, from a checked local copy.
#[tauri::command]
pub async fn open_document(app: AppHandle, desk: Desk_<'_>, document: DocumentId) -> Answer<()> {
    let path = desk.document_copy(document).await?;
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|e| CommandError::new("document.open_failed", e.to_string()))
}

/// Opens an `https` link in the system browser. The page asks the user first; anything
/// but a well-formed https URL is refused here.
#[tauri::command]
pub async fn open_external(app: AppHandle, url: String) -> Answer<()> {
    let parsed = url::Url::parse(&url)
        .map_err(|_| CommandError::new("link.invalid", "This is not a valid link."))?;
    if parsed.scheme() != "https" || parsed.host_str().is_none() {
        return Err(CommandError::new(
            "link.not_https",
            "Only https links are opened.",
        ));
    }
    app.opener()
        .open_url(parsed.as_str(), None::<&str>)
        .map_err(|e| CommandError::new("link.open_failed", e.to_string()))
}

// --- orders (the pipeline screens) ----------------------------------------------------

#[tauri::command]
pub async fn orders(
    desk: Desk_<'_>,
    filter: OrderFilter,
    after: Option<String>,
    limit: usize,
) -> Answer<LocalPage<OrderView>> {
    desk.orders(filter, after, limit).await
}

#[tauri::command]
pub async fn partners(desk: Desk_<'_>) -> Answer<Vec<Partner>> {
    desk.partners().await
}

#[tauri::command]
pub async fn chat_bank_details(desk: Desk_<'_>, order: OrderId) -> Answer<Vec<BankDetail>> {
    desk.chat_bank_details(order).await
}

#[tauri::command]
pub async fn order_counts(desk: Desk_<'_>) -> Answer<Vec<BoxCount>> {
    desk.order_counts().await
}

#[tauri::command]
pub async fn order_detail(desk: Desk_<'_>, id: OrderId) -> Answer<OrderDetail> {
    desk.order_detail(id).await
}

#[tauri::command]
pub async fn order_action(desk: Desk_<'_>, id: OrderId, action: OrderAction) -> Answer<()> {
    desk.order_action(id, action).await
}

#[tauri::command]
pub async fn drafts(desk: Desk_<'_>) -> Answer<Vec<Draft>> {
    desk.drafts().await
}

#[tauri::command]
pub async fn save_draft(desk: Desk_<'_>, draft: Draft) -> Answer<Vec<FieldError>> {
    desk.save_draft(draft).await
}

#[tauri::command]
pub async fn discard_draft(desk: Desk_<'_>, id: OrderId) -> Answer<()> {
    desk.discard_draft(id).await
}

#[tauri::command]
pub async fn submit_draft(desk: Desk_<'_>, id: OrderId) -> Answer<()> {
    desk.submit_draft(id).await
}

/// The native open dialog, filtered to the document types the platform accepts.
#[tauri::command]
pub async fn choose_document(app: AppHandle) -> Answer<Option<String>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Choose a contract, PI or evidence file")
        .add_filter("Documents", trade_documents::DocumentKind::ALL_EXTENSIONS)
        .pick_file(move |path| {
            let _ = tx.send(path.and_then(|p| p.into_path().ok()));
        });
    let path = rx.await.ok().flatten();
    Ok(path.map(|p| p.to_string_lossy().into_owned()))
}

/// Checks a chosen (or dropped) file as the server would and keeps it for upload.
#[tauri::command]
pub async fn attach_file(desk: Desk_<'_>, path: String) -> Answer<LocalFile> {
    desk.attach_file(&PathBuf::from(path)).await
}

#[tauri::command]
pub async fn payment_quote(desk: Desk_<'_>, order: OrderId) -> Answer<PaymentQuote> {
    desk.payment_quote(order).await
}

#[tauri::command]
pub async fn pay(desk: Desk_<'_>, order: OrderId, request: PayRequest) -> Answer<PaymentResult> {
    desk.pay(order, request).await
}

/// Asks for a new folder (native save dialog) and writes the order's evidence packet
/// there; `None` when the user cancelled.
#[tauri::command]
pub async fn export_evidence(
    app: AppHandle,
    desk: Desk_<'_>,
    order: OrderId,
    suggested_name: String,
) -> Answer<Option<Manifest>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Save the evidence packet")
        .set_file_name(&suggested_name)
        .save_file(move |path| {
            let _ = tx.send(path.and_then(|p| p.into_path().ok()));
        });
    let Some(dest): Option<PathBuf> = rx.await.ok().flatten() else {
        return Ok(None);
    };
    Ok(Some(desk.export_evidence(order, &dest).await?))
}
