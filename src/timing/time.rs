//! RFC 3339 timestamps without a date library: parse to nanoseconds since the
//! Unix epoch, and format a `SystemTime`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (`civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn digits(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Seconds since 1970-01-01T00:00:00Z of an RFC 3339 timestamp
/// (`2026-08-21T10:00:01.123456789Z`, `...+02:00`), with the fraction (to
/// about a microsecond; use [`parse_rfc3339_nanos`] for differences).
pub fn parse_rfc3339(s: &str) -> Option<f64> {
    parse_rfc3339_nanos(s).map(|ns| ns as f64 / 1e9)
}

/// Nanoseconds since 1970-01-01T00:00:00Z of an RFC 3339 timestamp
/// (`2026-08-21T10:00:01.123456789Z`, `2026-08-21 10:00:01+02:00`).
pub fn parse_rfc3339_nanos(s: &str) -> Option<i128> {
    let b = s.trim().as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (year, month, day) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (hour, min, sec) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let mut rest = &b[19..];
    let mut nanos: i128 = 0;
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        for (i, c) in frac[..n].iter().enumerate() {
            if i < 9 {
                nanos = nanos * 10 + i128::from(c - b'0');
            }
        }
        for _ in n..9 {
            nanos *= 10;
        }
        rest = &frac[n..];
    }
    let offset: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2])?;
            let m = digits(&[*m1, *m2])?;
            let o = h * 3600 + m * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset;
    Some(i128::from(secs) * 1_000_000_000 + nanos)
}

/// Seconds between two RFC 3339 timestamps (`end - start`).
pub fn seconds_between(start: &str, end: &str) -> Option<f64> {
    let (s, e) = (parse_rfc3339_nanos(start)?, parse_rfc3339_nanos(end)?);
    Some((e - s) as f64 / 1e9)
}

/// `2026-08-21T10:00:01Z` for a time (UTC, whole seconds).
pub fn format_rfc3339(t: SystemTime) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs_f64().ceil() as i64),
    };
    format_unix(secs)
}

/// `2026-08-21T10:00:01Z` for seconds since the epoch.
pub fn format_unix(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The timestamp as the same instant in UTC, whole seconds: a stable form to
/// store and compare.
pub fn normalize(s: &str) -> Option<String> {
    let ns = parse_rfc3339_nanos(s)?;
    Some(format_unix(ns.div_euclid(1_000_000_000) as i64))
}

/// Now, as RFC 3339 (UTC, whole seconds).
pub fn now_rfc3339() -> String {
    format_rfc3339(SystemTime::now())
}

/// A `SystemTime` from nanoseconds since the epoch.
pub fn system_time(nanos: i128) -> SystemTime {
    if nanos >= 0 {
        UNIX_EPOCH + Duration::from_nanos(nanos as u64)
    } else {
        UNIX_EPOCH - Duration::from_nanos((-nanos) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_buildkit_timestamps() {
        let a = parse_rfc3339_nanos("2026-11-25T16:32:32.013811161Z").unwrap();
        let b = parse_rfc3339_nanos("2026-11-25T16:32:33.744877383Z").unwrap();
        assert_eq!(b - a, 1_731_066_222);
        let secs = parse_rfc3339("2026-11-25T16:32:32.5Z").unwrap();
        assert!((secs - 1_795_624_352.5).abs() < 1e-6, "{secs}");
        assert_eq!(parse_rfc3339_nanos("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339_nanos("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(
            parse_rfc3339_nanos("2000-03-01T00:00:00.5Z"),
            Some(951_868_800_500_000_000)
        );
        for bad in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-01-01T00:00:00",
        ] {
            assert_eq!(parse_rfc3339_nanos(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(format_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_unix(951_868_800), "2000-03-01T00:00:00Z");
        for s in [
            "2026-11-25T16:32:32Z",
            "2024-02-29T23:59:59Z",
            "1969-12-31T23:59:59Z",
        ] {
            let ns = parse_rfc3339_nanos(s).unwrap();
            assert_eq!(format_rfc3339(system_time(ns)), s);
        }
        assert_eq!(
            normalize("2026-11-25T18:32:32.9+02:00").as_deref(),
            Some("2026-11-25T16:32:32Z")
        );
    }
}
