//! What the desk tests share: the demo backend on a loopback port, and a desk signed in
//! to it as the demo buyer with a host that shows nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;
use trade_client::credentials::MemoryStore;
use trade_client::engine::Options;
use trade_client::notify::Notification;
use trade_demo::DemoAccounts;
use trade_desk::launch::{SignInForm, StartOptions};
use trade_desk::native::{Chosen, Opening, PathDialog};
use trade_desk::{Desk, Host};
use trade_model::api::UnreadCounts;
use trade_server::Running;

/// A host with no window: it shows nothing, picks no file, opens nothing.
pub struct Quiet;

impl Host for Quiet {
    fn status(&self, _status: &trade_client::engine::Status) {}
    fn changed(&self, _revision: u64, _unread: &UnreadCounts) {}
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

/// The demo backend (seeded world, the bot acting after `bot_delay`) in this process.
pub struct Demo {
    pub running: Running,
    pub accounts: DemoAccounts,
    /// `https://localhost:<port>`, as the desk is told.
    pub url: String,
    /// Its CA certificate's file.
    pub ca: PathBuf,
    _dir: TempDir,
}

impl Demo {
    pub async fn start(bot_delay: Duration) -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let mut opts =
            trade_demo::DemoOptions::new(dir.path().to_owned(), "127.0.0.1:0".parse().unwrap());
        opts.bot_delay = bot_delay;
        let (running, accounts) = trade_demo::start(opts).await.unwrap();
        let url = running.base_url().replace("127.0.0.1", "localhost");
        let ca = running.ca_path.clone().unwrap();
        Demo {
            running,
            accounts,
            url,
            ca,
            _dir: dir,
        }
    }

    /// A desk on a fresh data directory (kept with it), signed in as the demo buyer.
    pub async fn signed_in_desk(&self) -> (Desk, TempDir) {
        self.signed_in_desk_with(Arc::new(Quiet)).await
    }

    /// The same with another host (one that answers dialogs, say).
    pub async fn signed_in_desk_with(&self, host: Arc<dyn Host>) -> (Desk, TempDir) {
        let data = tempfile::tempdir().unwrap();
        let desk = Desk::new(
            data.path().to_owned(),
            Arc::new(MemoryStore::default()),
            Options::default(),
            host,
        );
        desk.launch(StartOptions {
            url: Some(self.url.clone()),
            ca_file: Some(self.ca.clone()),
            email: Some(self.accounts.buyer.email.clone()),
            demo_password: None,
        })
        .await;
        desk.sign_in(SignInForm {
            url: self.url.clone(),
            ca_path: None,
            email: self.accounts.buyer.email.clone(),
            password: self.accounts.buyer.password.to_owned(),
        })
        .await
        .unwrap();
        (desk, data)
    }
}
