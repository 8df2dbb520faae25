//! Several server instances on one PostgreSQL database serve the same accounts: a
//! change committed through one reaches clients listening on another (LISTEN/NOTIFY).
//! Runs with `--features postgres-tests` and `TRADE_TEST_POSTGRES_URL` (`./dev test`).
#![cfg(feature = "postgres-tests")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use support::TestServer;

#[tokio::test]
async fn a_message_posted_on_instance_1_pokes_a_client_listening_on_instance_2() {
    let url = support::database_url()
        .await
        .expect("TRADE_TEST_POSTGRES_URL must point at PostgreSQL for these tests");
    let one = TestServer::start_on(Some(url.clone())).await;
    let two = TestServer::start_on(Some(url)).await;
    let buyer = one.register("buyer", "Ann Buyer").await;
    let supplier = one.register("supplier", "Li Supplier").await;
    // The same accounts sign in on the other instance.
    let buyer_on_two = two.login(&buyer.email).await;
    let inquiry = one
        .ok(
            "/v1/inquiries",
            &buyer,
            json!({ "supplier": supplier.id, "product": "Pumps", "message": "Hello" }),
        )
        .await;

    let resp = two
        .client
        .get(format!("{}/v1/events", two.base))
        .bearer_auth(&buyer_on_two.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut stream = resp.bytes_stream();
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !seen.contains("event: ready") {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    one.ok(
        &format!("/v1/inquiries/{}/messages", inquiry["id"].as_str().unwrap()),
        &supplier,
        json!({ "body": "Posted through instance 1." }),
    )
    .await;
    while !seen.contains("event: changed") {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("a poke through instance 2 in time")
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    // And the pull on instance 2 carries the message.
    let (_, page) = two.get("/v1/sync/pull?limit=100", &buyer_on_two).await;
    assert!(
        page["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["record"]["data"]["body"] == "Posted through instance 1.")
    );
    one.running.shutdown().await;
    two.running.shutdown().await;
}

/// The login limits hold across instances: guesses spread over two instances on one
/// database count in one window (each instance alone would allow the limit again), and
/// the refusal on the other instance says how long to wait.
#[tokio::test]
async fn login_limits_count_attempts_made_through_every_instance() {
    let url = support::database_url()
        .await
        .expect("TRADE_TEST_POSTGRES_URL must point at PostgreSQL for these tests");
    let one = TestServer::start_on(Some(url.clone())).await;
    let two = TestServer::start_on(Some(url)).await;
    let buyer = one.register("buyer", "Ann Buyer").await;
    async fn guess(s: &TestServer, email: &str) -> (StatusCode, serde_json::Value) {
        s.send(
            reqwest::Method::POST,
            "/v1/sessions",
            None,
            Some(json!({ "email": email, "password": "wrong password!" })),
            &[],
        )
        .await
    }
    let limit = trade_server::routes::accounts::LOGINS_PER_ACCOUNT_PER_MINUTE;
    // The rest of the allowance (registering signed in once, through instance 1), half
    // through each instance, alternating.
    for i in 1..limit {
        let (status, err) = guess(if i % 2 == 0 { &one } else { &two }, &buyer.email).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("auth.bad_credentials")),
            "attempt {i}"
        );
    }
    for s in [&one, &two] {
        let (status, err) = guess(s, &buyer.email).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("auth.rate_limited")),
            "{err}"
        );
        let wait = err["details"]["retry_after_secs"].as_i64().unwrap();
        assert!((1..=60).contains(&wait), "{err}");
    }
    // The window passes (on both instances' clocks): allowed again, on either.
    for s in [&one, &two] {
        s.advance(jiff::SignedDuration::from_secs(61));
    }
    two.login(&buyer.email).await;
    one.running.shutdown().await;
    two.running.shutdown().await;
}

/// Request budgets hold across instances: requests of one account sent at once through
/// two instances on one database are admitted about once, not twice: at least the
/// budget (an instance refuses only what the cluster has counted) and at most the budget
/// plus each instance's unsynced cap (the documented overshoot, `throttle`'s docs).
#[tokio::test]
async fn request_budgets_count_requests_sent_through_every_instance() {
    use trade_server::throttle::RequestBudget;
    let url = support::database_url()
        .await
        .expect("TRADE_TEST_POSTGRES_URL must point at PostgreSQL for these tests");
    let budget = RequestBudget {
        requests: 40,
        window_secs: 10,
    };
    let one = TestServer::start_with(Some(url.clone()), |c| c.request_budget = budget).await;
    let two = TestServer::start_with(Some(url), |c| c.request_budget = budget).await;
    let buyer = one.register("buyer", "Ann Buyer").await;
    let sent = 3 * budget.requests;
    let answers = futures_util::future::join_all((0..sent).map(|n| {
        let s = if n % 2 == 0 { &one } else { &two };
        crate::throttle::get(s, "/v1/me", Some(&buyer.token))
    }))
    .await;
    let mut admitted = [0u64; 2];
    for (n, answer) in answers.iter().enumerate() {
        if answer.0 == StatusCode::OK {
            admitted[n % 2] += 1;
        } else {
            crate::throttle::assert_rate_limited(answer, 10);
        }
    }
    let total = admitted[0] + admitted[1];
    let most = u64::from(budget.requests) + 2 * budget.unsynced_cap();
    assert!(
        (u64::from(budget.requests)..=most).contains(&total),
        "admitted {admitted:?} of {sent}: {total} is not within {}..={most}",
        budget.requests
    );
    assert!(
        admitted.iter().all(|&n| n > 0),
        "both instances admitted some: {admitted:?}"
    );
    // The window passes on both instances' clocks: admitted again on either.
    for s in [&one, &two] {
        s.advance(jiff::SignedDuration::from_secs(10));
    }
    for s in [&one, &two] {
        let (status, _, body) = crate::throttle::get(s, "/v1/me", Some(&buyer.token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    one.running.shutdown().await;
    two.running.shutdown().await;
}
