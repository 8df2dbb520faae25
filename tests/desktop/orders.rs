//! The order pipeline through the desktop app's screens: the real app under Xvfb driven
//! by WebDriver, the real demo backend in-process with its bot as supplier (confirms,
//! ships, proposes settlements) and operator (records transfers), native file dialogs
//! answered by typing the path into them (xdotool), as a user would.
//!
//! ```sh
//! (cd ui && npm ci && npx vite build)
//! cargo build --workspace --bins
//! scripts/with-keyring.sh --desktop cargo test -p trade-e2e --test desktop orders::
//! ```
//!
//! Screenshots (light, and `-dark` in the dark theme) go to `<target>/screenshots/` (to
//! `docs/screenshots/`, the README's copies, with `TRADE_UPDATE_SCREENSHOTS=1`):
//! orders, order-form, upload-contract, order-detail, order-modified, pay-now,
//! pay-now-transfer, pay-now-card-declined, confirm-receipt, dispute, dispute-decided,
//! order-pending-offline, order-refused.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::harness;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, ensure};
use harness::{App, Desktop, Launch, PATIENCE, signed_in, signed_in_with, until, until_explained};
use jiff::SignedDuration;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use trade_model::PaymentId;
use trade_server::payments::gateway::{
    Charge, ChargeOutcome, GatewayError, PaymentGateway, SandboxGateway,
};

/// The bot confirms, ships and proposes within a second; a round trip through the app's
/// sync (push, then the change coming back) adds a little.
pub(crate) const BOT: Duration = Duration::from_secs(60);
/// Reconnecting after the server comes back (the engine's backoff while it was away).
pub(crate) const RECONNECT: Duration = Duration::from_secs(90);

pub(crate) fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The short number the app shows for an order (last 8 hex digits, upper case).
fn order_number(id: &str) -> String {
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    hex[hex.len() - 8..].to_uppercase()
}

/// A small, complete PDF (header, one page, cross-reference table, trailer, `%%EOF`).
fn contract_pdf(title: &str) -> Vec<u8> {
    let text = format!("BT /F1 18 Tf 72 720 Td ({title}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/trade-documents/tests/fixtures")
        .join(name)
        .canonicalize()
        .expect("the fixture exists")
}

/// Opens the orders screen.
async fn orders_screen(app: &App) {
    app.click("nav-orders").await;
    app.wait_for("orders").await;
}

/// Finds an order through the list's search (by its number) and opens it.
async fn open_order(app: &App, id: &str) {
    orders_screen(app).await;
    app.click("box-all").await;
    app.retype("orders-search", &order_number(id)).await;
    let selector = format!("[data-order-id=\"{id}\"]");
    until(&format!("order {id} in the list"), PATIENCE, async || {
        let clicked = app
            .js(
                "const r = document.querySelector(arguments[0]); if (r) r.click(); return !!r;",
                vec![json!(selector)],
            )
            .await;
        ensure!(clicked == json!(true), "not listed yet");
        Ok(())
    })
    .await;
    until("the order's screen", PATIENCE, async || {
        let title = app.all("order-title").await;
        ensure!(!title.is_empty(), "no order shown");
        Ok(())
    })
    .await;
}

/// Waits until the open order's status reads `label` and nothing of it is waiting to be
/// sent (the screen has settled: the pending note comes and goes below the buttons).
pub(crate) async fn wait_status(app: &App, label: &str, patience: Duration) {
    until(
        &format!("the order status \"{label}\""),
        patience,
        async || {
            let shown = app.all("order-status").await;
            let Some(e) = shown.first() else {
                bail!("no order shown")
            };
            let text = app.inner_text(e).await;
            ensure!(words(&text) == label, "status {text:?}");
            ensure!(
                !app.present("order-pending").await,
                "an action is waiting to be sent"
            );
            Ok(())
        },
    )
    .await;
}

/// Waits until the server's order `id` has `value` at the JSON pointer `field` of
/// `GET /v1/orders/{id}` (e.g. `/order/status`).
pub(crate) async fn wait_on_server(d: &Desktop, token: &str, id: &str, field: &str, value: Value) {
    until(
        &format!("the server's order to have {field} = {value}"),
        PATIENCE,
        async || {
            let o = d.backend.get(&format!("/v1/orders/{id}"), token).await;
            ensure!(
                o.pointer(field) == Some(&value),
                "{field} is {:?}",
                o.pointer(field)
            );
            Ok(())
        },
    )
    .await;
}

/// Waits until the first element with test id `id` contains `needle`.
pub(crate) async fn wait_text(app: &App, id: &str, needle: &str, patience: Duration) -> String {
    until_explained(
        &format!("[data-testid={id}] to say \"{needle}\""),
        patience,
        async || {
            let Some(e) = app.visible(id).await else {
                bail!("not on screen")
            };
            let text = words(&app.inner_text(&e).await);
            ensure!(text.contains(needle), "it says {text:?}");
            Ok(text)
        },
        async || format!("; test ids in the page: {:?}", app.test_ids().await),
    )
    .await
}

/// The buyer's orders on the server whose first product is `product`.
pub(crate) async fn server_orders_of(d: &Desktop, token: &str, product: &str) -> Vec<Value> {
    let page = d.backend.get("/v1/orders?limit=200", token).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["order"]["terms"]["lines"][0]["product"] == product)
        .cloned()
        .collect()
}

/// Runs `dunstctl` (the test desktop's notification server).
fn dunstctl(args: &[&str]) {
    let status = std::process::Command::new("dunstctl")
        .args(args)
        .status()
        .expect("dunstctl runs");
    assert!(status.success(), "dunstctl {args:?}: {status}");
}

