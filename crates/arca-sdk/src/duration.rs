//! Vault's duration syntax: integer seconds, or Go-style strings such as `1h30m`, `90s`, `7d`.

use std::time::Duration;

use crate::{Error, Result};

/// Parses a duration as Vault's `parseutil.ParseDurationSecond` does: a bare number is
/// seconds; otherwise a sequence of `<number><unit>` with units ns, us, µs, ms, s, m, h, d.
pub fn parse_duration(input: &str) -> Result<Duration> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(Duration::ZERO);
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    if s.starts_with('-') {
        return Err(Error::invalid(format!(
            "invalid duration {input:?}: negative"
        )));
    }
    let bytes = s.as_bytes();
    let mut total = 0f64;
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        if start == i {
            return Err(Error::invalid(format!("invalid duration {input:?}")));
        }
        let number: f64 = s[start..i]
            .parse()
            .map_err(|_| Error::invalid(format!("invalid duration {input:?}")))?;
        let unit_start = i;
        while i < bytes.len() && !(bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let factor = match &s[unit_start..i] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            "" => {
                return Err(Error::invalid(format!(
                    "invalid duration {input:?}: missing unit"
                )))
            }
            other => {
                return Err(Error::invalid(format!(
                    "invalid duration {input:?}: unknown unit {other:?}"
                )))
            }
        };
        total += number * factor;
    }
    if !total.is_finite() || total > 1e15 {
        return Err(Error::invalid(format!(
            "invalid duration {input:?}: too large"
        )));
    }
    Ok(Duration::from_secs_f64(total))
}

/// Formats a duration as Go's `time.Duration.String()` does (`1h0m0s`, `30m0s`, `0s`), which
/// the CLI and some responses (token `ttl` in role reads) show.
pub fn format_go_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return "0s".into();
    }
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
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
