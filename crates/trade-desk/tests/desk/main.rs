//! The desktop command bodies' tests, in one binary: the generated TypeScript bindings
//! (`bindings`), the commands against the real demo backend (`commands`), the IPC
//! surface declared once and named alike everywhere (`ipc`), quotations compared with
//! landed cost online and offline (`compare`), the commands that go
//! through native dialogs and the system's opener (`native`), and a supplier's quotation
//! reaching the thread as a card (`quotes`), the exports through the save dialog
//! (`exports`); `support`: the demo backend and a signed-in
//! desk they share.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bindings;
mod commands;
mod compare;
mod exports;
mod ipc;
mod native;
mod quotes;
mod support;