/// Waits for a desktop notification (Notify on the session bus) titled `summary`.
async fn wait_notified(d: &Desktop, summary: &str) {
    until(&format!("a notification \"{summary}\""), BOT, async || {
        let seen = d.notifications();
        ensure!(
            seen.iter().any(|n| n.summary == summary),
            "seen {:?}",
            seen.iter().map(|n| &n.summary).collect::<Vec<_>>()
        );
        Ok(())
    })
    .await;
}

/// Fills the first product line of the open order form.
async fn fill_line(app: &App, product: &str, quantity: &str, price: &str) {
    app.retype("form-line-product-0", product).await;
    app.retype("form-line-quantity-0", quantity).await;
    app.retype("form-line-price-0", price).await;
}

/// The supplier the demo buyer has inquiries with, by index.
pub(crate) fn supplier(d: &Desktop, i: usize) -> String {
    d.backend.accounts.suppliers[i].id.to_string()
}

#[tokio::test]
async fn an_order_placed_online_goes_through_confirmation_transfer_shipment_and_receipt() {
    let d = signed_in(Launch::default()).await;
    let app = d.app();
    let token = d.backend.buyer_token().await;
    orders_screen(app).await;

    // The boxes count what the server counts.
    let counts = d.backend.get("/v1/orders/counts", &token).await;
    until(
        "the box counts to equal the server's",
        PATIENCE,
        async || {
            for c in counts.as_array().unwrap() {
                let b = c["box"].as_str().unwrap();
                let shown = app.text(&format!("box-count-{b}")).await;
                let shown_n = shown.trim().replace(',', "").parse::<i64>().ok();
                ensure!(shown_n == c["count"].as_i64(), "{b}: {shown:?} vs {c}");
            }
            Ok(())
        },
    )
    .await;
    app.wait_for("order-row").await;
    app.screenshot("orders").await;
    // Each box, as listed.
    for c in counts.as_array().unwrap() {
        let b = c["box"].as_str().unwrap();
        app.click(&format!("box-{b}")).await;
        until(&format!("box {b} chosen"), PATIENCE, async || {
            let current = app.attr(&format!("box-{b}"), "aria-current").await;
            ensure!(
                current.as_deref().is_some_and(|v| v != "false"),
                "{current:?}"
            );
            Ok(())
        })
        .await;
        app.audit(&format!("orders-box-{b}")).await;
    }
    app.click("box-all").await;

    // The supplier of one inquiry writes other bank details into the chat (the
    // account-switch scam); the buyer then places an order from that inquiry.
    let inquiry = d.backend.inquiries(&token, "all").await[0].clone();
    let inquiry_id = inquiry["id"].as_str().unwrap().to_owned();
    let supplier_id = inquiry["supplier"].as_str().unwrap().to_owned();
    let supplier_token = d.backend.supplier_token(&supplier_id).await;
    d.backend
        .post(
            &format!("/v1/inquiries/{inquiry_id}/messages"),
            &supplier_token,
            json!({ "body": "Our bank changed: please pay to IBAN DE89 3704 0044 0532 0130 00 from now on." }),
        )
        .await;
    app.click("nav-inbox").await;
    app.row(&inquiry_id).await.click().await.unwrap();
    app.wait_for("payment-warning").await;
    // The bot's chat notes (confirmed, shipped) would notify too: this test follows the
    // order's own notifications, so the thread is muted.
    app.click("mute-toggle").await;
    until("the thread muted", PATIENCE, async || {
        let pressed = app.attr("mute-toggle", "aria-pressed").await;
        ensure!(
            pressed.as_deref() == Some("true"),
            "aria-pressed {pressed:?}"
        );
        Ok(())
    })
    .await;

    // Place Order Online: the template (supplier and product from the inquiry), live
    // totals, field messages from the rules.
    app.click("thread-place-order").await;
    app.wait_for("order-form").await;
    assert_eq!(
        words(&app.text("order-form-title").await),
        "Place Order Online"
    );
    assert_eq!(
        app.value("form-supplier").await,
        supplier_id,
        "the inquiry's supplier"
    );
    assert_eq!(
        app.value("form-line-product-0").await,
        inquiry["product"].as_str().unwrap(),
        "the inquiry's product"
    );
    let product = format!(
        "Brass gate valve DN50 {}",
        &uuid::Uuid::now_v7().simple().to_string()[24..]
    );
    fill_line(app, &product, "0", "12.40").await;
    wait_text(app, "field-error-lines-0--quantity", "", PATIENCE).await;
    app.retype("form-line-quantity-0", "500").await;
    app.wait_gone("field-error-lines-0--quantity").await;
    wait_text(app, "form-total", "USD 6,200.00", PATIENCE).await;
    app.click("form-pay-deposit").await;
    app.retype("form-deposit-percent", "30").await;
    wait_text(app, "form-deposit-amount", "USD 1,860.00", PATIENCE).await;
    wait_text(app, "form-balance-amount", "USD 4,340.00", PATIENCE).await;
    app.click("form-pay-full").await;
    app.screenshot("order-form").await;
    app.audit("order-form").await;
    app.click("form-submit").await;

    // Submitted: it waits for the supplier, whom the bot plays; then it is Ordered.
    app.wait_for("order-detail").await;
    wait_status(app, "Ordered", BOT).await;
    let placed = server_orders_of(&d, &token, &product).await;
    assert_eq!(placed.len(), 1, "placed once: {placed:?}");
    let id = placed[0]["order"]["id"].as_str().unwrap().to_owned();
    app.wait_for("order-timeline").await;
    app.screenshot("order-detail").await;
    app.audit("order-detail").await;

    // Earlier notifications off the screen: the next one is the shipment's. Before the
    // payment, not after: the bot records the transfer's funds and ships within a second
    // of it, and on a loaded machine the shipment's notification could already be up.
    dunstctl(&["close-all"]);

    // Pay Now by telegraphic transfer: the designated account and a unique reference.
    app.click("action-pay").await;
    app.wait_for("pay-now").await;
    wait_text(app, "pay-amount", "USD 6,200.00", PATIENCE).await;
    app.screenshot("pay-now").await;
    app.audit("pay-now").await;
    app.click("pay-method-tt").await;
    app.click("pay-continue").await;
    // The chat's other account is named, with the advice to pay only the one shown.
    wait_text(app, "tt-bank-warning", "DE89370400440532013000", PATIENCE).await;
    app.click("tt-get-details").await;
    let reference = wait_text(app, "tt-reference", "", PATIENCE).await;
    let payments = d
        .backend
        .get(&format!("/v1/orders/{id}/payments"), &token)
        .await;
    let on_server = payments
        .as_array()
        .or_else(|| payments["items"].as_array())
        .expect("a list of payments")
        .iter()
        .find(|p| p["method"] == "telegraphic_transfer")
        .expect("the transfer is on the server")
        .clone();
    let server_ref = on_server["reference"].as_str().unwrap();
    assert!(
        reference.contains(server_ref),
        "{reference:?} shows {server_ref}"
    );
    app.wait_for("copy-reference").await;
    app.screenshot("pay-now-transfer").await;
    app.audit("pay-now-transfer").await;

    // The funds arrive (the operator records them), the bot ships.
    wait_text(app, "pay-status", "Payment received", BOT).await;
    app.click("pay-done").await;
    wait_status(app, "Shipped", BOT).await;
    app.wait_for("order-shipment").await;
    wait_notified(&d, "Order shipped").await;

    // Clicking the notification (its default action) shows the order, from elsewhere.
    app.click("nav-inbox").await;
    app.wait_for("inbox").await;
    until(
        "the shipment notification on screen",
        PATIENCE,
        async || {
            let shown = std::process::Command::new("dunstctl")
                .args(["count", "displayed"])
                .output()?;
            let n: i64 = String::from_utf8_lossy(&shown.stdout).trim().parse()?;
            ensure!(n == 1, "{n} displayed");
            Ok(())
        },
    )
    .await;
    dunstctl(&["action", "0"]);
    app.wait_for("order-detail").await;
    wait_status(app, "Shipped", PATIENCE).await;
    assert_eq!(words(&app.text("order-title").await), product);

    // Confirm Receipt, with the 30-day protection warning first.
    app.click("action-confirm-receipt").await;
    let warning = wait_text(app, "receipt-step", "30 days later", PATIENCE).await;
    assert!(warning.contains("protection"), "{warning}");
    app.screenshot("confirm-receipt").await;
    app.audit("confirm-receipt").await;
    app.click("receipt-go").await;
    wait_status(app, "Completed", RECONNECT).await;
    wait_on_server(&d, &token, &id, "/order/status", json!("completed")).await;

    // Leave feedback on the completed order.
    app.click("action-feedback").await;
    until("4 stars chosen", PATIENCE, async || {
        app.click("feedback-star-4").await;
        let checked = app.attr("feedback-star-4", "aria-checked").await;
        ensure!(
            checked.as_deref() == Some("true"),
            "aria-checked {checked:?}"
        );
        Ok(())
    })
    .await;
    app.type_into("step-note", "Good packing, two days late.")
        .await;
    app.click("feedback-go").await;
    wait_on_server(&d, &token, &id, "/order/feedback/rating", json!(4)).await;
    // The screen shows it once the order is read again: no more Leave feedback.
    app.wait_gone("action-feedback").await;

    // Reorder: a new draft with the completed order's supplier, lines and terms, and a
    // ship-by date still ahead; submitted, it is a second order of the same goods.
    app.click("action-reorder").await;
    app.wait_for("order-form").await;
    assert_eq!(app.value("form-supplier").await, supplier_id);
    assert_eq!(app.value("form-line-product-0").await, product);
    assert_eq!(app.value("form-line-quantity-0").await, "500");
    assert_eq!(app.value("form-line-price-0").await, "12.40");
    wait_text(app, "form-total", "USD 6,200.00", PATIENCE).await;
    app.click("form-submit").await;
    app.wait_for("order-detail").await;
    until("the reorder on the server", RECONNECT, async || {
        let orders = server_orders_of(&d, &token, &product).await;
        ensure!(orders.len() == 2, "{} orders of it", orders.len());
        let again = orders
            .iter()
            .find(|o| o["order"]["id"] != id.as_str())
            .unwrap();
        ensure!(again["order"]["terms"]["lines"] == placed[0]["order"]["terms"]["lines"]);
        Ok(())
    })
    .await;
    d.finish().await;
}

