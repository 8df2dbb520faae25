//! A load balancer in front (issue 16): two `trade-server` processes on one PostgreSQL
//! database and one S3 bucket behind a real HAProxy running `deploy/haproxy.cfg` (see
//! `cluster`), every request through the balancer. HAProxy's runtime API steers new
//! connections to one instance or the other (`set weight`), so "through instance 1" and
//! "through instance 2" are facts, not chances.
//!
//! - a document uploaded through one instance downloads through the other;
//! - a message posted through one instance pokes a live connection held on the other;
//! - 200 clients hold live connections and push mutations while one instance is killed
//!   with SIGKILL: they reconnect through the balancer (its health checks mark the dead
//!   one down), every acknowledged mutation is applied exactly once, nothing is lost or
//!   duplicated (the fault suite's checks), and every client hears of a later commit;
//! - the sign-in limits hold across both instances, per client address (the servers
//!   read it from the PROXY protocol header), not per balancer.
//!
//! Needs `TRADE_TEST_POSTGRES_URL`, `TRADE_TEST_S3FS` and haproxy; without them each test
//! says it was skipped and why. The tests take turns: each runs its own cluster.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rand::Rng;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cluster::{Cluster, Events};
use crate::processes::{
    answered, assert_pull_returns_every_message, assert_pushed_once, login, register, scalar,
};

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// This test's turn, or `None` (and a line saying why) when it cannot run here.
async fn turn(test: &str) -> Option<tokio::sync::MutexGuard<'static, ()>> {
    if let Some(why) = Cluster::missing() {
        println!("balancer::{test} skipped: {why}");
        return None;
    }
    Some(ONE_AT_A_TIME.lock().await)
}

/// A loopback address of the test's choosing for a client's connections.
fn address(a: u8, b: u8, c: u8) -> Option<IpAddr> {
    Some(IpAddr::V4(Ipv4Addr::new(127, a, b, c)))
}

