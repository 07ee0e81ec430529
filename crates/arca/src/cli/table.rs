//! Aligned text tables as Vault prints them (`Key    Value` with a dashed underline,
//! columns four spaces apart), and the value formatting used in their cells.

use serde_json::Value;

const GLUE: &str = "    ";

/// Formats rows into left-aligned columns; the first row is the header and gets an
/// underline of dashes. Trailing spaces are trimmed.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut all: Vec<Vec<String>> = Vec::with_capacity(rows.len() + 2);
    all.push(header.iter().map(|h| h.to_string()).collect());
    all.push(
        header
            .iter()
            .map(|h| "-".repeat(h.chars().count()))
            .collect(),
    );
    // Empty cells read "n/a", as in Vault's tables.
    all.extend(rows.iter().map(|r| {
        r.iter()
            .map(|c| {
                if c.is_empty() {
                    "n/a".to_string()
                } else {
                    c.clone()
                }
            })
            .collect()
    }));
    columns(&all)
}

/// Left-aligned columns without a header.
pub fn columns(rows: &[Vec<String>]) -> String {
    let ncols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; ncols];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i] - cell.chars().count();
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(GLUE);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Keys whose integer values are durations in seconds (Vault's `looksLikeDuration`).
pub fn looks_like_duration(key: &str) -> bool {
    key == "period"
        || key.ends_with("_period")
        || key == "ttl"
        || key.ends_with("_ttl")
        || key == "duration"
        || key.ends_with("_duration")
        || key == "lease_max"
        || key == "ttl_max"
}

/// Seconds as Go prints a duration, without the zero units Vault strips: 3600 -> "1h",
/// 90 -> "1m30s", 0 -> "0s".
pub fn human_duration(seconds: i64) -> String {
    if seconds == 0 {
        return "0s".to_string();
    }
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = sign.to_string();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if sec > 0 {
        out.push_str(&format!("{sec}s"));
    }
    out
}

/// A value in a table cell: strings bare, numbers and booleans as written, lists and
/// objects as compact JSON (unambiguous, unlike Go's `[a b]` / `map[k:v]`), null as `n/a`.
pub fn cell(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "n/a".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// A cell for `key`, with durations made human.
pub fn cell_for(key: &str, value: &Value) -> String {
    if looks_like_duration(key) {
        if let Some(n) = value.as_i64() {
            return human_duration(n);
        }
    }
    cell(value)
}

/// Vault's `padEqualSigns`: "====== Data ======" headers of `kv get`.
pub fn section_header(title: &str, total_len: usize) -> String {
    let mut signs = total_len as i64 - (title.len() as i64 + 2);
    if signs <= 0 {
        signs = 4;
    }
    if signs % 2 != 0 {
        signs += 1;
    }
    let side = "=".repeat((signs / 2) as usize);
    format!("{side} {title} {side}")
}

/// The header above a `Key Value` table of these keys (Vault's `getHeaderForMap`).
pub fn header_for_keys<'a>(title: &str, keys: impl Iterator<Item = &'a String>) -> String {
    let longest = keys.map(|k| k.len()).max().unwrap_or(0);
    section_header(title, longest + 4 + 5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn aligned_like_vault() {
        let t = table(
            &["Key", "Value"],
            &[
                vec!["token".into(), "s.x".into()],
                vec!["token_duration".into(), "1h".into()],
                vec!["empty".into(), String::new()],
            ],
        );
        assert_eq!(
            t,
            "Key               Value\n---               -----\ntoken             s.x\ntoken_duration    1h\nempty             n/a\n"
        );
    }

    #[test]
    fn durations() {
        let cases = [
            (0, "0s"),
            (1, "1s"),
            (60, "1m"),
            (90, "1m30s"),
            (3600, "1h"),
            (2764800, "768h"),
            (3661, "1h1m1s"),
            (-5, "-5s"),
        ];
        for (secs, want) in cases {
            assert_eq!(human_duration(secs), want);
        }
        assert_eq!(cell_for("ttl", &json!(3600)), "1h");
        assert_eq!(cell_for("max_ttl", &json!("1h")), "1h");
        assert_eq!(cell_for("policies", &json!(["a", "b"])), "[\"a\",\"b\"]");
        assert_eq!(cell_for("x", &json!(null)), "n/a");
    }

    #[test]
    fn section_headers() {
        assert_eq!(section_header("Secret Path", 14), "= Secret Path =");
        assert_eq!(section_header("Data", 10), "== Data ==");
        assert_eq!(section_header("Metadata", 3), "== Metadata ==");
    }
}
