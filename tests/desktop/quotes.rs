//! A supplier's structured quotation in the thread (issue 17): the buyer asks the demo
//! supplier for a price, the bot answers with a quotation, and the thread draws it as a
//! card whose tiers are the server's, formatted from minor units; audited with axe-core in
//! both themes.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::harness;

use anyhow::{anyhow, ensure};
use harness::{FIRST_SYNC, Launch, PATIENCE, signed_in, until};
use serde_json::Value;
use trade_model::Money;
use trade_model::quotation::Quotation;

/// The card's tier rows as shown: (min quantity, unit price minor, currency, price text).
const TIERS_SCRIPT: &str = r#"
const card = document.querySelector(
  `[data-testid="message"][data-message-id="${arguments[0]}"] [data-testid="quotation-card"]`);
if (!card) return null;
return {
  id: card.dataset.quotationId,
  expired: card.dataset.expired,
  product: card.querySelector('[data-testid="quotation-product"]').innerText,
  moq: card.querySelector('[data-testid="quotation-moq"]').innerText,
  lead: card.querySelector('[data-testid="quotation-lead-time"]').innerText,
  incoterm: card.querySelector('[data-testid="quotation-incoterm"]').innerText,
  valid: card.querySelector('[data-testid="quotation-valid-until"] time').getAttribute('datetime'),
  tiers: [...card.querySelectorAll('[data-testid="quotation-tier"]')].map(r => [
    Number(r.dataset.minQuantity), Number(r.dataset.unitPriceMinor), r.dataset.currency,
    r.querySelector('td:last-child').innerText.trim(),
  ]),
};
"#;

#[tokio::test]
async fn a_price_question_is_answered_with_a_quotation_card() {
    let d = signed_in(Launch::default()).await;
    let app = d.app();
    let token = d.backend.buyer_token().await;
    let inquiry = d
        .backend
        .inquiries(&token, "all")
        .await
        .into_iter()
        .find(|i| i["status"] == "open")
        .expect("the demo has an open inquiry");
    let id = inquiry["id"].as_str().unwrap().to_owned();
    app.row(&id).await.click().await.expect("the row opens");
    app.wait_for("thread").await;

    let question = "What is your price for 2,000 pieces?";
    app.type_into("composer-input", question).await;
    app.click("composer-send").await;

    // The bot's quotation on the server: a supplier message after ours naming one.
    let (reply, quotation_id) = until("the bot's quotation on the server", PATIENCE, async || {
        let on_server = d.backend.messages(&token, &id).await;
        let ours = on_server
            .iter()
            .position(|m| m["body"] == question)
            .ok_or_else(|| anyhow!("our question is not on the server yet"))?;
        let reply = on_server[ours + 1..]
            .iter()
            .find(|m| m["sender"] == inquiry["supplier"] && !m["quotation"].is_null())
            .ok_or_else(|| anyhow!("no quotation after the question yet"))?;
        Ok((
            reply["id"].as_str().unwrap().to_owned(),
            reply["quotation"].as_str().unwrap().to_owned(),
        ))
    })
    .await;
    let page = d
        .backend
        .get(&format!("/v1/inquiries/{id}/quotations"), &token)
        .await;
    let served: Vec<Quotation> = serde_json::from_value(page["items"].clone()).unwrap();
    let quotation = served
        .iter()
        .find(|q| q.id.to_string() == quotation_id)
        .expect("the message's quotation is among the inquiry's");

    // The card, drawn in the reply's place once its quotation has synced.
    let shown: Value = until("the quotation card in the thread", PATIENCE, async || {
        let v = app
            .js(TIERS_SCRIPT, vec![Value::String(reply.clone())])
            .await;
        ensure!(!v.is_null(), "message {reply} has no card yet");
        Ok(v)
    })
    .await;
    let expected: Vec<Value> = quotation
        .tiers
        .iter()
        .map(|t| {
            serde_json::json!([
                t.min_quantity,
                t.unit_price_minor,
                quotation.currency.to_string(),
                Money::new(t.unit_price_minor, quotation.currency).to_string(),
            ])
        })
        .collect();
    assert_eq!(shown["tiers"], Value::Array(expected), "{shown}");
    assert_eq!(shown["id"], quotation_id.as_str());
    assert_eq!(shown["expired"], "false");
    assert_eq!(shown["product"], quotation.product.as_str());
    assert!(
        shown["moq"]
            .as_str()
            .unwrap()
            .replace(',', "")
            .starts_with(&quotation.moq.to_string()),
        "{shown}"
    );
    assert_eq!(
        shown["lead"],
        format!("{} days", quotation.lead_time_days).as_str()
    );
    assert_eq!(
        shown["incoterm"],
        format!("{} {}", quotation.incoterm, quotation.named_place).as_str()
    );
    assert_eq!(shown["valid"], quotation.valid_until.to_string().as_str());

    app.screenshot("quotation-card").await;
    app.audit("quotation card").await;

    // The same card in the dark theme (the cache keeps it: no server round trip needed).
    let mut d = d;
    d.relaunch(Launch {
        sign_in: true,
        dark: true,
        ..Launch::default()
    })
    .await;
    let app = d.app();
    app.wait_for_within("inquiry-row", FIRST_SYNC).await;
    app.row(&id).await.click().await.expect("the row opens");
    until(
        "the quotation card in the dark theme",
        PATIENCE,
        async || {
            let v = app
                .js(TIERS_SCRIPT, vec![Value::String(reply.clone())])
                .await;
            ensure!(!v.is_null(), "message {reply} has no card yet");
            ensure!(v["tiers"] == shown["tiers"], "{v} differs from {shown}");
            Ok(())
        },
    )
    .await;
    app.screenshot("quotation-card-dark").await;
    app.audit("quotation card dark").await;

    // Place order from the card: a draft of the MOQ at the first tier's price, with the
    // quotation's supplier, currency and Incoterm.
    app.click("quotation-order").await;
    app.wait_for("order-form").await;
    assert_eq!(
        app.value("form-supplier").await,
        quotation.supplier.to_string()
    );
    assert_eq!(app.value("form-line-product-0").await, quotation.product);
    assert_eq!(
        app.value("form-line-quantity-0").await,
        quotation.moq.to_string()
    );
    let first = quotation.unit_price_at(quotation.moq).unwrap();
    assert_eq!(
        app.value("form-line-price-0").await,
        crate::compare::decimal(first.minor, first.currency.exponent())
    );
    assert_eq!(app.value("form-currency").await, quotation.currency.code());
    assert_eq!(
        app.value("form-incoterm").await,
        quotation.incoterm.to_string()
    );
    app.audit("order form from a quotation").await;
    d.finish().await;
}
