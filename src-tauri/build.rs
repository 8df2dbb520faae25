//! Tauri's build step, with the app's own commands declared (their one list is in
//! trade-desk) so that the capability file can list exactly them (nothing else is
//! callable from the webview); and on Linux, WebKit's heaviest library to link named
//! among the app's own (`link_voice_early`).

use std::process::Command;

include!("../crates/trade-desk/src/command_names.rs");

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|e| panic!("tauri build step failed: {e}"));
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        link_voice_early();
    }
}

/// WebKitGTK links flite's voices (speech synthesis). One of them, `cmu_time_awb`, holds
/// 31,000 relocations against its own symbols (its data tables), and the dynamic loader
/// looks each one up through every library loaded before it, in load order: in the app
/// it came 83rd of 169, and its lookups were 61% of the loader's work before `main`
/// (`LD_DEBUG=bindings`), about 20 ms of every start (perf). Named as one of the app's own
/// libraries it is loaded ~19th. Only where the system's WebKit links that voice: the
/// app then needs nothing its WebKit does not. (`LD_PRELOAD`, set in `webkit_env.rs`
/// for WebKit's own processes, does the same for them; it cannot for the app itself.)
fn link_voice_early() {
    const VOICE: &str = "libflite_cmu_time_awb.so.1";
    let Some(webkit) = webkit_library() else {
        println!(
            "cargo::warning=WebKitGTK's library not found: the app links its voices in WebKit's order"
        );
        return;
    };
    let needed = Command::new("readelf")
        .args(["--dynamic", "--wide"])
        .arg(&webkit)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).contains(&format!("[{VOICE}]")));
    match needed {
        Some(true) => println!(
            "cargo::rustc-link-arg-bins=-Wl,--push-state,--no-as-needed,-l:{VOICE},--pop-state"
        ),
        Some(false) => {}
        None => println!(
            "cargo::warning=readelf could not read {}: the app links WebKit's voices in WebKit's order",
            webkit.display()
        ),
    }
}

/// The WebKitGTK library the app links (pkg-config, as webkit2gtk-sys finds it).
fn webkit_library() -> Option<std::path::PathBuf> {
    let out = Command::new("pkg-config")
        .args(["--variable=libdir", "webkit2gtk-4.1"])
        .output()
        .ok()
        .filter(|out| out.status.success())?;
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let path = std::path::Path::new(&dir).join("libwebkit2gtk-4.1.so.0");
    path.exists().then_some(path)
}
