//! How pages show money and times: amounts with their currency's symbol, instants as a date
//! and a time people read at a glance.

use crate::domain::{parse_rfc3339, UnixMs};

/// `€45.00`, `$12.50`, `£8.00`, `¥4,500`; other currencies as `CHF 30.00`, with as many
/// decimals as the currency's minor unit has.
pub fn money(amount: i64, currency: &str) -> String {
    let plain = crate::domain::money::decimal(amount, currency);
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain.as_str()),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, format!(".{f}")),
        None => (digits, String::new()),
    };
    let number = format!("{}{fraction}", group(whole.parse::<u64>().unwrap_or(0)));
    match currency {
        "EUR" => format!("{sign}€{number}"),
        "USD" => format!("{sign}${number}"),
        "GBP" => format!("{sign}£{number}"),
        "JPY" => format!("{sign}¥{number}"),
        other => format!("{sign}{other} {number}"),
    }
}

/// An amount typed in whole units (`45`, `45.5`, `45,50`) in minor units of `currency`.
pub fn parse_amount(raw: &str, currency: &str) -> Option<i64> {
    let value: f64 = raw.trim().replace(',', ".").parse().ok()?;
    let scale = 10f64.powi(crate::domain::money::minor_digits(currency) as i32);
    (value.is_finite() && (0.0..1e9).contains(&value)).then(|| (value * scale).round() as i64)
}

/// `12345` → `12,345`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A price range: `€25.00` or `€25.00 – €90.00`.
pub fn price_range(min: Option<i64>, max: Option<i64>, currency: Option<&str>) -> String {
    let currency = currency.unwrap_or("EUR");
    match (min, max) {
        (Some(lo), Some(hi)) if lo != hi => {
            format!("{} – {}", money(lo, currency), money(hi, currency))
        }
        (Some(lo), _) => money(lo, currency),
        _ => String::new(),
    }
}

/// An instant in the venue's time zone: `Sat 12 Dec 2026, 19:30`.
pub fn when(rfc3339: &str, zone: &str) -> String {
    parse_rfc3339(rfc3339).map_or_else(|| rfc3339.to_owned(), |ms| when_ms(ms, zone))
}

pub fn when_ms(ms: UnixMs, zone: &str) -> String {
    local(ms, zone).map_or_else(String::new, |t| {
        t.strftime("%a %-d %b %Y, %H:%M").to_string()
    })
}

/// Only the date: `Sat 12 Dec 2026`.
pub fn day(rfc3339: &str, zone: &str) -> String {
    parse_rfc3339(rfc3339)
        .and_then(|ms| local(ms, zone))
        .map_or_else(String::new, |t| t.strftime("%a %-d %b %Y").to_string())
}

fn local(ms: UnixMs, zone: &str) -> Option<jiff::Zoned> {
    let at = jiff::Timestamp::from_millisecond(ms).ok()?;
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    Some(at.to_zoned(tz))
}

/// The zone's abbreviation at that instant (`CET`, `BST`), for saying whose time it is.
pub fn zone_abbreviation(rfc3339: &str, zone: &str) -> String {
    parse_rfc3339(rfc3339)
        .and_then(|ms| local(ms, zone))
        .map_or_else(String::new, |t| t.strftime("%Z").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_uses_the_currency_symbol_and_groups_thousands() {
        assert_eq!(money(4500, "EUR"), "€45.00");
        assert_eq!(money(123_456_789, "USD"), "$1,234,567.89");
        assert_eq!(money(800, "GBP"), "£8.00");
        assert_eq!(money(3000, "CHF"), "CHF 30.00");
        assert_eq!(money(3000, "SEK"), "SEK 30.00");
        assert_eq!(money(450_000, "JPY"), "¥450,000");
        assert_eq!(money(12_345, "KWD"), "KWD 12.345");
        assert_eq!(money(-150, "EUR"), "-€1.50");
        assert_eq!(
            price_range(Some(2500), Some(9000), Some("EUR")),
            "€25.00 – €90.00"
        );
        assert_eq!(price_range(Some(2500), Some(2500), Some("EUR")), "€25.00");
        assert_eq!(price_range(None, None, None), "");
        assert_eq!(parse_amount("45", "EUR"), Some(4500));
        assert_eq!(parse_amount(" 45,5 ", "EUR"), Some(4550));
        assert_eq!(parse_amount("89.99", "EUR"), Some(8999));
        assert_eq!(parse_amount("4500", "JPY"), Some(4500));
        assert_eq!(parse_amount("-1", "EUR"), None);
        assert_eq!(parse_amount("lots", "EUR"), None);
    }

    #[test]
    fn times_are_shown_in_the_venue_zone() {
        // 18:30 UTC in December is 19:30 in Vienna and 13:30 in New York.
        let at = "2026-12-12T18:30:00Z";
        assert_eq!(when(at, "Europe/Vienna"), "Sat 12 Dec 2026, 19:30");
        assert_eq!(when(at, "America/New_York"), "Sat 12 Dec 2026, 13:30");
        assert_eq!(when(at, "Not/AZone"), "Sat 12 Dec 2026, 18:30");
        assert_eq!(day(at, "Pacific/Kiritimati"), "Sun 13 Dec 2026");
        assert_eq!(zone_abbreviation(at, "Europe/London"), "GMT");
    }
}
