//! Field conversion with OpenBao's error texts. OpenBao's framework converts request fields
//! with mapstructure's weak decoding and reports failures in Go's words
//! (`'' cannot parse value as 'int': strconv.ParseInt: invalid syntax`); clients and
//! scripts that match on those texts see the same ones here. The KV engine declares its
//! paths for help and OpenAPI, but converts fields itself so that the messages match.
//!
//! Where the message carries the `Field validation failed: ` prefix follows OpenBao too:
//! writes to `data/` and `metadata/` are validated by the existence check (no prefix);
//! every other request by the framework's validation (prefix).

use std::collections::BTreeMap;

use arca_sdk::{Error, Result};
use serde_json::{Map, Value};

/// Where a conversion error is reported, which decides the message's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The existence check of a create/update on `data/` or `metadata/`.
    Existence,
    /// The framework's validation of any other request.
    Validation,
}

/// The client error for a field that could not be converted.
pub fn field_error(phase: Phase, name: &str, detail: &str) -> Error {
    let base = format!("error converting input for field {name:?}: {detail}");
    match phase {
        Phase::Existence => Error::InvalidRequest(base),
        Phase::Validation => Error::InvalidRequest(format!("Field validation failed: {base}")),
    }
}

/// The Go type name mapstructure reports for a JSON value.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(_) => "json.Number",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn unconvertible(expected: &str, v: &Value) -> String {
    format!(
        "'' expected type '{expected}', got unconvertible type '{}'",
        go_type(v)
    )
}

/// Go's `strconv.ParseInt(s, 0, 64)` as mapstructure calls it: decimal with an optional
/// sign, or 0x/0o/0b prefixes, underscores allowed between digits.
fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    let v = i64::from_str_radix(&clean, radix).ok()?;
    Some(if neg { -v } else { v })
}

/// TypeInt.
pub fn int(v: &Value) -> std::result::Result<i64, String> {
    let bad = || "'' cannot parse value as 'int': strconv.ParseInt: invalid syntax".to_string();
    match v {
        Value::Null => Ok(0),
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Ok(i),
            None => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(f as i64),
                _ => Err(format!(
                    "error decoding json.Number into int: strconv.ParseInt: parsing \"{n}\": invalid syntax"
                )),
            },
        },
        Value::String(s) if s.is_empty() => Ok(0),
        Value::String(s) => parse_go_int(s).ok_or_else(bad),
        other => Err(unconvertible("int", other)),
    }
}

/// TypeBool.
pub fn bool(v: &Value) -> std::result::Result<bool, String> {
    match v {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => Ok(n.as_f64().is_some_and(|f| f != 0.0)),
        Value::String(s) => match s.as_str() {
            "" => Ok(false),
            "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
            "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
            _ => Err(
                "'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax".to_string(),
            ),
        },
        other => Err(unconvertible("bool", other)),
    }
}

/// TypeString.
pub fn string(v: &Value) -> std::result::Result<String, String> {
    match v {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(if *b { "1".into() } else { "0".into() }),
        other => Err(unconvertible("string", other)),
    }
}

/// TypeMap: an object (an empty array counts as an empty object, as in mapstructure).
pub fn map(v: &Value) -> std::result::Result<Option<&Map<String, Value>>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Object(m) => Ok(Some(m)),
        Value::Array(a) if a.is_empty() => Ok(None),
        other => Err(unconvertible("map[string]interface {}", other)),
    }
}

/// TypeDurationSecond (`signed == false`) and TypeSignedDurationSecond: whole seconds from
/// a number or a Go duration string, as `parseutil.ParseDurationSecond`.
pub fn duration_secs(v: &Value, signed: bool) -> std::result::Result<i64, String> {
    let secs = match v {
        Value::Null => 0,
        Value::Number(n) => match n.as_i64() {
            Some(i) => i,
            None => n.as_f64().map(|f| f.trunc() as i64).unwrap_or(0),
        },
        Value::String(s) => arca_sdk::duration::parse_go_duration_secs(s.trim())?,
        Value::Bool(_) | Value::Array(_) | Value::Object(_) => {
            return Err("could not parse duration from input".into())
        }
    };
    if !signed && secs < 0 {
        return Err(format!("cannot provide negative value '{secs}'"));
    }
    Ok(secs)
}

/// TypeCommaIntSlice: a list of integers, or a comma-separated string of them.
pub fn int_slice(v: &Value) -> std::result::Result<Vec<i64>, String> {
    let item_err = |i: usize| {
        format!(
            "decoding failed due to the following error(s):\n\n'[{i}]' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
        )
    };
    match v {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => s
            .split(',')
            .map(str::trim)
            .enumerate()
            .filter(|(_, p)| !p.is_empty())
            .map(|(i, p)| parse_go_int(p).ok_or_else(|| item_err(i)))
            .collect(),
        Value::Number(_) | Value::Bool(_) => int(v).map(|i| vec![i]),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) if s.is_empty() => Err(item_err(i)),
                Value::Array(_) | Value::Object(_) => Err(format!(
                    "decoding failed due to the following error(s):\n\n'[{i}]' expected type 'int', got unconvertible type '{}'",
                    go_type(item)
                )),
                other => int(other).map_err(|_| item_err(i)),
            })
            .collect(),
        Value::Object(_) => Err(unconvertible("[]int", v)),
    }
}

/// Converts `custom_metadata` as OpenBao does: every value weakly decoded to a string;
/// `skip_null` drops nulls (a PATCH's way of removing a key).
pub fn custom_metadata(
    raw: &Map<String, Value>,
    skip_null: bool,
) -> std::result::Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (k, v) in raw {
        if skip_null && v.is_null() {
            continue;
        }
        out.insert(k.clone(), string(v)?);
    }
    Ok(out)
}

