//! A remembered session resumes from its cache at once, whether the server can be reached
//! or not: the buyer who opens the laptop on a train sees their inquiries, not a sign-in
//! form. The refresh token is exchanged on the first call to the server; one the server
//! refuses ends the session then.

use std::path::Path;
use std::sync::Arc;

use reqwest::Method;
use serde_json::json;
use trade_client::credentials::{CredentialKey, CredentialStore, MemoryStore};
use trade_client::engine::{Connection, Engine};
use trade_e2e::{PASSWORD, Party, Server, eventually, fast, wait_for, world};

/// `who` signed in with `creds` as the keyring, synced once into `dir`, and let go (the
/// app quit): the key its refresh token is kept under.
async fn signed_in_once(
    s: &Server,
    who: &Party,
    dir: &Path,
    creds: &Arc<MemoryStore>,
) -> (Engine, CredentialKey) {
    let engine = Engine::sign_in(
        dir,
        s.profile(),
        &who.email,
        PASSWORD,
        creds.clone(),
        fast(),
    )
    .await
    .unwrap();
    engine.sync_now().await.unwrap();
    let key = CredentialKey {
        server: s.profile().base_url().unwrap(),
        account: engine.account().id.to_string(),
    };
    (engine, key)
}

fn run(engine: &Engine) -> tokio::sync::watch::Sender<bool> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let runner = engine.clone();
    tokio::spawn(async move { runner.run(stopped).await });
    stop
}

#[tokio::test]
async fn a_remembered_session_opens_its_cache_while_the_server_is_down_and_syncs_when_it_is_back() {
    let mut s = Server::start().await;
    let (buyer, supplier, inquiry) = world(&s).await;
    let dir = tempfile::tempdir().unwrap();
    let creds = Arc::new(MemoryStore::new());
    let (first, key) = signed_in_once(&s, &buyer, dir.path(), &creds).await;
    let account = first.account().clone();
    let cached = first.store().inquiries(false, None, 50).unwrap().items;
    assert_eq!(cached.len(), 3);
    let token_before = creds
        .load(&key)
        .unwrap()
        .expect("the refresh token is kept");
    drop(first);

    s.stop().await;
    let engine = Engine::resume(dir.path(), s.profile(), account.id, creds.clone(), fast())
        .await
        .expect("resuming with the server down is no error")
        .expect("the session resumes from the cache");
    assert_eq!(engine.account(), &account);
    assert_eq!(
        engine.store().inquiries(false, None, 50).unwrap().items,
        cached,
        "the inbox is the cache's, at once"
    );
    let stop = run(&engine);
    let status = engine.status();
    wait_for(&status, Connection::Offline).await;

    // A message written while the buyer was away arrives once the server is back, over
    // the session the kept refresh token opens (and the token is rotated).
    s.restart().await;
    s.call(
        &supplier,
        Method::POST,
        &format!("/v1/inquiries/{inquiry}/messages"),
        Some(json!({ "body": "Back in stock" })),
        None,
    )
    .await;
    wait_for(&status, Connection::Online).await;
    eventually("the message written meanwhile in the cache", || {
        engine
            .store()
            .thread(inquiry.parse().unwrap(), None, 50)
            .unwrap()
            .items
            .iter()
            .any(|m| m.message.body == "Back in stock")
    })
    .await;
    let token_after = creds.load(&key).unwrap().expect("still kept");
    assert_ne!(token_after, token_before, "the refresh token was rotated");
    stop.send(true).unwrap();
}

#[tokio::test]
async fn a_remembered_session_the_server_ended_resumes_from_the_cache_then_signs_out() {
    let s = Server::start().await;
    let (buyer, _, _) = world(&s).await;
    let dir = tempfile::tempdir().unwrap();
    let creds = Arc::new(MemoryStore::new());
    let (first, key) = signed_in_once(&s, &buyer, dir.path(), &creds).await;
    let account = first.account().id;
    // The session is ended on the server (signed out elsewhere), but this computer's
    // keyring still holds its token.
    let token = creds
        .load(&key)
        .unwrap()
        .expect("the refresh token is kept");
    first.sign_out().await.unwrap();
    creds.store(&key, &token).unwrap();
    drop(first);

    let engine = Engine::resume(dir.path(), s.profile(), account, creds.clone(), fast())
        .await
        .unwrap()
        .expect("the session resumes from the cache");
    assert_eq!(
        engine
            .store()
            .inquiries(false, None, 50)
            .unwrap()
            .items
            .len(),
        3
    );
    let stop = run(&engine);
    wait_for(&engine.status(), Connection::SignedOut).await;
    // The loop ended with the session (nothing left to stop).
    let _ = stop.send(true);
}

#[tokio::test]
async fn a_remembered_session_without_a_cache_still_needs_the_server() {
    let mut s = Server::start().await;
    let (buyer, _, _) = world(&s).await;
    let dir = tempfile::tempdir().unwrap();
    let creds = Arc::new(MemoryStore::new());
    let (first, _) = signed_in_once(&s, &buyer, dir.path(), &creds).await;
    let account = first.account().id;
    drop(first);

    // Another computer's data dir (no cache): the account must come from the server.
    let elsewhere = tempfile::tempdir().unwrap();
    s.stop().await;
    let refused = Engine::resume(
        elsewhere.path(),
        s.profile(),
        account,
        creds.clone(),
        fast(),
    )
    .await
    .err()
    .expect("no cache and no server: nothing to show");
    assert_eq!(refused.code(), "client.unreachable", "{refused}");
    s.restart().await;
    let engine = Engine::resume(elsewhere.path(), s.profile(), account, creds, fast())
        .await
        .unwrap()
        .expect("resumed online");
    engine.sync_now().await.unwrap();
    assert_eq!(
        engine
            .store()
            .inquiries(false, None, 50)
            .unwrap()
            .items
            .len(),
        3
    );
}
