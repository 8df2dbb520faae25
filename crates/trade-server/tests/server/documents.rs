//! Uploads through the real API: every crafted bad document is refused with its code and
//! leaves nothing behind; every genuine type is accepted; names never become paths.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::path::PathBuf;

use reqwest::StatusCode;
use support::TestServer;

fn fixtures(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../trade-documents/tests/fixtures")
        .join(kind)
}

#[tokio::test]
async fn crafted_bad_documents_are_refused_with_their_code() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let expected = std::fs::read_to_string(fixtures("bad").join("EXPECTED.txt")).unwrap();
    let mut checked = 0;
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let (name, code) = line.split_once('\t').unwrap();
        let bytes = std::fs::read(fixtures("bad").join(name)).unwrap();
        let (status, body) = s.upload(&buyer, name, bytes).await;
        assert!(
            status.is_client_error(),
            "{name} was accepted: {status} {body}"
        );
        assert_eq!(body["code"], code, "{name}: {body}");
        assert!(!body["message"].as_str().unwrap().is_empty());
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} bad documents");
    // One byte over the 20 MiB cap, streamed: refused while reading.
    let over = vec![b'a'; (trade_documents::MAX_DOCUMENT_BYTES + 1) as usize];
    let (status, body) = s.upload(&buyer, "big.txt", over).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("document.too_large"))
    );
    // Nothing refused was stored: the content store holds no file at all.
    let store = s.running.state.documents.clone();
    drop(store);
    let dir = s
        .running
        .ca_path
        .as_ref()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("documents");
    let kept: Vec<_> = walk(&dir)
        .into_iter()
        .filter(|p| !p.starts_with(dir.join("tmp")))
        .collect();
    assert!(kept.is_empty(), "refused uploads left files: {kept:?}");
    assert!(
        walk(&dir.join("tmp")).is_empty(),
        "temporary files are cleaned up"
    );
    s.running.shutdown().await;
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test]
async fn every_genuine_type_is_accepted() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let mut kinds = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(fixtures("good")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = std::fs::read(entry.path()).unwrap();
        let (status, body) = s.upload(&buyer, &name, bytes.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {body}");
        assert_eq!(body["file_name"], name.as_str());
        assert_eq!(body["size"], bytes.len());
        kinds.insert(name.rsplit('.').next().unwrap().to_lowercase());
    }
    for ext in [
        "xlsx", "xls", "doc", "docx", "jpg", "jpeg", "png", "gif", "tif", "pdf", "txt",
    ] {
        assert!(kinds.contains(ext), "no genuine .{ext} fixture: {kinds:?}");
    }
    s.running.shutdown().await;
}

#[tokio::test]
async fn dangerous_names_are_sanitised_or_refused_and_never_used_as_paths() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let text = b"Pro forma invoice PI-2026-118\n".to_vec();
    let long = format!("{}.txt", "a".repeat(300));
    let cases: Vec<(&str, Result<&str, &str>)> = vec![
        ("../../x.txt", Ok("x.txt")),
        ("..\\..\\windows\\x.txt", Ok("x.txt")),
        ("CON.txt", Err("document.bad_name")),
        ("invoice\u{202E}txt.exe", Err("document.unsupported_type")),
        ("con\u{0007}tract\u{0000}.txt", Ok("contract.txt")),
        ("contract.pdf.exe", Err("document.unsupported_type")),
    ];
    for (name, want) in cases {
        let (status, body) = s.upload(&buyer, name, text.clone()).await;
        match want {
            Ok(stored) => {
                assert_eq!(status, StatusCode::CREATED, "{name:?}: {body}");
                assert_eq!(body["file_name"], stored, "{name:?}");
            }
            Err(code) => assert_eq!(body["code"], code, "{name:?}: {status} {body}"),
        }
    }
    let (status, body) = s.upload(&buyer, &long, text.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let stored = body["file_name"].as_str().unwrap();
    assert!(
        stored.chars().count() <= 255 && stored.ends_with(".txt"),
        "{stored}"
    );
    s.running.shutdown().await;
}

#[tokio::test]
async fn an_upload_retried_with_its_idempotency_key_is_stored_once() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let send = |bytes: &'static [u8]| {
        let s = &s;
        let token = buyer.token.clone();
        async move {
            let resp = s
                .client
                .post(format!("{}/v1/documents?name=pi.txt", s.base))
                .bearer_auth(token)
                .header("idempotency-key", "upload-1")
                .body(bytes)
                .send()
                .await
                .unwrap();
            (
                resp.status(),
                resp.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (s1, first) = send(b"PI-1: 100 pumps\n").await;
    let (s2, again) = send(b"PI-1: 100 pumps\n").await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(
        first["id"], again["id"],
        "the retry replays the first upload"
    );
    let (status, err) = send(b"PI-2: 200 pumps\n").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("idempotency.key_reused"))
    );
    s.running.shutdown().await;
}

#[tokio::test]
async fn an_upload_under_a_client_chosen_id_is_stored_once_and_the_id_is_not_reusable() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let other = s.register("buyer", "Bob Buyer").await;
    let id = uuid::Uuid::now_v7().to_string();
    let send = |user: &support::User, bytes: &'static [u8]| {
        let s = &s;
        let token = user.token.clone();
        let id = id.clone();
        async move {
            let resp = s
                .client
                .post(format!("{}/v1/documents", s.base))
                .query(&[("name", "pi.txt"), ("id", id.as_str())])
                .bearer_auth(token)
                .body(bytes)
                .send()
                .await
                .unwrap();
            (
                resp.status(),
                resp.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (first_status, first) = send(&buyer, b"PI-1: 100 pumps\n").await;
    assert_eq!(first_status, StatusCode::CREATED, "{first}");
    assert_eq!(first["id"].as_str(), Some(id.as_str()));
    let (again_status, again) = send(&buyer, b"PI-1: 100 pumps\n").await;
    assert_eq!(
        again_status,
        StatusCode::OK,
        "a repeat returns the stored document"
    );
    assert_eq!(again, first);
    let (status, err) = send(&buyer, b"PI-2: 200 pumps\n").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("document.id_taken"))
    );
    let (status, err) = send(&other, b"PI-1: 100 pumps\n").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("document.id_taken")),
        "another account cannot claim the id"
    );
    s.running.shutdown().await;
}
