//! Exactly once under faults: the real `trade-server` binary, killed with SIGKILL at
//! random points and started again on the same data, while clients reach it through a
//! TCP proxy (here, in the test) that resets, truncates, delays and drops connections in
//! both directions. Four buyers post keyed chat messages, keyed orders, card payments
//! (approved and declined), confirmations and sync pushes, each retried with the same key (or mutation
//! id) until it has an answer, and renew their sessions (the supplier's too) through the
//! same faults: a renewal whose answer was lost is asked again with the same token and
//! must never sign anyone out.
//!
//! Then, with the faults gone: every request got its answer; every acknowledged message,
//! order and pushed mutation exists exactly once; no card payment is left processing
//! (the reconciler settles what a kill interrupted); every answered payment has the
//! status its answer said; every order's paid amount equals the sum of its succeeded
//! payments; a pull from the start returns every message of each buyer (the cursor
//! skips nothing); SQLite's `integrity_check` is ok.
//!
//! Bounded for CI: `TRADE_FAULT_KILLS` kills (default 50) during at least
//! `TRADE_FAULT_SECS` seconds of proxy faults (default 120). A longer soak:
//! `TRADE_FAULT_SECS=1800 TRADE_FAULT_KILLS=600`; it writes its figures to
//! `TRADE_FAULT_REPORT` when set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::processes::{
    ServerProcess, answered, assert_pull_returns_every_message, assert_pushed_once, env_number,
    https_client, login, register, scalar, server_log_tails,
};

const WORKERS: usize = 4;
/// Sessions are renewed at least this often (access tokens last 15 minutes; a soak runs
/// longer), and at random in between.
const RENEW_EVERY: Duration = Duration::from_secs(5 * 60);

#[derive(Default)]
struct ProxyStats {
    connections: AtomicU64,
    resets_up: AtomicU64,
    truncated_down: AtomicU64,
    delayed: AtomicU64,
    dropped: AtomicU64,
}

/// What the proxy does to one connection.
#[derive(Clone, Copy)]
enum Fault {
    Pass,
    /// Forward this many bytes towards the server, then reset both sides.
    ResetUp(usize),
    /// Forward this many bytes of the answer, then reset both sides.
    TruncateDown(usize),
    /// Hold every chunk this long, both ways.
    Delay(Duration),
    /// Forward the request, swallow the answer, and close after a while.
    DropDown(Duration),
}

fn roll(rng: &mut impl Rng) -> Fault {
    match rng.random_range(0..100) {
        0..45 => Fault::Pass,
        45..60 => Fault::ResetUp(rng.random_range(0..3000)),
        60..75 => Fault::TruncateDown(rng.random_range(0..6000)),
        75..88 => Fault::Delay(Duration::from_millis(rng.random_range(1..60))),
        _ => Fault::DropDown(Duration::from_millis(rng.random_range(50..1500))),
    }
}

fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// Copies `from` to `to` until EOF or `limit` bytes, holding each chunk `delay`.
/// Returns whether the limit cut it short.
async fn pipe(
    from: &mut (impl AsyncReadExt + Unpin),
    to: &mut (impl AsyncWriteExt + Unpin),
    limit: Option<usize>,
    delay: Duration,
) -> bool {
    let mut buf = vec![0u8; 16 * 1024];
    let mut sent = 0usize;
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let _ = to.shutdown().await;
                return false;
            }
            Ok(n) => n,
        };
        let n = match limit {
            Some(limit) if sent + n >= limit => {
                let _ = to.write_all(&buf[..limit - sent]).await;
                return true;
            }
            _ => n,
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return false;
        }
        sent += n;
    }
}

