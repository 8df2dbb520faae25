//! A request refused before its body is read (an upload's name or declared size, a
//! missing session, a body over the cap) still delivers its 4xx to a client that goes on
//! sending the body, over HTTP/1.1 and HTTP/2: the server reads and discards the rest
//! (up to a bound) instead of closing a connection with unread data, which resets it and
//! can take the answer with it. A client that sends `Expect: 100-continue` gets the
//! refusal without sending the body at all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{ClientConfig, RootCertStore, pki_types::ServerName};

use crate::support::{TestServer, User};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Protocol {
    Http1,
    Http2,
}

/// How the body is sent.
#[derive(Clone, Copy, Debug)]
enum Length {
    /// `Content-Length` set to the body's size.
    Declared,
    /// No length: chunked on HTTP/1.1, DATA frames to the end on HTTP/2.
    Streamed,
}

/// One connection of the given protocol to the server, trusting only its CA.
async fn connect(
    s: &TestServer,
    protocol: Protocol,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut roots = RootCertStore::empty();
    let ca = trade_test_api::ca_in(&s.dir);
    for cert in rustls_pemfile::certs(&mut ca.as_slice()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![match protocol {
        Protocol::Http1 => b"http/1.1".to_vec(),
        Protocol::Http2 => b"h2".to_vec(),
    }];
    let tcp = tokio::net::TcpStream::connect(s.running.addr)
        .await
        .unwrap();
    let tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    assert_eq!(
        tls.get_ref().1.alpn_protocol(),
        Some(match protocol {
            Protocol::Http1 => &b"http/1.1"[..],
            Protocol::Http2 => &b"h2"[..],
        }),
        "the server speaks {protocol:?}"
    );
    tls
}

/// What the client saw.
struct Seen {
    status: u16,
    body: Value,
}

/// How a client sends a body and reads the answer.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Client {
    /// HTTP/1.1, the whole body written before the answer is read (as blocking clients
    /// do): a reset while it writes loses the answer.
    Http1Sequential,
    /// HTTP/1.1, reading the answer while it writes (hyper's client).
    Http1Duplex,
    /// HTTP/2 (hyper's client).
    Http2,
}

/// POSTs `size` bytes of body to `target` the way `client` does, and returns the answer.
/// A transport error (the connection reset under the client) fails the test.
async fn post_body(
    s: &TestServer,
    client: Client,
    target: &str,
    token: Option<&str>,
    size: u64,
    length: Length,
) -> Seen {
    match client {
        Client::Http1Sequential => post_sequential(s, target, token, size, length).await,
        Client::Http1Duplex | Client::Http2 => {
            post_duplex(s, client, target, token, size, length).await
        }
    }
}

const CHUNK: usize = 256 * 1024;

async fn post_sequential(
    s: &TestServer,
    target: &str,
    token: Option<&str>,
    size: u64,
    length: Length,
) -> Seen {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tls = connect(s, Protocol::Http1).await;
    let mut head = format!(
        "POST {target} HTTP/1.1\r\nhost: localhost\r\n\
         content-type: application/octet-stream\r\n"
    );
    if let Some(token) = token {
        head.push_str(&format!("authorization: Bearer {token}\r\n"));
    }
    head.push_str(&match length {
        Length::Declared => format!("content-length: {size}\r\n\r\n"),
        Length::Streamed => "transfer-encoding: chunked\r\n\r\n".to_owned(),
    });
    tls.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'a'; CHUNK];
    let mut sent = 0u64;
    while sent < size {
        let len = (size - sent).min(CHUNK as u64) as usize;
        let written = match length {
            Length::Declared => tls.write_all(&chunk[..len]).await,
            Length::Streamed => {
                let mut framed = format!("{len:x}\r\n").into_bytes();
                framed.extend_from_slice(&chunk[..len]);
                framed.extend_from_slice(b"\r\n");
                tls.write_all(&framed).await
            }
        };
        if let Err(e) = written {
            panic!(
                "HTTP/1.1 {target} ({length:?}, {size} bytes): the connection failed after \
                 {sent} bytes of body, before the client could read the answer: {e}"
            );
        }
        sent += len as u64;
    }
    if let Length::Streamed = length {
        tls.write_all(b"0\r\n\r\n").await.unwrap();
    }
    tls.flush().await.unwrap();
    let mut answer = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut buf = [0u8; 8192];
    loop {
        let read = tokio::time::timeout_at(deadline, tls.read(&mut buf))
            .await
            .expect("the answer comes");
        match read {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if !answer.is_empty() => {
                // The answer is in; how the connection ends after it does not matter.
                let _ = e;
                break;
            }
            Err(e) => panic!("HTTP/1.1 {target} ({length:?}): no answer after the body: {e}"),
        }
        if complete_answer(&answer).is_some() {
            break;
        }
    }
    let (status, body) = complete_answer(&answer)
        .unwrap_or_else(|| panic!("HTTP/1.1 {target}: a cut answer: {answer:?}"));
    Seen {
        status,
        body: serde_json::from_slice(body).unwrap_or(Value::Null),
    }
}

/// The status and body of an HTTP/1.1 answer with a `content-length`, once all of it
/// is in `answer`.
fn complete_answer(answer: &[u8]) -> Option<(u16, &[u8])> {
    let end = answer.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&answer[..end]).ok()?;
    let status = head.get(9..12)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    (answer.len() >= end + length).then(|| (status, &answer[end..end + length]))
}

