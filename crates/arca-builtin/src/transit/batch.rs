//! `batch_input` as Vault reads it (a list of objects with typed members) and the HTTP status
//! Vault gives a batch with failed items.

use arca_sdk::{Error, FieldData, Response, Result};
use serde_json::{Map, Value};

/// Go's name for a JSON value's decoded type, used in Vault's conversion errors.
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

fn parse_error(msg: impl std::fmt::Display) -> Error {
    Error::invalid(format!("failed to parse batch input: {msg}"))
}

/// The items of `batch_input`, or `None` when the request is not a batch.
pub fn items<'a>(d: &FieldData<'a>) -> Result<Option<Vec<&'a Map<String, Value>>>> {
    let raw = match d.body().get("batch_input") {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => v,
    };
    let Value::Array(list) = raw else {
        return Err(parse_error(format!(
            "source data must be an array or slice, got {}",
            match raw {
                Value::String(_) => "string",
                Value::Object(_) => "map",
                Value::Number(_) => "json.Number",
                Value::Bool(_) => "bool",
                _ => "nil",
            }
        )));
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        match item {
            Value::Object(m) => out.push(m),
            other => {
                return Err(parse_error(format!(
                    "[{i}] expected a map, got '{}'",
                    go_type(other)
                )))
            }
        }
    }
    if out.is_empty() {
        return Err(Error::invalid("missing batch input to process"));
    }
    Ok(Some(out))
}

/// A string member; `null` counts as absent, other types are refused.
pub fn string(item: &Map<String, Value>, i: usize, key: &str) -> Result<Option<String>> {
    match item.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(parse_error(format!(
            "'[{i}].{key}' expected type 'string', got unconvertible type '{}'",
            go_type(other)
        ))),
    }
}

/// An integer member (`key_version`).
pub fn int(item: &Map<String, Value>, i: usize, key: &str) -> Result<i64> {
    match item.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
            parse_error(format!(
                "error decoding json.Number into [{i}].{key}: strconv.ParseInt: parsing \"{n}\": invalid syntax"
            ))
        }),
        Some(Value::String(s)) => s.trim().parse().map_err(|_| {
            parse_error(format!(
                "'[{i}].{key}' expected type 'int', got unconvertible type 'string'"
            ))
        }),
        Some(other) => Err(parse_error(format!(
            "'[{i}].{key}' expected type 'int', got unconvertible type '{}'",
            go_type(other)
        ))),
    }
}

/// The flags Vault keeps while processing a batch to choose the response status.
#[derive(Default)]
pub struct Outcome {
    pub successes: bool,
    pub user_errors: bool,
    pub internal_errors: bool,
}

impl Outcome {
    pub fn record(&mut self, e: &super::error::OpError) {
        if e.is_internal() {
            self.internal_errors = true;
        } else {
            self.user_errors = true;
        }
    }

    /// Vault's `batchRequestResponse`: 400 for any caller error (or the client's
    /// `partial_failure_response_code` when some items succeeded), else 500 for internal
    /// errors.
    pub fn apply(&self, d: &FieldData<'_>, resp: &mut Response) -> Result<()> {
        if !self.user_errors && !self.internal_errors {
            return Ok(());
        }
        let mut code: i64 = if self.user_errors { 400 } else { 500 };
        if self.successes && d.is_set("partial_failure_response_code") {
            let wanted = d.int("partial_failure_response_code")?.unwrap_or(0);
            if (1..=599).contains(&wanted) {
                code = wanted;
            } else {
                resp.warnings.push(format!(
                    "invalid HTTP response code override from partial_failure_response_code, reverting to {code}"
                ));
            }
        }
        resp.status = Some(code as u16);
        Ok(())
    }
}
