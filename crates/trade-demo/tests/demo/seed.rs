//! The data generator: a seeded world must be exactly what the server would have written,
//! so the real server, started on it, serves every list, thread, box and sync pull.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;
use trade_demo::seed::{self, SeedOptions, SeedReport};
use trade_model::order::{Order, Party, order_box};
use trade_server::clock::TestClock;
use trade_server::db::Db;
use trade_server::{Config, Running};

struct World {
    running: Running,
    client: reqwest::Client,
    base: String,
    report: SeedReport,
    _dir: tempfile::TempDir,
}

impl World {
    /// Seeds a data directory (or database), then starts the real server on it.
    async fn start(opts: SeedOptions) -> World {
        let dir = tempfile::tempdir().unwrap();
        // PostgreSQL when `TRADE_TEST_POSTGRES_URL` is set, else SQLite in the data dir.
        let url = trade_test_api::postgres_database().await;
        let db = match &url {
            Some(url) => Db::connect(url).await.unwrap(),
            None => Db::open_sqlite(&dir.path().join("trade.db")).await.unwrap(),
        };
        let now = opts.now;
        let report = seed::run(&db, opts).await.unwrap();
        db.close().await;
        let mut config = Config::new(dir.path().to_owned(), "127.0.0.1:0".parse().unwrap());
        config.clock = Arc::new(TestClock::new(
            now.saturating_add(SignedDuration::from_mins(1)).unwrap(),
        ));
        config.database_url = url;
        let running = trade_server::start(config).await.expect("server starts");
        let client = trade_test_api::client(&trade_test_api::ca_in(dir.path()));
        World {
            base: running.base_url(),
            running,
            client,
            report,
            _dir: dir,
        }
    }

    async fn login(&self, email: &str) -> String {
        let resp = self
            .client
            .post(format!("{}/v1/sessions", self.base))
            .json(&json!({ "email": email, "password": self.report.password }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        let body: Value = resp.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    async fn get(&self, token: &str, path: &str) -> Value {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        assert!(status.is_success(), "POST {path}: {status} {body}");
        body
    }

    /// Every item of a paged list, following `next_cursor`.
    async fn all_pages(&self, token: &str, path: &str) -> Vec<Value> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..1000 {
            let url = match &cursor {
                Some(c) => format!("{path}{sep}cursor={c}"),
                None => path.to_owned(),
            };
            let page = self.get(token, &url).await;
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return items,
            }
        }
        panic!("{path} did not end");
    }

    /// A whole sync walk from `cursor`: (changes, last cursor, account version).
    async fn pull_all(&self, token: &str, cursor: &str, limit: u32) -> (Vec<Value>, String, i64) {
        let mut changes = Vec::new();
        let mut cursor = cursor.to_owned();
        for page_no in 0..100_000 {
            let page = self
                .get(
                    token,
                    &format!("/v1/sync/pull?limit={limit}&cursor={cursor}"),
                )
                .await;
            if page_no == 0 && cursor.is_empty() {
                assert!(page["total_estimate"].is_i64(), "{page}");
            }
            let batch = page["changes"].as_array().unwrap();
            assert!(batch.len() <= limit as usize);
            changes.extend(batch.iter().cloned());
            cursor = page["next_cursor"].as_str().unwrap().to_owned();
            if !page["has_more"].as_bool().unwrap() {
                return (changes, cursor, page["account_version"].as_i64().unwrap());
            }
        }
        panic!("the pull did not end");
    }

    async fn ids(&self, sql: &str, account: &str) -> BTreeSet<String> {
        sqlx::query(sql)
            .bind(account)
            .fetch_all(self.running.state.db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>("id").unwrap())
            .collect()
    }
}

fn ts(v: &Value) -> Timestamp {
    v.as_str().unwrap().parse().unwrap()
}

const SEEDED_AT: &str = "2026-11-26T09:00:00Z";

fn small_world() -> SeedOptions {
    SeedOptions {
        buyers: 2,
        suppliers: 3,
        inquiries: 50,
        messages_per_inquiry: 5,
        orders: 20,
        seed: 7,
        password: seed::DEFAULT_PASSWORD.to_owned(),
        now: SEEDED_AT.parse().unwrap(),
        progress: false,
    }
}

#[tokio::test]
async fn a_seeded_world_is_served_like_one_the_server_wrote() {
    let w = World::start(small_world()).await;
    let buyer = &w.report.buyers[0];
    let other = &w.report.buyers[1];
    assert_eq!(buyer.inquiries, 50);
    assert_eq!(buyer.messages, 250);
    assert_eq!(buyer.orders, 20);
    assert!(buyer.unread_inquiries > 0, "some threads are unread");
    let token = w.login(&buyer.account.email).await;
    let me = buyer.account.id.to_string();

    // "All Inquiries", newest first, paged.
    let inquiries = w.all_pages(&token, "/v1/inquiries?limit=7").await;
    assert_eq!(inquiries.len(), 50);
    let listed: BTreeSet<String> = inquiries
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed.len(), 50, "no inquiry twice");
    assert_eq!(
        listed,
        w.ids("SELECT id FROM inquiries WHERE buyer_id = $1", &me)
            .await
    );
    for pair in inquiries.windows(2) {
        assert!(ts(&pair[0]["last_message_at"]) >= ts(&pair[1]["last_message_at"]));
    }
    for i in &inquiries {
        assert_eq!(i["buyer"], me.as_str());
        assert!(!i["last_message_preview"].as_str().unwrap().is_empty());
        assert!(ts(&i["created_at"]) <= ts(&i["last_message_at"]));
    }

