//! Tauri's build step, with the app's own commands declared (their one list is in
//! trade-desk) so that the capability file can list exactly them (nothing else is
//! callable from the webview).

include!("../crates/trade-desk/src/command_names.rs");

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|e| panic!("tauri build step failed: {e}"));
}
