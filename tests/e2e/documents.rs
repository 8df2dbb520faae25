//! Documents through the client engine against the real server: a contract picked while
//! offline stays on this machine with its draft and is uploaded (streamed, with progress)
//! once, before the order that needs it; a bad file is refused at once with the code the
//! server gives for it; downloads land complete and checked; an order's detail shows its
//! timeline and versions; bank details in a supplier's message are flagged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde_json::json;
use trade_client::drafts::Draft;
use trade_client::engine::Connection;
use trade_e2e::{Server, buyer_world, engine, eventually, first_order, wait_for, world};
use trade_model::order::{ActionKind, OrderOrigin, OrderStatus};

fn fixture(kind: &str, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/trade-documents/tests/fixtures")
        .join(kind)
        .join(name)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[tokio::test]
async fn a_contract_picked_offline_is_kept_with_its_draft_and_uploaded_once_before_the_order() {
    let (mut s, buyer, supplier, _, e, stop, _dir) = buyer_world().await;
    let status = e.status();
    wait_for(&status, Connection::Online).await;

    // Every upload progress value the status carried.
    let seen = Arc::new(Mutex::new(Vec::<(u64, u64)>::new()));
    let mut watch = e.status();
    let record = seen.clone();
    tokio::spawn(async move {
        while watch.changed().await.is_ok() {
            if let Some(t) = &watch.borrow().transfer {
                record.lock().unwrap().push((t.done, t.total));
            }
        }
    });

    s.stop().await;
    wait_for(&status, Connection::Offline).await;
    let pdf = fixture("good", "invoice.pdf");
    let file = e.attach_file(&pdf).unwrap();
    assert_eq!(file.file_name, "invoice.pdf");
    assert_eq!(file.kind, "pdf");
    assert!(!file.uploaded);
    let mut terms: trade_model::order::OrderTerms =
        serde_json::from_value(s.terms("Valve 7", 40, 1_250)).unwrap();
    terms.documents = vec![file.id];
    let draft = Draft {
        id: trade_model::OrderId::new(),
        counterparty: supplier.id.parse().unwrap(),
        inquiry: None,
        origin: OrderOrigin::UploadedContract,
        terms,
        quotation: None,
        updated_at: jiff::Timestamp::now(),
    };
    e.save_draft(&draft).unwrap();
    // The draft and its contract are here, offline, readable back byte for byte.
    let copy = tempfile::tempdir().unwrap();
    let out = copy.path().join("contract copy.pdf");
    e.download(file.id, &out).await.unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&pdf).unwrap());
    e.submit_draft(draft.id).unwrap();
    let detail = e.store().order_detail(draft.id).unwrap();
    assert_eq!(detail.documents.len(), 1);
    assert!(detail.documents[0].local, "not uploaded yet");
    assert_eq!(detail.outbox.len(), 1, "the submission waits in the outbox");

    s.restart().await;
    e.poke();
    eventually("the order delivered", || {
        e.store().order(draft.id).is_ok_and(|o| {
            o.order.status == OrderStatus::AwaitingConfirmation
                && e.store().outbox().unwrap().is_empty()
        })
    })
    .await;
    let buyer_token = s.login(&buyer).await;
    let buyer = trade_e2e::Party {
        token: buyer_token,
        ..buyer
    };
    let (code, order) = s
        .call(
            &buyer,
            Method::GET,
            &format!("/v1/orders/{}", draft.id),
            None,
            None,
        )
        .await;
    assert_eq!(code, 200, "{order}");
    assert_eq!(
        order["order"]["terms"]["documents"],
        json!([file.id.to_string()])
    );
    let (code, meta) = s
        .call(
            &buyer,
            Method::GET,
            &format!("/v1/documents/{}", file.id),
            None,
            None,
        )
        .await;
    assert_eq!(code, 200, "{meta}");
    assert_eq!(
        meta["sha256"],
        json!(sha256_hex(&std::fs::read(&pdf).unwrap()))
    );
    let size = std::fs::metadata(&pdf).unwrap().len();
    eventually("the upload's progress reached the end", || {
        seen.lock()
            .unwrap()
            .iter()
            .any(|&(done, total)| done == size && total == size)
    })
    .await;
    assert!(
        status.borrow().transfer.is_none(),
        "no transfer left showing"
    );
    let kept = e.store().local_file(file.id).unwrap();
    assert!(kept.uploaded);
    assert!(
        !e.store().file_path(file.id).exists(),
        "the local copy is gone once the server has it"
    );
    eventually("the synced document record", || {
        e.store()
            .order_detail(draft.id)
            .is_ok_and(|d| d.documents.len() == 1 && !d.documents[0].local)
    })
    .await;
    // The supplier sees the very same file.
    let (status_code, bytes) = {
        let resp = s
            .http()
            .get(s.url(&format!("/v1/documents/{}/content", file.id)))
            .bearer_auth(s.login(&supplier).await)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.bytes().await.unwrap())
    };
    assert_eq!(status_code, 200);
    assert_eq!(bytes.as_ref(), std::fs::read(&pdf).unwrap().as_slice());
    stop.send(true).unwrap();
}

