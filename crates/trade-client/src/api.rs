//! The trade backend's HTTP API as the engine uses it. Every call maps a non-success
//! answer to `ClientError::Api` with the server's machine-readable code.

use std::path::Path;

use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use trade_model::api::{LoginRequest, RefreshRequest, Session};
use trade_model::api::{PaymentQuote, PaymentResult};
use trade_model::entities::DocumentMeta;
use trade_model::sync::{Mutation, Poke, PullResponse, PushRequest, PushResponse};
use trade_model::{DocumentId, OrderId};

use crate::error::{ClientCode, ClientError, Result};
use crate::profile::ServerProfile;
use crate::store::WalkChange;

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    streaming: reqwest::Client,
    base: String,
}

/// `resp` when it succeeded, to be read as a stream; else the error [`answer`] makes of
/// the refusal.
async fn accepted(resp: reqwest::Response) -> Result<reqwest::Response> {
    if resp.status().is_success() {
        return Ok(resp);
    }
    Err(answer::<serde_json::Value>(resp)
        .await
        .err()
        .unwrap_or_else(|| ClientError::Decode("a refusal that was not one".into())))
}

async fn answer<T: DeserializeOwned>(resp: reqwest::Response) -> Result<T> {
    let status = resp.status();
    if status.is_success() {
        return resp
            .json()
            .await
            .map_err(|e| ClientError::Decode(e.to_string()));
    }
    // How long a 429 asks to wait (seconds; the HTTP-date form is not sent by the server).
    let retry_after: Option<u64> = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let text = resp.text().await.unwrap_or_default();
    Err(
        match serde_json::from_str::<trade_model::api::ApiError>(&text) {
            Ok(e) => ClientError::Api {
                status: status.as_u16(),
                code: e.code.as_str().to_owned(),
                message: e.message,
                details: with_retry_after(e.details, retry_after),
            },
            Err(_) => ClientError::Api {
                status: status.as_u16(),
                code: if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                    ClientCode::TooManyRequests
                } else {
                    ClientCode::UnexpectedAnswer
                }
                .as_str()
                .to_owned(),
                message: format!("The server answered {status}."),
                details: with_retry_after(None, retry_after),
            },
        },
    )
}

/// `details` with the Retry-After header's seconds as `retry_after_secs` when the body
/// did not say (a proxy's 429, say), so `ClientError::retry_after` finds them in one place.
fn with_retry_after(
    details: Option<serde_json::Value>,
    retry_after: Option<u64>,
) -> Option<serde_json::Value> {
    let Some(secs) = retry_after else {
        return details;
    };
    let mut details = details.unwrap_or_else(|| serde_json::json!({}));
    if let Some(map) = details.as_object_mut() {
        map.entry("retry_after_secs").or_insert(secs.into());
    }
    Some(details)
}

/// A live event from `/v1/events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveEvent {
    Ready(Poke),
    Changed(Poke),
}