    // "Unread Messages" and the totals.
    let unread = w
        .all_pages(&token, "/v1/inquiries?filter=unread&limit=4")
        .await;
    assert_eq!(unread.len() as u64, buyer.unread_inquiries);
    assert!(
        unread
            .iter()
            .all(|i| i["unread_count"].as_i64().unwrap() > 0)
    );
    let unread_sum: i64 = unread
        .iter()
        .map(|i| i["unread_count"].as_i64().unwrap())
        .sum();
    assert_eq!(unread_sum as u64, buyer.unread_messages);
    let totals = w.get(&token, "/v1/unread").await;
    assert_eq!(totals["total"].as_u64().unwrap(), buyer.unread_messages);
    assert_eq!(
        totals["inquiries_with_unread"].as_u64().unwrap(),
        buyer.unread_inquiries
    );

    // A thread: oldest first, opened by the buyer, its preview and unread count agree.
    let thread = &unread[0];
    let id = thread["id"].as_str().unwrap();
    let one = w.get(&token, &format!("/v1/inquiries/{id}")).await;
    assert_eq!(&one, thread);
    let messages = w
        .all_pages(&token, &format!("/v1/inquiries/{id}/messages?limit=2"))
        .await;
    assert_eq!(messages.len(), 5);
    assert_eq!(messages[0]["sender"], me.as_str());
    assert_eq!(ts(&messages[0]["sent_at"]), ts(&thread["created_at"]));
    for pair in messages.windows(2) {
        assert!(ts(&pair[0]["sent_at"]) < ts(&pair[1]["sent_at"]));
    }
    let last = messages.last().unwrap();
    assert_eq!(ts(&last["sent_at"]), ts(&thread["last_message_at"]));
    assert!(
        last["body"]
            .as_str()
            .unwrap()
            .starts_with(thread["last_message_preview"].as_str().unwrap())
    );
    let unread_here = messages
        .iter()
        .filter(|m| m["sender"] != me.as_str() && m["read"] == false)
        .count();
    assert_eq!(unread_here as i64, thread["unread_count"].as_i64().unwrap());
    assert!(messages.iter().all(|m| m["attachments"] == json!([])));

