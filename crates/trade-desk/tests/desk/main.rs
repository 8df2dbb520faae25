//! The desktop command bodies' tests, in one binary: the generated TypeScript bindings
//! (`bindings`), the commands against the real demo backend (`commands`), the IPC
//! surface declared once and named alike everywhere (`ipc`), and the commands that go
//! through native dialogs and the system's opener (`native`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bindings;
mod commands;
mod ipc;
mod native;
