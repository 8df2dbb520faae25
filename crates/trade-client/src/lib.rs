//! Trade Center's client engine: everything the desktop app does except drawing. It
//! keeps a local SQLite cache per account and server, syncs it with the trade backend
//! (pull pages, push an outbox, live pokes), works offline, stores the refresh token in
//! the OS keyring, and decides which desktop notifications to show.

pub mod api;
pub mod comparisons;
pub mod credentials;
pub mod drafts;
pub mod engine;
pub mod error;
pub mod evidence;
pub mod exports;
pub mod files;
pub mod notify;
pub mod outbox;
pub mod payment_safety;
pub mod pending_payments;
pub mod profile;
pub mod store;
