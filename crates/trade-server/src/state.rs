//! What every handler shares.

use std::sync::Arc;

use tokio::sync::Notify;
use trade_model::entities::BeneficiaryAccount;

use crate::auth::rate_limit::RateLimiter;
use crate::clock::Clock;
use crate::db::Db;
use crate::documents::DocumentStore;
use crate::metrics::Metrics;
use crate::payments::gateway::PaymentGateway;
use crate::throttle::Throttle;

#[derive(Clone)]
pub struct AppState(pub Arc<Shared>);

pub struct Shared {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub limiter: RateLimiter,
    /// Request budgets per account and per client IP.
    pub throttle: Throttle,
    pub documents: DocumentStore,
    pub gateway: Arc<dyn PaymentGateway>,
    /// The platform's designated account for telegraphic transfers.
    pub beneficiary: BeneficiaryAccount,
    /// Poked after writes that may change the earliest deadline.
    pub deadlines_changed: Notify,
    /// Turns true when the server starts shutting down; long-lived responses (live
    /// events) end then, so shutdown does not wait on them, and readiness answers 503
    /// (requests are still served until the listener closes).
    pub stopping: tokio::sync::watch::Receiver<bool>,
    /// How often idle live-event connections get a heartbeat.
    pub heartbeat: std::time::Duration,
    /// The most pages one answer of the snapshot stream holds.
    pub stream_pages: usize,
    /// How long a Pay Now request waits for the card gateway before it answers "still
    /// processing" (the charge goes on, and its outcome reaches the buyer by sync).
    pub pay_now_hold: std::time::Duration,
    /// What `GET /metrics` reports; this server's own registry.
    pub metrics: Metrics,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }
}
