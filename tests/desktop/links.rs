//! `tradecenter://` links and starting at login.
//!
//! The desktop opens a link through the package's desktop file
//! (`Exec=trade-center-desktop %u`, `MimeType=x-scheme-handler/tradecenter;`): `xdg-open`
//! ends up starting the binary with the link as its one argument. These tests start the
//! binary that way themselves (installing the desktop file into the test's desktop is
//! the package test's business): a second start while the app runs hands its command
//! line over through single-instance and exits; a first start reads its own.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, ensure};
use serde_json::json;

use crate::harness::*;

fn link(kind: &str, id: &str) -> String {
    format!("tradecenter://{kind}/{id}")
}

/// The first order in the list (the orders screen, every box).
async fn some_order(app: &App) -> String {
    app.click("nav-orders").await;
    app.wait_for("orders").await;
    app.click("box-all").await;
    until("an order in the list", PATIENCE, async || {
        let id = app
            .js(
                "const r = document.querySelector('[data-order-id]'); return r ? r.dataset.orderId : null;",
                Vec::new(),
            )
            .await;
        match id.as_str() {
            Some(id) => Ok(id.to_owned()),
            None => bail!("no order listed yet"),
        }
    })
    .await
}

/// Waits until the element with test id `testid` whose `attr` is `id` is on screen.
async fn wait_showing(app: &App, testid: &str, attr: &str, id: &str) {
    let selector = format!("[data-testid=\"{testid}\"][{attr}=\"{id}\"]");
    until_explained(
        &format!("{selector} on screen"),
        PATIENCE,
        async || {
            let shown = app
                .js(
                    "const e = document.querySelector(arguments[0]);\
                     return !!e && e.getBoundingClientRect().width > 0;",
                    vec![json!(selector)],
                )
                .await;
            ensure!(shown == json!(true), "not shown");
            Ok(())
        },
        async || format!("; test ids in the page: {:?}", app.test_ids().await),
    )
    .await;
}

/// The message a refused link leaves on screen; dismisses it.
async fn link_error(app: &App) -> String {
    let text = app.text("link-error-text").await;
    app.click("link-error-dismiss").await;
    app.wait_gone("link-error").await;
    text
}

#[tokio::test]
async fn links_handed_to_the_running_app_open_the_record_or_say_why_not() {
    let d = signed_in(Launch::default()).await;
    let app = d.app();
    let order = some_order(app).await;
    app.click("nav-inbox").await;
    app.wait_for("inbox").await;

    // (a) A second start with the order's link: it hands over and exits at once; the
    // running window shows the order.
    let (status, log) = d.second_start(&[&link("orders", &order)]).await;
    assert!(
        status.success(),
        "the second start exits cleanly: {status}\n{log}"
    );
    wait_showing(app, "order-detail", "data-detail-order-id", &order).await;
    app.wait_for("order-title").await;
    assert!(!app.present("link-error").await, "no error for a good link");

    // The same with the kind and id in capitals and a trailing slash.
    app.click("nav-inbox").await;
    let shouting = format!("TRADECENTER://ORDERS/{}/", order.to_uppercase());
    d.second_start(&[&shouting]).await;
    wait_showing(app, "order-detail", "data-detail-order-id", &order).await;

    // (c) A malformed id, another scheme, a query: a clear message, nothing opened.
    for bad in [
        "tradecenter://orders/not-an-id".to_owned(),
        format!("https://example.com/orders/{order}"),
        format!("{}?x=1", link("orders", &order)),
        format!("tradecenter://documents/{order}"),
    ] {
        app.click("nav-inbox").await;
        d.second_start(&[&bad]).await;
        let text = link_error(app).await;
        assert!(
            text.contains("cannot be opened"),
            "{bad}: the message says the link cannot be opened: {text:?}"
        );
        assert!(
            app.visible("inbox").await.is_some(),
            "{bad}: nothing opened, the inbox still shown"
        );
    }

    // A well-formed id that is neither here nor on the server (someone else's, or
    // made up): asked, the server says 404; the message says so.
    let unknown = uuid::Uuid::now_v7().to_string();
    d.second_start(&[&link("inquiries", &unknown)]).await;
    let text = link_error(app).await;
    assert!(
        text.contains("not one of yours"),
        "an unknown inquiry: {text:?}"
    );
    d.second_start(&[&link("orders", &unknown)]).await;
    let text = link_error(app).await;
    assert!(
        text.contains("not one of yours"),
        "an unknown order: {text:?}"
    );

    // Still the same app, still working: a good link after the bad ones opens.
    d.second_start(&[&link("orders", &order)]).await;
    wait_showing(app, "order-detail", "data-detail-order-id", &order).await;
    d.finish().await;
}

