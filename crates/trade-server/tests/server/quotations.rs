//! Structured quotations over the real HTTPS API (issue 17): a supplier's quotation in
//! the thread (a supplier message the buyer has not read, whose `quotation` refers to
//! it), kept once per Idempotency-Key, refused with every problem at once, seen only by
//! the inquiry's parties (404 for anyone else, in sync too); the platform's dated
//! exchange-rate tables; supplier facts from a hand-built world.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{TestServer, User};

/// "USD 6.05 per piece from 300, 5.80 from 1,000, FOB Ningbo, 26 days, valid 30 days".
fn quotation(s: &TestServer, inquiry: &str) -> Value {
    json!({
        "inquiry": inquiry,
        "product": "Stainless steel water bottle 750 ml",
        "tiers": [
            { "min_quantity": 300, "unit_price_minor": 605 },
            { "min_quantity": 1000, "unit_price_minor": 580 }
        ],
        "currency": "USD",
        "moq": 300,
        "lead_time_days": 26,
        "incoterm": "FOB",
        "named_place": "Ningbo",
        "valid_until": s.date_in(30),
        "sample_price_minor": 0,
        "notes": "<b>Carton of 24</b>"
    })
}

async fn open_inquiry(s: &TestServer, buyer: &User, supplier: &User) -> String {
    let inquiry = s
        .ok(
            "/v1/inquiries",
            buyer,
            json!({ "supplier": supplier.id, "product": "Water bottle", "message": "Your price for 2,000?" }),
        )
        .await;
    inquiry["id"].as_str().unwrap().to_owned()
}

async fn send_keyed(
    s: &TestServer,
    u: &User,
    path: &str,
    body: Value,
    key: &str,
) -> (StatusCode, Value) {
    s.send(
        Method::POST,
        path,
        Some(&u.token),
        Some(body),
        &[("idempotency-key", key)],
    )
    .await
}

/// Every change of `u`'s feed from the start: (kind, id, record data).
async fn feed(s: &TestServer, u: &User) -> Vec<(String, String, Value)> {
    let (status, page) = s.get("/v1/sync/pull?limit=1000", u).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["has_more"], false);
    page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_owned(),
                c["id"].as_str().unwrap().to_owned(),
                c["record"]["data"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_quotation_is_a_card_in_the_thread_unread_by_the_buyer_and_kept_once_per_key() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let inquiry = open_inquiry(&s, &buyer, &supplier).await;
    let path = format!("/v1/inquiries/{inquiry}/quotations");

    let (status, q) = send_keyed(&s, &supplier, &path, quotation(&s, &inquiry), "quote-1").await;
    assert_eq!(status, StatusCode::CREATED, "{q}");
    assert_eq!(q["supplier"], supplier.id.as_str());
    assert_eq!(q["inquiry"], inquiry.as_str());
    assert_eq!(q["tiers"][1]["unit_price_minor"], 580);
    assert_eq!(q["valid_until"], s.date_in(30));
    // A retry with the same key gets the first answer, not a second quotation.
    let (status, again) =
        send_keyed(&s, &supplier, &path, quotation(&s, &inquiry), "quote-1").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again, q);
    let (_, listed) = s.get(&path, &buyer).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["items"][0], q);

    // In the thread: the supplier's message carrying it, its text the plain summary
    // (the notes are text, never markup), unread by the buyer.
    let (_, thread) = s
        .get(&format!("/v1/inquiries/{inquiry}/messages"), &buyer)
        .await;
    let items = thread["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{thread}");
    assert_eq!(items[0]["quotation"], Value::Null, "the opening message");
    let card = &items[1];
    assert_eq!(card["quotation"], q["id"]);
    assert_eq!(card["sender"], supplier.id.as_str());
    assert_eq!(card["read"], false);
    let body = card["body"].as_str().unwrap();
    assert!(
        body.starts_with(
            "Quotation for Stainless steel water bottle 750 ml: USD 6.05 per unit from 300"
        ),
        "{body}"
    );
    assert!(body.ends_with("\n<b>Carton of 24</b>"), "{body}");
    let (_, seen) = s.get(&format!("/v1/inquiries/{inquiry}"), &buyer).await;
    assert_eq!(seen["unread_count"], 1);
    assert!(
        seen["last_message_preview"]
            .as_str()
            .unwrap()
            .starts_with("Quotation for")
    );
    let (_, unread) = s.get("/v1/unread", &buyer).await;
    assert_eq!(unread, json!({ "total": 1, "inquiries_with_unread": 1 }));
    // Reading the thread reads the quotation.
    s.ok(
        &format!("/v1/inquiries/{inquiry}/read"),
        &buyer,
        json!({ "up_to": card["id"] }),
    )
    .await;
    let (_, unread) = s.get("/v1/unread", &buyer).await;
    assert_eq!(unread["total"], 0);

    // Both parties have it in their feed, the message pointing at it.
    for u in [&buyer, &supplier] {
        let changes = feed(&s, u).await;
        let quoted: Vec<_> = changes.iter().filter(|c| c.0 == "quotation").collect();
        assert_eq!(quoted.len(), 1, "{changes:?}");
        assert_eq!(quoted[0].2, q);
        assert!(
            changes
                .iter()
                .any(|c| c.0 == "message" && c.2["quotation"] == q["id"])
        );
    }
    s.running.shutdown().await;
}