async fn post_duplex(
    s: &TestServer,
    client: Client,
    target: &str,
    token: Option<&str>,
    size: u64,
    length: Length,
) -> Seen {
    let sent = Arc::new(AtomicU64::new(0));
    let counted = sent.clone();
    let chunks = (0..size.div_ceil(CHUNK as u64)).map(move |i| {
        let len = (size - i * CHUNK as u64).min(CHUNK as u64);
        counted.fetch_add(len, Ordering::Relaxed);
        Ok::<_, std::io::Error>(Frame::data(Bytes::from(vec![b'a'; len as usize])))
    });
    let body = StreamBody::new(futures_util::stream::iter(chunks));
    let mut request = hyper::Request::post(format!("https://localhost{target}"))
        .header("content-type", "application/octet-stream");
    if let Length::Declared = length {
        request = request.header("content-length", size.to_string());
    }
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if client == Client::Http1Duplex {
        request = request.header("host", "localhost");
    }
    let request = request.body(body).unwrap();
    let response = if client == Client::Http2 {
        let io = TokioIo::new(connect(s, Protocol::Http2).await);
        let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .unwrap();
        tokio::spawn(conn);
        sender.send_request(request).await
    } else {
        let io = TokioIo::new(connect(s, Protocol::Http1).await);
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
        tokio::spawn(conn);
        sender.send_request(request).await
    };
    let response = response.unwrap_or_else(|e| {
        panic!(
            "{client:?} {target} ({length:?}, {size} bytes): no answer, the transport failed \
             after {} bytes sent: {e:?}",
            sent.load(Ordering::Relaxed)
        )
    });
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{client:?} {target}: the answer's body was cut: {e:?}"))
        .to_bytes();
    Seen {
        status,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

const MIB: u64 = 1024 * 1024;

/// A request that is refused before its body is read: target, session, body size, how it
/// is sent, the status and code it must get.
struct Case<'a>(&'a str, Option<&'a str>, u64, Length, u16, &'a str);

#[tokio::test]
async fn a_refusal_before_the_body_is_read_reaches_a_client_that_keeps_sending() {
    let s = TestServer::start().await;
    let buyer: User = s.register("buyer", "Ann Buyer").await;
    let over_cap = trade_documents::MAX_DOCUMENT_BYTES + 4 * MIB;
    for client in [Client::Http1Sequential, Client::Http1Duplex, Client::Http2] {
        // Several times each: the reset this guards against is a race the answer can win.
        for round in 0..3 {
            // (target, session, body size, how sent, status, code)
            let cases = [
                // Declared over the cap: refused on the header, before any byte is read.
                Case(
                    "/v1/documents?name=catalogue.pdf",
                    Some(&buyer.token),
                    over_cap,
                    Length::Declared,
                    413,
                    "document.too_large",
                ),
                // A name no upload may have: refused before the body.
                Case(
                    "/v1/documents?name=setup.exe",
                    Some(&buyer.token),
                    8 * MIB,
                    Length::Declared,
                    422,
                    "document.unsupported_type",
                ),
                // No session: refused by authentication, before the body.
                Case(
                    "/v1/documents?name=catalogue.pdf",
                    None,
                    8 * MIB,
                    Length::Declared,
                    401,
                    "auth.missing_token",
                ),
                // No length, over the cap: refused while reading, with more to come.
                Case(
                    "/v1/documents?name=catalogue.txt",
                    Some(&buyer.token),
                    over_cap,
                    Length::Streamed,
                    413,
                    "document.too_large",
                ),
            ];
            for Case(path, token, size, length, status, code) in cases {
                let seen = post_body(&s, client, path, token, size, length).await;
                assert_eq!(
                    (seen.status, seen.body["code"].as_str()),
                    (status, Some(code)),
                    "{client:?} round {round} {path} ({length:?}): {}",
                    seen.body
                );
            }
        }
    }
    s.running.shutdown().await;
}

/// Writes a request head with `Expect: 100-continue` and reads what the server answers
/// first, without sending any of the body.
async fn first_answer_to_expect(s: &TestServer, target: &str, token: &str, size: u64) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tls = connect(s, Protocol::Http1).await;
    let head = format!(
        "POST {target} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {token}\r\n\
         content-type: application/octet-stream\r\ncontent-length: {size}\r\n\
         expect: 100-continue\r\n\r\n"
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.flush().await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    // Up to the end of the status line and headers: enough to tell 100 from a refusal.
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout_at(deadline, tls.read(&mut buf))
            .await
            .expect("the server answers the head")
            .unwrap();
        assert!(n > 0, "the server closed without answering: {answer:?}");
        answer.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_client_that_asks_to_continue_is_refused_without_sending_the_body() {
    let s = TestServer::start().await;
    let buyer: User = s.register("buyer", "Ann Buyer").await;
    let answer = first_answer_to_expect(
        &s,
        "/v1/documents?name=catalogue.pdf",
        &buyer.token,
        trade_documents::MAX_DOCUMENT_BYTES + 64 * MIB,
    )
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "refused at once, not asked to continue: {answer}"
    );
    // A body the server may take is asked for.
    let answer =
        first_answer_to_expect(&s, "/v1/documents?name=invoice.txt", &buyer.token, 30).await;
    assert!(
        answer.starts_with("HTTP/1.1 100"),
        "asked to continue: {answer}"
    );
    s.running.shutdown().await;
}