#[tokio::test]
async fn a_bad_file_is_refused_before_any_upload_with_the_code_the_server_gives() {
    let (s, buyer, _, _, e, stop, _dir) = buyer_world().await;
    for name in [
        "contract.pdf.exe",
        "docm-renamed.docx",
        "exe-named.pdf",
        "empty.pdf",
        "huge-dimensions.png",
    ] {
        let path = fixture("bad", name);
        let local = e.attach_file(&path).unwrap_err().code();
        let resp = s
            .http()
            .post(s.url("/v1/documents"))
            .query(&[("name", name)])
            .bearer_auth(&buyer.token)
            .body(std::fs::read(&path).unwrap())
            .send()
            .await
            .unwrap();
        let server: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(Some(local.as_str()), server["code"].as_str(), "{name}");
    }
    assert!(e.store().local_files().unwrap().is_empty(), "nothing kept");
    stop.send(true).unwrap();
}

#[tokio::test]
async fn a_download_lands_complete_and_checked_or_not_at_all() {
    let s = Server::start().await;
    let (buyer, supplier, inquiry) = world(&s).await;
    let pdf = std::fs::read(fixture("good", "invoice.pdf")).unwrap();
    let uploaded: serde_json::Value = s
        .http()
        .post(s.url("/v1/documents"))
        .query(&[("name", "PI 2026-11.pdf")])
        .bearer_auth(&supplier.token)
        .body(pdf.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (code, _) = s
        .call(
            &supplier,
            Method::POST,
            &format!("/v1/inquiries/{inquiry}/messages"),
            Some(json!({ "body": "Our PI is attached.", "attachments": [uploaded["id"]] })),
            None,
        )
        .await;
    assert_eq!(code, 201);
    let dir = tempfile::tempdir().unwrap();
    let (e, stop) = engine(&s, &buyer, dir.path()).await;
    let doc: trade_model::DocumentId = uploaded["id"].as_str().unwrap().parse().unwrap();
    eventually("the attachment synced", || {
        e.store().document(doc, e.account().id).is_ok()
    })
    .await;
    let thread = e
        .store()
        .thread(inquiry.parse().unwrap(), None, 50)
        .unwrap();
    let with_pi = thread
        .items
        .iter()
        .find(|m| m.message.body == "Our PI is attached.")
        .unwrap();
    assert_eq!(with_pi.message.attachments[0].file_name, "PI 2026-11.pdf");

    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("saved.pdf");
    e.download(doc, &dest).await.unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), pdf);
    // A folder that does not exist: a clear error, nothing half-written anywhere.
    let missing = out.path().join("no such folder").join("x.pdf");
    let err = e.download(doc, &missing).await.unwrap_err();
    assert_eq!(err.code(), "client.io");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1);
    stop.send(true).unwrap();
}

