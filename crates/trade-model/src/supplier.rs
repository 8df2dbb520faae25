//! Supplier facts (issue 17): what the platform's own records say about a supplier, shown
//! beside its quotations when a buyer compares them. The server computes them from real
//! records (accounts, inquiries and messages, orders, disputes); the rules of each number
//! are here, as pure functions.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::ids::AccountId;

/// A supplier's record on the platform, as of `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SupplierFacts {
    pub supplier: AccountId,
    /// When the supplier's account was created.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub member_since: Timestamp,
    /// Whole years from `member_since` to `as_of` (calendar years in UTC; 0 in the first).
    pub years_on_platform: u32,
    /// The median, over the supplier's inquiries it has answered, of the time from the
    /// buyer's opening message to the supplier's first message after it, in seconds;
    /// `None` before the first answer.
    pub median_first_reply_secs: Option<i64>,
    /// How many inquiries that median is over.
    pub inquiries_answered: i64,
    /// Inquiries whose opening message has no answer from the supplier yet.
    pub inquiries_unanswered: i64,
    /// Orders with the supplier that reached `completed`.
    pub completed_orders: i64,
    /// Disputes on the supplier's orders that the platform decided with a refund
    /// ([`crate::dispute::Dispute::lost_by_supplier`]).
    pub disputes_lost: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub as_of: Timestamp,
}

/// Whole calendar years (UTC) from `since` to `now`; 0 when `now` is not later.
pub fn whole_years(since: Timestamp, now: Timestamp) -> u32 {
    let since = since.to_zoned_datetime(TimeZone::UTC);
    let now = now.to_zoned_datetime(TimeZone::UTC);
    let mut years = i32::from(now.year()) - i32::from(since.year());
    // Not yet at the anniversary this year.
    if (now.month(), now.day(), now.time()) < (since.month(), since.day(), since.time()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// The median of `values` (sorted here); of an even count, the mean of the two middle
/// values rounded down. `None` for none.
pub fn median(values: &mut [i64]) -> Option<i64> {
    values.sort_unstable();
    let n = values.len();
    let upper = *values.get(n / 2)?;
    if n % 2 == 1 {
        return Some(upper);
    }
    let lower = *values.get(n / 2 - 1)?;
    // Rounded toward negative infinity, without overflowing.
    Some(lower + (upper - lower).div_euclid(2))
}

/// The first-reply time of one inquiry: from its opening message (the buyer's first) to
/// the supplier's first message after it, in seconds. `messages` are the inquiry's
/// (sender, sent at) in the order they were sent. `None` while unanswered.
pub fn first_reply_secs(
    messages: &[(AccountId, Timestamp)],
    buyer: AccountId,
    supplier: AccountId,
) -> Option<i64> {
    let opened = messages.iter().position(|(sender, _)| *sender == buyer)?;
    let opened_at = messages.get(opened)?.1;
    let (_, replied_at) = messages
        .iter()
        .skip(opened + 1)
        .find(|(sender, _)| *sender == supplier)?;
    Some(replied_at.duration_since(opened_at).as_secs().max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn years_are_whole_anniversaries() {
        let since = at("2023-03-15T10:00:00Z");
        assert_eq!(whole_years(since, at("2023-03-15T10:00:00Z")), 0);
        assert_eq!(whole_years(since, at("2024-03-15T09:59:59Z")), 0);
        assert_eq!(whole_years(since, at("2024-03-15T10:00:00Z")), 1);
        assert_eq!(whole_years(since, at("2026-11-26T09:00:00Z")), 3);
        assert_eq!(whole_years(since, at("2020-01-01T00:00:00Z")), 0);
    }

    #[test]
    fn the_median_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [7]), Some(7));
        assert_eq!(median(&mut [30, 10, 20]), Some(20));
        assert_eq!(median(&mut [40, 10, 30, 20]), Some(25));
        assert_eq!(median(&mut [1, 2]), Some(1), "1.5 rounds down");
        assert_eq!(median(&mut [i64::MAX, i64::MAX - 1]), Some(i64::MAX - 1));
    }

    #[test]
    fn the_first_reply_counts_from_the_opening_message() {
        let (b, s) = (AccountId::new(), AccountId::new());
        let t = |m: i64| at("2026-11-01T00:00:00Z") + jiff::SignedDuration::from_mins(m);
        // The buyer writes twice, the supplier answers an hour after the first.
        let thread = [(b, t(0)), (b, t(10)), (s, t(60)), (s, t(70))];
        assert_eq!(first_reply_secs(&thread, b, s), Some(3600));
        assert_eq!(first_reply_secs(&thread[..2], b, s), None, "unanswered");
        assert_eq!(first_reply_secs(&[], b, s), None);
    }
}
