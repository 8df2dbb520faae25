//! HTTP handlers: parse, authorise, call the store or the order code path, answer.

pub mod accounts;
pub mod disputes;
pub mod documents;
pub mod inquiries;
pub mod meta;
pub mod operator;
pub mod orders;
pub mod payments;
pub mod quotations;
pub mod sync;
