//! The order lifecycle's tests, in one binary: examples (`lifecycle`) and properties over
//! random action sequences (`properties`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod lifecycle;
mod properties;
