//! Exactly once when the connection goes away mid-request, and card payments whose
//! gateway answer was lost:
//!
//! - a client sends a keyed create, resets the connection at once (0 to 15 ms after the
//!   last byte), and retries with the same key: the retry always answers with the created
//!   record, and the record exists once — messages, orders, card and transfer payments,
//!   disputes, uploads;
//! - a card payment interrupted between "processing" and the gateway's answer (the
//!   gateway never answers) is "still processing" to a retry, and a server started
//!   afterwards settles it from the gateway's books: approved when the card was charged,
//!   failed (nothing charged, a retry pays anew) when the charge never arrived.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;
use tokio::io::AsyncWriteExt;
use trade_model::PaymentId;
use trade_server::clock::TestClock;
use trade_server::payments::gateway::{
    Charge, ChargeOutcome, GatewayError, PaymentGateway, SandboxGateway,
};

use crate::support::{TestServer, User};

/// Delays between the request's last byte and the reset.
const RESET_AFTER_MS: [f64; 6] = [0.0, 0.3, 1.0, 3.0, 8.0, 15.0];

fn card(number: &str) -> Value {
    json!({ "number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123", "holder": "Ann Buyer" })
}

/// Sends one whole HTTP/1.1 request over TLS and resets the connection (RST) `after`
/// the last byte, without reading the answer: the client that went away.
async fn send_then_reset(s: &TestServer, head: String, body: &[u8], after: Duration) {
    let ca = std::fs::read(s.dir.join("tls/ca.pem")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut ca.as_slice()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(s.running.addr)
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.write_all(body).await.unwrap();
    tls.flush().await.unwrap();
    if !after.is_zero() {
        // The fault's timing (how long the client stays), not a wait for an outcome.
        tokio::time::sleep(after).await;
    }
    let (tcp, _) = tls.into_inner();
    tcp.set_zero_linger().unwrap();
    drop(tcp);
}

/// A keyed POST of `body`, reset right after sending, then retried with the same key
/// until the server answers with something other than "still processing".
async fn reset_then_retry(
    s: &TestServer,
    user: &User,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
    key: &str,
    after: Duration,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    reset_then_retry_with(s, user, path, content_type, body, key, after, None).await
}

/// As [`reset_then_retry`], for a step taken on a version (`If-Match`).
#[allow(clippy::too_many_arguments)]
async fn reset_then_retry_with(
    s: &TestServer,
    user: &User,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
    key: &str,
    after: Duration,
    if_match: Option<&str>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let version = if_match
        .map(|v| format!("if-match: {v}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {}\r\n\
         idempotency-key: {key}\r\n{version}content-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        user.token,
        body.len()
    );
    send_then_reset(s, head, &body, after).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut retry = s
            .client
            .post(format!("{}{path}", s.base))
            .bearer_auth(&user.token)
            .header("idempotency-key", key)
            .header("content-type", content_type)
            .body(body.clone());
        if let Some(v) = if_match {
            retry = retry.header("if-match", v);
        }
        let resp = retry.send().await.expect("the retry reaches the server");
        let status = resp.status();
        let headers = resp.headers().clone();
        let value: Value = resp.json().await.unwrap();
        if status == StatusCode::CONFLICT && value["code"] == "payment.processing" {
            assert!(
                Instant::now() < deadline,
                "{path}: still processing after 20 s"
            );
            tokio::task::yield_now().await;
            continue;
        }
        return (status, value, headers);
    }
}

async fn count(s: &TestServer, sql: &str, arg: &str) -> i64 {
    sqlx::query(sql)
        .bind(arg)
        .fetch_one(s.running.state.db.pool())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

/// An order the supplier has confirmed: the buyer may pay it.
async fn payable_order(s: &TestServer, buyer: &User, supplier: &User, product: &str) -> String {
    let order = s
        .ok(
            "/v1/orders",
            buyer,
            json!({ "counterparty": supplier.id, "origin": "template", "terms": s.terms(&[(product, 10, 1_000)], None) }),
        )
        .await;
    let id = order["order"]["id"].as_str().unwrap().to_owned();
    let (status, body) = s
        .send(
            reqwest::Method::POST,
            &format!("/v1/orders/{id}/confirm"),
            Some(&supplier.token),
            None,
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

fn json_body(v: Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

#[tokio::test]
async fn a_keyed_create_reset_right_after_sending_answers_its_retry_with_the_one_record() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let inquiry = s
        .ok(
            "/v1/inquiries",
            &buyer,
            json!({ "supplier": supplier.id, "product": "LED panel", "message": "Price?" }),
        )
        .await;
    let inquiry = inquiry["id"].as_str().unwrap().to_owned();
    let (pdf_name, pdf) = crate::pipeline::good_fixture("pdf");

    for (round, ms) in RESET_AFTER_MS.iter().enumerate() {
        let after = Duration::from_secs_f64(ms / 1000.0);
        let key = |kind: &str| format!("{kind}-{round}");

        // A chat message.
        let text = format!("Reset round {round}");
        let (status, message, _) = reset_then_retry(
            &s,
            &buyer,
            &format!("/v1/inquiries/{inquiry}/messages"),
            "application/json",
            json_body(json!({ "body": text })),
            &key("message"),
            after,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "message, round {round}: {message}"
        );
        assert_eq!(message["body"], text.as_str());
        assert_eq!(
            count(&s, "SELECT COUNT(*) FROM messages WHERE body = $1", &text).await,
            1,
            "message, round {round}"
        );

        // An order, with its ETag also on a replay.
        let product = format!("Reset cable {round}");
        let (status, order, headers) = reset_then_retry(
            &s,
            &buyer,
            "/v1/orders",
            "application/json",
            json_body(json!({ "counterparty": supplier.id, "origin": "template", "terms": s.terms(&[(&product, 10, 100)], None) })),
            &key("order"),
            after,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "order, round {round}: {order}");
        assert_eq!(
            headers.get("etag").and_then(|v| v.to_str().ok()),
            Some(format!("\"{}\"", order["order"]["version"]).as_str()),
            "order, round {round}: the answer carries its ETag"
        );
        let orders: Vec<Value> = {
            let (_, page) = s.get("/v1/orders?limit=200", &buyer).await;
            page["items"].as_array().unwrap().clone()
        };
        let made: Vec<&Value> = orders
            .iter()
            .filter(|o| o["order"]["terms"]["lines"][0]["product"] == product.as_str())
            .collect();
        assert_eq!(made.len(), 1, "order, round {round}");
        assert_eq!(made[0]["order"]["id"], order["order"]["id"]);

        // Card and transfer payments.
        for method in ["card", "telegraphic_transfer"] {
            let id = payable_order(&s, &buyer, &supplier, &format!("{method} {round}")).await;
            let mut body = json!({ "method": method, "amount_minor": 10_000 });
            if method == "card" {
                body["card"] = card("4242 4242 4242 4242");
            }
            let (status, paid, _) = reset_then_retry(
                &s,
                &buyer,
                &format!("/v1/orders/{id}/payments"),
                "application/json",
                json_body(body),
                &key(method),
                after,
            )
            .await;
            assert_eq!(
                status,
                StatusCode::CREATED,
                "{method}, round {round}: {paid}"
            );
            let (_, payments) = s.get(&format!("/v1/orders/{id}/payments"), &buyer).await;
            let payments = payments.as_array().unwrap();
            assert_eq!(payments.len(), 1, "{method}, round {round}: {payments:?}");
            assert_eq!(payments[0]["id"], paid["payment"]["id"]);
            let expected = if method == "card" {
                "succeeded"
            } else {
                "processing"
            };
            assert_eq!(payments[0]["status"], expected, "{method}, round {round}");
        }

        // A dispute on a paid order.
        let id = payable_order(&s, &buyer, &supplier, &format!("disputed {round}")).await;
        s.ok(
            &format!("/v1/orders/{id}/payments"),
            &buyer,
            json!({ "method": "card", "amount_minor": 10_000, "card": card("4242424242424242") }),
        )
        .await;
        let (status, disputed, _) = reset_then_retry(
            &s,
            &buyer,
            &format!("/v1/orders/{id}/dispute"),
            "application/json",
            json_body(json!({ "reason": "not_shipped", "claim_minor": 10_000, "description": "Not shipped." })),
            &key("dispute"),
            after,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "dispute, round {round}: {disputed}"
        );
        let (_, order) = s.get(&format!("/v1/orders/{id}"), &buyer).await;
        assert_eq!(
            order["order"]["dispute"]["id"], disputed["order"]["dispute"]["id"],
            "dispute, round {round}"
        );

        // An upload.
        let name = format!("round-{round}-{pdf_name}");
        let (status, doc, _) = reset_then_retry(
            &s,
            &buyer,
            &format!("/v1/documents?name={name}"),
            "application/octet-stream",
            pdf.clone(),
            &key("upload"),
            after,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "upload, round {round}: {doc}");
        assert_eq!(
            count(
                &s,
                "SELECT COUNT(*) FROM documents WHERE file_name = $1",
                &name
            )
            .await,
            1,
            "upload, round {round}"
        );
    }
}

#[tokio::test]
async fn a_lifecycle_step_reset_right_after_sending_answers_its_retry_with_the_step_taken() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    for (round, ms) in RESET_AFTER_MS.iter().enumerate() {
        let after = Duration::from_secs_f64(ms / 1000.0);
        let order = s
            .ok(
                "/v1/orders",
                &buyer,
                json!({ "counterparty": supplier.id, "origin": "template",
                    "terms": s.terms(&[(&format!("Pump {round}"), 10, 1_000)], None) }),
            )
            .await;
        let id = order["order"]["id"].as_str().unwrap().to_owned();

        // Confirming on version 1: the retry gets the confirmation, not "412 the order
        // changed" (it changed: this very confirmation changed it).
        let (status, confirmed, headers) = reset_then_retry_with(
            &s,
            &supplier,
            &format!("/v1/orders/{id}/confirm"),
            "application/json",
            Vec::new(),
            &format!("confirm-{round}"),
            after,
            Some("\"1\""),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "confirm, round {round}: {confirmed}"
        );
        assert_eq!(confirmed["order"]["version"], 2, "round {round}");
        assert_eq!(headers["etag"], "\"2\"", "round {round}");

        // A refund proposal: the retry must not make a second proposal.
        s.ok(
            &format!("/v1/orders/{id}/payments"),
            &buyer,
            json!({ "method": "card", "amount_minor": 10_000, "card": card("4242424242424242") }),
        )
        .await;
        s.ok(
            &format!("/v1/orders/{id}/dispute"),
            &buyer,
            json!({ "reason": "not_shipped", "claim_minor": 10_000, "description": "Not shipped." }),
        )
        .await;
        let (status, proposed, _) = reset_then_retry(
            &s,
            &supplier,
            &format!("/v1/orders/{id}/dispute/proposals"),
            "application/json",
            json_body(json!({ "refund_minor": 4_000, "note": "Part refund." })),
            &format!("propose-{round}"),
            after,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "propose, round {round}: {proposed}");
        let (_, view) = s.get(&format!("/v1/orders/{id}"), &buyer).await;
        assert_eq!(
            view["order"]["dispute"]["proposals"]
                .as_array()
                .map(Vec::len),
            Some(1),
            "round {round}: {view}"
        );

        // Accepting it: the retry gets the settlement, not "no open dispute".
        let (status, settled, _) = reset_then_retry(
            &s,
            &buyer,
            &format!("/v1/orders/{id}/dispute/accept"),
            "application/json",
            Vec::new(),
            &format!("accept-{round}"),
            after,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "accept, round {round}: {settled}");
        assert_eq!(settled["order"]["dispute"]["status"], "settled");
    }
}

#[tokio::test]
async fn a_registration_reset_right_after_sending_answers_its_retry_with_the_account() {
    let s = TestServer::start().await;
    for (round, ms) in RESET_AFTER_MS.iter().enumerate() {
        let request = json!({ "email": format!("retry{round}@example.com"),
            "password": crate::support::PASSWORD, "display_name": "Ann Buyer",
            "role": "buyer", "company_name": "Keller Imports", "country": "de" });
        let body = json_body(request.clone());
        let head = format!(
            "POST /v1/accounts HTTP/1.1\r\nhost: localhost\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        send_then_reset(&s, head, &body, Duration::from_secs_f64(ms / 1000.0)).await;
        let retry = || {
            s.send(
                reqwest::Method::POST,
                "/v1/accounts",
                None,
                Some(request.clone()),
                &[],
            )
        };
        let (status, account) = retry().await;
        assert_eq!(status, StatusCode::CREATED, "round {round}: {account}");
        let (status, again) = retry().await;
        assert_eq!(status, StatusCode::CREATED, "round {round}: {again}");
        assert_eq!(again, account, "round {round}: the same account");
        assert_eq!(
            count(
                &s,
                "SELECT COUNT(*) FROM accounts WHERE email = $1",
                &format!("retry{round}@example.com")
            )
            .await,
            1
        );
        // Someone else registering that email (another password) is refused.
        let mut other = request.clone();
        other["password"] = json!("another password 123");
        let (status, err) = s
            .send(
                reqwest::Method::POST,
                "/v1/accounts",
                None,
                Some(other),
                &[],
            )
            .await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::CONFLICT, Some("account.email_taken"))
        );
    }
}

#[tokio::test]
async fn a_refresh_reset_right_after_sending_answers_its_retry_with_the_same_session() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let mut token = buyer.refresh.clone();
    let mut access = buyer.token.clone();
    let first = token.clone();
    for (round, ms) in RESET_AFTER_MS.iter().enumerate() {
        let body = json_body(json!({ "refresh_token": token }));
        let head = format!(
            "POST /v1/sessions/refresh HTTP/1.1\r\nhost: localhost\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        send_then_reset(&s, head, &body, Duration::from_secs_f64(ms / 1000.0)).await;
        // The app never saw an answer, so it asks again with the same token: it gets
        // the session that refresh made (or makes it, if the first never arrived), and
        // asking once more gives the same one.
        let (status, renewed) = s.refresh(&token).await;
        assert_eq!(status, StatusCode::CREATED, "round {round}: {renewed}");
        let (status, again) = s.refresh(&token).await;
        assert_eq!(status, StatusCode::CREATED, "round {round}: {again}");
        assert_eq!(
            (&again["access_token"], &again["refresh_token"]),
            (&renewed["access_token"], &renewed["refresh_token"]),
            "round {round}: a retry gets the first answer"
        );
        access = renewed["access_token"].as_str().unwrap().to_owned();
        token = renewed["refresh_token"].as_str().unwrap().to_owned();
        let (status, me) = s
            .send(reqwest::Method::GET, "/v1/me", Some(&access), None, &[])
            .await;
        assert_eq!(status, StatusCode::OK, "round {round}: {me}");
        assert_eq!(me["id"], json!(buyer.id), "round {round}");
    }
    // Each renewed session was used, so the spent tokens are spent for good: one coming
    // back later (stolen) ends the family, the current session with it.
    s.advance(SignedDuration::from_mins(3));
    let (status, err) = s.refresh(&first).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("auth.refresh_reused"))
    );
    let (status, _) = s
        .send(reqwest::Method::GET, "/v1/me", Some(&access), None, &[])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(s.refresh(&token).await.0, StatusCode::UNAUTHORIZED);
}