impl Api {
    pub fn new(profile: &ServerProfile) -> Result<Api> {
        Ok(Api {
            http: profile.client()?,
            streaming: profile.streaming_client()?,
            base: profile.base_url()?,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn login(&self, email: &str, password: &str) -> Result<Session> {
        let req = LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
        };
        answer(
            self.http
                .post(self.url("/v1/sessions"))
                .json(&req)
                .send()
                .await?,
        )
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<Session> {
        let req = RefreshRequest {
            refresh_token: refresh_token.to_owned(),
        };
        answer(
            self.http
                .post(self.url("/v1/sessions/refresh"))
                .json(&req)
                .send()
                .await?,
        )
        .await
    }

    pub async fn logout(&self, access: &str) -> Result<()> {
        let resp = self
            .http
            .delete(self.url("/v1/sessions/current"))
            .bearer_auth(access)
            .send()
            .await?;
        if resp.status().is_success() {
            Ok(())
        } else {
            answer::<serde_json::Value>(resp).await.map(|_| ())
        }
    }

    pub async fn pull(&self, access: &str, cursor: &str, limit: i64) -> Result<PullResponse> {
        self.sync_page("/v1/sync/pull", access, cursor, limit).await
    }

    /// One page of a first sync's walk of the account's current state (newest first).
    pub async fn snapshot(&self, access: &str, cursor: &str, limit: i64) -> Result<WalkPage> {
        self.sync_page("/v1/sync/snapshot", access, cursor, limit)
            .await
    }

    /// A first sync's walk from `cursor` as one answer of many pages, each `limit`
    /// records (`/v1/sync/snapshot/stream`): the server reads the next page while this
    /// side applies the one before, with no round trip between them.
    pub async fn snapshot_stream(
        &self,
        access: &str,
        cursor: &str,
        limit: i64,
    ) -> Result<SnapshotPages> {
        let resp = self
            .streaming
            .get(self.url("/v1/sync/snapshot/stream"))
            .query(&[("cursor", cursor), ("limit", &limit.to_string())])
            .bearer_auth(access)
            .send()
            .await?;
        let resp = accepted(resp).await?;
        Ok(SnapshotPages {
            body: resp,
            buf: Vec::new(),
            scanned: 0,
        })
    }

    /// A page of the sync endpoint at `path` after `cursor`.
    async fn sync_page<T: DeserializeOwned>(
        &self,
        path: &str,
        access: &str,
        cursor: &str,
        limit: i64,
    ) -> Result<T> {
        let resp = self
            .http
            .get(self.url(path))
            .query(&[("cursor", cursor), ("limit", &limit.to_string())])
            .bearer_auth(access)
            .send()
            .await?;
        answer(resp).await
    }

    pub async fn push(&self, access: &str, mutations: Vec<Mutation>) -> Result<PushResponse> {
        let resp = self
            .http
            .post(self.url("/v1/sync/push"))
            .bearer_auth(access)
            .json(&PushRequest { mutations })
            .send()
            .await?;
        answer(resp).await
    }

    /// Uploads the file at `path` under `id`, streamed from disk (never read whole into
    /// memory); `progress` is told the bytes sent so far. Repeating it after a lost
    /// answer returns the stored document.
    pub async fn upload(
        &self,
        access: &str,
        id: DocumentId,
        name: &str,
        path: &Path,
        progress: impl Fn(u64) + Send + Sync + 'static,
    ) -> Result<DocumentMeta> {
        let file = tokio::fs::File::open(path).await?;
        let size = file.metadata().await?.len();
        let mut sent = 0u64;
        let body = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024).map(move |chunk| {
            if let Ok(c) = &chunk {
                sent += c.len() as u64;
                progress(sent);
            }
            chunk
        });
        let resp = self
            .streaming
            .post(self.url("/v1/documents"))
            .query(&[("name", name), ("id", &id.to_string())])
            .bearer_auth(access)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(reqwest::header::CONTENT_LENGTH, size)
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await?;
        answer(resp).await
    }

    /// Whether `GET path` (an order's or inquiry's own resource) finds the record for
    /// this account: 404 (and 403) answer `false`, any other refusal is an error.
    pub async fn exists(&self, access: &str, path: &str) -> Result<bool> {
        let resp = self
            .http
            .get(self.url(path))
            .bearer_auth(access)
            .send()
            .await?;
        if matches!(
            resp.status(),
            reqwest::StatusCode::NOT_FOUND | reqwest::StatusCode::FORBIDDEN
        ) {
            return Ok(false);
        }
        answer::<serde_json::Value>(resp).await.map(|_| true)
    }

    /// A signed-in `GET` of a JSON resource.
    async fn get_json<T: DeserializeOwned>(&self, access: &str, path: &str) -> Result<T> {
        let resp = self
            .http
            .get(self.url(path))
            .bearer_auth(access)
            .send()
            .await?;
        answer(resp).await
    }

    /// The exchange-rate table in force today (the server's UTC date), with its date.
    pub async fn exchange_rates(
        &self,
        access: &str,
    ) -> Result<trade_model::quotation::ExchangeRates> {
        self.get_json(access, "/v1/exchange-rates").await
    }

    /// What the platform's records say about a supplier.
    pub async fn supplier_facts(
        &self,
        access: &str,
        supplier: trade_model::AccountId,
    ) -> Result<trade_model::supplier::SupplierFacts> {
        self.get_json(access, &format!("/v1/suppliers/{supplier}/facts"))
            .await
    }

    /// What the next installment costs, by card (with the fee) or by transfer.
    pub async fn payment_quote(&self, access: &str, order: OrderId) -> Result<PaymentQuote> {
        let resp = self
            .http
            .get(self.url(&format!("/v1/orders/{order}/payment-quote")))
            .bearer_auth(access)
            .send()
            .await?;
        answer(resp).await
    }

    /// Pays the next installment. `body` is a serialised
    /// [`PayRequest`](trade_model::api::PayRequest), sent as it is:
    /// the server matches a retry by its key and its exact body, and replays the first
    /// result instead of paying twice. `timeout` bounds this one attempt. A request that
    /// could not be sent at all fails with [`ClientError::NotSent`].
    pub async fn pay(
        &self,
        access: &str,
        order: OrderId,
        body: &str,
        key: &str,
        timeout: std::time::Duration,
    ) -> Result<PaymentResult> {
        let resp = self
            .http
            .post(self.url(&format!("/v1/orders/{order}/payments")))
            .bearer_auth(access)
            .header("idempotency-key", key)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| {
                // No connection: the request was never written, so it was not sent.
                let connect = e.is_connect();
                let e = ClientError::from(e);
                if connect {
                    ClientError::NotSent(Box::new(e))
                } else {
                    e
                }
            })?;
        answer(resp).await
    }

    /// Starts downloading a document's content; the caller streams the body.
    pub async fn download(&self, access: &str, id: DocumentId) -> Result<reqwest::Response> {
        let resp = self
            .streaming
            .get(self.url(&format!("/v1/documents/{id}/content")))
            .bearer_auth(access)
            .send()
            .await?;
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(answer::<serde_json::Value>(resp)
                .await
                .err()
                .unwrap_or(ClientError::Decode("download".into())))
        }
    }

