//! [`Desk`]: the signed-in engine (or none) and what the window may ask of it, one short
//! method a command; starting, signing in and out are `session.rs`.

mod compare;
mod export;
mod pace;
mod session;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use trade_model::ErrorCode;

use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;
use trade_client::credentials::{CredentialStore, DEFAULT_SERVICE, KeyringStore};
use trade_client::drafts::Draft;
use trade_client::engine::{Engine, Options, Status};
use trade_client::evidence::Manifest;
use trade_client::files::LocalFile;
use trade_client::notify::{Notification, NotificationSettings};
use trade_client::outbox::OutboxEntry;
use trade_client::payment_safety::BankDetail;
use trade_client::profile::ServerProfile;
use trade_client::store::queries::OrderDetail;
use trade_client::store::queries::{LocalPage, OrderFilter, Partner, ThreadMessage};
use trade_client::store::search::SearchResults;
use trade_model::api::{
    BoxCount, CardDetails, OrderView, PayRequest, PaymentQuote, PaymentResult, UnreadCounts,
};
use trade_model::card::CardProblem;
use trade_model::entities::Inquiry;
use trade_model::error::FieldError;
use trade_model::order::OrderAction;
use trade_model::{DocumentId, InquiryId, MessageId, MutationId, OrderId, QuotationId};

use crate::deep_link::DeepLink;
use crate::error::{CommandError, CommandResult};
use crate::launch::{
    FirstScreen, FormDefaults, LaunchState, Overview, PAGE, Remembered, SignInForm, SignedIn,
    StartOptions,
};
use crate::native::{self, Chosen, Opening, PathDialog};
use trade_client::error::ClientCode;

/// Where engine events go: the shell turns them into window events, the tray badge and
/// desktop notifications.
pub trait Host: Send + Sync + 'static {
    /// The engine's state changed (connection, sync progress, outbox, transfers).
    fn status(&self, status: &Status);
    /// The cache changed: views re-read what they show; `unread` is for badges.
    fn changed(&self, revision: u64, unread: &UnreadCounts);
    /// A desktop notification to show.
    fn notify(&self, notification: &Notification);
    /// Shows a native file dialog; the path the user chose, or `None` when cancelled.
    fn ask_path(&self, dialog: PathDialog) -> Chosen;
    /// Opens a file or link in the system's own application; why not, when it failed.
    fn open(&self, what: &Opening) -> Result<(), String>;
    /// Whether the app starts when the user signs in to the computer (its autostart
    /// entry exists); why it cannot tell, when it failed.
    fn autostart(&self) -> Result<bool, String>;
    /// Creates (`true`) or removes the autostart entry, which starts the app with
    /// [`crate::deep_link::MINIMIZED_FLAG`].
    fn set_autostart(&self, enabled: bool) -> Result<(), String>;
}

/// The revision first: what is read after it is at least as new.
fn overview(engine: &Engine) -> CommandResult<Overview> {
    let revision = *engine.revision().borrow();
    Ok(Overview {
        status: engine.status().borrow().clone(),
        unread: engine.store().unread()?,
        revision,
    })
}

/// The server a first start suggests (the README's demo backend).
pub const DEFAULT_SERVER: &str = "https://localhost:8443";
/// Longest page a view may ask for.
const MAX_PAGE: usize = 500;
/// How long quitting waits for keyring calls still running ([`Desk::before_exit`]): a
/// keyring answers in milliseconds, an unlock prompt left open would hold the quit.
pub const KEYRING_AT_EXIT: std::time::Duration = std::time::Duration::from_secs(3);

struct Current {
    engine: Engine,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

pub struct Desk {
    data_dir: PathBuf,
    creds: Arc<dyn CredentialStore>,
    options: Options,
    host: Arc<dyn Host>,
    current: Mutex<Option<Current>>,
    /// The server profile the start offered (URL, CA PEM, CA file name): the form shows
    /// it, and signing in with the same URL and no other CA file uses it.
    offered: std::sync::Mutex<Option<Offered>>,
    /// A link the app was started with or handed while running (or why it was
    /// refused), until the signed-in window takes it.
    link: std::sync::Mutex<Option<Result<DeepLink, CommandError>>>,
}

#[derive(Clone)]
struct Offered {
    url: String,
    ca_pem: Option<String>,
    ca_file_name: Option<String>,
}

impl Desk {
    /// The desk of the installed app: secrets in the OS keyring, the engine's defaults.
    pub fn on_this_machine(data_dir: PathBuf, host: Arc<dyn Host>) -> Desk {
        Desk::new(
            data_dir,
            Arc::new(KeyringStore::new(DEFAULT_SERVICE)),
            Options::default(),
            host,
        )
    }

