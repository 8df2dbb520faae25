//! Trade Center Desktop end to end: the real app (`trade-center-desktop`, with the built
//! `ui/`) driven through WebDriver (tauri-driver + WebKitWebDriver) against the demo
//! backend started in-process, on a throwaway desktop.
//!
//! ```sh
//! (cd ui && npm ci && npx vite build)
//! cargo build --workspace --bins
//! scripts/with-keyring.sh --desktop cargo test -p trade-e2e --test desktop inbox::
//! ```
//!
//! `scripts/with-keyring.sh --desktop` provides an Xvfb display, a private session bus
//! with an unlocked gnome-keyring and a notification server (dunst), and a log of every
//! `Notify` call on that bus (`TRADE_NOTIFY_LOG`); it sets `TRADE_DESKTOP=1`. Without it
//! every test here fails (they would otherwise run against the developer's own desktop,
//! keyring and notifications). tauri-driver must be installed:
//! `cargo install tauri-driver --locked --version '^2'`.
//!
//! Every test gets its own demo backend (fresh data directory, a free port, a bot that
//! answers after 300 ms) and its own app data directories (XDG_DATA_HOME,
//! XDG_CONFIG_HOME, XDG_CACHE_HOME under a temp dir); the session bus and keyring are the
//! script's. The app is a single-instance app on that one bus, so the tests take turns
//! (a process-wide lock), whatever `--test-threads` says.
//!
//! Screenshots go to `<target>/screenshots/` (to `docs/screenshots/`, the
//! README's copies, with `TRADE_UPDATE_SCREENSHOTS=1`): sign-in, first-sync (when the first sync is
//! caught on screen), inbox, thread, settings-light, settings-dark, inbox-dark.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::harness;

use std::time::Duration;

use anyhow::{bail, ensure};
use harness::{Desktop, FIRST_SYNC, Launch, PATIENCE, Rows, signed_in, until, until_explained};
use serde_json::{Value, json};
use trade_client::credentials::{CredentialKey, DEFAULT_SERVICE, KeyringStore};
use trade_client::profile::ServerProfile;

/// Reconnecting after the server comes back: the engine's backoff reaches several
/// seconds while the server is away (it is woken early by a send, not by the server).
const RECONNECT: Duration = Duration::from_secs(90);

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Whitespace collapsed, for comparing text as rendered with text as stored.
fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Opens inquiry `id` from the inbox; waits for its thread.
async fn open_thread(d: &Desktop, id: &str) {
    let app = d.app();
    if !app.present("inbox").await {
        app.click("nav-inbox").await;
    }
    app.row(id).await.click().await.expect("the row opens");
    app.wait_for("thread").await;
}

/// The sidebar's unread badge shows `total`.
async fn badge_shows(app: &harness::App, total: i64) -> anyhow::Result<()> {
    let badge = app.text("unread-total").await;
    ensure!(
        badge.trim() == total.to_string(),
        "badge {badge:?}, server {total}"
    );
    Ok(())
}

/// An inquiry the server says has nothing unread (the demo has several).
async fn a_read_inquiry(d: &Desktop, token: &str) -> Value {
    d.backend
        .inquiries(token, "all")
        .await
        .into_iter()
        .find(|i| i["unread_count"] == 0)
        .expect("the demo has read inquiries")
}

/// How many inbox rows are rendered wholly below the list's visible part.
const ROWS_BELOW_THE_LIST: &str = "const list = document.querySelector('[data-testid=inbox] [role=listbox]');\
     const bottom = list.getBoundingClientRect().bottom;\
     return [...list.querySelectorAll('[data-testid=inquiry-row]')]\
       .filter(r => r.getBoundingClientRect().top >= bottom).length;";

