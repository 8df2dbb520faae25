//! What is left of a request body when the answer is already decided.
//!
//! A handler may refuse a request before reading its body (an upload's name or declared
//! size, a missing session) or part-way through it (over the cap). On HTTP/1.1, hyper
//! then closes the connection with the rest of the body unread; the kernel answers
//! unread data with a reset, and a client that writes its whole body before reading
//! (most blocking clients) fails with a broken pipe or a TLS EOF and never sees the
//! 4xx. So the rest is read and thrown away, in the background while the answer goes
//! out, up to [`DRAIN_LIMIT`] bytes and [`DRAIN_TIME`]; past either the connection is
//! closed as before. The body is not read when:
//! - the client sent `Expect: 100-continue` and the handler never asked for the body:
//!   hyper answers without `100 Continue`, and the client does not send it;
//! - the declared length is over the limit: the client would be cut anyway, better now;
//! - the request is HTTP/2: the server ends the stream with `RST_STREAM`, which clients
//!   take as "stop sending" while keeping the answer.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{CONTENT_LENGTH, EXPECT};

/// The most of a refused body read and thrown away: an upload at the document cap with
/// room to spare.
pub const DRAIN_LIMIT: u64 = trade_documents::MAX_DOCUMENT_BYTES + 16 * 1024 * 1024;
/// The longest a refused body is read for.
pub const DRAIN_TIME: Duration = Duration::from_secs(30);

/// A request body that, dropped before its end, leaves itself to [`Leftover`].
pub struct Tracked {
    inner: Option<Incoming>,
    shared: Arc<Shared>,
}

struct Shared {
    /// The body, once dropped unfinished by whoever had it.
    rest: Mutex<Option<Incoming>>,
    /// Someone asked for the body (for `Expect: 100-continue`: hyper sent `100`).
    polled: AtomicBool,
}

/// The handle the connection keeps to drain what the handler left.
pub struct Leftover {
    shared: Arc<Shared>,
    drain: bool,
    expects_continue: bool,
}

/// Wraps `request`'s body so that what its handler leaves unread can be drained.
pub fn track(request: hyper::Request<Incoming>) -> (hyper::Request<Tracked>, Leftover) {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let expects_continue = request
        .headers()
        .get(EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let drain = request.version() <= hyper::Version::HTTP_11
        && declared.is_none_or(|size| size <= DRAIN_LIMIT);
    let shared = Arc::new(Shared {
        rest: Mutex::new(None),
        polled: AtomicBool::new(false),
    });
    let (parts, body) = request.into_parts();
    let tracked = Tracked {
        inner: Some(body),
        shared: shared.clone(),
    };
    (
        hyper::Request::from_parts(parts, tracked),
        Leftover {
            shared,
            drain,
            expects_continue,
        },
    )
}

impl Leftover {
    /// Call once the answer is decided: reads what the handler left of the body in a
    /// task of its own, within the bounds (see the module doc).
    pub fn drain_in_background(self) {
        let rest = self
            .shared
            .rest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some(mut rest) = rest else { return };
        let never_asked = !self.shared.polled.load(Ordering::Relaxed);
        if !self.drain || (self.expects_continue && never_asked) {
            return;
        }
        tokio::spawn(async move {
            let mut read = 0u64;
            let drained = tokio::time::timeout(DRAIN_TIME, async {
                while let Some(frame) = rest.frame().await {
                    let Ok(frame) = frame else { return false };
                    if let Some(data) = frame.data_ref() {
                        read += data.len() as u64;
                        if read > DRAIN_LIMIT {
                            return false;
                        }
                    }
                }
                true
            })
            .await;
            tracing::debug!(read, drained = ?drained, "read the rest of a refused body");
        });
    }
}

impl Body for Tracked {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        self.shared.polled.store(true, Ordering::Relaxed);
        match self.inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Body::size_hint)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take()
            && !inner.is_end_stream()
        {
            *self.shared.rest.lock().unwrap_or_else(|e| e.into_inner()) = Some(inner);
        }
    }
}
