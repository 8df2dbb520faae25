//! Accessibility beyond the per-screen axe audits (the `App::audit` calls in `inbox` and
//! `orders`): where the keyboard focus goes, the modal dialog's focus trap and return,
//! reduced motion, and the layout at 200% text size: the inbox and a thread, the orders
//! screen (its list, an order open, Pay Now, the order form), Compare, Settings and Help
//! (issue 18). At 200% nothing overflows sideways, no text is cut off or spills out
//! vertically, every primary button can be reached, axe-core finds nothing
//! serious or critical, and where an order or the form takes the list's place the focus
//! follows (to Back, back to the list, to the form's first field).
//!
//! ```sh
//! scripts/with-keyring.sh --desktop cargo test -p trade-e2e --test desktop a11y::
//! ```
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::harness;

use anyhow::ensure;
use harness::{App, Launch, PATIENCE, signed_in, until};
use serde_json::{Value, json};
use thirtyfour::prelude::*;

/// The focused element's test id (or its tag name when it has none).
pub(crate) async fn focused(app: &App) -> String {
    app.js(
        "const e = document.activeElement;\
         return e ? (e.getAttribute('data-testid') || e.tagName.toLowerCase()) : '';",
        Vec::new(),
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

pub(crate) async fn press(app: &App, keys: impl Into<TypingData>) {
    app.driver()
        .action_chain()
        .send_keys(keys)
        .perform()
        .await
        .unwrap_or_else(|e| panic!("pressing keys: {e}"));
}

/// Holds `modifier` while `key` is pressed (a chord such as Ctrl+2 or Shift+Tab).
/// `press(Key::Shift + Key::Tab)` would not: it presses and releases each key in turn.
pub(crate) async fn chord(app: &App, modifier: Key, key: impl Into<TypingData>) {
    app.driver()
        .action_chain()
        .key_down(modifier.clone())
        .send_keys(key)
        .key_up(modifier)
        .perform()
        .await
        .unwrap_or_else(|e| panic!("pressing a chord: {e}"));
}

/// The body's computed font size, in CSS pixels.
async fn body_font_px(app: &App) -> f64 {
    app.js(
        "return parseFloat(getComputedStyle(document.body).fontSize);",
        Vec::new(),
    )
    .await
    .as_f64()
    .unwrap()
}

/// Whether the focus is inside the element with this test id.
async fn focus_inside(app: &App, id: &str) -> bool {
    app.js(
        "const d = document.querySelector(`[data-testid=\"${arguments[0]}\"]`);\
         return !!d && d.contains(document.activeElement);",
        vec![json!(id)],
    )
    .await
        == json!(true)
}

#[tokio::test]
async fn opening_a_thread_focuses_the_message_box_and_the_outbox_dialog_keeps_and_returns_focus() {
    let d = signed_in(Launch::default()).await;
    let app = d.app();

    // A click on a conversation: the cursor is in its message box, ready to reply.
    app.click("inquiry-row").await;
    app.wait_for("thread").await;
    until("the message box focused", PATIENCE, async || {
        let f = focused(app).await;
        ensure!(f == "composer-input", "focus on {f:?}");
        Ok(())
    })
    .await;
    app.js("document.activeElement.blur();", Vec::new()).await;

    // The outbox dialog: modal, the focus moves in and Tab cannot leave it; Escape
    // closes it and the focus is back on the button that opened it.
    app.click("outbox-button").await;
    app.wait_for("outbox-panel").await;
    until("the focus inside the outbox dialog", PATIENCE, async || {
        ensure!(
            focus_inside(app, "outbox-panel").await,
            "focus on {:?}",
            focused(app).await
        );
        Ok(())
    })
    .await;
    app.audit("outbox-dialog").await;
    for i in 0..4 {
        if i % 2 == 0 {
            press(app, Key::Tab).await;
        } else {
            chord(app, Key::Shift, Key::Tab).await;
        }
        press(app, Key::Tab).await;
        assert!(
            focus_inside(app, "outbox-panel").await,
            "Tab left the dialog: focus on {:?}",
            focused(app).await
        );
    }
    press(app, Key::Escape).await;
    until(
        "the dialog closed, focus on its opener",
        PATIENCE,
        async || {
            ensure!(
                app.visible("outbox-panel").await.is_none(),
                "the dialog is still shown"
            );
            let f = focused(app).await;
            ensure!(f == "outbox-button", "focus on {f:?}");
            Ok(())
        },
    )
    .await;

    // The focus ring a keyboard user sees: a solid outline, not a faint glow.
    press(app, Key::Tab).await;
    chord(app, Key::Shift, Key::Tab).await;
    let ring = app
        .js(
            "const s = getComputedStyle(document.activeElement);\
             return [document.activeElement.matches(':focus-visible'), s.outlineStyle, s.outlineWidth];",
            Vec::new(),
        )
        .await;
    assert_eq!(
        ring,
        json!([true, "solid", "2px"]),
        "the focused Outbox button shows the focus outline"
    );
    d.finish().await;
}

#[tokio::test]
async fn with_animations_off_in_the_system_nothing_moves() {
    let d = signed_in(Launch {
        reduced_motion: true,
        ..Launch::default()
    })
    .await;
    let app = d.app();
    assert_eq!(
        app.js(
            "return matchMedia('(prefers-reduced-motion: reduce)').matches;",
            Vec::new()
        )
        .await,
        json!(true),
        "gtk-enable-animations=false reaches the page as prefers-reduced-motion: reduce"
    );
    // Every element on screen: no transition or animation lasts a visible time.
    let moving = app
        .js(
            "const long = (v) => v.split(',').some(t => parseFloat(t) * (t.includes('ms') ? 1 : 1000) > 1);\
             return [...document.querySelectorAll('*')].filter(e => {\
               const s = getComputedStyle(e);\
               return (s.transitionProperty !== 'none' && long(s.transitionDuration)) ||\
                      (s.animationName !== 'none' && long(s.animationDuration));\
             }).map(e => e.className || e.tagName).slice(0, 10);",
            Vec::new(),
        )
        .await;
    assert_eq!(moving, json!([]), "elements that still move");
    d.finish().await;
}

/// Sets the page's text size to `percent` of the default (as a person's text-size setting
/// does) and waits until it is laid out.
async fn text_size(app: &App, percent: u32) {
    app.js_async(
        "const done = arguments[arguments.length - 1];\
         document.documentElement.style.fontSize = arguments[0] + '%';\
         requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
        vec![json!(percent)],
    )
    .await;
}

/// The regions (CSS selectors) that overflow sideways: content wider than the box. Each
/// is named with what sticks out (the innermost elements past its right edge or too
/// narrow for their own content, first three), so that a failure says what to fix.
async fn overflowing(app: &App, selectors: &[&str]) -> Vec<Value> {
    let v = app
        .js(
            "const name = (e) => {\
               const id = e.getAttribute('data-testid');\
               const cls = typeof e.className === 'string' && e.className.trim()\
                 ? '.' + e.className.trim().split(/\\s+/).filter(c => !c.startsWith('svelte-')).join('.') : '';\
               const text = (e.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 30);\
               return (id ? `[data-testid=${id}]` : e.tagName.toLowerCase() + cls) +\
                 ` ${Math.round(e.getBoundingClientRect().width)}px \"${text}\"`;\
             };\
             return arguments[0].flatMap(sel => [...document.querySelectorAll(sel)]\
               .filter(e => e.getBoundingClientRect().width > 0 && e.scrollWidth > e.clientWidth + 1)\
               .map(e => {\
                 const edge = e.getBoundingClientRect().left + e.clientLeft + e.clientWidth + 1;\
                 const sticks = (c) => c.getBoundingClientRect().right > edge ||\
                   (c.clientWidth > 0 && c.scrollWidth > c.clientWidth + 1);\
                 const out = [...e.querySelectorAll('*')].filter(c =>\
                   sticks(c) && ![...c.children].some(sticks));\
                 return `${sel}: ${e.scrollWidth} > ${e.clientWidth} (past its edge: ` +\
                   out.slice(0, 3).map(name).join('; ') + ')';\
               }));",
            vec![json!(selectors)],
        )
        .await;
    v.as_array().cloned().unwrap_or_default()
}

/// Text cut off or spilling out vertically inside `selectors` (each region and all that
/// is in it, as shown): an element that clips (overflow hidden or clip) whose content is
/// taller than its box; a block holding text whose own lines are taller than it (they
/// spill over what is below); an element with text that a clipping ancestor cuts at its
/// top or bottom. Scrolling boxes (auto, scroll) are not cut: their content is reached by
/// scrolling. Each is named with its size and text, so that a failure says what to fix.
async fn cut_vertically(app: &App, selectors: &[&str]) -> Vec<Value> {
    let v = app
        .js(
            "const name = (e) => {\
               const id = e.getAttribute('data-testid');\
               const cls = typeof e.className === 'string' && e.className.trim()\
                 ? '.' + e.className.trim().split(/\\s+/).filter(c => !c.startsWith('svelte-')).join('.') : '';\
               const text = (e.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 30);\
               return (id ? `[data-testid=${id}]` : e.tagName.toLowerCase() + cls) + ` \"${text}\"`;\
             };\
             const clips = (s) => ['hidden', 'clip'].includes(s.overflowY);\
             const shown = (e) => e.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }) &&\
               e.getBoundingClientRect().height > 0;\
             const ownText = (e) => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());\
             const lines = (e) => ownText(e) || [...e.children].some(c =>\
               getComputedStyle(c).display === 'inline' && (c.textContent || '').trim());\
             const els = new Set(arguments[0].flatMap(sel =>\
               [...document.querySelectorAll(sel)].flatMap(r => [r, ...r.querySelectorAll('*')])));\
             const out = [];\
             for (const e of els) {\
               if (e instanceof SVGElement || !shown(e) || e.closest('.visually-hidden')) continue;\
               const s = getComputedStyle(e);\
               const box = s.display !== 'inline' && s.display !== 'contents';\
               const text = (e.innerText || '').trim();\
               if (box && clips(s) && text && e.scrollHeight > e.clientHeight + 1) {\
                 out.push(`${name(e)}: its content ${e.scrollHeight}px is cut to ${e.clientHeight}px`);\
                 continue;\
               }\
               if (box && lines(e) && !clips(s) && e.clientHeight > 0 && e.scrollHeight > e.clientHeight + 1) {\
                 out.push(`${name(e)}: its text ${e.scrollHeight}px spills out of ${e.clientHeight}px`);\
                 continue;\
               }\
               if (!ownText(e)) continue;\
               let a = e.parentElement;\
               while (a && getComputedStyle(a).overflowY === 'visible') a = a.parentElement;\
               if (!a || !clips(getComputedStyle(a))) continue;\
               const r = e.getBoundingClientRect(), c = a.getBoundingClientRect();\
               const top = c.top + a.clientTop, bottom = top + a.clientHeight;\
               if (r.bottom > top && r.top < bottom && (r.top < top - 1 || r.bottom > bottom + 1))\
                 out.push(`${name(e)}: ${Math.round(r.height)}px tall, cut by ${name(a)}`);\
             }\
             return out.length > 12 ? [...out.slice(0, 12), `and ${out.length - 12} more`] : out;",
            vec![json!(selectors)],
        )
        .await;
    v.as_array().cloned().unwrap_or_default()
}

/// Every visible primary button: brought into view, is it the element at its centre
/// (not covered, not cut off)? Returns those that are not.
async fn hidden_primary_buttons(app: &App) -> Vec<Value> {
    let v = app
        .js(
            "return [...document.querySelectorAll('.btn.primary')].filter(b =>\
               b.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })).filter(b => {\
               b.scrollIntoView({ block: 'center' });\
               const r = b.getBoundingClientRect();\
               const x = r.left + r.width / 2, y = r.top + r.height / 2;\
               const inside = x >= 0 && y >= 0 && x <= innerWidth && y <= innerHeight;\
               const at = document.elementFromPoint(x, y);\
               return !(inside && at && (at === b || b.contains(at)));\
             }).map(b => b.getAttribute('data-testid') || b.textContent.trim());",
            Vec::new(),
        )
        .await;
    v.as_array().cloned().unwrap_or_default()
}

/// `screen` as it is now holds together at a large text size: none of `regions`
/// overflows sideways, every visible primary button can be brought into view and is not
/// covered, and axe-core finds nothing serious (a screenshot named `screen` is saved).
/// The primary buttons named in `expected` must be among them (shown, so checked).
async fn assert_holds(app: &App, screen: &str, regions: &[&str], expected: &[&str]) {
    let over = overflowing(app, regions).await;
    assert!(
        over.is_empty(),
        "{screen}: regions overflow sideways: {over:#?}"
    );
    let cut = cut_vertically(app, regions).await;
    assert!(
        cut.is_empty(),
        "{screen}: text cut off vertically: {cut:#?}"
    );
    let shown = app
        .js(
            "return [...document.querySelectorAll('.btn.primary')].filter(b =>\
               b.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }))\
               .map(b => b.getAttribute('data-testid') || b.textContent.trim());",
            Vec::new(),
        )
        .await;
    for id in expected {
        assert!(
            shown.as_array().is_some_and(|a| a.contains(&json!(id))),
            "{screen}: the primary button {id} is not shown (shown: {shown})"
        );
    }
    let hidden = hidden_primary_buttons(app).await;
    assert!(
        hidden.is_empty(),
        "{screen}: primary buttons not reachable: {hidden:?}"
    );
    app.screenshot(screen).await;
    app.audit(screen).await;
}

#[tokio::test]
async fn at_200_percent_text_the_inbox_holds_together() {
    let d = signed_in(Launch::default()).await;
    let app = d.app();
    app.click("inquiry-row").await;
    app.wait_for("composer-input").await;
    let normal = body_font_px(app).await;
    text_size(app, 200).await;
    let large = body_font_px(app).await;
    assert!(
        (large - 2.0 * normal).abs() < 0.5,
        "the text doubles: {normal}px, then {large}px"
    );
    // Something to send, so that Send is enabled.
    app.type_into("composer-input", "Checking the layout").await;
    let regions = [
        "main",
        "[data-testid=inbox]",
        ".list-pane",
        "[data-testid=thread]",
        "[data-testid=composer-input]",
        "nav",
        "aside",
        "footer",
    ];
    assert_holds(app, "inbox-text-200", &regions, &["composer-send"]).await;

    d.finish().await;
}

/// The regions of the orders screen that must not overflow sideways: the screen, its
/// panes and their title and foot bars, wherever they are shown.
const ORDER_REGIONS: [&str; 13] = [
    "main",
    "nav",
    "[data-testid=orders]",
    ".list-pane",
    ".detail-pane",
    "[data-testid=order-detail]",
    "[data-testid=order-form]",
    "[data-testid=order-form] .body",
    "[data-testid=pay-now]",
    "[data-testid=pay-now] .body",
    "header",
    "footer",
    ".card",
];

/// The short number the app shows for an order (last 8 hex digits, upper case).
fn order_number(id: &str) -> String {
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    hex[hex.len() - 8..].to_uppercase()
}

#[tokio::test]
async fn at_200_percent_text_the_orders_screens_hold_together() {
    let d = signed_in(Launch::default()).await;
    let app = d.app();
    let token = d.backend.buyer_token().await;
    // An order the buyer can pay (Pay Now opens without paying anything).
    let page = d.backend.get("/v1/orders?box=ordered", &token).await;
    let id = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| {
            v["available_actions"]
                .as_array()
                .is_some_and(|a| a.contains(&json!("pay_now")))
        })
        .and_then(|v| v["order"]["id"].as_str())
        .expect("the demo has an order to pay")
        .to_owned();

    app.click("nav-orders").await;
    app.wait_for("order-row").await;
    let normal = body_font_px(app).await;
    text_size(app, 200).await;
    let large = body_font_px(app).await;
    assert!(
        (large - 2.0 * normal).abs() < 0.5,
        "the text doubles: {normal}px, then {large}px"
    );

    // The list, with its boxes and the buttons that start an order.
    app.wait_for("order-row").await;
    assert_holds(app, "orders-text-200", &ORDER_REGIONS, &["new-order"]).await;

    // An order, found in the list and clicked as a person would.
    app.retype("orders-search", &order_number(&id)).await;
    until("the list to show that order only", PATIENCE, async || {
        let listed = app
            .js(
                "return [...document.querySelectorAll('[data-order-id]')].map(r => r.dataset.orderId);",
                Vec::new(),
            )
            .await;
        ensure!(listed == json!([id]), "listed: {listed}");
        Ok(())
    })
    .await;
    app.click("order-row").await;
    app.wait_for("order-timeline").await;
    // The order took the list's place: the focus, left on the hidden list, moves to the
    // Back control at its top.
    until("the focus on Back", PATIENCE, async || {
        let f = focused(app).await;
        ensure!(f == "orders-back", "focus on {f:?}");
        Ok(())
    })
    .await;
    assert_holds(
        app,
        "order-detail-text-200",
        &ORDER_REGIONS,
        &["action-pay"],
    )
    .await;

    // Pay Now, at its first step (nothing is paid).
    app.click("action-pay").await;
    app.wait_for("pay-amount").await;
    app.click("pay-method-tt").await;
    assert_holds(app, "pay-now-text-200", &ORDER_REGIONS, &["pay-continue"]).await;

    // Back to the list (the focus on it), and a new order placed online.
    app.click("orders-back").await;
    until("the focus on the order list", PATIENCE, async || {
        let role = app
            .js(
                "return document.activeElement.getAttribute('role');",
                Vec::new(),
            )
            .await;
        ensure!(
            role == json!("listbox"),
            "focus on {:?}",
            focused(app).await
        );
        Ok(())
    })
    .await;
    app.click("new-order").await;
    app.wait_for("order-form").await;
    // The form took the place of the button: the focus is on its first field.
    until(
        "the focus on the form's first field",
        PATIENCE,
        async || {
            let f = focused(app).await;
            ensure!(f == "form-supplier", "focus on {f:?}");
            Ok(())
        },
    )
    .await;
    app.retype("form-line-product-0", "Brass gate valve DN50")
        .await;
    assert_holds(app, "order-form-text-200", &ORDER_REGIONS, &["form-submit"]).await;

    d.finish().await;
}

#[tokio::test]
async fn at_200_percent_text_compare_settings_and_help_hold_together() {
    let d = signed_in(Launch::default()).await;
    let app = d.app();
    let normal = body_font_px(app).await;
    text_size(app, 200).await;
    let large = body_font_px(app).await;
    assert!(
        (large - 2.0 * normal).abs() < 0.5,
        "the text doubles: {normal}px, then {large}px"
    );
    // Compare: the comparisons' list (none yet) beside what an open one would show.
    app.click("nav-compare").await;
    app.wait_for("compare").await;
    let regions = [
        "main",
        "nav",
        "aside",
        "[data-testid=compare]",
        "header",
        "footer",
    ];
    assert_holds(app, "compare-text-200", &regions, &[]).await;

    app.click("nav-settings").await;
    app.wait_for("settings").await;
    let regions = ["main", "nav", "aside", "[data-testid=settings]", "footer"];
    assert_holds(app, "settings-text-200", &regions, &[]).await;

    app.click("nav-help").await;
    app.wait_for("help").await;
    let regions = ["main", "nav", "aside", "[data-testid=help]", "footer"];
    assert_holds(app, "help-text-200", &regions, &[]).await;

    d.finish().await;
}
