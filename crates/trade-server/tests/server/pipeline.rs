//! The seed's whole pipeline through the real HTTPS API: inquiry → chat → Place Order
//! Online and Upload Contract → both confirm → Pay Now (card approve/decline/review, TT) →
//! ship → Confirm Receipt → completed → feedback; and a dispute to an operator decision.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{TestServer, User};

pub(crate) fn good_fixture(ext: &str) -> (String, Vec<u8>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../trade-documents/tests/fixtures/good");
    let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    let entry = entries
        .into_iter()
        .find(|e| e.path().extension().is_some_and(|x| x == ext))
        .unwrap_or_else(|| panic!("a genuine .{ext} fixture in {}", dir.display()));
    (
        entry.file_name().to_string_lossy().into_owned(),
        std::fs::read(entry.path()).unwrap(),
    )
}

async fn box_count(s: &TestServer, u: &User, b: &str) -> i64 {
    let (_, counts) = s.get("/v1/orders/counts", u).await;
    counts
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["box"] == b)
        .unwrap()["count"]
        .as_i64()
        .unwrap()
}

async fn confirm(s: &TestServer, u: &User, order: &str, version: i64) -> (StatusCode, Value) {
    s.send(
        Method::POST,
        &format!("/v1/orders/{order}/confirm"),
        Some(&u.token),
        None,
        &[("if-match", &format!("\"{version}\""))],
    )
    .await
}

fn card(number: &str) -> Value {
    json!({ "number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123", "holder": "Ann Buyer" })
}

