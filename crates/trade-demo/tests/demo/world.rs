//! The demo (`trade-demo`) in-process: the real HTTPS server on 127.0.0.1:0 with a temp data
//! directory, the seeded world seen through the API as the demo buyer, and the supplier
//! bot reacting to what the buyer does. Waiting is driven by the live event stream
//! (`GET /v1/events`) with a deadline, never by fixed sleeps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::time::Instant;
use trade_demo::{self as demo, DemoAccounts, DemoOptions};
use trade_server::Running;
use trade_test_api::{Api, ca_in};

/// How long a test waits for the bot before it fails.
const PATIENCE: Duration = Duration::from_secs(20);

struct Demo {
    running: Running,
    accounts: DemoAccounts,
    api: Api,
}

impl std::ops::Deref for Demo {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

async fn start_demo(dir: &std::path::Path, seed: u64, bot_delay: Duration) -> Demo {
    let mut opts = DemoOptions::new(dir.to_owned(), "127.0.0.1:0".parse().unwrap());
    opts.seed = seed;
    opts.bot_delay = bot_delay;
    let (running, accounts) = demo::start(opts).await.expect("the demo starts");
    let api = Api::new(running.base_url(), trade_test_api::client(&ca_in(dir)));
    Demo {
        running,
        accounts,
        api,
    }
}

impl Demo {
    async fn buyer(&self) -> String {
        self.login(&self.accounts.buyer.email, self.accounts.buyer.password)
            .await
    }

    /// Every inquiry of the caller (one page is enough for the demo's dozen).
    async fn inquiries(&self, token: &str, filter: &str) -> Vec<Value> {
        let page = self
            .get(&format!("/v1/inquiries?filter={filter}&limit=200"), token)
            .await;
        assert!(page["next_cursor"].is_null());
        page["items"].as_array().unwrap().clone()
    }

    async fn messages(&self, token: &str, inquiry: &str) -> Vec<Value> {
        let page = self
            .get(
                &format!("/v1/inquiries/{inquiry}/messages?limit=200"),
                token,
            )
            .await;
        page["items"].as_array().unwrap().clone()
    }

    async fn orders(&self, token: &str) -> Vec<Value> {
        let page = self.get("/v1/orders?limit=200", token).await;
        page["items"].as_array().unwrap().clone()
    }

    /// Pulls every page of the caller's feed after `cursor`; returns the changes and the
    /// cursor after them.
    async fn pull(&self, token: &str, cursor: &str) -> (Vec<Value>, String) {
        let mut cursor = cursor.to_owned();
        let mut changes = Vec::new();
        loop {
            let page = self
                .get(&format!("/v1/sync/pull?cursor={cursor}"), token)
                .await;
            changes.extend(page["changes"].as_array().unwrap().iter().cloned());
            cursor = page["next_cursor"].as_str().unwrap().to_owned();
            if page["has_more"] != true {
                return (changes, cursor);
            }
        }
    }

