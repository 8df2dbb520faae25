//! The client engine against the real trade server over HTTPS: initial sync equals the
//! server, live pokes bring changes, offline work is delivered exactly once after the
//! server comes back, refused actions roll back with their reason, two engines of one
//! buyer converge.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use trade_client::engine::{Connection, Engine};
use trade_e2e::{
    Party, Server, buyer_world, engine, engine_via, eventually, first_order, wait_for, world,
};
use trade_model::order::OrderBox;

#[tokio::test]
async fn initial_sync_matches_the_server_and_live_pokes_bring_changes() {
    let (s, _, supplier, inquiry, e, stop, _dir) = buyer_world().await;
    let status = e.status();
    wait_for(&status, Connection::Online).await;
    let local = e.store().inquiries(false, None, 50).unwrap();
    assert_eq!(local.items.len(), 3);
    let unread = e.store().inquiries(true, None, 50).unwrap();
    assert_eq!(
        unread.items.len(),
        3,
        "each has the supplier's unread reply"
    );
    assert_eq!(e.store().unread().unwrap().total, 3);
    let counts = e.store().order_counts().unwrap();
    assert_eq!(
        counts
            .iter()
            .find(|(b, _)| *b == OrderBox::WaitingForPartner)
            .unwrap()
            .1,
        1
    );
    // A message from the supplier arrives through a live poke.
    s.call(
        &supplier,
        Method::POST,
        &format!("/v1/inquiries/{inquiry}/messages"),
        Some(json!({ "body": "Stock is limited." })),
        None,
    )
    .await;
    let id = inquiry.parse().unwrap();
    eventually("the poked message", || {
        e.store()
            .thread(id, None, 50)
            .unwrap()
            .items
            .iter()
            .any(|m| m.message.body == "Stock is limited.")
    })
    .await;
    let hits = e.store().search("limited", 10).unwrap().hits;
    let kinds: Vec<&str> = hits.iter().map(|h| h.kind.as_str()).collect();
    assert!(
        kinds.contains(&"message") && kinds.contains(&"inquiry"),
        "{hits:?}"
    );
    assert!(
        hits.iter().any(|h| h.snippet.contains("[limited]")),
        "{hits:?}"
    );
    // Each hit names the thread to open.
    assert!(hits.iter().all(|h| h.inquiry == Some(id)), "{hits:?}");
    // Whatever the user types is taken as words, never as search syntax.
    assert!(e.store().search("\"limited OR * NEAR(", 10).is_ok());
    stop.send(true).unwrap();
}