#[tokio::test]
async fn only_the_parties_see_a_quotation_and_only_its_supplier_sends_one() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let other_buyer = s.register("buyer", "Bob Other").await;
    let other_supplier = s.register("supplier", "Wu Other").await;
    let inquiry = open_inquiry(&s, &buyer, &supplier).await;
    let path = format!("/v1/inquiries/{inquiry}/quotations");
    let q = s.ok(&path, &supplier, quotation(&s, &inquiry)).await;
    let id = q["id"].as_str().unwrap();

    for party in [&buyer, &supplier] {
        let (status, seen) = s.get(&format!("/v1/quotations/{id}"), party).await;
        assert_eq!((status, &seen), (StatusCode::OK, &q));
    }
    // Another buyer (or supplier) cannot tell it exists: 404, as for a made-up id.
    for stranger in [&other_buyer, &other_supplier] {
        for path in [format!("/v1/quotations/{id}"), path.clone()] {
            let (status, body) = s.get(&path, stranger).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (StatusCode::NOT_FOUND, Some("not_found")),
                "{path}"
            );
        }
        let (status, _) = s
            .get(
                &format!("/v1/quotations/{}", uuid::Uuid::now_v7()),
                stranger,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let changes = feed(&s, stranger).await;
        assert!(
            changes.iter().all(|c| c.1 != id && c.0 != "quotation"),
            "a stranger's feed carries the quotation: {changes:?}"
        );
        let (status, body) = s.post(&path, stranger, quotation(&s, &inquiry)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
    }
    // The buyer may not quote in its own inquiry.
    let (status, body) = s.post(&path, &buyer, quotation(&s, &inquiry)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("quotation.suppliers_only"))
    );
    // A quotation naming another inquiry is not sent in this one.
    let elsewhere = open_inquiry(&s, &other_buyer, &supplier).await;
    let (status, body) = s.post(&path, &supplier, quotation(&s, &elsewhere)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("request.invalid"))
    );
    let (_, listed) = s.get(&path, &buyer).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    s.running.shutdown().await;
}

