//! An empty Tauri window: one page with one word, nothing else. The desktop bench
//! (`tests/benches/desktop.rs`) starts it beside the app to measure what the app adds to
//! a bare window: cold start to the first paint, and memory (PSS).
//!
//! With `TRADE_EMPTY_WINDOW_PAGE=list.html` the window shows a plain list of rows instead
//! (`dist/list.js`, no framework), which the bench scrolls as it scrolls the app's inbox:
//! what WebKit itself keeps after drawing scrolled rows.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use tauri::Manager;

/// The one other page the window can show.
const LIST_PAGE: &str = "list.html";

fn main() {
    let app = tauri::Builder::default().setup(|app| {
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
    if let Err(e) = app.run(tauri::generate_context!()) {
        eprintln!("the empty window did not run: {e}");
        std::process::exit(1);
    }
}
