//! The commands that go through the desktop's native parts, with a host that records
//! what it was asked and answers as the user would: which dialog opens, what a
//! cancelled dialog leaves, and what reaches the system's opener.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use trade_client::credentials::MemoryStore;
use trade_client::engine::{Options, Status};
use trade_client::notify::Notification;
use trade_desk::native::{self, Chosen, Opening, PathDialog};
use trade_desk::{Desk, Host};
use trade_model::api::UnreadCounts;
use trade_model::{DocumentId, OrderId};

/// Answers every dialog with `answer` (`None`: the user cancels) and records the
/// dialogs and what it was asked to open.
struct User {
    answer: Option<PathBuf>,
    dialogs: Mutex<Vec<PathDialog>>,
    opened: Mutex<Vec<Opening>>,
}

impl User {
    fn answering(answer: Option<&str>) -> Arc<User> {
        Arc::new(User {
            answer: answer.map(PathBuf::from),
            dialogs: Mutex::default(),
            opened: Mutex::default(),
        })
    }
}

impl Host for User {
    fn status(&self, _status: &Status) {}
    fn changed(&self, _revision: u64, _unread: &UnreadCounts) {}
    fn notify(&self, _notification: &Notification) {}
    fn ask_path(&self, dialog: PathDialog) -> Chosen {
        self.dialogs.lock().unwrap().push(dialog);
        let answer = self.answer.clone();
        Box::pin(async move { answer })
    }
    fn open(&self, what: &Opening) -> Result<(), String> {
        self.opened.lock().unwrap().push(what.clone());
        Ok(())
    }
    fn autostart(&self) -> Result<bool, String> {
        Ok(false)
    }
    fn set_autostart(&self, _enabled: bool) -> Result<(), String> {
        Err("not in these tests".into())
    }
}

fn desk_for(user: &Arc<User>) -> (Desk, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let desk = Desk::new(
        data.path().to_owned(),
        Arc::new(MemoryStore::default()),
        Options::default(),
        user.clone(),
    );
    (desk, data)
}

#[tokio::test]
async fn choosing_a_document_offers_the_accepted_types_and_answers_the_path() {
    let user = User::answering(Some("/home/anna/contract.pdf"));
    let (desk, _data) = desk_for(&user);
    assert_eq!(
        desk.choose_document().await.unwrap().as_deref(),
        Some("/home/anna/contract.pdf")
    );
    let PathDialog::Open { extensions, .. } = user.dialogs.lock().unwrap()[0].clone() else {
        panic!("an open dialog");
    };
    assert_eq!(extensions, trade_documents::DocumentKind::ALL_EXTENSIONS);
    assert!(extensions.contains(&"pdf"));

    let user = User::answering(None);
    let (desk, _data) = desk_for(&user);
    assert_eq!(desk.choose_ca_file().await.unwrap(), None, "cancelled");
    assert_eq!(user.dialogs.lock().unwrap()[0], native::CA_FILE);
}

#[tokio::test]
async fn a_save_dialog_suggests_only_a_plain_file_name_and_a_cancel_saves_nothing() {
    let user = User::answering(None);
    let (desk, data) = desk_for(&user);
    // Cancelled: nothing is asked of the engine (none is signed in here), nothing saved.
    let saved = desk
        .save_document_as(DocumentId::new(), "../../.config/autostart/x.desktop")
        .await
        .unwrap();
    assert!(!saved);
    let exported = desk
        .export_evidence_as(OrderId::new(), "..\\..\\evidence")
        .await
        .unwrap();
    assert!(exported.is_none());
    let dialogs = user.dialogs.lock().unwrap().clone();
    let suggested: Vec<String> = dialogs
        .into_iter()
        .map(|d| match d {
            PathDialog::Save { suggested_name, .. } => suggested_name,
            other => panic!("a save dialog, not {other:?}"),
        })
        .collect();
    assert_eq!(suggested, ["x.desktop", "evidence"]);
    assert_eq!(
        std::fs::read_dir(data.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn file_names_from_others_lose_paths_control_characters_and_leading_dots() {
    for (given, safe) in [
        ("PI-2026-118.pdf", "PI-2026-118.pdf"),
        ("/etc/passwd", "passwd"),
        ("C:\\Users\\x\\invoice.xlsx", "invoice.xlsx"),
        ("..", "document"),
        (".bashrc", "bashrc"),
        ("  ", "document"),
        ("line\nbreak\u{7}.pdf", "linebreak.pdf"),
        ("报价单.pdf", "报价单.pdf"),
    ] {
        assert_eq!(native::safe_file_name(given, "document"), safe, "{given:?}");
    }
    let long = "a".repeat(300) + ".pdf";
    assert_eq!(
        native::safe_file_name(&long, "document").chars().count(),
        120
    );
}

#[tokio::test]
async fn only_well_formed_https_links_reach_the_browser() {
    let user = User::answering(None);
    let (desk, _data) = desk_for(&user);
    for (url, code) in [
        ("http://supplier.example/catalog", "link.not_https"),
        ("file:///etc/passwd", "link.not_https"),
        ("javascript:alert(1)", "link.not_https"),
        ("not a link", "link.invalid"),
    ] {
        let err = desk.open_external(url).await.unwrap_err();
        assert_eq!(err.code, code, "{url}");
    }
    assert!(user.opened.lock().unwrap().is_empty(), "nothing opened");
    desk.open_external("https://supplier.example/catalog?page=2")
        .await
        .unwrap();
    assert_eq!(
        user.opened.lock().unwrap().as_slice(),
        [Opening::Link(
            "https://supplier.example/catalog?page=2".parse().unwrap()
        )]
    );
}