/// A gateway whose answers never arrive: the charge reaches the sandbox's books (or
/// not, with `charges: false`) and then the call hangs, as when the network or the
/// server dies between the request and the provider's answer.
struct Unanswering {
    books: SandboxGateway,
    charges: bool,
}

#[async_trait]
impl PaymentGateway for Unanswering {
    async fn charge(&self, charge: Charge<'_>) -> Result<ChargeOutcome, GatewayError> {
        if self.charges {
            self.books.charge(charge).await?;
        }
        std::future::pending::<Result<ChargeOutcome, GatewayError>>().await
    }

    async fn recover(&self, payment: PaymentId) -> Result<Option<ChargeOutcome>, GatewayError> {
        std::future::pending::<()>().await;
        self.books.recover(payment).await
    }
}

async fn sandbox_books(s_dir: &std::path::Path, database_url: &Option<String>) -> SandboxGateway {
    let url = match database_url {
        Some(url) => url.clone(),
        None => format!(
            "sqlite://{}?mode=rwc",
            s_dir.join("sandbox-gateway.db").display()
        ),
    };
    SandboxGateway::open(&url).await.unwrap()
}

#[tokio::test]
async fn a_card_payment_whose_gateway_answer_was_lost_is_settled_after_a_restart() {
    for charged in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let database_url = crate::support::database_url().await;
        let clock = TestClock::new("2026-11-26T09:00:00Z".parse().unwrap());
        let books = sandbox_books(dir.path(), &database_url).await;
        let url = database_url.clone();
        let first = TestServer::start_in(dir.path(), clock.clone(), move |config| {
            config.database_url = url;
            config.gateway = Some(Arc::new(Unanswering {
                books,
                charges: charged,
            }));
        })
        .await;
        let buyer = first.register("buyer", "Ann Buyer").await;
        let supplier = first.register("supplier", "Li Supplier").await;
        let order = payable_order(&first, &buyer, &supplier, "Steel frame").await;
        let path = format!("/v1/orders/{order}/payments");
        let body =
            json!({ "method": "card", "amount_minor": 10_000, "card": card("4242424242424242") });

        // The buyer gives up waiting; a retry meanwhile is "still processing".
        let gave_up = first
            .client
            .post(format!("{}{path}", first.base))
            .bearer_auth(&buyer.token)
            .header("idempotency-key", "pay-1")
            .json(&body)
            .timeout(Duration::from_millis(500))
            .send()
            .await;
        assert!(gave_up.is_err(), "the gateway never answers");
        let (status, processing) = first
            .send(
                reqwest::Method::POST,
                &path,
                Some(&buyer.token),
                Some(body.clone()),
                &[("idempotency-key", "pay-1")],
            )
            .await;
        assert_eq!(
            (status, processing["code"].as_str()),
            (StatusCode::CONFLICT, Some("payment.processing")),
            "{processing}"
        );
        let (_, payments) = first.get(&path, &buyer).await;
        assert_eq!(payments[0]["status"], "processing");

        // A server started on the same data later (the first one is as good as dead: its
        // gateway call hangs) reconciles at start-up.
        clock.advance(SignedDuration::from_mins(2));
        let url = database_url.clone();
        let second = TestServer::start_in(dir.path(), clock.clone(), move |config| {
            config.database_url = url;
        })
        .await;
        let settled = second
            .wait_for(&path, &buyer, |p| p[0]["status"] != "processing")
            .await;
        let (_, order_now) = second.get(&format!("/v1/orders/{order}"), &buyer).await;
        let (status, answer) = second
            .send(
                reqwest::Method::POST,
                &path,
                Some(&buyer.token),
                Some(body.clone()),
                &[("idempotency-key", "pay-1")],
            )
            .await;
        if charged {
            assert_eq!(settled[0]["status"], "succeeded", "{settled}");
            assert_eq!(order_now["order"]["installments_paid"], 1, "{order_now}");
            assert_eq!(
                status,
                StatusCode::CREATED,
                "the key answers the outcome: {answer}"
            );
            assert_eq!(answer["payment"]["id"], settled[0]["id"]);
            assert_eq!(answer["payment"]["status"], "succeeded");
        } else {
            assert_eq!(settled[0]["status"], "failed", "{settled}");
            assert!(
                settled[0]["failure"]
                    .as_str()
                    .unwrap()
                    .contains("nothing was charged"),
                "{settled}"
            );
            assert_eq!(order_now["order"]["installments_paid"], 0, "{order_now}");
            // Nothing happened at the provider: the retry is a new attempt, which pays.
            assert_eq!(status, StatusCode::CREATED, "{answer}");
            assert_ne!(answer["payment"]["id"], settled[0]["id"]);
            assert_eq!(answer["payment"]["status"], "succeeded");
            let (_, payments) = second.get(&path, &buyer).await;
            assert_eq!(payments.as_array().unwrap().len(), 2, "{payments}");
        }
        second.running.shutdown().await;
        drop(first);
    }
}

