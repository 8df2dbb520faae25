//! The client engine's tests that need the machine: the credential store against the
//! real OS keyring (`keyring`, through `scripts/with-keyring.sh`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod keyring;