#[tokio::test]
async fn an_invalid_quotation_is_refused_with_every_problem_at_once_on_the_servers_date() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let inquiry = open_inquiry(&s, &buyer, &supplier).await;
    let path = format!("/v1/inquiries/{inquiry}/quotations");
    let mut bad = quotation(&s, &inquiry);
    bad["tiers"] = json!([
        { "min_quantity": 300, "unit_price_minor": 605 },
        { "min_quantity": 200, "unit_price_minor": 700 }
    ]);
    bad["lead_time_days"] = json!(0);
    bad["valid_until"] = json!(s.date_in(-1));
    bad["named_place"] = json!(" ");
    let (status, err) = s.post(&path, &supplier, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["code"], "quotation.invalid");
    let problems: Vec<(&str, &str)> = err["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [
            ("tiers[1].min_quantity", "quotation.tiers_not_ascending"),
            ("tiers[1].unit_price_minor", "quotation.unit_price_rises"),
            ("lead_time_days", "quotation.lead_time_out_of_range"),
            ("valid_until", "quotation.valid_until_past"),
            ("named_place", "quotation.bad_named_place"),
        ]
    );
    assert!(
        err["details"][3]["message"]
            .as_str()
            .unwrap()
            .contains("today or later")
    );
    // Nothing of it was written.
    let (_, thread) = s
        .get(&format!("/v1/inquiries/{inquiry}/messages"), &buyer)
        .await;
    assert_eq!(thread["items"].as_array().unwrap().len(), 1);

    // Valid through the server's UTC today: 2026-11-26 (the test clock), not tomorrow's
    // date anywhere else.
    let mut today = quotation(&s, &inquiry);
    today["valid_until"] = json!(s.date_in(0));
    let q = s.ok(&path, &supplier, today).await;
    assert_eq!(q["valid_until"], "2026-11-26");
    // A day later the same date is in the past.
    s.advance(SignedDuration::from_hours(24));
    let supplier = s.login(&supplier.email).await;
    let mut stale = quotation(&s, &inquiry);
    stale["valid_until"] = json!("2026-11-26");
    let (status, err) = s.post(&path, &supplier, stale).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["details"][0]["code"], "quotation.valid_until_past");
    s.running.shutdown().await;
}

#[tokio::test]
async fn exchange_rates_are_published_as_dated_tables() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let (status, body) = s.get("/v1/exchange-rates", &buyer).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    // What `trade-server load-exchange-rates` does with a file.
    let tables = trade_server::rates_csv::parse(
        "date,base,currency,rate\n\
         2026-11-24,USD,EUR,0.93\n\
         2026-11-24,USD,CNY,7.2\n\
         2026-11-25,USD,EUR,0.9215\n\
         2026-11-25,USD,CNY,7.245\n\
         2026-11-27,USD,EUR,0.5\n",
    )
    .unwrap();
    let db = &s.running.state.db;
    let mut w = db.begin().await.unwrap();
    for t in &tables {
        assert!(
            trade_server::store::rates::put(&mut w, t, true, s.now())
                .await
                .unwrap()
        );
    }
    w.commit().await.unwrap();

    // Today (2026-11-26) the newest table on or before it is in force: the 25th's.
    let (status, latest) = s.get("/v1/exchange-rates", &buyer).await;
    assert_eq!(status, StatusCode::OK, "{latest}");
    assert_eq!(
        latest,
        json!({ "date": "2026-11-25", "base": "USD", "rates": { "CNY": "7.245", "EUR": "0.9215" } })
    );
    let (_, day) = s.get("/v1/exchange-rates?date=2026-11-24", &buyer).await;
    assert_eq!(day["date"], "2026-11-24");
    assert_eq!(day["rates"]["EUR"], "0.93");
    let (_, later) = s.get("/v1/exchange-rates?date=2026-12-01", &buyer).await;
    assert_eq!(later["date"], "2026-11-27");
    let (status, _) = s.get("/v1/exchange-rates?date=2026-11-23", &buyer).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = s.get("/v1/exchange-rates?date=yesterday", &buyer).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // A correction replaces a date's table; the demo's "keep what is there" does not.
    let mut w = db.begin().await.unwrap();
    let mut fixed = tables[1].clone();
    fixed.rates.remove(&trade_model::Currency::CNY);
    assert!(
        !trade_server::store::rates::put(&mut w, &fixed, false, s.now())
            .await
            .unwrap()
    );
    assert!(
        trade_server::store::rates::put(&mut w, &fixed, true, s.now())
            .await
            .unwrap()
    );
    w.commit().await.unwrap();
    let (_, latest) = s.get("/v1/exchange-rates", &buyer).await;
    assert_eq!(latest["rates"], json!({ "EUR": "0.9215" }));
    s.running.shutdown().await;
}

