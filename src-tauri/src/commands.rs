//! The IPC commands: each one a few lines over `Desk`. Argument names arrive from the
//! front end in camelCase (`unreadOnly`), as Tauri maps them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tauri::State;
use tauri::async_runtime::JoinHandle;
use trade_desk::Desk;
use trade_desk::ipc::{
    BankDetail, BoxCount, CardDetails, CardProblem, CommandError, ComparisonId, ComparisonSheet,
    ComparisonSummary, ComparisonTerms, DeepLink, DocumentId, Draft, Estimates, ExportFormat,
    Exported, FieldError, FirstScreen, Inquiry, InquiryId, LaunchState, LocalFile, LocalPage,
    Manifest, MessageId, MutationId, NotificationSettings, OrderAction, OrderDetail, OrderFilter,
    OrderId, OrderView, OutboxEntry, Overview, Partner, PayRequest, PaymentQuote, PaymentResult,
    QuotationId, Refreshed, SearchResults, SheetColumn, SignInForm, SignedIn, SortDirection,
    StartOptions, ThreadMessage,
};

use crate::shell::Shell;

type Desk_<'a> = State<'a, Arc<Desk>>;
type Answer<T> = Result<T, CommandError>;

/// The launch begun at process start, while the page loads (it takes about a tenth of a
/// second: the keyring, the cache, the engine). The page's first `launch` takes its
/// answer; a reloaded page launches again.
pub struct EarlyLaunch(Mutex<Option<JoinHandle<LaunchState>>>);

impl EarlyLaunch {
    pub fn begin(launch: JoinHandle<LaunchState>) -> EarlyLaunch {
        EarlyLaunch(Mutex::new(Some(launch)))
    }
}

/// The desktop's UI font as a CSS `font-family` value for the page's `--font`, read from
/// GTK's settings at start (`trade_desk::font`); none where the page's `system-ui` is
/// the platform's font without a cost (macOS, Windows). The launch's answer carries it.
pub struct DesktopFont(pub Option<String>);

#[tauri::command]
pub async fn launch(
    desk: Desk_<'_>,
    early: State<'_, EarlyLaunch>,
    font: State<'_, DesktopFont>,
) -> Answer<LaunchState> {
    let begun = early.0.lock().unwrap_or_else(|e| e.into_inner()).take();
    let mut state = match begun {
        Some(begun) => match begun.await {
            Ok(state) => state,
            Err(e) => {
                tracing::warn!("the launch begun at start failed ({e}); launching again");
                desk.launch(StartOptions::from_env()).await
            }
        },
        None => desk.launch(StartOptions::from_env()).await,
    };
    state.font = font.0.clone();
    Ok(state)
}

