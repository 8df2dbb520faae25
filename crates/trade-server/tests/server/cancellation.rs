//! A request cancelled while its write transaction is being opened (the client went
//! away) must not leave the database locked for everyone else.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use trade_server::db::Db;

#[tokio::test]
async fn writes_cancelled_while_opening_leave_the_database_writable() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_sqlite(&dir.path().join("trade.db")).await.unwrap();
    // Cancel attempts at every point of opening, from before BEGIN to after it.
    for i in 0..1500u64 {
        let _ = tokio::time::timeout(Duration::from_micros(i % 400), db.begin()).await;
    }
    let w = tokio::time::timeout(Duration::from_secs(20), db.begin())
        .await
        .expect("a new transaction opens: no cancelled one holds the write lock")
        .expect("and opening succeeds");
    w.commit().await.expect("and commits");
}
