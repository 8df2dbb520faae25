//! The trade backend: an HTTPS JSON API (axum over rustls) over SQLite (embedded
//! default) or PostgreSQL. Handlers are thin; rules live in `trade-model`; SQL lives in
//! `store`; every order change goes through `orders`.

pub mod app;
pub mod auth;
pub mod chat;
pub mod cli;
pub mod clock;
pub mod contract;
pub mod db;
pub mod deadlines;
pub mod documents;
pub mod error;
pub mod idempotency;
pub mod json_numbers;
pub mod live;
pub mod metrics;
pub mod orders;
pub mod payments;
pub mod proxy_protocol;
pub mod quotations;
pub mod rates_csv;
pub mod routes;
pub mod serve;
pub mod state;
pub mod store;
pub mod sync;
pub mod throttle;
pub mod tls;
pub mod unread_body;

pub use app::{Config, Running, StartError, start};