/// An order from `buyer` to `supplier` taken to `completed`: confirmed, paid by card,
/// shipped, received.
async fn completed_order(s: &TestServer, buyer: &User, supplier: &User) -> String {
    let made = s
        .ok(
            "/v1/orders",
            buyer,
            json!({ "counterparty": supplier.id, "origin": "template", "terms": s.terms(&[("Bottle", 100, 500)], None) }),
        )
        .await;
    let order = made["order"]["id"].as_str().unwrap().to_owned();
    let (status, body) = s
        .send(
            Method::POST,
            &format!("/v1/orders/{order}/confirm"),
            Some(&supplier.token),
            None,
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let card = json!({ "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123", "holder": "Ann Buyer" });
    s.ok(
        &format!("/v1/orders/{order}/payments"),
        buyer,
        json!({ "method": "card", "amount_minor": 50_000, "card": card }),
    )
    .await;
    s.ok(
        &format!("/v1/orders/{order}/ship"),
        supplier,
        json!({ "carrier": "Maersk", "tracking_number": "MAEU1234567" }),
    )
    .await;
    let done = s
        .ok(
            &format!("/v1/orders/{order}/confirm-receipt"),
            buyer,
            json!({}),
        )
        .await;
    assert_eq!(done["order"]["status"], "completed", "{done}");
    order
}

#[tokio::test]
async fn supplier_facts_count_what_the_records_say() {
    let s = TestServer::start().await;
    let member_since = s.now();
    let supplier = s.register("supplier", "Li Supplier").await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let operator = s.operator().await;
    let (buyer, supplier) = (&buyer, &supplier);

    // First replies after 10 minutes, 30 minutes and 2 hours (the buyer wrote again in
    // between: the time counts from the opening message); one inquiry unanswered.
    // (Access tokens live 15 minutes: each step signs in again after the clock moves.)
    for (wait, nudge) in [(10, false), (30, false), (120, true)] {
        let inquiry = open_inquiry(&s, &s.login(&buyer.email).await, supplier).await;
        let said = format!("/v1/inquiries/{inquiry}/messages");
        if nudge {
            s.advance(SignedDuration::from_mins(wait / 2));
            let buyer = s.login(&buyer.email).await;
            s.ok(&said, &buyer, json!({ "body": "Any news?" })).await;
            s.advance(SignedDuration::from_mins(wait / 2));
        } else {
            s.advance(SignedDuration::from_mins(wait));
        }
        let supplier = s.login(&supplier.email).await;
        s.ok(&said, &supplier, json!({ "body": "USD 5.80." })).await;
        s.ok(&said, &supplier, json!({ "body": "And samples are free." }))
            .await;
    }
    let (buyer, supplier) = (
        &s.login(&buyer.email).await,
        &s.login(&supplier.email).await,
    );
    open_inquiry(&s, buyer, supplier).await;

    // Three completed orders; two disputed after completion, one decided with a refund
    // (lost), one decided with none (not lost); one order still unconfirmed.
    let won = completed_order(&s, buyer, supplier).await;
    let lost = completed_order(&s, buyer, supplier).await;
    completed_order(&s, buyer, supplier).await;
    s.ok(
        "/v1/orders",
        buyer,
        json!({ "counterparty": supplier.id, "origin": "template", "terms": s.terms(&[("Cup", 10, 100)], None) }),
    )
    .await;
    for order in [&won, &lost] {
        s.ok(
            &format!("/v1/orders/{order}/dispute"),
            buyer,
            json!({ "reason": "quality_problem", "claim_minor": 10_000, "description": "Dented.", "evidence": [] }),
        )
        .await;
    }
    s.advance(SignedDuration::from_hours(72));
    let (buyer, operator) = (
        &s.login(&buyer.email).await,
        &s.login(&operator.email).await,
    );
    for (order, refund) in [(&won, 0), (&lost, 5_000)] {
        s.ok(
            &format!("/v1/orders/{order}/dispute/escalate"),
            buyer,
            json!({}),
        )
        .await;
        let decided = s
            .ok(
                &format!("/v1/operator/orders/{order}/dispute/decision"),
                operator,
                json!({ "refund_minor": refund, "note": "Decided." }),
            )
            .await;
        assert_eq!(
            decided["order"]["dispute"]["status"], "decided",
            "{decided}"
        );
    }

    // Two years and a bit later.
    s.advance(SignedDuration::from_hours(24 * 800));
    let buyer = s.login(&buyer.email).await;
    let (status, facts) = s
        .get(&format!("/v1/suppliers/{}/facts", supplier.id), &buyer)
        .await;
    assert_eq!(status, StatusCode::OK, "{facts}");
    assert_eq!(facts["supplier"], supplier.id.as_str());
    assert_eq!(facts["member_since"], member_since.to_string());
    assert_eq!(facts["years_on_platform"], 2);
    assert_eq!(facts["median_first_reply_secs"], 30 * 60, "{facts}");
    assert_eq!(facts["inquiries_answered"], 3);
    assert_eq!(facts["inquiries_unanswered"], 1);
    assert_eq!(facts["completed_orders"], 3);
    assert_eq!(facts["disputes_lost"], 1);
    assert_eq!(facts["as_of"], s.now().to_string());

    // Only suppliers have facts.
    for id in [buyer.id.clone(), uuid::Uuid::now_v7().to_string()] {
        let (status, _) = s.get(&format!("/v1/suppliers/{id}/facts"), &buyer).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    s.running.shutdown().await;
}

/// An order placed from a quotation names it; the server keeps the link only for a
/// quotation its supplier sent in the order's inquiry, and only while its prices hold.
#[tokio::test]
async fn an_order_names_its_suppliers_quotation_from_its_inquiry_while_it_holds() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let other = s.register("supplier", "Wu Other").await;
    let inquiry = open_inquiry(&s, &buyer, &supplier).await;
    let q = s
        .ok(
            &format!("/v1/inquiries/{inquiry}/quotations"),
            &supplier,
            quotation(&s, &inquiry),
        )
        .await;
    let elsewhere = open_inquiry(&s, &buyer, &other).await;
    let other_q = s
        .ok(
            &format!("/v1/inquiries/{elsewhere}/quotations"),
            &other,
            quotation(&s, &elsewhere),
        )
        .await;
    // 2,000 pieces at the 1,000+ tier.
    let order = |to: &User, inquiry: Option<&str>, quotation: Value| {
        json!({
            "counterparty": to.id,
            "inquiry": inquiry,
            "origin": "template",
            "terms": s.terms(&[("Stainless steel water bottle 750 ml", 2_000, 580)], None),
            "quotation": quotation,
        })
    };

    let placed = s
        .ok(
            "/v1/orders",
            &buyer,
            order(&supplier, Some(&inquiry), q["id"].clone()),
        )
        .await;
    assert_eq!(placed["order"]["quotation"], q["id"], "{placed}");
    let id = placed["order"]["id"].as_str().unwrap();
    for party in [&buyer, &supplier] {
        let (_, seen) = s.get(&format!("/v1/orders/{id}"), party).await;
        assert_eq!(seen["order"]["quotation"], q["id"], "{seen}");
    }
    let synced = feed(&s, &supplier).await;
    assert!(
        synced.iter().any(|(kind, rid, data)| kind == "order"
            && rid == id
            && data["order"]["quotation"] == q["id"]),
        "the supplier's feed carries the order with its quotation: {synced:?}"
    );

    // Another supplier's quotation, one from another inquiry, none at all, a made-up id:
    // one answer, so a quotation id of someone else's tells nothing.
    let made_up = json!(uuid::Uuid::now_v7().to_string());
    for (to, inquiry, named) in [
        (&supplier, Some(inquiry.as_str()), other_q["id"].clone()),
        (&other, Some(elsewhere.as_str()), q["id"].clone()),
        (&supplier, None, q["id"].clone()),
        (&supplier, Some(inquiry.as_str()), made_up),
    ] {
        let (status, body) = s
            .post("/v1/orders", &buyer, order(to, inquiry, named))
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("order.quotation_mismatch")
            ),
            "{body}"
        );
    }

    // Valid through its 30th day (UTC), expired on the 31st.
    s.advance(SignedDuration::from_hours(24 * 31));
    let buyer = s.login(&buyer.email).await;
    let (status, body) = s
        .post(
            "/v1/orders",
            &buyer,
            order(&supplier, Some(&inquiry), q["id"].clone()),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("quotation.expired")),
        "{body}"
    );
    assert_eq!(body["details"]["valid_until"], q["valid_until"], "{body}");
    // Without the link the same order is an ordinary one.
    s.ok(
        "/v1/orders",
        &buyer,
        order(&supplier, Some(&inquiry), Value::Null),
    )
    .await;
    s.running.shutdown().await;
}
