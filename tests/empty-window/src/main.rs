//! An empty Tauri window: one page with one word, nothing else. The desktop bench
//! (`tests/benches/desktop.rs`) starts it beside the app to measure what the app adds to
//! a bare window: cold start to the first paint, and memory (PSS).
//!
//! With `TRADE_EMPTY_WINDOW_PAGE=list.html` the window shows a plain list of rows instead
//! (`dist/list.js`, no framework), which the bench scrolls as it scrolls the app's inbox:
//! what WebKit itself keeps after drawing scrolled rows.
//!
//! With `TRADE_EMPTY_WINDOW_SNAPSHOT=<dir>` the window starts on a page the bench wrote
//! there: the app's first screen as the app drew it (its DOM and its style rules), with
//! no script but `snapshot/frame.js`, which marks the frames as the app's inbox marks
//! its own. Its cold start is what WebKit alone takes to draw that screen: the floor
//! under the app's start to the interactive inbox.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::path::PathBuf;

use tauri::http::{HeaderValue, Response, StatusCode, header};
use tauri::{Manager, Url, WebviewUrl};

/// The plain list (`dist/list.html`), shown instead of the one word when asked for.
const LIST_PAGE: &str = "list.html";

/// The scheme of a snapshot's page and the files it may ask for (the bench writes the
/// page and its style rules; the frame marks are this crate's).
const SNAPSHOT_SCHEME: &str = "snapshot";
const SNAPSHOT_PAGE: &str = "index.html";
const SNAPSHOT_STYLE: &str = "snapshot.css";
const SNAPSHOT_SCRIPT: &str = "frame.js";
const FRAME_MARKS: &str = include_str!("../snapshot/frame.js");

fn main() {
    let mut context = tauri::generate_context!();
    let mut builder = tauri::Builder::default();
    if let Some(dir) = std::env::var_os("TRADE_EMPTY_WINDOW_SNAPSHOT").map(PathBuf::from) {
        let url = match Url::parse(&format!("{SNAPSHOT_SCHEME}://localhost/{SNAPSHOT_PAGE}")) {
            Ok(url) => url,
            Err(e) => {
                eprintln!("the snapshot's address: {e}");
                std::process::exit(1);
            }
        };
        // Built hidden and shown once built, as the app's window is: built visible, its
        // first drawing without GL stalls one start in four by half a second
        // (`open_main_window` in src-tauri/src/main.rs), which is no part of what WebKit
        // takes to draw the app's screen.
        for window in &mut context.config_mut().app.windows {
            window.url = WebviewUrl::CustomProtocol(url.clone());
            window.visible = false;
        }
        builder = builder.register_uri_scheme_protocol(SNAPSHOT_SCHEME, move |_, request| {
            snapshot_file(&dir, request.uri().path())
        });
    }
    let app = builder.setup(|app| {
        for window in app.webview_windows().values() {
            if !window.is_visible()? {
                window.show()?;
            }
        }
        match std::env::var("TRADE_EMPTY_WINDOW_PAGE").ok().as_deref() {
            None => {}
            Some(LIST_PAGE) => {
                let window = app
                    .get_webview_window("main")
                    .ok_or("the empty window has no main window")?;
                let list = window.url()?.join(LIST_PAGE)?;
                window.navigate(list)?;
            }
            Some(other) => return Err(format!("no page {other:?}: only {LIST_PAGE}").into()),
        }
        Ok(())
    });
    if let Err(e) = app.run(context) {
        eprintln!("the empty window did not run: {e}");
        std::process::exit(1);
    }
}

/// One of the snapshot's three files, by its address's path; any other path is not found
/// (no path from a request reaches the file system).
fn snapshot_file(dir: &std::path::Path, path: &str) -> Response<Vec<u8>> {
    let (body, kind) = match path.trim_start_matches('/') {
        SNAPSHOT_PAGE => (std::fs::read(dir.join(SNAPSHOT_PAGE)), "text/html"),
        SNAPSHOT_STYLE => (std::fs::read(dir.join(SNAPSHOT_STYLE)), "text/css"),
        SNAPSHOT_SCRIPT => (Ok(FRAME_MARKS.as_bytes().to_vec()), "text/javascript"),
        _ => (Err(std::io::ErrorKind::NotFound.into()), "text/plain"),
    };
    let mut response = match body {
        Ok(body) => Response::new(body),
        Err(e) => {
            let mut r = Response::new(format!("{path}: {e}").into_bytes());
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'"),
    );
    response
}