    pub fn new(
        data_dir: PathBuf,
        creds: Arc<dyn CredentialStore>,
        options: Options,
        host: Arc<dyn Host>,
    ) -> Desk {
        Desk {
            data_dir,
            creds,
            options,
            host,
            current: Mutex::new(None),
            offered: std::sync::Mutex::new(None),
            link: std::sync::Mutex::new(None),
        }
    }

    /// Before the process exits (the user quit, or the desktop session ends): the keyring
    /// calls in flight finish first, at most [`KEYRING_AT_EXIT`]: a refresh token stored
    /// halfway would be lost (a sign-in a moment ago, or a rotation the server already
    /// made: the next start would have to sign in again). The cache needs nothing: every
    /// write is a committed transaction or none.
    pub fn before_exit(&self) {
        if !trade_client::credentials::settle(KEYRING_AT_EXIT) {
            tracing::warn!(
                "the keyring did not finish within {} s; quitting anyway",
                KEYRING_AT_EXIT.as_secs()
            );
        }
    }

    /// The signed-in engine.
    pub async fn engine(&self) -> CommandResult<Engine> {
        self.current
            .lock()
            .await
            .as_ref()
            .map(|c| c.engine.clone())
            .ok_or_else(CommandError::not_signed_in)
    }

    /// The connection, the unread counts, and the revision they were read at.
    pub async fn overview(&self) -> CommandResult<Overview> {
        overview(&self.engine().await?)
    }

    /// The overview and the inbox's first page, the page read after the overview: at
    /// its revision or later (a later one makes the window read again, never miss).
    pub async fn first_screen(&self) -> CommandResult<FirstScreen> {
        let engine = self.engine().await?;
        let overview = overview(&engine)?;
        let inbox = engine.store().inquiries(false, None, PAGE)?;
        let settings = engine.store().notification_settings()?;
        Ok(FirstScreen {
            overview,
            inbox,
            settings,
        })
    }

    pub async fn inquiries(
        &self,
        unread_only: bool,
        after: Option<String>,
        limit: usize,
    ) -> CommandResult<LocalPage<Inquiry>> {
        let engine = self.engine().await?;
        Ok(engine
            .store()
            .inquiries(unread_only, after.as_deref(), limit.clamp(1, MAX_PAGE))?)
    }

    pub async fn inquiry(&self, id: InquiryId) -> CommandResult<Inquiry> {
        Ok(self.engine().await?.store().inquiry(id)?)
    }

    pub async fn thread(
        &self,
        inquiry: InquiryId,
        after: Option<String>,
        limit: usize,
    ) -> CommandResult<LocalPage<ThreadMessage>> {
        let engine = self.engine().await?;
        Ok(engine
            .store()
            .thread(inquiry, after.as_deref(), limit.clamp(1, MAX_PAGE))?)
    }

    /// Queues a message (shown at once as pending) and wakes the sync loop.
    pub async fn send_message(&self, inquiry: InquiryId, body: String) -> CommandResult<MessageId> {
        let engine = self.engine().await?;
        let (_, id) = engine.send_message(inquiry, &body)?;
        Ok(id)
    }

    pub async fn mark_read(&self, inquiry: InquiryId) -> CommandResult<()> {
        let engine = self.engine().await?;
        engine.mark_read(inquiry)?;
        Ok(())
    }

    pub async fn outbox(&self) -> CommandResult<Vec<OutboxEntry>> {
        Ok(self.engine().await?.store().outbox()?)
    }

    pub async fn retry(&self, mutation: MutationId) -> CommandResult<()> {
        let engine = self.engine().await?;
        Ok(engine.retry(mutation)?)
    }

    pub async fn discard(&self, mutation: MutationId) -> CommandResult<()> {
        let engine = self.engine().await?;
        Ok(engine.discard(mutation)?)
    }