    /// Opens the live-event stream. Ends (with an error or `None`) when the connection
    /// drops; the caller reconnects with backoff and pulls.
    pub async fn events(
        &self,
        access: &str,
    ) -> Result<impl Stream<Item = Result<LiveEvent>> + Send + use<>> {
        let resp = self
            .streaming
            .get(self.url("/v1/events"))
            .bearer_auth(access)
            .send()
            .await?;
        let bytes = accepted(resp).await?.bytes_stream();
        Ok(futures_util::stream::unfold(
            (bytes, String::new()),
            |(mut bytes, mut buf)| async move {
                loop {
                    if let Some(end) = buf.find("\n\n") {
                        let block: String = buf.drain(..end + 2).collect();
                        if let Some(event) = parse_event(&block) {
                            return Some((Ok(event), (bytes, buf)));
                        }
                        continue;
                    }
                    match bytes.next().await {
                        Some(Ok(chunk)) => buf.push_str(&String::from_utf8_lossy(&chunk)),
                        Some(Err(e)) => return Some((Err(ClientError::from(e)), (bytes, buf))),
                        None => return None,
                    }
                }
            },
        ))
    }
}

/// A page of a first sync's walk (a `SnapshotResponse`) with each record's JSON kept as
/// it came ([`WalkChange`]), to be stored as it is.
#[derive(Debug, Deserialize)]
pub struct WalkPage {
    pub changes: Vec<WalkChange>,
    pub next_cursor: String,
    pub has_more: bool,
    pub feed_cursor: String,
    #[serde(default)]
    pub total_estimate: Option<i64>,
}

/// The pages of one answer of the snapshot stream, one JSON page a line.
pub struct SnapshotPages {
    body: reqwest::Response,
    /// Bytes received and not yet taken as a page.
    buf: Vec<u8>,
    /// How much of `buf` holds no line end (searched already).
    scanned: usize,
}

impl SnapshotPages {
    /// The answer's next page; `None` when the answer ends. It can end before the walk's
    /// last page (`has_more` false): the walk goes on from the last page's `next_cursor`
    /// with a new request.
    pub async fn next(&mut self) -> Result<Option<WalkPage>> {
        loop {
            if let Some(at) = self.buf[self.scanned..].iter().position(|&b| b == b'\n') {
                let end = self.scanned + at;
                let page = serde_json::from_slice(&self.buf[..end])
                    .map_err(|e| ClientError::Decode(e.to_string()));
                self.buf.drain(..=end);
                self.scanned = 0;
                return page.map(Some);
            }
            self.scanned = self.buf.len();
            match self.body.chunk().await? {
                Some(chunk) => self.buf.extend_from_slice(&chunk),
                None if self.buf.is_empty() => return Ok(None),
                None => {
                    return Err(ClientError::Unreachable(
                        "the first sync's answer was cut inside a page".into(),
                    ));
                }
            }
        }
    }
}

/// One SSE block: `event: NAME` and `data: JSON` lines; comments (heartbeats) are none.
fn parse_event(block: &str) -> Option<LiveEvent> {
    let mut name = "";
    let mut data = "";
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            name = v.trim();
        } else if let Some(v) = line.strip_prefix("data:") {
            data = v.trim();
        }
    }
    let poke: Poke = serde_json::from_str(data).ok()?;
    match name {
        "ready" => Some(LiveEvent::Ready(poke)),
        "changed" => Some(LiveEvent::Changed(poke)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_blocks_parse_and_heartbeats_are_skipped() {
        assert_eq!(
            parse_event("event: changed\ndata: {\"account_version\":7}\n\n"),
            Some(LiveEvent::Changed(Poke { account_version: 7 }))
        );
        assert_eq!(parse_event(":\n\n"), None);
        assert_eq!(parse_event("event: other\ndata: {}\n\n"), None);
    }
}
