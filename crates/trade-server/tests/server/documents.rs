//! Uploads through the real API: every crafted bad document is refused with its code and
//! leaves nothing behind; every genuine type is accepted; names never become paths;
//! content comes back as uploaded, and content gone from the store is a typed answer.
//!
//! With `TRADE_TEST_S3FS` set, every server here keeps its documents in a real S3 server
//! (s3s-fs; see `support`) instead of its data directory; the tests that need S3 (an
//! unreachable store, two instances on one bucket) say so and pass trivially without it.
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
    let dir = s.dir.join("documents");
    let kept: Vec<_> = walk(&dir)
        .into_iter()
        .filter(|p| !p.starts_with(dir.join("tmp")))
        .collect();
    assert!(kept.is_empty(), "refused uploads left files: {kept:?}");
    if let Some(s3) = &s.s3 {
        let kept = walk(&s3.bucket_dir);
        assert!(kept.is_empty(), "refused uploads left objects: {kept:?}");
    }
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

/// GET a document's content: status, headers, bytes.
async fn download(
    s: &TestServer,
    user: &support::User,
    id: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let resp = s
        .client
        .get(format!("{}/v1/documents/{id}/content", s.base))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

/// A text document of `len` bytes (lines of ASCII), distinct per `tag`.
fn text_document(tag: &str, len: usize) -> Vec<u8> {
    let line = format!("{tag}: 100 pumps at 12.50 USD, FOB Ningbo.\n");
    line.bytes().cycle().take(len).collect()
}

/// Small documents go to the store in one request, large ones (over 8 MiB) in parts;
/// either comes back byte for byte with its length, `nosniff` and as an attachment. The
/// same bytes uploaded again are not stored twice.
#[tokio::test]
async fn documents_come_back_as_uploaded() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let small = std::fs::read(fixtures("good").join("invoice.pdf")).unwrap();
    let large = text_document("PI-2026-118", 12 * 1024 * 1024 + 123);
    for (name, bytes) in [("invoice.pdf", small), ("price-list.txt", large)] {
        let (status, meta) = s.upload(&buyer, name, bytes.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {meta}");
        let (status, headers, body) = download(&s, &buyer, meta["id"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(
            body == bytes,
            "{name}: {} bytes back, {} sent",
            body.len(),
            bytes.len()
        );
        assert_eq!(headers["content-length"], bytes.len().to_string().as_str());
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(
            headers["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment;")
        );
        let blob = s.blob_path(meta["sha256"].as_str().unwrap());
        assert_eq!(std::fs::metadata(&blob).unwrap().len(), bytes.len() as u64);
        // Again: a second document, the same content, kept once.
        let (status, again) = s.upload(&buyer, name, bytes.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{again}");
        assert_ne!(again["id"], meta["id"]);
        let (status, _, body) = download(&s, &buyer, again["id"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body == bytes);
    }
    s.running.shutdown().await;
}

/// Metadata on record, content gone from the store (removed behind the server's back):
/// a typed 410 whose body names no path, bucket, key or digest — not a 500.
#[tokio::test]
async fn content_gone_from_the_store_is_a_typed_answer_naming_no_path() {
    let s = TestServer::start().await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let (status, meta) = s
        .upload(&buyer, "pi.txt", text_document("PI-7", 2048))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meta}");
    let sha256 = meta["sha256"].as_str().unwrap();
    std::fs::remove_file(s.blob_path(sha256)).unwrap();
    let (status, headers, body) = download(&s, &buyer, meta["id"].as_str().unwrap()).await;
    let text = String::from_utf8(body).unwrap();
    assert_eq!(status, StatusCode::GONE, "{text}");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["code"], "document.content_missing", "{body}");
    assert!(headers.get("content-disposition").is_none());
    let mut secrets = vec![
        sha256.to_owned(),
        sha256[..2].to_owned() + "/",
        s.dir.display().to_string(),
        "documents/".to_owned(),
    ];
    if let Some(s3) = &s.s3 {
        if let trade_server::documents::DocumentsLocation::S3(loc) = &s3.location {
            secrets.push(loc.bucket.clone());
        }
        secrets.push(s3.server.endpoint.clone());
    }
    for secret in secrets {
        assert!(!text.contains(&secret), "{secret:?} in {text}");
    }
    // The metadata itself is still served.
    let (status, _) = s
        .get(
            &format!("/v1/documents/{}", meta["id"].as_str().unwrap()),
            &buyer,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    s.running.shutdown().await;
}

/// An S3 store that stops answering: downloads and uploads are a retryable 503 with its
/// code (no bucket or endpoint in it), and the server is not ready. S3 only.
#[tokio::test]
async fn an_unreachable_store_is_a_retryable_503() {
    let Some(s3) = support::S3Store::from_env() else {
        eprintln!("skipped: TRADE_TEST_S3FS is not set");
        return;
    };
    let s = TestServer::start_sharing(support::database_url().await, Some(s3.clone())).await;
    let buyer = s.register("buyer", "Ann Buyer").await;
    let (status, meta) = s
        .upload(&buyer, "pi.txt", text_document("PI-9", 4096))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meta}");
    s3.server.kill();
    let (status, _, body) = download(&s, &buyer, meta["id"].as_str().unwrap()).await;
    let text = String::from_utf8(body).unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["code"], "document.store_unavailable", "{body}");
    assert!(
        !text.contains(&s3.server.endpoint) && !text.contains("trade-"),
        "{text}"
    );
    let (status, body) = s
        .upload(&buyer, "other.txt", text_document("PI-10", 4096))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Some("document.store_unavailable")
        ),
        "{body}"
    );
    let (status, ready) = s
        .send(reqwest::Method::GET, "/v1/ready", None, None, &[])
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_ne!(ready["details"]["checks"]["documents"], "ok", "{ready}");
    s.running.shutdown().await;
}

/// Two instances on one database and one bucket: what is uploaded through one downloads
/// through the other (with documents in each instance's data directory, the second has
/// nothing to serve). Needs S3 and PostgreSQL.
#[tokio::test]
async fn an_upload_through_one_instance_downloads_through_another() {
    let (Some(s3), Some(url)) = (support::S3Store::from_env(), support::database_url().await)
    else {
        eprintln!("skipped: needs TRADE_TEST_S3FS and TRADE_TEST_POSTGRES_URL");
        return;
    };
    let one = TestServer::start_sharing(Some(url.clone()), Some(s3.clone())).await;
    let two = TestServer::start_sharing(Some(url), Some(s3)).await;
    let buyer = one.register("buyer", "Ann Buyer").await;
    let buyer_on_two = two.login(&buyer.email).await;
    let bytes = text_document("PI-2026-200", 9 * 1024 * 1024);
    let (status, meta) = one.upload(&buyer, "contract.txt", bytes.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{meta}");
    let (status, headers, body) = download(&two, &buyer_on_two, meta["id"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-length"], bytes.len().to_string().as_str());
    assert!(body == bytes, "{} bytes back", body.len());
    one.running.shutdown().await;
    two.running.shutdown().await;
}
