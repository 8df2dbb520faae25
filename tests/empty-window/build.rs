//! Tauri's build step (the window's configuration and capabilities).

fn main() {
    tauri_build::try_build(tauri_build::Attributes::new())
        .unwrap_or_else(|e| panic!("tauri build step failed: {e}"));
}