/// A card payment whose gateway never answers stays processing until its window ends
/// (seven working days); then the order is payable again, and the Pay Now request's key
/// is free with it: a retry under the same key is a new attempt, never "still
/// processing" for ever.
#[tokio::test]
async fn a_card_payment_that_expired_while_processing_frees_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = crate::support::database_url().await;
    let clock = TestClock::new("2026-11-26T09:00:00Z".parse().unwrap());
    let books = sandbox_books(dir.path(), &database_url).await;
    let url = database_url.clone();
    let s = TestServer::start_in(dir.path(), clock.clone(), move |config| {
        config.database_url = url;
        config.gateway = Some(Arc::new(Unanswering {
            books,
            charges: false,
        }));
        config.pay_now_hold = Duration::from_millis(200);
    })
    .await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let order = payable_order(&s, &buyer, &supplier, "Steel frame").await;
    let path = format!("/v1/orders/{order}/payments");
    let body =
        json!({ "method": "card", "amount_minor": 10_000, "card": card("4242424242424242") });
    let pay = async |token: &str| {
        s.send(
            reqwest::Method::POST,
            &path,
            Some(token),
            Some(body.clone()),
            &[("idempotency-key", "pay-1")],
        )
        .await
    };
    let (status, first) = pay(&buyer.token).await;
    assert_eq!(status, StatusCode::CONFLICT, "{first}");
    assert_eq!(first["code"], "payment.processing");
    let stuck = first["details"]["payment_id"].clone();

    s.advance(SignedDuration::from_hours(14 * 24));
    let buyer = s.login(&buyer.email).await;
    s.wait_for(&format!("/v1/orders/{order}"), &buyer, |o| {
        o["order"]["status"] == "ordered"
    })
    .await;
    // The same key again: a new payment (still waiting on the silent gateway), not the
    // expired one.
    let (status, again) = pay(&buyer.token).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(again["code"], "payment.processing");
    assert_ne!(again["details"]["payment_id"], stuck, "{again}");
    let (_, payments) = s.get(&path, &buyer).await;
    let statuses: Vec<&str> = payments
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 2, "{payments}");
    assert!(
        statuses.contains(&"failed") && statuses.contains(&"processing"),
        "{payments}"
    );
}