#[tokio::test]
async fn signing_in_shows_the_seeded_inbox_and_the_unread_tab() {
    let d = Desktop::start(Launch::default()).await;
    let app = d.app();
    let buyer = &d.backend.accounts.buyer;

    // The form comes prefilled from the start options.
    app.wait_for("signin-form").await;
    assert_eq!(app.value("signin-url").await, d.backend.url());
    assert_eq!(app.value("signin-email").await, buyer.email);
    let ca_name = app.text("signin-ca-name").await;
    assert!(
        ca_name.contains("ca.pem"),
        "the chosen CA file is named on the form: {ca_name:?}"
    );
    // The tray icon is there with the sign-in form, without a count.
    until("the tray icon on the bus", PATIENCE, async || {
        let label = app.tray_label();
        ensure!(label.as_deref() == Some(""), "tray label {label:?}");
        Ok(())
    })
    .await;
    app.type_into("signin-password", buyer.password).await;
    app.screenshot("sign-in").await;
    app.audit("sign-in").await;
    app.click("signin-submit").await;

    // First sync (shown while it runs, if we are quick enough to see it), then the inbox.
    let mut caught_sync = false;
    until_explained(
        "the first sync or the inbox",
        FIRST_SYNC,
        async || {
            if let Some(error) = app.all("signin-error").await.first() {
                let text = app.inner_text(error).await;
                if !text.trim().is_empty() {
                    panic!("signing in failed on screen: {text}");
                }
            }
            if !caught_sync && let Some(progress) = app.all("sync-progress").await.first() {
                let done = progress.attr("data-done").await.ok().flatten();
                let total = progress.attr("data-total").await.ok().flatten();
                eprintln!("first sync on screen: done={done:?} total={total:?}");
                if let (Some(done), Some(total)) = (done, total)
                    && let (Ok(done), Ok(total)) = (done.parse::<u64>(), total.parse::<u64>())
                {
                    assert!(done <= total, "sync progress {done}/{total}");
                }
                app.screenshot("first-sync").await;
                caught_sync = true;
            }
            if app.visible("inbox").await.is_some() && app.visible("inquiry-row").await.is_some() {
                Ok(())
            } else {
                bail!("no inbox with rows yet")
            }
        },
        async || format!("; test ids on screen: {:?}", app.test_ids().await),
    )
    .await;
    if !caught_sync {
        eprintln!("the first sync ended before it was seen: no first-sync screenshot");
    }
    assert!(
        !app.present("session-only").await,
        "with a working keyring the session is remembered (no session-only notice)"
    );
    // Rows below the list's bottom edge are drawn before any scrolling, so that a scroll
    // shows rows at once (the list's first frame draws only those on screen, the rest
    // come after it).
    until("rows below the screen, ready", PATIENCE, async || {
        let below = app.js(ROWS_BELOW_THE_LIST, Vec::new()).await;
        ensure!(below.as_u64().is_some_and(|n| n > 0), "{below} rows");
        Ok(())
    })
    .await;

    inbox_and_unread_tab_match_the_server(&d).await;
    d.finish().await;
}

/// The inbox lists what the server lists for the buyer, in the same order, with the
/// same unread state; the badge shows the server's unread total; the Unread Messages tab
/// lists exactly the inquiries the server says have unread messages. Screenshot `inbox`.
async fn inbox_and_unread_tab_match_the_server(d: &Desktop) {
    let app = d.app();
    // All Inquiries: what the server lists for the buyer, in the same order.
    let token = d.backend.buyer_token().await;
    let rows = until(
        "the inbox to list the server's inquiries",
        PATIENCE,
        async || {
            let server = d.backend.inquiries(&token, "all").await;
            let rows = app.rows().await?;
            let expected = ids(&server);
            ensure!(!rows.initial.is_empty(), "no rows on screen");
            ensure!(
                Rows::ids(&rows.initial) == expected[..rows.initial.len().min(expected.len())],
                "rows on screen {:?}\nfirst page from the server {expected:?}",
                Rows::ids(&rows.initial)
            );
            ensure!(
                Rows::ids(&rows.all) == expected,
                "rows in the whole list {:?}\nserver {expected:?}",
                Rows::ids(&rows.all)
            );
            for (row, item) in rows.all.iter().zip(&server) {
                let unread = item["unread_count"].as_i64().unwrap();
                ensure!(
                    row.is_unread() == (unread > 0)
                        && row.unread_count().is_none_or(|n| n == unread),
                    "row {} shows data-unread={:?}, the server says {unread} unread",
                    row.id,
                    row.unread
                );
            }
            Ok(rows)
        },
    )
    .await;
    let total = d.backend.unread_total(&token).await;
    until(
        "the unread badge to show the server's total",
        PATIENCE,
        async || badge_shows(app, total).await,
    )
    .await;
    eprintln!(
        "inbox: {} inquiries ({} rendered at the top), {total} unread messages",
        rows.all.len(),
        rows.initial.len()
    );
    app.screenshot("inbox").await;
    app.audit("inbox").await;

    // Unread Messages: exactly the inquiries the server says have unread messages.
    app.click("tab-unread").await;
    until(
        "the unread tab to list the server's unread inquiries",
        PATIENCE,
        async || {
            let server = d.backend.inquiries(&token, "unread").await;
            ensure!(!server.is_empty(), "the demo has unread inquiries");
            let rows = app.rows().await?;
            ensure!(
                Rows::ids(&rows.all) == ids(&server),
                "unread tab {:?}\nserver {:?}",
                Rows::ids(&rows.all),
                ids(&server)
            );
            ensure!(
                rows.all.iter().all(|r| r.is_unread()),
                "every row in the unread tab is unread: {:?}",
                rows.all
            );
            Ok(())
        },
    )
    .await;
    app.audit("inbox-unread").await;
}

