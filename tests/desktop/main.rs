//! The desktop app end to end, in one binary: the real app (`trade-center-desktop`, with
//! the built `ui/`) driven through WebDriver (tauri-driver + WebKitWebDriver) against the
//! demo backend, on a throwaway desktop (`scripts/with-keyring.sh --desktop`).
//!
//! ```sh
//! ./dev test     # or, once built:
//! cargo test --workspace --test desktop --config "target.'cfg(all())'.runner = ['scripts/with-keyring.sh', '--desktop']"
//! ```
//!
//! `a11y`: focus, the modal dialog, reduced motion and 200% text (every screen is audited
//! with axe-core where `inbox` and `orders` visit it: `App::audit`). `inbox`: sign-in,
//! first sync, the inbox, chat, notifications, keyring. `orders`: the order pipeline.
//! `keyboard`: the whole pipeline with the keyboard alone, and the shortcut sheet.
//! `quotes`: a supplier's quotation drawn as a card in the thread. `compare`: three
//! quotations compared with landed cost, ranked as computed by hand (and exported).
//! `exports`: the orders list, payments and a comparison exported to XLSX and CSV
//! through the save dialog and read back equal to the screen.
//! `links`: `tradecenter://` links to the running and to a stopped app, start at login.
//! `package`: the `.deb` and `.rpm` of this build (bundled by `./dev test` before the
//! tests): the `.deb` installed into a scratch root, its binary started to the sign-in
//! screen and given a link through its desktop file; the `.rpm` read by rpm.
//! `scripts`: names and messages in every script drawn with real glyphs (and the fonts
//! for them installed). `startup`: what the app does before its page runs (the dynamic
//! loader's order). `harness`: the desktop, the app and its window.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(target_os = "linux")]

mod harness;

mod a11y;
mod compare;
mod exports;
mod inbox;
mod keyboard;
mod links;
mod orders;
mod package;
mod quotes;
mod scripts;
mod startup;
