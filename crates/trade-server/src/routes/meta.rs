//! What operators and load balancers ask of the server itself, without a session:
//! readiness (`GET /v1/ready`) and metrics (`GET /metrics`). Liveness is `GET /v1/health`
//! ("ok" while the process runs), served beside the OpenAPI document in `app`.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use trade_model::ErrorCode;

use crate::error::{HttpError, HttpResult};
use crate::state::AppState;
use crate::store;

/// How long each readiness check may take: a database that does not answer a trivial
/// query this soon (down, or every pooled connection busy) makes the server not ready.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

const OK: &str = "ok";

/// The state of each thing a request may need. Each value is `ok` or a fixed word for
/// what is wrong (never an error's text, which could name hosts or paths: the details go
/// to the log).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReadyChecks {
    /// `ok`, or `shutting down` once the server has begun to stop (it still answers the
    /// requests it gets, but should be sent no new ones).
    #[schema(examples("ok"))]
    pub server: String,
    /// `ok`, `unreachable` (the query failed) or `timed out` (no answer within 2 s).
    #[schema(examples("ok"))]
    pub database: String,
    /// `ok`, `unusable` (its directory is missing, not a directory or not writable) or
    /// `timed out` (the file system did not answer within 2 s).
    #[schema(examples("ok"))]
    pub documents: String,
}

impl ReadyChecks {
    fn failing(&self) -> Vec<String> {
        [
            ("server", &self.server),
            ("database", &self.database),
            ("document store", &self.documents),
        ]
        .into_iter()
        .filter(|(_, state)| *state != OK)
        .map(|(what, state)| format!("{what}: {state}"))
        .collect()
    }
}

/// The answer of a ready server.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    pub checks: ReadyChecks,
}

/// Whether this instance should get requests: its database answers a trivial query
/// within 2 s, its document store is a writable directory, and it is not shutting down.
/// Otherwise 503 `server.not_ready`, with `details.checks` saying which failed, so a load
/// balancer sends requests to other instances until this one recovers.
#[utoipa::path(get, path = "/v1/ready", tag = "meta",
    responses(
        (status = 200, body = Readiness, description = "Ready for requests."),
        (status = 503, body = trade_model::api::ApiError,
            description = "Not ready (`server.not_ready`); `details.checks` has the state of each check, as in a ready answer."),
    ))]
pub async fn ready(State(state): State<AppState>) -> HttpResult<Json<Readiness>> {
    let stopping = *state.stopping.borrow();
    let (database, documents) = tokio::join!(database(&state), documents(&state));
    let checks = ReadyChecks {
        server: if stopping { "shutting down" } else { OK }.to_owned(),
        database: database.to_owned(),
        documents: documents.to_owned(),
    };
    let failing = checks.failing();
    if failing.is_empty() {
        return Ok(Json(Readiness { checks }));
    }
    let details = serde_json::to_value(Readiness { checks }).map_err(HttpError::internal)?;
    Err(HttpError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::ServerNotReady,
        format!(
            "This server is not ready for requests ({}).",
            failing.join(", ")
        ),
    )
    .with_details(details))
}

async fn database(state: &AppState) -> &'static str {
    match tokio::time::timeout(READY_TIMEOUT, store::ping(state.db.pool())).await {
        Ok(Ok(())) => OK,
        Ok(Err(err)) => {
            tracing::warn!(%err, "readiness: the database query failed");
            "unreachable"
        }
        Err(_) => {
            tracing::warn!(timeout = ?READY_TIMEOUT, "readiness: the database did not answer in time");
            "timed out"
        }
    }
}

async fn documents(state: &AppState) -> &'static str {
    // The directory check runs off the async threads (a hung mount), an object store's
    // listing over the network: neither may hold the probe past its timeout.
    match tokio::time::timeout(READY_TIMEOUT, state.documents.ready()).await {
        Ok(Ok(())) => OK,
        Ok(Err(err)) => {
            tracing::warn!(%err, "readiness: the document store is unusable");
            "unusable"
        }
        Err(_) => {
            tracing::warn!(timeout = ?READY_TIMEOUT, "readiness: the document store did not answer in time");
            "timed out"
        }
    }
}

/// The server's metrics in the Prometheus text format (see `crate::metrics`, which says
/// why they may be read without a session: nothing in them is per account).
#[utoipa::path(get, path = "/metrics", tag = "meta",
    responses((status = 200, content_type = "text/plain", body = String,
        description = "The metrics, in the Prometheus text exposition format (version 0.0.4).")))]
pub async fn metrics(State(state): State<AppState>) -> HttpResult<Response> {
    let text = state.metrics.encode().map_err(HttpError::internal)?;
    Ok(([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response())
}
