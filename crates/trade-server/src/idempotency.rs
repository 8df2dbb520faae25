//! `Idempotency-Key` for every write that is not naturally repeatable, with Stripe's
//! semantics: the same key replays the first response; the same key with another
//! request is 422. Keys are scoped to the account.
//!
//! Exactly once, whatever happens to the connection or the process: the key is taken
//! inside the request's own write transaction and the response is stored in that same
//! transaction before it commits ([`Idempotency::begin`], [`KeyedWrite::respond`]), so
//! the effect and its answer exist together or not at all. A retry after a crash or a
//! reset gets the first answer (effect applied) or runs the request once (not applied);
//! a concurrent duplicate waits for the first to end and then replays it. There is no
//! committed "in progress" state to get stuck in, except a card payment waiting for the
//! gateway (`payment.processing`), which the payment reconciler always ends.
//!
//! Refusals (4xx) of the request itself, answered before anything was written, are
//! kept too. Not kept, so a retry runs again: responses with a 5xx status, and
//! refusals about the moment or the key's state (`payment.processing`, a rate limit, a
//! conflicting change; [`is_about_the_request`]).

use std::convert::Infallible;
use trade_model::ErrorCode;

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::auth::AuthUser;
use crate::db::Write;
use crate::error::{HttpError, HttpResult};
use crate::state::AppState;
use crate::store::idempotency::{self, Claim};

pub use crate::store::idempotency::{Key, Stored};

pub const HEADER: &str = "idempotency-key";
/// Set on a replayed response.
pub const REPLAYED: &str = "idempotent-replayed";
const MAX_BODY: usize = 1024 * 1024;
const MAX_KEY_CHARS: usize = 255;

/// Runs every handler in a task of its own, so a client that goes away does not cancel a
/// write half-way: a request that has started runs to its end, and a retry finds its
/// answer.
pub async fn run_to_completion(request: Request, next: Next) -> Response {
    match tokio::spawn(next.run(request)).await {
        Ok(response) => response,
        Err(err) => HttpError::internal(format!("handler task failed: {err}")).into_response(),
    }
}

/// Checks the key of a keyed route's request and hands it to the handler (the
/// [`Idempotency`] extractor); afterwards keeps a refusal the handler answered. Every
/// handler behind it writes through [`Idempotency::begin`].
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (request, key) = match check(&state, request).await {
        Ok(checked) => checked,
        Err(err) => return err.into_response(),
    };
    let response = next.run(request).await;
    match key {
        Some(key) => keep_refusal(&state, &key, response).await,
        None => response,
    }
}

/// Keeps `response` as `key`'s answer if it is a refusal (4xx) of the request itself
/// and the key has no answer yet: nothing was written, and the same request would be
/// refused again (see [`is_about_the_request`]).
pub async fn keep_refusal(state: &AppState, key: &Key, response: Response) -> Response {
    keep_refusal_in(&state.db, state.now(), key, response).await
}

async fn keep_refusal_in(
    db: &crate::db::Db,
    now: jiff::Timestamp,
    key: &Key,
    response: Response,
) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    // A framework rejection (malformed body, wrong content type) is not kept: it is
    // given again as it is, and in the error shape by `error::json_errors`.
    if !response.status().is_client_error() || response.headers().contains_key(REPLAYED) || !is_json
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match to_bytes(body, 16 * MAX_BODY).await {
        Ok(body) => body,
        Err(err) => return HttpError::internal(err).into_response(),
    };
    let code = serde_json::from_slice::<trade_model::api::ApiError>(&body).map(|e| e.code);
    if !code.is_ok_and(|code| is_about_the_request(parts.status, code)) {
        return Response::from_parts(parts, Body::from(body));
    }
    let stored = Stored {
        status: parts.status.as_u16(),
        body: String::from_utf8_lossy(&body).into_owned(),
        etag: None,
    };
    if let Err(err) = idempotency::keep_refusal(db, key, &stored, now).await {
        return HttpError::from(err).into_response();
    }
    Response::from_parts(parts, Body::from(body))
}