#[tokio::test]
async fn inquiry_chat_order_payment_shipment_receipt_feedback() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;

    // Step 1: an inquiry and a chat; unread counts follow.
    let inquiry = s
        .ok("/v1/inquiries", &buyer, json!({ "supplier": supplier.id, "product": "LED panel 60x60", "message": "Price for 500 pcs?" }))
        .await;
    let inquiry_id = inquiry["id"].as_str().unwrap().to_owned();
    let (_, unread) = s.get("/v1/unread", &supplier).await;
    assert_eq!(unread["total"], 1);
    let reply = s
        .ok(
            &format!("/v1/inquiries/{inquiry_id}/messages"),
            &supplier,
            json!({ "body": "USD 12.50 each, FOB Ningbo." }),
        )
        .await;
    let (_, unread_list) = s.get("/v1/inquiries?filter=unread", &buyer).await;
    assert_eq!(unread_list["items"].as_array().unwrap().len(), 1);
    assert_eq!(unread_list["items"][0]["unread_count"], 1);
    assert_eq!(
        unread_list["items"][0]["last_message_preview"],
        "USD 12.50 each, FOB Ningbo."
    );
    s.ok(
        &format!("/v1/inquiries/{inquiry_id}/read"),
        &buyer,
        json!({ "up_to": reply["id"] }),
    )
    .await;
    let (_, unread_list) = s.get("/v1/inquiries?filter=unread", &buyer).await;
    assert!(unread_list["items"].as_array().unwrap().is_empty());
    let (_, thread) = s
        .get(&format!("/v1/inquiries/{inquiry_id}/messages"), &buyer)
        .await;
    assert_eq!(thread["items"].as_array().unwrap().len(), 2);

    // Step 2: Place Order Online; creating counts as the buyer's confirmation.
    let order = s
        .ok(
            "/v1/orders",
            &buyer,
            json!({
                "counterparty": supplier.id, "inquiry": inquiry_id, "origin": "template",
                "terms": s.terms(&[("LED panel 60x60", 500, 1250)], None)
            }),
        )
        .await;
    let order_id = order["order"]["id"].as_str().unwrap().to_owned();
    assert_eq!(order["box"], "waiting_for_partner");
    assert_eq!(order["status_label"], "Waiting for Your Partner to Confirm");
    assert_eq!(box_count(&s, &buyer, "waiting_for_partner").await, 1);
    assert_eq!(box_count(&s, &supplier, "waiting_for_me").await, 1);
    let (_, seen) = s.get(&format!("/v1/orders/{order_id}"), &supplier).await;
    assert_eq!(seen["status_label"], "Waiting for You to Confirm");

    // The supplier confirms → "Ordered" for both.
    let (status, confirmed) = confirm(&s, &supplier, &order_id, 1).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    assert_eq!(confirmed["box"], "ordered");
    assert_eq!(box_count(&s, &buyer, "ordered").await, 1);

    // Step 3: Pay Now review shows the 2.95% card fee.
    let (_, quote) = s
        .get(&format!("/v1/orders/{order_id}/payment-quote"), &buyer)
        .await;
    assert_eq!(quote["installment"]["amount_minor"], 625_000);
    assert_eq!(quote["card_fee_minor"], 18_438); // 2.95% of 6,250.00 = 184.375 → 184.38
    assert_eq!(quote["beneficiary"]["swift"], "CITIHKHX");

    // Step 4: a declined card leaves the order to pay; an approved one pays it.
    let (status, declined) = s
        .post(&format!("/v1/orders/{order_id}/payments"), &buyer, json!({ "method": "card", "amount_minor": 625_000, "card": card("4000 0000 0000 0002") }))
        .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{declined}");
    assert_eq!(declined["code"], "payment.declined");
    let (_, after_decline) = s.get(&format!("/v1/orders/{order_id}"), &buyer).await;
    assert_eq!(after_decline["order"]["status"], "ordered");
    let paid = s
        .ok(
            &format!("/v1/orders/{order_id}/payments"),
            &buyer,
            json!({ "method": "card", "amount_minor": 625_000, "card": card("4242424242424242") }),
        )
        .await;
    assert_eq!(paid["payment"]["status"], "succeeded");
    assert_eq!(paid["payment"]["card_last4"], "4242");
    assert_eq!(paid["payment"]["fee_minor"], 18_438);
    assert_eq!(paid["order"]["box"], "awaiting_shipment");
    let (_, payments) = s
        .get(&format!("/v1/orders/{order_id}/payments"), &buyer)
        .await;
    let statuses: Vec<_> = payments
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].clone())
        .collect();
    assert_eq!(statuses, vec![json!("declined"), json!("succeeded")]);
    assert!(
        !payments.to_string().contains("4242424242424242"),
        "card number never stored"
    );

    // The supplier ships; Step 5: the buyer confirms receipt; then feedback.
    let shipped = s
        .ok(
            &format!("/v1/orders/{order_id}/ship"),
            &supplier,
            json!({ "carrier": "Maersk", "tracking_number": "MAEU1234567" }),
        )
        .await;
    assert_eq!(shipped["order"]["status"], "shipped");
    assert_eq!(shipped["next_deadline"]["kind"], "receipt_auto_complete");
    let (status, err) = s
        .post(
            &format!("/v1/orders/{order_id}/confirm-receipt"),
            &supplier,
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only the buyer confirms receipt: {err}"
    );
    let done = s
        .ok(
            &format!("/v1/orders/{order_id}/confirm-receipt"),
            &buyer,
            json!({}),
        )
        .await;
    assert_eq!(done["box"], "completed");
    assert_eq!(done["next_deadline"]["kind"], "protection_ends");
    let fb = s
        .ok(
            &format!("/v1/orders/{order_id}/feedback"),
            &buyer,
            json!({ "rating": 5, "comment": "Great panels." }),
        )
        .await;
    assert_eq!(fb["order"]["feedback"]["rating"], 5);
    let (status, _) = s
        .post(
            &format!("/v1/orders/{order_id}/feedback"),
            &buyer,
            json!({ "rating": 4 }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (_, events) = s
        .get(&format!("/v1/orders/{order_id}/events"), &buyer)
        .await;
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "create",
            "confirm",
            "pay_now",
            "payment_failed",
            "pay_now",
            "payment_succeeded",
            "ship",
            "confirm_receipt",
            "leave_feedback"
        ]
    );
    s.running.shutdown().await;
}

