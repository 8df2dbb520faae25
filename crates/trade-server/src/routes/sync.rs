//! Sync endpoints: pull, push, and live pokes over Server-Sent Events. Each counts what
//! it served in the metrics (records pulled, mutations pushed, open event streams).

use std::convert::Infallible;
use std::time::Duration;
use trade_model::ErrorCode;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use serde::Deserialize;
use trade_model::sync::{
    MAX_PUSH_BATCH, Poke, PullResponse, PushRequest, PushResponse, SnapshotResponse,
};

use crate::auth::AuthUser;
use crate::error::{HttpError, HttpResult};
use crate::metrics::SyncEndpoint;
use crate::state::AppState;
use crate::store;

/// Idle connections get a comment line this often, so proxies and NATs keep them open
/// and clients notice a dead connection.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullQuery {
    /// Empty (or absent) for the first page; then the `next_cursor` of the last page.
    pub cursor: Option<String>,
    /// Changes per page (1 to 1000, default 500).
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/v1/sync/pull", tag = "sync", params(PullQuery),
    responses((status = 200, body = PullResponse), (status = 400, body = trade_model::api::ApiError)),
    security(("bearer" = [])))]
pub async fn pull(
    State(state): State<AppState>,
    user: AuthUser,
    Query(q): Query<PullQuery>,
) -> HttpResult<Json<crate::sync::PullPage>> {
    let cursor = q.cursor.unwrap_or_default();
    let page = crate::sync::pull_page(&state, &user, &cursor, q.limit.unwrap_or(500)).await?;
    state.metrics.served(SyncEndpoint::Pull, page.changes.len());
    Ok(Json(page))
}

#[utoipa::path(get, path = "/v1/sync/snapshot", tag = "sync", params(PullQuery),
    responses((status = 200, body = SnapshotResponse), (status = 400, body = trade_model::api::ApiError)),
    security(("bearer" = [])))]
pub async fn snapshot(
    State(state): State<AppState>,
    user: AuthUser,
    Query(q): Query<PullQuery>,
) -> HttpResult<Json<crate::sync::SnapshotPage>> {
    let cursor = q.cursor.unwrap_or_default();
    let page = crate::sync::snapshot(&state, &user, &cursor, q.limit.unwrap_or(500)).await?;
    state
        .metrics
        .served(SyncEndpoint::Snapshot, page.changes.len());
    Ok(Json(page))
}

/// How many pages one answer of the snapshot stream holds at most (the server's
/// `Config::snapshot_stream_pages`). A client goes on from the last page's
/// `next_cursor` with a new request, which is authorized again: a session revoked during
/// a first sync's walk is served no more than this after its revocation.
pub const STREAM_PAGES: usize = 100;

/// The pages of `/v1/sync/snapshot`, one after another in one answer: one JSON page a
/// line. The server reads the next page while the client takes the one before, so a
/// first sync does not wait a round trip per page. An answer ends after the walk's last
/// page (`has_more` false), after 100 pages, or sooner when the server stops; the client
/// goes on from its last page's `next_cursor` with a new request.
#[utoipa::path(get, path = "/v1/sync/snapshot/stream", tag = "sync", params(PullQuery),
    responses(
        (status = 200, content_type = "application/x-ndjson", body = SnapshotResponse,
            description = "One `SnapshotResponse` a line (newline-delimited JSON)."),
        (status = 400, body = trade_model::api::ApiError)),
    security(("bearer" = [])))]
pub async fn snapshot_stream(
    State(state): State<AppState>,
    user: AuthUser,
    Query(q): Query<PullQuery>,
) -> HttpResult<Response> {
    let cursor = q.cursor.unwrap_or_default();
    let limit = q.limit.unwrap_or(500);
    let pages = state.stream_pages.max(1);
    // The first page is read before the answer starts: a bad cursor is a 400, not a
    // stream cut short.
    let first = crate::sync::snapshot(&state, &user, &cursor, limit).await?;
    let stopping = state.stopping.clone();
    let stream = async_stream::stream! {
        let mut page = first;
        let mut sent = 0;
        loop {
            state.metrics.served(SyncEndpoint::Snapshot, page.changes.len());
            sent += 1;
            let next = page.has_more.then(|| page.next_cursor.clone());
            match serde_json::to_vec(&page) {
                Ok(mut line) => {
                    line.push(b'\n');
                    yield Ok::<_, Infallible>(Bytes::from(line));
                }
                Err(e) => {
                    tracing::error!(error = %e, "a snapshot page could not be encoded");
                    break;
                }
            }
            let Some(next) = next else { break };
            // The client goes on from the last page with a new request (to this server
            // or, while this one stops, another).
            if sent >= pages || *stopping.borrow() {
                break;
            }
            match crate::sync::snapshot(&state, &user, &next, limit).await {
                Ok(p) => page = p,
                Err(e) => {
                    tracing::warn!(code = e.code.as_str(), message = %e.message, "the snapshot stream ends early");
                    break;
                }
            }
        }
    };
    Ok((
        [(CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(stream),
    )
        .into_response())
}

#[utoipa::path(post, path = "/v1/sync/push", tag = "sync", request_body = PushRequest,
    responses((status = 200, body = PushResponse), (status = 422, body = trade_model::api::ApiError)),
    security(("bearer" = [])))]
pub async fn push(
    State(state): State<AppState>,
    user: AuthUser,
    Json(req): Json<PushRequest>,
) -> HttpResult<Json<PushResponse>> {
    if req.mutations.len() > MAX_PUSH_BATCH {
        return Err(HttpError::unprocessable(
            ErrorCode::SyncBatchTooLarge,
            format!("Push at most {MAX_PUSH_BATCH} mutations at a time."),
        ));
    }
    let results = crate::sync::push(&state, &user, req.mutations).await?;
    state.metrics.pushed(&results);
    Ok(Json(PushResponse { results }))
}

fn poke(account_version: i64, name: &'static str) -> Event {
    Event::default()
        .event(name)
        .data(serde_json::to_string(&Poke { account_version }).unwrap_or_default())
}

/// `ready` with the account's version on connect, then `changed` whenever it moves
/// ("pull now"); a heartbeat comment every 15 s while idle.
#[utoipa::path(get, path = "/v1/events", tag = "sync",
    responses((status = 200, content_type = "text/event-stream", body = Poke)),
    security(("bearer" = [])))]
pub async fn events(
    State(state): State<AppState>,
    user: AuthUser,
) -> HttpResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    // Subscribe before reading the version, so a commit in between is not missed.
    let mut changes = state.db.live().subscribe(&user.id.to_string());
    let current = store::sync::account_version(&state.db, user.id).await?;
    let mut stopping = state.stopping.clone();
    // Counted from here until the stream is dropped: when it ends, or when its client
    // goes away and the server drops it.
    let open = state.metrics.live_stream();
    let stream = async_stream::stream! {
        let _open = open;
        yield Ok(poke(current, "ready"));
        let mut seen = current;
        loop {
            tokio::select! {
                changed = changes.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let version = *changes.borrow_and_update();
                    if version > seen {
                        seen = version;
                        yield Ok(poke(version, "changed"));
                    }
                }
                // The client reconnects (to this or another instance) and pulls.
                _ = stopping.changed() => break,
            }
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(state.heartbeat)))
}
