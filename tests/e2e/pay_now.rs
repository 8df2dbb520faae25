//! Pay Now when answers go missing, against the real server: the call's idempotency key
//! is kept in the cache before the call is sent, every retry (also after the app
//! restarts) reuses it, and a call without a final answer is "still processing", not a
//! failure, until the server's outcome arrives.
//!
//! - a card payment whose gateway never answers is pending (not failed) as soon as the
//!   server says it is still processing, stays pending
//!   across a restart of the app without being sent again, and resolves when a server
//!   restarted on the same data settles it from the gateway's books;
//! - a transfer whose answers were all lost is sent again by the restarted app with the
//!   same key and body, and the server replays its first answer: one payment, even though
//!   by then a new call would have been a second transfer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use trade_client::engine::{Connection, Engine, Options};
use trade_client::error::ClientError;
use trade_e2e::{Party, Proxy, Server, engine_via, engine_with, eventually, fast, wait_for};
use trade_model::api::{CardDetails, PayRequest};
use trade_model::entities::PaymentStatus;
use trade_model::order::{OrderBox, PaymentMethod};
use trade_model::{OrderId, PaymentId};
use trade_server::payments::gateway::{
    Charge, ChargeOutcome, GatewayError, PaymentGateway, SandboxGateway,
};

/// A gateway whose answers never arrive: the charge reaches the sandbox's books (so the
/// card is charged) and then the call hangs, as when the network between the server and
/// the provider dies mid-call.
struct Unanswering {
    books: SandboxGateway,
}

#[async_trait]
impl PaymentGateway for Unanswering {
    async fn charge(&self, charge: Charge<'_>) -> Result<ChargeOutcome, GatewayError> {
        self.books.charge(charge).await?;
        std::future::pending().await
    }

    async fn recover(&self, _payment: PaymentId) -> Result<Option<ChargeOutcome>, GatewayError> {
        std::future::pending().await
    }
}