#[tokio::test]
async fn a_sent_message_syncs_the_bot_replies_and_a_notification_names_the_supplier() {
    let d = signed_in(Launch::default()).await;
    let app = d.app();
    let token = d.backend.buyer_token().await;

    // An inquiry with unread messages, shown near the top.
    let server = d.backend.inquiries(&token, "all").await;
    let rows = app.rows().await.expect("the inbox rows");
    let inquiry = server
        .iter()
        .filter(|i| i["unread_count"].as_i64().unwrap() > 0)
        .find(|i| {
            rows.initial
                .iter()
                .any(|r| r.id == i["id"].as_str().unwrap())
        })
        .or_else(|| {
            server
                .iter()
                .find(|i| i["unread_count"].as_i64().unwrap() > 0)
        })
        .expect("the demo has an unread inquiry")
        .clone();
    let id = inquiry["id"].as_str().unwrap().to_owned();
    let unread_here = inquiry["unread_count"].as_i64().unwrap();
    let supplier_name = inquiry["supplier_name"].as_str().unwrap().to_owned();
    let total_before = d.backend.unread_total(&token).await;
    until(
        "the badge to show the server's total",
        PATIENCE,
        async || {
            let badge = app.text("unread-total").await;
            ensure!(
                badge.trim() == total_before.to_string(),
                "badge {badge:?}, server {total_before}"
            );
            Ok(())
        },
    )
    .await;

    // Opening it reads it: the badge goes down by its unread messages.
    open_thread(&d, &id).await;
    let title = app.text("thread-title").await;
    assert!(
        title.contains(inquiry["product"].as_str().unwrap()),
        "the thread's title names the product {}: {title:?}",
        inquiry["product"]
    );
    let history = d.backend.messages(&token, &id).await;
    let last = history.last().unwrap();
    let last_shown = app.message(last["id"].as_str().unwrap()).await;
    let shown = app.inner_text_of(&last_shown, "message-body").await;
    assert_eq!(words(&shown), words(last["body"].as_str().unwrap()));
    let after_open = total_before - unread_here;
    until(
        "the badge to count the opened thread as read",
        PATIENCE,
        async || {
            let badge = app.text("unread-total").await;
            ensure!(
                badge.trim() == after_open.to_string(),
                "badge {badge:?}, expected {after_open}"
            );
            Ok(())
        },
    )
    .await;

    // Send: pending at once, then sent or synced.
    let body = format!(
        "Could you send the test reports for this batch, please? (ref {})",
        &uuid::Uuid::now_v7().simple().to_string()[20..]
    );
    app.record_deliveries(&body).await;
    app.type_into("composer-input", &body).await;
    app.click("composer-send").await;
    let message_id = until("our message to reach the server", PATIENCE, async || {
        let deliveries = app.deliveries().await;
        ensure!(
            deliveries
                .last()
                .is_some_and(|d| d == "sent" || d == "synced"),
            "delivery states so far {deliveries:?}"
        );
        let on_server = d.backend.messages(&token, &id).await;
        let mine: Vec<&Value> = on_server
            .iter()
            .filter(|m| m["body"] == body.as_str())
            .collect();
        ensure!(mine.len() == 1, "{} copies on the server", mine.len());
        Ok(mine[0]["id"].as_str().unwrap().to_owned())
    })
    .await;
    // It only moves forward: pending → sent → synced (never failed). On this fast
    // loopback server the push may finish before the thread re-reads the cache, so the
    // first state painted can already be "sent"; the offline test below pins "pending".
    let deliveries = app.deliveries().await;
    eprintln!("delivery states shown for the sent message: {deliveries:?}");
    let rank = |d: &str| ["pending", "sent", "synced"].iter().position(|s| *s == d);
    assert!(
        deliveries.iter().all(|d| rank(d).is_some())
            && deliveries.windows(2).all(|w| rank(&w[0]) < rank(&w[1])),
        "a sent message goes pending → sent → synced: {deliveries:?}"
    );
    app.message(&message_id).await;

    // The bot answers; the answer shows in the thread and as a notification.
    let reply = until("the supplier's reply on the server", PATIENCE, async || {
        let on_server = d.backend.messages(&token, &id).await;
        let pos = on_server
            .iter()
            .position(|m| m["id"] == message_id.as_str())
            .unwrap();
        on_server[pos + 1..]
            .iter()
            .find(|m| m["sender"] == inquiry["supplier"])
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no reply yet"))
    })
    .await;
    let reply_id = reply["id"].as_str().unwrap();
    let reply_body = reply["body"].as_str().unwrap();
    let element = app.message(reply_id).await;
    let text = app.inner_text_of(&element, "message-body").await;
    assert_eq!(words(&text), words(reply_body));
    let sender = app.inner_text_of(&element, "message-sender").await;
    assert!(
        sender.contains(&supplier_name),
        "the reply is from {supplier_name}: {sender:?}"
    );
    let reply_start: String = words(reply_body).chars().take(40).collect();
    let note = until("a notification naming the supplier", PATIENCE, async || {
        let notes = d.notifications();
        notes
            .iter()
            .find(|n| {
                n.summary.contains(&supplier_name)
                    && words(&n.body_text()).starts_with(&reply_start)
            })
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("Notify calls so far: {notes:?}"))
    })
    .await;
    eprintln!("notification: {note:?}");

    // The badge follows the server (the reply is read at once in the open thread, or
    // counted as unread).
    until(
        "the badge to show the server's total after the reply",
        PATIENCE,
        async || {
            let total = d.backend.unread_total(&token).await;
            let badge = app.text("unread-total").await;
            ensure!(
                badge.trim() == total.to_string(),
                "badge {badge:?}, server {total}"
            );
            ensure!(
                total == after_open || total == after_open + 1,
                "server total {total}, {after_open} before the reply"
            );
            Ok(())
        },
    )
    .await;
    app.screenshot("thread").await;
    app.audit("thread").await;
    d.finish().await;
}

