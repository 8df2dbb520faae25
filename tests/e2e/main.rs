//! The client engine against the real trade server over HTTPS, in one binary: initial
//! sync, offline work and delivery, documents, the OS keyring (`keyring` needs
//! `scripts/with-keyring.sh`, unlocked or `--locked`), SIGKILL of the engine (`kill`),
//! Pay Now across lost answers and restarts (`pay_now`); a remembered session resumed
//! from the cache, offline or online (`resume`); and one check of the build
//! (`workspace`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod documents;
mod engine;
mod initial_sync;
mod keyring;
mod kill;
mod pay_now;
mod resume;
mod workspace;
