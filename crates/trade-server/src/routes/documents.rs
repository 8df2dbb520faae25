//! Upload and download of contracts, pro forma invoices, attachments and evidence.
//! Uploads are streamed to a temporary file with the size cap enforced while reading,
//! checked by `trade-documents` (the same rules the client applies before sending), then
//! kept under their SHA-256. Downloads are always attachments with `nosniff`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use trade_documents::{DocumentError, MAX_DOCUMENT_BYTES};
use trade_model::DocumentId;
use trade_model::ErrorCode;
use trade_model::entities::DocumentMeta;

use crate::auth::AuthUser;
use crate::documents::{HashingWriter, StoreError};
use crate::error::{HttpError, HttpResult};
use crate::idempotency::{self, Begun, Idempotency, Key};
use crate::state::AppState;
use crate::store;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name as the user chose it; sanitised before use.
    pub name: String,
    /// The id the client already refers to the document by (an offline client attaches
    /// files to drafts and messages before it can upload them). Uploading the same bytes
    /// under the same id again returns the stored document; another account's id, or
    /// other bytes, is refused with `document.id_taken`.
    #[serde(default)]
    #[param(value_type = Option<String>)]
    pub id: Option<DocumentId>,
}

/// A store failure as an answer. Never names a path, bucket or key: the log line has the
/// cause, the client the code. Content whose metadata exists but whose blob is gone is
/// 410 (sending again will not help); a store that does not answer is 503 (it may).
pub(crate) fn store_error(err: StoreError) -> HttpError {
    match err {
        StoreError::Missing => {
            tracing::error!("a document's content is missing from the document store");
            HttpError::new(
                StatusCode::GONE,
                ErrorCode::DocumentContentMissing,
                "The document's content is no longer available on the server.",
            )
        }
        StoreError::Unavailable(err) => {
            tracing::warn!(%err, "the document store is unavailable");
            HttpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::DocumentStoreUnavailable,
                "Documents cannot be stored or read right now; please try again.",
            )
        }
        other => HttpError::internal(other),
    }
}

fn document_error(err: DocumentError) -> HttpError {
    let status = match err.code() {
        ErrorCode::DocumentTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::DocumentIo => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    HttpError::new(status, err.code(), err.to_string())
}

#[utoipa::path(post, path = "/v1/documents", tag = "documents", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = DocumentMeta), (status = 413), (status = 422, body = trade_model::api::ApiError),
        (status = 503, description = "The document store is unavailable (`document.store_unavailable`); send it again.", body = trade_model::api::ApiError)),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    user: AuthUser,
    Query(q): Query<UploadQuery>,
    request: Request,
) -> HttpResult<Response> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Fail fast on the name and a declared size before reading anything.
    trade_documents::precheck(&q.name, declared.unwrap_or(1).max(1)).map_err(document_error)?;
    let idem_key = idempotency::key_header(request.headers())?;

    let temp = state.documents.temp_file().map_err(HttpError::internal)?;
    let file = temp.reopen().map_err(HttpError::internal)?;
    let mut writer = HashingWriter::new(std::io::BufWriter::new(file), MAX_DOCUMENT_BYTES);
    let mut stream = request.into_body().into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            HttpError::bad_request(
                ErrorCode::DocumentUploadInterrupted,
                "The upload was interrupted.",
            )
        })?;
        if !writer.push(&chunk).map_err(HttpError::internal)? {
            return Err(document_error(DocumentError::TooLarge {
                size: MAX_DOCUMENT_BYTES + 1,
            }));
        }
    }
    let (size, sha256) = writer.finish().map_err(HttpError::internal)?;

    // The body is streamed here, not buffered by the idempotency layer: the key's
    // fingerprint is the upload's name, id and content hash.
    let key = idem_key.map(|key| Key {
        account: user.id.to_string(),
        key,
        fingerprint: format!(
            "POST /v1/documents\n{}\n{}\n{sha256}",
            q.name,
            q.id.map(|id| id.to_string()).unwrap_or_default()
        ),
    });
    let response = match keep(&state, &user, &q, key.clone(), temp, size, sha256).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    };
    Ok(match &key {
        Some(key) => idempotency::keep_refusal(&state, key, response).await,
        None => response,
    })
}

