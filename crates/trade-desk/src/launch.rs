//! What the app remembers between runs (never a secret: the refresh token is in the OS
//! keyring), and what it may be given at start.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use trade_client::engine::Status;
use trade_client::notify::NotificationSettings;
use trade_client::store::queries::LocalPage;
use trade_model::AccountId;
use trade_model::api::UnreadCounts;
use trade_model::entities::{Account, Inquiry};

/// The last server and account, in `<data dir>/profile.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remembered {
    pub url: Option<String>,
    /// The extra CA certificate (PEM) the user chose for this server, and its file name.
    pub ca_pem: Option<String>,
    pub ca_file_name: Option<String>,
    pub email: Option<String>,
    pub account: Option<AccountId>,
}

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("profile.json")
}

impl Remembered {
    /// What was saved; a missing or unreadable file is a first start.
    pub fn load(data_dir: &Path) -> Remembered {
        std::fs::read(path(data_dir))
            .ok()
            .and_then(|raw| serde_json::from_slice(&raw).ok())
            .unwrap_or_default()
    }

    /// Written through a temporary file, so a crash leaves the old or the new one.
    pub fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(data_dir)?;
        let raw = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let temp = data_dir.join("profile.json.new");
        std::fs::write(&temp, raw)?;
        std::fs::rename(temp, path(data_dir))
    }
}

/// Given on the command line or in the environment. The README's run command uses it to
/// open the app on the demo server, signed in as the demo buyer.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    pub url: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub email: Option<String>,
    /// Only for the demo: signs in at start when no saved session resumes.
    pub demo_password: Option<String>,
}

impl StartOptions {
    /// `TRADE_CENTER_SERVER`, `TRADE_CENTER_CA_FILE`, `TRADE_CENTER_EMAIL`,
    /// `TRADE_CENTER_DEMO_PASSWORD`.
    pub fn from_env() -> StartOptions {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        StartOptions {
            url: var("TRADE_CENTER_SERVER"),
            ca_file: var("TRADE_CENTER_CA_FILE").map(PathBuf::from),
            email: var("TRADE_CENTER_EMAIL"),
            demo_password: var("TRADE_CENTER_DEMO_PASSWORD"),
        }
    }
}

/// The sign-in form as the user filled it in.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct SignInForm {
    pub url: String,
    /// A CA certificate file chosen in the native dialog; `None` keeps the remembered
    /// one for the same server (or none).
    pub ca_path: Option<String>,
    pub email: String,
    pub password: String,
}

/// What the sign-in screen starts with.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct FormDefaults {
    pub url: String,
    pub email: String,
    /// The remembered CA's file name, if one is used.
    pub ca_file_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct SignedIn {
    pub account: Account,
    /// No keyring: the session ends when the app quits (the UI says so).
    pub session_only: bool,
}

/// What the window shows first: the app (signed in) or the sign-in form.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct LaunchState {
    pub signed_in: Option<SignedIn>,
    /// Signed in: what the app's frame draws first, read with the launch (none when the
    /// read failed: the window reads it again).
    pub first_screen: Option<FirstScreen>,
    pub form: FormDefaults,
    /// Why an automatic sign-in at start did not work, if it was tried.
    pub error: Option<crate::CommandError>,
    /// The desktop's UI font as a CSS `font-family` value (`crate::font`), set by the
    /// shell; none: the page keeps its `system-ui`.
    pub font: Option<String>,
}

impl LaunchState {
    /// Signed in at start (no error, no font yet: the shell adds it).
    pub fn signed_in(
        signed_in: SignedIn,
        first_screen: Option<FirstScreen>,
        form: FormDefaults,
    ) -> LaunchState {
        LaunchState {
            signed_in: Some(signed_in),
            first_screen,
            form,
            error: None,
            font: None,
        }
    }
}

/// The items of a page the window reads of a list (`ui/src/lib/paged.svelte.ts`: every
/// page but the last holds exactly this many), and so of the inbox's first page.
pub const PAGE: usize = 200;

/// What the frame around the views shows, and the cache's revision it was read at (the
/// engine's count of changes; each `changed` event carries it).
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct Overview {
    pub status: Status,
    pub unread: UnreadCounts,
    pub revision: u64,
}

/// What the app's frame draws first: the connection and the counts, and the inbox's
/// first page ("all", [`PAGE`] inquiries) with the notification settings (its muted
/// rows), read at the overview's revision or later.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct FirstScreen {
    pub overview: Overview,
    pub inbox: LocalPage<Inquiry>,
    pub settings: NotificationSettings,
}