/// Whether a refusal is the request's own answer, which a retry must be given again.
/// Not so, and never kept: a refusal about this moment (a timeout, a rate limit, a
/// conflicting change, a store or gateway that did not answer) or about the key's
/// state (used for another request; its card payment still waiting for the gateway).
/// The key's row may change the next instant (the reconciler frees the key of a
/// payment that charged nothing), and a kept "still processing" would then be the
/// key's answer for ever.
fn is_about_the_request(status: StatusCode, code: ErrorCode) -> bool {
    let passing = matches!(
        status,
        StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS
    ) || matches!(
        code,
        ErrorCode::PaymentProcessing
            | ErrorCode::IdempotencyKeyReused
            | ErrorCode::OrderConcurrentChange
            | ErrorCode::AuthRateLimited
            | ErrorCode::RequestRateLimited
            | ErrorCode::ServerBusy
            | ErrorCode::ServerNotReady
            | ErrorCode::DocumentStoreUnavailable
            | ErrorCode::PaymentGatewayUnavailable
            | ErrorCode::Internal
            | ErrorCode::Unknown
    );
    status.is_client_error() && !passing
}

/// The checked value of a request's `Idempotency-Key` header, if it has one.
pub fn key_header(headers: &axum::http::HeaderMap) -> HttpResult<Option<String>> {
    let Some(key) = headers.get(HEADER) else {
        return Ok(None);
    };
    key.to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_CHARS)
        .map(|k| Some(k.to_owned()))
        .ok_or_else(|| {
            HttpError::bad_request(
                ErrorCode::IdempotencyBadKey,
                "Idempotency-Key must be 1 to 255 visible characters.",
            )
        })
}

async fn check(state: &AppState, request: Request) -> HttpResult<(Request, Option<Key>)> {
    let Some(key) = key_header(request.headers())? else {
        return Ok((request, None));
    };
    let (mut parts, body) = request.into_parts();
    let user = AuthUser::from_request_parts(&mut parts, state).await?;
    let bytes = to_bytes(body, MAX_BODY).await.map_err(|_| {
        HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::RequestTooLarge,
            "The request body is too large.",
        )
    })?;
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(parts.uri.path().as_bytes());
    // The version a step was taken on is part of the request: the same key with
    // another If-Match is another request.
    if let Some(version) = parts.headers.get(header::IF_MATCH) {
        hasher.update(b" if-match ");
        hasher.update(version.as_bytes());
    }
    hasher.update(b"\n");
    hasher.update(&bytes);
    let key = Key {
        account: user.id.to_string(),
        key,
        fingerprint: hex::encode(hasher.finalize()),
    };
    parts.extensions.insert(key.clone());
    Ok((Request::from_parts(parts, Body::from(bytes)), Some(key)))
}

/// The request's checked `Idempotency-Key`, if it sent one.
#[derive(Debug, Clone, Default)]
pub struct Idempotency(pub Option<Key>);

impl<S: Send + Sync> FromRequestParts<S> for Idempotency {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Idempotency(parts.extensions.get::<Key>().cloned()))
    }
}

/// What [`Idempotency::begin`] found.
pub enum Begun {
    /// Run the request in this transaction.
    Write(KeyedWrite),
    /// The key answered before: send this.
    Replay(Response),
}

impl Idempotency {
    /// Starts the request's write transaction and takes its key in it.
    pub async fn begin(self, state: &AppState) -> HttpResult<Begun> {
        let mut w = state.db.begin().await?;
        if let Some(key) = &self.0 {
            match idempotency::claim(&mut w, key, state.now()).await? {
                Claim::Owned => {}
                Claim::Replay(stored) => {
                    w.rollback().await?;
                    return Ok(Begun::Replay(replay(stored)));
                }
                Claim::Mismatch => {
                    w.rollback().await?;
                    return Err(HttpError::conflict(
                        ErrorCode::IdempotencyKeyReused,
                        "This Idempotency-Key was already used for a different request.",
                    ));
                }
                Claim::Processing { payment } => {
                    w.rollback().await?;
                    return Err(processing(&payment));
                }
            }
        }
        Ok(Begun::Write(KeyedWrite { w, key: self.0 }))
    }
}

/// The answer to a retry while the key's card payment waits for the gateway: not
/// failed, not kept; ask again (or watch the payment) for the outcome.
pub fn processing(payment: &str) -> HttpError {
    HttpError::conflict(
        ErrorCode::PaymentProcessing,
        "The payment is still being processed; its outcome follows shortly.",
    )
    .with_details(serde_json::json!({ "payment_id": payment }))
}

fn replay(stored: Stored) -> Response {
    let mut response = Response::new(Body::from(stored.body));
    *response.status_mut() = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    if let Some(etag) = stored.etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
        headers.insert(header::ETAG, etag);
    }
    response
}

/// A response as it is sent and as it is kept for replay.
pub fn stored_response(
    status: StatusCode,
    body: &impl Serialize,
    etag: Option<String>,
) -> HttpResult<Stored> {
    Ok(Stored {
        status: status.as_u16(),
        body: serde_json::to_string(body).map_err(HttpError::internal)?,
        etag,
    })
}

