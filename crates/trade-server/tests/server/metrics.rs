//! `GET /metrics` over the real HTTPS API, read without a session: requests counted and
//! timed by route template (never a raw path or id), sync throughput, open live-event
//! streams, the deadline engine's work and the database pool, all in text that a strict
//! reader of the Prometheus exposition format accepts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::exposition::{self, Exposition};
use crate::support::{TestServer, User};

const REQUESTS: &str = "trade_http_requests_total";
const LATENCY: &str = "trade_http_request_duration_seconds";
const LIVE: &str = "trade_live_event_streams";
const PUSHED: &str = "trade_sync_pushed_mutations_total";
const SERVED: &str = "trade_sync_served_records_total";

/// Scrapes `/metrics` as an operator's scraper does (no session) and reads it strictly.
async fn scrape(s: &TestServer) -> (String, Exposition) {
    let resp = s.client.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = resp.text().await.unwrap();
    let read = exposition::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (text, read)
}

fn requests(m: &Exposition, route: &str, method: &str, status: &str) -> f64 {
    m.value(
        REQUESTS,
        &[("route", route), ("method", method), ("status", status)],
    )
    .unwrap_or(0.0)
}

/// Scrapes until `done` holds, for at most 10 s.
async fn scrape_until(s: &TestServer, what: &str, done: impl Fn(&Exposition) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (text, m) = scrape(s).await;
        if done(&m) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn requests_are_counted_and_timed_by_route_template_without_any_id() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let order = s
        .ok("/v1/orders", &buyer, json!({ "counterparty": supplier.id, "origin": "template", "terms": s.terms(&[("Fan", 10, 900)], None) }))
        .await;
    let order_id = order["order"]["id"].as_str().unwrap().to_owned();
    let missing = uuid::Uuid::now_v7().to_string();
    let stray = uuid::Uuid::now_v7().to_string();
    let template = "/v1/orders/{id}";

    let (_, before) = scrape(&s).await;
    for _ in 0..3 {
        let (status, _) = s.get(&format!("/v1/orders/{order_id}"), &buyer).await;
        assert_eq!(status, StatusCode::OK);
    }
    for _ in 0..2 {
        let (status, _) = s.get(&format!("/v1/orders/{missing}"), &buyer).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = s.get(&format!("/v1/no-such-route/{stray}"), &buyer).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (text, after) = scrape(&s).await;

    let delta = |route, status| {
        requests(&after, route, "GET", status) - requests(&before, route, "GET", status)
    };
    assert_eq!(delta(template, "200"), 3.0, "{text}");
    assert_eq!(delta(template, "404"), 2.0, "{text}");
    assert_eq!(delta("unmatched", "404"), 1.0, "{text}");
    // Every request, the scrapes included, is counted under the route it matched.
    assert!(requests(&after, "/metrics", "GET", "200") >= 1.0, "{text}");
    assert!(
        requests(&after, "/v1/orders", "POST", "201") >= 1.0,
        "{text}"
    );

    // The latency histogram of the same series: buckets, sum and count.
    let series = [("route", template), ("method", "GET"), ("status", "200")];
    let count = after.value(&format!("{LATENCY}_count"), &series);
    assert_eq!(count, Some(3.0), "{text}");
    let mut inf = series.to_vec();
    inf.push(("le", "+Inf"));
    assert_eq!(after.value(&format!("{LATENCY}_bucket"), &inf), count);
    assert!(after.value(&format!("{LATENCY}_sum"), &series).unwrap() > 0.0);
    assert_eq!(after.types[LATENCY], "histogram");
    assert_eq!(after.types[REQUESTS], "counter");

    // Nothing per account or per record: no id, email or raw path anywhere, and every
    // route label is a template the API declares (or `unmatched`).
    for secret in [
        &order_id,
        &missing,
        &stray,
        &buyer.id,
        &supplier.id,
        &buyer.email,
        &supplier.email,
        &buyer.token,
    ] {
        assert!(!text.contains(secret.as_str()), "{secret} leaked:\n{text}");
    }
    assert!(
        !text.contains("no-such-route"),
        "a raw path leaked:\n{text}"
    );
    let doc: Value = s
        .client
        .get(s.url("/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let declared = doc["paths"].as_object().unwrap();
    for sample in after.series(REQUESTS) {
        let route = &sample.labels["route"];
        assert!(
            route == "unmatched" || declared.contains_key(route),
            "route label {route} is not a declared template"
        );
    }
    s.running.shutdown().await;
}

/// Opens `GET /v1/events` and reads until its `ready` event; the open response.
async fn open_events(s: &TestServer, user: &User) -> impl futures_util::Stream + Unpin {
    let resp = s
        .client
        .get(s.url("/v1/events"))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut stream = resp.bytes_stream();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut seen = String::new();
    while !seen.contains("event: ready") {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("the ready event in time")
            .expect("the stream is open")
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    stream
}

#[tokio::test]
async fn sync_throughput_live_streams_deadlines_and_the_pool_are_measured() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let inquiry = s
        .ok(
            "/v1/inquiries",
            &buyer,
            json!({ "supplier": supplier.id, "product": "Fan", "message": "Price?" }),
        )
        .await;
    let inquiry = inquiry["id"].as_str().unwrap().to_owned();
    let (_, before) = scrape(&s).await;
    let pushed = |m: &Exposition, outcome| m.value(PUSHED, &[("outcome", outcome)]);
    let served = |m: &Exposition, endpoint| m.value(SERVED, &[("endpoint", endpoint)]);
    // Declared before any push or pull, so rates over them start at once.
    assert_eq!(pushed(&before, "applied"), Some(0.0));
    assert_eq!(served(&before, "snapshot"), Some(0.0));

    // A batch of three: two applied, one refused (an order that does not exist).
    let mutation = |op: Value| {
        let mut m = op;
        m["id"] = json!(uuid::Uuid::now_v7().to_string());
        m
    };
    let order_id = uuid::Uuid::now_v7().to_string();
    let batch = json!({ "mutations": [
        mutation(json!({ "op": "send_message", "inquiry": inquiry, "message": uuid::Uuid::now_v7(), "body": "Written offline." })),
        mutation(json!({ "op": "submit_order", "order": order_id, "request": {
            "counterparty": supplier.id, "origin": "template", "terms": s.terms(&[("Fan", 4, 2500)], None) } })),
        mutation(json!({ "op": "order_step", "order": uuid::Uuid::now_v7(), "action": { "action": "cancel", "reason": "No." } })),
    ]});
    let (status, out) = s.post("/v1/sync/push", &buyer, batch).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (_, page) = s.get("/v1/sync/pull?limit=1000", &buyer).await;
    let pulled = page["changes"].as_array().unwrap().len() as f64;
    let (_, first) = s.get("/v1/sync/snapshot?limit=2", &supplier).await;
    let snapshot = first["changes"].as_array().unwrap().len() as f64;
    assert!(pulled > 0.0 && snapshot > 0.0);
    let (text, after) = scrape(&s).await;
    assert_eq!(pushed(&after, "applied"), Some(2.0), "{text}");
    assert_eq!(pushed(&after, "rejected"), Some(1.0), "{text}");
    assert_eq!(
        served(&after, "pull").unwrap() - served(&before, "pull").unwrap(),
        pulled,
        "{text}"
    );
    assert_eq!(
        served(&after, "snapshot").unwrap() - served(&before, "snapshot").unwrap(),
        snapshot,
        "{text}"
    );

    // Three live streams open, then their clients go away.
    let live = |m: &Exposition| m.value(LIVE, &[]).expect("the live gauge");
    let idle = live(&after);
    let mut streams = Vec::new();
    for user in [&buyer, &buyer, &supplier] {
        streams.push(open_events(&s, user).await);
    }
    scrape_until(&s, "3 more open streams", |m| live(m) == idle + 3.0).await;
    drop(streams);
    scrape_until(&s, "the streams counted down", |m| live(m) == idle).await;

    // The deadline engine: both unconfirmed orders cancel 30 days on.
    let runs = |m: &Exposition| m.value("trade_deadline_runs_total", &[]).unwrap();
    let applied = |m: &Exposition| m.value("trade_deadlines_applied_total", &[]).unwrap();
    s.ok("/v1/orders", &buyer, json!({ "counterparty": supplier.id, "origin": "template", "terms": s.terms(&[("Desk", 1, 9000)], None) }))
        .await;
    let (_, before_deadlines) = scrape(&s).await;
    s.advance(SignedDuration::from_hours(31 * 24));
    scrape_until(&s, "two deadlines applied", |m| {
        applied(m) == applied(&before_deadlines) + 2.0
    })
    .await;
    let (_, now) = scrape(&s).await;
    assert!(runs(&now) > runs(&before_deadlines));

    // The pool, read at the scrape.
    let pool = s.running.state.db.pool();
    let max = f64::from(pool.options().get_max_connections());
    let gauge = |name: &str| now.value(name, &[]).unwrap_or_else(|| panic!("{name}"));
    assert_eq!(gauge("trade_db_pool_max_connections"), max);
    let size = gauge("trade_db_pool_connections");
    let idle = gauge("trade_db_pool_idle_connections");
    assert!(size >= 1.0 && size <= max, "{size} of {max}");
    assert!(idle >= 0.0 && idle <= size, "{idle} idle of {size}");
    for name in [
        "trade_db_pool_connections",
        "trade_db_pool_idle_connections",
        "trade_db_pool_max_connections",
        LIVE,
    ] {
        assert_eq!(now.types[name], "gauge");
    }
    s.running.shutdown().await;
}