#[tokio::test]
async fn an_uploaded_contract_is_checked_confirmed_and_paid_by_card_after_a_decline() {
    let d = signed_in(Launch::default()).await;
    let app = d.app();
    let token = d.backend.buyer_token().await;
    let files = tempfile::tempdir().unwrap();
    let pdf = contract_pdf("Sales contract SC-2026-118");
    let contract = files.path().join("SC-2026-118 contract.pdf");
    std::fs::write(&contract, &pdf).unwrap();

    orders_screen(app).await;
    app.click("upload-contract").await;
    app.wait_for("order-form").await;
    assert_eq!(
        words(&app.text("order-form-title").await),
        "Upload Contract"
    );

    // A program named .pdf: refused before anything is uploaded, in words.
    app.click("form-choose-file").await;
    app.answer_file_dialog("Choose a contract", &fixture("bad/exe-named.pdf"))
        .await;
    let refusal = wait_text(app, "form-file-error", "exe-named.pdf", PATIENCE).await;
    app.audit("upload-contract-refused-file").await;
    assert!(
        !app.present("form-document-0").await,
        "nothing attached: {refusal}"
    );

    // The real contract, through the same native dialog.
    app.click("form-choose-file").await;
    app.answer_file_dialog("Choose a contract", &contract).await;
    wait_text(app, "form-document-0", "SC-2026-118 contract.pdf", PATIENCE).await;
    app.set_value("form-supplier", &supplier(&d, 1)).await;
    let product = format!(
        "Cotton tote bags {}",
        &uuid::Uuid::now_v7().simple().to_string()[24..]
    );
    fill_line(app, &product, "2000", "1.85").await;
    wait_text(app, "form-total", "USD 3,700.00", PATIENCE).await;
    app.screenshot("upload-contract").await;
    app.audit("upload-contract").await;
    app.click("form-submit").await;

    app.wait_for("order-detail").await;
    wait_status(app, "Ordered", BOT).await;
    let placed = server_orders_of(&d, &token, &product).await;
    assert_eq!(placed.len(), 1, "placed once");
    let id = placed[0]["order"]["id"].as_str().unwrap().to_owned();
    assert_eq!(placed[0]["order"]["origin"], "uploaded_contract");
    // The server holds the very bytes chosen.
    let doc = placed[0]["order"]["terms"]["documents"][0]
        .as_str()
        .unwrap();
    let meta = d.backend.get(&format!("/v1/documents/{doc}"), &token).await;
    assert_eq!(meta["sha256"], hex::encode(Sha256::digest(&pdf)));
    wait_text(app, "order-documents", "SC-2026-118 contract.pdf", PATIENCE).await;

    // Open: a copy of the contract handed to the desktop's opener (xdg-open), started
    // without what the app set for WebKit's own processes: the user's viewer or browser
    // runs with its JIT and preloads no speech voice.
    app.click("document-open").await;
    let opened = until(
        "the contract handed to the desktop's opener",
        PATIENCE,
        async || {
            let opened = d.opened();
            ensure!(!opened.is_empty(), "nothing opened yet");
            Ok(opened)
        },
    )
    .await;
    assert_eq!(opened.len(), 1, "opened once: {opened:?}");
    let [copy] = opened[0].args.as_slice() else {
        panic!("one file to open: {:?}", opened[0].args)
    };
    assert_eq!(
        std::fs::read(copy).unwrap(),
        pdf,
        "the opened file is the contract"
    );
    for var in [
        "LD_PRELOAD",
        "JSC_useJIT",
        "JSC_largeHeapSize",
        "WEBKIT_DISABLE_COMPOSITING_MODE",
    ] {
        assert!(
            !opened[0]
                .env
                .iter()
                .any(|e| e.starts_with(&format!("{var}="))),
            "the opener started with {var} set"
        );
    }
    assert!(
        opened[0]
            .env
            .iter()
            .any(|e| e.starts_with("TRADE_TEST_OPENED=")),
        "the opener keeps the rest of the app's environment"
    );

    // Pay Now by card: the sandbox declines 4000 0000 0000 0002, then approves 4242….
    app.click("action-pay").await;
    app.wait_for("pay-now").await;
    app.click("pay-method-card").await;
    app.click("pay-continue").await;
    let card = async |number: &str, year: &str| {
        app.retype("card-number", number).await;
        app.retype("card-exp-month", "12").await;
        app.retype("card-exp-year", year).await;
        app.retype("card-cvc", "123").await;
        app.retype("card-holder", "Anna Keller").await;
        app.click("card-submit").await;
    };
    // The form checks with the server's card rules (trade-model, through `check_card`)
    // before anything is sent: a typo in the number and a past expiry are named under
    // their fields, and no payment starts.
    card("4242 4242 4242 4241", "20").await;
    wait_text(app, "card-field-error-number", "not valid", PATIENCE).await;
    wait_text(app, "card-field-error-expiry", "expired", PATIENCE).await;
    app.audit("pay-now-card-errors").await;
    let payments = d
        .backend
        .get(&format!("/v1/orders/{id}/payments"), &token)
        .await;
    assert_eq!(payments, json!([]), "a refused card form started a payment");
    card("4000 0000 0000 0002", "34").await;
    wait_text(app, "card-declined", "declined", PATIENCE).await;
    app.screenshot("pay-now-card-declined").await;
    app.audit("pay-now-card-declined").await;
    card("4242 4242 4242 4242", "34").await;
    wait_text(app, "pay-status", "Payment received", BOT).await;
    wait_on_server(&d, &token, &id, "/order/paid_minor", json!(370_000)).await;
    // Nothing of the card but its last four digits is on this computer.
    let cache = d.home.join("data");
    let mut leaked = Vec::new();
    for entry in walk(&cache) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        if text.contains("4242424242424242") || text.contains("4000000000000002") {
            leaked.push(entry);
        }
    }
    assert!(leaked.is_empty(), "card numbers found in {leaked:?}");
    d.finish().await;
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Terms as the REST API takes them: one line, full payment, shipping in 40 days.
pub(crate) fn terms(product: &str, quantity: u64, unit_price_minor: i64) -> Value {
    let ship_by = jiff::Timestamp::now()
        .checked_add(SignedDuration::from_hours(24 * 40))
        .unwrap()
        .to_string()[..10]
        .to_owned();
    json!({
        "lines": [{ "product": product, "quantity": quantity, "unit": "pieces",
                    "unit_price_minor": unit_price_minor }],
        "currency": "USD", "incoterm": "FOB", "shipping_method": "sea", "ship_by": ship_by,
        "payment_terms": { "kind": "full" }, "remarks": "", "documents": []
    })
}

