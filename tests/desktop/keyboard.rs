//! The whole pipeline with the keyboard alone (issue 18): find an inquiry, reply, place an
//! order, confirm one, Pay Now by transfer, Confirm Receipt, file a dispute, and the
//! shortcut sheet. Nothing here clicks or sets a value: every step is key presses sent to
//! whatever has the focus (WebDriver actions, as a keyboard would), so a control the
//! keyboard cannot reach, or a step that drops the focus on the page, fails the test.
//! Scripts only read (what is focused, what the server holds).
//!
//! ```sh
//! scripts/with-keyring.sh --desktop cargo test -p trade-e2e --test desktop keyboard::
//! ```
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::a11y::{chord, focused, press};
use crate::harness;
use crate::orders::{
    BOT, RECONNECT, server_orders_of, supplier, supplier_order, wait_on_server, wait_status,
    wait_text, words,
};

use anyhow::ensure;
use harness::{App, Desktop, Launch, PATIENCE, signed_in, until};
use serde_json::json;
use thirtyfour::prelude::*;

/// How many Tab presses may separate two controls the test goes between. More means the
/// focus got lost (back to the page) or the control is out of the keyboard's reach.
const MOST_TABS: usize = 40;

/// Types text into whatever has the focus.
async fn type_text(app: &App, text: &str) {
    press(app, text).await;
}

/// Selects what the focused field holds and types `text` over it.
async fn retype_focused(app: &App, text: &str) {
    chord(app, Key::Control, "a").await;
    type_text(app, text).await;
}

/// Presses Tab until the control with test id `id` has the focus; the ids passed on the
/// way are in the failure.
async fn tab_to(app: &App, id: &str) {
    let mut path = Vec::new();
    for _ in 0..MOST_TABS {
        let now = focused(app).await;
        if now == id {
            return;
        }
        path.push(now);
        press(app, Key::Tab).await;
    }
    panic!("{id} not reached in {MOST_TABS} Tab presses; the focus went {path:?}");
}

/// Waits until the focus is on `id` (after a key that moves it).
async fn wait_focus(app: &App, id: &str) {
    until(&format!("the focus on {id}"), PATIENCE, async || {
        let f = focused(app).await;
        ensure!(f == id, "focus on {f:?}");
        Ok(())
    })
    .await;
}

