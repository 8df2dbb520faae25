//! An empty Tauri window: one page with one word, nothing else. The desktop bench
//! (`tests/benches/desktop.rs`) starts it beside the app to measure what the app adds to
//! a bare window: cold start to the first paint, and memory (PSS).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(e) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("the empty window did not run: {e}");
        std::process::exit(1);
    }
}