/// An order the supplier created for the demo buyer (waiting for the buyer).
pub(crate) async fn supplier_order(
    d: &Desktop,
    supplier_id: &str,
    product: &str,
) -> (String, String, Value) {
    let token = d.backend.supplier_token(supplier_id).await;
    let created = d
        .backend
        .post(
            "/v1/orders",
            &token,
            json!({
                "counterparty": d.backend.accounts.buyer.id.to_string(),
                "inquiry": null, "origin": "template", "terms": terms(product, 300, 450),
            }),
        )
        .await;
    let id = created["order"]["id"].as_str().unwrap().to_owned();
    (id, token, created)
}

#[tokio::test]
async fn a_supplier_modified_order_shows_what_changed_and_waits_for_the_buyer() {
    let d = signed_in(Launch::default()).await;
    let app = d.app();
    let supplier_id = supplier(&d, 2);
    let product = "Aluminium profile 6063-T5";
    let (id, token, created) = supplier_order(&d, &supplier_id, product).await;
    // The supplier changes quantity and price before the buyer confirmed.
    d.backend
        .modify_terms(
            &token,
            &id,
            created["order"]["version"].as_i64().unwrap(),
            terms(product, 450, 420),
        )
        .await;

    wait_notified(&d, "Order waiting for you to confirm").await;
    open_order(app, &id).await;
    wait_status(app, "Waiting for You to Confirm", PATIENCE).await;
    let diff = wait_text(app, "order-diff", "Line 1 quantity", PATIENCE).await;
    for expected in [
        "300 pieces",
        "450 pieces",
        "USD 4.50",
        "USD 4.20",
        "USD 1,350.00",
        "USD 1,890.00",
    ] {
        assert!(diff.contains(expected), "the diff shows {expected}: {diff}");
    }
    let waiting = app.text("order-waiting").await;
    assert!(
        waiting.contains("Your confirmation is missing"),
        "{waiting}"
    );
    app.screenshot("order-modified").await;
    app.audit("order-modified").await;

    // Confirm with a PI attached: the documents change, so the supplier (the bot)
    // confirms again; then the order is placed, with the PI.
    let files = tempfile::tempdir().unwrap();
    let pi = files.path().join("PI-7781.pdf");
    let pdf = contract_pdf("Pro forma invoice PI-7781");
    std::fs::write(&pi, &pdf).unwrap();
    app.click("action-confirm").await;
    app.click("confirm-attach-pi").await;
    app.answer_file_dialog("Choose a contract", &pi).await;
    wait_text(app, "confirm-pi", "PI-7781.pdf", PATIENCE).await;
    app.click("confirm-go").await;
    wait_status(app, "Ordered", RECONNECT).await;
    let buyer = d.backend.buyer_token().await;
    wait_on_server(&d, &buyer, &id, "/order/status", json!("ordered")).await;
    let placed = d.backend.get(&format!("/v1/orders/{id}"), &buyer).await;
    let pi_id = placed["order"]["terms"]["documents"][0]
        .as_str()
        .expect("the PI is the order's document");
    let meta = d
        .backend
        .get(&format!("/v1/documents/{pi_id}"), &buyer)
        .await;
    assert_eq!(meta["sha256"], hex::encode(Sha256::digest(&pdf)));
    wait_text(app, "order-documents", "PI-7781.pdf", PATIENCE).await;
    d.finish().await;
}