/// The pane (`data-pane`) the focus is in, or "" when it is in none.
async fn focus_in_pane(app: &App) -> String {
    app.js(
        "const p = document.activeElement && document.activeElement.closest('[data-pane]');\
         return p ? p.dataset.pane : '';",
        Vec::new(),
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Waits until the focus is in the pane `data-pane=<pane>`.
async fn wait_pane(app: &App, pane: &str) {
    until(
        &format!("the focus in the {pane} pane"),
        PATIENCE,
        async || {
            let now = focus_in_pane(app).await;
            ensure!(now == pane, "focus on {} in {now:?}", focused(app).await);
            Ok(())
        },
    )
    .await;
}

/// From anywhere: the orders screen, its search, `text` typed, Enter: the first order
/// found is open and the focus is in the list.
async fn find_order(app: &App, text: &str, id: &str) {
    chord(app, Key::Control, "2").await;
    app.wait_for("orders").await;
    press(app, "/").await;
    wait_focus(app, "orders-search").await;
    type_text(app, text).await;
    press(app, Key::Enter).await;
    until("the order open", PATIENCE, async || {
        let open = app.attr("order-detail", "data-detail-order-id").await;
        ensure!(open.as_deref() == Some(id), "open: {open:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_whole_pipeline_runs_on_the_keyboard_alone() {
    let d: Desktop = signed_in(Launch::default()).await;
    let app = d.app();
    let token = d.backend.buyer_token().await;
    let tag = &uuid::Uuid::now_v7().simple().to_string()[24..];

    // The world the buyer meets: a supplier's message in one inquiry (to find it by), and
    // an order another supplier drew up for the buyer to confirm.
    let inquiry = d.backend.inquiries(&token, "all").await[0].clone();
    let inquiry_id = inquiry["id"].as_str().unwrap().to_owned();
    let supplier_id = inquiry["supplier"].as_str().unwrap().to_owned();
    let supplier_token = d.backend.supplier_token(&supplier_id).await;
    let marker = format!("colourway{tag}");
    d.backend
        .post(
            &format!("/v1/inquiries/{inquiry_id}/messages"),
            &supplier_token,
            json!({ "body": format!("Sample ready in {marker}: shall we go ahead?") }),
        )
        .await;
    let to_confirm = format!("Nylon webbing 25mm {tag}");
    let (confirm_id, _, _) = supplier_order(&d, &supplier(&d, 2), &to_confirm).await;

    // Ctrl+3: the comparisons, the focus in their list.
    chord(app, Key::Control, "3").await;
    app.wait_for("compare").await;
    wait_pane(app, "list").await;

    // The shortcut sheet: ? opens it, it lists what the README lists, Escape closes it
    // and the focus is back where it was.
    chord(app, Key::Control, "1").await;
    app.wait_for("inbox").await;
    wait_pane(app, "list").await;
    let before = focused(app).await;
    press(app, "?").await;
    let sheet = app.wait_for("shortcut-sheet").await;
    let listed: Vec<String> = {
        let mut out = Vec::new();
        for row in app.all("shortcut").await {
            out.push(words(&app.inner_text(&row).await));
        }
        out
    };
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("the README");
    let table = readme
        .split("<!-- shortcuts:start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- shortcuts:end -->").next())
        .expect("the README's shortcut table");
    let actions: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("| <kbd>"))
        .map(|l| l.trim_end_matches('|').rsplit('|').next().unwrap().trim())
        .collect();
    assert_eq!(
        listed.len(),
        actions.len(),
        "sheet {listed:?}, README {actions:?}"
    );
    for (row, action) in listed.iter().zip(&actions) {
        assert!(
            row.ends_with(action),
            "the sheet's {row:?} is the README's {action:?}"
        );
    }
    assert!(sheet.is_displayed().await.unwrap());
    app.audit("shortcut-sheet").await;
    press(app, Key::Escape).await;
    until("the sheet closed", PATIENCE, async || {
        ensure!(app.visible("shortcut-sheet").await.is_none(), "still shown");
        Ok(())
    })
    .await;
    wait_focus(app, &before).await;

    // F6 goes round the panes: the list, the conversation (empty), the navigation.
    press(app, Key::F6).await;
    wait_pane(app, "detail").await;
    press(app, Key::F6).await;
    wait_pane(app, "nav").await;

    // Find the inquiry: / searches, the message's word finds it, Enter opens it with the
    // cursor in the message box.
    press(app, "/").await;
    wait_focus(app, "search-input").await;
    type_text(app, &marker).await;
    // The message, and its inquiry (whose latest message it is): either opens it.
    until("the search's hits", PATIENCE, async || {
        ensure!(!app.all("search-hit").await.is_empty(), "no hits yet");
        Ok(())
    })
    .await;
    press(app, Key::Enter).await;
    until("the inquiry open", PATIENCE, async || {
        let open = app.attr("thread", "data-thread-inquiry-id").await;
        ensure!(
            open.as_deref() == Some(inquiry_id.as_str()),
            "open: {open:?}"
        );
        Ok(())
    })
    .await;
    wait_focus(app, "composer-input").await;

    // Reply: typed, Enter sends.
    let reply = format!("Yes, go ahead with {marker}.");
    type_text(app, &reply).await;
    press(app, Key::Enter).await;
    until("the reply on the server", RECONNECT, async || {
        let messages = d.backend.messages(&token, &inquiry_id).await;
        ensure!(
            messages.iter().any(|m| m["body"] == reply.as_str()),
            "not there yet"
        );
        Ok(())
    })
    .await;

    // Place an order from the inquiry: Ctrl+N opens the form for its supplier and
    // product, the cursor in the first field.
    chord(app, Key::Control, "n").await;
    app.wait_for("order-form").await;
    wait_focus(app, "form-supplier").await;
    assert_eq!(app.value("form-supplier").await, supplier_id);
    let product = format!("Brass gate valve DN50 {tag}");
    tab_to(app, "form-line-product-0").await;
    retype_focused(app, &product).await;
    tab_to(app, "form-line-quantity-0").await;
    retype_focused(app, "500").await;
    tab_to(app, "form-line-price-0").await;
    retype_focused(app, "12.40").await;
    wait_text(app, "form-total", "USD 6,200.00", PATIENCE).await;
    tab_to(app, "form-submit").await;
    press(app, Key::Enter).await;
    app.wait_for("order-detail").await;
    let placed = {
        let mut found = Vec::new();
        until("the order on the server", RECONNECT, async || {
            found = server_orders_of(&d, &token, &product).await;
            ensure!(found.len() == 1, "{} orders", found.len());
            Ok(())
        })
        .await;
        found[0]["order"]["id"].as_str().unwrap().to_owned()
    };
    // After Submit the focus stays in the order's pane, not on the page.
    wait_pane(app, "detail").await;

    // Confirm the supplier's order: found by its product, Tab to Confirm, Enter, Tab to
    // Confirm Order, Enter.
    find_order(app, &to_confirm, &confirm_id).await;
    wait_status(app, "Waiting for You to Confirm", PATIENCE).await;
    tab_to(app, "action-confirm").await;
    press(app, Key::Enter).await;
    app.wait_for("confirm-step").await;
    tab_to(app, "confirm-go").await;
    press(app, Key::Enter).await;
    wait_status(app, "Ordered", RECONNECT).await;
    wait_on_server(&d, &token, &confirm_id, "/order/status", json!("ordered")).await;

    // Back to the placed order, which the supplier (the bot) has confirmed: Pay Now by
    // transfer. The method is a radio group: the arrows choose.
    find_order(app, &product, &placed).await;
    wait_status(app, "Ordered", BOT).await;
    tab_to(app, "action-pay").await;
    press(app, Key::Enter).await;
    app.wait_for("pay-now").await;
    wait_text(app, "pay-amount", "USD 6,200.00", PATIENCE).await;
    tab_to(app, "pay-method-card").await;
    press(app, Key::Down).await;
    wait_focus(app, "pay-method-tt").await;
    tab_to(app, "pay-continue").await;
    press(app, Key::Enter).await;
    tab_to(app, "tt-get-details").await;
    press(app, Key::Enter).await;
    wait_text(app, "tt-reference", "", PATIENCE).await;
    // The operator (the demo bot) records the funds; the bot ships.
    wait_text(app, "pay-status", "Payment received", BOT).await;
    tab_to(app, "pay-done").await;
    press(app, Key::Enter).await;
    app.wait_for("order-detail").await;
    wait_status(app, "Shipped", BOT).await;

    // Confirm Receipt.
    tab_to(app, "action-confirm-receipt").await;
    press(app, Key::Enter).await;
    wait_text(app, "receipt-step", "30 days later", PATIENCE).await;
    tab_to(app, "receipt-go").await;
    press(app, Key::Enter).await;
    wait_status(app, "Completed", RECONNECT).await;
    wait_on_server(&d, &token, &placed, "/order/status", json!("completed")).await;

    // File a dispute within the protection period: the reason by arrow (the next one),
    // claim and description typed, Enter on Submit.
    tab_to(app, "dispute-file-open").await;
    press(app, Key::Enter).await;
    app.wait_for("dispute-form").await;
    tab_to(app, "dispute-reason").await;
    let reasons = app
        .js(
            "return [...document.querySelector('[data-testid=dispute-reason]').options]\
             .map(o => o.value);",
            Vec::new(),
        )
        .await;
    let reasons: Vec<&str> = reasons
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let first = app.value("dispute-reason").await;
    let at = reasons.iter().position(|r| *r == first).unwrap();
    let reason = reasons[(at + 1).min(reasons.len() - 1)].to_owned();
    assert_ne!(reason, first, "the default reason is not the last");
    press(app, Key::Down).await;
    until("the reason changed by the arrow", PATIENCE, async || {
        let v = app.value("dispute-reason").await;
        ensure!(v == reason, "reason {v:?}");
        Ok(())
    })
    .await;
    tab_to(app, "dispute-claim").await;
    type_text(app, "620.00").await;
    tab_to(app, "dispute-description").await;
    type_text(app, "Ten cartons of the 50 never arrived.").await;
    tab_to(app, "dispute-submit").await;
    press(app, Key::Enter).await;
    wait_text(app, "dispute-status", "Negotiating", RECONNECT).await;
    until("the dispute on the server", PATIENCE, async || {
        let o = d.backend.get(&format!("/v1/orders/{placed}"), &token).await;
        let dispute = &o["order"]["dispute"];
        ensure!(dispute["reason"] == reason.as_str(), "{dispute}");
        ensure!(dispute["claim_minor"] == 62_000, "{dispute}");
        Ok(())
    })
    .await;
    d.finish().await;
}
