//! The desktop app's command bodies without a window, against the real demo backend:
//! the profile the start offers (server, CA file) is what the form signs in with; events
//! reach the host; sign-out forgets the account; bad input gets a typed error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use trade_client::credentials::MemoryStore;
use trade_client::engine::{Connection, Options, Status};
use trade_client::notify::Notification;
use trade_client::store::queries::OrderFilter;
use trade_desk::deep_link::{self, DeepLink};
use trade_desk::launch::{PAGE, SignInForm, StartOptions};
use trade_desk::native::{Chosen, Opening, PathDialog};
use trade_desk::{Desk, Host};
use trade_model::api::UnreadCounts;

#[derive(Default)]
struct Recorder {
    statuses: Mutex<Vec<Status>>,
    unread: Mutex<Vec<UnreadCounts>>,
}

impl Host for Recorder {
    fn status(&self, status: &Status) {
        self.statuses.lock().unwrap().push(status.clone());
    }
    fn changed(&self, _revision: u64, unread: &UnreadCounts) {
        self.unread.lock().unwrap().push(unread.clone());
    }
    fn notify(&self, _notification: &Notification) {}
    fn ask_path(&self, _dialog: PathDialog) -> Chosen {
        Box::pin(async { None })
    }
    fn open(&self, _what: &Opening) -> Result<(), String> {
        Ok(())
    }
    fn autostart(&self) -> Result<bool, String> {
        Ok(false)
    }
    fn set_autostart(&self, _enabled: bool) -> Result<(), String> {
        Err("not in these tests".into())
    }
}

async fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn the_offered_server_signs_in_syncs_and_signs_out() {
    let server_dir = tempfile::tempdir().unwrap();
    let mut opts =
        trade_demo::DemoOptions::new(server_dir.path().to_owned(), "127.0.0.1:0".parse().unwrap());
    opts.bot_delay = Duration::from_secs(3600);
    let (running, accounts) = trade_demo::start(opts).await.unwrap();
    let url = running.base_url().replace("127.0.0.1", "localhost");
    let ca = running.ca_path.clone().unwrap();

    let data = tempfile::tempdir().unwrap();
    let host = Arc::new(Recorder::default());
    let desk = Desk::new(
        data.path().to_owned(),
        Arc::new(MemoryStore::default()),
        Options::default(),
        host.clone(),
    );
    let start = StartOptions {
        url: Some(url.clone()),
        ca_file: Some(ca.clone()),
        email: Some(accounts.buyer.email.clone()),
        demo_password: None,
    };
    let launch = desk.launch(start.clone()).await;
    assert!(launch.signed_in.is_none(), "nothing to resume, no password");
    assert_eq!(launch.form.url, url);
    assert_eq!(launch.form.ca_file_name.as_deref(), Some("ca.pem"));
    assert_eq!(launch.form.email, accounts.buyer.email);

    // Commands before signing in answer with a code, not a panic.
    assert_eq!(
        desk.inquiries(false, None, 50).await.unwrap_err().code,
        "auth.not_signed_in"
    );
    let form = |password: &str| SignInForm {
        url: url.clone(),
        ca_path: None,
        email: accounts.buyer.email.clone(),
        password: password.to_owned(),
    };
    let wrong = desk.sign_in(form("not the password")).await.unwrap_err();
    assert_eq!(wrong.code, "auth.bad_credentials");
    let missing = desk.sign_in(form("")).await.unwrap_err();
    assert_eq!(missing.code, "auth.missing_credentials");

    // The form with no CA file of its own uses the one the start offered.
    let signed = desk.sign_in(form(accounts.buyer.password)).await.unwrap();
    assert_eq!(signed.account.email, accounts.buyer.email);
    eventually("online", || {
        host.statuses
            .lock()
            .unwrap()
            .iter()
            .any(|s| s.connection == Connection::Online)
    })
    .await;
    let page = desk.inquiries(false, None, 50).await.unwrap();
    assert!(!page.items.is_empty());
    let unread = desk.overview().await.unwrap().unread;
    assert!(unread.total > 0);
    eventually("the host heard the unread totals", || {
        host.unread.lock().unwrap().last() == Some(&unread)
    })
    .await;

    // Orders: the boxes count what the lists hold; a detail has its timeline.
    let counts = desk.order_counts().await.unwrap();
    let listed = desk
        .orders(OrderFilter::default(), None, 500)
        .await
        .unwrap()
        .items;
    assert_eq!(
        counts.iter().map(|c| c.count).sum::<i64>(),
        listed.len() as i64
    );
    assert!(
        counts.iter().filter(|c| c.count > 0).count() >= 6,
        "{counts:?}"
    );
    let first = &listed[0];
    let detail = desk.order_detail(first.order.id).await.unwrap();
    assert!(!detail.history.is_empty());
    // An action the rules refuse is refused at once, with its code, and nothing queued.
    let completed = listed
        .iter()
        .find(|o| o.order_box == trade_model::order::OrderBox::Completed)
        .expect("the demo has a completed order");
    let refused = desk
        .order_action(
            completed.order.id,
            trade_model::order::OrderAction::Cancel {
                reason: "changed my mind".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code, "order.invalid_state");
    assert!(desk.outbox().await.unwrap().is_empty());
    // A draft with problems is kept and its problems named; submitting it changes nothing.
    let draft = trade_client::drafts::Draft {
        id: trade_model::OrderId::new(),
        counterparty: first.order.supplier,
        inquiry: None,
        origin: trade_model::order::OrderOrigin::Template,
        terms: trade_model::order::OrderTerms {
            lines: Vec::new(),
            ..first.order.terms.clone()
        },
        quotation: None,
        updated_at: jiff::Timestamp::now(),
    };
    let problems = desk.save_draft(draft.clone()).await.unwrap();
    assert!(problems.iter().any(|p| p.field == "lines"), "{problems:?}");
    let invalid = desk.submit_draft(draft.id).await.unwrap_err();
    assert_eq!(invalid.code, "order.invalid_terms");
    assert!(!invalid.fields.is_empty());
    assert_eq!(desk.drafts().await.unwrap().len(), 1);
    desk.discard_draft(draft.id).await.unwrap();
    assert!(desk.drafts().await.unwrap().is_empty());

    // A document opens from a copy named by its id and type only, checked against the
    // server's hash, whatever name its uploader gave it.
    let with_document = listed
        .iter()
        .find(|o| !o.order.terms.documents.is_empty())
        .expect("the demo has an order with a contract");
    let document = with_document.order.terms.documents[0];
    let copy = desk.document_copy(document).await.unwrap();
    let detail = desk.order_detail(with_document.order.id).await.unwrap();
    let meta = &detail.documents[0].meta;
    let kind = trade_documents::DocumentKind::from_extension(&meta.kind).unwrap();
    assert_eq!(
        copy.file_name().unwrap().to_string_lossy(),
        format!("{document}.{}", kind.extension()),
        "{}",
        copy.display()
    );
    let bytes = std::fs::read(&copy).unwrap();
    assert_eq!(
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
        meta.sha256
    );

    // Partners name the suppliers of orders.
    let partners = desk.partners().await.unwrap();
    assert!(
        listed
            .iter()
            .all(|o| partners.iter().any(|p| p.id == o.order.supplier))
    );

    // Links: one to a cached order or inquiry opens it (taken once); an id that is
    // neither cached nor, asked, on the server (404) is deep_link.not_found; a refused
    // link answers its deep_link.invalid.
    assert_eq!(desk.take_link().await.unwrap(), None);
    let order = first.order.id;
    desk.offer_link(deep_link::parse(&format!("tradecenter://orders/{order}")));
    assert_eq!(
        desk.take_link().await.unwrap(),
        Some(DeepLink::Order(order))
    );
    assert_eq!(desk.take_link().await.unwrap(), None, "taken once");
    let inquiry = page.items[0].id;
    desk.offer_link(deep_link::parse(&format!(
        "TradeCenter://Inquiries/{inquiry}/"
    )));
    assert_eq!(
        desk.take_link().await.unwrap(),
        Some(DeepLink::Inquiry(inquiry))
    );
    for unknown in [
        format!("tradecenter://orders/{}", trade_model::OrderId::new()),
        format!("tradecenter://inquiries/{}", trade_model::InquiryId::new()),
    ] {
        desk.offer_link(deep_link::parse(&unknown));
        let e = desk.take_link().await.unwrap_err();
        assert_eq!(e.code, "deep_link.not_found", "{unknown}: {e}");
    }
    desk.offer_link(deep_link::parse("tradecenter://orders/1"));
    assert_eq!(
        desk.take_link().await.unwrap_err().code,
        "deep_link.invalid"
    );

    // A start resumes the remembered session with its first screen, read with the launch
    // (the page has it before it listens to events): the connection, the unread counts
    // and the inbox's first page as the commands read them, at the revision it gives.
    let resumed = desk.launch(StartOptions::default()).await;
    assert!(resumed.signed_in.is_some(), "the session resumes");
    let first = resumed
        .first_screen
        .expect("a signed-in launch reads the first screen");
    let ids = |items: &[trade_model::entities::Inquiry]| -> Vec<_> {
        items.iter().map(|q| q.id).collect()
    };
    let inbox = desk.inquiries(false, None, PAGE).await.unwrap();
    assert!(!inbox.items.is_empty());
    assert_eq!(ids(&first.inbox.items), ids(&inbox.items));
    assert_eq!(first.inbox.next, inbox.next);
    assert_eq!(first.overview.unread, desk.overview().await.unwrap().unread);
    assert_eq!(first.settings, desk.settings().await.unwrap());
    assert!(first.overview.unread.total > 0);
    // A change after that read shows in the revision the window catches up with once it
    // listens: it reads again instead of keeping the launch's page.
    let unread = first
        .inbox
        .items
        .iter()
        .find(|q| q.unread_count > 0)
        .expect("an unread inquiry on the first page");
    desk.mark_read(unread.id).await.unwrap();
    let later = desk.overview().await.unwrap();
    assert!(
        later.revision > first.overview.revision,
        "revision {} after a change, {} at the launch",
        later.revision,
        first.overview.revision
    );
    assert!(later.unread.total < first.overview.unread.total);

    // Sign-out forgets the account: the next start shows the form, prefilled.
    desk.sign_out().await.unwrap();
    assert_eq!(
        desk.inquiries(false, None, 50).await.unwrap_err().code,
        "auth.not_signed_in"
    );
    // A link while nobody is signed in waits for the sign-in.
    desk.offer_link(deep_link::parse(&format!("tradecenter://orders/{order}")));
    assert_eq!(desk.take_link().await.unwrap(), None);
    let again = desk.launch(StartOptions::default()).await;
    assert!(again.signed_in.is_none());
    assert_eq!(again.form.url, url, "the server is remembered");
    assert_eq!(again.form.ca_file_name.as_deref(), Some("ca.pem"));
    running.shutdown().await;
}

/// The card form's check works before sign-in and offline (no engine), with the rules
/// the server applies: the dates are today's.
#[tokio::test]
async fn card_details_are_checked_without_a_server() {
    use trade_model::api::CardDetails;
    use trade_model::card::CardProblem;
    let data = tempfile::tempdir().unwrap();
    let desk = Desk::new(
        data.path().to_owned(),
        Arc::new(MemoryStore::default()),
        Options::default(),
        Arc::new(Recorder::default()),
    );
    let next_year = trade_model::time::utc_date(jiff::Timestamp::now()).year() + 1;
    let card = |number: &str, exp_year: i16| CardDetails {
        number: number.to_owned(),
        exp_month: 1,
        exp_year: u16::try_from(exp_year).unwrap(),
        cvc: "123".to_owned(),
        holder: "Anna Keller".to_owned(),
    };
    assert_eq!(
        desk.check_card(&card("4242 4242 4242 4242", next_year)),
        vec![]
    );
    assert_eq!(
        desk.check_card(&card("4242 4242 4242 4241", next_year - 2)),
        vec![CardProblem::Number, CardProblem::Expired]
    );
}
