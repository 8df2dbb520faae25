//! The client engine's tests that need the machine: the credential store against the
//! real OS keyring (`keyring`, through `scripts/with-keyring.sh`), and exports written
//! to real files and read back with independent readers (`exports`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod exports;
mod keyring;