/// Checks the uploaded bytes, keeps them under their hash, and records the document
/// (with the key's answer, in one transaction).
#[allow(clippy::too_many_arguments)]
async fn keep(
    state: &AppState,
    user: &AuthUser,
    q: &UploadQuery,
    key: Option<Key>,
    temp: tempfile::NamedTempFile,
    size: u64,
    sha256: String,
) -> HttpResult<Response> {
    let id = q.id.unwrap_or_default();
    let meta = check_and_keep(state, user, &q.name, id, temp, size, sha256).await?;
    let mut w = match Idempotency(key).begin(state).await? {
        Begun::Write(w) => w,
        Begun::Replay(response) => return Ok(response),
    };
    if q.id.is_some()
        && let Some(existing) = store::documents::meta_on(w.conn(), id).await?
    {
        if existing.uploaded_by == user.id && existing.sha256 == meta.sha256 {
            return w.respond(StatusCode::OK, &existing).await;
        }
        return Err(HttpError::conflict(
            ErrorCode::DocumentIdTaken,
            "A different document already has this id.",
        ));
    }
    store::documents::insert(&mut w, &meta).await?;
    w.respond(StatusCode::CREATED, &meta).await
}

async fn check_and_keep(
    state: &AppState,
    user: &AuthUser,
    raw_name: &str,
    id: DocumentId,
    temp: tempfile::NamedTempFile,
    size: u64,
    sha256: String,
) -> HttpResult<DocumentMeta> {
    let name = raw_name.to_owned();
    let (checked, temp) = tokio::task::spawn_blocking(move || {
        let file = temp.reopen()?;
        let checked = trade_documents::check_document(&name, std::io::BufReader::new(file), size);
        Ok::<_, std::io::Error>((checked, temp))
    })
    .await
    .map_err(HttpError::internal)?
    .map_err(HttpError::internal)?;
    let checked = checked.map_err(document_error)?;
    state
        .documents
        .keep(temp, &sha256)
        .await
        .map_err(store_error)?;
    let meta = DocumentMeta {
        id,
        file_name: checked.file_name.clone(),
        kind: checked.kind.as_str().to_owned(),
        media_type: checked.content_type(),
        size: i64::try_from(size).map_err(HttpError::internal)?,
        sha256,
        uploaded_by: user.id,
        uploaded_at: state.now(),
    };
    Ok(meta)
}

#[utoipa::path(get, path = "/v1/documents/{id}", tag = "documents",
    responses((status = 200, body = DocumentMeta), (status = 404)), security(("bearer" = [])))]
pub async fn meta(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<DocumentId>,
) -> HttpResult<Json<DocumentMeta>> {
    Ok(Json(
        store::documents::visible(&state.db, user.id, user.role, id).await?,
    ))
}

/// `filename*=` per RFC 6266/5987 plus an ASCII fallback; the stored name is already
/// sanitised, this only encodes it.
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(b) {
            encoded.push(char::from(*b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[utoipa::path(get, path = "/v1/documents/{id}/content", tag = "documents",
    responses((status = 200, content_type = "application/octet-stream"), (status = 404),
        (status = 410, description = "The document's content is missing from the store (`document.content_missing`).", body = trade_model::api::ApiError),
        (status = 503, description = "The document store is unavailable (`document.store_unavailable`); try again.", body = trade_model::api::ApiError)),
    security(("bearer" = [])))]
pub async fn content(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<DocumentId>,
) -> HttpResult<Response> {
    let meta = store::documents::visible(&state.db, user.id, user.role, id).await?;
    let blob = state
        .documents
        .read(&meta.sha256)
        .await
        .map_err(store_error)?;
    let body = Body::from_stream(blob);
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&meta.media_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(meta.size as u64));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&content_disposition(&meta.file_name))
            .unwrap_or(HeaderValue::from_static("attachment")),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

#[utoipa::path(delete, path = "/v1/documents/{id}", tag = "documents",
    responses((status = 204), (status = 404), (status = 409, body = trade_model::api::ApiError)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<DocumentId>,
) -> HttpResult<StatusCode> {
    let mut w = state.db.begin().await?;
    store::documents::delete_unshared(&mut w, user.id, id).await?;
    w.commit().await?;
    // The content stays in the store: an upload of the same bytes may be relying on it
    // right now. Unreferenced content is left for a sweep, never removed inline.
    Ok(StatusCode::NO_CONTENT)
}
