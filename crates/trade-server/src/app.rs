//! Assembles the router and starts the server: TLS material, database, document store,
//! deadline engine, metrics, HTTPS listener. Shutting down has two steps: `begin_shutdown`
//! (readiness fails, so a load balancer stops sending requests; live events end; the
//! background engines stop) and `shutdown` (the listener closes, open requests finish).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::rate_limit::RateLimiter;
use crate::clock::{Clock, SystemClock};
use crate::db::{Db, DbError};
use crate::documents::{DocumentStore, DocumentsLocation, OpenError};
use crate::metrics::Metrics;
use crate::payments::card;
use crate::payments::gateway::{PaymentGateway, SandboxGateway};
use crate::routes::{
    accounts, disputes, documents, inquiries, meta, operator, orders, payments, quotations, sync,
};
use crate::state::{AppState, Shared};
use crate::throttle::{RequestBudget, Throttle};
use crate::tls::{self, TlsError, TlsSource};
use crate::{deadlines, idempotency, serve};

#[derive(OpenApi)]
#[openapi(
    info(title = "Trade Center API", description = "The trade backend of Trade Center Desktop."),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every route with its OpenAPI description. Every write but sign-in, sign-out,
/// registration, mark-read and document deletion (each naturally repeatable or
/// answerable only once) sits behind the `Idempotency-Key` layer; sync push is keyed by
/// its mutation ids.
pub fn router(state: AppState) -> Router {
    let idempotent: OpenApiRouter<AppState> = OpenApiRouter::new()
        .routes(routes!(inquiries::create))
        .routes(routes!(inquiries::post_message))
        .routes(routes!(quotations::create))
        .routes(routes!(orders::create))
        .routes(routes!(payments::pay))
        .routes(routes!(disputes::file))
        .routes(routes!(operator::funds_arrived))
        .routes(routes!(operator::review))
        .routes(routes!(orders::modify))
        .routes(routes!(orders::confirm))
        .routes(routes!(orders::request_modification))
        .routes(routes!(orders::cancel))
        .routes(routes!(orders::ship))
        .routes(routes!(orders::extend_ship_by))
        .routes(routes!(orders::extend_receipt))
        .routes(routes!(orders::confirm_receipt))
        .routes(routes!(orders::feedback))
        .routes(routes!(disputes::propose))
        .routes(routes!(disputes::accept))
        .routes(routes!(disputes::escalate))
        .routes(routes!(disputes::withdraw))
        .routes(routes!(disputes::decide))
        .layer(from_fn_with_state(state.clone(), idempotency::layer));
    // Uploads stream with their own cap (`trade_documents::MAX_DOCUMENT_BYTES`) and take
    // their key in the handler.
    let uploads: OpenApiRouter<AppState> = OpenApiRouter::new()
        .routes(routes!(documents::upload))
        .layer(DefaultBodyLimit::disable());
    let mut keyed = crate::contract::operations(idempotent.get_openapi());
    keyed.extend(crate::contract::operations(uploads.get_openapi()));
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::register))
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::refresh))
        .routes(routes!(accounts::logout))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::suppliers))
        .routes(routes!(inquiries::list))
        .routes(routes!(inquiries::get))
        .routes(routes!(inquiries::messages))
        .routes(routes!(inquiries::mark_read))
        .routes(routes!(inquiries::unread))
        .routes(routes!(quotations::list))
        .routes(routes!(quotations::get))
        .routes(routes!(quotations::exchange_rates))
        .routes(routes!(quotations::supplier_facts))
        .routes(routes!(orders::list))
        .routes(routes!(orders::counts))
        .routes(routes!(orders::get))
        .routes(routes!(orders::events))
        .routes(routes!(orders::version))
        .routes(routes!(payments::quote))
        .routes(routes!(payments::list))
        .routes(routes!(operator::disputes))
        .routes(routes!(documents::meta, documents::delete))
        .routes(routes!(documents::content))
        .routes(routes!(sync::pull))
        .routes(routes!(sync::snapshot))
        .routes(routes!(sync::snapshot_stream))
        .routes(routes!(sync::push))
        .routes(routes!(sync::events))
        .routes(routes!(meta::ready))
        .routes(routes!(meta::metrics))
        .merge(idempotent)
        .merge(uploads)
        .split_for_parts();
    let api = Arc::new(crate::contract::complete(&api, &keyed));
    router
        .route(
            "/v1/openapi.json",
            axum::routing::get(move || {
                let api = api.clone();
                async move { Json((*api).clone()) }
            }),
        )
        .route("/v1/health", axum::routing::get(|| async { "ok" }))
        // Innermost of these: a refusal is in the error shape and counted by metrics.
        .layer(from_fn_with_state(state.clone(), crate::throttle::layer))
        .layer(DefaultBodyLimit::max(crate::json_numbers::MAX_JSON_BODY))
        .layer(axum::middleware::from_fn(crate::json_numbers::integral))
        .layer(axum::middleware::from_fn(crate::error::json_errors))
        .layer(axum::middleware::from_fn(idempotency::run_to_completion))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        // Outermost, so it sees every answer as sent (the error shape's included).
        .layer(from_fn_with_state(state.clone(), crate::metrics::record))
        .with_state(state)
}

