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
        trade_desk::deep_link::DeepLink,
        trade_client::engine::Status,
        trade_client::store::queries::ThreadMessage,
        trade_client::store::search::SearchResults,
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
        trade_model::card::CardProblem,
        trade_model::api::PaymentQuote,
        trade_model::api::PaymentResult,
        trade_model::error::FieldError,
        trade_model::ErrorCode,
        trade_client::error::ClientCode,
        trade_model::order::OrderAction,
        trade_client::store::queries::OrderFilter,
        trade_client::store::queries::Partner,
        trade_client::payment_safety::BankDetail,
        trade_model::quotation::Quotation,
        trade_model::quotation::NewQuotation,
        trade_model::quotation::ExchangeRates,
        trade_model::supplier::SupplierFacts,
        trade_client::comparisons::ComparisonId,
        trade_client::comparisons::ComparisonSummary,
        trade_client::comparisons::ComparisonSheet,
        trade_client::comparisons::ComparisonTerms,
        trade_client::comparisons::SheetColumn,
        trade_model::quotation::Estimates,
        trade_model::quotation::SortDirection,
        trade_client::engine::Refreshed,
        trade_client::exports::ExportFormat,
        trade_client::exports::Exported,
    );
    rules(dir);
}

/// The rules' numbers and lists the window shows or checks before it sends anything,
/// from trade-model, and the size of a page it reads: the UI imports them from
/// `bindings/rules.ts` instead of restating them.
fn rules(dir: &Path) {
    use trade_model::{Currency, dispute, entities, order};
    let days = |d: jiff::SignedDuration| d.as_secs() / 86_400;
    let currencies: String = Currency::all()
        .map(|c| format!("  {}: {},\n", c.code(), c.exponent()))
        .collect();
    let incoterms = order::Incoterm::KNOWN
        .iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        "// Generated from trade-model by crates/trade-desk/tests/desk/bindings.rs: do not edit.\n\
         // The rules' numbers and lists the window shows or checks before it sends anything.\n\
         \n\
         /** Minor-unit exponents of the currencies the platform settles in. */\n\
         export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = {{\n{currencies}}};\n\
         export const INCOTERMS: readonly string[] = [{incoterms}];\n\
         export const MAX_MESSAGE_CHARS = {};\n\
         export const MAX_ATTACHMENTS = {};\n\
         /** Lines of one order. */\n\
         export const MAX_LINES = {};\n\
         /** An order line's product name. */\n\
         export const MAX_PRODUCT_CHARS = {};\n\
         /** An order line's unit. */\n\
         export const MAX_UNIT_CHARS = {};\n\
         /** Remarks, notes, a dispute's description. */\n\
         export const MAX_TEXT_CHARS = {};\n\
         /** The buyer may escalate a dispute this many days after filing it. */\n\
         export const DISPUTE_ESCALATION_AFTER_DAYS = {};\n\
         /** Negotiation escalates by itself this many days after filing. */\n\
         export const DISPUTE_AUTO_ESCALATION_AFTER_DAYS = {};\n\
         export const MAX_EVIDENCE = {};\n\
         /** The items of a page the window reads of a list (trade-desk's `launch::PAGE`): the\n\
          *  launch's first inbox page holds as many. */\n\
         export const PAGE = {};\n",
        entities::MAX_MESSAGE_CHARS,
        entities::MAX_ATTACHMENTS,
        order::MAX_LINES,
        order::MAX_SHORT_TEXT_CHARS,
        order::MAX_UNIT_CHARS,
        order::MAX_TEXT_CHARS,
        days(dispute::BUYER_ESCALATION_AFTER),
        days(dispute::AUTO_ESCALATION_AFTER),
        dispute::MAX_EVIDENCE,
        trade_desk::launch::PAGE,
    );
    std::fs::write(dir.join("rules.ts"), text).unwrap();
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
