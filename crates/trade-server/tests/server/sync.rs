//! The sync protocol over the real HTTPS API: pull pages equal the server's state,
//! incremental pulls after each kind of change, tombstones, a cursor that never skips
//! a change under concurrent writers, push at most once with typed results, live pokes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{TestServer, User};

/// A change as a page delivered it: kind, id, version.
type Delivered = (String, String, i64);

/// What a client would hold after applying pages: (kind, id) → record (None = removed).
#[derive(Default, Debug)]
struct Replica {
    cursor: String,
    records: BTreeMap<(String, String), Option<Value>>,
    /// Every change the pages delivered, in order.
    delivered: Vec<Delivered>,
}

impl Replica {
    /// Applies one page; returns how many changes it held and whether more remain.
    async fn pull_page(&mut self, s: &TestServer, u: &User, limit: i64) -> (usize, bool) {
        let (status, page) = s
            .get(
                &format!("/v1/sync/pull?cursor={}&limit={limit}", self.cursor),
                u,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let changes = page["changes"].as_array().unwrap();
        self.apply(changes);
        self.cursor = page["next_cursor"].as_str().unwrap().to_owned();
        (changes.len(), page["has_more"].as_bool().unwrap())
    }

    /// Applies pages until none remain; returns how many changes they held.
    async fn pull(&mut self, s: &TestServer, u: &User, limit: i64) -> usize {
        let mut applied = 0;
        loop {
            let (n, more) = self.pull_page(s, u, limit).await;
            applied += n;
            if !more {
                return applied;
            }
        }
    }

    fn apply(&mut self, changes: &[Value]) {
        for c in changes {
            let key = (
                c["kind"].as_str().unwrap().to_owned(),
                c["id"].as_str().unwrap().to_owned(),
            );
            self.delivered
                .push((key.0.clone(), key.1.clone(), c["version"].as_i64().unwrap()));
            self.records
                .insert(key, c.get("record").map(|r| r["data"].clone()));
        }
    }

    /// A first sync from the snapshot walk, `limit` records a page: the cursor ends at
    /// the walk's feed cursor.
    async fn snapshot(&mut self, s: &TestServer, u: &User, limit: i64) {
        assert!(self.cursor.is_empty(), "a snapshot starts an empty replica");
        let mut cursor = String::new();
        loop {
            let (status, page) = s
                .get(
                    &format!("/v1/sync/snapshot?cursor={cursor}&limit={limit}"),
                    u,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            self.apply(page["changes"].as_array().unwrap());
            cursor = page["next_cursor"].as_str().unwrap().to_owned();
            if !page["has_more"].as_bool().unwrap() {
                self.cursor = page["feed_cursor"].as_str().unwrap().to_owned();
                return;
            }
        }
    }

    /// Pulls small pages while the `concurrent_writers` run, so pages interleave with
    /// their commits, then the rest; checks the replica ends equal to the server's state
    /// with all 60 messages. Returns how many pages came while the writers ran.
    async fn pull_beside(
        &mut self,
        s: &TestServer,
        u: &User,
        writers: Vec<tokio::task::JoinHandle<()>>,
    ) -> usize {
        let mut rounds = 0;
        while writers.iter().any(|w| !w.is_finished()) {
            self.pull_page(s, u, 2).await;
            rounds += 1;
            tokio::task::yield_now().await;
        }
        for w in writers {
            w.await.unwrap();
        }
        self.pull(s, u, 3).await;
        assert_converged(s, u, self).await;
        // The world's 10 messages and its quotation's, and the writers' 60.
        assert_eq!(self.live("message").len(), 11 + 60);
        rounds
    }

    fn live(&self, kind: &str) -> BTreeMap<String, Value> {
        self.records
            .iter()
            .filter(|((k, _), v)| k == kind && v.is_some())
            .map(|((_, id), v)| (id.clone(), v.clone().unwrap()))
            .collect()
    }
}

/// The server's state for `u` through the REST API, in the shapes the feed carries.
async fn rest_state(s: &TestServer, u: &User) -> RestState {
    let mut inquiries = BTreeMap::new();
    let mut messages = BTreeMap::new();
    let mut quotations = BTreeMap::new();
    let mut cursor = String::new();
    loop {
        let (_, page) = s
            .get(&format!("/v1/inquiries?limit=7&cursor={cursor}"), u)
            .await;
        for i in page["items"].as_array().unwrap() {
            let id = i["id"].as_str().unwrap().to_owned();
            let (_, thread) = s
                .get(&format!("/v1/inquiries/{id}/messages?limit=200"), u)
                .await;
            for m in thread["items"].as_array().unwrap() {
                messages.insert(m["id"].as_str().unwrap().to_owned(), m.clone());
            }
            let (_, quoted) = s
                .get(&format!("/v1/inquiries/{id}/quotations?limit=200"), u)
                .await;
            for q in quoted["items"].as_array().unwrap() {
                quotations.insert(q["id"].as_str().unwrap().to_owned(), q.clone());
            }
            inquiries.insert(id, i.clone());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    let (_, orders) = s.get("/v1/orders?limit=200", u).await;
    let orders = orders["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["order"]["id"].as_str().unwrap().to_owned(), o.clone()))
        .collect();
    RestState {
        inquiries,
        messages,
        quotations,
        orders,
    }
}

/// The server's state for an account through the REST API, by record id.
struct RestState {
    inquiries: BTreeMap<String, Value>,
    messages: BTreeMap<String, Value>,
    quotations: BTreeMap<String, Value>,
    orders: BTreeMap<String, Value>,
}

fn strip_actions(mut v: BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    for o in v.values_mut() {
        // Derived from the clock at read time, not stored state.
        o.as_object_mut().unwrap().remove("available_actions");
    }
    v
}

async fn assert_converged(s: &TestServer, u: &User, replica: &Replica) {
    let rest = rest_state(s, u).await;
    assert_eq!(replica.live("inquiry"), rest.inquiries, "inquiries");
    assert_eq!(replica.live("message"), rest.messages, "messages");
    assert_eq!(replica.live("quotation"), rest.quotations, "quotations");
    assert!(!rest.quotations.is_empty(), "the world has a quotation");
    assert_eq!(
        strip_actions(replica.live("order")),
        strip_actions(rest.orders),
        "orders"
    );
    let (_, unread) = s.get("/v1/unread", u).await;
    assert_eq!(
        replica.live("unread_counts").get(&u.id),
        Some(&unread),
        "unread counts"
    );
}

async fn world(s: &TestServer) -> (User, User, String) {
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let mut first = String::new();
    for n in 0..5 {
        let inquiry = s
            .ok("/v1/inquiries", &buyer, json!({ "supplier": supplier.id, "product": format!("Product {n}"), "message": "Price?" }))
            .await;
        let id = inquiry["id"].as_str().unwrap().to_owned();
        s.ok(
            &format!("/v1/inquiries/{id}/messages"),
            &supplier,
            json!({ "body": format!("USD {n}.00") }),
        )
        .await;
        if n == 0 {
            // A quotation too: its own record and a message that carries it.
            s.ok(
                &format!("/v1/inquiries/{id}/quotations"),
                &supplier,
                json!({
                    "inquiry": id, "product": "Product 0",
                    "tiers": [{ "min_quantity": 100, "unit_price_minor": 500 },
                              { "min_quantity": 1000, "unit_price_minor": 450 }],
                    "currency": "EUR", "moq": 100, "lead_time_days": 20,
                    "incoterm": "CIF", "named_place": "Hamburg",
                    "valid_until": s.date_in(30), "notes": "Per carton of 10."
                }),
            )
            .await;
            first = id;
        }
    }
    s.ok("/v1/orders", &buyer, json!({ "counterparty": supplier.id, "origin": "template", "terms": s.terms(&[("Product 0", 10, 500)], None) }))
        .await;
    (buyer, supplier, first)
}

#[tokio::test]
async fn initial_sync_equals_the_server_state_and_incremental_pulls_follow_every_change() {
    let s = TestServer::start().await;
    let (buyer, supplier, inquiry) = world(&s).await;
    let mut replica = Replica::default();
    let (_, first_page) = s.get("/v1/sync/pull?limit=4", &buyer).await;
    assert!(
        first_page["total_estimate"].as_i64().unwrap() >= 17,
        "{first_page}"
    );
    replica.pull(&s, &buyer, 4).await;
    assert_converged(&s, &buyer, &replica).await;
    assert_eq!(replica.pull(&s, &buyer, 4).await, 0, "nothing new");

    // A message from the supplier: the message, the inquiry and the unread counts.
    let m = s
        .ok(
            &format!("/v1/inquiries/{inquiry}/messages"),
            &supplier,
            json!({ "body": "New price list attached." }),
        )
        .await;
    let n = replica.pull(&s, &buyer, 4).await;
    assert_eq!(n, 3, "message, inquiry, unread counts");
    assert_converged(&s, &buyer, &replica).await;
    // Read state: the buyer reads; the supplier's copy of the message shows it read.
    let mut supplier_replica = Replica::default();
    supplier_replica.pull(&s, &supplier, 50).await;
    s.ok(
        &format!("/v1/inquiries/{inquiry}/read"),
        &buyer,
        json!({ "up_to": m["id"] }),
    )
    .await;
    supplier_replica.pull(&s, &supplier, 50).await;
    assert_eq!(
        supplier_replica.live("message")[m["id"].as_str().unwrap()]["read"],
        true
    );
    replica.pull(&s, &buyer, 4).await;
    assert_converged(&s, &buyer, &replica).await;

    // A quotation: the quotation, the message that carries it, the inquiry and the
    // unread counts; the supplier's feed has it too.
    let (_, quoted) = s
        .get(&format!("/v1/inquiries/{inquiry}/quotations"), &buyer)
        .await;
    let mut again = quoted["items"][0].clone();
    again["valid_until"] = json!(s.date_in(10));
    let q = s
        .ok(
            &format!("/v1/inquiries/{inquiry}/quotations"),
            &supplier,
            again,
        )
        .await;
    let q_id = q["id"].as_str().unwrap();
    assert_eq!(
        replica.pull(&s, &buyer, 4).await,
        4,
        "quotation, message, inquiry, unread counts"
    );
    assert_eq!(replica.live("quotation")[q_id], q);
    assert_converged(&s, &buyer, &replica).await;
    supplier_replica.pull(&s, &supplier, 50).await;
    assert_eq!(supplier_replica.live("quotation")[q_id], q);
    assert_converged(&s, &supplier, &supplier_replica).await;

    // Order changes, a payment, a document.
    let (_, orders) = s.get("/v1/orders", &buyer).await;
    let order = orders["items"][0]["order"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.send(
        Method::POST,
        &format!("/v1/orders/{order}/confirm"),
        Some(&supplier.token),
        None,
        &[("if-match", "\"1\"")],
    )
    .await;
    s.ok(
        &format!("/v1/orders/{order}/payments"),
        &buyer,
        json!({ "method": "telegraphic_transfer", "amount_minor": 5000 }),
    )
    .await;
    let (_, doc) = s
        .upload(&buyer, "packing-list.txt", b"20 cartons\n".to_vec())
        .await;
    replica.pull(&s, &buyer, 4).await;
    assert_converged(&s, &buyer, &replica).await;
    assert_eq!(
        replica.live("order")[&order]["order"]["status"],
        "payment_processing"
    );
    let payments = replica.live("payment");
    assert_eq!(payments.len(), 1);
    assert_eq!(
        payments.values().next().unwrap()["method"],
        "telegraphic_transfer"
    );
    let doc_id = doc["id"].as_str().unwrap().to_owned();
    assert_eq!(
        replica.live("document")[&doc_id]["file_name"],
        "packing-list.txt"
    );

    // Tombstone: deleting an unshared upload removes it from the replica.
    let (status, _) = s
        .send(
            Method::DELETE,
            &format!("/v1/documents/{doc_id}"),
            Some(&buyer.token),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    replica.pull(&s, &buyer, 4).await;
    assert_eq!(
        replica.records[&("document".to_owned(), doc_id)],
        None,
        "a tombstone"
    );
    // The supplier's feed never carried the buyer's private upload.
    supplier_replica.pull(&s, &supplier, 50).await;
    assert!(supplier_replica.live("document").is_empty());
    s.running.shutdown().await;
}

/// A page holds many orders, their histories and their payments, each read for the
/// page at once: each is what the REST API shows its reader, and another buyer's orders
/// with the same supplier never reach a buyer, in the feed or in the walk.
#[tokio::test]
async fn a_page_of_many_orders_histories_and_payments_holds_each_as_its_reader_sees_it() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let other = s.register("buyer", "Bo Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let mut mine = Vec::new();
    for n in 0..6u64 {
        let who = if n % 3 == 2 { &other } else { &buyer };
        let order = s
            .ok("/v1/orders", who, json!({ "counterparty": supplier.id, "origin": "template", "terms": s.terms(&[(&format!("Product {n}"), 10 + n, 500)], None) }))
            .await;
        let id = order["order"]["id"].as_str().unwrap().to_owned();
        if n % 2 == 0 {
            // Confirmed and paid: two more events and a payment.
            s.send(
                Method::POST,
                &format!("/v1/orders/{id}/confirm"),
                Some(&supplier.token),
                None,
                &[("if-match", "\"1\"")],
            )
            .await;
            s.ok(
                &format!("/v1/orders/{id}/payments"),
                who,
                json!({ "method": "telegraphic_transfer", "amount_minor": (10 + n) * 500 }),
            )
            .await;
        }
        if std::ptr::eq(who, &buyer) {
            mine.push(id);
        }
    }
    for (reader, expected) in [(&buyer, 4), (&supplier, 6)] {
        for walk in [false, true] {
            let mut replica = Replica::default();
            if walk {
                replica.snapshot(&s, reader, 1000).await;
            } else {
                replica.pull(&s, reader, 1000).await;
            }
            let orders = replica.live("order");
            let histories = replica.live("order_history");
            let payments = replica.live("payment");
            assert_eq!(orders.len(), expected, "walk {walk}");
            assert_eq!(histories.len(), expected, "walk {walk}");
            if std::ptr::eq(reader, &buyer) {
                let ids: BTreeSet<&String> = orders.keys().collect();
                assert_eq!(ids, mine.iter().collect(), "only the buyer's own orders");
            }
            for (id, order) in &orders {
                let (_, rest) = s.get(&format!("/v1/orders/{id}"), reader).await;
                assert_eq!(
                    strip_actions(BTreeMap::from([(id.clone(), order.clone())])),
                    strip_actions(BTreeMap::from([(id.clone(), rest)])),
                    "walk {walk}"
                );
                let (_, events) = s.get(&format!("/v1/orders/{id}/events"), reader).await;
                let versions: Vec<&Value> = histories[id]["entries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| &e["event"]["version"])
                    .collect();
                let rest_versions: Vec<&Value> = events
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| &e["version"])
                    .collect();
                assert_eq!(versions, rest_versions, "history of {id}, walk {walk}");
                let (_, paid) = s.get(&format!("/v1/orders/{id}/payments"), reader).await;
                for p in paid.as_array().unwrap() {
                    assert_eq!(&payments[p["id"].as_str().unwrap()], p, "walk {walk}");
                }
            }
            assert_eq!(payments.len(), expected / 2, "walk {walk}");
        }
    }
    s.running.shutdown().await;
}

#[tokio::test]
async fn a_reader_paging_during_concurrent_writes_ends_with_exactly_the_server_state() {
    let s = Arc::new(TestServer::start().await);
    let (buyer, supplier, _) = world(&s).await;
    let inquiries = inquiry_ids(&s, &buyer).await;
    let writers = concurrent_writers(&s, &buyer, &supplier, &inquiries);
    let mut replica = Replica::default();
    let rounds = replica.pull_beside(&s, &buyer, writers).await;
    assert!(rounds > 1, "the reader paged while writers ran");
}

/// Writers send messages and read markers as a supplier and as the buyer, 60 messages in
/// all; they run until joined.
fn concurrent_writers(
    s: &Arc<TestServer>,
    buyer: &User,
    supplier: &User,
    inquiries: &[String],
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..4)
        .map(|w| {
            let (s, buyer, supplier, inquiries) = (
                s.clone(),
                buyer.clone(),
                supplier.clone(),
                inquiries.to_vec(),
            );
            tokio::spawn(async move {
                for n in 0..15 {
                    let inquiry = &inquiries[(w + n) % inquiries.len()];
                    let author = if n % 2 == 0 { &supplier } else { &buyer };
                    let m = s
                        .ok(
                            &format!("/v1/inquiries/{inquiry}/messages"),
                            author,
                            json!({ "body": format!("w{w} n{n}") }),
                        )
                        .await;
                    if n % 3 == 0 {
                        let reader = if n % 2 == 0 { &buyer } else { &supplier };
                        s.ok(
                            &format!("/v1/inquiries/{inquiry}/read"),
                            reader,
                            json!({ "up_to": m["id"] }),
                        )
                        .await;
                    }
                }
            })
        })
        .collect()
}

async fn inquiry_ids(s: &TestServer, u: &User) -> Vec<String> {
    let (_, page) = s.get("/v1/inquiries", u).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_first_sync_from_the_snapshot_starts_with_the_newest_and_ends_with_the_server_state() {
    let s = TestServer::start().await;
    let (buyer, supplier, _) = world(&s).await;
    let newest = s
        .ok(
            "/v1/inquiries",
            &buyer,
            json!({ "supplier": supplier.id, "product": "Newest product", "message": "Price for 2,000?" }),
        )
        .await;
    let (_, first) = s.get("/v1/sync/snapshot?limit=4", &buyer).await;
    let newest_id = newest["id"].as_str().unwrap();
    let first_page: Vec<(&str, &str)> = first["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["kind"].as_str().unwrap(), c["id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        &first_page[..2],
        &[("unread_counts", buyer.id.as_str()), ("inquiry", newest_id)],
        "the unread counts and the newest inquiry come first"
    );
    assert!(first["total_estimate"].as_i64().unwrap() >= 19, "{first}");

    let mut replica = Replica::default();
    replica.snapshot(&s, &buyer, 4).await;
    // Kind by kind (the inbox, then the threads, then orders), newest first in each.
    let kinds: Vec<&str> = replica.delivered.iter().map(|d| d.0.as_str()).collect();
    let mut runs = kinds.clone();
    runs.dedup();
    assert_eq!(
        runs,
        [
            "unread_counts",
            "inquiry",
            "message",
            "quotation",
            "order",
            "order_history"
        ]
    );
    assert!(
        replica
            .delivered
            .windows(2)
            .all(|w| w[0].0 != w[1].0 || w[0].2 >= w[1].2),
        "most recently changed first: {:?}",
        replica.delivered
    );
    let first_message = replica.delivered.iter().find(|d| d.0 == "message").unwrap();
    assert_eq!(
        replica.live("message")[&first_message.1]["inquiry"],
        newest_id,
        "the newest message first"
    );
    assert_converged(&s, &buyer, &replica).await;
    assert_eq!(
        replica.pull(&s, &buyer, 4).await,
        0,
        "the feed has nothing newer"
    );

    // After the switch the feed brings each change, as it does after a pulled first sync.
    s.ok(
        &format!("/v1/inquiries/{}/messages", newest["id"].as_str().unwrap()),
        &supplier,
        json!({ "body": "USD 5.80 at 2,000 pieces." }),
    )
    .await;
    assert_eq!(
        replica.pull(&s, &buyer, 4).await,
        3,
        "message, inquiry, unread counts"
    );
    assert_converged(&s, &buyer, &replica).await;

    for bad in ["x", "12:", "12:3", "12:3.nothing.1", "-1", "1:2.message"] {
        let (status, body) = s
            .get(&format!("/v1/sync/snapshot?cursor={bad}"), &buyer)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["code"], "sync.bad_cursor", "{bad}");
    }
    s.running.shutdown().await;
}

#[tokio::test]
async fn a_snapshot_walked_during_concurrent_writes_hands_over_to_the_feed_missing_and_repeating_nothing()
 {
    let s = Arc::new(TestServer::start().await);
    let (buyer, supplier, _) = world(&s).await;
    let inquiries = inquiry_ids(&s, &buyer).await;
    let writers = concurrent_writers(&s, &buyer, &supplier, &inquiries);
    let mut replica = Replica::default();
    // Small pages, so the walk interleaves with the writers' commits.
    replica.snapshot(&s, &buyer, 2).await;
    let rounds = replica.pull_beside(&s, &buyer, writers).await;
    assert!(rounds > 0, "the feed was pulled while writers ran");
    let mut seen = std::collections::BTreeSet::new();
    for d in &replica.delivered {
        assert!(seen.insert(d), "{d:?} came twice across the switch");
    }
}

fn mutation(id: &str, op: Value) -> Value {
    let mut m = op;
    m["id"] = json!(id);
    m
}

#[tokio::test]
async fn pushed_mutations_apply_at_most_once_and_rejections_carry_their_reason() {
    let s = TestServer::start().await;
    let (buyer, supplier, inquiry) = world(&s).await;
    let ids: Vec<String> = (0..3).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let message_id = uuid::Uuid::now_v7().to_string();
    let order_id = uuid::Uuid::now_v7().to_string();
    let batch = json!({ "mutations": [
        mutation(&ids[0], json!({ "op": "send_message", "inquiry": inquiry, "message": message_id, "body": "Written offline." })),
        mutation(&ids[1], json!({ "op": "submit_order", "order": order_id, "request": {
            "counterparty": supplier.id, "origin": "template", "terms": s.terms(&[("Lamp", 4, 2500)], None) } })),
        mutation(&ids[2], json!({ "op": "order_step", "order": order_id, "action": { "action": "cancel", "reason": "Changed my mind." } })),
    ]});
    let (status, first) = s.post("/v1/sync/push", &buyer, batch.clone()).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let results = first["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r["outcome"] == "applied"), "{first}");
    assert_eq!(results[1]["order_version"], 1);
    assert_eq!(results[2]["order_version"], 2);
    // The same batch again (a retry after a lost response): the same results, no effect.
    let (_, again) = s.post("/v1/sync/push", &buyer, batch).await;
    assert_eq!(first, again);
    let (_, thread) = s
        .get(&format!("/v1/inquiries/{inquiry}/messages"), &buyer)
        .await;
    let offline: Vec<_> = thread["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["body"] == "Written offline.")
        .collect();
    assert_eq!(offline.len(), 1, "one message");
    assert_eq!(
        offline[0]["id"],
        message_id.as_str(),
        "under the client's id"
    );
    let (_, order) = s.get(&format!("/v1/orders/{order_id}"), &buyer).await;
    assert_eq!(order["order"]["status"], "cancelled");

    // Rejections: confirming an order the supplier has just modified; a card payment
    // (never queued); a stranger's order. Each with its reason, nothing applied.
    let made = s.ok("/v1/orders", &supplier, json!({ "counterparty": buyer.id, "origin": "template", "terms": s.terms(&[("Desk", 2, 9000)], None) })).await;
    let other = made["order"]["id"].as_str().unwrap().to_owned();
    s.send(
        Method::PUT,
        &format!("/v1/orders/{other}/terms"),
        Some(&supplier.token),
        Some(json!({ "terms": s.terms(&[("Desk", 3, 9000)], None) })),
        &[("if-match", "\"1\"")],
    )
    .await;
    let stranger = s.register("buyer", "Bob Stranger").await;
    let (_, stranger_order) = s.post("/v1/orders", &stranger, json!({ "counterparty": supplier.id, "origin": "template", "terms": s.terms(&[("Chair", 1, 100)], None) })).await;
    let rejected = json!({ "mutations": [
        mutation(&uuid::Uuid::now_v7().to_string(), json!({ "op": "order_step", "order": other, "action": { "action": "confirm", "version": 1 } })),
        mutation(&uuid::Uuid::now_v7().to_string(), json!({ "op": "order_step", "order": other, "action": { "action": "begin_payment", "payment_id": uuid::Uuid::now_v7(), "method": "card", "amount_minor": 27000 } })),
        mutation(&uuid::Uuid::now_v7().to_string(), json!({ "op": "order_step", "order": stranger_order["order"]["id"], "action": { "action": "cancel", "reason": "" } })),
    ]});
    let (_, out) = s.post("/v1/sync/push", &buyer, rejected).await;
    let codes: Vec<&str> = out["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap_or("applied"))
        .collect();
    assert_eq!(
        codes,
        [
            "order.version_conflict",
            "payment.card_needs_connection",
            "not_found"
        ],
        "{out}"
    );
    assert_eq!(out["results"][0]["details"]["current_version"], 2);
    let (_, still) = s.get(&format!("/v1/orders/{other}"), &buyer).await;
    assert_eq!(
        still["box"], "waiting_for_me",
        "the rejected confirmation changed nothing"
    );
    s.running.shutdown().await;
}

/// `stranger` asks `supplier` about a desk: the inquiry's id and its first message's id
/// (ids another account's records hold).
async fn their_inquiry(s: &TestServer, stranger: &User, supplier: &User) -> (String, String) {
    let theirs = s
        .ok(
            "/v1/inquiries",
            stranger,
            json!({ "supplier": supplier.id, "product": "Desk", "message": "Hi" }),
        )
        .await;
    let inquiry = theirs["id"].as_str().unwrap().to_owned();
    let (_, thread) = s
        .get(&format!("/v1/inquiries/{inquiry}/messages"), stranger)
        .await;
    let message = thread["items"][0]["id"].as_str().unwrap().to_owned();
    (inquiry, message)
}

/// The inquiry `their_inquiry` made still holds only its first message, as it was.
async fn assert_untouched(s: &TestServer, stranger: &User, their_inquiry: &str) {
    let (_, still) = s
        .get(&format!("/v1/inquiries/{their_inquiry}/messages"), stranger)
        .await;
    assert_eq!(still["items"].as_array().unwrap().len(), 1, "{still}");
    assert_eq!(still["items"][0]["body"], "Hi");
}

#[tokio::test]
async fn a_reused_or_colliding_mutation_id_is_refused_per_mutation_and_changes_nothing() {
    let s = TestServer::start().await;
    let (buyer, supplier, inquiry) = world(&s).await;
    let stranger = s.register("buyer", "Bob Stranger").await;
    let id = uuid::Uuid::now_v7().to_string();
    let message = |m: &str, body: &str| json!({ "op": "send_message", "inquiry": inquiry, "message": m, "body": body });
    let first_message = uuid::Uuid::now_v7().to_string();
    let (status, first) = s
        .post(
            "/v1/sync/push",
            &buyer,
            json!({ "mutations": [mutation(&id, message(&first_message, "First."))] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["results"][0]["outcome"], "applied", "{first}");

    // The same id with another change: refused, not answered with the first's result.
    let other_message = uuid::Uuid::now_v7().to_string();
    let (status, reused) = s
        .post(
            "/v1/sync/push",
            &buyer,
            json!({ "mutations": [mutation(&id, message(&other_message, "Second."))] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reused}");
    assert_eq!(reused["results"][0]["outcome"], "rejected", "{reused}");
    assert_eq!(reused["results"][0]["code"], "sync.mutation_id_reused");
    // The first change under it still replays.
    let (_, again) = s
        .post(
            "/v1/sync/push",
            &buyer,
            json!({ "mutations": [mutation(&id, message(&first_message, "First."))] }),
        )
        .await;
    assert_eq!(again, first);

    // Ids that another account's records hold: a message, an inquiry, an order. Each a
    // refusal with its code (never a 500), and the other records are untouched.
    let (their_inquiry, their_message) = their_inquiry(&s, &stranger, &supplier).await;
    let (_, their_order) = s
        .post(
            "/v1/orders",
            &stranger,
            json!({ "counterparty": supplier.id, "origin": "template",
                    "terms": s.terms(&[("Chair", 1, 100)], None) }),
        )
        .await;
    let their_order = their_order["order"]["id"].as_str().unwrap().to_owned();
    let colliding = json!({ "mutations": [
        mutation(&uuid::Uuid::now_v7().to_string(), message(&their_message, "Mine now?")),
        mutation(&uuid::Uuid::now_v7().to_string(), json!({ "op": "open_inquiry",
            "inquiry": their_inquiry, "supplier": supplier.id, "product": "Lamp",
            "message": uuid::Uuid::now_v7(), "body": "Hello" })),
        mutation(&uuid::Uuid::now_v7().to_string(), json!({ "op": "submit_order",
            "order": their_order, "request": { "counterparty": supplier.id,
            "origin": "template", "terms": s.terms(&[("Lamp", 4, 2500)], None) } })),
    ]});
    let (status, out) = s.post("/v1/sync/push", &buyer, colliding).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    for result in out["results"].as_array().unwrap() {
        assert_eq!(result["outcome"], "rejected", "{out}");
        assert!(
            ["record.id_taken", "order.exists", "not_found"]
                .contains(&result["code"].as_str().unwrap()),
            "{out}"
        );
    }
    assert_untouched(&s, &stranger, &their_inquiry).await;
    let (_, order) = s.get(&format!("/v1/orders/{their_order}"), &stranger).await;
    assert_eq!(order["order"]["terms"]["lines"][0]["product"], "Chair");
    s.running.shutdown().await;
}

/// A batch is applied in one transaction, each mutation inside a savepoint: a refused
/// mutation leaves nothing of what it did before it failed (here an inquiry opened with
/// a first message whose id is taken), the mutations around it stay applied, a mutation
/// repeated inside the batch answers as it did the first time, and a pull afterwards
/// equals the server's state.
#[tokio::test]
async fn a_batch_keeps_what_succeeds_around_its_refusals_and_repeats() {
    let s = TestServer::start().await;
    let (buyer, supplier, inquiry) = world(&s).await;
    let mut replica = Replica::default();
    replica.pull(&s, &buyer, 50).await;
    let stranger = s.register("buyer", "Bob Stranger").await;
    let (their_inquiry, their_message) = their_inquiry(&s, &stranger, &supplier).await;

    let message = |m: &str, body: &str| json!({ "op": "send_message", "inquiry": inquiry, "message": m, "body": body });
    let (first, second, reused) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    let (a, b) = (
        uuid::Uuid::now_v7().to_string(),
        uuid::Uuid::now_v7().to_string(),
    );
    let half_opened = uuid::Uuid::now_v7().to_string();
    let batch = json!({ "mutations": [
        mutation(&first.to_string(), message(&a, "A, written offline.")),
        mutation(&uuid::Uuid::now_v7().to_string(), json!({ "op": "open_inquiry",
            "inquiry": half_opened, "supplier": supplier.id, "product": "Lamp",
            "message": their_message, "body": "Hello" })),
        mutation(&first.to_string(), message(&a, "A, written offline.")),
        mutation(&second.to_string(), message(&b, "B, written offline.")),
        mutation(&first.to_string(), message(&reused.to_string(), "Not A.")),
    ]});
    let (status, out) = s.post("/v1/sync/push", &buyer, batch).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let results = out["results"].as_array().unwrap();
    assert_eq!(results[0]["outcome"], "applied", "{out}");
    assert_eq!(results[1]["outcome"], "rejected", "{out}");
    assert_eq!(results[1]["code"], "record.id_taken", "{out}");
    assert_eq!(
        results[2], results[0],
        "the repeat answers as the first did"
    );
    assert_eq!(results[3]["outcome"], "applied", "{out}");
    assert_eq!(
        results[3]["account_version"], results[0]["account_version"],
        "a batch enters the feed at one version: {out}"
    );
    assert!(results[0]["account_version"].as_i64() > Some(0), "{out}");
    assert_eq!(results[4]["code"], "sync.mutation_id_reused", "{out}");

    // Nothing of the refused mutation: no inquiry, and the other buyer's message as it was.
    let (status, _) = s.get(&format!("/v1/inquiries/{half_opened}"), &buyer).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_untouched(&s, &stranger, &their_inquiry).await;
    let (_, thread) = s
        .get(
            &format!("/v1/inquiries/{inquiry}/messages?limit=200"),
            &buyer,
        )
        .await;
    let bodies: Vec<&str> = thread["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body"].as_str())
        .filter(|b| b.contains("written offline") || *b == "Not A.")
        .collect();
    assert_eq!(bodies.len(), 2, "A and B once each: {bodies:?}");
    replica.pull(&s, &buyer, 50).await;
    assert_converged(&s, &buyer, &replica).await;
    s.running.shutdown().await;
}

/// A message is written with its inquiry's new preview and the recipient's unread count
/// (the inquiry first, then the message). A refused message (its id taken, an attachment
/// that is not the sender's) leaves the inquiry as it was, pushed in a batch (its
/// savepoint, with the mutations around it kept) or posted alone (its transaction).
#[tokio::test]
async fn a_refused_message_leaves_its_inquiry_preview_and_unread_count_as_they_were() {
    let s = TestServer::start().await;
    let (buyer, supplier, inquiry) = world(&s).await;
    let stranger = s.register("buyer", "Bob Stranger").await;
    let (_, their_message) = their_inquiry(&s, &stranger, &supplier).await;
    let as_supplier = || async {
        let (status, seen) = s.get(&format!("/v1/inquiries/{inquiry}"), &supplier).await;
        assert_eq!(status, StatusCode::OK, "{seen}");
        (
            seen["last_message_preview"].as_str().unwrap().to_owned(),
            seen["unread_count"].as_i64().unwrap(),
        )
    };
    let (_, unread_before) = as_supplier().await;
    let not_theirs = uuid::Uuid::now_v7().to_string();
    let message = |m: String, body: &str, attachments: &[&str]| {
        json!({ "op": "send_message", "inquiry": inquiry, "message": m, "body": body,
                "attachments": attachments })
    };
    let new_id = || uuid::Uuid::now_v7().to_string();
    let batch = json!({ "mutations": [
        mutation(&new_id(), message(new_id(), "Kept: the carton size.", &[])),
        mutation(&new_id(), message(their_message.clone(), "Refused: the id is taken.", &[])),
        mutation(&new_id(), message(new_id(), "Refused: not my file.", &[&not_theirs])),
        mutation(&new_id(), message(new_id(), "Kept too: the colour.", &[])),
        mutation(&new_id(), message(their_message.clone(), "Refused last.", &[])),
    ]});
    let (status, out) = s.post("/v1/sync/push", &buyer, batch).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let outcomes: Vec<(&str, &str)> = out["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["outcome"].as_str().unwrap(),
                r["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("applied", ""),
            ("rejected", "record.id_taken"),
            ("rejected", "document.not_found"),
            ("applied", ""),
            ("rejected", "record.id_taken"),
        ],
        "{out}"
    );
    assert_eq!(
        as_supplier().await,
        ("Kept too: the colour.".to_owned(), unread_before + 2),
        "only the two applied messages show in the inquiry"
    );

    // Posted alone: refused, and nothing of it stays.
    let (status, refused) = s
        .post(
            &format!("/v1/inquiries/{inquiry}/messages"),
            &buyer,
            json!({ "body": "Refused: not my file either.", "attachments": [not_theirs] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["code"], "document.not_found", "{refused}");
    assert_eq!(
        as_supplier().await,
        ("Kept too: the colour.".to_owned(), unread_before + 2)
    );
    let thread = bodies(&s, &buyer, &inquiry).await;
    assert!(
        !thread.iter().any(|b| b.starts_with("Refused")),
        "{thread:?}"
    );

    // Not a party: no such inquiry. Closed (no route closes one yet; an operator's
    // change in the database): refused as closed. Neither leaves a trace.
    let (_, stranger_out) = s
        .post(
            "/v1/sync/push",
            &stranger,
            json!({ "mutations": [mutation(&new_id(), message(new_id(), "Refused: not mine.", &[]))] }),
        )
        .await;
    assert_eq!(
        stranger_out["results"][0]["code"], "not_found",
        "{stranger_out}"
    );
    sqlx::query("UPDATE inquiries SET status = 'closed' WHERE id = $1")
        .bind(&inquiry)
        .execute(s.running.state.db.pool())
        .await
        .unwrap();
    let (_, closed_out) = s
        .post(
            "/v1/sync/push",
            &buyer,
            json!({ "mutations": [mutation(&new_id(), message(new_id(), "Refused: closed.", &[]))] }),
        )
        .await;
    assert_eq!(
        closed_out["results"][0]["code"], "inquiry.closed",
        "{closed_out}"
    );
    let (status, closed) = s
        .post(
            &format!("/v1/inquiries/{inquiry}/messages"),
            &buyer,
            json!({ "body": "Refused: closed." }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{closed}");
    assert_eq!(closed["code"], "inquiry.closed", "{closed}");
    assert_eq!(
        as_supplier().await,
        ("Kept too: the colour.".to_owned(), unread_before + 2)
    );
    s.running.shutdown().await;
}

/// Consecutive text messages in a batch are written together (a few statements for the
/// run, not two a message), and land as posted one by one would: each inquiry's preview
/// is its last message (trimmed), the recipient's unread count grows by its messages,
/// each message is in its thread once, on either side. A refusal in the middle of a run
/// (an inquiry the sender is no party of, a body too long) refuses that message only.
#[tokio::test]
async fn messages_pushed_together_land_as_if_posted_one_by_one() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    let stranger = s.register("buyer", "Bob Stranger").await;
    let (not_mine, _) = their_inquiry(&s, &stranger, &supplier).await;
    let mut inquiries = Vec::new();
    for product in ["Lamp", "Desk", "Chair"] {
        let opened = s
            .ok(
                "/v1/inquiries",
                &buyer,
                json!({ "supplier": supplier.id, "product": product, "message": "Price?" }),
            )
            .await;
        inquiries.push(opened["id"].as_str().unwrap().to_owned());
    }
    let (a, b, c) = (&inquiries[0], &inquiries[1], &inquiries[2]);
    let new_id = || uuid::Uuid::now_v7().to_string();
    let message = |inquiry: &str, body: &str| {
        mutation(
            &new_id(),
            json!({ "op": "send_message", "inquiry": inquiry, "message": new_id(), "body": body }),
        )
    };
    let outcomes = |out: &Value| -> Vec<String> {
        out["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{}{}",
                    r["outcome"].as_str().unwrap(),
                    r["code"]
                        .as_str()
                        .map(|c| format!(" {c}"))
                        .unwrap_or_default()
                )
            })
            .collect()
    };
    let (_, supplier_a) = seen(&s, &supplier, a).await;
    let (_, supplier_b) = seen(&s, &supplier, b).await;
    let (_, supplier_c) = seen(&s, &supplier, c).await;

    let too_long = "x".repeat(10_001);
    let batch = json!({ "mutations": [
        message(a, "A1: the carton size?"),
        message(b, "B1: the colour?"),
        message(a, "A2: and the pallet?"),
        message(&not_mine, "Refused: not my inquiry."),
        message(c, "C1: lead time?"),
        message(a, &too_long),
        message(a, "  A3: thanks.  "),
        message(b, "B2: blue, please."),
    ]});
    let (status, out) = s.post("/v1/sync/push", &buyer, batch).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(
        outcomes(&out),
        [
            "applied",
            "applied",
            "applied",
            "rejected not_found",
            "applied",
            "rejected message.bad_length",
            "applied",
            "applied"
        ],
        "{out}"
    );
    assert_eq!(
        seen(&s, &supplier, a).await,
        ("A3: thanks.".to_owned(), supplier_a + 3)
    );
    assert_eq!(
        seen(&s, &supplier, b).await,
        ("B2: blue, please.".to_owned(), supplier_b + 2)
    );
    assert_eq!(
        seen(&s, &supplier, c).await,
        ("C1: lead time?".to_owned(), supplier_c + 1)
    );

    // A run without refusals, the other way: the supplier's messages count for the buyer.
    let (_, buyer_a) = seen(&s, &buyer, a).await;
    let (_, buyer_b) = seen(&s, &buyer, b).await;
    let batch = json!({ "mutations": [
        message(b, "B: navy or royal?"),
        message(a, "A: 40 per carton."),
        message(b, "B: navy it is."),
    ]});
    let (status, out) = s.post("/v1/sync/push", &supplier, batch).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(outcomes(&out), ["applied", "applied", "applied"], "{out}");
    assert_eq!(
        seen(&s, &buyer, a).await,
        ("A: 40 per carton.".to_owned(), buyer_a + 1)
    );
    assert_eq!(
        seen(&s, &buyer, b).await,
        ("B: navy it is.".to_owned(), buyer_b + 2)
    );

    // Each thread holds its messages once, trimmed, and nothing refused.
    assert_eq!(
        bodies(&s, &buyer, a).await,
        [
            "A1: the carton size?",
            "A2: and the pallet?",
            "A3: thanks.",
            "A: 40 per carton.",
            "Price?"
        ]
    );
    assert_eq!(
        bodies(&s, &buyer, b).await,
        [
            "B1: the colour?",
            "B2: blue, please.",
            "B: navy it is.",
            "B: navy or royal?",
            "Price?"
        ]
    );
    assert_eq!(bodies(&s, &buyer, c).await, ["C1: lead time?", "Price?"]);
    assert_untouched(&s, &stranger, &not_mine).await;

    // The pushed messages reach a replica through the feed, as posted ones do.
    for viewer in [&buyer, &supplier] {
        let mut replica = Replica::default();
        replica.pull(&s, viewer, 50).await;
        let rest = rest_state(&s, viewer).await;
        assert_eq!(replica.live("inquiry"), rest.inquiries, "inquiries");
        assert_eq!(replica.live("message"), rest.messages, "messages");
        let (_, unread) = s.get("/v1/unread", viewer).await;
        assert_eq!(replica.live("unread_counts").get(&viewer.id), Some(&unread));
    }
    s.running.shutdown().await;
}

/// (preview, unread count) of an inquiry as `viewer` sees it.
async fn seen(s: &TestServer, viewer: &User, inquiry: &str) -> (String, i64) {
    let (status, seen) = s.get(&format!("/v1/inquiries/{inquiry}"), viewer).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    (
        seen["last_message_preview"].as_str().unwrap().to_owned(),
        seen["unread_count"].as_i64().unwrap(),
    )
}

/// The bodies of an inquiry's messages, sorted.
async fn bodies(s: &TestServer, viewer: &User, inquiry: &str) -> Vec<String> {
    let (_, thread) = s
        .get(
            &format!("/v1/inquiries/{inquiry}/messages?limit=200"),
            viewer,
        )
        .await;
    let mut bodies: Vec<String> = thread["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    bodies.sort();
    bodies
}

/// Reads SSE events from a streaming response until `want` or the deadline.
async fn next_event(
    stream: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    buf: &mut String,
    want: &str,
) -> Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut event = "message";
            let mut data = "";
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    event = e;
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = d;
                }
            }
            if event == want {
                return serde_json::from_str(data).unwrap();
            }
        }
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("event in time")
            .unwrap()
            .unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn a_live_poke_follows_every_commit_in_the_account_scope() {
    let s = TestServer::start().await;
    let (buyer, supplier, inquiry) = world(&s).await;
    let resp = s
        .client
        .get(format!("{}/v1/events", s.base))
        .bearer_auth(&buyer.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();
    let ready = next_event(&mut stream, &mut buf, "ready").await;
    let (_, page) = s.get("/v1/sync/pull?limit=1000", &buyer).await;
    assert_eq!(ready["account_version"], page["account_version"]);
    s.ok(
        &format!("/v1/inquiries/{inquiry}/messages"),
        &supplier,
        json!({ "body": "Are you there?" }),
    )
    .await;
    let poke = next_event(&mut stream, &mut buf, "changed").await;
    assert!(poke["account_version"].as_i64().unwrap() > ready["account_version"].as_i64().unwrap());
    let (_, after) = s
        .get(
            &format!(
                "/v1/sync/pull?cursor={}",
                page["next_cursor"].as_str().unwrap()
            ),
            &buyer,
        )
        .await;
    assert!(
        after["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["record"]["data"]["body"] == "Are you there?")
    );
    // Another account's activity does not poke this one.
    let other = s.register("buyer", "Bob Other").await;
    s.ok(
        "/v1/inquiries",
        &other,
        json!({ "supplier": supplier.id, "product": "X", "message": "Hi" }),
    )
    .await;
    let message = after["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "message")
        .unwrap();
    s.ok(
        &format!("/v1/inquiries/{inquiry}/read"),
        &buyer,
        json!({ "up_to": message["id"] }),
    )
    .await;
    let next = next_event(&mut stream, &mut buf, "changed").await;
    assert_eq!(
        next["account_version"].as_i64().unwrap(),
        poke["account_version"].as_i64().unwrap() + 1,
        "one poke per own commit, none for others"
    );
    // Idle: heartbeats (comment lines) keep the connection alive.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    buf.clear();
    while !buf.contains(":\n") {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("a heartbeat in time")
            .unwrap()
            .unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
    drop(stream);
    s.running.shutdown().await;
}

/// Both parties step one order at the same moment (on PostgreSQL the two pushes run
/// side by side): each mutation is applied or refused for what the order has become,
/// never recorded as refused for the moment (`order.concurrent_change`), which a retry
/// would be told for ever.
#[tokio::test]
async fn steps_pushed_on_one_order_at_the_same_moment_are_never_refused_for_the_moment() {
    let s = TestServer::start().await;
    let (buyer, supplier, _) = world(&s).await;
    for round in 0..20 {
        let made = s
            .ok(
                "/v1/orders",
                &buyer,
                json!({ "counterparty": supplier.id, "origin": "template", "terms": s.terms(&[("Lamp", 4, 2500)], None) }),
            )
            .await;
        let order = made["order"]["id"].as_str().unwrap().to_owned();
        let step = |action: Value| {
            json!({ "mutations": [mutation(&uuid::Uuid::now_v7().to_string(),
                json!({ "op": "order_step", "order": order, "action": action }))] })
        };
        let cancel = step(json!({ "action": "cancel", "reason": "Found it cheaper." }));
        let confirm = step(json!({ "action": "confirm", "version": 1 }));
        let ((cancelled, by_buyer), (confirmed, by_supplier)) = tokio::join!(
            s.post("/v1/sync/push", &buyer, cancel),
            s.post("/v1/sync/push", &supplier, confirm)
        );
        assert_eq!(cancelled, StatusCode::OK, "{by_buyer}");
        assert_eq!(confirmed, StatusCode::OK, "{by_supplier}");
        let outcomes: Vec<&str> = [&by_buyer, &by_supplier]
            .iter()
            .map(|r| r["results"][0]["code"].as_str().unwrap_or("applied"))
            .collect();
        assert!(
            !outcomes.contains(&"order.concurrent_change"),
            "round {round}: {outcomes:?}"
        );
        assert!(outcomes.contains(&"applied"), "round {round}: {outcomes:?}");
    }
}

/// Buyers pushing at once to the same suppliers, meeting them in opposite orders within
/// their batches (on PostgreSQL the pushes run side by side): every batch is applied,
/// none answered "busy". A batch that locked each supplier's shared rows as its
/// mutations came deadlocked with the other one and, three tries later, was refused.
#[tokio::test]
async fn buyers_pushing_to_the_same_suppliers_at_once_never_wait_on_each_other_in_a_circle() {
    let s = TestServer::start().await;
    let suppliers = [
        s.register("supplier", "Li Supplier").await,
        s.register("supplier", "Wu Supplier").await,
    ];
    let mut buyers = Vec::new();
    for name in ["Ann Buyer", "Bob Buyer", "Cho Buyer", "Dan Buyer"] {
        let buyer = s.register("buyer", name).await;
        let mut inquiries = Vec::new();
        for supplier in &suppliers {
            let inquiry = s
                .ok(
                    "/v1/inquiries",
                    &buyer,
                    json!({ "supplier": supplier.id, "product": "Lamp", "message": "Price?" }),
                )
                .await;
            inquiries.push(inquiry["id"].as_str().unwrap().to_owned());
        }
        buyers.push((buyer, inquiries));
    }
    for round in 0..10 {
        let pushes = buyers.iter().enumerate().map(|(n, (buyer, inquiries))| {
            // Half the buyers write to the suppliers in one order, half in the other.
            let order: Vec<&String> = if n % 2 == 0 {
                inquiries.iter().cycle().take(20).collect()
            } else {
                inquiries.iter().rev().cycle().take(20).collect()
            };
            let batch: Vec<Value> = order
                .into_iter()
                .map(|inquiry| {
                    mutation(
                        &uuid::Uuid::now_v7().to_string(),
                        json!({ "op": "send_message", "inquiry": inquiry,
                                "message": uuid::Uuid::now_v7(), "body": format!("Round {round}.") }),
                    )
                })
                .collect();
            s.post("/v1/sync/push", buyer, json!({ "mutations": batch }))
        });
        for (status, out) in futures_util::future::join_all(pushes).await {
            assert_eq!(status, StatusCode::OK, "round {round}: {out}");
            let results = out["results"].as_array().unwrap();
            assert!(
                results.iter().all(|r| r["outcome"] == "applied"),
                "round {round}: {out}"
            );
        }
    }
}

/// Many feed rows at one version, as one transaction touching many records leaves them
/// (the demo's bulk seed writes 60,000 rows a version): pulled in small pages, every row
/// comes once and in feed order, and each page is read as one index range from its
/// cursor, not by scanning the version's rows from the first again (the query plans of
/// the feed and snapshot pages, on SQLite or on PostgreSQL when this runs there). The
/// first snapshot page's count of the account's records is read from an index alone.
#[tokio::test]
async fn rows_sharing_a_version_page_through_once_on_one_index_range() {
    use sqlx::Row;
    use trade_server::db::Backend;
    use trade_server::store::sync::{FEED_PAGE, SNAPSHOT_PAGE, SNAPSHOT_SIZE};

    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let db = &s.running.state.db;
    let version: i64 = sqlx::query(
        "SELECT COALESCE(MAX(version), 0) AS v FROM sync_changes WHERE account_id = $1",
    )
    .bind(&buyer.id)
    .fetch_one(db.pool())
    .await
    .unwrap()
    .try_get::<i64, _>("v")
    .unwrap()
        + 1;
    let mut ids: Vec<String> = (0..250).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    for id in &ids {
        sqlx::query(
            "INSERT INTO sync_changes (account_id, kind, record_id, version, removed) \
             VALUES ($1, 'message', $2, $3, 0)",
        )
        .bind(&buyer.id)
        .bind(id)
        .bind(version)
        .execute(db.pool())
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO account_versions (account_id, version) VALUES ($1, $2) \
         ON CONFLICT (account_id) DO UPDATE SET version = excluded.version",
    )
    .bind(&buyer.id)
    .bind(version)
    .execute(db.pool())
    .await
    .unwrap();

    let mut replica = Replica::default();
    while replica.pull_page(&s, &buyer, 40).await.1 {}
    let at_version: Vec<&str> = replica
        .delivered
        .iter()
        .filter(|(kind, _, v)| kind == "message" && *v == version)
        .map(|(_, id, _)| id.as_str())
        .collect();
    ids.sort();
    assert_eq!(
        at_version, ids,
        "each row of the version once, in feed order"
    );

    // The plans: one range of the index from the cursor, for both kinds of page.
    let mut conn = db.pool().acquire().await.unwrap();
    let (explain, feed_range, snapshot_range, count_only) = match db.backend() {
        Backend::Sqlite => (
            "EXPLAIN QUERY PLAN",
            "(version,kind,record_id)>(?,?,?)",
            "(version,record_id)<(?,?)",
            "COVERING INDEX sync_changes_present",
        ),
        Backend::Postgres => {
            // The tables are small here: ask for the index the planner would take on
            // a real feed.
            sqlx::query("SET enable_seqscan = off")
                .execute(&mut *conn)
                .await
                .unwrap();
            (
                "EXPLAIN",
                "(ROW(version, kind, record_id) > ROW(",
                "(ROW(version, record_id) < ROW(",
                "Index Only Scan using sync_changes_present",
            )
        }
    };
    let plan = |rows: Vec<sqlx::any::AnyRow>| -> String {
        rows.iter()
            .map(|r| {
                r.try_get::<String, _>(r.len() - 1)
                    .expect("a plan line as text")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let feed = plan(
        sqlx::query(&format!("{explain} {FEED_PAGE}"))
            .bind(&buyer.id)
            .bind(version)
            .bind("message")
            .bind(&ids[100])
            .bind(40_i64)
            .fetch_all(&mut *conn)
            .await
            .unwrap(),
    );
    assert!(feed.contains(feed_range), "the feed page's plan:\n{feed}");
    let snapshot = plan(
        sqlx::query(&format!("{explain} {SNAPSHOT_PAGE}"))
            .bind(&buyer.id)
            .bind("message")
            .bind(version)
            .bind(&ids[100])
            .bind(40_i64)
            .fetch_all(&mut *conn)
            .await
            .unwrap(),
    );
    assert!(
        snapshot.contains(snapshot_range),
        "the snapshot page's plan:\n{snapshot}"
    );
    let count = plan(
        sqlx::query(&format!("{explain} {SNAPSHOT_SIZE}"))
            .bind(&buyer.id)
            .bind(version)
            .fetch_all(&mut *conn)
            .await
            .unwrap(),
    );
    assert!(count.contains(count_only), "the count's plan:\n{count}");
    drop(conn);
    s.running.shutdown().await;
}

/// The unread totals (in every pull after a message) are summed from the unread index
/// alone, never from the threads' rows, on SQLite and PostgreSQL, and equal the unread
/// messages a party has.
#[tokio::test]
async fn unread_totals_are_summed_from_the_unread_index_alone() {
    use sqlx::Row;
    use trade_model::entities::Role;
    use trade_server::db::Backend;
    use trade_server::store::inquiries::unread_totals_query;

    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let supplier = s.register("supplier", "Li Supplier").await;
    for n in 0..3 {
        let inquiry = s
            .ok("/v1/inquiries", &buyer, json!({ "supplier": supplier.id, "product": format!("Product {n}"), "message": "Price?" }))
            .await;
        let id = inquiry["id"].as_str().unwrap().to_owned();
        for k in 0..n {
            s.ok(
                &format!("/v1/inquiries/{id}/messages"),
                &supplier,
                json!({ "body": format!("USD {k}.00") }),
            )
            .await;
        }
    }
    let (_, unread) = s.get("/v1/unread", &buyer).await;
    assert_eq!(unread["total"], 3, "{unread}");
    assert_eq!(unread["inquiries_with_unread"], 2, "{unread}");
    let (_, theirs) = s.get("/v1/unread", &supplier).await;
    assert_eq!(theirs["total"], 3, "the opening messages: {theirs}");

    let db = &s.running.state.db;
    let mut conn = db.pool().acquire().await.unwrap();
    let explain = match db.backend() {
        Backend::Sqlite => "EXPLAIN QUERY PLAN",
        Backend::Postgres => {
            // The tables are small here: ask for the index the planner would take on
            // a real account.
            sqlx::query("SET enable_seqscan = off")
                .execute(&mut *conn)
                .await
                .unwrap();
            "EXPLAIN"
        }
    };
    for (role, who, index) in [
        (Role::Buyer, &buyer, "inquiries_buyer_unread"),
        (Role::Supplier, &supplier, "inquiries_supplier_unread"),
    ] {
        let plan = sqlx::query(&format!("{explain} {}", unread_totals_query(role)))
            .bind(&who.id)
            .fetch_all(&mut *conn)
            .await
            .unwrap()
            .iter()
            .map(|r| {
                r.try_get::<String, _>(r.len() - 1)
                    .expect("a plan line as text")
            })
            .collect::<Vec<_>>()
            .join("\n");
        let index_only = match db.backend() {
            Backend::Sqlite => format!("COVERING INDEX {index}"),
            Backend::Postgres => format!("Index Only Scan using {index}"),
        };
        assert!(
            plan.contains(&index_only),
            "{role:?}'s unread totals:\n{plan}"
        );
    }
    drop(conn);
    s.running.shutdown().await;
}

/// Every page of `route` (the feed or the snapshot walk) from an empty cursor, in pages
/// of `limit`: the changes as they came, each a JSON object.
async fn walk(s: &TestServer, u: &User, route: &str, limit: i64) -> Vec<Value> {
    paged_walk(s, u, route, limit)
        .await
        .into_iter()
        .flat_map(|page| page["changes"].as_array().unwrap().clone())
        .collect()
}

#[tokio::test]
async fn pages_hand_out_the_records_their_feed_rows_keep_and_they_equal_the_records_read_now() {
    use sqlx::Row;

    let s = TestServer::start().await;
    let (buyer, supplier, first) = world(&s).await;
    // Changes after a record was first written: replies move an inquiry's preview and
    // its reader's unread count, reading marks messages read; and a new inquiry.
    for n in 0..3 {
        s.ok(
            &format!("/v1/inquiries/{first}/messages"),
            &supplier,
            json!({ "body": format!("Any news? ({n})") }),
        )
        .await;
    }
    let (_, thread) = s
        .get(&format!("/v1/inquiries/{first}/messages"), &buyer)
        .await;
    let last = thread["items"].as_array().unwrap().last().unwrap()["id"].clone();
    s.ok(
        &format!("/v1/inquiries/{first}/read"),
        &buyer,
        json!({ "up_to": last }),
    )
    .await;
    s.ok(
        "/v1/inquiries",
        &buyer,
        json!({ "supplier": supplier.id, "product": "Late", "message": "Hello" }),
    )
    .await;

    let db = &s.running.state.db;
    let kept = |account: String| async move {
        sqlx::query(
            "SELECT COUNT(*) AS n, COUNT(payload) AS kept FROM sync_changes \
             WHERE account_id = $1 AND removed = 0 AND kind IN ('message', 'inquiry')",
        )
        .bind(account)
        .fetch_one(db.pool())
        .await
        .map(|row| {
            (
                row.try_get::<i64, _>("n").unwrap(),
                row.try_get::<i64, _>("kept").unwrap(),
            )
        })
        .unwrap()
    };
    let mut pages = Vec::new();
    for u in [&buyer, &supplier] {
        // Every message and inquiry row keeps its record, written with it.
        let (rows, with_record) = kept(u.id.clone()).await;
        assert!(rows >= 16, "{rows} message and inquiry rows");
        assert_eq!(with_record, rows, "rows keeping their record");
        pages.push((
            walk(&s, u, "/v1/sync/pull", 4).await,
            walk(&s, u, "/v1/sync/snapshot", 4).await,
        ));
    }
    // The same pages read as rows written before records were kept are read: each
    // record loaded now.
    sqlx::query("UPDATE sync_changes SET payload = NULL")
        .execute(db.pool())
        .await
        .unwrap();
    for (u, (pull, snapshot)) in [&buyer, &supplier].into_iter().zip(pages) {
        assert_eq!(kept(u.id.clone()).await.1, 0);
        assert_eq!(
            walk(&s, u, "/v1/sync/pull", 4).await,
            pull,
            "{}'s feed",
            u.id
        );
        assert_eq!(
            walk(&s, u, "/v1/sync/snapshot", 4).await,
            snapshot,
            "{}'s snapshot",
            u.id
        );
    }
}

#[tokio::test]
async fn the_same_batch_pushed_twice_at_once_applies_once_and_both_get_its_results() {
    let s = Arc::new(TestServer::start().await);
    let (buyer, _supplier, inquiry) = world(&s).await;
    // A client that gave up waiting sends its batch again while the first is still
    // being applied: each try of 20 messages, 5 times over.
    for round in 0..5 {
        let batch = json!({ "mutations": (0..20).map(|n| mutation(
            &uuid::Uuid::now_v7().to_string(),
            json!({ "op": "send_message", "inquiry": inquiry, "message": uuid::Uuid::now_v7(),
                    "body": format!("Round {round}, line {n}.") }),
        )).collect::<Vec<_>>() });
        let (a, b) = tokio::join!(
            s.post("/v1/sync/push", &buyer, batch.clone()),
            s.post("/v1/sync/push", &buyer, batch.clone()),
        );
        assert_eq!(a.0, StatusCode::OK, "{}", a.1);
        assert_eq!(b.0, StatusCode::OK, "{}", b.1);
        assert_eq!(a.1, b.1, "both tries answered with the first results");
        assert!(
            a.1["results"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["outcome"] == "applied"),
            "{}",
            a.1
        );
    }
    let thread = bodies(&s, &buyer, &inquiry).await;
    let rounds = thread.iter().filter(|b| b.starts_with("Round ")).count();
    assert_eq!(rounds, 100, "every message once");
}

/// One answer of `/v1/sync/snapshot/stream` as `u`: its status, its content type and
/// its lines, each a page.
async fn stream(s: &TestServer, u: &User, query: &str) -> (StatusCode, String, Vec<Value>) {
    let resp = s
        .api
        .client
        .get(format!("{}/v1/sync/snapshot/stream?{query}", s.api.base))
        .bearer_auth(&u.token)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
    let text = resp.text().await.unwrap();
    if status != StatusCode::OK {
        return (status, kind, vec![serde_json::from_str(&text).unwrap()]);
    }
    assert!(text.ends_with('\n'), "the answer ends inside a page");
    let pages = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (status, kind, pages)
}

/// The pages of `route` (the feed or the snapshot walk) as `u`, one request each, from
/// an empty cursor until `has_more` is false.
async fn paged_walk(s: &TestServer, u: &User, route: &str, limit: i64) -> Vec<Value> {
    let mut cursor = String::new();
    let mut pages = Vec::new();
    loop {
        let (status, page) = s
            .get(&format!("{route}?cursor={cursor}&limit={limit}"), u)
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        cursor = page["next_cursor"].as_str().unwrap().to_owned();
        let more = page["has_more"].as_bool().unwrap();
        pages.push(page);
        if !more {
            return pages;
        }
    }
}

#[tokio::test]
async fn the_snapshot_stream_hands_out_the_paged_walk_in_answers_of_at_most_its_page_count() {
    let database = support::database_url().await;
    let s = TestServer::start_with(database, |c| c.snapshot_stream_pages = 3).await;
    let (buyer, supplier, _) = world(&s).await;
    for u in [&buyer, &supplier] {
        let paged = paged_walk(&s, u, "/v1/sync/snapshot", 2).await;
        assert!(
            paged.len() > 6,
            "{} pages: too few to end answers early",
            paged.len()
        );
        // Answers of three pages, each going on from the last one's cursor, hand out the
        // same pages, with the same cursors, as the walk page by page.
        let mut streamed = Vec::new();
        let mut cursor = String::new();
        loop {
            let (status, kind, pages) = stream(&s, u, &format!("cursor={cursor}&limit=2")).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(kind, "application/x-ndjson");
            let last = pages.last().unwrap().clone();
            let more = last["has_more"].as_bool().unwrap();
            assert!(
                pages.len() == 3 || !more,
                "an answer of {} pages that is not the walk's last",
                pages.len()
            );
            assert!(
                pages[..pages.len() - 1]
                    .iter()
                    .all(|p| p["has_more"] == true),
                "a page after the walk's last"
            );
            streamed.extend(pages);
            if !more {
                break;
            }
            cursor = last["next_cursor"].as_str().unwrap().to_owned();
        }
        assert_eq!(streamed, paged);
    }
    // Refused as the pages are: a cursor that is not one, and no session.
    let (status, _, body) = stream(&s, &buyer, "cursor=nonsense").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body[0]["code"], "sync.bad_cursor");
    let nobody = User {
        token: "not-a-token".into(),
        ..buyer.clone()
    };
    let (status, _, body) = stream(&s, &nobody, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body[0]["code"], "auth.invalid_token");
}

/// Every push first looks up its mutation ids among those the account has recorded. That
/// lookup reads the rows asked for and no others, however many the account has recorded
/// and whatever the database believes of it: on PostgreSQL with statistics taken before
/// the account's pushes (it looks like any small account there), a plan that read the
/// account's every recorded mutation made each push slower than the one before (the sync
/// bench: 2,883, 1,621, 1,045, 794, 661 mutations/s over five rounds of 5,000). On SQLite,
/// the plan is a search of the primary key on both columns.
#[tokio::test]
async fn a_push_looks_up_its_mutation_ids_without_reading_the_accounts_others() {
    use sqlx::Row;
    use trade_server::db::Backend;
    use trade_server::store::sync::mutation_results_sql;

    const RECORDED: usize = 3000;
    const IDS: usize = 100;
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let db = &s.running.state.db;
    let mut conn = db.pool().acquire().await.unwrap();
    let sql = mutation_results_sql(db.backend(), IDS);
    // Half the ids recorded before, half new, as in a batch retried after a cut.
    let ids: Vec<String> = (0..IDS / 2)
        .map(|i| format!("recorded-{i}"))
        .chain((0..IDS / 2).map(|i| format!("new-{i}")))
        .collect();
    // The buyer's recorded mutations: recorded-0 … recorded-2999.
    let buyer_recorded = match db.backend() {
        Backend::Sqlite => format!(
            "WITH RECURSIVE numbers (n) AS \
             (SELECT 0 UNION ALL SELECT n + 1 FROM numbers WHERE n + 1 < {RECORDED}) \
             INSERT INTO sync_mutations (account_id, mutation_id, result, created_at) \
             SELECT '{0}', 'recorded-' || n, '{{}}', 0 FROM numbers",
            buyer.id
        ),
        Backend::Postgres => format!(
            "INSERT INTO sync_mutations (account_id, mutation_id, result, created_at) \
             SELECT '{0}', 'recorded-' || n, '{{}}', 0 \
             FROM generate_series(0, {RECORDED} - 1) AS numbers (n)",
            buyer.id
        ),
    };
    // The lookup's answer (the ids found) or, behind `explain`, its plan (a line a row,
    // the last column).
    async fn lookup(
        conn: &mut sqlx::AnyConnection,
        explain: &str,
        sql: &str,
        account: &str,
        ids: &[String],
    ) -> Vec<String> {
        let text = format!("{explain} {sql}");
        let mut query = sqlx::query(&text).bind(account);
        for id in ids {
            query = query.bind(id.as_str());
        }
        let rows = query.fetch_all(conn).await.unwrap();
        rows.iter()
            .map(|r| match explain {
                "" => r.try_get::<String, _>("mutation_id").unwrap(),
                _ => r.try_get::<String, _>(r.len() - 1).unwrap(),
            })
            .collect()
    }
    match db.backend() {
        Backend::Sqlite => {
            sqlx::raw_sql(&buyer_recorded)
                .execute(&mut *conn)
                .await
                .unwrap();
            let plan = lookup(&mut conn, "EXPLAIN QUERY PLAN", &sql, &buyer.id, &ids)
                .await
                .join("\n");
            assert!(
                plan.contains("sync_mutations")
                    && plan.contains("(account_id=? AND mutation_id=?)")
                    && !plan.contains("SCAN"),
                "the lookup's plan:\n{plan}"
            );
        }
        Backend::Postgres => {
            // Statistics taken while the table held many small accounts, then the
            // buyer's pushes recorded since, and no analysis after them.
            sqlx::raw_sql(
                "INSERT INTO sync_mutations (account_id, mutation_id, result, created_at) \
                 SELECT 'other-' || (n / 2), 'recorded-' || n, '{}', 0 \
                 FROM generate_series(0, 1999) AS numbers (n); \
                 ANALYZE sync_mutations; \
                 ALTER TABLE sync_mutations SET (autovacuum_enabled = false)",
            )
            .execute(&mut *conn)
            .await
            .unwrap();
            sqlx::raw_sql(&buyer_recorded)
                .execute(&mut *conn)
                .await
                .unwrap();
            let plan = lookup(
                &mut conn,
                "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)",
                &sql,
                &buyer.id,
                &ids,
            )
            .await;
            // The index entries and rows of sync_mutations the lookup went through:
            // each of its scans' rows (and those its filters dropped) times its loops.
            let mut read = 0.0;
            let mut loops = 1.0;
            for line in &plan {
                let number = |after: &str| {
                    let rest = line.split(after).nth(1)?;
                    let digits = rest
                        .split(|c: char| !c.is_ascii_digit() && c != '.')
                        .next()?;
                    digits.parse::<f64>().ok()
                };
                if line.contains("Scan") {
                    loops = number("loops=").unwrap_or(1.0);
                    if line.contains("sync_mutations") {
                        read += number("rows=").unwrap_or(0.0) * loops;
                    }
                } else if line.contains("Rows Removed by") {
                    read += number(": ").unwrap_or(0.0) * loops;
                }
            }
            let plan = plan.join("\n");
            assert!(
                read <= IDS as f64,
                "the lookup of {IDS} ids read {read} recorded mutations:\n{plan}"
            );
        }
    }
    // And it finds those recorded, each once.
    let mut found = lookup(&mut conn, "", &sql, &buyer.id, &ids).await;
    found.sort();
    let mut recorded = ids[..IDS / 2].to_vec();
    recorded.sort();
    assert_eq!(found, recorded);
    drop(conn);
    s.running.shutdown().await;
}