#[tokio::test]
async fn a_dispute_is_filed_with_evidence_escalated_and_decided_and_its_packet_exported() {
    let d = signed_in(Launch::default()).await;
    let app = d.app();
    let token = d.backend.buyer_token().await;
    let shipped = d.backend.get("/v1/orders?box=shipped", &token).await;
    let order = shipped["items"][0]["order"].clone();
    let id = order["id"]
        .as_str()
        .expect("the demo has a shipped order")
        .to_owned();
    let paid = order["paid_minor"].as_i64().unwrap();
    assert!(paid >= 200, "the shipped order was paid: {order}");

    // Filed "4 days ago" by the server's clock, so that escalation is allowed now.
    d.backend
        .clock
        .set_offset(SignedDuration::from_hours(-24 * 4));
    open_order(app, &id).await;
    app.click("dispute-file-open").await;
    app.wait_for("dispute-form").await;
    app.set_value("dispute-reason", "not_as_described").await;
    // More than was paid is refused next to the field.
    let over = paid + 100;
    app.retype(
        "dispute-claim",
        &format!("{}.{:02}", over / 100, over % 100),
    )
    .await;
    app.wait_for("dispute-claim-error").await;
    app.audit("dispute-claim-error").await;
    let claim = paid / 2;
    app.retype(
        "dispute-claim",
        &format!("{}.{:02}", claim / 100, claim % 100),
    )
    .await;
    app.wait_gone("dispute-claim-error").await;
    app.type_into(
        "dispute-description",
        "Half of the cartons hold the wrong colour (grey instead of navy).",
    )
    .await;
    app.click("dispute-add-evidence").await;
    app.answer_file_dialog("Choose a contract", &fixture("good/invoice-scan.png"))
        .await;
    wait_text(app, "dispute-evidence-0", "invoice-scan.png", PATIENCE).await;
    app.screenshot("dispute").await;
    app.audit("dispute").await;
    app.click("dispute-submit").await;
    wait_text(app, "dispute-status", "Negotiating", RECONNECT).await;
    until("the server to have the dispute", PATIENCE, async || {
        let o = d.backend.get(&format!("/v1/orders/{id}"), &token).await;
        ensure!(!o["order"]["dispute"].is_null(), "no dispute yet");
        ensure!(
            o["order"]["dispute"]["evidence"].as_array().map(Vec::len) == Some(1),
            "{}",
            o["order"]["dispute"]
        );
        Ok(())
    })
    .await;
    d.backend.clock.set_offset(SignedDuration::ZERO);

    // The bot (as supplier) proposes; the buyer escalates instead.
    wait_text(app, "dispute-proposal", "Refund", BOT).await;
    wait_notified(&d, "Supplier proposed a settlement").await;
    until("Escalate to be enabled (day 4)", PATIENCE, async || {
        let e = app.visible("dispute-escalate").await;
        let Some(e) = e else {
            bail!("no escalate button")
        };
        ensure!(e.is_enabled().await.unwrap_or(false), "disabled");
        Ok(())
    })
    .await;
    app.click("dispute-escalate").await;
    wait_text(
        app,
        "dispute-status",
        "Escalated to Trade Center",
        RECONNECT,
    )
    .await;

    // Trade Center decides.
    let operator = d.backend.operator_token().await;
    let (status, body) = d
        .backend
        .send(
            Method::POST,
            &format!("/v1/operator/orders/{id}/dispute/decision"),
            Some(&operator),
            Some(json!({ "refund_minor": paid / 4, "note": "Refund a quarter: photos show 25% wrong colour." })),
            &[],
        )
        .await;
    assert!(status.is_success(), "decision: {status} {body}");
    wait_text(app, "dispute-decision", "Refund a quarter", BOT).await;
    wait_notified(&d, "Dispute decided").await;
    app.screenshot("dispute-decided").await;
    app.audit("dispute-decided").await;

    // The evidence packet, through the native save dialog: every file is as listed.
    let out = tempfile::tempdir().unwrap();
    let packet = out.path().join("packet");
    app.click("action-export").await;
    app.answer_file_dialog("Save the evidence packet", &packet)
        .await;
    app.wait_for("export-done").await;
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(packet.join("manifest.json")).unwrap()).unwrap();
    let files = manifest["files"].as_array().unwrap();
    assert!(
        files.len() >= 4,
        "versions, thread, evidence, payments: {manifest}"
    );
    for f in files {
        let path = packet.join(f["path"].as_str().unwrap());
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(f["size"], bytes.len());
        assert_eq!(
            f["sha256"],
            hex::encode(Sha256::digest(&bytes)),
            "{}",
            path.display()
        );
    }
    let evidence = std::fs::read(fixture("good/invoice-scan.png")).unwrap();
    let evidence_hash = hex::encode(Sha256::digest(&evidence));
    assert!(
        files.iter().any(|f| f["sha256"] == evidence_hash),
        "the evidence is in the packet"
    );
    d.finish().await;
}