    /// Opens the caller's live event stream and reads its `ready` event.
    async fn events(&self, token: &str) -> Events {
        let resp = self
            .client
            .get(format!("{}/v1/events", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let mut events = Events {
            resp,
            buf: String::new(),
        };
        let (name, data) = events
            .next(Instant::now() + PATIENCE, "the ready event")
            .await;
        assert_eq!(name, "ready");
        assert!(data["account_version"].is_i64(), "{data}");
        events
    }

    async fn shutdown(self) {
        self.running.shutdown().await;
    }
}

/// A Server-Sent Events stream read chunk by chunk.
struct Events {
    resp: reqwest::Response,
    buf: String,
}

impl Events {
    /// The next event (name, JSON data), skipping heartbeat comments; fails the test at
    /// `deadline`, saying what it was waiting for.
    async fn next(&mut self, deadline: Instant, waiting_for: &str) -> (String, Value) {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut name = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if !name.is_empty() {
                    return (name, serde_json::from_str(&data).unwrap_or(Value::Null));
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {waiting_for}"))
                .expect("the event stream stays readable")
                .expect("the event stream stays open");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Waits for the next `changed` poke.
    async fn changed(&mut self, deadline: Instant, waiting_for: &str) {
        loop {
            let (name, data) = self.next(deadline, waiting_for).await;
            if name == "changed" {
                assert!(data["account_version"].is_i64(), "{data}");
                return;
            }
        }
    }
}

/// Evaluates `$check` (an expression giving `Option<T>`) until it is `Some`, waiting for
/// a live poke between tries; fails after `PATIENCE`.
macro_rules! eventually {
    ($events:expr, $what:expr, $check:expr) => {{
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(found) = $check {
                break found;
            }
            $events.changed(deadline, $what).await;
        }
    }};
}

fn ship_by_in(days: i64) -> String {
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    today
        .checked_add(jiff::Span::new().days(days))
        .unwrap()
        .to_string()
}

fn card() -> Value {
    let year = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .year()
        + 3;
    json!({ "number": "4242424242424242", "exp_month": 12, "exp_year": year, "cvc": "123", "holder": "Anna Becker" })
}

#[tokio::test]
async fn the_seeded_world_fills_every_box_and_the_unread_messages() {
    let dir = tempfile::tempdir().unwrap();
    let d = start_demo(dir.path(), 42, Duration::from_millis(20)).await;
    let seeded = d
        .accounts
        .seeded
        .clone()
        .expect("a fresh directory is seeded");
    assert_eq!(d.accounts.buyer.email, "buyer@demo.tradecenter.test");
    assert!((4..=5).contains(&d.accounts.suppliers.len()));
    let countries: BTreeSet<_> = d
        .accounts
        .suppliers
        .iter()
        .map(|s| s.country.as_str())
        .collect();
    for c in ["CN", "VN", "IN", "TR"] {
        assert!(countries.contains(c), "a supplier from {c}: {countries:?}");
    }
    let token = d.buyer().await;
    let me = d.get("/v1/me", &token).await;
    assert_eq!(me["company"]["name"], "Northwind Retail GmbH");
    assert_eq!(me["company"]["country"], "DE");

    // All Inquiries: a dozen threads, each a real conversation.
    let all = d.inquiries(&token, "all").await;
    assert_eq!(all.len(), seeded.inquiries);
    assert!(all.len() >= 10, "{}", all.len());
    for inquiry in &all {
        let thread = d.messages(&token, inquiry["id"].as_str().unwrap()).await;
        assert!(thread.len() >= 3, "multi-message history: {inquiry}");
        let senders: BTreeSet<_> = thread
            .iter()
            .map(|m| m["sender"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(senders.len(), 2, "both sides talk: {inquiry}");
    }

    // Unread Messages: exactly the threads with supplier messages the buyer has not read.
    let unread = d.inquiries(&token, "unread").await;
    let expected: BTreeSet<_> = all
        .iter()
        .filter(|i| i["unread_count"].as_i64().unwrap() > 0)
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    let listed: BTreeSet<_> = unread
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, expected);
    assert_eq!(listed.len() as i64, seeded.unread_inquiries);
    assert!(!listed.is_empty() && listed.len() < all.len());
    let totals = d.get("/v1/unread", &token).await;
    assert_eq!(totals["inquiries_with_unread"], seeded.unread_inquiries);
    assert_eq!(totals["total"], seeded.unread_messages);

    // Orders: at least one in every box the buyer sees.
    let counts = d.get("/v1/orders/counts", &token).await;
    for b in [
        "waiting_for_me",
        "waiting_for_partner",
        "ordered",
        "awaiting_shipment",
        "shipped",
        "completed",
        "cancelled",
        "in_dispute",
    ] {
        let count = counts
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["box"] == b)
            .unwrap_or_else(|| panic!("box {b} in {counts}"))["count"]
            .as_i64()
            .unwrap();
        assert!(count >= 1, "no order in {b}: {counts}");
    }
    let orders = d.orders(&token).await;
    assert_eq!(orders.len(), seeded.orders);
    let has = |f: &dyn Fn(&Value) -> bool| orders.iter().any(f);
    assert!(has(&|o| o["order"]["status"] == "payment_processing"
        && o["order"]["pending_payment"]["method"]
            == "telegraphic_transfer"));
    assert!(has(&|o| o["order"]["terms"]["payment_terms"]["kind"]
        == "deposit_balance"
        && o["order"]["installments_paid"] == 1
        && o["order"]["status"] == "ordered"));
    assert!(has(
        &|o| o["box"] == "completed" && o["order"]["feedback"]["rating"].is_u64()
    ));
    assert!(has(&|o| o["box"] == "in_dispute"
        && !o["order"]["dispute"]["proposals"]
            .as_array()
            .unwrap()
            .is_empty()));
    assert!(has(
        &|o| o["order"]["shipment"]["tracking_number"].is_string()
    ));
    assert!(has(&|o| o["order"]["terms"]["currency"] == "EUR"));

    // Orders made from uploaded contracts: the supplier's PI is a genuine PDF the buyer
    // can download, the buyer's own contract a text file.
    let contracts: Vec<&Value> = orders
        .iter()
        .filter(|o| o["order"]["origin"] == "uploaded_contract")
        .collect();
    assert!(!contracts.is_empty());
    let mut kinds = BTreeSet::new();
    for order in contracts {
        for doc in order["order"]["terms"]["documents"].as_array().unwrap() {
            let id = doc.as_str().unwrap();
            let meta = d.get(&format!("/v1/documents/{id}"), &token).await;
            kinds.insert(meta["kind"].as_str().unwrap().to_owned());
            let resp = d
                .client
                .get(format!("{}/v1/documents/{id}/content", d.base))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            let bytes = resp.bytes().await.unwrap();
            if meta["kind"] == "pdf" {
                assert!(bytes.starts_with(b"%PDF-1."));
                assert!(bytes.ends_with(b"%%EOF\n"));
            }
        }
    }
    assert!(kinds.contains("pdf"), "{kinds:?}");

    // The operator can sign in too.
    d.login(&d.accounts.operator.email, d.accounts.operator.password)
        .await;
    d.shutdown().await;
}

/// What makes a world: threads (product, supplier company, message bodies) and orders
/// (lines, total, currency, box), independent of ids and timestamps.
async fn fingerprint(seed: u64) -> (Vec<String>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let d = start_demo(dir.path(), seed, Duration::from_millis(20)).await;
    let token = d.buyer().await;
    let mut threads = Vec::new();
    for inquiry in d.inquiries(&token, "all").await {
        let bodies: Vec<String> = d
            .messages(&token, inquiry["id"].as_str().unwrap())
            .await
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect();
        threads.push(format!(
            "{} | {} | {}",
            inquiry["product"],
            inquiry["supplier_company"],
            bodies.join(" / ")
        ));
    }
    let mut orders: Vec<String> = d
        .orders(&token)
        .await
        .iter()
        .map(|o| {
            format!(
                "{} {} {} {}",
                o["order"]["terms"]["lines"],
                o["total_minor"],
                o["order"]["terms"]["currency"],
                o["box"]
            )
        })
        .collect();
    // Tracking numbers and transfer references are generated per run; the bot's reply
    // choice and the world's content are not.
    threads.iter_mut().for_each(|t| {
        *t = t
            .split(' ')
            .map(|w| {
                let digits = w.chars().filter(char::is_ascii_digit).count();
                if w.starts_with("TC-") || digits >= 7 {
                    "<id>"
                } else {
                    w
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
    });
    threads.sort();
    orders.sort();
    d.shutdown().await;
    (threads, orders)
}

#[tokio::test]
async fn the_same_seed_gives_the_same_world_and_another_seed_another() {
    let first = fingerprint(7).await;
    let second = fingerprint(7).await;
    assert_eq!(first, second);
    assert!(first.0.len() >= 10 && first.1.len() >= 8);
    let other = fingerprint(8).await;
    assert_ne!(first.0, other.0);
    assert_ne!(first.1, other.1);
}

#[tokio::test]
async fn the_bot_answers_a_message_pushed_through_sync_and_the_stream_pokes() {
    let dir = tempfile::tempdir().unwrap();
    let d = start_demo(dir.path(), 42, Duration::from_millis(20)).await;
    let token = d.buyer().await;
    let (_, cursor) = d.pull(&token, "").await;
    let mut events = d.events(&token).await;

    let inquiry = d.inquiries(&token, "all").await[0].clone();
    let inquiry_id = inquiry["id"].as_str().unwrap().to_owned();
    let supplier = inquiry["supplier"].as_str().unwrap().to_owned();
    let message_id = uuid::Uuid::now_v7().to_string();
    let pushed = d
        .post(
            "/v1/sync/push",
            &token,
            json!({ "mutations": [{
                "id": uuid::Uuid::now_v7(),
                "op": "send_message",
                "inquiry": inquiry_id,
                "message": message_id,
                "body": "Could you send the test reports for this batch, please?"
            }] }),
        )
        .await;
    assert_eq!(pushed["results"][0]["outcome"], "applied", "{pushed}");

    // The buyer's own message pokes first; the bot's reply a little later.
    let reply = eventually!(events, "the bot's reply", {
        let (changes, _) = d.pull(&token, &cursor).await;
        assert!(
            changes.iter().any(|c| c["id"] == message_id.as_str()),
            "the pushed message is in the feed"
        );
        changes
            .iter()
            .filter(|c| c["kind"] == "message")
            .map(|c| &c["record"]["data"])
            .find(|m| m["inquiry"] == inquiry_id.as_str() && m["sender"] == supplier.as_str())
            .cloned()
    });
    let body = reply["body"].as_str().unwrap();
    assert!(
        body.contains(inquiry["product"].as_str().unwrap()),
        "a reply about the product: {body}"
    );
    // The supplier read the buyer's message before answering.
    let thread = d.messages(&token, &inquiry_id).await;
    let mine = thread
        .iter()
        .find(|m| m["id"] == message_id.as_str())
        .unwrap();
    assert_eq!(mine["read"], true);
    assert_eq!(thread.last().unwrap()["sender"], supplier.as_str());
    drop(events);
    d.shutdown().await;
}

/// A buyer who asks a demo supplier for a price gets a quotation card back: a supplier
/// message carrying a quotation in the supplier's currency, FOB its port, priced from
/// the product's MOQ, valid 30 days; the platform publishes the demo's rate tables.
#[tokio::test]
async fn the_bot_answers_a_request_for_a_price_with_a_quotation() {
    let dir = tempfile::tempdir().unwrap();
    let d = start_demo(dir.path(), 42, Duration::from_millis(20)).await;
    let token = d.buyer().await;
    let mut events = d.events(&token).await;
    let inquiry = d.inquiries(&token, "all").await[0].clone();
    let inquiry_id = inquiry["id"].as_str().unwrap().to_owned();
    let supplier = inquiry["supplier"].as_str().unwrap().to_owned();
    let before = d.messages(&token, &inquiry_id).await.len();
    d.post(
        &format!("/v1/inquiries/{inquiry_id}/messages"),
        &token,
        json!({ "body": "How MUCH for 2,000 pieces, please?" }),
    )
    .await;

    let card = eventually!(events, "the bot's quotation", {
        d.messages(&token, &inquiry_id)
            .await
            .into_iter()
            .skip(before)
            .find(|m| m["sender"] == supplier.as_str() && !m["quotation"].is_null())
    });
    let q = d
        .get(
            &format!("/v1/quotations/{}", card["quotation"].as_str().unwrap()),
            &token,
        )
        .await;
    assert_eq!(q["inquiry"], inquiry_id.as_str());
    assert_eq!(q["supplier"], supplier.as_str());
    assert_eq!(q["product"], inquiry["product"]);
    assert_eq!(q["incoterm"], "FOB");
    assert_eq!(q["tiers"][0]["min_quantity"], q["moq"]);
    assert!(q["tiers"].as_array().unwrap().len() >= 2, "{q}");
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let in_30 = today.checked_add(jiff::Span::new().days(30)).unwrap();
    assert_eq!(q["valid_until"], in_30.to_string());
    let login = d
        .accounts
        .suppliers
        .iter()
        .find(|s| s.id.to_string() == supplier)
        .unwrap();
    let expected_currency = if login.country == "TR" { "EUR" } else { "USD" };
    assert_eq!(q["currency"], expected_currency, "{q}");
    assert!(
        card["body"].as_str().unwrap().starts_with("Quotation for "),
        "{card}"
    );
    // The buyer has it unread, like any supplier message; and in the feed.
    let (changes, _) = d.pull(&token, "").await;
    assert!(
        changes
            .iter()
            .any(|c| c["kind"] == "quotation" && c["record"]["data"] == q)
    );
    let seen = d.get(&format!("/v1/inquiries/{inquiry_id}"), &token).await;
    assert!(seen["unread_count"].as_i64().unwrap() >= 1, "{seen}");
    // One question, one quotation.
    let quotations = d
        .get(&format!("/v1/inquiries/{inquiry_id}/quotations"), &token)
        .await;
    assert_eq!(quotations["items"].as_array().unwrap().len(), 1);

    // Today's rates and the days before are published, base USD.
    let rates = d.get("/v1/exchange-rates", &token).await;
    assert_eq!(rates["date"], today.to_string(), "{rates}");
    assert_eq!(rates["base"], "USD");
    assert!(rates["rates"]["EUR"].is_string(), "{rates}");
    let earlier = today.checked_sub(jiff::Span::new().days(30)).unwrap();
    let old = d
        .get(&format!("/v1/exchange-rates?date={earlier}"), &token)
        .await;
    assert_eq!(old["date"], earlier.to_string());
    drop(events);
    d.shutdown().await;
}

#[tokio::test]
async fn the_bot_confirms_ships_clears_transfers_and_answers_disputes() {
    let dir = tempfile::tempdir().unwrap();
    let d = start_demo(dir.path(), 42, Duration::from_millis(20)).await;
    let token = d.buyer().await;
    let mut events = d.events(&token).await;
    let supplier = d.accounts.suppliers[0].id.to_string();
    let place = |qty: u64| {
        json!({
            "counterparty": supplier, "origin": "template",
            "terms": {
                "lines": [{ "product": "LED panel light 600x600 40W", "quantity": qty, "unit": "pieces", "unit_price_minor": 1150 }],
                "currency": "USD", "incoterm": "FOB", "shipping_method": "sea",
                "ship_by": ship_by_in(40), "payment_terms": { "kind": "full" },
                "remarks": "Demo test order.", "documents": []
            }
        })
    };
    let order_path = |o: &Value| format!("/v1/orders/{}", o["order"]["id"].as_str().unwrap());

    // Card: the bot confirms, the buyer pays, the bot ships.
    let by_card = d.post("/v1/orders", &token, place(100)).await;
    assert_eq!(by_card["box"], "waiting_for_partner");
    let path = order_path(&by_card);
    let confirmed = eventually!(events, "the bot to confirm", {
        let o = d.get(&path, &token).await;
        (o["box"] == "ordered").then_some(o)
    });
    let paid = d
        .post(
            &format!("{path}/payments"),
            &token,
            json!({ "method": "card", "amount_minor": confirmed["total_minor"], "card": card() }),
        )
        .await;
    assert_eq!(paid["payment"]["status"], "succeeded");
    let shipped = eventually!(events, "the bot to ship", {
        let o = d.get(&path, &token).await;
        (o["box"] == "shipped").then_some(o)
    });
    let shipment = &shipped["order"]["shipment"];
    assert!(!shipment["carrier"].as_str().unwrap().is_empty());
    assert!(shipment["tracking_number"].as_str().unwrap().len() >= 7);

    // A dispute on the shipped order: the bot proposes half the claim.
    d.post(
        &format!("{path}/dispute"),
        &token,
        json!({ "reason": "damaged", "claim_minor": 3_000, "description": "Three panels arrived cracked." }),
    )
    .await;
    let disputed = eventually!(events, "the bot's proposal", {
        let o = d.get(&path, &token).await;
        o["order"]["dispute"]["proposals"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
            .then_some(o)
    });
    assert_eq!(
        disputed["order"]["dispute"]["proposals"][0]["refund_minor"],
        1_500
    );

    // Telegraphic transfer: the bot confirms, the buyer pays by transfer, the funds
    // arrive (the order is paid, then shipped).
    let by_transfer = d.post("/v1/orders", &token, place(200)).await;
    let path = order_path(&by_transfer);
    let confirmed = eventually!(events, "the bot to confirm the second order", {
        let o = d.get(&path, &token).await;
        (o["box"] == "ordered").then_some(o)
    });
    let total = confirmed["total_minor"].as_i64().unwrap();
    let transfer = d
        .post(
            &format!("{path}/payments"),
            &token,
            json!({ "method": "telegraphic_transfer", "amount_minor": total }),
        )
        .await;
    assert_eq!(transfer["order"]["order"]["status"], "payment_processing");
    assert!(
        transfer["payment"]["reference"]
            .as_str()
            .unwrap()
            .starts_with("TC-")
    );
    let paid = eventually!(events, "the transfer's funds", {
        let o = d.get(&path, &token).await;
        (o["order"]["paid_minor"] == total).then_some(o)
    });
    assert!(
        ["paid", "shipped"].contains(&paid["order"]["status"].as_str().unwrap()),
        "{paid}"
    );
    let payments = d.get(&format!("{path}/payments"), &token).await;
    assert_eq!(payments[0]["status"], "succeeded");
    eventually!(events, "the bot to ship the transfer order", {
        let o = d.get(&path, &token).await;
        (o["box"] == "shipped").then_some(())
    });
    drop(events);
    d.shutdown().await;
}

#[tokio::test]
async fn a_restart_keeps_the_world_and_the_buyers_message_and_the_bot_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    // A bot too slow to answer before the restart.
    let d = start_demo(dir.path(), 42, Duration::from_secs(3600)).await;
    assert!(d.accounts.seeded.is_some());
    let token = d.buyer().await;
    let inquiries_before = d.inquiries(&token, "all").await;
    let orders_before = d.orders(&token).await.len();
    let suppliers_before = d.get("/v1/suppliers", &token).await;
    let inquiry = inquiries_before[0].clone();
    let inquiry_id = inquiry["id"].as_str().unwrap().to_owned();
    let sent = d
        .post(
            &format!("/v1/inquiries/{inquiry_id}/messages"),
            &token,
            json!({ "body": "Hello again, when could you deliver the next batch?" }),
        )
        .await;
    let sent_id = sent["id"].as_str().unwrap().to_owned();
    d.shutdown().await;

    // Another seed on restart: the world is kept, not seeded again.
    let d = start_demo(dir.path(), 4242, Duration::from_millis(20)).await;
    assert!(d.accounts.seeded.is_none(), "no second seeding");
    let token = d.buyer().await;
    let mut events = d.events(&token).await;
    let inquiries_after = d.inquiries(&token, "all").await;
    assert_eq!(inquiries_after.len(), inquiries_before.len());
    assert_eq!(d.orders(&token).await.len(), orders_before);
    assert_eq!(d.get("/v1/suppliers", &token).await, suppliers_before);
    let thread = d.messages(&token, &inquiry_id).await;
    assert!(
        thread.iter().any(|m| m["id"] == sent_id.as_str()),
        "the buyer's message survived"
    );

    // The restarted bot catches up with the message it had not answered.
    let supplier = inquiry["supplier"].as_str().unwrap().to_owned();
    eventually!(events, "the bot to answer after the restart", {
        let thread = d.messages(&token, &inquiry_id).await;
        let pos = thread
            .iter()
            .position(|m| m["id"] == sent_id.as_str())
            .unwrap();
        thread[pos + 1..]
            .iter()
            .any(|m| m["sender"] == supplier.as_str())
            .then_some(())
    });
    drop(events);
    d.shutdown().await;
}

#[tokio::test]
async fn the_demo_never_seeds_into_a_database_that_holds_other_accounts() {
    // Its passwords are public: a real database must not get them.
    let dir = tempfile::tempdir().unwrap();
    let db = trade_server::db::Db::open_sqlite(&dir.path().join("trade.db"))
        .await
        .unwrap();
    trade_server::auth::operators::create(
        &db,
        "ops@example.com",
        "Ops",
        "a long operator password",
    )
    .await
    .map_err(|e| e.message)
    .unwrap();
    db.close().await;
    let opts = DemoOptions::new(dir.path().to_owned(), "127.0.0.1:0".parse().unwrap());
    let err = demo::start(opts)
        .await
        .err()
        .expect("the demo refuses the database");
    assert!(err.to_string().contains("demo.database_in_use"), "{err}");
}
