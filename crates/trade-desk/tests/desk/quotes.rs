//! A supplier's quotation reaches the thread as a card: against the real demo backend,
//! the buyer asks for a price, the demo supplier's bot answers with a quotation, and
//! after the sync the thread's message carries that quotation, tiers and all, exactly as
//! the server has it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::Demo;
use std::time::{Duration, Instant};

use trade_model::quotation::Quotation;

#[tokio::test]
async fn the_bots_quotation_arrives_in_the_thread_with_its_tiers() {
    let demo = Demo::start(Duration::from_millis(50)).await;
    let (desk, _data) = demo.signed_in_desk().await;
    let (url, ca, accounts) = (&demo.url, &demo.ca, &demo.accounts);

    let deadline = Instant::now() + Duration::from_secs(30);
    let inquiry = loop {
        let page = desk.inquiries(false, None, 50).await.unwrap().items;
        if let Some(i) = page
            .iter()
            .find(|i| i.status == trade_model::entities::InquiryStatus::Open)
        {
            break i.id;
        }
        assert!(
            Instant::now() < deadline,
            "the first sync brought no inquiry"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    let asked = desk
        .send_message(inquiry, "What is your price for 2,000 pieces?".into())
        .await
        .unwrap();

    // The bot's answer: a message after ours whose quotation record has arrived too.
    let card = loop {
        let thread = desk.thread(inquiry, None, 500).await.unwrap().items;
        let ours = thread.iter().position(|t| t.message.id == asked);
        let quoted = ours.and_then(|at| {
            thread[at + 1..]
                .iter()
                .find(|t| t.quotation.is_some())
                .cloned()
        });
        if let Some(q) = quoted {
            break q;
        }
        assert!(
            Instant::now() < deadline,
            "no quotation card after the price question"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    let quotation = card.quotation.clone().unwrap();
    assert_eq!(card.message.quotation, Some(quotation.id));
    assert_eq!(quotation.inquiry, inquiry);
    assert!(!quotation.tiers.is_empty());
    assert!(
        !card.quotation_expired,
        "the demo's quotations hold 30 days"
    );
    assert_eq!(card.message.body, quotation.summary());

    // Exactly what the server has for that message (the buyer's view of the API).
    let api = trade_test_api::Api::new(
        url.clone(),
        trade_test_api::client(&std::fs::read(ca).unwrap()),
    );
    let token = api
        .login(&accounts.buyer.email, accounts.buyer.password)
        .await;
    let page = api
        .get(&format!("/v1/inquiries/{inquiry}/quotations"), &token)
        .await;
    let served: Vec<Quotation> = serde_json::from_value(page["items"].clone()).unwrap();
    let on_server = served
        .iter()
        .find(|q| q.id == quotation.id)
        .expect("the server has the card's quotation");
    assert_eq!(&quotation, on_server);

    // Place order from it: below the MOQ there is no price; at 2,000 a draft at the tier
    // price for 2,000 naming the quotation, which the submitted order keeps.
    let refused = desk
        .draft_from_quotation(quotation.id, quotation.moq - 1)
        .await
        .unwrap_err();
    assert_eq!(refused.code, "quotation.below_moq", "{refused:?}");
    let draft = desk
        .draft_from_quotation(quotation.id, 2_000)
        .await
        .unwrap();
    assert_eq!(draft.counterparty, quotation.supplier);
    assert_eq!(draft.inquiry, Some(inquiry));
    assert_eq!(draft.quotation, Some(quotation.id));
    assert_eq!(draft.terms.currency, quotation.currency);
    assert_eq!(draft.terms.incoterm, quotation.incoterm);
    let line = &draft.terms.lines[0];
    assert_eq!(
        (line.product.as_str(), line.quantity),
        (quotation.product.as_str(), 2_000)
    );
    assert_eq!(
        line.unit_price_minor,
        quotation.unit_price_at(2_000).unwrap().minor
    );
    assert!(desk.save_draft(draft.clone()).await.unwrap().is_empty());
    desk.submit_draft(draft.id).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let order = loop {
        let page = api.get("/v1/orders?limit=200", &token).await;
        let placed = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["order"]["id"] == serde_json::json!(draft.id));
        if let Some(o) = placed {
            break o.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the order never reached the server"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!(order["order"]["quotation"], serde_json::json!(quotation.id));
    demo.running.shutdown().await;
}
