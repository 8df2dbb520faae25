//! Trade Center Desktop: the window, the tray, native dialogs and notifications around
//! `trade-desk`, which does the work. Commands are in `commands.rs` (a few lines each);
//! engine events reach the window, the tray and the notification server through
//! `shell.rs`.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod shell;
#[cfg(target_os = "linux")]
mod webkit_env;

use std::sync::Arc;

use anyhow::Context;
use shell::Launch;
use tauri::{Manager, WebviewUrl, WebviewWindowBuilder};
use tauri_plugin_deep_link::DeepLinkExt;
use tauri_plugin_window_state::StateFlags;
use trade_desk::ipc::StartOptions;
use trade_desk::{Desk, deep_link};

fn main() -> anyhow::Result<()> {
    #[cfg(target_os = "linux")]
    webkit_env::set();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    tauri::Builder::default()
        // First: a second launch (the desktop opening a tradecenter:// link, or the user
        // starting the app again) hands its command line to this one and exits.
        .plugin(tauri_plugin_single_instance::init(|app, args, _cwd| {
            shell::command_line(app, &args, Launch::Second);
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .arg(deep_link::MINIMIZED_FLAG)
                .build(),
        )
        // Not the window's visibility: a start minimized to the tray stays hidden.
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(StateFlags::all() - StateFlags::VISIBLE)
                .build(),
        )
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .setup(|app| {
            let data_dir = app
                .path()
                .app_data_dir()
                .context("no data directory for the app")?;
            let shell = Arc::new(shell::Shell::new(app.handle().clone()));
            let desk = Arc::new(Desk::on_this_machine(data_dir, shell.clone()));
            app.manage(desk.clone());
            // The saved session is resumed (keyring, cache, engine) and the first screen
            // read while the page loads, not after its script asks: the page's `launch`,
            // asked as its first module is evaluated, takes the answer.
            app.manage(commands::EarlyLaunch::begin(tauri::async_runtime::spawn(
                async move { desk.launch(StartOptions::from_env()).await },
            )));
            // Linux and Windows give a link on the command line (`%u`); macOS sends it
            // as an event, which the deep-link plugin passes on (also for a running app).
            let args: Vec<String> = std::env::args().collect();
            let request = shell::command_line(app.handle(), &args, Launch::First);
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                for url in event.urls() {
                    shell::link(&handle, url.as_str(), true);
                }
            });
            #[cfg(unix)]
            tauri::async_runtime::spawn(quit_on_signal(app.handle().clone()));
            open_main_window(app, !request.minimized)?;
            // After the window: GTK reads its settings as it makes the window, and the
            // font's name is then at hand. Read before, the reading held up the window by
            // 18 ms (the page asked for 12 ms later, medians of 16 starts, 2026-12-06).
            // The page asks for it (`launch`) only once its script runs.
            app.manage(commands::DesktopFont(desktop_font()));
            // The tray icon at once when the window starts hidden, else once the page is
            // on screen (`Shell::install_tray` says why).
            if request.minimized {
                shell.install_tray()?;
            }
            app.manage(shell);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::launch,
            commands::first_screen_shown,
            commands::sign_in,
            commands::sign_out,
            commands::choose_ca_file,
            commands::overview,
            commands::first_screen,
            commands::inquiries,
            commands::inquiry,
            commands::thread,
            commands::send_message,
            commands::mark_read,
            commands::outbox,
            commands::retry,
            commands::discard,
            commands::search,
            commands::settings,
            commands::set_settings,
            commands::set_muted,
            commands::save_document,
            commands::open_external,
            commands::orders,
            commands::order_counts,
            commands::partners,
            commands::open_document,
            commands::chat_bank_details,
            commands::order_detail,
            commands::order_action,
            commands::confirm_order,
            commands::drafts,
            commands::save_draft,
            commands::draft_from_quotation,
            commands::discard_draft,
            commands::submit_draft,
            commands::choose_document,
            commands::attach_file,
            commands::payment_quote,
            commands::check_card,
            commands::pay,
            commands::export_evidence,
            commands::take_link,
            commands::autostart,
            commands::set_autostart,
            commands::comparisons,
            commands::create_comparison,
            commands::update_comparison,
            commands::delete_comparison,
            commands::add_to_comparison,
            commands::remove_from_comparison,
            commands::set_estimates,
            commands::comparison,
            commands::refresh_comparison,
            commands::export_orders,
            commands::export_payments,
            commands::export_comparison,
        ])
        .build(tauri::generate_context!())
        .context("the app failed to start")?
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event
                && let Some(desk) = app.try_state::<Arc<Desk>>()
            {
                desk.before_exit();
            }
        });
    Ok(())
}

