//! The deadline engine fires when the test clock moves past a deadline, never before.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use jiff::SignedDuration;
use reqwest::Method;
use serde_json::json;
use support::TestServer;

const SECOND: SignedDuration = SignedDuration::from_secs(1);

#[tokio::test]
async fn unconfirmed_orders_cancel_after_30_days_and_not_a_second_earlier() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let order = s
        .ok("/v1/orders", &buyer, json!({ "counterparty": supplier.id, "origin": "template", "terms": s.terms(&[("Fan", 10, 900)], None) }))
        .await;
    let id = order["order"]["id"].as_str().unwrap().to_owned();
    assert_eq!(order["next_deadline"]["kind"], "confirmation_expires");

    s.advance(SignedDuration::from_hours(30 * 24) - SECOND);
    // Run the engine now, deterministically: nothing is due yet.
    assert_eq!(
        trade_server::deadlines::run_due(&s.running.state)
            .await
            .unwrap(),
        0
    );
    let buyer = s.login(&buyer.email).await;
    let (_, still) = s.get(&format!("/v1/orders/{id}"), &buyer).await;
    assert_eq!(still["order"]["status"], "awaiting_confirmation");

    s.advance(SECOND);
    // The running engine wakes on the clock change and cancels it.
    let cancelled = s
        .wait_for(&format!("/v1/orders/{id}"), &buyer, |o| {
            o["order"]["status"] == "cancelled"
        })
        .await;
    assert_eq!(cancelled["box"], "cancelled");
    assert!(
        cancelled["order"]["cancel_reason"]
            .as_str()
            .unwrap()
            .contains("30 days")
    );
    let (_, events) = s.get(&format!("/v1/orders/{id}/events"), &buyer).await;
    assert_eq!(
        events.as_array().unwrap().last().unwrap()["actor"],
        "system"
    );
    s.running.shutdown().await;
}

#[tokio::test]
async fn shipped_orders_complete_at_the_receipt_deadline_and_disputes_escalate_on_day_7() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let order = s
            .ok("/v1/orders", &buyer, json!({ "counterparty": supplier.id, "origin": "template", "terms": s.terms(&[("Fan", 10, 900)], None) }))
            .await;
        let id = order["order"]["id"].as_str().unwrap().to_owned();
        s.send(
            Method::POST,
            &format!("/v1/orders/{id}/confirm"),
            Some(&supplier.token),
            None,
            &[("if-match", "\"1\"")],
        )
        .await;
        s.ok(&format!("/v1/orders/{id}/payments"), &buyer, json!({ "method": "card", "amount_minor": 9000,
            "card": { "number": "4242424242424242", "exp_month": 1, "exp_year": 2031, "cvc": "999", "holder": "Ann" } })).await;
        s.ok(
            &format!("/v1/orders/{id}/ship"),
            &supplier,
            json!({ "carrier": "UPS", "tracking_number": "1Z999" }),
        )
        .await;
        ids.push(id);
    }
    // The buyer extends the receiving time of the first once (+15 days) and disputes the second.
    let extended = s
        .ok(
            &format!("/v1/orders/{}/extend-receipt", ids[0]),
            &buyer,
            json!({}),
        )
        .await;
    let (status, _) = s
        .post(
            &format!("/v1/orders/{}/extend-receipt", ids[0]),
            &buyer,
            json!({}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CONFLICT, "once per side");
    let deadline: jiff::Timestamp = extended["next_deadline"]["at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        deadline.duration_since(s.now()),
        SignedDuration::from_hours(45 * 24)
    );
    s.ok(
        &format!("/v1/orders/{}/dispute", ids[1]),
        &buyer,
        json!({ "reason": "damaged", "claim_minor": 9000, "description": "Broken blades." }),
    )
    .await;

    // Day 7 of the dispute (6 days after filing) minus a second: nothing.
    s.advance(SignedDuration::from_hours(6 * 24) - SECOND);
    assert_eq!(
        trade_server::deadlines::run_due(&s.running.state)
            .await
            .unwrap(),
        0
    );
    s.advance(SECOND);
    let buyer = s.login(&buyer.email).await;
    let escalated = s
        .wait_for(&format!("/v1/orders/{}", ids[1]), &buyer, |o| {
            o["order"]["dispute"]["status"] == "escalated"
        })
        .await;
    assert_eq!(escalated["order"]["dispute"]["auto_escalated"], true);
    assert_eq!(
        escalated["order"]["status"], "shipped",
        "the dispute suspends auto-completion"
    );

    // The extended receipt deadline: 45 days after shipment.
    s.advance(SignedDuration::from_hours(39 * 24) - SECOND);
    assert_eq!(
        trade_server::deadlines::run_due(&s.running.state)
            .await
            .unwrap(),
        0
    );
    s.advance(SECOND);
    let buyer = s.login(&buyer.email).await;
    let completed = s
        .wait_for(&format!("/v1/orders/{}", ids[0]), &buyer, |o| {
            o["order"]["status"] == "completed"
        })
        .await;
    assert_eq!(completed["box"], "completed");
    let (_, disputed) = s.get(&format!("/v1/orders/{}", ids[1]), &buyer).await;
    assert_eq!(
        disputed["box"], "in_dispute",
        "still waiting for the dispute team"
    );
    s.running.shutdown().await;
}