async fn proxy_connection(client: TcpStream, upstream: SocketAddr, fault: Fault) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        reset(client);
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let (up_limit, down_limit, delay) = match fault {
        Fault::Pass | Fault::DropDown(_) => (None, None, Duration::ZERO),
        Fault::ResetUp(n) => (Some(n), None, Duration::ZERO),
        Fault::TruncateDown(n) => (None, Some(n), Duration::ZERO),
        Fault::Delay(d) => (None, None, d),
    };
    let up = pipe(&mut client_read, &mut server_write, up_limit, delay);
    let down = async {
        if let Fault::DropDown(hold) = fault {
            let mut sink = vec![0u8; 16 * 1024];
            let until = tokio::time::Instant::now() + hold;
            while let Ok(Ok(n)) = tokio::time::timeout_at(until, server_read.read(&mut sink)).await
            {
                if n == 0 {
                    break;
                }
            }
            return true;
        }
        pipe(&mut server_read, &mut client_write, down_limit, delay).await
    };
    // Whichever way is cut short ends the connection with a reset on both sides.
    let cut = tokio::select! {
        cut = up => cut,
        cut = down => cut,
    };
    let client = client_read.reunite(client_write).ok();
    let server = server_read.reunite(server_write).ok();
    if cut || matches!(fault, Fault::DropDown(_)) {
        if let Some(c) = client {
            reset(c);
        }
        if let Some(s) = server {
            reset(s);
        }
    }
}

async fn run_proxy(
    listener: TcpListener,
    upstream: SocketAddr,
    faults_on: Arc<AtomicBool>,
    stats: Arc<ProxyStats>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        stats.connections.fetch_add(1, Ordering::Relaxed);
        let fault = if faults_on.load(Ordering::Relaxed) {
            roll(&mut rand::rng())
        } else {
            Fault::Pass
        };
        let counter = match fault {
            Fault::Pass => None,
            Fault::ResetUp(_) => Some(&stats.resets_up),
            Fault::TruncateDown(_) => Some(&stats.truncated_down),
            Fault::Delay(_) => Some(&stats.delayed),
            Fault::DropDown(_) => Some(&stats.dropped),
        };
        if let Some(c) = counter {
            c.fetch_add(1, Ordering::Relaxed);
        }
        tokio::spawn(proxy_connection(client, upstream, fault));
    }
}

/// A buyer's client through the proxy.
#[derive(Clone)]
struct Buyer {
    http: reqwest::Client,
    base: String,
    token: String,
    refresh: String,
    id: String,
    inquiry: String,
}

/// Renews `who`'s session through the faults. Any answer but a new session (a sign-out)
/// fails the test.
async fn renew(who: &mut Buyer, retries: &AtomicU64) {
    let refresh = who.refresh.clone();
    let (status, session) = answered(
        || {
            who.http
                .post(format!("{}/v1/sessions/refresh", who.base))
                .json(&json!({ "refresh_token": refresh }))
        },
        retries,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "renewing a session: {session}");
    who.token = session["access_token"].as_str().unwrap().to_owned();
    who.refresh = session["refresh_token"].as_str().unwrap().to_owned();
}

#[derive(Default)]
struct Ledger {
    /// The buyer's session at the end.
    token: String,
    renewals: usize,
    rest_messages: Vec<String>,
    orders: Vec<(String, String)>,
    /// (order, payment id, status the answer gave)
    payments: Vec<(String, String, String)>,
    pushed: Vec<(String, String)>,
}

