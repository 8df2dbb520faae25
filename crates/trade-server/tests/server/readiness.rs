//! Liveness and readiness over the real HTTPS API: `/v1/ready` answers 200 while the
//! database answers and the document store is a writable directory, and 503
//! `server.not_ready` (saying which check failed) when the store's directory is gone, when
//! the database does not answer in time or at all, and once shutdown has begun — while
//! `/v1/health` keeps answering "ok" and requests are still served.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::TestServer;

async fn ready(s: &TestServer) -> (StatusCode, Value) {
    s.send(Method::GET, "/v1/ready", None, None, &[]).await
}

async fn health(s: &TestServer) -> StatusCode {
    s.send(Method::GET, "/v1/health", None, None, &[]).await.0
}

fn all_ok() -> Value {
    json!({ "server": "ok", "database": "ok", "documents": "ok" })
}

/// A 503 `server.not_ready` whose checks are `checks`.
fn assert_not_ready(answer: &(StatusCode, Value), checks: Value) {
    let (status, body) = answer;
    assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "server.not_ready", "{body}");
    assert!(body["message"].as_str().unwrap().contains("not ready"));
    assert_eq!(body["details"]["checks"], checks, "{body}");
}

#[tokio::test]
async fn a_document_store_that_is_not_a_directory_makes_the_server_not_ready() {
    let s = TestServer::start().await;
    let (status, body) = ready(&s).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["checks"], all_ok());

    // The directory replaced by a file (the tests run as root, whom permissions do not
    // stop: a file in its place is what makes it unusable).
    let store = s.dir.join("documents");
    let aside = s.dir.join("documents.aside");
    std::fs::rename(&store, &aside).unwrap();
    std::fs::write(&store, b"not a directory").unwrap();
    assert_not_ready(
        &ready(&s).await,
        json!({ "server": "ok", "database": "ok", "documents": "unusable" }),
    );
    assert_eq!(health(&s).await, StatusCode::OK, "still alive");

    std::fs::remove_file(&store).unwrap();
    std::fs::rename(&aside, &store).unwrap();
    let (status, body) = ready(&s).await;
    assert_eq!(status, StatusCode::OK, "ready again once restored: {body}");
    s.running.shutdown().await;
}

/// The database is made unanswering for real: every connection of the server's own pool
/// is taken (as by queries that hang or a database that stopped answering), so the
/// readiness query waits for one until its 2 s run out; then the pool is closed, as when
/// the database is gone, and the query fails at once.
#[tokio::test]
async fn a_database_that_does_not_answer_makes_the_server_not_ready() {
    let s = TestServer::start().await;
    let pool = s.running.state.db.pool().clone();
    let mut held = Vec::new();
    for _ in 0..pool.options().get_max_connections() {
        held.push(pool.acquire().await.unwrap());
    }
    let started = std::time::Instant::now();
    assert_not_ready(
        &ready(&s).await,
        json!({ "server": "ok", "database": "timed out", "documents": "ok" }),
    );
    let waited = started.elapsed();
    assert!(
        waited >= trade_server::routes::meta::READY_TIMEOUT,
        "answered after {waited:?}, before the timeout"
    );
    assert_eq!(health(&s).await, StatusCode::OK, "still alive");
    drop(held);
    let (status, body) = ready(&s).await;
    assert_eq!(status, StatusCode::OK, "ready again: {body}");

    s.running.state.db.close().await;
    assert_not_ready(
        &ready(&s).await,
        json!({ "server": "ok", "database": "unreachable", "documents": "ok" }),
    );
    s.running.shutdown().await;
}

#[tokio::test]
async fn a_server_shutting_down_is_not_ready_but_still_serves() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    s.running.begin_shutdown();
    assert_not_ready(
        &ready(&s).await,
        json!({ "server": "shutting down", "database": "ok", "documents": "ok" }),
    );
    // Until the listener closes, requests already on their way are answered.
    assert_eq!(health(&s).await, StatusCode::OK);
    let (status, me) = s.get("/v1/me", &buyer).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    s.running.shutdown().await;
}
