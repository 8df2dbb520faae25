//! What the app does for a faster start before its page runs: WebKitGTK's heaviest
//! library to link (flite's `cmu_time_awb` voice, 31,000 relocations against its own
//! symbols, each looked up through every library loaded before it) is loaded early in
//! the app's own process (`src-tauri/build.rs` names it among the app's libraries) and in
//! WebKit's processes (`LD_PRELOAD`, `src-tauri/src/main.rs`). The start it saves is
//! measured by the desktop bench, not here; this checks that both are in place, and
//! that neither is where the system's WebKit does not link that voice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::harness;

use std::path::Path;
use std::process::Command;

use harness::{Desktop, Launch, run};

const VOICE: &str = "libflite_cmu_time_awb.so.1";

/// The libraries `file` names as its own (`DT_NEEDED`), in order.
fn needed(file: &Path) -> Vec<String> {
    run(Command::new("readelf")
        .args(["--dynamic", "--wide"])
        .arg(file))
    .lines()
    .filter(|l| l.contains("(NEEDED)"))
    .filter_map(|l| Some(l.split_once('[')?.1.trim_end_matches(']').to_owned()))
    .collect()
}

/// The file of the library whose name starts with `name` that process `pid` has loaded.
fn mapped(pid: u32, name: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .find(|path| {
            Path::new(path)
                .file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.starts_with(name))
        })
        .map(str::to_owned)
}

#[tokio::test]
async fn webkits_slowest_library_to_link_is_loaded_early_in_the_app_and_in_webkits_processes() {
    let d = Desktop::start(Launch::default()).await;
    let app = d.app();
    app.wait_for("signin-form").await;
    let pid = *app.app_processes().first().expect("the app's process");
    let webkit = mapped(pid, "libwebkit2gtk-4.1.so").expect("the app has WebKitGTK loaded");
    let links_voice = needed(Path::new(&webkit)).iter().any(|l| l == VOICE);
    let voice_file = mapped(pid, "libflite_cmu_time_awb.so");

    let own = needed(&std::fs::read_link(format!("/proc/{pid}/exe")).unwrap());
    let preload = app.web_process_env("LD_PRELOAD");
    if links_voice {
        // Named among the app's own libraries: the loader places it ~19th of ~170, not
        // 83rd where WebKit's own list puts it.
        assert!(
            own.iter().any(|l| l == VOICE),
            "the app's binary names {VOICE} among its libraries: {own:?}"
        );
        assert_eq!(
            preload, voice_file,
            "the web process preloads the voice file the app has loaded"
        );
    } else {
        assert!(
            !own.iter().any(|l| l == VOICE),
            "the app links no voice its WebKit does not: {own:?}"
        );
        assert_eq!(
            preload, None,
            "nothing preloaded where WebKit links no such voice"
        );
    }
    d.finish().await;
}
