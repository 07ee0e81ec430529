//! Vault's duration syntax: integer seconds, or Go-style strings such as `1h30m`, `90s`, `7d`.

use std::time::Duration;

use crate::{Error, Result};

/// Parses a duration as Vault's `parseutil.ParseDurationSecond` does: a bare number is
/// seconds; otherwise a sequence of `<number><unit>` with units ns, us, µs, ms, s, m, h, d.
/// Negative durations are refused; see `parse_go_duration_secs` for signed ones.
pub fn parse_duration(input: &str) -> Result<Duration> {
    let secs = parse_go_duration_secs(input.trim()).map_err(Error::InvalidRequest)?;
    if secs < 0 {
        return Err(Error::invalid(format!(
            "cannot provide negative value '{secs}'"
        )));
    }
    // A fraction below one second (e.g. "500ms") keeps its precision.
    let s = input.trim();
    if secs == 0 && !s.is_empty() && s != "0" {
        if let Some(fraction) = parse_fraction(s) {
            return Ok(fraction);
        }
    }
    Ok(Duration::from_secs(secs as u64))
}

/// Go's `time.ParseDuration` (plus bare integers as seconds and a `d` unit), truncated to
/// whole seconds, with Go's error texts (`time: invalid duration "abc"`), which clients
/// show as they are.
pub fn parse_go_duration_secs(s: &str) -> std::result::Result<i64, String> {
    let total = parse_total(s)?;
    if !total.is_finite() || total.abs() > 9.2e9 {
        return Err(format!("time: invalid duration {s:?}"));
    }
    Ok(total.trunc() as i64)
}

fn parse_fraction(s: &str) -> Option<Duration> {
    parse_total(s)
        .ok()
        .filter(|t| *t > 0.0 && *t < 1.0)
        .map(Duration::from_secs_f64)
}

/// The duration in (fractional) seconds.
fn parse_total(s: &str) -> std::result::Result<f64, String> {
    let invalid = || format!("time: invalid duration {s:?}");
    if s.is_empty() {
        return Ok(0.0);
    }
    if let Ok(i) = s.parse::<i64>() {
        return Ok(i as f64);
    }
    let (neg, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body == "0" {
        return Ok(0.0);
    }
    if body.is_empty() {
        return Err(invalid());
    }
    let bytes = body.as_bytes();
    let mut total = 0f64;
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        if start == i {
            return Err(invalid());
        }
        let number: f64 = body[start..i].parse().map_err(|_| invalid())?;
        let unit_start = i;
        while i < bytes.len() && !(bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let factor = match &body[unit_start..i] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "" => return Err(format!("time: missing unit in duration {s:?}")),
            other => return Err(format!("time: unknown unit {other:?} in duration {s:?}")),
        };
        total += number * factor;
    }
    Ok(if neg { -total } else { total })
}

/// Formats a duration as Go's `time.Duration.String()` does (`1h0m0s`, `30m0s`, `0s`), which
/// the CLI and some responses (token `ttl` in role reads) show.
pub fn format_go_duration(d: Duration) -> String {
    crate::time::go_duration(d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vault_durations() {
        let cases = [
            ("0", 0),
            ("30", 30),
            ("30s", 30),
            ("5m", 300),
            ("1h", 3600),
            ("1h30m", 5400),
            ("768h", 768 * 3600),
            ("2d", 172800),
            ("1.5h", 5400),
            ("", 0),
        ];
        for (input, want) in cases {
            assert_eq!(parse_duration(input).unwrap().as_secs(), want, "{input}");
        }
        for bad in ["-5s", "abc", "5x", "h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format_go_duration(Duration::from_secs(3600)), "1h0m0s");
        assert_eq!(format_go_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_go_duration(Duration::from_secs(0)), "0s");
    }
}