/// Signs up without signing in (sign-ins are counted per address): the email.
async fn sign_up(http: &reqwest::Client, base: &str, role: &str, name: &str) -> String {
    let email = format!("{role}.{}@balancer.example", uuid::Uuid::now_v7().simple());
    let resp = http
        .post(format!("{base}/v1/accounts"))
        .json(
            &json!({ "email": email, "password": crate::support::PASSWORD,
            "display_name": name, "role": role, "company_name": format!("{name} Trading Co."),
            "country": "CN" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED, "sign up {email}");
    email
}

async fn open_inquiry(http: &reqwest::Client, base: &str, token: &str, supplier: &str) -> String {
    let inquiry: Value = http
        .post(format!("{base}/v1/inquiries"))
        .bearer_auth(token)
        .json(&json!({ "supplier": supplier, "product": "Pumps", "message": "Hello" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    inquiry["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_uploaded_through_one_instance_downloads_through_the_other() {
    let Some(_turn) =
        turn("a_document_uploaded_through_one_instance_downloads_through_the_other").await
    else {
        return;
    };
    let cluster = Cluster::start().await;
    let http = cluster.client(None, Duration::from_secs(30), false);
    let (_, _, token, _) = register(&http, &cluster.base, "buyer", "Ann Buyer").await;
    // More than one part of the store's multipart upload (8 MiB).
    let line = b"PI-2026-300: 100 pumps at 12.50 USD, FOB Ningbo.\n";
    let bytes: Vec<u8> = line.iter().copied().cycle().take(9 * 1024 * 1024).collect();

    cluster.pin(0).await;
    let before = cluster.sessions_total(0).await;
    let resp = http
        .post(format!("{}/v1/documents", cluster.base))
        .query(&[("name", "contract.txt")])
        .bearer_auth(&token)
        .header("content-type", "application/octet-stream")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let meta: Value = resp.json().await.unwrap();
    assert!(
        cluster.sessions_total(0).await > before,
        "uploaded through trade1"
    );

    cluster.pin(1).await;
    let before = cluster.sessions_total(1).await;
    let resp = http
        .get(format!(
            "{}/v1/documents/{}/content",
            cluster.base,
            meta["id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.bytes().await.unwrap();
    assert!(
        body == bytes,
        "{} bytes back of {}",
        body.len(),
        bytes.len()
    );
    assert!(
        cluster.sessions_total(1).await > before,
        "downloaded through trade2"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_posted_through_one_instance_pokes_a_connection_held_on_the_other() {
    let Some(_turn) =
        turn("a_message_posted_through_one_instance_pokes_a_connection_held_on_the_other").await
    else {
        return;
    };
    let cluster = Cluster::start().await;
    let http = cluster.client(None, Duration::from_secs(30), false);
    let (supplier, _, supplier_token, _) =
        register(&http, &cluster.base, "supplier", "Li Supplier").await;
    let (_, _, buyer_token, _) = register(&http, &cluster.base, "buyer", "Ann Buyer").await;
    let inquiry = open_inquiry(&http, &cluster.base, &buyer_token, &supplier).await;

    // The buyer's live connection is held on trade2...
    cluster.pin(1).await;
    let mut events = Events::open(&http, &cluster.base, &buyer_token)
        .await
        .expect("the event stream opens");
    let ready = events.expect("ready", Duration::from_secs(10)).await;
    assert_eq!(cluster.sessions_now(1).await, 1, "the stream is on trade2");
    // ...the supplier posts through trade1.
    cluster.pin(0).await;
    let before = cluster.sessions_total(0).await;
    let resp = http
        .post(format!("{}/v1/inquiries/{inquiry}/messages", cluster.base))
        .bearer_auth(&supplier_token)
        .json(&json!({ "body": "Posted through trade1." }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(
        cluster.sessions_total(0).await > before,
        "posted through trade1"
    );
    let poke = events.expect("changed", Duration::from_secs(10)).await;
    assert!(
        poke["account_version"].as_i64().unwrap() > ready["account_version"].as_i64().unwrap(),
        "{poke} after {ready}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_limits_count_attempts_through_both_instances_per_client_address() {
    let Some(_turn) =
        turn("login_limits_count_attempts_through_both_instances_per_client_address").await
    else {
        return;
    };
    let cluster = Cluster::start().await;
    let timeout = Duration::from_secs(30);
    let email = sign_up(
        &cluster.client(address(2, 0, 1), timeout, false),
        &cluster.base,
        "buyer",
        "Ann Buyer",
    )
    .await;
    async fn guess(cluster: &Cluster, http: &reqwest::Client, email: &str) -> (StatusCode, Value) {
        let resp = http
            .post(format!("{}/v1/sessions", cluster.base))
            .json(&json!({ "email": email, "password": "wrong password!" }))
            .send()
            .await
            .unwrap();
        (resp.status(), resp.json().await.unwrap())
    }
    let refused = |status: StatusCode, err: &Value| {
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("auth.rate_limited")),
            "{err}"
        );
        let wait = err["details"]["retry_after_secs"].as_i64().unwrap();
        assert!((1..=60).contains(&wait), "{err}");
    };

    // Guesses at one account from one address, alternating instances, count in one
    // window: the next one is refused on either instance.
    let guesser = cluster.client(address(2, 0, 2), timeout, false);
    let per_account = trade_server::routes::accounts::LOGINS_PER_ACCOUNT_PER_MINUTE;
    for i in 0..per_account {
        cluster.pin(i % 2).await;
        let (status, err) = guess(&cluster, &guesser, &email).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}: {err}");
    }
    for n in 0..2 {
        cluster.pin(n).await;
        let (status, err) = guess(&cluster, &guesser, &email).await;
        refused(status, &err);
    }
    // The owner, at another address, signs in through either instance: the servers
    // count the client's address, not the balancer's.
    let owner = cluster.client(address(2, 0, 3), timeout, false);
    for n in 0..2 {
        cluster.pin(n).await;
        login(&owner, &cluster.base, &email).await;
    }
    // Attempts from one address at any accounts, alternating instances.
    let crowd = cluster.client(address(2, 0, 4), timeout, false);
    let per_address = trade_server::routes::accounts::LOGINS_PER_IP_PER_MINUTE;
    for i in 0..per_address {
        cluster.pin(i % 2).await;
        let (status, err) = guess(&cluster, &crowd, &format!("nobody{i}@example.com")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}: {err}");
    }
    for n in 0..2 {
        cluster.pin(n).await;
        let (status, err) = guess(&cluster, &crowd, "nobody.else@example.com").await;
        refused(status, &err);
    }
}

const CLIENTS: usize = 200;
const BUYERS: usize = 40;
/// Traffic before and after the kill.
const PHASE: Duration = Duration::from_secs(5);

/// One of the 200 clients: its own connections (from its own address), session and
/// live connection.
struct LiveClient {
    n: usize,
    http: reqwest::Client,
    token: String,
    inquiry: String,
    /// The highest account version its live connection told it of.
    seen: AtomicI64,
    /// Times its live connection broke and it connected again.
    reconnects: AtomicU64,
}

/// Holds `client`'s live connection through the balancer for ever, reconnecting when
/// it breaks (aborted by the test).
async fn hold_live_connection(client: Arc<LiveClient>, base: String, ready: Arc<AtomicU64>) {
    let mut first = true;
    loop {
        let Some(mut events) = Events::open(&client.http, &base, &client.token).await else {
            let pause = rand::rng().random_range(20..100);
            tokio::time::sleep(Duration::from_millis(pause)).await;
            continue;
        };
        while let Some((_, data)) = events.next().await {
            if let Some(version) = data["account_version"].as_i64() {
                client.seen.fetch_max(version, Ordering::SeqCst);
            }
            if first {
                first = false;
                ready.fetch_add(1, Ordering::SeqCst);
            }
        }
        client.reconnects.fetch_add(1, Ordering::SeqCst);
    }
}

/// Pushes keyed `send_message` mutations until `stop`, each retried with its id until
/// answered: the acknowledged (message id, body) pairs.
async fn push_until(
    client: Arc<LiveClient>,
    base: String,
    stop: Arc<AtomicBool>,
    retries: Arc<AtomicU64>,
) -> Vec<(String, String)> {
    let mut pushed = Vec::new();
    let mut k = 0;
    while !stop.load(Ordering::SeqCst) {
        k += 1;
        let mutation = uuid::Uuid::now_v7().to_string();
        let message = uuid::Uuid::now_v7().to_string();
        let body = format!("[c{}-pushed-{k}]", client.n);
        let push = json!({ "mutations": [{ "id": mutation, "op": "send_message",
            "inquiry": client.inquiry, "message": message, "body": body }] });
        let (status, answer) = answered(
            || {
                client
                    .http
                    .post(format!("{base}/v1/sync/push"))
                    .bearer_auth(&client.token)
                    .json(&push)
            },
            &retries,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["results"][0]["outcome"], "applied", "{answer}");
        pushed.push((message, body));
        let pause = rand::rng().random_range(100..400);
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
    pushed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_clients_keep_every_mutation_exactly_once_when_an_instance_is_killed() {
    let Some(_turn) =
        turn("two_hundred_clients_keep_every_mutation_exactly_once_when_an_instance_is_killed")
            .await
    else {
        return;
    };
    let mut cluster = Cluster::start().await;
    let base = cluster.base.clone();
    let timeout = Duration::from_secs(10);
    let setup = cluster.client(address(3, 0, 1), timeout, true);
    let (supplier, _, supplier_token, _) = register(&setup, &base, "supplier", "Li Supplier").await;
    let emails: Vec<String> = futures_util::stream::iter(0..BUYERS)
        .map(|b| {
            let setup = setup.clone();
            let base = base.clone();
            async move { sign_up(&setup, &base, "buyer", &format!("Buyer {b}")).await }
        })
        .buffered(8)
        .collect()
        .await;
    // Each client signs in from its own address; a buyer's first client opens the
    // buyer's inquiry, which all of that buyer's clients push messages into.
    let sessions: Vec<(reqwest::Client, String)> = futures_util::stream::iter(0..CLIENTS)
        .map(|n| {
            let http = cluster.client(address(1, 0, n as u8 + 1), timeout, true);
            let email = emails[n % BUYERS].clone();
            let base = base.clone();
            async move {
                let (_, token, _) = login(&http, &base, &email).await;
                (http, token)
            }
        })
        .buffered(8)
        .collect()
        .await;
    let mut inquiries = Vec::new();
    for (http, token) in &sessions[..BUYERS] {
        inquiries.push(open_inquiry(http, &base, token, &supplier).await);
    }
    let clients: Vec<Arc<LiveClient>> = sessions
        .into_iter()
        .enumerate()
        .map(|(n, (http, token))| {
            Arc::new(LiveClient {
                n,
                http,
                token,
                inquiry: inquiries[n % BUYERS].clone(),
                seen: AtomicI64::new(0),
                reconnects: AtomicU64::new(0),
            })
        })
        .collect();

    // Every client holds a live connection, spread over both instances.
    let connected = Arc::new(AtomicU64::new(0));
    let listeners: Vec<_> = clients
        .iter()
        .map(|c| {
            tokio::spawn(hold_live_connection(
                c.clone(),
                base.clone(),
                connected.clone(),
            ))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while connected.load(Ordering::SeqCst) < CLIENTS as u64 {
        assert!(
            Instant::now() < deadline,
            "{} of {CLIENTS} live connections after a minute",
            connected.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let held = [cluster.sessions_now(0).await, cluster.sessions_now(1).await];
    assert!(
        held[0] > 0 && held[1] > 0,
        "live connections on both instances: {held:?}"
    );

    // Traffic; trade1 killed in the middle.
    let stop = Arc::new(AtomicBool::new(false));
    let retries = Arc::new(AtomicU64::new(0));
    let pushers: Vec<_> = clients
        .iter()
        .map(|c| {
            tokio::spawn(push_until(
                c.clone(),
                base.clone(),
                stop.clone(),
                retries.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(PHASE).await;
    cluster.servers[0].kill();
    let killed = Instant::now();
    cluster.wait_status(0, "DOWN").await;
    let noticed = killed.elapsed();
    tokio::time::sleep(PHASE).await;
    stop.store(true, Ordering::SeqCst);
    let mut pushed = Vec::new();
    for pusher in pushers {
        pushed.push(pusher.await.expect("a client's pushes"));
    }

    let pool = {
        sqlx::any::install_default_drivers();
        sqlx::AnyPool::connect(&cluster.database_url).await.unwrap()
    };
    // Every acknowledged mutation once; every message of every inquiry pulled back; no
    // other message (no duplicate under another id, nothing applied unacknowledged).
    let mut per_inquiry = vec![0usize; BUYERS];
    for (n, list) in pushed.iter().enumerate() {
        assert_pushed_once(&pool, list).await;
        per_inquiry[n % BUYERS] += list.len();
    }
    // The supplier answers every inquiry: each buyer's clients, wherever they hold
    // their live connections now, hear of it.
    let mut targets = Vec::new();
    for (b, inquiry) in inquiries.iter().enumerate() {
        let (status, answer) = answered(
            || {
                setup
                    .post(format!("{base}/v1/inquiries/{inquiry}/messages"))
                    .bearer_auth(&supplier_token)
                    .header("idempotency-key", format!("answer-{b}"))
                    .json(&json!({ "body": format!("[answer-{b}]") }))
            },
            &retries,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let client = &clients[b];
        let (_, page) = answered(
            || {
                client
                    .http
                    .get(format!("{base}/v1/sync/pull"))
                    .query(&[("limit", "1")])
                    .bearer_auth(&client.token)
            },
            &retries,
        )
        .await;
        targets.push(page["account_version"].as_i64().unwrap());
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let behind: Vec<usize> = clients
            .iter()
            .filter(|c| c.seen.load(Ordering::SeqCst) < targets[c.n % BUYERS])
            .map(|c| c.n)
            .collect();
        if behind.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} clients never heard of the answer to their inquiry: {behind:?}",
            behind.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (b, inquiry) in inquiries.iter().enumerate() {
        let stored = scalar(
            &pool,
            "SELECT COUNT(*) FROM messages WHERE inquiry_id = $1",
            inquiry,
        )
        .await;
        // The opening message, the pushed ones, the supplier's answer.
        assert_eq!(
            stored as usize,
            1 + per_inquiry[b] + 1,
            "inquiry {b}: stored messages"
        );
        let client = &clients[b];
        assert_pull_returns_every_message(
            &client.http,
            &base,
            &client.token,
            &pool,
            inquiry,
            &retries,
        )
        .await;
    }
    let reconnects: u64 = clients
        .iter()
        .map(|c| c.reconnects.load(Ordering::SeqCst))
        .sum();
    let moved = clients
        .iter()
        .filter(|c| c.reconnects.load(Ordering::SeqCst) > 0)
        .count();
    assert!(moved > 0, "no live connection was on the killed instance");
    for listener in listeners {
        listener.abort();
    }
    println!(
        "balancer: {CLIENTS} clients, live connections at the kill {held:?} (trade1, trade2); \
         trade1 marked down {:.1} s after SIGKILL; {moved} clients reconnected \
         ({reconnects} reconnections); {} mutations acknowledged, each once; {} retries",
        noticed.as_secs_f64(),
        per_inquiry.iter().sum::<usize>(),
        retries.load(Ordering::SeqCst)
    );
    pool.close().await;
}