#[tokio::test]
async fn a_message_written_offline_is_sent_once_when_the_server_is_back() {
    let mut d = signed_in(Launch::default()).await;
    let token = d.backend.buyer_token().await;
    // A thread with nothing unread: opening it queues nothing of its own.
    let id = a_read_inquiry(&d, &token).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    open_thread(&d, &id).await;
    until(
        "the app to be online with an empty outbox",
        PATIENCE,
        async || {
            let state = d.app().attr("status-connection", "data-state").await;
            ensure!(state.as_deref() == Some("online"), "status {state:?}");
            let outbox = d.app().text("status-outbox").await;
            ensure!(outbox.trim() == "0", "outbox shows {outbox:?}");
            Ok(())
        },
    )
    .await;

    d.backend.stop().await;
    until("the app to notice it is offline", PATIENCE, async || {
        let state = d.app().attr("status-connection", "data-state").await;
        ensure!(state.as_deref() == Some("offline"), "status {state:?}");
        Ok(())
    })
    .await;

    let body = format!(
        "Written offline: please confirm the shipping date (ref {})",
        &uuid::Uuid::now_v7().simple().to_string()[20..]
    );
    let app = d.app();
    app.record_deliveries(&body).await;
    app.type_into("composer-input", &body).await;
    app.click("composer-send").await;
    until(
        "the message to show as pending while offline",
        PATIENCE,
        async || {
            let shown: Vec<_> = app
                .messages()
                .await
                .into_iter()
                .filter(|(_, _, text)| words(text) == words(&body))
                .collect();
            ensure!(shown.len() == 1, "shown {shown:?}");
            ensure!(shown[0].1 == "pending", "delivery {:?}", shown[0].1);
            let outbox = app.text("status-outbox").await;
            ensure!(outbox.trim() == "1", "outbox shows {outbox:?}");
            let state = app.attr("status-connection", "data-state").await;
            ensure!(
                matches!(state.as_deref(), Some("offline" | "connecting")),
                "status {state:?}"
            );
            Ok(())
        },
    )
    .await;
    // Between retries the bar shows "connecting"; it must come back to "offline" while
    // the server is down (read once, this raced the retry schedule).
    until("the status bar to say offline", PATIENCE, async || {
        let state = app.attr("status-connection", "data-state").await;
        ensure!(state.as_deref() == Some("offline"), "status {state:?}");
        Ok(())
    })
    .await;
    app.audit("thread-offline").await;

    d.backend.restart().await;
    let app = d.app();
    until(
        "the message to be sent after the restart",
        RECONNECT,
        async || {
            let shown: Vec<_> = app
                .messages()
                .await
                .into_iter()
                .filter(|(_, _, text)| words(text) == words(&body))
                .collect();
            ensure!(shown.len() == 1, "shown {shown:?}");
            ensure!(
                shown[0].1 == "sent" || shown[0].1 == "synced",
                "delivery {:?}",
                shown[0].1
            );
            let outbox = app.text("status-outbox").await;
            ensure!(outbox.trim() == "0", "outbox shows {outbox:?}");
            let state = app.attr("status-connection", "data-state").await;
            ensure!(state.as_deref() == Some("online"), "status {state:?}");
            Ok(())
        },
    )
    .await;
    let deliveries = app.deliveries().await;
    assert_eq!(
        deliveries.first().map(String::as_str),
        Some("pending"),
        "{deliveries:?}"
    );

    let token = d.backend.buyer_token().await;
    let on_server: Vec<Value> = d
        .backend
        .messages(&token, &id)
        .await
        .into_iter()
        .filter(|m| m["body"] == body.as_str())
        .collect();
    assert_eq!(
        on_server.len(),
        1,
        "the server has the message exactly once"
    );
    let shown_id = app
        .messages()
        .await
        .into_iter()
        .find(|(_, _, text)| words(text) == words(&body))
        .unwrap()
        .0;
    assert_eq!(shown_id, on_server[0]["id"].as_str().unwrap());
    d.finish().await;
}

