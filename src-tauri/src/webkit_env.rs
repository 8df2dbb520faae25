//! The environment the app sets for WebKit's processes (they inherit the app's: WebKitGTK
//! has no setting for what is here), and the programs the app starts without it.
//!
//! Set by [`set`], the first statement of `main`, before any other thread exists.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// WebKit's options for the app's window and its page, read from the environment by
/// each process as WebKit starts in it: WebKitGTK has no setting for them, and its
/// processes inherit the app's environment. A value already in the environment (a
/// developer's) is kept.
///
/// - `WEBKIT_DISABLE_COMPOSITING_MODE=1`: the page is drawn on the CPU without GL
///   compositing (why: `draw_without_gl`, `main.rs`), known to WebKit before it starts
///   in the app's own process, which then sets up no GL at all (Mesa's software GL on the
///   bench's desktop): the web view is made and asks for the page sooner. A/B on
///   2026-12-06 (3 rounds of 8 starts each, 2,000 inquiries, the desktop bench): the page
///   asked for 0.385 s → 0.344 s after the start (medians of the rounds' medians), the
///   interactive inbox 0.570 s → 0.520 s.
/// - `JSC_useJIT=0`: the script runs in the interpreter, without the JIT compilers. The
///   JIT keeps the machine code it makes and the profiles it makes it from: with it,
///   the web process grew by about 40 MiB more while the inbox was scrolled (1,500
///   screens), and held about 10 MiB more at rest (the desktop bench's memory part, run
///   with and without it on a 2,000-inquiry account). The app's script does little work
///   per frame (a screen of rows, a thread's messages), which the interpreter does
///   within the frame; and a page that shows untrusted supplier text gives an attacker
///   no JIT to aim at.
/// - `JSC_largeHeapSize=8 MiB`: the script's garbage is collected once 8 MiB has been
///   allocated since the last collection, not 32 MiB (JavaScriptCore's default for a web
///   page). Scrolling the inbox makes short-lived objects (each screen's rows, the pages
///   read for them); with the default, up to 32 MiB of them waited for the collector.
///   The same A/B (2 rounds each, 2,000 inquiries): the app after scrolling 274–275 MiB
///   with the default, 250–252 MiB with 8 MiB; at rest 236–239 MiB either way.
pub const OPTIONS: [(&str, &str); 3] = [
    ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
    ("JSC_useJIT", "0"),
    ("JSC_largeHeapSize", "8388608"),
];

/// The library WebKit's processes load first (`LD_PRELOAD`), by the start of its file
/// name: flite's `cmu_time_awb` voice, which WebKitGTK links for speech synthesis. It
/// holds 31,000 relocations against its own symbols (its data tables), and the dynamic
/// loader looks each one up through every library loaded before it, in load order: 59th
/// of 169 in WebKit's web process, where those lookups were 53% of the loader's work
/// (`LD_DEBUG=bindings`). Loaded first, the web process started in 37–40 ms of CPU
/// instead of 50–69 (`perf stat -r 20`, alternating). The app's own process cannot
/// preload for itself: it names the voice among its own libraries instead (`build.rs`).
/// Both together, in the desktop bench (3 alternating rounds of 8 starts, 2,000
/// inquiries): the page asked for at 0.70–0.80 of the empty window's paint instead of
/// 0.82–0.92, the interactive inbox 1.08–1.28× of it instead of 1.26–1.31×.
const PRELOADED: &str = "libflite_cmu_time_awb.so";

/// The variables [`set`] set (a developer's own values are kept, and given on).
static SET: OnceLock<Vec<&'static str>> = OnceLock::new();

/// Sets [`OPTIONS`], and [`PRELOADED`]'s file when this process has it loaded (the file
/// WebKit's processes will load, found in `/proc/self/maps`; nothing where WebKit does
/// not link it), in the app's environment, which WebKit's processes inherit.
#[allow(unsafe_code)]
pub fn set() {
    let preload = loaded_library(PRELOADED);
    let wanted = OPTIONS
        .into_iter()
        .map(|(name, value)| (name, value.into()))
        .chain(preload.map(|path| ("LD_PRELOAD", path.into_os_string())));
    let mut set = Vec::new();
    for (name, value) in wanted {
        if std::env::var_os(name).is_none() {
            // SAFETY: the first statement of `main`: no other thread exists yet that
            // could read the environment while it changes (the Rust runtime starts none,
            // and Tauri, GTK and tokio are started after this).
            unsafe {
                std::env::set_var(name, value);
            }
            set.push(name);
        }
    }
    let _ = SET.set(set);
}

/// The file of the library this process has loaded whose name starts with `name`.
fn loaded_library(name: &str) -> Option<PathBuf> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines()
        .filter_map(|line| line.split_whitespace().nth(5))
        .find(|path| {
            Path::new(path)
                .file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.starts_with(name))
        })
        .map(PathBuf::from)
}

/// How long a launcher has to fail before it counts as started (the `open` crate's
/// wait): one that exits unsuccessfully sooner gives way to the next.
const LAUNCHER_FAILS_WITHIN: Duration = Duration::from_millis(250);

/// Opens `target` (a file or a link) with the desktop's program for it: the launchers
/// the `open` crate knows (`xdg-open` first), in its order, each started without the
/// variables [`set`] set, so that the user's browser or viewer does not run without its
/// JIT or preload a speech voice.
pub fn open_with_desktop(target: &OsStr) -> io::Result<()> {
    let mut failed = Vec::new();
    for mut launcher in open::commands(target) {
        for name in SET.get().map(Vec::as_slice).unwrap_or_default() {
            launcher.env_remove(name);
        }
        let program = launcher.get_program().to_string_lossy().into_owned();
        match started(launcher) {
            Ok(()) => return Ok(()),
            Err(e) => failed.push(format!("{program}: {e}")),
        }
    }
    Err(io::Error::other(if failed.is_empty() {
        "no program to open it with".to_owned()
    } else {
        failed.join("; ")
    }))
}

/// Starts `launcher`, detached from the app's terminal: `Ok` once it exited successfully
/// or is still running after [`LAUNCHER_FAILS_WITHIN`] (its thread reaps it later).
fn started(mut launcher: Command) -> io::Result<()> {
    let mut child = launcher
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let (exited, exit) = std::sync::mpsc::channel();
    std::thread::spawn(move || exited.send(child.wait()));
    match exit.recv_timeout(LAUNCHER_FAILS_WITHIN) {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(io::Error::other(format!("exited with {status}"))),
        Ok(Err(e)) => Err(e),
        Err(_) => Ok(()),
    }
}
