//! The shell's side of engine events: window events, the tray's unread count, and
//! desktop notifications through the platform's notification server.

use std::sync::{Arc, Mutex};

use serde::Serialize;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_autostart::ManagerExt;
use tauri_plugin_dialog::DialogExt;
#[cfg(not(target_os = "linux"))]
use tauri_plugin_opener::OpenerExt;
use trade_desk::ipc::{Notification, Status, Target, UnreadCounts};
use trade_desk::native::{Chosen, Opening, PathDialog};
use trade_desk::{Desk, deep_link};

/// The main window's label.
pub const MAIN: &str = "main";

/// Whether `url` is one of the app's own pages (the embedded front end); everything else
/// is refused as a navigation target.
pub fn is_app_url(url: &tauri::Url) -> bool {
    match url.scheme() {
        "tauri" => true,
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}

/// Which start of the app a command line comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Launch {
    /// This process's own.
    First,
    /// A second start's, handed over by single-instance (which then exits).
    Second,
}

/// A command line (with the program's name first): its link, if any, goes to the desk
/// for the window (see [`link`]). A second start brings the window forward unless it
/// asked to stay minimized. Answers what was asked.
pub fn command_line(app: &AppHandle, args: &[String], launch: Launch) -> deep_link::Request {
    let mut request = deep_link::request(args.iter().skip(1));
    if let Some(link) = request.link.take() {
        offer(app, link);
    }
    if launch == Launch::Second && !request.minimized {
        show_main(app);
    }
    request
}

/// A link handed over by the system while running (macOS's open-URL event): read
/// strictly, then as [`command_line`]'s.
pub fn link(app: &AppHandle, raw: &str, show: bool) {
    offer(app, deep_link::parse(raw));
    if show {
        show_main(app);
    }
}

fn offer(app: &AppHandle, link: Result<deep_link::DeepLink, trade_desk::CommandError>) {
    match &link {
        Ok(l) => tracing::info!(link = %l.to_url(), "link to open"),
        Err(e) => tracing::info!(code = %e.code, "link refused"),
    }
    if let Some(desk) = app.try_state::<Arc<Desk>>() {
        desk.offer_link(link);
    }
    // The window takes it (`take_link`) now if it is signed in, else after sign-in.
    let _ = app.emit_to(MAIN, "link", ());
}

pub fn show_main(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

#[derive(Clone, Serialize)]
struct Changed<'a> {
    revision: u64,
    unread: &'a UnreadCounts,
}

pub struct Shell {
    app: AppHandle,
    tray: Mutex<Tray>,
}

/// The tray icon once installed, and the unread counts it shows. One lock for both: the
/// engine's first counts can come before the icon is installed (it is installed once the
/// page is on screen), and the icon then starts with the latest.
#[derive(Default)]
struct Tray {
    icon: Option<TrayIcon>,
    unread: Option<UnreadCounts>,
}

impl Shell {
    pub fn new(app: AppHandle) -> Shell {
        Shell {
            app,
            tray: Mutex::new(Tray::default()),
        }
    }

