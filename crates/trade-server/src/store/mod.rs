//! SQL for each area, written once in the dialect SQLite and PostgreSQL share. Functions
//! take a transaction (writes) or the pool (reads); handlers never write SQL.

pub mod accounts;
pub mod documents;
pub mod idempotency;
pub mod inquiries;
pub mod orders;
pub mod payments;
pub mod sync;

use base64::Engine;

/// Opaque keyset cursor: `(millis, id)` of the last item of a page.
pub fn encode_cursor(at: i64, id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{at}|{id}"))
}

pub fn decode_cursor(cursor: &str) -> Option<(i64, String)> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (at, id) = text.split_once('|')?;
    Some((at.parse().ok()?, id.to_owned()))
}