#[tokio::test]
async fn supplier_messages_with_markup_show_as_text_and_run_nothing() {
    let d = signed_in(Launch::default()).await;
    let app = d.app();
    let token = d.backend.buyer_token().await;
    let inquiry = d.backend.inquiries(&token, "all").await[0].clone();
    let id = inquiry["id"].as_str().unwrap().to_owned();
    let supplier = d
        .backend
        .supplier_token(inquiry["supplier"].as_str().unwrap())
        .await;
    let title_before = app.driver().title().await.unwrap();
    assert_ne!(title_before, "pwned");
    // The page that shows their text runs its script without a JIT: no machine code is
    // made from it (the app sets JavaScriptCore's option for WebKit's processes).
    assert_eq!(
        app.web_process_env("JSC_useJIT").as_deref(),
        Some("0"),
        "the web process's script engine has its JIT switched off"
    );
    assert_eq!(
        app.web_process_env("JSC_largeHeapSize").as_deref(),
        Some("8388608"),
        "the web process's script engine collects its garbage every 8 MiB"
    );

    let payloads = [
        r#"<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>"#,
        "<b>bold</b>",
        r#"<a href="javascript:document.title='pwned'">click me</a> & &amp; <svg onload="document.title='pwned'">"#,
    ];
    let mut posted = Vec::new();
    for body in payloads {
        let m = d
            .backend
            .post(
                &format!("/v1/inquiries/{id}/messages"),
                &supplier,
                json!({ "body": body }),
            )
            .await;
        posted.push((m["id"].as_str().unwrap().to_owned(), body));
    }

    open_thread(&d, &id).await;
    for (message_id, raw) in &posted {
        let element = app.message(message_id).await;
        let shown = app.inner_text_of(&element, "message-body").await;
        assert_eq!(shown.trim(), *raw, "the message body shows the raw text");
    }
    // Give an injected handler every chance to run: two frames after load.
    app.js_async(
        "const done = arguments[arguments.length - 1];\
         requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
        Vec::new(),
    )
    .await;
    let found = app
        .js(
            "return {\
               elements: document.querySelectorAll('[data-testid=\"message-body\"] img, \
                 [data-testid=\"message-body\"] script, [data-testid=\"message-body\"] b, \
                 [data-testid=\"message-body\"] a, [data-testid=\"message-body\"] svg').length,\
               handlers: [...document.querySelectorAll('[onerror],[onload]')]\
                 .filter(e => /pwned/.test(e.outerHTML)).length,\
               scripts: [...document.scripts].filter(s => /pwned/.test(s.textContent)).length,\
               title: document.title,\
             };",
            Vec::new(),
        )
        .await;
    assert_eq!(
        found["elements"], 0,
        "no element made from message text: {found}"
    );
    assert_eq!(found["handlers"], 0, "{found}");
    assert_eq!(found["scripts"], 0, "{found}");
    assert_eq!(found["title"], title_before.as_str(), "{found}");
    assert_eq!(app.driver().title().await.unwrap(), title_before);

    // A supplier whose display name is markup writes: the notification's summary (the
    // name) reaches the notification server escaped, as its body does.
    let name = "<b>Li</b> & <i>Sons</i>";
    let email = format!("markup.{}@example.com", uuid::Uuid::now_v7().simple());
    let password = "correct horse battery staple";
    let (status, account) = d
        .backend
        .send(
            reqwest::Method::POST,
            "/v1/accounts",
            None,
            Some(
                json!({ "email": email, "password": password, "display_name": name,
                "role": "supplier", "company_name": "Li & Sons Ltd", "country": "CN" }),
            ),
            &[],
        )
        .await;
    assert!(status.is_success(), "{account}");
    let opened = d
        .backend
        .post(
            "/v1/inquiries",
            &token,
            json!({ "supplier": account["id"], "product": "Desk lamps",
                "message": "Your price for 500 desk lamps?" }),
        )
        .await;
    let marked_up = d.backend.login(&email, password).await;
    d.backend
        .post(
            &format!("/v1/inquiries/{}/messages", opened["id"].as_str().unwrap()),
            &marked_up,
            json!({ "body": "USD 6.05 <per> piece & FOB Ningbo" }),
        )
        .await;
    let note = until(
        "a notification from the supplier named in markup",
        PATIENCE,
        async || {
            let notes = d.notifications();
            notes
                .iter()
                .find(|n| n.body_text().contains("USD 6.05"))
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("Notify calls so far: {notes:?}"))
        },
    )
    .await;
    assert_eq!(
        note.summary, "&lt;b&gt;Li&lt;/b&gt; &amp; &lt;i&gt;Sons&lt;/i&gt;",
        "the summary is escaped: {note:?}"
    );
    assert!(
        note.body_text()
            .contains("USD 6.05 <per> piece & FOB Ningbo"),
        "the body reads as written: {note:?}"
    );
    d.finish().await;
}

