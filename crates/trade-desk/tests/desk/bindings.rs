//! The TypeScript declarations in `ui/src/lib/bindings/` are generated from the Rust
//! types that cross IPC. This test fails when they are stale; to regenerate:
//! `TRADE_UPDATE_BINDINGS=1 cargo test -p trade-desk --test desk bindings::`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ts_rs::{Config, TS};

fn export(dir: &Path) {
    let cfg = Config::new().with_large_int("number").with_out_dir(dir);
    macro_rules! all {
        ($($t:ty),* $(,)?) => { $( <$t>::export_all(&cfg).unwrap(); )* };
    }
    use trade_client::store::queries::LocalPage;
    all!(
        trade_desk::CommandError,
        trade_desk::launch::LaunchState,
        trade_desk::launch::SignInForm,
        trade_client::engine::Status,
        trade_client::store::queries::ThreadMessage,
        trade_client::store::queries::SearchHit,
        trade_client::store::queries::OrderDetail,
        trade_client::notify::NotificationSettings,
        trade_client::notify::Notification,
        trade_client::outbox::OutboxEntry,
        trade_client::drafts::Draft,
        trade_client::files::LocalFile,
        trade_model::api::UnreadCounts,
        trade_model::api::OrderView,
        trade_model::entities::Inquiry,
        LocalPage<trade_model::entities::Inquiry>,
        trade_client::evidence::Manifest,
        trade_model::api::BoxCount,
        trade_model::api::PayRequest,
        trade_model::api::PaymentQuote,
        trade_model::api::PaymentResult,
        trade_model::error::FieldError,
        trade_model::ErrorCode,
        trade_model::order::OrderAction,
        trade_client::store::queries::OrderFilter,
        trade_client::store::queries::Partner,
        trade_client::payment_safety::BankDetail,
    );
}

fn files(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                out.insert(path.strip_prefix(dir).unwrap().to_owned(), text);
            }
        }
    }
    out
}

#[test]
fn generated_typescript_is_current() {
    let checked_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings");
    if std::env::var_os("TRADE_UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&checked_in);
        export(&checked_in);
        return;
    }
    let fresh = tempfile::tempdir().unwrap();
    export(fresh.path());
    let want = files(fresh.path());
    let have = if checked_in.exists() {
        files(&checked_in)
    } else {
        BTreeMap::new()
    };
    let stale: Vec<_> = want
        .iter()
        .filter(|(p, text)| have.get(*p) != Some(*text))
        .map(|(p, _)| p.display().to_string())
        .chain(
            have.keys()
                .filter(|p| !want.contains_key(*p))
                .map(|p| format!("{} (no longer generated)", p.display())),
        )
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/lib/bindings is stale: {stale:?}. Regenerate with \
         `TRADE_UPDATE_BINDINGS=1 cargo test -p trade-desk --test desk bindings::`"
    );
}