#[tokio::test]
async fn uploaded_contract_with_deposit_and_balance_by_transfer_and_reviewed_card() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let operator = s.operator().await;

    // The supplier uploads its pro forma invoice (a real PDF) and starts the order.
    let (name, pdf) = good_fixture("pdf");
    let (status, doc) = s.upload(&supplier, &name, pdf.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    let mut terms = s.terms(&[("Steel frame", 100, 20_000)], Some(30));
    terms["documents"] = json!([doc["id"]]);
    let order = s
        .ok(
            "/v1/orders",
            &supplier,
            json!({ "counterparty": buyer.id, "origin": "uploaded_contract", "terms": terms }),
        )
        .await;
    let order_id = order["order"]["id"].as_str().unwrap().to_owned();
    let (_, seen) = s.get(&format!("/v1/orders/{order_id}"), &buyer).await;
    assert_eq!(seen["box"], "waiting_for_me");

    // The buyer can download the contract: an attachment, never sniffed.
    let resp = s
        .client
        .get(format!(
            "{}/v1/documents/{}/content",
            s.base,
            doc["id"].as_str().unwrap()
        ))
        .bearer_auth(&buyer.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(resp.bytes().await.unwrap().to_vec(), pdf);

    let (status, confirmed) = confirm(&s, &buyer, &order_id, 1).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");

    // Deposit (30%) by telegraphic transfer: designated account + unique reference.
    let tt = s
        .ok(
            &format!("/v1/orders/{order_id}/payments"),
            &buyer,
            json!({ "method": "telegraphic_transfer", "amount_minor": 600_000 }),
        )
        .await;
    let reference = tt["payment"]["reference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("TC-"), "{reference}");
    assert_eq!(tt["beneficiary"]["bank"], "Citibank N.A. Hong Kong Branch");
    assert_eq!(tt["order"]["order"]["status"], "payment_processing");
    let (status, err) = s
        .post(
            &format!("/v1/orders/{order_id}/ship"),
            &supplier,
            json!({ "carrier": "DHL", "tracking_number": "1" }),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("order.invalid_state"))
    );
    // Only operators record arrivals, and only the exact amount.
    let (status, _) = s
        .post(
            "/v1/operator/payments/funds-arrived",
            &buyer,
            json!({ "reference": reference, "amount_minor": 600_000 }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s
        .post(
            "/v1/operator/payments/funds-arrived",
            &operator,
            json!({ "reference": reference, "amount_minor": 500_000 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let arrived = s
        .ok(
            "/v1/operator/payments/funds-arrived",
            &operator,
            json!({ "reference": reference, "amount_minor": 600_000 }),
        )
        .await;
    assert_eq!(arrived["payment"]["status"], "succeeded");
    // Deposit paid: still "Ordered" with the balance due; shipping is refused.
    assert_eq!(arrived["order"]["order"]["status"], "ordered");
    assert_eq!(arrived["order"]["next_installment"]["kind"], "balance");
    let (status, _) = s
        .post(
            &format!("/v1/orders/{order_id}/ship"),
            &supplier,
            json!({ "carrier": "DHL", "tracking_number": "1" }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a deposit+balance order ships only when both are paid"
    );

    // Balance by card, held for review, then approved by an operator.
    let held = s
        .ok(&format!("/v1/orders/{order_id}/payments"), &buyer, json!({ "method": "card", "amount_minor": 1_400_000, "card": card("4000000000009235") }))
        .await;
    assert_eq!(held["payment"]["held_for_review"], true);
    assert_eq!(held["order"]["order"]["status"], "payment_processing");
    let payment_id = held["payment"]["id"].as_str().unwrap();
    let reviewed = s
        .ok(
            &format!("/v1/operator/payments/{payment_id}/review"),
            &operator,
            json!({ "approve": true }),
        )
        .await;
    assert_eq!(reviewed["order"]["order"]["status"], "paid");
    assert_eq!(reviewed["order"]["order"]["paid_minor"], 2_000_000);

    let shipped = s
        .ok(
            &format!("/v1/orders/{order_id}/ship"),
            &supplier,
            json!({ "carrier": "COSCO", "tracking_number": "COSU998877" }),
        )
        .await;
    assert_eq!(shipped["order"]["status"], "shipped");

    // A dispute: negotiation, escalation from day 4, an operator decision capped at paid.
    let (evidence_name, evidence) = good_fixture("jpg");
    let (_, photo) = s.upload(&buyer, &evidence_name, evidence).await;
    let filed = s
        .ok(
            &format!("/v1/orders/{order_id}/dispute"),
            &buyer,
            json!({
                "reason": "quality_problem", "claim_minor": 500_000,
                "description": "Welds cracked on 20 frames.", "evidence": [photo["id"]]
            }),
        )
        .await;
    assert_eq!(filed["box"], "in_dispute");
    // The supplier and the dispute team can see the evidence; the supplier proposes.
    let photo_path = format!("/v1/documents/{}", photo["id"].as_str().unwrap());
    assert_eq!(s.get(&photo_path, &supplier).await.0, StatusCode::OK);
    assert_eq!(s.get(&photo_path, &operator).await.0, StatusCode::OK);
    s.ok(
        &format!("/v1/orders/{order_id}/dispute/proposals"),
        &supplier,
        json!({ "refund_minor": 100_000, "note": "We offer 1,000 USD." }),
    )
    .await;
    let (status, err) = s
        .post(
            &format!("/v1/orders/{order_id}/dispute/escalate"),
            &buyer,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("dispute.escalation_too_early"))
    );
    s.advance(SignedDuration::from_hours(72));
    // Access tokens live 15 minutes: after three days everyone signs in again.
    let (buyer, operator) = (s.login(&buyer.email).await, s.login(&operator.email).await);
    let escalated = s
        .ok(
            &format!("/v1/orders/{order_id}/dispute/escalate"),
            &buyer,
            json!({}),
        )
        .await;
    assert_eq!(escalated["order"]["dispute"]["status"], "escalated");
    let (_, queue) = s.get("/v1/operator/disputes", &operator).await;
    assert!(
        queue
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["order"]["id"] == order_id.as_str())
    );
    // The order's own parties cannot decide, and the route does not exist for them.
    for party in [&buyer, &supplier] {
        let party = s.login(&party.email).await;
        let (status, err) = s
            .post(
                &format!("/v1/operator/orders/{order_id}/dispute/decision"),
                &party,
                json!({ "refund_minor": 1, "note": "my own verdict" }),
            )
            .await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
    }
    let (status, err) = s
        .post(
            &format!("/v1/operator/orders/{order_id}/dispute/decision"),
            &operator,
            json!({ "refund_minor": 2_000_001, "note": "too much" }),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("dispute.exceeds_paid")
        )
    );
    let decided = s
        .ok(
            &format!("/v1/operator/orders/{order_id}/dispute/decision"),
            &operator,
            json!({ "refund_minor": 300_000, "note": "Partial refund for 20 frames." }),
        )
        .await;
    assert_eq!(decided["order"]["dispute"]["status"], "decided");
    assert_eq!(decided["order"]["refunded_minor"], 300_000);
    assert_eq!(decided["order"]["status"], "completed");
    let (_, buyer_view) = s.get(&format!("/v1/orders/{order_id}"), &buyer).await;
    assert_eq!(buyer_view["box"], "completed");
    s.running.shutdown().await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let s = TestServer::start().await;
    let resp = s
        .client
        .get(format!("{}/v1/openapi.json", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let doc: Value = resp.json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/v1/accounts",
        "/v1/sessions",
        "/v1/sessions/refresh",
        "/v1/inquiries",
        "/v1/inquiries/{id}/messages",
        "/v1/orders",
        "/v1/orders/counts",
        "/v1/orders/{id}/terms",
        "/v1/orders/{id}/confirm",
        "/v1/orders/{id}/payments",
        "/v1/orders/{id}/dispute",
        "/v1/documents",
        "/v1/documents/{id}/content",
        "/v1/operator/payments/funds-arrived",
        "/v1/operator/orders/{id}/dispute/decision",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]["OrderView"].is_object());
    assert!(doc["components"]["schemas"]["ApiError"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // Every error code is listed, as the type of ApiError.code.
    assert_eq!(
        doc["components"]["schemas"]["ApiError"]["properties"]["code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
    let listed: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode is an enum of strings")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for code in trade_model::ErrorCode::ALL {
        assert!(listed.contains(&code.as_str()), "{code} unlisted");
    }
    for path in ["/v1/health", "/v1/ready", "/metrics", "/v1/openapi.json"] {
        assert!(paths.contains_key(path), "{path} unlisted");
    }
    assert!(
        paths["/v1/ready"]["get"]["responses"]["503"].is_object(),
        "/v1/ready's 503 undocumented"
    );

    // What a generated client needs of every operation.
    let mut ids = std::collections::BTreeSet::new();
    let mut operations = 0;
    for (path, item) in paths {
        let template: Vec<&str> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let at = format!("{method} {path}");
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{at}: no operationId");
            assert!(ids.insert(id.to_owned()), "{at}: operationId {id} repeats");
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            for name in &template {
                assert!(
                    params
                        .iter()
                        .any(|p| p["in"] == "path" && p["name"] == *name && p["required"] == true),
                    "{at}: path parameter {name} undeclared"
                );
            }
            for p in &params {
                if p["in"] == "path" {
                    assert!(
                        template.contains(&p["name"].as_str().unwrap()),
                        "{at}: {} declared in the path but is not in it",
                        p["name"]
                    );
                }
            }
            let responses = op["responses"].as_object().unwrap();
            let documents = |status: &str| responses.contains_key(status);
            if path.starts_with("/v1/health") || path.starts_with("/v1/openapi") {
                continue;
            }
            assert!(documents("400") && documents("500"), "{at}: 400/500");
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured {
                assert!(documents("401"), "{at}: 401 undocumented");
            }
            if !template.is_empty() {
                assert!(documents("404"), "{at}: 404 undocumented");
            }
            if op.get("requestBody").is_some() {
                for status in ["413", "415", "422"] {
                    assert!(documents(status), "{at}: {status} undocumented");
                }
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ApiError",
                        "{at} {status}: not the error shape"
                    );
                }
            }
            let header = |name: &str| {
                params
                    .iter()
                    .any(|p| p["in"] == "header" && p["name"] == name)
            };
            // Every write but the naturally repeatable ones takes a key; every order and
            // dispute step takes the version it was decided on.
            let unkeyed = [
                "post /v1/accounts",
                "post /v1/sessions",
                "post /v1/sessions/refresh",
                "delete /v1/sessions/current",
                "post /v1/inquiries/{id}/read",
                "delete /v1/documents/{id}",
                "post /v1/sync/push",
            ];
            if method != "get" && !unkeyed.contains(&at.as_str()) {
                assert!(
                    header("Idempotency-Key"),
                    "{at}: Idempotency-Key undeclared"
                );
            }
            let is_step = (path.starts_with("/v1/orders/{id}/")
                && !path.ends_with("/payments")
                && !path.ends_with("/dispute")
                && method != "get")
                || path == "/v1/operator/orders/{id}/dispute/decision";
            if is_step {
                assert!(header("If-Match"), "{at}: If-Match undeclared");
                assert!(documents("412"), "{at}: 412 undocumented");
            }
        }
    }
    assert!(operations >= 45, "{operations} operations");
    s.running.shutdown().await;
}

#[tokio::test]
async fn modification_requests_cancellations_extensions_and_disputes_settled_or_withdrawn() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let (_, directory) = s.get("/v1/suppliers", &buyer).await;
    let listed = directory
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == supplier.id.as_str())
        .unwrap();
    assert_eq!(
        listed["email"], "",
        "the directory does not hand out emails"
    );

    let new_order = |qty: u64| {
        let body = json!({ "counterparty": supplier.id, "origin": "template", "terms": s.terms(&[("Pump", qty, 10_000)], None) });
        let (s, buyer) = (&s, &buyer);
        async move {
            s.ok("/v1/orders", buyer, body).await["order"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };

    // Ordered → the buyer requests a modification → it waits for the supplier again.
    let a = new_order(5).await;
    confirm(&s, &supplier, &a, 1).await;
    let requested = s
        .ok(
            &format!("/v1/orders/{a}/request-modification"),
            &buyer,
            json!({ "note": "Make it 6 pumps." }),
        )
        .await;
    assert_eq!(requested["box"], "waiting_for_partner");
    let (_, seen) = s.get(&format!("/v1/orders/{a}"), &supplier).await;
    assert_eq!(seen["box"], "waiting_for_me");
    assert_eq!(
        seen["order"]["modification_request"]["note"],
        "Make it 6 pumps."
    );
    // Either side may cancel an unpaid order.
    let cancelled = s
        .ok(
            &format!("/v1/orders/{a}/cancel"),
            &supplier,
            json!({ "note": "Out of stock." }),
        )
        .await;
    assert_eq!(cancelled["box"], "cancelled");
    assert_eq!(box_count(&s, &buyer, "cancelled").await, 1);

    // Paid: the supplier extends ship-by up to 90 days in all; the buyer files a dispute,
    // accepts the supplier's proposal: refunded in full, the unshipped order is cancelled.
    let b = new_order(3).await;
    confirm(&s, &supplier, &b, 1).await;
    s.ok(
        &format!("/v1/orders/{b}/payments"),
        &buyer,
        json!({ "method": "card", "amount_minor": 30_000, "card": card("4242424242424242") }),
    )
    .await;
    let (status, err) = s
        .post(&format!("/v1/orders/{b}/cancel"), &buyer, json!({}))
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("order.paid_cannot_cancel"))
    );
    s.ok(
        &format!("/v1/orders/{b}/extend-ship-by"),
        &supplier,
        json!({ "days": 60 }),
    )
    .await;
    let (status, err) = s
        .post(
            &format!("/v1/orders/{b}/extend-ship-by"),
            &supplier,
            json!({ "days": 31 }),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (
            StatusCode::CONFLICT,
            Some("order.ship_by_extension_exceeded")
        )
    );
    s.ok(&format!("/v1/orders/{b}/dispute"), &buyer, json!({ "reason": "not_shipped", "claim_minor": 30_000, "description": "Not shipped after 60 days." })).await;
    s.ok(
        &format!("/v1/orders/{b}/dispute/proposals"),
        &supplier,
        json!({ "refund_minor": 30_000, "note": "Full refund." }),
    )
    .await;
    let settled = s
        .ok(&format!("/v1/orders/{b}/dispute/accept"), &buyer, json!({}))
        .await;
    assert_eq!(settled["order"]["dispute"]["status"], "settled");
    assert_eq!(settled["order"]["refunded_minor"], 30_000);
    assert_eq!(settled["box"], "cancelled");

    // Shipped: a withdrawn dispute is final.
    let c = new_order(1).await;
    confirm(&s, &supplier, &c, 1).await;
    s.ok(
        &format!("/v1/orders/{c}/payments"),
        &buyer,
        json!({ "method": "card", "amount_minor": 10_000, "card": card("4242424242424242") }),
    )
    .await;
    s.ok(
        &format!("/v1/orders/{c}/ship"),
        &supplier,
        json!({ "carrier": "FedEx", "tracking_number": "7777" }),
    )
    .await;
    let filed = s.ok(&format!("/v1/orders/{c}/dispute"), &buyer, json!({ "reason": "not_received", "claim_minor": 10_000, "description": "Nothing arrived." })).await;
    assert_eq!(filed["box"], "in_dispute");
    let (status, _) = s
        .post(
            &format!("/v1/orders/{c}/confirm-receipt"),
            &buyer,
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an open dispute freezes the order"
    );
    let withdrawn = s
        .ok(
            &format!("/v1/orders/{c}/dispute/withdraw"),
            &buyer,
            json!({}),
        )
        .await;
    assert_eq!(withdrawn["box"], "shipped");
    let (status, err) = s
        .post(
            &format!("/v1/orders/{c}/dispute"),
            &buyer,
            json!({ "reason": "not_received", "claim_minor": 10_000, "description": "Again." }),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("dispute.withdrawn_final"))
    );
    s.running.shutdown().await;
}
