//! The desktop command bodies' tests, in one binary: the generated TypeScript bindings
//! (`bindings`) and the commands against the real demo backend (`commands`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bindings;
mod commands;