#[tokio::test]
async fn work_done_offline_is_delivered_once_after_the_server_returns() {
    let (mut s, _, supplier, inquiry, e, stop, _dir) = buyer_world().await;
    let status = e.status();
    wait_for(&status, Connection::Online).await;
    s.stop().await;
    wait_for(&status, Connection::Offline).await;

    // Offline: every query still answers; a message and an order action queue up.
    assert_eq!(e.store().inquiries(false, None, 50).unwrap().items.len(), 3);
    let inquiry_id = inquiry.parse().unwrap();
    let (_, message) = e.send_message(inquiry_id, "Sent from the hotel.").unwrap();
    e.poke();
    let thread = e.store().thread(inquiry_id, None, 50).unwrap();
    assert!(thread.items.iter().any(|m| m.message.id == message
        && m.delivery == trade_client::store::queries::Delivery::Pending));
    let order = first_order(&e).id;
    e.order_action(
        order,
        trade_model::order::OrderAction::Cancel {
            reason: "Found another supplier.".into(),
        },
    )
    .unwrap();
    e.poke();
    assert_eq!(
        e.store().order(order).unwrap().order_box,
        OrderBox::Cancelled,
        "shown at once"
    );
    assert_eq!(status.borrow().queued, 2);

    s.restart().await;
    eventually("delivered", || {
        status.borrow().queued == 0 && status.borrow().connection == Connection::Online
    })
    .await;
    let (_, thread) = s
        .call(
            &supplier,
            Method::GET,
            &format!("/v1/inquiries/{inquiry}/messages"),
            None,
            None,
        )
        .await;
    let copies = thread["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["body"] == "Sent from the hotel.")
        .count();
    assert_eq!(copies, 1, "exactly once");
    let (_, o) = s
        .call(
            &supplier,
            Method::GET,
            &format!("/v1/orders/{order}"),
            None,
            None,
        )
        .await;
    assert_eq!(o["order"]["status"], "cancelled");
    eventually("the message synced", || {
        e.store()
            .thread(inquiry_id, None, 50)
            .unwrap()
            .items
            .iter()
            .any(|m| {
                m.message.id == message
                    && m.delivery == trade_client::store::queries::Delivery::Synced
            })
    })
    .await;
    stop.send(true).unwrap();
}

#[tokio::test]
async fn a_refused_action_rolls_back_and_keeps_its_reason() {
    let s = Server::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let (_, made) = s
        .call(&supplier, Method::POST, "/v1/orders", Some(json!({ "counterparty": buyer.id, "origin": "template", "terms": s.terms("Desk", 2, 9000) })), None)
        .await;
    let order_id = made["order"]["id"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let (e, stop, task) = engine_via(s.profile(), &buyer, dir.path()).await;
    let status = e.status();
    wait_for(&status, Connection::Online).await;
    let order = order_id.parse().unwrap();
    // The engine is paused (as on a plane: its loop has ended); the buyer confirms
    // version 1...
    stop.send(true).unwrap();
    task.await.unwrap();
    e.order_action(
        order,
        trade_model::order::OrderAction::Confirm { version: 1 },
    )
    .unwrap();
    assert_eq!(
        e.store().order(order).unwrap().order_box,
        OrderBox::Ordered,
        "shown at once"
    );
    // ...while the supplier modifies the order.
    let (code, _) = s
        .call(
            &supplier,
            Method::PUT,
            &format!("/v1/orders/{order_id}/terms"),
            Some(json!({ "terms": s.terms("Desk", 3, 9000) })),
            Some(1),
        )
        .await;
    assert_eq!(code, 200);
    // Back online: the confirmation is refused, rolled back, and kept with its reason.
    let (_stop_again, stopped) = tokio::sync::watch::channel(false);
    let runner = e.clone();
    tokio::spawn(async move { runner.run(stopped).await });
    eventually("refused", || status.borrow().failed == 1).await;
    let failed = e.store().outbox().unwrap();
    assert_eq!(
        failed[0].error_code.as_deref(),
        Some("order.version_conflict")
    );
    eventually("the supplier's version shown", || {
        let o = e.store().order(order).unwrap();
        o.order.version == 2 && o.order_box == OrderBox::WaitingForMe
    })
    .await;
    assert_eq!(
        e.store().order(order).unwrap().order.terms.lines[0].quantity,
        3
    );
    // Discarding it leaves nothing behind.
    e.discard(failed[0].mutation.id).unwrap();
    assert!(e.store().outbox().unwrap().is_empty());
}

#[tokio::test]
async fn two_engines_of_one_buyer_converge() {
    let s = Server::start().await;
    let (buyer, _supplier, inquiry) = world(&s).await;
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, stop_a) = engine(&s, &buyer, d1.path()).await;
    let (b, stop_b) = engine(&s, &buyer, d2.path()).await;
    let (sa, sb) = (a.status(), b.status());
    eventually("both online", || {
        sa.borrow().connection == Connection::Online && sb.borrow().connection == Connection::Online
    })
    .await;
    let id = inquiry.parse().unwrap();
    a.send_message(id, "From the laptop.").unwrap();
    a.poke();
    b.send_message(id, "From the office PC.").unwrap();
    b.poke();
    let bodies = |e: &Engine| -> Vec<String> {
        e.store()
            .thread(id, None, 100)
            .unwrap()
            .items
            .into_iter()
            .map(|m| format!("{}:{:?}", m.message.body, m.delivery))
            .collect()
    };
    eventually("convergence", || {
        let (x, y) = (bodies(&a), bodies(&b));
        x == y && x.iter().all(|m| m.ends_with(":Synced")) && x.len() == 4
    })
    .await;
    stop_a.send(true).unwrap();
    stop_b.send(true).unwrap();
}

#[tokio::test]
async fn messages_from_suppliers_become_notifications_once_and_muted_threads_stay_quiet() {
    let (s, _, supplier, inquiry, e, stop, _dir) = buyer_world().await;
    let mut notes = e.notifications();
    let status = e.status();
    wait_for(&status, Connection::Online).await;
    // Nothing for the history brought by the initial sync.
    assert!(notes.try_recv().is_err());

    // The buyer's own message: nothing.
    let id = inquiry.parse().unwrap();
    e.send_message(id, "Can you do 5% less?").unwrap();
    e.poke();
    eventually("sent", || status.borrow().queued == 0).await;
    // Two supplier messages in a row: one notification naming the supplier (coalesced or
    // one per sync, never one for the buyer's own).
    s.call(
        &supplier,
        Method::POST,
        &format!("/v1/inquiries/{inquiry}/messages"),
        Some(json!({ "body": "<b>OK</b>, 4% & free shipping." })),
        None,
    )
    .await;
    let note = tokio::time::timeout(Duration::from_secs(20), notes.recv())
        .await
        .expect("a notification in time")
        .unwrap();
    assert_eq!(note.title, "Li Supplier");
    assert_eq!(
        note.body, "<b>OK</b>, 4% & free shipping.",
        "plain text; the shell escapes"
    );
    assert_eq!(
        note.body_escaped(),
        "&lt;b&gt;OK&lt;/b&gt;, 4% &amp; free shipping."
    );
    assert_eq!(note.target, trade_client::notify::Target::Inquiry(id));

    // Muted: a new message in that thread shows nothing, but still arrives.
    let mut settings = e.store().notification_settings().unwrap();
    settings.muted_inquiries.insert(id);
    e.set_notification_settings(&settings).unwrap();
    s.call(
        &supplier,
        Method::POST,
        &format!("/v1/inquiries/{inquiry}/messages"),
        Some(json!({ "body": "Muted news." })),
        None,
    )
    .await;
    eventually("the muted message synced", || {
        e.store()
            .thread(id, None, 100)
            .unwrap()
            .items
            .iter()
            .any(|m| m.message.body == "Muted news.")
    })
    .await;
    assert!(notes.try_recv().is_err(), "muted threads stay quiet");
    stop.send(true).unwrap();
}

#[tokio::test]
async fn an_order_drafted_and_submitted_offline_is_delivered_once() {
    let (mut s, _, supplier, _, e, stop, _dir) = buyer_world().await;
    let status = e.status();
    wait_for(&status, Connection::Online).await;
    s.stop().await;
    wait_for(&status, Connection::Offline).await;

    // A draft with problems: every problem named, nothing queued.
    let terms: trade_model::order::OrderTerms =
        serde_json::from_value(s.terms("Gate valve DN80", 0, 4200)).unwrap();
    let mut draft = trade_client::drafts::Draft {
        id: trade_model::OrderId::new(),
        counterparty: supplier.id.parse().unwrap(),
        inquiry: None,
        origin: trade_model::order::OrderOrigin::Template,
        terms,
        quotation: None,
        updated_at: jiff::Timestamp::now(),
    };
    e.save_draft(&draft).unwrap();
    match e.submit_draft(draft.id) {
        Err(trade_client::error::ClientError::InvalidDraft(fields)) => {
            assert_eq!(fields[0].field, "lines[0].quantity");
        }
        other => panic!("expected field errors, got {other:?}"),
    }
    assert_eq!(e.store().drafts().unwrap().len(), 1);
    assert_eq!(status.borrow().queued, 0);
    // Fixed and submitted: shown at once as waiting for the supplier.
    draft.terms.lines[0].quantity = 40;
    e.save_draft(&draft).unwrap();
    e.submit_draft(draft.id).unwrap();
    e.poke();
    assert!(e.store().drafts().unwrap().is_empty());
    assert_eq!(
        e.store().order(draft.id).unwrap().order_box,
        OrderBox::WaitingForPartner
    );

    s.restart().await;
    eventually("delivered", || {
        status.borrow().queued == 0 && status.borrow().connection == Connection::Online
    })
    .await;
    let supplier = Party {
        token: s.login(&supplier).await,
        ..supplier
    };
    let (_, orders) = s
        .call(
            &supplier,
            Method::GET,
            "/v1/orders?box=waiting_for_me",
            None,
            None,
        )
        .await;
    let same: Vec<_> = orders["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["order"]["id"] == draft.id.to_string().as_str())
        .collect();
    assert_eq!(same.len(), 1, "exactly one order, under the draft's id");
    assert_eq!(same[0]["order"]["terms"]["lines"][0]["quantity"], 40);
    stop.send(true).unwrap();
}

#[tokio::test]
async fn reading_a_thread_clears_its_badge_at_once_and_on_the_server() {
    let (s, buyer, _, inquiry, e, stop, _dir) = buyer_world().await;
    wait_for(&e.status(), Connection::Online).await;
    assert_eq!(e.store().unread().unwrap().total, 3);
    let id = inquiry.parse().unwrap();
    let revision = *e.revision().borrow();
    let queued = e.mark_read(id).unwrap();
    assert!(queued.is_some());
    e.poke();
    assert!(
        *e.revision().borrow() > revision,
        "views are told to re-read"
    );
    // At once, before the server answers.
    assert_eq!(e.store().unread().unwrap().total, 2);
    assert_eq!(e.store().inquiry(id).unwrap().unread_count, 0);
    assert!(
        e.store()
            .thread(id, None, 50)
            .unwrap()
            .items
            .iter()
            .all(|m| m.message.read || m.message.sender == e.account().id)
    );
    assert_eq!(e.store().inquiries(true, None, 50).unwrap().items.len(), 2);
    eventually("the server has it read", || {
        e.store().outbox().unwrap().is_empty()
    })
    .await;
    let (_, unread) = s.call(&buyer, Method::GET, "/v1/unread", None, None).await;
    assert_eq!(unread["total"], 2);
    // Reading a read thread queues nothing.
    assert!(e.mark_read(id).unwrap().is_none());
    stop.send(true).unwrap();
}

#[tokio::test]
async fn pay_now_by_card_declines_then_approves_and_keeps_no_card_data() {
    let (s, _, supplier, _, e, stop, dir) = buyer_world().await;
    wait_for(&e.status(), Connection::Online).await;
    let order = first_order(&e);
    let (code, body) = s
        .call(
            &supplier,
            Method::POST,
            &format!("/v1/orders/{}/confirm", order.id),
            None,
            Some(order.version),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    eventually("the order to pay", || {
        e.store()
            .order(order.id)
            .is_ok_and(|o| o.order_box == OrderBox::Ordered)
    })
    .await;

    let quote = e.payment_quote(order.id).await.unwrap();
    assert_eq!(quote.installment.amount_minor, 100 * 250);
    assert_eq!(quote.card_fee_minor, 738, "2.95% of USD 250.00, rounded");
    assert_eq!(
        quote.card_total_minor,
        quote.installment.amount_minor + quote.card_fee_minor
    );
    let card = |number: &str| trade_model::api::PayRequest {
        method: trade_model::order::PaymentMethod::Card,
        amount_minor: quote.installment.amount_minor,
        card: Some(trade_model::api::CardDetails {
            number: number.to_owned(),
            exp_month: 12,
            exp_year: 2030,
            cvc: "123".to_owned(),
            holder: "Ann Buyer".to_owned(),
        }),
    };
    let declined = e
        .pay(order.id, card("4000 0000 0000 0002"))
        .await
        .unwrap_err();
    assert_eq!(declined.code(), "payment.declined");
    let paid = e.pay(order.id, card("4242 4242 4242 4242")).await.unwrap();
    assert_eq!(
        paid.payment.status,
        trade_model::entities::PaymentStatus::Succeeded
    );
    assert_eq!(paid.payment.card_last4.as_deref(), Some("4242"));
    eventually("the paid order and both attempts synced", || {
        e.store()
            .order(order.id)
            .is_ok_and(|o| o.order_box == OrderBox::AwaitingShipment)
            && e.store().payments(order.id).unwrap().len() == 2
    })
    .await;
    // Nothing card-related beyond the last four digits reached this machine's disk.
    for entry in std::fs::read_dir(dir.path().join("accounts")).unwrap() {
        for file in std::fs::read_dir(entry.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                for needle in ["4242424242424242", "4242 4242 4242 4242", "\"cvc\""] {
                    assert!(
                        !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                        "{needle} in {}",
                        path.display()
                    );
                }
            }
        }
    }
    stop.send(true).unwrap();
}

/// The account's request budget used up: the engine's push is refused (429
/// `request.rate_limited`, Retry-After 1 s), the engine goes offline saying why, asks
/// nothing more until the wait is over (no busy retries meeting 429 again), then
/// reconnects and delivers the message. The server's clock is a test clock, moved on
/// once the refusal is seen, so the budget frees exactly when the test says.
#[tokio::test]
async fn an_engine_over_its_request_budget_waits_as_asked_then_delivers() {
    use std::sync::Arc;
    use trade_server::clock::TestClock;
    use trade_server::throttle::RequestBudget;
    let clock = TestClock::new(jiff::Timestamp::now());
    let mut s = Server::start_with_clock(Arc::new(clock.clone())).await;
    s.set_request_budget(RequestBudget {
        requests: 20,
        window_secs: 1,
    });
    s.restart().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let (status, inquiry) = s
        .call(
            &buyer,
            Method::POST,
            "/v1/inquiries",
            Some(json!({ "supplier": supplier.id, "product": "Valves", "message": "Price?" })),
            None,
        )
        .await;
    assert_eq!(status, 201, "{inquiry}");
    let inquiry_id = inquiry["id"].as_str().unwrap().parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (e, stop) = engine(&s, &buyer, dir.path()).await;
    let status = e.status();
    wait_for(&status, Connection::Online).await;
    // The rest of this second's budget, spent by another session of the same account.
    let mut spent = 0;
    loop {
        let (code, body) = s.call(&buyer, Method::GET, "/v1/me", None, None).await;
        if code == 429 {
            assert_eq!(body["code"], "request.rate_limited", "{body}");
            break;
        }
        assert_eq!(code, 200, "{body}");
        spent += 1;
        assert!(spent <= 20, "never refused");
    }
    let asked = std::time::Instant::now();
    e.send_message(inquiry_id, "Sent while over budget.")
        .unwrap();
    eventually("the engine offline for the budget", || {
        status.borrow().last_error.as_deref() == Some("request.rate_limited")
    })
    .await;
    clock.advance(jiff::SignedDuration::from_secs(1));
    eventually("the message delivered", || {
        let st = status.borrow();
        st.connection == Connection::Online && st.queued == 0 && st.failed == 0
    })
    .await;
    assert!(
        asked.elapsed() >= Duration::from_secs(1),
        "retried after {:?}, before the Retry-After of 1 s",
        asked.elapsed()
    );
    let metrics = s
        .http()
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let refused: f64 = metrics
        .lines()
        .filter(|l| {
            l.starts_with("trade_http_requests_total{")
                && l.contains("status=\"429\"")
                && !l.contains("route=\"/v1/me\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(
        refused, 1.0,
        "the engine met one refusal, not more:\n{metrics}"
    );
    let (_, messages) = s
        .call(
            &supplier,
            Method::GET,
            &format!("/v1/inquiries/{inquiry_id}/messages"),
            None,
            None,
        )
        .await;
    assert!(
        messages.to_string().contains("Sent while over budget."),
        "{messages}"
    );
    stop.send(true).unwrap();
}