/// A card payment's gateway answer counts as lost after this long.
pub const DEFAULT_SETTLE_CARD_PAYMENTS_AFTER: jiff::SignedDuration =
    jiff::SignedDuration::from_secs(60);

/// Under the client's first Pay Now attempt (half its 20 s patience), so the buyer
/// hears "still processing" from the server rather than from a timeout.
pub const DEFAULT_PAY_NOW_HOLD: std::time::Duration = std::time::Duration::from_secs(8);

pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// `None`: the embedded SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// `None`: a local CA made in `data_dir/tls`.
    pub tls: Option<TlsSource>,
    pub clock: Arc<dyn Clock>,
    /// `None`: the sandbox provider, with its books next to the server's database.
    pub gateway: Option<Arc<dyn PaymentGateway>>,
    /// Heartbeat interval of idle `/v1/events` connections.
    pub heartbeat: std::time::Duration,
    /// The most pages one answer of `/v1/sync/snapshot/stream` holds; the client goes on
    /// with a new request, authorized again.
    pub snapshot_stream_pages: usize,
    /// How long a card payment may wait for the gateway's answer before the reconciler
    /// asks the gateway what became of it.
    pub settle_card_payments_after: jiff::SignedDuration,
    /// How long a Pay Now request waits for the card gateway before it answers "still
    /// processing".
    pub pay_now_hold: std::time::Duration,
    /// Where document content lives (`DataDir`: `data_dir/documents`). Uploads are
    /// streamed to `data_dir/documents/tmp` first whatever this is.
    pub documents: DocumentsLocation,
    /// Every connection starts with a PROXY protocol v2 header naming the client (a load
    /// balancer passing TLS through sends it); the peer address is taken from it.
    pub proxy_protocol: bool,
    /// Requests each account (or client IP without a session) may send per window.
    pub request_budget: RequestBudget,
}