    /// The hits for `query`, and how much of the cache is indexed while a backlog waits.
    pub async fn search(&self, query: String) -> CommandResult<SearchResults> {
        Ok(self.engine().await?.store().search(&query, 50)?)
    }

    pub async fn settings(&self) -> CommandResult<NotificationSettings> {
        Ok(self.engine().await?.store().notification_settings()?)
    }

    pub async fn set_settings(&self, settings: NotificationSettings) -> CommandResult<()> {
        Ok(self.engine().await?.set_notification_settings(&settings)?)
    }

    pub async fn set_muted(&self, inquiry: InquiryId, muted: bool) -> CommandResult<()> {
        let engine = self.engine().await?;
        let mut settings = engine.store().notification_settings()?;
        if muted {
            settings.muted_inquiries.insert(inquiry);
        } else {
            settings.muted_inquiries.remove(&inquiry);
        }
        Ok(engine.set_notification_settings(&settings)?)
    }

    /// Orders in one box (or all), sorted and narrowed as the list asks.
    pub async fn orders(
        &self,
        filter: OrderFilter,
        after: Option<String>,
        limit: usize,
    ) -> CommandResult<LocalPage<OrderView>> {
        let engine = self.engine().await?;
        Ok(engine
            .store()
            .orders(&filter, after.as_deref(), limit.clamp(1, MAX_PAGE))?)
    }

    /// The suppliers this buyer deals with (names for orders, choices for a new one).
    pub async fn partners(&self) -> CommandResult<Vec<Partner>> {
        Ok(self.engine().await?.store().partners()?)
    }

    /// Bank details the supplier wrote in the order's chat that are not the designated
    /// account (Pay Now by transfer warns about them).
    pub async fn chat_bank_details(&self, order: OrderId) -> CommandResult<Vec<BankDetail>> {
        let engine = self.engine().await?;
        let view = engine.store().order(order)?;
        match view.order.inquiry {
            Some(inquiry) => Ok(engine.store().thread_bank_details(inquiry)?),
            None => Ok(Vec::new()),
        }
    }

    /// Every box with its label and count (drafts are listed by `drafts`).
    pub async fn order_counts(&self) -> CommandResult<Vec<BoxCount>> {
        let engine = self.engine().await?;
        let counts = engine
            .store()
            .order_counts()?
            .into_iter()
            .map(|(order_box, count)| BoxCount {
                order_box,
                label: order_box.label().to_owned(),
                count,
            })
            .collect();
        Ok(counts)
    }

    pub async fn order_detail(&self, id: OrderId) -> CommandResult<OrderDetail> {
        Ok(self.engine().await?.store().order_detail(id)?)
    }

    /// Queues a lifecycle step (confirm, cancel, confirm receipt, ...) after checking it
    /// with the same rules the server applies; a refusal comes back at once.
    pub async fn order_action(&self, id: OrderId, action: OrderAction) -> CommandResult<()> {
        let engine = self.engine().await?;
        engine.order_action(id, action)?;
        Ok(())
    }

    /// Confirms the order as it stands here, with a pro forma invoice (a checked local
    /// file, uploaded before the step is sent) or without: the rules decide what that is
    /// ([`OrderAction::confirmation`]).
    pub async fn confirm_order(
        &self,
        id: OrderId,
        pro_forma: Option<DocumentId>,
    ) -> CommandResult<()> {
        let engine = self.engine().await?;
        let view = engine.store().order(id)?;
        engine.order_action(id, OrderAction::confirmation(&view.order, pro_forma))?;
        Ok(())
    }

    /// Pay Now, step one: what is due and what it costs by card or by transfer.
    pub async fn payment_quote(&self, order: OrderId) -> CommandResult<PaymentQuote> {
        Ok(self.engine().await?.payment_quote(order).await?)
    }

    /// What is wrong with card details as typed, checked as the server will check them
    /// (as of today, in UTC as the server counts). Works offline; nothing is kept.
    pub fn check_card(&self, card: &CardDetails) -> Vec<CardProblem> {
        let today = trade_model::time::utc_date(jiff::Timestamp::now());
        trade_model::card::card_problems(card, today)
    }

