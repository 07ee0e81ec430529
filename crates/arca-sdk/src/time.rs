//! Timestamps and durations in the forms Vault's API prints: RFC 3339 with nanoseconds in
//! UTC (Go's `time.RFC3339Nano`, trailing zeros trimmed) and Go's `time.Duration.String()`
//! for whole seconds. One implementation for the core and every engine.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, as Unix nanoseconds.
pub fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

pub fn rfc3339_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(now.as_secs() as i64, now.subsec_nanos())
}

/// `2006-01-02T15:04:05.999999999Z` for Unix nanoseconds.
pub fn rfc3339_nano(nanos: i64) -> String {
    rfc3339(
        nanos.div_euclid(1_000_000_000),
        nanos.rem_euclid(1_000_000_000) as u32,
    )
}

/// An optional timestamp as Vault prints it: "" when unset.
pub fn rfc3339_opt(nanos: Option<i64>) -> String {
    nanos.map(rfc3339_nano).unwrap_or_default()
}

pub fn rfc3339_secs(secs: i64) -> String {
    rfc3339(secs, 0)
}

/// Formats Unix time as `2006-01-02T15:04:05.999999999Z` (Go's RFC3339Nano in UTC). Written
/// digit by digit without `format!`: it runs on every read of a KV secret.
pub fn rfc3339(secs: i64, nanos: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return format!("{y}-{m:02}-{d:02}T00:00:00Z");
    }
    let (hh, mm, ss) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    let mut buf = [0u8; 30];
    let two = |b: &mut [u8], v: u32| {
        b[0] = b'0' + (v / 10) as u8;
        b[1] = b'0' + (v % 10) as u8;
    };
    let y = y as u32;
    two(&mut buf[0..2], y / 100);
    two(&mut buf[2..4], y % 100);
    buf[4] = b'-';
    two(&mut buf[5..7], m);
    buf[7] = b'-';
    two(&mut buf[8..10], d);
    buf[10] = b'T';
    two(&mut buf[11..13], hh as u32);
    buf[13] = b':';
    two(&mut buf[14..16], mm as u32);
    buf[16] = b':';
    two(&mut buf[17..19], ss as u32);
    let mut len = 19;
    let mut frac = nanos % 1_000_000_000;
    if frac != 0 {
        buf[19] = b'.';
        let mut digits = 9;
        while frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        for i in (0..digits).rev() {
            buf[20 + i] = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        len = 20 + digits;
    }
    buf[len] = b'Z';
    // Only ASCII digits and separators were written.
    String::from_utf8_lossy(&buf[..=len]).into_owned()
}

/// Howard Hinnant's days-to-civil algorithm: days since 1970-01-01 to (year, month, day).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The inverse: (year, month, day) to days since 1970-01-01.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.frac]Z` back into Unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    if s.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

/// Go's `time.Duration.String()` for a whole number of seconds (`1h0m0s`, `0s`, `-1s`).
pub fn go_duration(secs: i64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{sign}{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{sign}{m}m{s}s")
    } else {
        format!("{sign}{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (1_700_000_000_500_000_000, "2023-11-14T22:13:20.5Z"),
            (1_795_907_922_958_992_772, "2026-11-28T23:18:42.958992772Z"),
            (1_795_907_950_331_918_290, "2026-11-28T23:19:10.33191829Z"),
            (1_795_907_950_000_000_001, "2026-11-28T23:19:10.000000001Z"),
            (-1, "1969-12-31T23:59:59.999999999Z"),
        ];
        for (nanos, want) in cases {
            assert_eq!(rfc3339_nano(nanos), want);
        }
        assert_eq!(rfc3339_opt(None), "");
        for (secs, want) in [
            (0, "0s"),
            (-1, "-1s"),
            (90, "1m30s"),
            (3600, "1h0m0s"),
            (2_764_800, "768h0m0s"),
        ] {
            assert_eq!(go_duration(secs), want);
        }
    }

    #[test]
    fn parses_back() {
        for t in [0i64, 951_782_400, 1_700_000_000, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&rfc3339(t, 0)), Some(t));
        }
        assert_eq!(days_from_civil(1, 1, 1) * 86_400, -62_135_596_800);
        for z in [-1_000_000, -1, 0, 1, 20_000, 2_900_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m as i64, d as i64), z);
        }
    }
}
