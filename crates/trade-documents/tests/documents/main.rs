//! The document rules' tests, in one binary: the committed fixtures (`fixtures`) and
//! damaged or hostile variants of them (`hostile_input`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixtures;
mod hostile_input;