/// The response a stored answer is sent as (first time or replayed alike, minus the
/// replay marker).
pub fn into_response(stored: Stored) -> Response {
    let mut response = replay(stored);
    response.headers_mut().remove(REPLAYED);
    response
}

/// A write transaction holding the request's key (if it has one).
pub struct KeyedWrite {
    w: Write,
    key: Option<Key>,
}

impl std::ops::Deref for KeyedWrite {
    type Target = Write;
    fn deref(&self) -> &Write {
        &self.w
    }
}

impl std::ops::DerefMut for KeyedWrite {
    fn deref_mut(&mut self) -> &mut Write {
        &mut self.w
    }
}

impl KeyedWrite {
    /// Stores `status` and `body` as the key's answer, commits, and returns the response.
    pub async fn respond(self, status: StatusCode, body: &impl Serialize) -> HttpResult<Response> {
        self.respond_stored(stored_response(status, body, None)?)
            .await
    }

    /// As `respond`, with an `ETag` that a replay carries too.
    pub async fn respond_with_etag(
        self,
        status: StatusCode,
        body: &impl Serialize,
        etag: String,
    ) -> HttpResult<Response> {
        self.respond_stored(stored_response(status, body, Some(etag))?)
            .await
    }

    async fn respond_stored(mut self, stored: Stored) -> HttpResult<Response> {
        if let Some(key) = &self.key {
            idempotency::complete(&mut self.w, key, &stored).await?;
        }
        self.w.commit().await?;
        Ok(into_response(stored))
    }

    /// Commits the effect with the key marked as waiting for card payment `payment`'s
    /// outcome (stored with it by the payment's settlement).
    pub async fn commit_processing(mut self, payment: &str) -> HttpResult<()> {
        if let Some(key) = &self.key {
            idempotency::mark_processing(&mut self.w, key, payment).await?;
        }
        self.w.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    fn refusal(status: StatusCode, code: ErrorCode) -> Response {
        HttpError::new(status, code, "refused").into_response()
    }

    async fn claim(db: &Db, key: &Key) -> Claim {
        let mut w = db.begin().await.expect("a write transaction");
        let claim = idempotency::claim(&mut w, key, jiff::Timestamp::UNIX_EPOCH)
            .await
            .expect("the key is read");
        w.rollback().await.expect("rolled back");
        claim
    }

    /// The fault found under kills: a retry told "still processing" while the
    /// reconciler freed its key (the card was never charged) had that answer kept, and
    /// every later retry got it for good. A refusal about the moment leaves a free key
    /// free; a refusal of the request itself is kept.
    #[tokio::test]
    async fn only_a_refusal_of_the_request_itself_becomes_the_keys_answer() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let db = Db::open_sqlite(&dir.path().join("trade.db"))
            .await
            .expect("the database opens");
        let now = jiff::Timestamp::UNIX_EPOCH;
        let passing = [
            (StatusCode::CONFLICT, ErrorCode::PaymentProcessing),
            (StatusCode::CONFLICT, ErrorCode::IdempotencyKeyReused),
            (StatusCode::CONFLICT, ErrorCode::OrderConcurrentChange),
            (StatusCode::TOO_MANY_REQUESTS, ErrorCode::AuthRateLimited),
            (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RequestRateLimited),
            (StatusCode::REQUEST_TIMEOUT, ErrorCode::RequestInvalid),
        ];
        for (n, (status, code)) in passing.into_iter().enumerate() {
            let key = Key {
                account: "buyer".into(),
                key: format!("passing-{n}"),
                fingerprint: "POST /v1/orders/o/payments".into(),
            };
            let sent = keep_refusal_in(&db, now, &key, refusal(status, code)).await;
            assert_eq!(sent.status(), status, "{code} is still answered");
            assert!(
                matches!(claim(&db, &key).await, Claim::Owned),
                "{code} ({status}) was kept as the key's answer"
            );
        }
        let key = Key {
            account: "buyer".into(),
            key: "final".into(),
            fingerprint: "POST /v1/orders/o/confirm".into(),
        };
        let refused = refusal(StatusCode::CONFLICT, ErrorCode::OrderInvalidState);
        keep_refusal_in(&db, now, &key, refused).await;
        match claim(&db, &key).await {
            Claim::Replay(stored) => {
                assert_eq!(stored.status, 409);
                assert!(
                    stored.body.contains("order.invalid_state"),
                    "{}",
                    stored.body
                );
            }
            other => panic!("a refusal of the request was not kept: {other:?}"),
        }
    }
}