#[tokio::test]
async fn offline_a_draft_is_submitted_once_and_a_refused_confirmation_shows_its_reason() {
    let mut d = signed_in(Launch::default()).await;
    let supplier_id = supplier(&d, 3);
    let (waiting, supplier_token, created) =
        supplier_order(&d, &supplier_id, "Galvanised hinges 80 mm").await;
    open_order(d.app(), &waiting).await;
    wait_status(d.app(), "Waiting for You to Confirm", BOT).await;

    d.backend.stop().await;
    let app = d.app();
    until("the app to notice it is offline", RECONNECT, async || {
        let state = app.attr("status-connection", "data-state").await;
        ensure!(state.as_deref() == Some("offline"), "status {state:?}");
        Ok(())
    })
    .await;

    // A draft, saved and reopened from Drafts, then submitted: queued, shown as pending.
    let product = format!(
        "Offline hinge order {}",
        &uuid::Uuid::now_v7().simple().to_string()[24..]
    );
    app.click("new-order").await;
    app.set_value("form-supplier", &supplier_id).await;
    fill_line(app, &product, "120", "3.10").await;
    wait_text(app, "form-saved", "Saved", PATIENCE).await;
    app.click("form-save").await;
    app.wait_gone("order-form").await;
    app.click("box-drafts").await;
    wait_text(app, "box-count-drafts", "1", PATIENCE).await;
    let draft = wait_text(app, "drafts-list", &product, PATIENCE).await;
    assert!(draft.contains("USD 372.00"), "{draft}");
    app.js(
        "document.querySelector('[data-testid=drafts-list] button').click();",
        vec![],
    )
    .await;
    app.click("form-submit").await;
    wait_text(app, "order-pending", "waiting to be sent", PATIENCE).await;
    app.screenshot("order-pending-offline").await;
    app.audit("order-pending-offline").await;

    // A confirmation made offline, queued too.
    open_order(app, &waiting).await;
    app.click("action-confirm").await;
    app.click("confirm-go").await;
    wait_text(app, "order-pending", "Confirm Order", PATIENCE).await;

    // Meanwhile the supplier changes the order: the queued confirmation is of a version
    // that no longer exists. The app is closed while the server comes back.
    if let Some(a) = d.app.take() {
        a.close().await;
    }
    d.backend.restart().await;
    d.backend
        .modify_terms(
            &supplier_token,
            &waiting,
            created["order"]["version"].as_i64().unwrap(),
            terms("Galvanised hinges 80 mm", 360, 450),
        )
        .await;
    d.relaunch(Launch {
        sign_in: true,
        ..Launch::default()
    })
    .await;
    let app = d.app();
    app.wait_for_within("inbox", RECONNECT).await;

    // The draft's order reaches the server exactly once.
    let token = d.backend.buyer_token().await;
    until(
        "the offline order on the server, once",
        RECONNECT,
        async || {
            let found = server_orders_of(&d, &token, &product).await;
            ensure!(found.len() == 1, "{} found", found.len());
            Ok(())
        },
    )
    .await;

    // The refused confirmation says why, next to the order.
    open_order(app, &waiting).await;
    let reason = wait_text(app, "order-refused", "refused", RECONNECT).await;
    assert!(
        reason.len() > "Confirm Order was refused:".len() + 5,
        "a reason: {reason}"
    );
    app.wait_for("order-diff").await;
    app.screenshot("order-refused").await;
    app.audit("order-refused").await;
    // Still one order with that product after everything settled.
    assert_eq!(server_orders_of(&d, &token, &product).await.len(), 1);
    d.finish().await;
}

