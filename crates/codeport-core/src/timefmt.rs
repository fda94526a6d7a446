//! Timestamps. Stored as milliseconds since the Unix epoch (portable across SQLite and
//! PostgreSQL, and sortable); rendered per wire family.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// The current time in milliseconds.
pub fn now_millis() -> Millis {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

fn to_datetime(ms: Millis) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// PAI's rendering: ISO 8601 UTC with milliseconds, `2021-01-12T23:36:01.123Z`.
pub fn pai(ms: Millis) -> String {
    let f = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    to_datetime(ms).format(f).unwrap_or_default()
}

/// The console's rendering: `2021-01-12 23:36` (UTC, to the minute).
pub fn minutes(ms: Millis) -> String {
    let f = format_description!("[year]-[month]-[day] [hour]:[minute]");
    to_datetime(ms).format(f).unwrap_or_default()
}

/// RFC 3339 with `Z` (Codeup's rendering and the admin CLI's).
pub fn rfc3339(ms: Millis) -> String {
    to_datetime(ms).format(&Rfc3339).unwrap_or_default()
}

/// Parses ACS3's `x-acs-date` (`2024-01-02T03:04:05Z`; fractional seconds and offsets tolerated).
pub fn parse_acs_date(s: &str) -> Option<Millis> {
    let dt = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    Some((dt.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// The HTTP date of RFC 1123 (RFC 9110's IMF-fixdate) that the legacy ROA signature sends
/// in `date`: `Sat, 05 Dec 2026 07:40:20 GMT`, always UTC, English names.
const HTTP_DATE: &[time::format_description::FormatItem<'static>] =
    format_description!("[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT");

/// Renders milliseconds as an HTTP date (seconds precision), as the official SDK writes `date`.
pub fn http_date(ms: Millis) -> String {
    to_datetime(ms).format(HTTP_DATE).unwrap_or_default()
}

/// Parses an HTTP date (`Sat, 05 Dec 2026 07:40:20 GMT`); `None` for anything else,
/// including a weekday that does not match the date.
pub fn parse_http_date(s: &str) -> Option<Millis> {
    let dt = time::PrimitiveDateTime::parse(s, HTTP_DATE).ok()?.assume_utc();
    let ms = (dt.unix_timestamp_nanos() / 1_000_000) as i64;
    // The parser does not check the weekday against the date; rendering back does.
    (http_date(ms) == s).then_some(ms)
}

/// Parses a `yyyy-MM-dd` date into the instant it ends (00:00 UTC of the next day), so that
/// something "expiring at" that date is valid through it.
pub fn parse_end_of_date(s: &str) -> Option<Millis> {
    let d = time::Date::parse(s.trim(), format_description!("[year]-[month]-[day]")).ok()?;
    let next = d.next_day()?;
    Some((next.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Parses a duration such as `30d`, `12h`, `15m`, `2s` into milliseconds.
pub fn parse_duration(s: &str) -> Option<Millis> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = num.parse().ok()?;
    let mult = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    if n <= 0 {
        return None;
    }
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_pai_and_rfc3339() {
        let ms = 1_610_494_561_123; // 2021-01-12T23:36:01.123Z
        assert_eq!(pai(ms), "2021-01-12T23:36:01.123Z");
        assert_eq!(rfc3339(ms), "2021-01-12T23:36:01.123Z");
        assert_eq!(pai(1_610_494_561_000), "2021-01-12T23:36:01.000Z");
        assert_eq!(minutes(ms), "2021-01-12 23:36");
    }

    #[test]
    fn parses_acs_dates_and_durations() {
        assert_eq!(parse_acs_date("2021-01-12T23:36:01Z"), Some(1_610_494_561_000));
        assert_eq!(parse_acs_date("yesterday"), None);
        assert_eq!(parse_duration("2s"), Some(2_000));
        assert_eq!(parse_duration("12h"), Some(43_200_000));
        assert_eq!(parse_duration("30d"), Some(2_592_000_000));
        assert_eq!(parse_duration("0d"), None);
        assert_eq!(parse_duration("5w"), None);
        assert_eq!(parse_duration("d"), None);
        assert_eq!(parse_end_of_date("2021-01-12"), Some(1_610_496_000_000)); // 2021-01-13T00:00:00Z
        assert_eq!(parse_end_of_date("2021-13-01"), None);
        assert_eq!(parse_end_of_date("12/01/2021"), None);
    }

    #[test]
    fn http_dates_round_trip_and_refuse_other_shapes() {
        let ms = 1_796_456_420_000; // 2026-12-05T07:40:20Z, a Saturday
        assert_eq!(http_date(ms), "Sat, 05 Dec 2026 07:40:20 GMT");
        assert_eq!(parse_http_date("Sat, 05 Dec 2026 07:40:20 GMT"), Some(ms));
        assert_eq!(http_date(ms + 999), "Sat, 05 Dec 2026 07:40:20 GMT");
        for bad in [
            "",
            "Fri, 05 Dec 2026 07:40:20 GMT", // wrong weekday
            "Sat, 05 Dec 2026 07:40:20 +0000",
            "Sat, 5 Dec 2026 07:40:20 GMT",
            "2026-12-05T07:40:20Z",
            "Sat, 05 Dec 2026 07:40:20 GMT ",
            "Sat, 32 Dec 2026 07:40:20 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }
}