const MAX_CUSTOM_METADATA_KEYS: usize = 64;
const MAX_CUSTOM_METADATA_KEY_LENGTH: usize = 128;
const MAX_CUSTOM_METADATA_VALUE_LENGTH: usize = 512;
const CUSTOM_METADATA_PREFIX: &str = "custom_metadata validation failed";

/// OpenBao's limits on `custom_metadata`, every problem reported as go-multierror does.
pub fn validate_custom_metadata(cm: &BTreeMap<String, String>) -> Result<()> {
    let mut errs = Vec::new();
    if cm.len() > MAX_CUSTOM_METADATA_KEYS {
        errs.push(format!(
            "{CUSTOM_METADATA_PREFIX}: payload must contain at most {MAX_CUSTOM_METADATA_KEYS} keys, provided {}",
            cm.len()
        ));
    } else {
        for (k, v) in cm {
            if k.is_empty() || k.len() > MAX_CUSTOM_METADATA_KEY_LENGTH {
                errs.push(format!(
                    "{CUSTOM_METADATA_PREFIX}: length of key {k:?} is {} but must be 0 < len(key) <= {MAX_CUSTOM_METADATA_KEY_LENGTH}",
                    k.len()
                ));
            }
            if v.is_empty() || v.len() > MAX_CUSTOM_METADATA_VALUE_LENGTH {
                errs.push(format!(
                    "{CUSTOM_METADATA_PREFIX}: length of value for key {k:?} is {} but must be 0 < len(value) <= {MAX_CUSTOM_METADATA_VALUE_LENGTH}",
                    v.len()
                ));
            }
            if !printable(k) {
                errs.push(format!(
                    "{CUSTOM_METADATA_PREFIX}: key {k:?} ({k}) contains unprintable characters"
                ));
            }
            if !printable(v) {
                errs.push(format!(
                    "{CUSTOM_METADATA_PREFIX}: value for key {k:?} contains unprintable characters"
                ));
            }
        }
    }
    if errs.is_empty() {
        return Ok(());
    }
    Err(Error::InvalidRequest(multierror(&errs)))
}

/// The text of a go-multierror with these entries.
pub fn multierror(errs: &[String]) -> String {
    let noun = if errs.len() == 1 {
        "1 error occurred".to_string()
    } else {
        format!("{} errors occurred", errs.len())
    };
    let mut out = format!("{noun}:\n");
    for e in errs {
        out.push_str(&format!("\t* {e}\n"));
    }
    out.push('\n');
    out
}

fn printable(s: &str) -> bool {
    s.chars().all(|c| !c.is_control())
}

/// The warning OpenBao adds for body or query fields a path does not declare.
pub fn unknown_fields_warning(data: &Map<String, Value>, known: &[&str]) -> Option<String> {
    let unknown: Vec<&str> = data
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(k))
        .collect();
    if unknown.is_empty() {
        return None;
    }
    Some(format!(
        "Endpoint ignored these unrecognized parameters: [{}]",
        unknown.join(" ")
    ))
}

/// The warning OpenBao adds when a body field is overridden by a path capture.
pub fn replaced_path_warning(data: &Map<String, Value>) -> Option<String> {
    data.get("path").filter(|v| !v.is_null()).map(|_| {
        "Endpoint replaced the value of these parameters with the values captured from the endpoint's path: [path]".to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conversions_match_go() {
        assert_eq!(int(&json!("5")), Ok(5));
        assert_eq!(int(&json!(7)), Ok(7));
        assert_eq!(int(&json!("")), Ok(0));
        assert_eq!(int(&json!("-3")), Ok(-3));
        assert_eq!(
            int(&json!("abc")).unwrap_err(),
            "'' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
        );
        assert!(int(&json!([1])).unwrap_err().contains("'[]interface {}'"));
        assert_eq!(bool(&json!("true")), Ok(true));
        assert!(bool(&json!("maybe")).unwrap_err().contains("ParseBool"));
        assert_eq!(
            map(&json!("x")).unwrap_err(),
            "'' expected type 'map[string]interface {}', got unconvertible type 'string'"
        );
        assert_eq!(duration_secs(&json!("1h"), false), Ok(3600));
        assert_eq!(duration_secs(&json!("90"), false), Ok(90));
        assert_eq!(duration_secs(&json!(30), false), Ok(30));
        assert_eq!(
            duration_secs(&json!("-1s"), false).unwrap_err(),
            "cannot provide negative value '-1'"
        );
        assert_eq!(duration_secs(&json!("-5s"), true), Ok(-5));
        assert_eq!(
            duration_secs(&json!("abc"), false).unwrap_err(),
            "time: invalid duration \"abc\""
        );
        assert_eq!(int_slice(&json!("1, 2,3")), Ok(vec![1, 2, 3]));
        assert_eq!(int_slice(&json!([1, "2"])), Ok(vec![1, 2]));
        assert!(int_slice(&json!("abc")).unwrap_err().contains("'[0]'"));
    }

    #[test]
    fn custom_metadata_limits() {
        let mut cm = BTreeMap::new();
        cm.insert(String::new(), "x".to_string());
        let err = validate_custom_metadata(&cm).unwrap_err().to_string();
        assert_eq!(
            err,
            "1 error occurred:\n\t* custom_metadata validation failed: length of key \"\" is 0 but must be 0 < len(key) <= 128\n\n"
        );
        let many: BTreeMap<String, String> = (0..65)
            .map(|i| (format!("k{i}"), "v".to_string()))
            .collect();
        assert!(validate_custom_metadata(&many)
            .unwrap_err()
            .to_string()
            .contains("at most 64 keys, provided 65"));
    }
}
