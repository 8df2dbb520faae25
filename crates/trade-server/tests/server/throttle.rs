//! Request budgets over the real HTTPS API: an account over its budget is refused with
//! 429 `request.rate_limited` and `Retry-After` while other accounts go on; the window
//! passing on the server's clock admits it again; the probes are never limited; requests
//! without a session count against the client's address. (Several instances sharing a
//! budget: `postgres::`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::Value;
use trade_server::throttle::RequestBudget;

use crate::support::{self, TestServer};

/// `GET path` with `token` (or none): the status, the Retry-After header, the body.
pub async fn get(
    s: &TestServer,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, Option<u64>, Value) {
    let mut request = s.client.get(s.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let resp = request.send().await.unwrap();
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let body = resp.text().await.unwrap();
    (
        status,
        retry_after,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

/// Asserts the answer is the request budget's refusal; returns its Retry-After.
pub fn assert_rate_limited(answer: &(StatusCode, Option<u64>, Value), window_secs: u64) -> u64 {
    let (status, retry_after, body) = answer;
    assert_eq!(*status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "request.rate_limited", "{body}");
    let secs = retry_after.expect("a Retry-After header");
    assert_eq!(body["details"]["retry_after_secs"], secs, "{body}");
    assert!((1..=window_secs).contains(&secs), "{secs}");
    secs
}

#[tokio::test]
async fn an_account_over_its_budget_waits_and_the_others_and_the_probes_go_on() {
    let budget = RequestBudget {
        requests: 6,
        window_secs: 10,
    };
    let s = TestServer::start_with(support::database_url().await, |c| {
        c.request_budget = budget;
    })
    .await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;

    for n in 0..budget.requests {
        let (status, _, body) = get(&s, "/v1/me", Some(&buyer.token)).await;
        assert_eq!(status, StatusCode::OK, "request {n}: {body}");
    }
    let refused = get(&s, "/v1/me", Some(&buyer.token)).await;
    let wait = assert_rate_limited(&refused, 10);
    // Every route counts for the account, writes too, and a refusal is not counted.
    let (status, body) = s
        .post(
            "/v1/inquiries",
            &buyer,
            serde_json::json!({ "supplier": supplier.id, "product": "Pumps", "message": "Hi" }),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("request.rate_limited"))
    );

    // Another account is unaffected.
    for _ in 0..budget.requests {
        let (status, _, body) = get(&s, "/v1/me", Some(&supplier.token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Nor are the probes ever limited, with a session over budget or without one.
    for _ in 0..3 * budget.requests {
        for path in ["/v1/health", "/v1/ready", "/metrics"] {
            let (status, _, body) = get(&s, path, Some(&buyer.token)).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            let (status, _, body) = get(&s, path, None).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
        }
    }

    // The oldest counted second leaves the window: admitted again (on the server's
    // clock; nothing waits in real time).
    s.advance(SignedDuration::from_secs(i64::try_from(wait).unwrap()));
    let (status, _, body) = get(&s, "/v1/me", Some(&buyer.token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    s.running.shutdown().await;
}

#[tokio::test]
async fn requests_without_a_session_count_against_the_clients_address() {
    let budget = RequestBudget {
        requests: 4,
        window_secs: 5,
    };
    let s = TestServer::start_with(support::database_url().await, |c| {
        c.request_budget = budget;
    })
    .await;
    // Signing in is not counted here (it has its own limits): a session each time.
    let buyer = s.register("buyer", "Ann Buyer").await;
    for _ in 0..budget.requests {
        s.login(&buyer.email).await;
    }
    // Registering counted once; three more requests without a session, one a forged
    // token's, are admitted, then the address is over budget.
    for token in [None, Some("tca_forged"), None] {
        let (status, _, body) = get(&s, "/v1/openapi.json", token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let wait = assert_rate_limited(&get(&s, "/v1/openapi.json", None).await, 5);
    assert_rate_limited(&get(&s, "/v1/me", Some("tca_forged")).await, 5);
    // The signed-in account has its own budget.
    let (status, _, body) = get(&s, "/v1/me", Some(&buyer.token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    s.advance(SignedDuration::from_secs(i64::try_from(wait).unwrap()));
    let (status, _, body) = get(&s, "/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    s.running.shutdown().await;
}

/// With the default budget, a buyer's first sync reads its whole account page after
/// page without one refusal: here 300 pages inside one window of the (standing) clock.
/// A default of 200 requests held such a sync back to 20 pages a second.
#[tokio::test]
async fn the_default_budget_never_slows_a_first_sync() {
    let s = TestServer::start_with(support::database_url().await, |c| {
        c.request_budget = RequestBudget::default();
    })
    .await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let inquiry = s
        .ok(
            "/v1/inquiries",
            &buyer,
            serde_json::json!({ "supplier": supplier.id, "product": "Lamp", "message": "Price?" }),
        )
        .await;
    let path = format!("/v1/inquiries/{}/messages", inquiry["id"].as_str().unwrap());
    for n in 0..300 {
        s.ok(
            &path,
            &supplier,
            serde_json::json!({ "body": format!("Offer {n}.") }),
        )
        .await;
    }
    let (mut cursor, mut pages, mut records) = (String::new(), 0, 0);
    loop {
        let (status, _, page) = get(
            &s,
            &format!("/v1/sync/snapshot?limit=1&cursor={cursor}"),
            Some(&buyer.token),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "page {pages}: {page}");
        pages += 1;
        records += page["changes"].as_array().unwrap().len();
        if page["has_more"] != true {
            break;
        }
        cursor = page["next_cursor"].as_str().unwrap().to_owned();
    }
    assert!(
        records > 300 && pages > 300,
        "{pages} pages, {records} records"
    );
}