    /// The tray icon: the unread count in its tooltip (and label where the platform
    /// shows one), a menu to open the window or quit. Made once: later calls do
    /// nothing. On the main thread only (GTK's), which it holds for 20-30 ms
    /// (libayatana-appindicator, its menu, D-Bus).
    ///
    /// When: a start with the window shown makes it once the page has drawn its first
    /// screen, the sign-in form or the inbox ([`Shell::make_tray_soon`] from the page's
    /// `first_screen_shown`). Made in `setup`, it held up the page's load, which WebKit
    /// starts from the main loop once `setup` has returned: 15-30 ms of a 0.5 s start
    /// to the inbox (the desktop bench's starts, A/Bs of 45 starts each). A start hidden at
    /// login makes it at once: the icon is its only way in (and a hidden page draws no
    /// frame to wait for).
    pub fn install_tray(&self) -> tauri::Result<()> {
        let made = self
            .tray
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .icon
            .is_some();
        if made {
            return Ok(());
        }
        let open = MenuItem::with_id(&self.app, "open", "Open Trade Center", true, None::<&str>)?;
        let quit = MenuItem::with_id(&self.app, "quit", "Quit", true, None::<&str>)?;
        let menu = Menu::with_items(&self.app, &[&open, &quit])?;
        let mut builder = TrayIconBuilder::with_id("unread")
            .tooltip("Trade Center")
            .menu(&menu)
            .on_menu_event(|app, event| match event.id.as_ref() {
                "open" => show_main(app),
                "quit" => app.exit(0),
                _ => {}
            });
        if let Some(icon) = self.app.default_window_icon() {
            builder = builder.icon(icon.clone());
        }
        let icon = builder.build(&self.app)?;
        let mut tray = self.tray.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(unread) = &tray.unread {
            show_unread_on(&icon, unread);
        }
        tray.icon = Some(icon);
        Ok(())
    }

    /// [`Shell::install_tray`] from any thread: queued for the main thread.
    pub fn make_tray_soon(self: &Arc<Self>) {
        let shell = self.clone();
        let queued = self.app.run_on_main_thread(move || {
            if let Err(e) = shell.install_tray() {
                tracing::warn!("no tray icon: {e}");
            }
        });
        if let Err(e) = queued {
            tracing::warn!("no tray icon: the main loop is gone ({e})");
        }
    }

    fn show_unread(&self, unread: &UnreadCounts) {
        let mut tray = self.tray.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(icon) = &tray.icon {
            show_unread_on(icon, unread);
        }
        tray.unread = Some(unread.clone());
    }
}

/// The unread count in the tray icon's tooltip and label.
fn show_unread_on(tray: &TrayIcon, unread: &UnreadCounts) {
    let (tooltip, label) = match unread.total {
        0 => ("Trade Center — no unread messages".to_owned(), None),
        1 => (
            "Trade Center — 1 unread message".to_owned(),
            Some("1".to_owned()),
        ),
        n => (
            format!("Trade Center — {n} unread messages"),
            Some(n.to_string()),
        ),
    };
    let _ = tray.set_tooltip(Some(tooltip));
    let _ = tray.set_title(label);
}

impl trade_desk::Host for Shell {
    fn status(&self, status: &Status) {
        let _ = self.app.emit_to(MAIN, "status", status);
    }

    fn changed(&self, revision: u64, unread: &UnreadCounts) {
        let _ = self
            .app
            .emit_to(MAIN, "changed", Changed { revision, unread });
        self.show_unread(unread);
    }