    /// Pay Now, step two (online only; card details are passed through, never kept).
    pub async fn pay(&self, order: OrderId, request: PayRequest) -> CommandResult<PaymentResult> {
        Ok(self.engine().await?.pay(order, request).await?)
    }

    pub async fn drafts(&self) -> CommandResult<Vec<Draft>> {
        Ok(self.engine().await?.store().drafts()?)
    }

    /// Saves a draft (incomplete is fine) and returns its problems as of now.
    pub async fn save_draft(&self, draft: Draft) -> CommandResult<Vec<FieldError>> {
        let engine = self.engine().await?;
        Ok(engine.save_draft(&draft)?)
    }

    /// A new draft of `quantity` units from a quotation in the cache (its tier price,
    /// Incoterm and terms; not saved until edited). Refused with `quotation.expired` or
    /// `quotation.below_moq`.
    pub async fn draft_from_quotation(
        &self,
        quotation: QuotationId,
        quantity: u64,
    ) -> CommandResult<Draft> {
        let engine = self.engine().await?;
        Ok(trade_client::drafts::from_quotation(
            engine.store(),
            quotation,
            quantity,
            jiff::Timestamp::now(),
        )?)
    }

    pub async fn discard_draft(&self, id: OrderId) -> CommandResult<()> {
        let engine = self.engine().await?;
        Ok(engine.discard_draft(id)?)
    }

    /// Submits a valid draft (queued; the order shows at once as waiting for the
    /// supplier); an invalid one comes back with every problem, nothing changed.
    pub async fn submit_draft(&self, id: OrderId) -> CommandResult<()> {
        let engine = self.engine().await?;
        engine.submit_draft(id)?;
        Ok(())
    }

    /// Checks a file the user picked (dialog or drop) as the server would and keeps it
    /// for upload with the draft or action that uses it.
    pub async fn attach_file(&self, path: &Path) -> CommandResult<LocalFile> {
        Ok(self.engine().await?.attach_file(path)?)
    }

    /// Writes an order's evidence packet to a new folder the user chose.
    pub async fn export_evidence(&self, order: OrderId, dest: &Path) -> CommandResult<Manifest> {
        Ok(self.engine().await?.export_evidence(order, dest).await?)
    }

    /// A local copy of a document to open in the system's viewer: downloaded (and its
    /// SHA-256 checked) into this app's data folder under a name made only of its id
    /// and its checked type, never of the name someone else gave it.
    pub async fn document_copy(&self, document: DocumentId) -> CommandResult<PathBuf> {
        let engine = self.engine().await?;
        let meta = engine.store().document(document, engine.account().id)?;
        let kind = trade_documents::DocumentKind::from_extension(&meta.kind).ok_or_else(|| {
            CommandError::new(
                ErrorCode::DocumentUnsupportedType,
                "This kind of file cannot be opened here; save it instead.",
            )
        })?;
        let dir = self.data_dir.join("opened");
        std::fs::create_dir_all(&dir).map_err(|e| {
            CommandError::new(
                ClientCode::Io,
                format!("The file could not be written: {e}"),
            )
        })?;
        let dest = dir.join(format!("{document}.{}", kind.extension()));
        if !dest.exists() {
            engine.download(document, &dest).await?;
        }
        Ok(dest)
    }

    /// Saves a document to a path the user chose in the native save dialog.
    pub async fn save_document(&self, document: DocumentId, dest: &Path) -> CommandResult<()> {
        Ok(self.engine().await?.download(document, dest).await?)
    }

    /// Asks where to save a document (its name suggested) and saves it there; `false`
    /// when the user cancelled.
    pub async fn save_document_as(
        &self,
        document: DocumentId,
        suggested_name: &str,
    ) -> CommandResult<bool> {
        let dialog = native::save_document(suggested_name);
        let Some(dest) = self.host.ask_path(dialog).await else {
            return Ok(false);
        };
        self.save_document(document, &dest).await?;
        Ok(true)
    }

    /// Asks for a new folder and writes the order's evidence packet there; `None` when
    /// the user cancelled.
    pub async fn export_evidence_as(
        &self,
        order: OrderId,
        suggested_name: &str,
    ) -> CommandResult<Option<Manifest>> {
        let dialog = native::save_evidence(suggested_name);
        let Some(dest) = self.host.ask_path(dialog).await else {
            return Ok(None);
        };
        Ok(Some(self.export_evidence(order, &dest).await?))
    }

