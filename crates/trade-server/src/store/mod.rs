//! SQL for each area, written once in the dialect SQLite and PostgreSQL share. Functions
//! take a transaction (writes) or the pool (reads); handlers never write SQL.

pub mod accounts;
pub mod documents;
mod error;
pub mod idempotency;
pub mod inquiries;
pub mod messages;
pub mod orders;
pub mod payments;
pub mod quotations;
pub mod rates;
pub mod suppliers;
pub mod sync;

pub use error::{StoreError, StoreResult, is_contention};

/// A trivial query, answered when the database is reachable and has a connection to
/// spare (the readiness check).
pub async fn ping(pool: &sqlx::AnyPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
}

/// Ids bound per statement by the loaders that read inside a write.
pub(crate) const IDS_PER_STATEMENT: usize = 500;

/// `$from, $from+1, …`: `n` numbered placeholders, for an `IN (…)` list of ids (a sync
/// page's at most 1,000, well under either database's bound on parameters).
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Keyset cursor of a page: `{millis}.{id}` of the last item of the previous page.
pub fn encode_cursor(at: i64, id: &str) -> String {
    format!("{at}.{id}")
}

/// What [`decode_cursor`] reads, for the API document: empty (the first page) or a
/// cursor as [`encode_cursor`] writes it (ids are UUIDs).
pub const PAGE_CURSOR_PATTERN: &str =
    "^([0-9]{1,18}\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$";

pub fn decode_cursor(cursor: &str) -> Option<(i64, String)> {
    let (at, id) = cursor.split_once('.')?;
    let canonical = uuid::Uuid::parse_str(id).is_ok_and(|u| u.to_string() == id);
    if !(is_number(at) && canonical) {
        return None;
    }
    Some((at.parse().ok()?, id.to_owned()))
}

/// 1 to 18 ASCII digits: a non-negative number that fits an i64, with no sign.
pub(crate) fn is_number(s: &str) -> bool {
    (1..=18).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}
#[cfg(test)]
mod tests {
    use super::*;

    /// The decoder reads exactly what the document's pattern admits, so a client
    /// generated from it never sends a cursor that is refused, nor one that is
    /// silently read as another.
    #[test]
    fn a_page_cursor_reads_back_and_nothing_else_reads() {
        let id = "0190f0a1-7b2c-7d3e-8f40-123456789abc";
        let pattern = regex::Regex::new(PAGE_CURSOR_PATTERN).expect("the pattern compiles");
        let cursor = encode_cursor(1_764_000_000_000, id);
        assert!(pattern.is_match(&cursor));
        assert_eq!(
            decode_cursor(&cursor),
            Some((1_764_000_000_000, id.to_owned()))
        );
        for bad in [
            "0.5",
            "+1.0190f0a1-7b2c-7d3e-8f40-123456789abc",
            "-1.0190f0a1-7b2c-7d3e-8f40-123456789abc",
            "1.0190F0A1-7B2C-7D3E-8F40-123456789ABC",
            "1.0190f0a17b2c7d3e8f40123456789abc",
            "MTc2NDAwMDAwMDAwMHx4",
        ] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
            assert!(!pattern.is_match(bad), "{bad}");
        }
    }
}
