//! Calendar arithmetic for deadlines. Everything is in UTC: a deadline is an instant,
//! and "a day" is 24 hours, so results never depend on where the server runs.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

pub fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

/// The UTC calendar date of an instant.
pub fn utc_date(at: Timestamp) -> Date {
    at.to_zoned_datetime(TimeZone::UTC).date()
}

/// The last instant of a UTC date (the next midnight): "ship by 2026-12-01" means
/// before 2026-12-02T00:00Z.
pub fn end_of_utc_day(date: Date) -> Timestamp {
    let next = date.tomorrow().unwrap_or(date);
    next.to_zoned_datetime(TimeZone::UTC)
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX)
}

/// `at` plus `n` working days (Monday to Friday), keeping the time of day.
pub fn add_working_days(at: Timestamp, n: u32) -> Timestamp {
    let mut t = at;
    let mut left = n;
    while left > 0 {
        t = t.saturating_add(days(1)).unwrap_or(Timestamp::MAX);
        let wd = utc_date(t).weekday();
        if wd != Weekday::Saturday && wd != Weekday::Sunday {
            left -= 1;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_days_skip_weekends() {
        // Friday 2026-11-27 10:00Z + 1 working day = Monday 2026-11-30 10:00Z
        let fri: Timestamp = "2026-11-27T10:00:00Z".parse().unwrap();
        let mon: Timestamp = "2026-11-30T10:00:00Z".parse().unwrap();
        assert_eq!(add_working_days(fri, 1), mon);
        // + 7 working days = Tuesday 2026-12-08
        let tue: Timestamp = "2026-12-08T10:00:00Z".parse().unwrap();
        assert_eq!(add_working_days(fri, 7), tue);
    }

    #[test]
    fn end_of_day_is_next_midnight() {
        let d: Date = "2026-12-01".parse().unwrap();
        let expected: Timestamp = "2026-12-02T00:00:00Z".parse().unwrap();
        assert_eq!(end_of_utc_day(d), expected);
    }
}
