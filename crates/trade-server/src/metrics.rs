//! Operational metrics, served at `GET /metrics` in the Prometheus text exposition format
//! (version 0.0.4): HTTP requests by route template, open live-event streams, sync
//! throughput, the deadline engine's work and the database pool. The registry belongs to
//! the server's state (one per server, no process-wide globals), so several servers in
//! one process (the tests) count apart.
//!
//! # Why `/metrics` needs no session
//!
//! Operators' scrapers have no user account, so the endpoint is open on the API's own
//! listener. That is safe because nothing in it is per account: every label value comes
//! from a closed set chosen here — a route *template* the router declares
//! (`/v1/orders/{id}`, never the requested path, so no id reaches it; a path no route
//! matches is `unmatched`), a standard method name (anything else is `other`), a status
//! code, an outcome or endpoint name — and every value is a count, a duration or a pool
//! size. No account id, email, record id or request content is ever a label, so a scrape
//! tells a stranger only how busy the server is. The closed label sets also bound the
//! number of series whatever clients send.

use std::fmt;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use sqlx::AnyPool;
use trade_model::sync::{MutationOutcome, MutationResult};

use crate::state::AppState;

/// The `Content-Type` of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The route label of a request no route matched (any path: unknown paths are not
/// labels, or a client could make up series without end).
pub const UNMATCHED: &str = "unmatched";

/// Request latency buckets, in seconds: Prometheus's usual defaults.
const LATENCY_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// The matched route template, or [`UNMATCHED`].
    route: String,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

/// Where sync records were served from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncEndpoint {
    /// `GET /v1/sync/pull`: the change feed.
    Pull,
    /// `GET /v1/sync/snapshot` and its stream: a first sync's current state.
    Snapshot,
}

impl SyncEndpoint {
    fn label(self) -> &'static str {
        match self {
            SyncEndpoint::Pull => "pull",
            SyncEndpoint::Snapshot => "snapshot",
        }
    }
}

type LatencyFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// The server's metrics and the registry they are encoded from.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    live_streams: Gauge,
    pushed: Family<OutcomeLabels, Counter>,
    served: Family<EndpointLabels, Counter>,
    deadline_runs: Counter,
    deadlines_applied: Counter,
}

impl Metrics {
    /// Every metric registered, the database `pool` read at each scrape.
    pub fn new(pool: &AnyPool) -> Metrics {
        let mut registry = Registry::with_prefix("trade");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status code",
            requests.clone(),
        );
        let latency: LatencyFamily =
            Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its answer's head (a streamed body's \
             transfer not included), by route template, method and status code",
            Unit::Seconds,
            latency.clone(),
        );
        let live_streams = Gauge::default();
        registry.register(
            "live_event_streams",
            "Open GET /v1/events streams",
            live_streams.clone(),
        );
        let pushed = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "sync_pushed_mutations",
            "Mutation results answered by POST /v1/sync/push, by outcome (a replayed \
             mutation counts again, with its first outcome)",
            pushed.clone(),
        );
        let served = Family::<EndpointLabels, Counter>::default();
        registry.register(
            "sync_served_records",
            "Changes (records and tombstones) served by GET /v1/sync/pull and \
             GET /v1/sync/snapshot, by endpoint",
            served.clone(),
        );
        // Present from the start, so rates over them exist before the first push/pull.
        for outcome in ["applied", "rejected"] {
            pushed.get_or_create(&OutcomeLabels { outcome }).inc_by(0);
        }
        for endpoint in [SyncEndpoint::Pull, SyncEndpoint::Snapshot] {
            let endpoint = endpoint.label();
            served.get_or_create(&EndpointLabels { endpoint }).inc_by(0);
        }
        let deadline_runs = Counter::default();
        registry.register(
            "deadline_runs",
            "Scans of the deadline engine for due deadlines",
            deadline_runs.clone(),
        );
        let deadlines_applied = Counter::default();
        registry.register(
            "deadlines_applied",
            "Order deadlines the deadline engine applied",
            deadlines_applied.clone(),
        );
        registry.register_collector(Box::new(PoolGauges(pool.clone())));
        Metrics {
            registry,
            requests,
            latency,
            live_streams,
            pushed,
            served,
            deadline_runs,
            deadlines_applied,
        }
    }

    /// The metrics in the Prometheus text format (see [`CONTENT_TYPE`]).
    pub fn encode(&self) -> Result<String, fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }

    fn request(&self, route: String, method: &Method, status: StatusCode, took: Duration) {
        let labels = RequestLabels {
            route,
            method: method_label(method),
            status: status.as_u16(),
        };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// Counts a live-event stream as open until the returned guard drops (the stream
    /// ended, or its client went away and the server dropped the stream).
    pub fn live_stream(&self) -> LiveStream {
        self.live_streams.inc();
        LiveStream(self.live_streams.clone())
    }

    /// Counts a push's answers by outcome.
    pub fn pushed(&self, results: &[MutationResult]) {
        let applied = results
            .iter()
            .filter(|r| matches!(r.outcome, MutationOutcome::Applied { .. }))
            .count();
        let rejected = results.len() - applied;
        for (outcome, n) in [("applied", applied), ("rejected", rejected)] {
            self.pushed
                .get_or_create(&OutcomeLabels { outcome })
                .inc_by(n as u64);
        }
    }

    /// Counts the changes one page of `endpoint` served.
    pub fn served(&self, endpoint: SyncEndpoint, changes: usize) {
        self.served
            .get_or_create(&EndpointLabels {
                endpoint: endpoint.label(),
            })
            .inc_by(changes as u64);
    }

    /// Counts one scan of the deadline engine.
    pub fn deadline_run(&self) {
        self.deadline_runs.inc();
    }

    /// Counts one deadline applied.
    pub fn deadline_applied(&self) {
        self.deadlines_applied.inc();
    }
}

/// One open live-event stream; counted down when dropped.
#[derive(Debug)]
pub struct LiveStream(Gauge);

impl Drop for LiveStream {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The method as a label: the standard ones by name, any other as `other` (methods are
/// free-form tokens a client chooses).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// The middleware over the whole router that counts and times every request by its
/// route template. It runs after routing (a `Router::layer`), so the matched template is
/// known; the framework's own rejections (404, 405, a body too large) are counted with
/// the status they were answered with. A request whose client went away before the
/// answer was ready is not counted.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_owned(), |p| p.as_str().to_owned());
    let method = request.method().clone();
    let response = next.run(request).await;
    state
        .metrics
        .request(route, &method, response.status(), started.elapsed());
    response
}

/// The database pool's gauges, read from the pool at each scrape.
#[derive(Debug)]
struct PoolGauges(AnyPool);

impl Collector for PoolGauges {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let options = self.0.options();
        let gauges: [(&str, &str, i64); 3] = [
            (
                "db_pool_connections",
                "Connections the database pool holds (in use and idle).",
                i64::from(self.0.size()),
            ),
            (
                "db_pool_idle_connections",
                "Idle connections in the database pool.",
                i64::try_from(self.0.num_idle()).unwrap_or(i64::MAX),
            ),
            (
                "db_pool_max_connections",
                "Most connections the database pool opens.",
                i64::from(options.get_max_connections()),
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            let metric = encoder.encode_descriptor(name, help, None, gauge.metric_type())?;
            gauge.encode(metric)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        let made_up = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&made_up), "other");
    }
}
