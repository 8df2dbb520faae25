//! The HTTPS accept loop: TLS (rustls) in front of the axum router, HTTP/1.1 and HTTP/2,
//! the peer address recorded for per-IP rate limits (from a PROXY protocol header first
//! when behind a balancer that sends one, see `proxy_protocol`), the unread rest of a refused
//! request's body read away (`unread_body`), graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::unread_body;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `router` over TLS on `listener` until `shutdown` resolves, then lets open
/// connections finish (up to 10 s). With `proxy_protocol` every connection must start
/// with a PROXY protocol v2 header, whose client address is the peer's.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    proxy_protocol: bool,
    router: Router,
    shutdown: impl Future<Output = ()> + Send,
) {
    let acceptor = TlsAcceptor::from(tls);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (mut tcp, mut peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let router = router.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            if proxy_protocol {
                let header = crate::proxy_protocol::read_header(&mut tcp);
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, header).await {
                    Ok(Ok(Some(client))) => peer = client,
                    Ok(Ok(None)) => {}
                    Ok(Err(err)) => {
                        tracing::debug!(%peer, %err, "PROXY header refused");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "PROXY header timed out");
                        return;
                    }
                }
            }
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(err)) => {
                    tracing::debug!(%peer, %err, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                let router = router.clone();
                async move {
                    // A body the answer did not need is read to its end (bounded), so
                    // the answer reaches a client that is still sending it.
                    let (req, leftover) = unread_body::track(req);
                    let response = router.oneshot(req).await;
                    leftover.drain_in_background();
                    response
                }
            });
            let builder = Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(err) = watcher.watch(conn.into_owned()).await {
                tracing::debug!(%peer, %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after 10 s; closing them");
    }
}