/// What a script in the page could do if one ever ran there (a compromised dependency,
/// a hole in the text rendering): call the app's own commands, and nothing else. Tauri
/// checks every IPC call in Rust against the capability file, which lists only the app's
/// commands and event listening; the plugins the shell registers (autostart, the opener,
/// dialogs, window state, deep links) keep their commands to Rust.
#[tokio::test]
async fn a_script_in_the_page_can_call_the_apps_commands_and_no_plugins() {
    let d = signed_in(Launch::default()).await;
    let app = d.app();
    let answers = app
        .js_async(
            "const done = arguments[arguments.length - 1];\
             const call = (cmd, args) => window.__TAURI_INTERNALS__.invoke(cmd, args)\
               .then(v => ({ cmd, ok: true, v }), e => ({ cmd, ok: false, e: String(e) }));\
             Promise.all([\
               call('overview', {}),\
               call('plugin:autostart|enable', {}),\
               call('plugin:opener|open_url', { url: 'https://example.com/' }),\
               call('plugin:opener|open_path', { path: '/etc/passwd' }),\
               call('plugin:dialog|open', { options: {} }),\
               call('plugin:window-state|save_window_state', { flags: 0 }),\
               call('plugin:deep-link|get_current', {}),\
               call('plugin:fs|read_text_file', { path: '/etc/passwd' }),\
               call('plugin:shell|execute', { program: 'sh', args: ['-c', 'true'] }),\
             ]).then(done);",
            Vec::new(),
        )
        .await;
    let answers = answers.as_array().expect("one answer per call");
    assert_eq!(answers.len(), 9, "{answers:?}");
    assert_eq!(
        answers[0]["ok"], true,
        "the app's own command answers: {}",
        answers[0]
    );
    for refused in &answers[1..] {
        assert_eq!(refused["ok"], false, "refused: {refused}");
        assert!(
            refused["e"]
                .as_str()
                .is_some_and(|e| e.contains("not allowed")),
            "refused by the capability check, before any argument was read: {refused}"
        );
    }
    // Refused before it ran: starting at login is still off.
    let autostart = app
        .js_async(
            "const done = arguments[arguments.length - 1];\
             window.__TAURI_INTERNALS__.invoke('autostart', {}).then(done, e => done(String(e)));",
            Vec::new(),
        )
        .await;
    assert_eq!(autostart, false, "no autostart entry was made");
    d.finish().await;
}

#[tokio::test]
async fn the_desktop_session_ending_quits_the_app_as_its_quit_menu_does() {
    // Logout or shutdown sends SIGTERM: the app quits through its own exit (keyring
    // calls in flight finished, the window's size saved), not where it stands. Sent as
    // soon as the first sign-in shows the inbox.
    const INNER: &str = "return [window.innerWidth, window.innerHeight];";
    let mut d = signed_in(Launch::default()).await;
    let app = d.app();
    app.driver()
        .set_window_rect(30, 30, 1040, 700)
        .await
        .expect("the window can be resized");
    let resized = until("the page to take the new size", PATIENCE, async || {
        let inner = app.js(INNER, Vec::new()).await;
        ensure!(inner[0] == json!(1040), "the page is {inner}");
        Ok(inner)
    })
    .await;
    app.signal_and_wait_for_exit("-TERM").await;

    d.relaunch(Launch::default()).await;
    let app = d.app();
    app.wait_for_within("inbox", FIRST_SYNC).await;
    assert!(
        !app.present("signin-form").await,
        "the session stored at sign-in resumes"
    );
    assert_eq!(
        app.js(INNER, Vec::new()).await,
        resized,
        "the window opens at the size it had when the session ended (1200 x 780 otherwise)"
    );
    d.finish().await;
}

#[tokio::test]
async fn what_the_supplier_wrote_while_the_app_was_closed_shows_after_a_start() {
    // A start's first screen is read with the launch, as the program starts, before the
    // page listens for the engine's events; the sync then brings what the supplier wrote
    // meanwhile, maybe before the page listens, maybe after. Either way the inbox and the
    // unread badge show it, with no later change to bring it.
    let mut d = signed_in(Launch::default()).await;
    let token = d.backend.buyer_token().await;
    let inquiry = a_read_inquiry(&d, &token).await;
    let id = inquiry["id"].as_str().unwrap().to_owned();
    let app = d.app();
    until(
        "the app to have synced the read inquiry",
        PATIENCE,
        async || {
            let rows = app.rows().await?;
            let row = rows.all.iter().find(|r| r.id == id);
            ensure!(row.is_some_and(|r| !r.is_unread()), "row {row:?}");
            Ok(())
        },
    )
    .await;
    d.quit().await;

    let supplier = d
        .backend
        .supplier_token(inquiry["supplier"].as_str().unwrap())
        .await;
    d.backend
        .post(
            &format!("/v1/inquiries/{id}/messages"),
            &supplier,
            json!({ "body": "Written while you were away: the samples shipped today." }),
        )
        .await;
    let server = ids(&d.backend.inquiries(&token, "all").await);
    let total = d.backend.unread_total(&token).await;

    d.relaunch(Launch::default()).await;
    let app = d.app();
    app.wait_for_within("inbox", FIRST_SYNC).await;
    until(
        "the inbox and the badge to show the message written while the app was closed",
        PATIENCE,
        async || {
            let rows = app.rows().await?;
            let shown = Rows::ids(&rows.initial);
            ensure!(
                !shown.is_empty() && shown == server[..shown.len().min(server.len())],
                "rows on screen {shown:?}\nthe server's first {server:?}"
            );
            let row = rows.initial.iter().find(|r| r.id == id);
            ensure!(
                row.is_some_and(|r| r.unread_count() == Some(1)),
                "the inquiry written to shows {row:?}"
            );
            badge_shows(app, total).await
        },
    )
    .await;
    d.finish().await;
}