    // Order boxes.
    let counts = w.get(&token, "/v1/orders/counts").await;
    let counts: BTreeMap<String, u64> = counts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["box"].as_str().unwrap().to_owned(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    for (name, n) in &counts {
        assert_eq!(
            *n,
            buyer.order_boxes.get(name.as_str()).copied().unwrap_or(0),
            "box {name}"
        );
        let listed = w
            .all_pages(&token, &format!("/v1/orders?box={name}&limit=3"))
            .await;
        assert_eq!(listed.len() as u64, *n, "listed in {name}");
    }
    assert_eq!(counts.values().sum::<u64>(), 20);
    assert!(
        counts.values().filter(|n| **n > 0).count() >= 8,
        "orders in every box but one: {counts:?}"
    );
    let completed = w.all_pages(&token, "/v1/orders?box=completed").await;
    let order_id = completed[0]["order"]["id"].as_str().unwrap();
    let events = w
        .get(&token, &format!("/v1/orders/{order_id}/events"))
        .await;
    let events = events.as_array().unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| e["version"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        (1..=completed[0]["order"]["version"].as_i64().unwrap()).collect::<Vec<_>>()
    );
    assert_eq!(events[0]["action"], "create");
    assert_eq!(events.last().unwrap()["action"], "confirm_receipt");

    // The full initial sync: exactly this buyer's records, each once, in feed order.
    let (changes, cursor, account_version) = w.pull_all(&token, "", 37).await;
    let mut by_kind: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut last_version = 0;
    for c in &changes {
        let version = c["version"].as_i64().unwrap();
        assert!(version >= last_version, "feed order");
        last_version = version;
        assert!(c["record"].is_object(), "no tombstones: {c}");
        assert_eq!(c["record"]["kind"], c["kind"]);
        let fresh = by_kind
            .entry(c["kind"].as_str().unwrap().to_owned())
            .or_default()
            .insert(c["id"].as_str().unwrap().to_owned());
        assert!(fresh, "{} {} twice", c["kind"], c["id"]);
    }
    assert_eq!(changes.len() as u64, buyer.feed_records());
    assert_eq!(account_version, last_version);
    assert_eq!(by_kind["inquiry"], listed);
    assert_eq!(
        by_kind["message"],
        w.ids(
            "SELECT m.id FROM messages m JOIN inquiries i ON i.id = m.inquiry_id WHERE i.buyer_id = $1",
            &me
        )
        .await
    );
    assert_eq!(by_kind["message"].len(), 250);
    assert_eq!(
        by_kind["order"],
        w.ids("SELECT id FROM orders WHERE buyer_id = $1", &me)
            .await
    );
    assert_eq!(by_kind["order"].len(), 20);
    assert_eq!(
        by_kind["payment"],
        w.ids("SELECT id FROM payments WHERE buyer_id = $1", &me)
            .await
    );
    assert_eq!(by_kind["payment"].len() as u64, buyer.payments);
    assert_eq!(by_kind["unread_counts"], BTreeSet::from([me.clone()]));
    let theirs = other.account.id.to_string();
    for sql in [
        "SELECT id FROM inquiries WHERE buyer_id = $1",
        "SELECT id FROM orders WHERE buyer_id = $1",
    ] {
        let their_ids = w.ids(sql, &theirs).await;
        assert!(!their_ids.is_empty());
        assert!(by_kind.values().all(|ids| ids.is_disjoint(&their_ids)));
    }
    // Pulled records are what the REST API shows.
    for c in changes.iter().filter(|c| c["kind"] == "inquiry") {
        let listed = inquiries.iter().find(|i| i["id"] == c["id"]).unwrap();
        assert_eq!(&c["record"]["data"], listed);
    }
    let unread_record = changes
        .iter()
        .find(|c| c["kind"] == "unread_counts")
        .unwrap();
    assert_eq!(unread_record["record"]["data"], totals);

    // The seeded feed is a normal one: reading the thread and pushing a message move the
    // account past every seeded version, and the next pull brings exactly those changes.
    w.post(
        &token,
        &format!("/v1/inquiries/{id}/read"),
        json!({ "up_to": last["id"] }),
    )
    .await;
    let message = uuid::Uuid::now_v7().to_string();
    let pushed = w
        .post(
            &token,
            "/v1/sync/push",
            json!({ "mutations": [{
                "id": uuid::Uuid::now_v7().to_string(), "op": "send_message",
                "inquiry": id, "message": message, "body": "Any news on the samples?"
            }]}),
        )
        .await;
    assert_eq!(pushed["results"][0]["outcome"], "applied", "{pushed}");
    let (after, _, _) = w.pull_all(&token, &cursor, 37).await;
    assert!(
        after
            .iter()
            .all(|c| c["version"].as_i64().unwrap() > account_version)
    );
    assert!(
        after
            .iter()
            .any(|c| c["kind"] == "message" && c["id"] == message.as_str())
    );
    let thread_now = after
        .iter()
        .find(|c| c["kind"] == "inquiry" && c["id"] == id)
        .expect("the inquiry changed");
    assert_eq!(thread_now["record"]["data"]["unread_count"], 0);
    assert_eq!(
        thread_now["record"]["data"]["last_message_preview"],
        "Any news on the samples?"
    );
    let totals_now = w.get(&token, "/v1/unread").await;
    assert_eq!(
        totals_now["total"].as_u64().unwrap(),
        buyer.unread_messages - unread_here as u64
    );

    // A supplier sees both buyers' threads with them.
    let supplier = &w.report.suppliers[0];
    let supplier_token = w.login(&supplier.email).await;
    let first = w.get(&supplier_token, "/v1/sync/pull?limit=10").await;
    let sid = supplier.id.to_string();
    let expected = w.ids("SELECT id FROM inquiries WHERE supplier_id = $1", &sid).await.len()
        + w.ids(
            "SELECT m.id FROM messages m JOIN inquiries i ON i.id = m.inquiry_id WHERE i.supplier_id = $1",
            &sid,
        )
        .await
        .len()
        // each order and its history
        + 2 * w.ids("SELECT id FROM orders WHERE supplier_id = $1", &sid).await.len()
        + w.ids(
            "SELECT p.id FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.supplier_id = $1",
            &sid,
        )
        .await
        .len()
        + 1;
    let total = first["total_estimate"].as_u64().unwrap() as usize;
    assert_eq!(total, expected);
    let supplier_inquiries = w
        .all_pages(&supplier_token, "/v1/inquiries?limit=200")
        .await;
    let buyers_seen: BTreeSet<&str> = supplier_inquiries
        .iter()
        .map(|i| i["buyer"].as_str().unwrap())
        .collect();
    assert_eq!(buyers_seen.len(), 2);

    w.running.shutdown().await;
}

#[tokio::test]
async fn seeded_orders_carry_the_columns_the_store_derives() {
    let w = World::start(SeedOptions {
        buyers: 1,
        inquiries: 3,
        messages_per_inquiry: 1,
        orders: 27,
        ..small_world()
    })
    .await;
    let db = w.running.state.db.pool();
    let rows = sqlx::query(
        "SELECT id, status, buyer_box, supplier_box, version, next_deadline_at, \
         deadline_automatic, has_dispute, created_at, updated_at, doc FROM orders",
    )
    .fetch_all(db)
    .await
    .unwrap();
    assert_eq!(rows.len(), 27);
    let now: Timestamp = SEEDED_AT.parse().unwrap();
    for row in &rows {
        let order: Order = serde_json::from_str(&row.get::<String, _>("doc")).unwrap();
        assert_eq!(row.get::<String, _>("id"), order.id.to_string());
        assert_eq!(row.get::<String, _>("status"), order.status.as_str());
        assert_eq!(
            row.get::<String, _>("buyer_box"),
            order_box(&order, Party::Buyer).as_str()
        );
        assert_eq!(
            row.get::<String, _>("supplier_box"),
            order_box(&order, Party::Supplier).as_str()
        );
        assert_eq!(row.get::<i64, _>("version"), order.version);
        let deadline = order.next_deadline();
        assert_eq!(
            row.get::<Option<i64>, _>("next_deadline_at"),
            deadline.map(|d| d.at.as_millisecond())
        );
        assert_eq!(
            row.get::<i64, _>("deadline_automatic"),
            i64::from(deadline.is_some_and(|d| d.kind.is_automatic()))
        );
        if let Some(d) = deadline.filter(|d| d.kind.is_automatic()) {
            assert!(d.at > now, "nothing is due when the server starts");
        }
        assert_eq!(
            row.get::<i64, _>("has_dispute"),
            i64::from(order.dispute.is_some())
        );
        assert_eq!(
            row.get::<i64, _>("updated_at"),
            order.updated_at.as_millisecond()
        );
        // One event per version, each holding the order as it was then.
        let events = sqlx::query(
            "SELECT version, snapshot FROM order_events WHERE order_id = $1 ORDER BY version",
        )
        .bind(order.id.to_string())
        .fetch_all(db)
        .await
        .unwrap();
        assert_eq!(events.len() as i64, order.version);
        let last: Order =
            serde_json::from_str(&events.last().unwrap().get::<String, _>("snapshot")).unwrap();
        assert_eq!(last, order);
    }
    // Only the inquiries' first messages: nothing unread for the buyer, so no buyer
    // unread totals in the feed, as when the server writes them.
    let buyer = &w.report.buyers[0];
    assert_eq!(buyer.unread_messages, 0);
    let feed: i64 = sqlx::query("SELECT COUNT(*) AS n FROM sync_changes WHERE account_id = $1")
        .bind(buyer.account.id.to_string())
        .fetch_one(db)
        .await
        .unwrap()
        .get("n");
    assert_eq!(feed as u64, buyer.feed_records());
    let versions: i64 = sqlx::query("SELECT version FROM account_versions WHERE account_id = $1")
        .bind(buyer.account.id.to_string())
        .fetch_one(db)
        .await
        .unwrap()
        .get("version");
    let max: i64 = sqlx::query(
        "SELECT CAST(MAX(version) AS BIGINT) AS v FROM sync_changes WHERE account_id = $1",
    )
    .bind(buyer.account.id.to_string())
    .fetch_one(db)
    .await
    .unwrap()
    .get("v");
    assert_eq!(versions, max);
    w.running.shutdown().await;
}

#[test]
fn the_seed_command_prints_the_accounts_and_refuses_to_seed_twice() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_trade-demo"))
            .arg("--data-dir")
            .arg(dir.path())
            .args([
                "seed",
                "--buyers",
                "2",
                "--inquiries",
                "3",
                "--messages-per-inquiry",
                "2",
                "--orders",
                "2",
                "--suppliers",
                "2",
                "--seed",
                "42",
            ])
            .env_remove("TRADE_DATABASE_URL")
            .output()
            .unwrap()
    };
    let first = run();
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(stdout.contains("buyer1.seed42@example.com"), "{stdout}");
    assert!(stdout.contains("buyer2.seed42@example.com"), "{stdout}");
    assert!(stdout.contains(seed::DEFAULT_PASSWORD), "{stdout}");
    let second = run();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("exists already"));
}
