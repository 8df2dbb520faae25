//! `Idempotency-Key` for POSTs that create things or move money, with Stripe's
//! semantics: the same key replays the first response; the same key with another
//! request is 422; a request arriving while the first with its key still runs is 409.
//! Keys are scoped to the account. Responses with a 5xx status are not kept, so a retry
//! after a server fault runs again.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::idempotency::{self, Claim};

pub const HEADER: &str = "idempotency-key";
const MAX_BODY: usize = 1024 * 1024;
const MAX_KEY_CHARS: usize = 255;

pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match handle(state, request, next).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn handle(state: AppState, request: Request, next: Next) -> Result<Response, ApiError> {
    let Some(key) = request.headers().get(HEADER).cloned() else {
        return Ok(next.run(request).await);
    };
    let key = key
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_CHARS)
        .ok_or_else(|| {
            ApiError::bad_request(
                "idempotency.bad_key",
                "Idempotency-Key must be 1 to 255 visible characters.",
            )
        })?
        .to_owned();
    let (mut parts, body) = request.into_parts();
    let user = AuthUser::from_request_parts(&mut parts, &state).await?;
    let bytes = to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request.too_large",
            "The request body is too large.",
        )
    })?;
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(parts.uri.path().as_bytes());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let fingerprint = hex::encode(hasher.finalize());
    let account = user.id.to_string();
    match idempotency::claim(&state.db, &account, &key, &fingerprint, state.now()).await? {
        Claim::Owned => {}
        Claim::Replay { status, body } => {
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let headers = response.headers_mut();
            headers.insert("content-type", HeaderValue::from_static("application/json"));
            headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
            return Ok(response);
        }
        Claim::Mismatch => {
            return Err(ApiError::unprocessable(
                "idempotency.key_reused",
                "This Idempotency-Key was already used for a different request.",
            ));
        }
        Claim::InProgress => {
            return Err(ApiError::conflict(
                "idempotency.in_progress",
                "A request with this Idempotency-Key is still being processed.",
            ));
        }
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = response.into_parts();
    let body = to_bytes(body, 16 * MAX_BODY)
        .await
        .map_err(ApiError::internal)?;
    if parts.status.is_server_error() {
        idempotency::release(&state.db, &account, &key).await?;
    } else {
        let text = String::from_utf8_lossy(&body);
        idempotency::complete(&state.db, &account, &key, parts.status.as_u16(), &text).await?;
    }
    Ok(Response::from_parts(parts, Body::from(body)))
}