#[tokio::test]
async fn signing_out_removes_the_secret_and_the_next_start_asks_to_sign_in() {
    // Signed in once (with the demo password), then started without it: the saved
    // session (its secret in the keyring) signs in by itself, with the server up and
    // with it down. After signing out, the same start shows the sign-in form.
    let mut d = signed_in(Launch::default()).await;
    let buyer = d.backend.accounts.buyer.clone();
    d.relaunch(Launch::default()).await;
    let app = d.app();
    app.wait_for_within("inbox", FIRST_SYNC).await;
    assert!(
        !app.present("signin-form").await,
        "the saved session resumes"
    );

    // Started while the server is down: the saved session opens the inbox from this
    // computer's cache (not the sign-in form), offline, and goes online when the server
    // is back.
    d.backend.stop().await;
    d.relaunch(Launch::default()).await;
    let app = d.app();
    app.wait_for("inquiry-row").await;
    assert!(
        !app.present("signin-form").await,
        "offline, the saved session resumes"
    );
    until("the status bar to say offline", PATIENCE, async || {
        let state = app.attr("status-connection", "data-state").await;
        ensure!(state.as_deref() == Some("offline"), "status {state:?}");
        Ok(())
    })
    .await;
    d.backend.restart().await;
    let app = d.app();
    until("the app to be online again", PATIENCE, async || {
        let state = app.attr("status-connection", "data-state").await;
        ensure!(state.as_deref() == Some("online"), "status {state:?}");
        Ok(())
    })
    .await;

    let server = ServerProfile {
        url: d.backend.url(),
        ca_pem: None,
    }
    .base_url()
    .unwrap();
    let (service, user) = KeyringStore::new(DEFAULT_SERVICE).entry_name(&CredentialKey {
        server,
        account: buyer.id.to_string(),
    });
    let username = format!("attribute.username = {user}");
    let items = d.keyring_items(&service);
    assert_eq!(
        items.iter().filter(|i| i.contains(&username)).count(),
        1,
        "one keyring entry for {service} / {user} while signed in: {items:?}"
    );

    // The secret gone from the keyring behind the app's back (the profile still names
    // the account): the next start shows the sign-in form, prefilled, not the inbox;
    // signing in there opens the inbox.
    if let Some(app) = d.app.take() {
        app.close().await;
    }
    let cleared = std::process::Command::new("secret-tool")
        .args(["clear", "service", &service, "username", &user])
        .status()
        .expect("secret-tool runs");
    assert!(cleared.success(), "secret-tool clear: {cleared}");
    assert!(d.keyring_items(&service).is_empty());
    d.relaunch(Launch::default()).await;
    let app = d.app();
    app.wait_for("signin-form").await;
    app.wait_gone("inbox").await;
    assert_eq!(app.value("signin-email").await, buyer.email);
    app.type_into("signin-password", buyer.password).await;
    app.click("signin-submit").await;
    app.wait_for("inquiry-row").await;
    assert!(!app.present("signin-form").await);

    app.click("nav-settings").await;
    app.wait_for("settings").await;
    app.click("sign-out").await;
    app.wait_for("signin-form").await;
    app.wait_gone("inbox").await;
    until("the keyring entry to go", PATIENCE, async || {
        let items = d.keyring_items(&service);
        ensure!(items.is_empty(), "still in the keyring: {items:?}");
        Ok(())
    })
    .await;

    d.relaunch(Launch::default()).await;
    let app = d.app();
    app.wait_for("signin-form").await;
    assert_eq!(app.value("signin-email").await, buyer.email);
    assert_eq!(app.value("signin-password").await, "");
    assert!(!app.present("inbox").await, "no inbox before signing in");
    assert!(d.keyring_items(&service).is_empty());

    // A wrong password: the form says so, and stays usable.
    app.type_into("signin-password", "not-the-password").await;
    app.click("signin-submit").await;
    until("the sign-in error on screen", PATIENCE, async || {
        let shown = match app.visible("signin-error").await {
            Some(e) => app.inner_text(&e).await,
            None => String::new(),
        };
        ensure!(!shown.trim().is_empty(), "no error shown");
        Ok(())
    })
    .await;
    app.audit("sign-in-error").await;
    d.finish().await;
}