    /// The open dialog for the server's CA certificate: the chosen path, or none.
    pub async fn choose_ca_file(&self) -> CommandResult<Option<String>> {
        Ok(self.host.ask_path(native::CA_FILE).await.map(path_text))
    }

    /// The open dialog for a document, filtered to the types the platform accepts.
    pub async fn choose_document(&self) -> CommandResult<Option<String>> {
        Ok(self.host.ask_path(native::DOCUMENT).await.map(path_text))
    }

    /// Opens a document in the system's viewer, from a checked local copy.
    pub async fn open_document(&self, document: DocumentId) -> CommandResult<()> {
        let what = Opening::File(self.document_copy(document).await?);
        self.host
            .open(&what)
            .map_err(|reason| native::open_failed(&what, reason))
    }

    /// Opens an `https` link in the browser (the page has asked the user first);
    /// anything but a well-formed https URL is refused.
    pub async fn open_external(&self, url: &str) -> CommandResult<()> {
        let what = Opening::Link(native::external_link(url)?);
        self.host
            .open(&what)
            .map_err(|reason| native::open_failed(&what, reason))
    }
}

fn path_text(path: PathBuf) -> String {
    path.to_string_lossy().into_owned()
}

fn stop_engine(current: Current) {
    let _ = current.stop.send(true);
    for task in current.tasks {
        task.abort();
    }
}

fn file_name(path: &Path) -> Option<String> {
    path.file_name().map(|n| n.to_string_lossy().into_owned())
}

impl Desk {
    // --- links and start at login ---------------------------------------------------

    /// Keeps a link (read by [`crate::deep_link::parse`], or why it was refused) for the
    /// window, which takes it with [`Desk::take_link`]; a newer one replaces one not
    /// yet taken.
    pub fn offer_link(&self, link: Result<DeepLink, CommandError>) {
        *self.link.lock().unwrap_or_else(|e| e.into_inner()) = Some(link);
    }

    /// The link waiting for the window, checked: `None` when there is none, or while
    /// nobody is signed in (it waits for the sign-in). A refused link answers its
    /// `deep_link.invalid`; a record that is neither in the cache nor, asked, on the
    /// server (someone else's, or deleted) `deep_link.not_found`; when the server
    /// cannot be asked, why not.
    pub async fn take_link(&self) -> CommandResult<Option<DeepLink>> {
        let Ok(engine) = self.engine().await else {
            return Ok(None);
        };
        let Some(link) = self.link.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return Ok(None);
        };
        let link = link?;
        let cached = match link {
            DeepLink::Order(id) => engine.store().order_detail(id).map(|_| ()),
            DeepLink::Inquiry(id) => engine.store().inquiry(id).map(|_| ()),
        };
        match cached {
            Ok(()) => return Ok(Some(link)),
            Err(trade_client::error::ClientError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
        let on_server = match link {
            DeepLink::Order(id) => engine.order_on_server(id).await?,
            DeepLink::Inquiry(id) => engine.inquiry_on_server(id).await?,
        };
        if on_server {
            // Not synced yet: the view shows it as the next sync brings it.
            engine.poke();
            Ok(Some(link))
        } else {
            let what = match link {
                DeepLink::Order(_) => "order",
                DeepLink::Inquiry(_) => "inquiry",
            };
            Err(CommandError::new(
                ClientCode::DeepLinkNotFound,
                format!("The {what} this link names is not one of yours, or no longer exists."),
            ))
        }
    }

    /// Whether the app starts at login (minimized to the tray).
    pub fn autostart(&self) -> CommandResult<bool> {
        self.host
            .autostart()
            .map_err(|e| CommandError::new(ClientCode::AutostartFailed, e))
    }

    /// Turns starting at login on or off; answers the state as it is afterwards.
    pub fn set_autostart(&self, enabled: bool) -> CommandResult<bool> {
        self.host
            .set_autostart(enabled)
            .map_err(|e| CommandError::new(ClientCode::AutostartFailed, e))?;
        self.autostart()
    }
}