    /// Shows a notification; clicking it opens its thread where the server supports
    /// actions. On freedesktop systems the summary and the body are both escaped: the
    /// specification lets servers read markup in the body, and some do in the summary,
    /// so a supplier's display name or message must not become markup. macOS and
    /// Windows show text as it is.
    fn notify(&self, n: &Notification) {
        #[cfg(all(unix, not(target_os = "macos")))]
        let (summary, body) = (n.title_escaped(), n.body_escaped());
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        let (summary, body) = (n.title.clone(), n.body.clone());
        let mut note = notify_rust::Notification::new();
        // The icon by its theme name: the one the .deb and .rpm install
        // (hicolor/<size>/apps/trade-center-desktop.png, the desktop file's Icon;
        // tests/desktop/package.rs). Unused on macOS and Windows.
        note.appname("Trade Center")
            .summary(&summary)
            .body(&body)
            .icon("trade-center-desktop");
        #[cfg(all(unix, not(target_os = "macos")))]
        note.action("default", "Open");
        // Windows and macOS show the sender by the app's identifier (the installers'
        // AppUserModelID, the bundle's CFBundleIdentifier); without it the toast is
        // PowerShell's and the macOS notification Finder's. As Tauri's own notification
        // API does; not compiled or run here (docs/packaging.md).
        #[cfg(target_os = "windows")]
        note.app_id(&self.app.config().identifier);
        #[cfg(target_os = "macos")]
        {
            // Once per process: mac-notification-sys refuses a second call.
            static SENDER: std::sync::Once = std::sync::Once::new();
            let identifier = self.app.config().identifier.clone();
            SENDER.call_once(|| {
                if let Err(e) = notify_rust::set_application(&identifier) {
                    tracing::info!(error = %e, "notifications go out under another app's name");
                }
            });
        }
        let target = n.target;
        let app = self.app.clone();
        // Showing talks to D-Bus and waiting for a click blocks: off the async runtime.
        std::thread::spawn(move || match note.show() {
            Ok(handle) => {
                #[cfg(all(unix, not(target_os = "macos")))]
                handle.wait_for_action(|action| {
                    if action == "default" {
                        show_main(&app);
                        let _ = match target {
                            Target::Inquiry(id) => app.emit_to(MAIN, "open-thread", id),
                            Target::Order(id) => app.emit_to(MAIN, "open-order", id),
                        };
                    }
                });
                #[cfg(not(all(unix, not(target_os = "macos"))))]
                let _ = (handle, app, target);
            }
            Err(e) => tracing::info!(error = %e, "no notification server: notification not shown"),
        });
    }

    fn ask_path(&self, dialog: PathDialog) -> Chosen {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let answer = move |path: Option<tauri_plugin_dialog::FilePath>| {
            let _ = tx.send(path.and_then(|p| p.into_path().ok()));
        };
        let file = self.app.dialog().file();
        match dialog {
            PathDialog::Open {
                title,
                filter,
                extensions,
            } => file
                .set_title(title)
                .add_filter(filter, extensions)
                .pick_file(answer),
            PathDialog::Save {
                title,
                suggested_name,
                filter,
            } => {
                let file = file.set_title(title).set_file_name(&suggested_name);
                match filter {
                    Some((name, extensions)) => file.add_filter(name, extensions),
                    None => file,
                }
                .save_file(answer)
            }
        }
        Box::pin(async move { rx.await.ok().flatten() })
    }

    /// On Linux without the variables the app set for WebKit's processes
    /// (`webkit_env::open_with_desktop`).
    #[cfg(target_os = "linux")]
    fn open(&self, what: &Opening) -> Result<(), String> {
        let target = match what {
            Opening::File(path) => path.as_os_str(),
            Opening::Link(url) => std::ffi::OsStr::new(url.as_str()),
        };
        crate::webkit_env::open_with_desktop(target).map_err(|e| e.to_string())
    }

    #[cfg(not(target_os = "linux"))]
    fn open(&self, what: &Opening) -> Result<(), String> {
        let opener = self.app.opener();
        match what {
            Opening::File(path) => opener.open_path(path.to_string_lossy(), None::<&str>),
            Opening::Link(url) => opener.open_url(url.as_str(), None::<&str>),
        }
        .map_err(|e| e.to_string())
    }

    /// The autostart plugin's entry (on Linux `~/.config/autostart/Trade Center.desktop`,
    /// `Exec=<this binary> --minimized`).
    fn autostart(&self) -> Result<bool, String> {
        self.app
            .autolaunch()
            .is_enabled()
            .map_err(|e| e.to_string())
    }

    fn set_autostart(&self, enabled: bool) -> Result<(), String> {
        let manager = self.app.autolaunch();
        if enabled {
            // auto-launch creates `~/.config/autostart` but not `~/.config` itself.
            #[cfg(target_os = "linux")]
            if let Ok(home) = self.app.path().home_dir() {
                std::fs::create_dir_all(home.join(".config/autostart"))
                    .map_err(|e| e.to_string())?;
            }
            manager.enable()
        } else {
            manager.disable()
        }
        .map_err(|e| e.to_string())
    }
}