#[tokio::test]
async fn the_order_screens_in_the_dark_theme() {
    let d = signed_in(Launch {
        dark: true,
        ..Launch::default()
    })
    .await;
    let app = d.app();
    assert!(
        app.prefers_dark().await,
        "the window follows the dark GTK theme"
    );
    let token = d.backend.buyer_token().await;
    orders_screen(app).await;
    app.wait_for("order-row").await;
    app.screenshot("orders-dark").await;
    app.audit("orders-dark").await;

    // The first order in box `b` that offers `action`.
    let first = |b: &'static str, action: &'static str| {
        let (d, token) = (&d, &token);
        async move {
            let page = d.backend.get(&format!("/v1/orders?box={b}"), token).await;
            page["items"].as_array()?.iter().find_map(|v| {
                let offers = v["available_actions"]
                    .as_array()?
                    .iter()
                    .any(|a| a == action);
                offers
                    .then(|| v["order"]["id"].as_str().map(str::to_owned))
                    .flatten()
            })
        }
    };
    let ordered = first("ordered", "pay_now")
        .await
        .expect("the demo has an order to pay");
    open_order(app, &ordered).await;
    app.wait_for("order-timeline").await;
    app.screenshot("order-detail-dark").await;
    app.audit("order-detail-dark").await;
    app.click("action-pay").await;
    app.wait_for("pay-amount").await;
    app.screenshot("pay-now-dark").await;
    app.audit("pay-now-dark").await;

    let disputed = first("in_dispute", "withdraw_dispute")
        .await
        .expect("the demo has a dispute");
    open_order(app, &disputed).await;
    app.wait_for("dispute-status").await;
    app.screenshot("dispute-dark").await;
    app.audit("dispute-dark").await;

    let supplier_id = supplier(&d, 2);
    let (id, supplier_token, created) =
        supplier_order(&d, &supplier_id, "Aluminium profile 6063-T5").await;
    d.backend
        .modify_terms(
            &supplier_token,
            &id,
            created["order"]["version"].as_i64().unwrap(),
            terms("Aluminium profile 6063-T5", 450, 420),
        )
        .await;
    open_order(app, &id).await;
    app.wait_for("order-diff").await;
    app.screenshot("order-modified-dark").await;
    app.audit("order-modified-dark").await;

    app.click("new-order").await;
    app.wait_for("order-form").await;
    app.screenshot("order-form-dark").await;
    app.audit("order-form-dark").await;
    app.click("upload-contract").await;
    app.wait_for("form-choose-file").await;
    app.screenshot("upload-contract-dark").await;
    app.audit("upload-contract-dark").await;
    d.finish().await;
}