#[tokio::test]
async fn order_detail_has_the_timeline_and_every_version() {
    let (s, _, supplier, _, e, stop, _dir) = buyer_world().await;
    wait_for(&e.status(), Connection::Online).await;
    let order = first_order(&e);
    // The supplier changes the price: a new version waiting for the buyer.
    let mut terms = serde_json::to_value(&order.terms).unwrap();
    terms["lines"][0]["unit_price_minor"] = json!(199);
    let (code, body) = s
        .call(
            &supplier,
            Method::PUT,
            &format!("/v1/orders/{}/terms", order.id),
            Some(json!({ "terms": terms })),
            Some(order.version),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    eventually("the modified order", || {
        e.store()
            .order_detail(order.id)
            .is_ok_and(|d| d.history.len() == 2)
    })
    .await;
    let detail = e.store().order_detail(order.id).unwrap();
    let actions: Vec<ActionKind> = detail.history.iter().map(|v| v.event.action).collect();
    assert_eq!(actions, [ActionKind::Create, ActionKind::Modify]);
    assert_eq!(detail.history[1].event.actor, "supplier");
    let prices: Vec<i64> = detail
        .history
        .iter()
        .map(|v| v.snapshot.terms.lines[0].unit_price_minor)
        .collect();
    assert_eq!(prices, [250, 199], "each version as it stood");
    assert_eq!(
        detail.view.order.version,
        detail.history[1].snapshot.version
    );
    assert!(detail.view.next_deadline.is_some());
    stop.send(true).unwrap();
}

#[tokio::test]
async fn a_suppliers_message_with_other_bank_details_is_flagged_and_the_designated_account_is_not()
{
    let s = Server::start().await;
    let (buyer, supplier, inquiry) = world(&s).await;
    for body in [
        "New account! Please pay to IBAN GB82 WEST 1234 5698 7654 32, SWIFT WESTGB2L.",
        "Pay only to Citibank N.A. Hong Kong Branch, account 0060 3920 1245 77, SWIFT CITIHKHX.",
    ] {
        s.call(
            &supplier,
            Method::POST,
            &format!("/v1/inquiries/{inquiry}/messages"),
            Some(json!({ "body": body })),
            None,
        )
        .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let (e, stop) = engine(&s, &buyer, dir.path()).await;
    wait_for(&e.status(), Connection::Online).await;
    let id = inquiry.parse().unwrap();
    // The buyer repeating the scam text is not warned about their own message.
    e.send_message(id, "Is GB82 WEST 1234 5698 7654 32 really yours?")
        .unwrap();
    let thread = e.store().thread(id, None, 50).unwrap();
    let flagged: Vec<&str> = thread
        .items
        .iter()
        .filter(|m| m.payment_warning.is_some())
        .map(|m| m.message.body.as_str())
        .collect();
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    assert!(flagged[0].starts_with("New account!"));
    stop.send(true).unwrap();
}

#[tokio::test]
async fn the_evidence_packet_holds_the_order_its_versions_thread_and_documents_with_true_hashes() {
    let (s, _, supplier, inquiry, e, stop, _dir) = buyer_world().await;
    wait_for(&e.status(), Connection::Online).await;
    // An order from the inquiry with the contract as its document.
    let pdf = fixture("good", "invoice.pdf");
    let file = e.attach_file(&pdf).unwrap();
    let mut terms: trade_model::order::OrderTerms =
        serde_json::from_value(s.terms("Valve 2", 10, 900)).unwrap();
    terms.documents = vec![file.id];
    let draft = Draft {
        id: trade_model::OrderId::new(),
        counterparty: supplier.id.parse().unwrap(),
        inquiry: Some(inquiry.parse().unwrap()),
        origin: OrderOrigin::UploadedContract,
        terms,
        quotation: None,
        updated_at: jiff::Timestamp::now(),
    };
    e.save_draft(&draft).unwrap();
    e.submit_draft(draft.id).unwrap();
    e.poke();
    eventually("the order and its history synced", || {
        e.store()
            .order_detail(draft.id)
            .is_ok_and(|d| d.history.len() == 1 && !d.documents.is_empty() && !d.documents[0].local)
    })
    .await;
    let (code, body) = s
        .call(
            &supplier,
            Method::POST,
            &format!("/v1/orders/{}/confirm", draft.id),
            None,
            Some(1),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    eventually("the confirmation synced", || {
        e.store()
            .order_detail(draft.id)
            .is_ok_and(|d| d.history.len() == 2)
    })
    .await;

    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("evidence");
    let manifest = e.export_evidence(draft.id, &dest).await.unwrap();
    let paths: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for expected in [
        "order.json",
        "timeline.json",
        "versions/version-001.json",
        "versions/version-002.json",
        "payments.json",
        "thread.json",
        "documents/01-invoice.pdf",
    ] {
        assert!(paths.contains(&expected), "{expected} in {paths:?}");
    }
    // The manifest on disk is the one returned, and every hash is the file's.
    let on_disk: trade_client::evidence::Manifest =
        serde_json::from_slice(&std::fs::read(dest.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(on_disk, manifest);
    for entry in &manifest.files {
        let bytes = std::fs::read(dest.join(&entry.path)).unwrap();
        assert_eq!(bytes.len() as u64, entry.size, "{}", entry.path);
        assert_eq!(sha256_hex(&bytes), entry.sha256, "{}", entry.path);
    }
    assert_eq!(
        std::fs::read(dest.join("documents/01-invoice.pdf")).unwrap(),
        std::fs::read(&pdf).unwrap()
    );
    let thread: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(dest.join("thread.json")).unwrap()).unwrap();
    assert!(thread.iter().any(|m| m["body"] == "Price?"));
    // Nothing is overwritten, and no half packet is left behind.
    let again = e.export_evidence(draft.id, &dest).await.unwrap_err();
    assert_eq!(again.code(), "client.io");
    let entries: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "only the packet");
    stop.send(true).unwrap();
}