/// The page has drawn its first screen (the sign-in form or the inbox): the shell makes
/// what it put off so as not to hold up the page's load (the tray icon).
#[tauri::command]
pub async fn first_screen_shown(shell: State<'_, Arc<Shell>>) -> Answer<()> {
    shell.make_tray_soon();
    Ok(())
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
pub async fn choose_ca_file(desk: Desk_<'_>) -> Answer<Option<String>> {
    desk.choose_ca_file().await
}

#[tauri::command]
pub async fn overview(desk: Desk_<'_>) -> Answer<Overview> {
    desk.overview().await
}

#[tauri::command]
pub async fn first_screen(desk: Desk_<'_>) -> Answer<FirstScreen> {
    desk.first_screen().await
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
pub async fn search(desk: Desk_<'_>, query: String) -> Answer<SearchResults> {
    desk.search(query).await
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
    desk: Desk_<'_>,
    document: DocumentId,
    suggested_name: String,
) -> Answer<bool> {
    desk.save_document_as(document, &suggested_name).await
}

/// Opens a document in the system's viewer, from a checked local copy.
#[tauri::command]
pub async fn open_document(desk: Desk_<'_>, document: DocumentId) -> Answer<()> {
    desk.open_document(document).await
}

/// Opens an `https` link in the system browser. The page asks the user first; anything
/// but a well-formed https URL is refused.
#[tauri::command]
pub async fn open_external(desk: Desk_<'_>, url: String) -> Answer<()> {
    desk.open_external(&url).await
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
pub async fn confirm_order(
    desk: Desk_<'_>,
    id: OrderId,
    pro_forma: Option<DocumentId>,
) -> Answer<()> {
    desk.confirm_order(id, pro_forma).await
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
pub async fn draft_from_quotation(
    desk: Desk_<'_>,
    quotation: QuotationId,
    quantity: u64,
) -> Answer<Draft> {
    desk.draft_from_quotation(quotation, quantity).await
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
pub async fn choose_document(desk: Desk_<'_>) -> Answer<Option<String>> {
    desk.choose_document().await
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

/// What is wrong with card details as typed, as the server will check them.
#[tauri::command]
pub async fn check_card(desk: Desk_<'_>, card: CardDetails) -> Answer<Vec<CardProblem>> {
    Ok(desk.check_card(&card))
}

#[tauri::command]
pub async fn pay(desk: Desk_<'_>, order: OrderId, request: PayRequest) -> Answer<PaymentResult> {
    desk.pay(order, request).await
}

/// Asks for a new folder (native save dialog) and writes the order's evidence packet
/// there; `None` when the user cancelled.
#[tauri::command]
pub async fn export_evidence(
    desk: Desk_<'_>,
    order: OrderId,
    suggested_name: String,
) -> Answer<Option<Manifest>> {
    desk.export_evidence_as(order, &suggested_name).await
}

/// The `tradecenter://` link the app was started with or handed, checked (see
/// `Desk::take_link`); `None` when there is none.
#[tauri::command]
pub async fn take_link(desk: Desk_<'_>) -> Answer<Option<DeepLink>> {
    desk.take_link().await
}

/// Whether the app starts at login (minimized to the tray).
#[tauri::command]
pub async fn autostart(desk: Desk_<'_>) -> Answer<bool> {
    desk.autostart()
}

/// Turns starting at login on or off; the state afterwards.
#[tauri::command]
pub async fn set_autostart(desk: Desk_<'_>, enabled: bool) -> Answer<bool> {
    desk.set_autostart(enabled)
}

// --- comparing quotations (local only; see trade_client::comparisons) ------------------

#[tauri::command]
pub async fn comparisons(desk: Desk_<'_>) -> Answer<Vec<ComparisonSummary>> {
    desk.comparisons().await
}

#[tauri::command]
pub async fn create_comparison(desk: Desk_<'_>, terms: ComparisonTerms) -> Answer<ComparisonId> {
    desk.create_comparison(terms).await
}

#[tauri::command]
pub async fn update_comparison(
    desk: Desk_<'_>,
    id: ComparisonId,
    terms: ComparisonTerms,
) -> Answer<()> {
    desk.update_comparison(id, terms).await
}

#[tauri::command]
pub async fn delete_comparison(desk: Desk_<'_>, id: ComparisonId) -> Answer<()> {
    desk.delete_comparison(id).await
}

#[tauri::command]
pub async fn add_to_comparison(
    desk: Desk_<'_>,
    id: ComparisonId,
    quotation: QuotationId,
) -> Answer<()> {
    desk.add_to_comparison(id, quotation).await
}

#[tauri::command]
pub async fn remove_from_comparison(
    desk: Desk_<'_>,
    id: ComparisonId,
    quotation: QuotationId,
) -> Answer<()> {
    desk.remove_from_comparison(id, quotation).await
}

#[tauri::command]
pub async fn set_estimates(
    desk: Desk_<'_>,
    id: ComparisonId,
    quotation: QuotationId,
    estimates: Estimates,
) -> Answer<()> {
    desk.set_estimates(id, quotation, estimates).await
}

#[tauri::command]
pub async fn comparison(
    desk: Desk_<'_>,
    id: ComparisonId,
    sort: SheetColumn,
    direction: SortDirection,
) -> Answer<ComparisonSheet> {
    desk.comparison(id, sort, direction).await
}

/// Fetches the exchange-rate table and the suppliers' facts a comparison shows.
#[tauri::command]
pub async fn refresh_comparison(desk: Desk_<'_>, id: ComparisonId) -> Answer<Refreshed> {
    desk.refresh_comparison(id).await
}

// --- exports (native save dialog; see trade_client::exports) ----------------------------

/// The orders the list shows (its box, search and sort; every page) to XLSX or CSV at
/// a path chosen in the native save dialog; `None` when the user cancelled.
#[tauri::command]
pub async fn export_orders(
    desk: Desk_<'_>,
    filter: OrderFilter,
    format: ExportFormat,
) -> Answer<Option<Exported>> {
    desk.export_orders_as(filter, format).await
}

/// Every payment of the buyer's orders to XLSX or CSV; `None` when cancelled.
#[tauri::command]
pub async fn export_payments(desk: Desk_<'_>, format: ExportFormat) -> Answer<Option<Exported>> {
    desk.export_payments_as(format).await
}

/// A comparison, sorted as on screen, to XLSX or CSV; `None` when cancelled.
#[tauri::command]
pub async fn export_comparison(
    desk: Desk_<'_>,
    id: ComparisonId,
    sort: SheetColumn,
    direction: SortDirection,
    format: ExportFormat,
) -> Answer<Option<Exported>> {
    desk.export_comparison_as(id, sort, direction, format).await
}
