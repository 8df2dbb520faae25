//! The API's error type: an HTTP status, a stable machine-readable code and a message
//! for people. Handlers return `Result<_, HttpError>`; the UI switches on `code`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use trade_model::{ErrorCode, Rejection};

#[derive(Debug)]
pub struct HttpError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    pub details: Option<serde_json::Value>,
}

impl HttpError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    /// A record that does not exist or that the caller may not see: always 404, so
    /// existence is not leaked.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("No such {what}."),
        )
    }

    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unprocessable(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// The database gave up on this request for a conflicting one (see
    /// `store::is_contention`): 503, nothing took effect, try again.
    pub fn busy(err: impl std::fmt::Display) -> Self {
        tracing::warn!(%err, "a transaction met a conflicting one");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServerBusy,
            "The server was busy with a conflicting change; please try again.",
        )
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(%err, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "Something went wrong on the server; please try again.",
        )
    }
}

impl From<Rejection> for HttpError {
    fn from(r: Rejection) -> Self {
        let status = match &r {
            Rejection::VersionConflict { .. } => StatusCode::PRECONDITION_FAILED,
            Rejection::WrongParty { .. } => StatusCode::FORBIDDEN,
            Rejection::InvalidTerms(_)
            | Rejection::InvalidText
            | Rejection::InvalidFeedback
            | Rejection::InvalidAmount
            | Rejection::TooMuchEvidence { .. }
            | Rejection::AmountMismatch { .. }
            | Rejection::RefundExceedsPaid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::CONFLICT,
        };
        let details = r.details();
        HttpError {
            status,
            code: r.code(),
            message: r.to_string(),
            details,
        }
    }
}

impl From<sqlx::Error> for HttpError {
    /// A unique-key violation is a client's id colliding with an existing record (ids of
    /// inquiries, messages, orders and payments come from clients): a refusal, not a
    /// server fault. Everything else is internal.
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return HttpError::conflict(
                ErrorCode::RecordIdTaken,
                "A record with this id exists already; send it under a new id.",
            );
        }
        if crate::store::is_contention(&e) {
            return HttpError::busy(e);
        }
        HttpError::internal(e)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let body = trade_model::api::ApiError {
            code: self.code,
            message: self.message,
            details: self.details,
        };
        let retry_after = (self.status == StatusCode::TOO_MANY_REQUESTS)
            .then(|| body.details.as_ref()?.get("retry_after_secs")?.as_u64())
            .flatten();
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        response
    }
}

pub type HttpResult<T> = Result<T, HttpError>;

/// The largest framework rejection text kept as the message (they are one line).
const MAX_REJECTION_TEXT: usize = 4 * 1024;

/// Answers every rejection in the one JSON error shape, including the framework's own
/// (malformed JSON, a wrong content type, a bad path or query value, a body too large,
/// an unknown route or method), which axum writes as plain text. Its text becomes the
/// message; the code names the kind of rejection.
pub async fn json_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_REJECTION_TEXT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let code = match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::RequestMethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::RequestTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::RequestUnsupportedMediaType,
        StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::RequestInvalid,
        s if s.is_client_error() => ErrorCode::RequestMalformed,
        _ => ErrorCode::Internal,
    };
    let message = if status.is_server_error() {
        // Whatever a fault wrote stays in the log, not in the answer.
        tracing::error!(%status, text, "a fault answered without the error shape");
        "Something went wrong on the server; please try again.".to_owned()
    } else if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("The request was refused.")
            .to_owned()
    } else {
        text
    };
    let mut rejected = HttpError::new(status, code, message).into_response();
    // Keep what the framework said about the method (Allow) and the like.
    for (name, value) in parts.headers.iter() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            rejected.headers_mut().insert(name, value.clone());
        }
    }
    rejected
}