#[tokio::test]
async fn receiving_time_modification_requests_settlement_and_cancelling_from_the_order_screen() {
    let d = signed_in(Launch::default()).await;
    let app = d.app();
    let token = d.backend.buyer_token().await;
    let list = d.backend.get("/v1/orders?limit=200", &token).await;
    let items = list["items"].as_array().unwrap().clone();
    let offering = |action: &str| -> Vec<String> {
        items
            .iter()
            .filter(|v| {
                v["available_actions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a == action)
            })
            .map(|v| v["order"]["id"].as_str().unwrap().to_owned())
            .collect()
    };

    // The list sorted by next deadline is the server's orders by their next deadline.
    orders_screen(app).await;
    app.click("sort-deadline").await;
    let mut expected: Vec<(i64, String)> = items
        .iter()
        .map(|v| {
            let at = v["next_deadline"]["at"]
                .as_str()
                .map(|t| t.parse::<jiff::Timestamp>().unwrap().as_millisecond())
                .unwrap_or(i64::MAX);
            (at, v["order"]["id"].as_str().unwrap().to_owned())
        })
        .collect();
    expected.sort();
    let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();
    until("the list sorted by next deadline", PATIENCE, async || {
        let shown = app
            .js(
                "return [...document.querySelectorAll('[data-order-id]')].map(e => e.dataset.orderId);",
                vec![],
            )
            .await;
        let shown: Vec<String> = serde_json::from_value(shown)?;
        ensure!(shown == expected, "shown {shown:?}");
        Ok(())
    })
    .await;
    app.click("sort-recent").await;

    // Extend receiving time on a shipped order.
    let shipped = offering("extend_receipt");
    let shipped = shipped.first().expect("the demo has a shipped order");
    open_order(app, shipped).await;
    app.click("action-extend-receipt").await;
    wait_on_server(
        &d,
        &token,
        shipped,
        "/order/receipt_extended_by_buyer",
        json!(true),
    )
    .await;

    // Request Modification on an ordered, unpaid order: it waits for both again.
    let unpaid = offering("request_modification");
    let unpaid = unpaid.first().expect("the demo has an unpaid order");
    open_order(app, unpaid).await;
    app.click("action-request-modification").await;
    app.type_into("step-note", "Please change the quantity to 600 pieces.")
        .await;
    app.click("request-go").await;
    wait_on_server(
        &d,
        &token,
        unpaid,
        "/order/modification_request/note",
        json!("Please change the quantity to 600 pieces."),
    )
    .await;

    // The seeded dispute: withdrawing warns that it is final (kept), then the buyer
    // accepts the supplier's proposal.
    let disputed = offering("accept_proposal");
    let disputed = disputed
        .first()
        .expect("the demo has a dispute with a proposal");
    open_order(app, disputed).await;
    app.click("dispute-withdraw").await;
    wait_text(app, "dispute-withdraw-warning", "final", PATIENCE).await;
    app.click("dispute-withdraw-keep").await;
    app.wait_gone("dispute-withdraw-warning").await;
    app.click("dispute-accept").await;
    wait_text(app, "dispute-status", "Settled", RECONNECT).await;
    wait_on_server(
        &d,
        &token,
        disputed,
        "/order/dispute/status",
        json!("settled"),
    )
    .await;

    // Cancel another order, with a reason.
    let cancellable: Vec<String> = offering("cancel")
        .into_iter()
        .filter(|id| id != unpaid)
        .collect();
    let cancel = cancellable
        .first()
        .expect("the demo has another cancellable order");
    open_order(app, cancel).await;
    app.click("action-cancel").await;
    app.type_into("step-note", "Found a closer supplier.").await;
    app.click("cancel-go").await;
    wait_status(app, "Cancelled", RECONNECT).await;
    wait_on_server(
        &d,
        &token,
        cancel,
        "/order/cancel_reason",
        json!("Found a closer supplier."),
    )
    .await;
    d.finish().await;
}

/// A card provider whose answers wait for the test: a charge is booked in the sandbox's
/// books at once, but its answer (and any lookup of it) comes only once the gate opens,
/// as when the provider is slow.
struct SlowProvider {
    books: SandboxGateway,
    open: tokio::sync::watch::Receiver<bool>,
}

impl SlowProvider {
    async fn gate(&self) {
        let mut open = self.open.clone();
        open.wait_for(|open| *open)
            .await
            .expect("the test keeps the gate");
    }
}

#[async_trait::async_trait]
impl PaymentGateway for SlowProvider {
    async fn charge(&self, charge: Charge<'_>) -> Result<ChargeOutcome, GatewayError> {
        let outcome = self.books.charge(charge).await;
        self.gate().await;
        outcome
    }

    async fn recover(&self, payment: PaymentId) -> Result<Option<ChargeOutcome>, GatewayError> {
        self.gate().await;
        self.books.recover(payment).await
    }
}

#[tokio::test]
async fn a_card_payment_without_an_answer_shows_processing_then_its_outcome() {
    let books_dir = tempfile::tempdir().unwrap();
    let books = SandboxGateway::open(&format!(
        "sqlite://{}?mode=rwc",
        books_dir.path().join("books.db").display()
    ))
    .await
    .unwrap();
    let (open, gate) = tokio::sync::watch::channel(false);
    let provider = SlowProvider { books, open: gate };
    let d = signed_in_with(Launch::default(), Some(Arc::new(provider))).await;
    let app = d.app();
    let token = d.backend.buyer_token().await;

    // An order the supplier (the bot) confirms: ready for Pay Now.
    let product = format!(
        "Bamboo cutting boards {}",
        &uuid::Uuid::now_v7().simple().to_string()[24..]
    );
    let created = d
        .backend
        .post(
            "/v1/orders",
            &token,
            json!({ "counterparty": supplier(&d, 3), "inquiry": null, "origin": "template",
                    "terms": terms(&product, 500, 240) }),
        )
        .await;
    let id = created["order"]["id"].as_str().unwrap().to_owned();
    open_order(app, &id).await;
    wait_status(app, "Ordered", BOT).await;

    // Pay by card: the provider takes the charge but does not answer. Pay Now keeps
    // asking with the same key, then says "processing", not an error.
    app.click("action-pay").await;
    app.wait_for("pay-now").await;
    app.click("pay-method-card").await;
    app.click("pay-continue").await;
    app.retype("card-number", "4242 4242 4242 4242").await;
    app.retype("card-exp-month", "12").await;
    app.retype("card-exp-year", "34").await;
    app.retype("card-cvc", "123").await;
    app.retype("card-holder", "Anna Keller").await;
    app.click("card-submit").await;
    // Once the server has named the payment (its "still processing" answer does), Pay
    // Now follows that payment: submitted, processing, received.
    let shown = wait_text(app, "pay-status", "confirming the payment", BOT).await;
    assert!(shown.contains("Processing"), "{shown}");
    assert!(
        !app.present("pay-error").await,
        "processing is not shown as a failure"
    );
    app.screenshot("pay-now-processing").await;
    // The order says so too, and the server has one payment, processing.
    app.click("pay-done").await;
    wait_text(
        app,
        "order-payment-processing",
        "Payment processing",
        PATIENCE,
    )
    .await;
    let payments = d
        .backend
        .get(&format!("/v1/orders/{id}/payments"), &token)
        .await;
    assert_eq!(payments.as_array().map(Vec::len), Some(1), "{payments}");
    assert_eq!(payments[0]["status"], "processing");

    // The provider answers: the outcome reaches the order without the buyer doing
    // anything, and the card was charged once.
    open.send(true).unwrap();
    wait_on_server(&d, &token, &id, "/order/paid_minor", json!(120_000)).await;
    app.wait_gone("order-payment-processing").await;
    let payments = d
        .backend
        .get(&format!("/v1/orders/{id}/payments"), &token)
        .await;
    assert_eq!(payments.as_array().map(Vec::len), Some(1), "{payments}");
    assert_eq!(payments[0]["status"], "succeeded");
    // The order's payments list it once, received.
    let listed = wait_text(app, "order-payments", "Received", PATIENCE).await;
    assert!(!listed.contains("Processing"), "{listed}");
    d.finish().await;
}