/// A buyer and a supplier with an order both confirmed (100 × USD 2.50), paid on
/// `payment_terms`.
async fn payable_order(s: &Server, payment_terms: Value) -> (Party, OrderId) {
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let mut terms = s.terms("Brass valve", 100, 250);
    terms["payment_terms"] = payment_terms;
    let (status, order) = s
        .call(
            &buyer,
            Method::POST,
            "/v1/orders",
            Some(json!({ "counterparty": supplier.id, "origin": "template", "terms": terms })),
            None,
        )
        .await;
    assert_eq!(status, 201, "{order}");
    let id: OrderId = order["order"]["id"].as_str().unwrap().parse().unwrap();
    let (status, body) = s
        .call(
            &supplier,
            Method::POST,
            &format!("/v1/orders/{id}/confirm"),
            None,
            Some(1),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (buyer, id)
}

/// The order's payments as the server has them.
async fn server_payments(s: &Server, buyer: &Party, order: OrderId) -> Vec<Value> {
    let (status, payments) = s
        .call(
            buyer,
            Method::GET,
            &format!("/v1/orders/{order}/payments"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{payments}");
    payments.as_array().unwrap().clone()
}

async fn wait_until_payable(e: &Engine, order: OrderId) {
    eventually("the order to pay", || {
        e.store()
            .order(order)
            .is_ok_and(|o| o.order_box == OrderBox::Ordered)
    })
    .await;
}

/// Nothing of the card beyond its last four digits is in any file of the cache.
fn assert_no_card_data(dir: &std::path::Path) {
    for entry in std::fs::read_dir(dir.join("accounts")).unwrap() {
        for file in std::fs::read_dir(entry.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                for needle in ["4242424242424242", "\"cvc\"", "Ann Card"] {
                    assert!(
                        !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                        "{needle} in {}",
                        path.display()
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn a_card_payment_without_a_gateway_answer_is_pending_across_restarts_until_settled() {
    let mut s = Server::start().await;
    let books = s.sandbox_books().await;
    s.set_gateway(Some(Arc::new(Unanswering { books })));
    s.set_pay_now_hold(Duration::from_millis(300));
    s.restart().await;
    let (buyer, order) = payable_order(&s, json!({ "kind": "full" })).await;
    let dir = tempfile::tempdir().unwrap();
    // Pay Now would keep asking for a minute; the server's "still processing" ends it.
    let patient = Options {
        pay_patience: Duration::from_secs(60),
        ..fast()
    };
    let (e, stop, task) = engine_with(s.profile(), &buyer, dir.path(), patient).await;
    wait_until_payable(&e, order).await;

    let request = PayRequest {
        method: PaymentMethod::Card,
        amount_minor: 25_000,
        card: Some(CardDetails {
            number: "4242424242424242".into(),
            exp_month: 12,
            exp_year: 2030,
            cvc: "123".into(),
            holder: "Ann Card".into(),
        }),
    };
    let started = std::time::Instant::now();
    let err = e.pay(order, request).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "Pay Now hands a processing payment to sync when the server says so, not after \
         its patience: {:?}",
        started.elapsed()
    );
    // Not a failure: the server named the payment and said it is still processing.
    assert_eq!(err.code(), "payment.processing", "{err:?}");
    let ClientError::PaymentPending {
        payment_id: Some(payment),
    } = err
    else {
        panic!("not the pending answer: {err:?}");
    };
    let on_server = server_payments(&s, &buyer, order).await;
    assert_eq!(on_server.len(), 1, "{on_server:?}");
    assert_eq!(on_server[0]["id"], payment.to_string());
    assert_eq!(on_server[0]["status"], "processing");
    let pending = e.store().pending_payments(order).unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(
        (
            pending[0].method,
            pending[0].amount_minor,
            pending[0].payment_id
        ),
        (PaymentMethod::Card, 25_000, Some(payment))
    );
    assert_eq!(
        e.store().order_detail(order).unwrap().pending_payments,
        pending
    );
    assert_no_card_data(dir.path());

    // The app restarts: the call is still pending, and a card call is not sent again
    // (nothing here could: its details were never kept).
    stop.send(true).unwrap();
    task.await.unwrap();
    drop(e);
    let (e, stop, _) = engine_via(s.profile(), &buyer, dir.path()).await;
    wait_for(&e.status(), Connection::Online).await;
    e.sync_now().await.unwrap();
    assert!(
        e.store()
            .payments(order)
            .unwrap()
            .iter()
            .any(|p| p.id == payment && p.status == PaymentStatus::Processing),
        "the processing payment synced"
    );
    assert_eq!(e.store().pending_payments(order).unwrap(), pending);
    assert_eq!(server_payments(&s, &buyer, order).await.len(), 1);

    // The server restarts on the same data with its gateway's answer overdue: the
    // reconciler learns from the gateway's books that the card was charged.
    s.set_gateway(None);
    s.set_settle_card_payments_after(jiff::SignedDuration::ZERO);
    s.restart().await;
    eventually("the payment to succeed and the call to resolve", || {
        e.store().pending_payments(order).unwrap().is_empty()
            && e.store()
                .payments(order)
                .unwrap()
                .iter()
                .any(|p| p.id == payment && p.status == PaymentStatus::Succeeded)
            && e.store()
                .order(order)
                .is_ok_and(|o| o.order_box == OrderBox::AwaitingShipment)
    })
    .await;
    assert_eq!(server_payments(&s, &buyer, order).await.len(), 1);
    assert_no_card_data(dir.path());
    stop.send(true).unwrap();
}

#[tokio::test]
async fn a_transfer_whose_answers_were_lost_is_sent_again_with_its_key_after_a_restart() {
    let s = Server::start().await;
    let proxy = Proxy::start(s.addr).await;
    // Half now, half before shipment: the same amount twice, so the balance could be
    // asked for with the deposit's very body.
    let (buyer, order) = payable_order(
        &s,
        json!({ "kind": "deposit_balance", "deposit_minor": 12_500, "balance_minor": 12_500 }),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (e, stop, task) = engine_via(proxy.profile(&s), &buyer, dir.path()).await;
    wait_until_payable(&e, order).await;

    // Every answer is lost on the way back; the requests get through.
    proxy.lose_answers(true);
    let transfer = PayRequest {
        method: PaymentMethod::TelegraphicTransfer,
        amount_minor: 12_500,
        card: None,
    };
    let err = e.pay(order, transfer).await.unwrap_err();
    assert!(
        matches!(err, ClientError::PaymentPending { payment_id: None }),
        "{err:?}"
    );
    assert_eq!(err.code(), "payment.processing");
    let pending = e.store().pending_payments(order).unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(
        (pending[0].method, pending[0].amount_minor),
        (PaymentMethod::TelegraphicTransfer, 12_500)
    );
    // The server made the transfer once, however often it was asked.
    let on_server = server_payments(&s, &buyer, order).await;
    assert_eq!(on_server.len(), 1, "{on_server:?}");
    assert_eq!(on_server[0]["method"], "telegraphic_transfer");
    let reference = on_server[0]["reference"].as_str().unwrap().to_owned();

    // The app quits before any answer got through.
    stop.send(true).unwrap();
    task.await.unwrap();
    drop(e);
    proxy.lose_answers(false);
    // The call is kept on disk with its key.
    let kept = trade_client::store::LocalStore::open(&find_cache(dir.path()))
        .unwrap()
        .all_pending_payments()
        .unwrap();
    assert_eq!(kept, pending);

    // Meanwhile the deposit arrives, and the balance (the same amount) is due: a call
    // sent now with a new key would be a second transfer.
    let operator = s.operator().await;
    let (status, arrived) = s
        .call(
            &operator,
            Method::POST,
            "/v1/operator/payments/funds-arrived",
            Some(json!({ "reference": reference, "amount_minor": 12_500 })),
            None,
        )
        .await;
    assert_eq!(status, 200, "{arrived}");
    assert_eq!(arrived["order"]["next_installment"]["kind"], "balance");

    // The restarted app sends the call again with its key and body: the server replays
    // the first answer, and the call is done.
    let (e, stop, _) = engine_via(proxy.profile(&s), &buyer, dir.path()).await;
    eventually("the call to be answered and the deposit synced", || {
        e.store().pending_payments(order).unwrap().is_empty()
            && e.store()
                .payments(order)
                .unwrap()
                .iter()
                .any(|p| p.status == PaymentStatus::Succeeded)
    })
    .await;
    let on_server = server_payments(&s, &buyer, order).await;
    assert_eq!(on_server.len(), 1, "one transfer: {on_server:?}");
    let (_, now) = s
        .call(
            &buyer,
            Method::GET,
            &format!("/v1/orders/{order}"),
            None,
            None,
        )
        .await;
    assert_eq!(now["order"]["status"], "ordered", "{now}");
    assert_eq!(now["order"]["installments_paid"], 1, "{now}");
    assert_eq!(e.store().payments(order).unwrap().len(), 1);
    stop.send(true).unwrap();
}

/// The one cache file under `dir`.
fn find_cache(dir: &std::path::Path) -> std::path::PathBuf {
    let mut found = Vec::new();
    for server in std::fs::read_dir(dir.join("accounts")).unwrap() {
        for file in std::fs::read_dir(server.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|x| x == "sqlite3") {
                found.push(path);
            }
        }
    }
    assert_eq!(found.len(), 1, "{found:?}");
    found.remove(0)
}

#[tokio::test]
async fn a_pay_now_that_cannot_reach_the_server_is_an_error_and_leaves_nothing_pending() {
    let mut s = Server::start().await;
    let (buyer, order) = payable_order(&s, json!({ "kind": "full" })).await;
    let dir = tempfile::tempdir().unwrap();
    let (e, stop, _) = engine_via(s.profile(), &buyer, dir.path()).await;
    wait_until_payable(&e, order).await;
    s.stop().await;
    wait_for(&e.status(), Connection::Offline).await;
    let transfer = PayRequest {
        method: PaymentMethod::TelegraphicTransfer,
        amount_minor: 25_000,
        card: None,
    };
    let err = e.pay(order, transfer).await.unwrap_err();
    // Nothing left this machine: an error to show, not a payment to wait for.
    assert_eq!(err.code(), "client.unreachable", "{err:?}");
    assert!(e.store().all_pending_payments().unwrap().is_empty());
    stop.send(true).unwrap();
}