/// The desktop session ending (SIGTERM at logout or shutdown), the terminal closing
/// (SIGHUP) or Ctrl-C (SIGINT) quit the app as the tray's Quit does: through the event
/// loop's exit, so the keyring calls in flight finish ([`Desk::before_exit`]) and the
/// window's size and place are saved, instead of the process dying where it stands.
#[cfg(unix)]
async fn quit_on_signal(app: tauri::AppHandle) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("cannot listen for signals: they end the app where it stands");
        return;
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = hup.recv() => "SIGHUP",
        _ = int.recv() => "SIGINT",
    };
    tracing::info!("{name}: quitting");
    app.exit(0);
}

/// The one window. It may only ever show the app's own pages: any navigation elsewhere
/// (a link in content, a redirect) is refused; external links go through
/// `open_external`, after the user confirmed, to the system browser. Started at login
/// (`--minimized`) it stays hidden: the tray's "Open Trade Center" shows it.
///
/// It is built hidden, with its web view, and then shown. Built visible, in about one
/// start in four the web view's first drawing stalled the start by half a second: GTK's
/// thread waited in the web view's draw for the web process's first picture (WebKit
/// gives up after 500 ms) while the web process's main thread waited for an answer from
/// GTK's thread (gdb on both during a stall; drawing without GL, the app's drawing).
/// Counted on the page's
/// start (`main` → the page's load started, 20 starts each through the desktop bench's
/// WebDriver, 2026-12-06): built visible, 5 stalls of 450–780 ms; built hidden and
/// shown, none (and none in 30 starts to the sign-in form, against 9 of 30).
fn open_main_window(app: &mut tauri::App, visible: bool) -> anyhow::Result<()> {
    let window = WebviewWindowBuilder::new(app, shell::MAIN, WebviewUrl::App("index.html".into()))
        .title("Trade Center")
        .visible(false)
        .inner_size(1200.0, 780.0)
        .min_inner_size(1000.0, 640.0)
        .on_navigation(shell::is_app_url)
        .build()
        .context("the main window could not open")?;
    if visible {
        window
            .show()
            .context("the main window could not be shown")?;
    }
    #[cfg(target_os = "linux")]
    window
        .with_webview(draw_without_gl)
        .context("the main window's web view could not be set up")?;
    Ok(())
}

/// The desktop's UI font (the family of GTK's `gtk-font-name`) as a CSS `font-family`
/// value (`trade_desk::font`). Read on the main thread, where GTK lives.
#[cfg(target_os = "linux")]
fn desktop_font() -> Option<String> {
    use gtk::prelude::GtkSettingsExt;
    let name = gtk::Settings::default()?.gtk_font_name()?;
    let family = gtk::pango::FontDescription::from_string(&name).family()?;
    trade_desk::font::css_font_family(&family)
}

/// Elsewhere the page's `system-ui` is the platform's font, without a cost.
#[cfg(not(target_os = "linux"))]
fn desktop_font() -> Option<String> {
    None
}

/// WebKitGTK draws the page on the CPU, in the web process, instead of compositing
/// layers through OpenGL. The app's pages are text and flat colours: nothing in them
/// needs the GPU. The composited mode keeps a GL context and its buffers in the web
/// process, and re-composites the window on every change: on the bench's desktop (Mesa's
/// software GL) the window took 308 MiB at rest instead of 248, and 24% of a core during
/// a first sync instead of 9% (`bench-reports/desktop.md`). Set right after the window is
/// built: the bench's web process then holds no GL memory. (WebDriver screenshots wait
/// for the next drawing, which an idle page in this mode never does: the desktop tests'
/// harness makes one.) `WEBKIT_DISABLE_COMPOSITING_MODE` ([`webkit_env::OPTIONS`]) already
/// asks for this drawing before WebKit starts; the web view's own setting is the
/// documented way and keeps it if a WebKit stops reading the variable.
#[cfg(target_os = "linux")]
fn draw_without_gl(webview: tauri::webview::PlatformWebview) {
    use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
    match WebViewExt::settings(&webview.inner()) {
        Some(settings) => {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never)
        }
        None => tracing::warn!("the web view has no settings: it keeps composited drawing"),
    }
}
