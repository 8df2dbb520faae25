//! The desktop app's command bodies, without a window. The Tauri shell (`src-tauri`) is
//! a thin layer: each command calls one method of [`Desk`] and each engine event reaches
//! the window through the [`Host`] the shell implements. Everything here is tested
//! without a desktop.
//!
//! Every type that crosses IPC derives `ts_rs::TS`; `tests/bindings.rs` keeps the
//! generated TypeScript in `ui/src/lib/bindings/` current.

pub mod deep_link;
pub mod desk;
pub mod error;
pub mod font;
pub mod ipc;
pub mod launch;
pub mod native;

pub use desk::{Desk, Host};
pub use error::CommandError;
