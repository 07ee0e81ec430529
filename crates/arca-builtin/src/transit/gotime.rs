//! Timestamps as Vault shows them: Go's `time.Time` JSON form (RFC 3339 with nanoseconds,
//! trailing zeros trimmed), parsed back to Unix time for auto-rotation.

use std::time::{SystemTime, UNIX_EPOCH};

use arca_sdk::time::days_from_civil;

/// A point in time kept in the text form it was written in (restored keys keep their zone),
/// with its Unix value for arithmetic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub text: String,
    pub unix: i64,
    pub nanos: u32,
}

impl Stamp {
    pub fn now() -> Stamp {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Stamp::from_unix(d.as_secs() as i64, d.subsec_nanos())
    }

    pub fn from_unix(unix: i64, nanos: u32) -> Stamp {
        Stamp {
            text: format_utc(unix, nanos),
            unix,
            nanos,
        }
    }

    /// Parses Go's RFC 3339 output (`Z` or a numeric offset, optional fraction).
    pub fn parse(text: &str) -> Option<Stamp> {
        let b = text.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let s = text.get(r)?;
            if !s.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
            return None;
        }
        if second > 60 {
            return None;
        }
        let mut rest = &text[19..];
        let mut nanos = 0u32;
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 9 {
                return None;
            }
            let value: u32 = frac[..digits].parse().ok()?;
            nanos = value * 10u32.pow(9 - digits as u32);
            rest = &frac[digits..];
        }
        let offset = match rest {
            "Z" => 0,
            _ => {
                let sign = match rest.as_bytes().first()? {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let ob = rest.as_bytes();
                if ob.len() != 6 || ob[3] != b':' {
                    return None;
                }
                let h: i64 = rest.get(1..3)?.parse().ok()?;
                let m: i64 = rest.get(4..6)?.parse().ok()?;
                sign * (h * 3600 + m * 60)
            }
        };
        let unix =
            days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
        Some(Stamp {
            text: text.to_string(),
            unix,
            nanos,
        })
    }
}

/// Go's zero `time.Time`, which Vault writes for empty archive slots.
pub const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// RFC 3339 in UTC with Go's `RFC3339Nano` fraction (trailing zeros dropped).
pub fn format_utc(unix: i64, nanos: u32) -> String {
    arca_sdk::time::rfc3339(unix, nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go() {
        assert_eq!(format_utc(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_utc(1795907561, 244294408),
            "2026-11-28T23:12:41.244294408Z"
        );
        assert_eq!(
            format_utc(1795907561, 500_000_000),
            "2026-11-28T23:12:41.5Z"
        );
    }

    #[test]
    fn parses_go_output() {
        let s = Stamp::parse("2026-11-28T23:12:41.244294408Z").unwrap();
        assert_eq!((s.unix, s.nanos), (1795907561, 244294408));
        let zoned = Stamp::parse("2026-11-28T18:12:41-05:00").unwrap();
        assert_eq!(zoned.unix, 1795907561);
        assert_eq!(zoned.text, "2026-11-28T18:12:41-05:00");
        let zero = Stamp::parse(GO_ZERO_TIME).unwrap();
        assert_eq!(zero.unix, -62135596800);
        for bad in [
            "",
            "2026-11-28",
            "2026-13-01T00:00:00Z",
            "2026-11-28T23:12:41.Z",
        ] {
            assert!(Stamp::parse(bad).is_none(), "{bad}");
        }
    }
}
