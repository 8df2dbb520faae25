//! Who may see and do what, sessions, login limits, idempotency and optimistic locking,
//! through the real HTTPS API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::sync::Arc;

use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{TestServer, User};

struct World {
    buyer: User,
    supplier: User,
    order: String,
    inquiry: String,
    message: String,
    document: String,
}

async fn world(s: &TestServer) -> World {
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let inquiry = s
        .ok(
            "/v1/inquiries",
            &buyer,
            json!({ "supplier": supplier.id, "product": "Valves", "message": "Hi" }),
        )
        .await;
    let inquiry = inquiry["id"].as_str().unwrap().to_owned();
    let message = s
        .ok(
            &format!("/v1/inquiries/{inquiry}/messages"),
            &supplier,
            json!({ "body": "Hello" }),
        )
        .await;
    let (_, doc) = s
        .upload(
            &buyer,
            "notes.txt",
            b"Order notes: 200 valves, DN50.\n".to_vec(),
        )
        .await;
    let mut terms = s.terms(&[("Valve DN50", 200, 1_500)], None);
    terms["documents"] = json!([doc["id"]]);
    let order = s
        .ok(
            "/v1/orders",
            &buyer,
            json!({ "counterparty": supplier.id, "origin": "template", "terms": terms }),
        )
        .await;
    World {
        order: order["order"]["id"].as_str().unwrap().to_owned(),
        message: message["id"].as_str().unwrap().to_owned(),
        document: doc["id"].as_str().unwrap().to_owned(),
        inquiry,
        buyer,
        supplier,
    }
}

#[tokio::test]
async fn every_endpoint_hides_records_from_non_parties_and_anonymous_callers() {
    let s = TestServer::start().await;
    let w = world(&s).await;
    let other_buyer = s.register("buyer", "Bob Other").await;
    let other_supplier = s.register("supplier", "Wu Other").await;
    let (o, i, d, m) = (&w.order, &w.inquiry, &w.document, &w.message);
    let calls: Vec<(Method, String, serde_json::Value)> = vec![
        (Method::GET, format!("/v1/inquiries/{i}"), json!(null)),
        (
            Method::GET,
            format!("/v1/inquiries/{i}/messages"),
            json!(null),
        ),
        (
            Method::POST,
            format!("/v1/inquiries/{i}/messages"),
            json!({ "body": "intrude" }),
        ),
        (
            Method::POST,
            format!("/v1/inquiries/{i}/read"),
            json!({ "up_to": m }),
        ),
        (Method::GET, format!("/v1/orders/{o}"), json!(null)),
        (Method::GET, format!("/v1/orders/{o}/events"), json!(null)),
        (
            Method::GET,
            format!("/v1/orders/{o}/versions/1"),
            json!(null),
        ),
        (
            Method::PUT,
            format!("/v1/orders/{o}/terms"),
            json!({ "terms": s.terms(&[("x", 1, 1)], None) }),
        ),
        (Method::POST, format!("/v1/orders/{o}/confirm"), json!(null)),
        (
            Method::POST,
            format!("/v1/orders/{o}/request-modification"),
            json!({ "note": "x" }),
        ),
        (
            Method::POST,
            format!("/v1/orders/{o}/cancel"),
            json!({ "note": "x" }),
        ),
        (
            Method::GET,
            format!("/v1/orders/{o}/payment-quote"),
            json!(null),
        ),
        (Method::GET, format!("/v1/orders/{o}/payments"), json!(null)),
        (
            Method::POST,
            format!("/v1/orders/{o}/payments"),
            json!({ "method": "telegraphic_transfer", "amount_minor": 300000 }),
        ),
        (
            Method::POST,
            format!("/v1/orders/{o}/ship"),
            json!({ "carrier": "x", "tracking_number": "y" }),
        ),
        (
            Method::POST,
            format!("/v1/orders/{o}/extend-ship-by"),
            json!({ "days": 1 }),
        ),
        (
            Method::POST,
            format!("/v1/orders/{o}/extend-receipt"),
            json!(null),
        ),
        (
            Method::POST,
            format!("/v1/orders/{o}/confirm-receipt"),
            json!(null),
        ),
        (
            Method::POST,
            format!("/v1/orders/{o}/feedback"),
            json!({ "rating": 1 }),
        ),
        (
            Method::POST,
            format!("/v1/orders/{o}/dispute"),
            json!({ "reason": "other", "claim_minor": 1, "description": "x" }),
        ),
        (
            Method::POST,
            format!("/v1/orders/{o}/dispute/proposals"),
            json!({ "refund_minor": 1, "note": "x" }),
        ),
        (
            Method::POST,
            format!("/v1/orders/{o}/dispute/accept"),
            json!(null),
        ),
        (
            Method::POST,
            format!("/v1/orders/{o}/dispute/escalate"),
            json!(null),
        ),
        (
            Method::POST,
            format!("/v1/orders/{o}/dispute/withdraw"),
            json!(null),
        ),
        (
            Method::POST,
            format!("/v1/operator/orders/{o}/dispute/decision"),
            json!({ "refund_minor": 0, "note": "x" }),
        ),
        (Method::GET, "/v1/operator/disputes".to_owned(), json!(null)),
        (
            Method::POST,
            "/v1/operator/payments/funds-arrived".to_owned(),
            json!({ "reference": "TC-X", "amount_minor": 1 }),
        ),
        (Method::GET, format!("/v1/documents/{d}"), json!(null)),
        (
            Method::GET,
            format!("/v1/documents/{d}/content"),
            json!(null),
        ),
    ];
    for (method, path, body) in &calls {
        let body = (!body.is_null()).then(|| body.clone());
        let headers: &[(&str, &str)] = &[("if-match", "\"1\"")];
        for stranger in [&other_buyer, &other_supplier] {
            let (status, resp) = s
                .send(
                    method.clone(),
                    path,
                    Some(&stranger.token),
                    body.clone(),
                    headers,
                )
                .await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "{method} {path} as a stranger: {resp}"
            );
            assert!(
                !resp.to_string().contains(&w.buyer.id),
                "{method} {path} leaked data: {resp}"
            );
        }
        let (status, _) = s
            .send(method.clone(), path, None, body.clone(), headers)
            .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} anonymously"
        );
    }
    // Lists never include other people's records.
    for path in ["/v1/inquiries", "/v1/orders"] {
        let (_, page) = s.get(path, &other_buyer).await;
        assert!(
            page["items"].as_array().unwrap().is_empty(),
            "{path}: {page}"
        );
    }
    // ... while the parties still see everything.
    assert_eq!(
        s.get(&format!("/v1/orders/{o}"), &w.supplier).await.0,
        StatusCode::OK
    );
    assert_eq!(
        s.get(&format!("/v1/documents/{d}"), &w.supplier).await.0,
        StatusCode::OK
    );
    s.running.shutdown().await;
}