impl Config {
    pub fn new(data_dir: PathBuf, listen: SocketAddr) -> Self {
        Self {
            data_dir,
            listen,
            database_url: None,
            tls: None,
            clock: Arc::new(SystemClock),
            gateway: None,
            heartbeat: crate::routes::sync::HEARTBEAT,
            snapshot_stream_pages: crate::routes::sync::STREAM_PAGES,
            settle_card_payments_after: DEFAULT_SETTLE_CARD_PAYMENTS_AFTER,
            pay_now_hold: DEFAULT_PAY_NOW_HOLD,
            documents: DocumentsLocation::DataDir,
            proxy_protocol: false,
            request_budget: RequestBudget::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("database: {0}")]
    Db(#[from] DbError),
    #[error("the sandbox payment provider's books: {0}")]
    Gateway(sqlx::Error),
    #[error("document store: {0}")]
    Documents(#[from] OpenError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A started server. Dropping it does not stop it: call `shutdown`.
pub struct Running {
    pub addr: SocketAddr,
    /// The CA clients must trust, when the server made its own.
    pub ca_path: Option<PathBuf>,
    pub state: AppState,
    /// Turns `state.stopping` true.
    stop: watch::Sender<bool>,
    /// Closes the listener.
    close: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    pub fn base_url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    /// The first step of shutting down, for a load balancer to notice before the
    /// listener closes: readiness answers 503 from now on, live-event streams end (their
    /// clients reconnect, to another instance once the balancer has moved them), the
    /// deadline engine and the payment reconciler stop. Requests are still served.
    pub fn begin_shutdown(&self) {
        let _ = self.stop.send(true);
    }

    /// Shuts down (with [`Running::begin_shutdown`] if it was not called): stops
    /// accepting connections, lets open requests finish, closes the database.
    pub async fn shutdown(self) {
        self.begin_shutdown();
        let _ = self.close.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        self.state.db.close().await;
    }
}

pub async fn start(config: Config) -> Result<Running, StartError> {
    let data_dir = config.data_dir;
    std::fs::create_dir_all(&data_dir).map_err(|source| StartError::DataDir {
        path: data_dir.clone(),
        source,
    })?;
    let tls = tls::load(
        &config
            .tls
            .unwrap_or_else(|| TlsSource::LocalCa(data_dir.join("tls"))),
    )?;
    let db = match &config.database_url {
        Some(url) => Db::connect(url).await?,
        None => Db::open_sqlite(&data_dir.join("trade.db")).await?,
    };
    let gateway: Arc<dyn PaymentGateway> = match config.gateway {
        Some(gateway) => gateway,
        None => {
            let url = match &config.database_url {
                Some(url) => url.clone(),
                None => format!(
                    "sqlite://{}?mode=rwc",
                    data_dir.join("sandbox-gateway.db").display()
                ),
            };
            Arc::new(
                SandboxGateway::open(&url)
                    .await
                    .map_err(StartError::Gateway)?,
            )
        }
    };
    let documents = DocumentStore::open_at(&config.documents, &data_dir.join("documents"))?;
    // Login limits: shared by every instance on PostgreSQL, this one's on SQLite.
    let limiter = RateLimiter::for_database(&db);
    // Request budgets: counted in memory, synced through the database on PostgreSQL.
    let throttle = Throttle::for_database(&db, config.request_budget);
    let (stop, stopped) = watch::channel(false);
    let metrics = Metrics::new(db.pool());
    let state = AppState(Arc::new(Shared {
        db,
        clock: config.clock,
        limiter,
        throttle,
        documents,
        gateway,
        beneficiary: crate::payments::designated_account(),
        deadlines_changed: Notify::new(),
        stopping: stopped.clone(),
        heartbeat: config.heartbeat,
        stream_pages: config.snapshot_stream_pages,
        pay_now_hold: config.pay_now_hold,
        metrics,
    }));
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: config.listen,
        source,
    })?;
    let (close, mut closed) = watch::channel(false);
    let server = tokio::spawn(serve::serve(
        listener,
        tls.config,
        config.proxy_protocol,
        router(state.clone()),
        async move {
            let _ = closed.changed().await;
        },
    ));
    let engine = tokio::spawn(deadlines::run(state.clone(), stopped.clone()));
    let grace = config.settle_card_payments_after;
    let every = std::time::Duration::try_from(grace / 2)
        .unwrap_or_default()
        .clamp(
            std::time::Duration::from_millis(200),
            std::time::Duration::from_secs(30),
        );
    let reconciler = tokio::spawn(card::run_reconciler(
        state.clone(),
        grace,
        every,
        stopped.clone(),
    ));
    let throttle_sync = tokio::spawn(Throttle::run_sync(state.clone(), stopped.clone()));
    let mut tasks = vec![server, engine, reconciler, throttle_sync];
    if state.db.backend() == crate::db::Backend::Postgres {
        tasks.push(tokio::spawn(crate::live::listen_postgres(
            state.db.url().to_owned(),
            state.db.live().clone(),
            stopped,
        )));
    }
    tracing::info!(%addr, "trade server listening (HTTPS)");
    Ok(Running {
        addr,
        ca_path: tls.ca_path,
        state,
        stop,
        close,
        tasks,
    })
}