#[tokio::test]
async fn settings_and_inbox_in_the_light_and_the_dark_theme() {
    let mut d = signed_in(Launch::default()).await;
    let app = d.app();
    assert!(!app.prefers_dark().await, "GTK_THEME=Adwaita is light");
    app.click("nav-settings").await;
    app.wait_for("settings").await;
    for id in [
        "notifications-enabled",
        "quiet-hours-enabled",
        "quiet-start",
        "quiet-end",
        "sign-out",
    ] {
        app.wait_for(id).await;
    }
    let light = app.background_luminance("settings").await;
    app.screenshot("settings-light").await;
    app.audit("settings").await;

    // GTK_THEME=Adwaita:dark: WebKitGTK then reports prefers-color-scheme: dark.
    d.relaunch(Launch {
        sign_in: true,
        dark: true,
        ..Launch::default()
    })
    .await;
    let app = d.app();
    app.wait_for_within("inbox", FIRST_SYNC).await;
    assert!(
        app.prefers_dark().await,
        "with GTK_THEME=Adwaita:dark the page sees prefers-color-scheme: dark"
    );
    app.wait_for("inquiry-row").await;
    app.screenshot("inbox-dark").await;
    app.audit("inbox-dark").await;
    app.click("inquiry-row").await;
    app.wait_for("composer-input").await;
    app.audit("thread-dark").await;
    app.click("nav-settings").await;
    app.wait_for("settings").await;
    let dark = app.background_luminance("settings").await;
    app.screenshot("settings-dark").await;
    app.audit("settings-dark").await;
    eprintln!("settings background luminance: light {light:.3}, dark {dark:.3}");
    assert!(
        dark < 0.2 && light > 0.5,
        "the settings page is dark in the dark theme and light otherwise \
         (background luminance: light {light:.3}, dark {dark:.3})"
    );
    d.finish().await;
}

/// Checks the harness's own pieces that need no desktop.
#[test]
fn unread_rows_read_counts_and_flags() {
    let row = |unread: &str| harness::Row {
        id: "x".into(),
        unread: unread.into(),
    };
    assert_eq!(row("3").unread_count(), Some(3));
    assert!(row("true").is_unread());
    assert!(!row("0").is_unread());
    assert!(!row("false").is_unread());
}

/// A large account's first sync: the progress shows with counts while the inbox already
/// lists what has arrived, and ends with every inquiry in the list's count.
#[tokio::test]
async fn the_first_sync_of_a_large_account_shows_its_progress() {
    let d = Desktop::start(Launch::default()).await;
    let running = d.backend.running.as_ref().expect("the backend runs");
    let seeded = trade_demo::seed::run(
        &running.state.db,
        trade_demo::seed::SeedOptions {
            buyers: 1,
            suppliers: 12,
            inquiries: 4_000,
            messages_per_inquiry: 6,
            orders: 150,
            ..Default::default()
        },
    )
    .await
    .expect("a large account is seeded");
    let buyer = &seeded.buyers[0];
    let app = d.app();
    app.wait_for("signin-form").await;
    let email = app.wait_for("signin-email").await;
    email.clear().await.expect("the email field clears");
    app.type_into("signin-email", &buyer.account.email).await;
    app.type_into("signin-password", &seeded.password).await;
    app.click("signin-submit").await;

    let progress = app.wait_for_within("sync-progress", FIRST_SYNC).await;
    let done: u64 = progress
        .attr("data-done")
        .await
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let total: u64 = progress
        .attr("data-total")
        .await
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
        .expect("an initial sync shows its total");
    assert_eq!(total, buyer.feed_records(), "the server's estimate");
    assert!(done < total, "caught while running: {done}/{total}");
    app.screenshot("first-sync").await;
    until("the first sync to end", FIRST_SYNC, async || {
        let state = app
            .wait_for("status-connection")
            .await
            .attr("data-state")
            .await
            .ok()
            .flatten();
        ensure!(state.as_deref() == Some("online"), "state {state:?}");
        Ok(())
    })
    .await;
    app.wait_for("inquiry-row").await;

    // Search covers the synced messages once the index behind the sync caught up: until
    // then it says how far indexing got; then a message hit opens its thread.
    // The results are searched again while the sync's last changes land: a hit read a
    // moment ago may have been replaced, so it is read and clicked in one step.
    until("search to find synced messages", FIRST_SYNC, async || {
        app.retype("search-input", "lead time").await;
        app.wait_for("search-hit").await;
        // Read once: the notice may go between a check and a second look.
        if let Some(indexing) = app.all("search-indexing").await.first() {
            bail!(
                "still indexing: {}",
                indexing.text().await.unwrap_or_default()
            );
        }
        let snippet = app
            .js(
                "const h = document.querySelector('[data-testid=search-hit]');\
                 if (!h) return null; const text = h.innerText; h.click(); return text;",
                Vec::new(),
            )
            .await;
        let Some(snippet) = snippet.as_str() else {
            bail!("the hits were replaced")
        };
        assert!(snippet.to_lowercase().contains("lead"), "{snippet}");
        Ok(())
    })
    .await;
    app.wait_for("thread").await;
    d.finish().await;
}