async fn worker(
    w: usize,
    mut buyer: Buyer,
    mut supplier: Buyer,
    stop: Arc<AtomicBool>,
    retries: Arc<AtomicU64>,
) -> Ledger {
    let mut ledger = Ledger::default();
    let mut n = 0u64;
    let mut renewed = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let pick = rand::rng().random_range(0..11);
        if pick == 10 || renewed.elapsed() > RENEW_EVERY {
            renew(&mut buyer, &retries).await;
            renew(&mut supplier, &retries).await;
            ledger.renewals += 2;
            renewed = Instant::now();
            continue;
        }
        match pick {
            0..3 => {
                let token = format!("[w{w}-message-{n}]");
                let (status, body) = answered(
                    || {
                        buyer
                            .http
                            .post(format!(
                                "{}/v1/inquiries/{}/messages",
                                buyer.base, buyer.inquiry
                            ))
                            .bearer_auth(&buyer.token)
                            .header("idempotency-key", format!("msg-{w}-{n}"))
                            .json(&json!({ "body": token }))
                    },
                    &retries,
                )
                .await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
                assert_eq!(body["body"], token.as_str());
                ledger.rest_messages.push(token);
            }
            3..5 => {
                let mutation = uuid::Uuid::now_v7().to_string();
                let message = uuid::Uuid::now_v7().to_string();
                let token = format!("[w{w}-pushed-{n}]");
                let push = json!({ "mutations": [{ "id": mutation, "op": "send_message",
                    "inquiry": buyer.inquiry, "message": message, "body": token }] });
                let (status, body) = answered(
                    || {
                        buyer
                            .http
                            .post(format!("{}/v1/sync/push", buyer.base))
                            .bearer_auth(&buyer.token)
                            .json(&push)
                    },
                    &retries,
                )
                .await;
                assert_eq!(status, StatusCode::OK, "{body}");
                assert_eq!(body["results"][0]["outcome"], "applied", "{body}");
                ledger.pushed.push((message, token));
            }
            _ => {
                let product = format!("[w{w}-order-{n}]");
                let terms = json!({
                    "lines": [{ "product": product, "quantity": 10, "unit": "pieces", "unit_price_minor": 1_000 }],
                    "currency": "USD", "incoterm": "FOB", "shipping_method": "sea",
                    "ship_by": "2099-01-31", "payment_terms": { "kind": "full" },
                    "remarks": "", "documents": []
                });
                let (status, order) = answered(
                    || {
                        buyer
                            .http
                            .post(format!("{}/v1/orders", buyer.base))
                            .bearer_auth(&buyer.token)
                            .header("idempotency-key", format!("order-{w}-{n}"))
                            .json(&json!({ "counterparty": supplier.id, "origin": "template", "terms": terms }))
                    },
                    &retries,
                )
                .await;
                assert_eq!(status, StatusCode::CREATED, "{order}");
                let id = order["order"]["id"].as_str().unwrap().to_owned();
                ledger.orders.push((product, id.clone()));
                if pick < 8 {
                    continue;
                }
                // The supplier confirms (keyed: its retry gets the confirmation), then
                // the buyer pays by card.
                let (status, confirmed) = answered(
                    || {
                        supplier
                            .http
                            .post(format!("{}/v1/orders/{id}/confirm", supplier.base))
                            .bearer_auth(&supplier.token)
                            .header("idempotency-key", format!("confirm-{w}-{n}"))
                            .header("if-match", "\"1\"")
                    },
                    &retries,
                )
                .await;
                assert_eq!(status, StatusCode::OK, "confirm: {confirmed}");
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    let number = if attempt == 1 && rand::rng().random_bool(0.3) {
                        "4000000000000002"
                    } else {
                        "4242424242424242"
                    };
                    let pay = json!({ "method": "card", "amount_minor": 10_000, "card": {
                        "number": number, "exp_month": 12, "exp_year": 2099, "cvc": "123", "holder": "Ann Buyer" } });
                    let (status, paid) = answered(
                        || {
                            buyer
                                .http
                                .post(format!("{}/v1/orders/{id}/payments", buyer.base))
                                .bearer_auth(&buyer.token)
                                .header("idempotency-key", format!("pay-{w}-{n}-{attempt}"))
                                .json(&pay)
                        },
                        &retries,
                    )
                    .await;
                    match status {
                        StatusCode::CREATED => {
                            let p = &paid["payment"];
                            ledger.payments.push((
                                id.clone(),
                                p["id"].as_str().unwrap().to_owned(),
                                p["status"].as_str().unwrap().to_owned(),
                            ));
                            break;
                        }
                        StatusCode::PAYMENT_REQUIRED => {
                            ledger.payments.push((
                                id.clone(),
                                paid["details"]["payment_id"].as_str().unwrap().to_owned(),
                                "declined".to_owned(),
                            ));
                        }
                        StatusCode::BAD_GATEWAY => {
                            // Interrupted before the card was charged: pay again.
                            assert_eq!(paid["code"], "payment.gateway_unavailable", "{paid}");
                        }
                        other => panic!("pay: {other} {paid}"),
                    }
                    assert!(attempt < 20, "order {id} never got paid");
                }
            }
        }
    }
    ledger.token = buyer.token;
    ledger
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_effect_exactly_once_through_kills_and_a_faulty_network() {
    let kills_wanted = env_number("TRADE_FAULT_KILLS", 50) as usize;
    let fault_secs = env_number("TRADE_FAULT_SECS", 120);
    let dir = tempfile::tempdir().unwrap();
    let database_url = crate::support::database_url().await;
    let mut server = ServerProcess::new(dir.path(), database_url.clone());
    // The first start makes the CA; wait for it with a client that cannot verify yet.
    server.spawn();
    let ca = dir.path().join("tls/ca.pem");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ca.exists() {
        assert!(Instant::now() < deadline, "no CA after 30 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    let direct = https_client(dir.path(), Duration::from_secs(10));
    server.start(&direct).await;
    let direct_base = format!("https://localhost:{}", server.port);

    // The proxy, off until the accounts exist.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_base = format!(
        "https://localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let faults_on = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(ProxyStats::default());
    let proxy = tokio::spawn(run_proxy(
        listener,
        SocketAddr::from(([127, 0, 0, 1], server.port)),
        faults_on.clone(),
        stats.clone(),
    ));

    let proxied = https_client(dir.path(), Duration::from_secs(5));
    let (supplier_id, supplier_email, _, _) =
        register(&direct, &direct_base, "supplier", "Li Supplier").await;
    let mut buyers = Vec::new();
    let mut suppliers = Vec::new();
    for w in 0..WORKERS {
        // Each worker has its own session of the supplier, which it renews.
        let (_, token, refresh) = login(&direct, &direct_base, &supplier_email).await;
        suppliers.push(Buyer {
            http: proxied.clone(),
            base: proxy_base.clone(),
            token,
            refresh,
            id: supplier_id.clone(),
            inquiry: String::new(),
        });
        let (id, _, token, refresh) =
            register(&direct, &direct_base, "buyer", &format!("Buyer {w}")).await;
        let inquiry: Value = direct
            .post(format!("{direct_base}/v1/inquiries"))
            .bearer_auth(&token)
            .json(&json!({ "supplier": supplier_id, "product": "Cable", "message": "Hello" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        buyers.push(Buyer {
            http: proxied.clone(),
            base: proxy_base.clone(),
            token,
            refresh,
            id,
            inquiry: inquiry["id"].as_str().unwrap().to_owned(),
        });
    }

    // Traffic, faults and kills.
    faults_on.store(true, Ordering::Relaxed);
    let stop = Arc::new(AtomicBool::new(false));
    let retries = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = buyers
        .iter()
        .enumerate()
        .map(|(w, b)| {
            tokio::spawn(worker(
                w,
                b.clone(),
                suppliers[w].clone(),
                stop.clone(),
                retries.clone(),
            ))
        })
        .collect();
    let started = Instant::now();
    let mut kills = 0usize;
    while kills < kills_wanted || started.elapsed() < Duration::from_secs(fault_secs) {
        // The fault's timing: how long the server lives this time.
        let life = rand::rng().random_range(200..2_000);
        tokio::time::sleep(Duration::from_millis(life)).await;
        if kills < kills_wanted {
            server.kill();
            kills += 1;
            server.start(&direct).await;
        }
    }
    let faulty_for = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut ledgers = Vec::new();
    for w in workers {
        match w.await {
            Ok(ledger) => ledgers.push(ledger),
            Err(failed) => {
                // Keep the server's logs (one per start) for the post-mortem.
                server.kill();
                let kept = dir.keep();
                panic!(
                    "a worker failed: {failed}; the server's logs are kept in {}:\n{}",
                    kept.display(),
                    server_log_tails(&kept, 30)
                );
            }
        }
    }
    faults_on.store(false, Ordering::Relaxed);
    proxy.abort();

    // A last restart, then the reconciler settles what the kills interrupted.
    server.kill();
    server.start(&direct).await;
    let db_url = database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("trade.db").display()));
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db_url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = scalar(
            &pool,
            "SELECT COUNT(*) FROM payments WHERE status = 'processing' AND method = $1 \
             AND held_for_review = 0",
            "card",
        )
        .await;
        if left == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{left} card payments still processing a minute after the last restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut totals = BTreeMap::<&str, usize>::new();
    for (w, ledger) in ledgers.iter().enumerate() {
        for token in &ledger.rest_messages {
            assert_eq!(
                scalar(
                    &pool,
                    "SELECT COUNT(*) FROM messages WHERE body = $1",
                    token
                )
                .await,
                1,
                "message {token}"
            );
        }
        assert_pushed_once(&pool, &ledger.pushed).await;
        for (product, id) in &ledger.orders {
            let like = format!("%{product}%");
            assert_eq!(
                scalar(
                    &pool,
                    "SELECT COUNT(*) FROM orders WHERE doc LIKE $1",
                    &like
                )
                .await,
                1,
                "order {product}"
            );
            // Paid in full once, or not at all: the order agrees with its payments.
            let (status, view) = answered(
                || {
                    direct
                        .get(format!("{direct_base}/v1/orders/{id}"))
                        .bearer_auth(&ledger.token)
                },
                &retries,
            )
            .await;
            assert_eq!(status, reqwest::StatusCode::OK, "order {id}: {view}");
            let succeeded: i64 = scalar(
                &pool,
                "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM payments \
                 WHERE order_id = $1 AND status = 'succeeded'",
                id,
            )
            .await;
            let paid = view["order"]["installments_paid"].as_i64().unwrap();
            let expected = if paid == 1 {
                view["total_minor"].as_i64().unwrap()
            } else {
                0
            };
            assert_eq!(succeeded, expected, "order {id}: {view}");
        }
        for (order, payment, status) in &ledger.payments {
            let stored: String = sqlx::query("SELECT status FROM payments WHERE id = $1")
                .bind(payment)
                .fetch_one(&pool)
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
            assert_eq!(&stored, status, "payment {payment} of order {order}");
        }
        // A pull from the start returns every message of the buyer's inquiry.
        assert_pull_returns_every_message(
            &direct,
            &direct_base,
            &ledger.token,
            &pool,
            &buyers[w].inquiry,
            &retries,
        )
        .await;
        *totals.entry("messages").or_default() += ledger.rest_messages.len();
        *totals.entry("pushed").or_default() += ledger.pushed.len();
        *totals.entry("orders").or_default() += ledger.orders.len();
        *totals.entry("payments").or_default() += ledger.payments.len();
        *totals.entry("renewals").or_default() += ledger.renewals;
    }
    if database_url.is_none() {
        let check: String = sqlx::query("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(check, "ok");
    }
    assert!(kills >= kills_wanted);
    let figures = format!(
        "kills: {kills}; faults for {:.0} s; proxy connections: {} (reset on the way up: {}, \
         answer cut: {}, delayed: {}, answer dropped: {}); retries: {}; answered: {totals:?}",
        faulty_for.as_secs_f64(),
        stats.connections.load(Ordering::Relaxed),
        stats.resets_up.load(Ordering::Relaxed),
        stats.truncated_down.load(Ordering::Relaxed),
        stats.delayed.load(Ordering::Relaxed),
        stats.dropped.load(Ordering::Relaxed),
        retries.load(Ordering::Relaxed),
    );
    println!("{figures}");
    if let Ok(path) = std::env::var("TRADE_FAULT_REPORT") {
        std::fs::write(path, format!("{figures}\n")).unwrap();
    }
    pool.close().await;
}