#[tokio::test]
async fn modification_needs_the_current_version() {
    let s = TestServer::start().await;
    let w = world(&s).await;
    let path = format!("/v1/orders/{}/terms", w.order);
    let new_terms = json!({ "terms": s.terms(&[("Valve DN50", 250, 1_400)], None) });
    let (status, err) = s
        .send(
            Method::PUT,
            &path,
            Some(&w.supplier.token),
            Some(new_terms.clone()),
            &[],
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (
            StatusCode::PRECONDITION_REQUIRED,
            Some("order.version_required")
        )
    );
    let (status, modified) = s
        .send(
            Method::PUT,
            &path,
            Some(&w.supplier.token),
            Some(new_terms.clone()),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{modified}");
    // The supplier's modification clears the buyer's confirmation: now it waits for the buyer.
    assert_eq!(modified["box"], "waiting_for_partner");
    let (_, buyer_view) = s.get(&format!("/v1/orders/{}", w.order), &w.buyer).await;
    assert_eq!(buyer_view["box"], "waiting_for_me");
    assert_eq!(buyer_view["order"]["version"], 2);
    // A second edit against version 1 is stale; so is confirming what the buyer saw before.
    let (status, err) = s
        .send(
            Method::PUT,
            &path,
            Some(&w.buyer.token),
            Some(new_terms),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (
            StatusCode::PRECONDITION_FAILED,
            Some("order.version_conflict")
        )
    );
    assert_eq!(err["details"]["current_version"], 2);
    let (status, _) = s
        .send(
            Method::POST,
            &format!("/v1/orders/{}/confirm", w.order),
            Some(&w.buyer.token),
            None,
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, _) = s
        .send(
            Method::POST,
            &format!("/v1/orders/{}/confirm", w.order),
            Some(&w.buyer.token),
            None,
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The old version stays readable for the "what changed" view.
    let (_, v1) = s
        .get(&format!("/v1/orders/{}/versions/1", w.order), &w.buyer)
        .await;
    assert_eq!(v1["terms"]["lines"][0]["quantity"], 200);
    s.running.shutdown().await;
}

#[tokio::test]
async fn idempotency_keys_replay_refuse_other_bodies_and_answer_concurrent_duplicates_once() {
    let s = Arc::new(TestServer::start().await);
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let body = json!({ "counterparty": supplier.id, "origin": "template", "terms": s.terms(&[("Cable", 10, 100)], None) });
    let headers = [("idempotency-key", "order-key-1")];
    let (s1, first) = s
        .send(
            Method::POST,
            "/v1/orders",
            Some(&buyer.token),
            Some(body.clone()),
            &headers,
        )
        .await;
    let (s2, second) = s
        .send(
            Method::POST,
            "/v1/orders",
            Some(&buyer.token),
            Some(body.clone()),
            &headers,
        )
        .await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first, second, "the same key replays the first response");
    let mut other = body.clone();
    other["terms"]["lines"][0]["quantity"] = json!(11);
    let (status, err) = s
        .send(
            Method::POST,
            "/v1/orders",
            Some(&buyer.token),
            Some(other),
            &headers,
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("idempotency.key_reused"))
    );
    // Keys are per account: the supplier may use the same key for its own request.
    let supplier_body = json!({ "counterparty": buyer.id, "origin": "template", "terms": s.terms(&[("Cable", 1, 100)], None) });
    let (status, _) = s
        .send(
            Method::POST,
            "/v1/orders",
            Some(&supplier.token),
            Some(supplier_body),
            &headers,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // 20 concurrent requests with one key: exactly one order.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (s, token, body) = (s.clone(), buyer.token.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            s.send(
                Method::POST,
                "/v1/orders",
                Some(&token),
                Some(body),
                &[("idempotency-key", "burst-key")],
            )
            .await
        }));
    }
    // Each waits for the first to commit and then replays its answer: nobody is told
    // "in progress", and there is one order.
    let mut created_ids = std::collections::HashSet::new();
    for t in tasks {
        let (status, resp) = t.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{resp}");
        created_ids.insert(resp["order"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(created_ids.len(), 1, "one effect for one key");
    let (_, orders) = s.get("/v1/orders?limit=100", &buyer).await;
    assert_eq!(
        orders["items"].as_array().unwrap().len(),
        3,
        "order-key-1, supplier's, burst-key"
    );
}

#[tokio::test]
async fn the_frameworks_own_rejections_answer_in_the_error_shape() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let raw = |method: Method, path: &str, content_type: Option<&str>, body: Vec<u8>| {
        let mut req = s
            .client
            .request(method, format!("{}{path}", s.base))
            .bearer_auth(&buyer.token)
            .body(body);
        if let Some(t) = content_type {
            req = req.header("content-type", t);
        }
        req.send()
    };
    let cases = [
        (
            raw(
                Method::POST,
                "/v1/orders",
                Some("application/json"),
                b"{not json".to_vec(),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "request.malformed",
        ),
        (
            raw(
                Method::POST,
                "/v1/orders",
                Some("application/json"),
                b"{}".to_vec(),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "request.invalid",
        ),
        (
            raw(
                Method::POST,
                "/v1/orders",
                Some("text/plain"),
                b"{}".to_vec(),
            )
            .await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "request.unsupported_media_type",
        ),
        (
            raw(Method::GET, "/v1/orders/not-an-id", None, Vec::new()).await,
            StatusCode::BAD_REQUEST,
            "request.malformed",
        ),
        (
            raw(Method::GET, "/v1/orders?limit=many", None, Vec::new()).await,
            StatusCode::BAD_REQUEST,
            "request.malformed",
        ),
        (
            raw(
                Method::POST,
                "/v1/orders",
                Some("application/json"),
                vec![b' '; 2 * 1024 * 1024],
            )
            .await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "request.too_large",
        ),
        (
            raw(Method::GET, "/v1/no-such-thing", None, Vec::new()).await,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            raw(Method::DELETE, "/v1/orders", None, Vec::new()).await,
            StatusCode::METHOD_NOT_ALLOWED,
            "request.method_not_allowed",
        ),
    ];
    for (i, (resp, status, code)) in cases.into_iter().enumerate() {
        let resp = resp.unwrap();
        assert_eq!(resp.status(), status, "case {i}");
        let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(
            content_type.starts_with("application/json"),
            "case {i}: {content_type}"
        );
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["code"], code, "case {i}: {body}");
        assert!(
            !body["message"].as_str().unwrap().is_empty(),
            "case {i}: {body}"
        );
    }
}

#[tokio::test]
async fn every_order_step_sent_on_a_stale_version_is_refused_with_412_and_changes_nothing() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let made = s
        .ok(
            "/v1/orders",
            &buyer,
            json!({ "counterparty": supplier.id, "origin": "template",
                    "terms": s.terms(&[("Lamp", 4, 2500)], None) }),
        )
        .await;
    let o = made["order"]["id"].as_str().unwrap().to_owned();
    // The supplier changes the terms: version 2. The buyer reviewed version 1.
    let (status, body) = s
        .send(
            Method::PUT,
            &format!("/v1/orders/{o}/terms"),
            Some(&supplier.token),
            Some(json!({ "terms": s.terms(&[("Lamp", 5, 2500)], None) })),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let steps = [
        (
            "terms",
            json!({ "terms": s.terms(&[("Lamp", 6, 2500)], None) }),
        ),
        ("confirm", json!(null)),
        ("request-modification", json!({ "note": "Fewer, please." })),
        ("cancel", json!({ "note": "Changed my mind." })),
        ("ship", json!({ "carrier": "DHL", "tracking_number": "1" })),
        ("extend-ship-by", json!({ "days": 5 })),
        ("extend-receipt", json!(null)),
        ("confirm-receipt", json!(null)),
        ("feedback", json!({ "rating": 5 })),
        (
            "dispute/proposals",
            json!({ "refund_minor": 1, "note": "x" }),
        ),
        ("dispute/accept", json!(null)),
        ("dispute/escalate", json!(null)),
        ("dispute/withdraw", json!(null)),
    ];
    for (step, body) in steps {
        let method = if step == "terms" {
            Method::PUT
        } else {
            Method::POST
        };
        for who in [&buyer, &supplier] {
            let (status, err) = s
                .send(
                    method.clone(),
                    &format!("/v1/orders/{o}/{step}"),
                    Some(&who.token),
                    (!body.is_null()).then(|| body.clone()),
                    &[("if-match", "\"1\"")],
                )
                .await;
            assert_eq!(
                (status, err["code"].as_str()),
                (
                    StatusCode::PRECONDITION_FAILED,
                    Some("order.version_conflict")
                ),
                "{step} on version 1: {err}"
            );
            assert_eq!(err["details"]["current_version"], 2, "{step}");
        }
    }
    // A step that could never be taken is refused as such, stale version or not (RFC
    // 9110: a precondition counts only for a request that would otherwise succeed).
    for (step, body, code) in [
        ("feedback", json!({ "rating": 6 }), "order.invalid_feedback"),
        (
            "ship",
            json!({ "carrier": " ", "tracking_number": "1" }),
            "request.invalid_text",
        ),
        (
            "dispute/proposals",
            json!({ "refund_minor": -1, "note": "x" }),
            "request.invalid_amount",
        ),
    ] {
        let (status, err) = s
            .send(
                Method::POST,
                &format!("/v1/orders/{o}/{step}"),
                Some(&buyer.token),
                Some(body),
                &[("if-match", "\"1\"")],
            )
            .await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
            "{step}: {err}"
        );
    }
    let (_, now) = s.get(&format!("/v1/orders/{o}"), &buyer).await;
    assert_eq!(now["order"]["version"], 2, "nothing changed: {now}");
    // On the version reviewed, the step is taken.
    let (status, cancelled) = s
        .send(
            Method::POST,
            &format!("/v1/orders/{o}/cancel"),
            Some(&buyer.token),
            Some(json!({ "note": "Changed my mind." })),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["order"]["status"], "cancelled");
}

#[tokio::test]
async fn a_refresh_retried_after_its_window_or_after_its_pair_was_used_ends_the_family() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    // A pair never presented can be fetched again within a day (a lost answer)...
    let (status, first) = s.refresh(&buyer.refresh).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    s.advance(SignedDuration::from_hours(23));
    let (status, again) = s.refresh(&buyer.refresh).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["refresh_token"], first["refresh_token"]);
    // ...but not after it: then the old token coming back is reuse.
    s.advance(SignedDuration::from_hours(2));
    let (status, err) = s.refresh(&buyer.refresh).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("auth.refresh_reused"))
    );
    let next = first["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(s.refresh(&next).await.0, StatusCode::UNAUTHORIZED);

    // Renewing with the new refresh token also claims the pair: the old token replayed
    // afterwards (past the late-copy minutes) is reuse.
    let other = s.login(&buyer.email).await;
    let (_, second) = s.refresh(&other.refresh).await;
    let (status, third) = s.refresh(second["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{third}");
    s.advance(SignedDuration::from_mins(3));
    assert_eq!(
        s.refresh(&other.refresh).await.1["code"],
        json!("auth.refresh_reused")
    );
    let third_access = third["access_token"].as_str().unwrap();
    assert_eq!(
        s.send(Method::GET, "/v1/me", Some(third_access), None, &[])
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let (status, rotated) = s.refresh(&buyer.refresh).await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    let new_access = rotated["access_token"].as_str().unwrap().to_owned();
    let new_refresh = rotated["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, buyer.refresh);
    assert_eq!(
        s.send(Method::GET, "/v1/me", Some(&new_access), None, &[])
            .await
            .0,
        StatusCode::OK
    );
    // The spent token comes back moments later, after its pair was used: a late copy of
    // that refresh (a slow network), refused without ending the session.
    let (status, err) = s.refresh(&buyer.refresh).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("auth.refresh_spent"))
    );
    assert_eq!(
        s.send(Method::GET, "/v1/me", Some(&new_access), None, &[])
            .await
            .0,
        StatusCode::OK
    );
    // It comes back later (stolen): the whole family dies, including the new pair.
    s.advance(SignedDuration::from_mins(3));
    let (status, err) = s.refresh(&buyer.refresh).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("auth.refresh_reused"))
    );
    assert_eq!(
        s.send(Method::GET, "/v1/me", Some(&new_access), None, &[])
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(s.refresh(&new_refresh).await.0, StatusCode::UNAUTHORIZED);
    // A fresh login is unaffected; logout ends that session.
    let again = s.login(&buyer.email).await;
    assert_eq!(s.get("/v1/me", &again).await.0, StatusCode::OK);
    assert_eq!(
        s.send(
            Method::DELETE,
            "/v1/sessions/current",
            Some(&again.token),
            None,
            &[]
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(s.get("/v1/me", &again).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_login_burst_is_limited_per_account_and_wrong_passwords_are_refused() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await; // one login
    let attempt = |password: &'static str| {
        let s = &s;
        let email = buyer.email.clone();
        async move {
            s.send(
                Method::POST,
                "/v1/sessions",
                None,
                Some(json!({ "email": email, "password": password })),
                &[],
            )
            .await
        }
    };
    let (status, err) = attempt("wrong password!").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("auth.bad_credentials"))
    );
    let mut limited = 0;
    for _ in 0..12 {
        let (status, err) = attempt("wrong password!").await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(err["code"], "auth.rate_limited");
            limited += 1;
        }
    }
    assert!(
        limited >= 3,
        "a burst of 14 attempts in a minute meets 429s, got {limited}"
    );
    // Even the right password waits until the window passes, from this address; the
    // 429 says how long.
    let resp = s
        .client
        .post(format!("{}/v1/sessions", s.base))
        .json(&json!({ "email": buyer.email, "password": support::PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=60).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    // The owner signing in from another address is not locked out by those guesses.
    let port = s.base.rsplit(':').next().unwrap().parse::<u16>().unwrap();
    let elsewhere = trade_test_api::client_builder(&trade_test_api::ca_in(&s.dir))
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .resolve(
            "localhost",
            std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        )
        .build()
        .unwrap();
    let resp = elsewhere
        .post(format!("{}/v1/sessions", s.base))
        .json(&json!({ "email": buyer.email, "password": support::PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED, "the owner, elsewhere");
    s.advance(jiff::SignedDuration::from_secs(61));
    assert_eq!(attempt(support::PASSWORD).await.0, StatusCode::CREATED);
    // Registering an operator through the API is refused.
    let (status, _) = s
        .send(
            Method::POST,
            "/v1/accounts",
            None,
            Some(json!({
                "email": "ops@example.com", "password": support::PASSWORD, "display_name": "Ops",
                "role": "operator", "company_name": "X", "country": "HK"
            })),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
