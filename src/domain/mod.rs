//! The rules of the box office, free of I/O: identifiers, money, the catalog's shapes and the
//! validation that turns raw input into values that cannot be invalid.
//!
//! Nothing here touches the network, the database or the clock; callers pass the current time
//! in. That keeps these rules testable in microseconds and impossible to fail on infrastructure.

pub mod booking;
pub mod catalog;
pub mod ids;
pub mod money;
pub mod params;
pub mod password;
pub mod surge;
pub mod users;
pub mod validation;
pub mod zones;

pub use ids::*;
pub use money::{Currency, Money};
pub use validation::{FieldError, Invalid};

/// Milliseconds since the Unix epoch: the one time representation used in storage.
pub type UnixMs = i64;

/// Formats a unix-millisecond instant as RFC 3339 UTC (`2026-11-21T18:30:00Z`).
pub fn rfc3339(ms: UnixMs) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Parses an RFC 3339 instant (any offset) into unix milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<UnixMs> {
    let at = time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

/// Parses either an RFC 3339 instant or a plain date (`2026-12-31`, taken as midnight UTC).
pub fn parse_instant_or_date(s: &str) -> Option<UnixMs> {
    if let Some(ms) = parse_rfc3339(s) {
        return Some(ms);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(s.trim(), &format).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp() * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips() {
        let ms = 1_795_000_000_000;
        assert_eq!(parse_rfc3339(&rfc3339(ms)), Some(ms));
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn dates_are_midnight_utc() {
        assert_eq!(
            parse_instant_or_date("2026-01-02"),
            parse_rfc3339("2026-01-02T00:00:00Z")
        );
        assert_eq!(parse_instant_or_date("yesterday"), None);
    }
}