#[tokio::test]
async fn a_link_starts_the_stopped_app_on_the_thread_after_the_session_resumes() {
    let mut d = signed_in(Launch::default()).await;
    let rows = d.app().rows().await.unwrap();
    // Not the first row: a thread the window would not show by itself.
    let inquiry = rows.all.last().expect("the demo has inquiries").id.clone();

    // (b) Quit; start again with only the link (no password: the saved session
    // resumes from the keyring).
    d.relaunch(Launch {
        args: vec![link("inquiries", &inquiry)],
        ..Launch::default()
    })
    .await;
    let app = d.app();
    wait_showing(app, "thread", "data-thread-inquiry-id", &inquiry).await;
    assert!(!app.present("link-error").await);

    // A bad link at start: the message, once signed in.
    d.relaunch(Launch {
        args: vec!["tradecenter://inquiries/12345".to_owned()],
        ..Launch::default()
    })
    .await;
    let app = d.app();
    app.wait_for_within("inbox", FIRST_SYNC).await;
    let text = link_error(app).await;
    assert!(text.contains("cannot be opened"), "{text:?}");
    d.finish().await;
}

/// The autostart entry the plugin writes (`~/.config/autostart/<productName>.desktop`;
/// auto-launch 0.5 uses `$HOME/.config`, not `$XDG_CONFIG_HOME`). The app's HOME is the
/// run's throwaway one (`scripts/with-keyring.sh`), shared by this binary's tests: the
/// test checks that it starts without the entry and leaves none behind.
fn autostart_entry() -> PathBuf {
    PathBuf::from(std::env::var_os("HOME").expect("a HOME"))
        .join(".config/autostart/Trade Center.desktop")
}

/// Whether the X server shows (maps) a window titled "Trade Center".
fn main_window() -> bool {
    let out = Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", "^Trade Center$"])
        .output()
        .expect("xdotool runs");
    !String::from_utf8_lossy(&out.stdout).trim().is_empty()
}

/// Waits until the app's tray icon is on the session bus with `unread` as its label.
async fn tray_shows(app: &App, unread: i64) {
    until(
        "the tray icon on the bus, with the unread count",
        PATIENCE,
        async || {
            let label = app.tray_label();
            ensure!(
                label.as_deref() == Some(unread.to_string().as_str()),
                "tray label {label:?}, {unread} unread; tray items: {:?}",
                tray_items()
            );
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn start_at_login_writes_the_entry_and_starts_hidden_in_the_tray() {
    let mut d = signed_in(Launch::default()).await;
    let entry = autostart_entry();
    let app = d.app();
    let token = d.backend.buyer_token().await;
    let unread = d.backend.unread_total(&token).await;
    assert!(unread > 0, "the demo buyer has unread messages");
    // A start with the window shown: the tray icon comes once the inbox is on screen
    // (the page says so), with the unread count.
    tray_shows(app, unread).await;
    app.click("nav-settings").await;
    app.wait_for("settings").await;

    // Off by default: no entry.
    until("the setting read", PATIENCE, async || {
        let state = app.attr("autostart", "data-state").await;
        ensure!(state.as_deref() == Some("off"), "{state:?}");
        Ok(())
    })
    .await;
    assert!(!entry.exists(), "no autostart entry by default");

    // On: the entry, starting this binary minimized.
    app.click("autostart").await;
    until("the entry written", PATIENCE, async || {
        let state = app.attr("autostart", "data-state").await;
        if let Some(e) = app.all("settings-error").await.first() {
            bail!("the settings say: {}", app.inner_text(e).await);
        }
        ensure!(state.as_deref() == Some("on"), "{state:?}");
        ensure!(entry.is_file(), "no {}", entry.display());
        Ok(())
    })
    .await;
    let text = std::fs::read_to_string(&entry).unwrap();
    let exec = text
        .lines()
        .find_map(|l| l.strip_prefix("Exec="))
        .unwrap_or_else(|| panic!("an Exec line in\n{text}"));
    assert!(
        exec.contains("trade-center-desktop") && exec.ends_with(" --minimized"),
        "Exec={exec}"
    );

    // Off: the entry goes.
    app.click("autostart").await;
    until("the entry removed", PATIENCE, async || {
        let state = app.attr("autostart", "data-state").await;
        ensure!(state.as_deref() == Some("off"), "{state:?}");
        ensure!(!entry.exists(), "still there");
        Ok(())
    })
    .await;
    assert!(main_window(), "a normal start shows the window");

    // Started as the entry starts it: the window is there but hidden; the session
    // resumes and syncs behind it (the page runs); the tray icon is there; a second
    // start (the user opening the app from the menu) shows the window.
    d.relaunch(Launch {
        args: vec!["--minimized".to_owned()],
        ..Launch::default()
    })
    .await;
    let app = d.app();
    app.wait_for_within("inbox", FIRST_SYNC).await;
    // (GTK creates the X window of a hidden window only when it is first shown: the
    // page rendering the inbox is the sign that the window is there.)
    assert!(
        !main_window(),
        "started with --minimized the window stays hidden"
    );
    // The icon is made at once (the hidden page draws no frame to wait for) and shows
    // the unread count from the start: the engine's first counts may come before it.
    tray_shows(app, unread).await;
    d.second_start(&[]).await;
    until("the window shown", PATIENCE, async || {
        ensure!(main_window(), "still hidden");
        Ok(())
    })
    .await;
    d.finish().await;
}
