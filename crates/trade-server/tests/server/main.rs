//! The server's integration tests, in one binary (one link instead of one per file):
//! the real server on `127.0.0.1:0` over HTTPS (see `support`).
//!
//! `postgres` needs `--features postgres-tests` and `TRADE_TEST_POSTGRES_URL`; with the
//! URL set, every other module runs on PostgreSQL too (`./dev test` runs this binary once
//! on SQLite and once on PostgreSQL). With `TRADE_TEST_S3FS` (an s3s-fs binary) every
//! server keeps its documents in a real S3 server (`./dev test` runs `documents::` so).
//! `balancer` needs both and haproxy: two server processes behind a real HAProxy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod balancer;
mod cancellation;
mod cluster;
mod deadlines;
mod documents;
mod exactly_once;
mod exposition;
mod faults;
mod logs;
mod metrics;
mod pipeline;
mod postgres;
mod processes;
mod quotations;
mod readiness;
mod refused_bodies;
mod security;
mod sync;
mod throttle;
