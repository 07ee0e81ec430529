//! Printing results in the chosen format. API responses print as the server sent them for
//! `-format=json` (byte for byte), as YAML, or as Vault's `Key  Value` table; values the
//! CLI derives (lists of keys, mount tables, seal status) print in the same shapes `bao`
//! prints them. `-field` prints one value raw.

use std::io::Write;

use arca_client::Response;
use serde_json::{Map, Value};

use super::context::{stdout_is_terminal, CliResult, Ctx};
use super::error::CliError;
use super::flags::Format;
use super::table::{cell, cell_for, human_duration, table};
use super::yaml::to_yaml;

pub fn out(s: &str) {
    let mut o = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = o.write_all(s.as_bytes());
    let _ = o.flush();
}

pub fn outln(s: &str) {
    out(&format!("{s}\n"));
}

pub fn warn(s: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{s}");
}

impl Ctx {
    /// A line printed only for the table format ("Success! ...").
    pub fn success(&self, msg: &str) {
        if self.format == Format::Table {
            outln(msg);
        }
    }

    /// Prints an API response body.
    pub fn print_response(&self, resp: &Response) -> CliResult {
        let value = resp
            .value()
            .map_err(|e| CliError::server(format!("Error reading the response: {e}")))?;
        if let Some(field) = &self.flags.field {
            return self.print_field(secret_field(&value, field), field, "secret", Some(&value));
        }
        match self.format {
            Format::Json | Format::Raw => {
                print_body(&resp.body);
                Ok(())
            }
            Format::Yaml => {
                if !value.is_null() {
                    out(&to_yaml(&value));
                }
                Ok(())
            }
            Format::Table => {
                print_warnings(&value);
                out(&secret_table(&value));
                Ok(())
            }
        }
    }

    /// Prints a response-shaped value the CLI assembled itself (a token login's auth).
    pub fn print_secret_value(&self, value: &Value) -> CliResult {
        if let Some(field) = &self.flags.field {
            return self.print_field(secret_field(value, field), field, "secret", Some(value));
        }
        match self.format {
            Format::Json | Format::Raw => outln(&pretty(value)),
            Format::Yaml => out(&to_yaml(value)),
            Format::Table => {
                print_warnings(value);
                out(&secret_table(value));
            }
        }
        Ok(())
    }

    /// Prints a value the CLI derived; tables show an object as `Key  Value` rows.
    pub fn print_data(&self, value: &Value) -> CliResult {
        if let Some(field) = &self.flags.field {
            let v = value.get(field).cloned().filter(|v| !v.is_null());
            return self.print_field(v, field, "map", None);
        }
        match self.format {
            Format::Json | Format::Raw => outln(&pretty(value)),
            Format::Yaml => out(&to_yaml(value)),
            Format::Table => match value {
                Value::Object(m) => out(&map_table(m)),
                Value::Array(a) => {
                    for v in a {
                        outln(&cell(v));
                    }
                }
                other => outln(&cell(other)),
            },
        }
        Ok(())
    }

    /// Prints the keys of a LIST response: a sorted `Keys` column, or a JSON/YAML list.
    pub fn print_keys(&self, resp: &Response) -> CliResult {
        let value = resp
            .value()
            .map_err(|e| CliError::server(format!("Error reading the response: {e}")))?;
        let keys = value
            .pointer("/data/keys")
            .cloned()
            .unwrap_or(Value::Array(Vec::new()));
        if self.format == Format::Table {
            print_warnings(&value);
            let mut names: Vec<String> = keys
                .as_array()
                .map(|a| a.iter().map(cell).collect())
                .unwrap_or_default();
            names.sort();
            let rows: Vec<Vec<String>> = names.into_iter().map(|k| vec![k]).collect();
            out(&table(&["Keys"], &rows));
            return Ok(());
        }
        self.print_data(&keys)
    }

    /// `-field`: the value alone. Strings print bare, other values as JSON (table format)
    /// or in the chosen format; no trailing newline when stdout is not a terminal, so
    /// `$(arca ... -field=x)` and redirections get the exact value.
    pub fn print_field(
        &self,
        value: Option<Value>,
        field: &str,
        what: &str,
        whole: Option<&Value>,
    ) -> CliResult {
        let Some(value) = value else {
            return Err(CliError::Local(format!(
                "Field {field:?} not present in {what}"
            )));
        };
        if let (Some(whole), Format::Table) = (whole, self.format) {
            print_warnings(whole);
        }
        let text = match self.format {
            Format::Table | Format::Raw => cell(&value),
            Format::Json => pretty(&value),
            Format::Yaml => to_yaml(&value).trim_end().to_string(),
        };
        if stdout_is_terminal() {
            outln(&text);
        } else {
            out(&text);
        }
        Ok(())
    }
}

/// The body's bytes unchanged, ended by a newline if the server sent none.
pub fn print_body(body: &[u8]) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(body);
    if !body.is_empty() && !body.ends_with(b"\n") {
        let _ = o.write_all(b"\n");
    }
    let _ = o.flush();
}

pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// The server's warnings, on stderr, as Vault prints them.
pub fn print_warnings(value: &Value) {
    let Some(list) = value.get("warnings").and_then(Value::as_array) else {
        return;
    };
    if list.is_empty() {
        return;
    }
    let mut s = String::from("WARNING! The following warnings were returned from the server:\n\n");
    for w in list {
        s.push_str(&format!("  * {}\n\n", cell(w)));
    }
    let _ = std::io::stderr().lock().write_all(s.as_bytes());
}

/// One field of a response, with Vault's names for the envelope, auth and wrap fields.
pub fn secret_field(v: &Value, field: &str) -> Option<Value> {
    let data_field = || v.get("data").and_then(|d| d.get(field)).cloned();
    let found = if let Some(auth) = v.get("auth").filter(|a| !a.is_null()) {
        match field {
            "token" => auth.get("client_token").cloned(),
            "token_accessor" => auth.get("accessor").cloned(),
            "token_duration" => auth.get("lease_duration").cloned(),
            "token_renewable" => auth.get("renewable").cloned(),
            "token_policies" | "identity_policies" | "policies" => auth.get(field).cloned(),
            _ => data_field(),
        }
    } else if let Some(wrap) = v.get("wrap_info").filter(|w| !w.is_null()) {
        match field {
            "wrapping_token" => wrap.get("token").cloned(),
            "wrapping_accessor" => wrap.get("accessor").cloned(),
            "wrapping_token_ttl" => wrap.get("ttl").cloned(),
            "wrapping_token_creation_time" => wrap.get("creation_time").cloned(),
            "wrapping_token_creation_path" => wrap.get("creation_path").cloned(),
            "wrapped_accessor" => wrap.get("wrapped_accessor").cloned(),
            _ => data_field(),
        }
    } else {
        match field {
            "lease_duration" | "refresh_interval" => v.get("lease_duration").cloned(),
            "lease_id" | "request_id" | "renewable" => v.get(field).cloned(),
            "data" => v
                .get("data")
                .and_then(|d| d.get("data").cloned().or_else(|| Some(d.clone()))),
            _ => data_field().or_else(|| {
                // A bare (non-envelope) body: the field at the top level.
                if is_envelope(v) {
                    None
                } else {
                    v.get(field).cloned()
                }
            }),
        }
    };
    found.filter(|v| !v.is_null())
}

fn is_envelope(v: &Value) -> bool {
    v.get("request_id").is_some() || v.get("data").is_some() && v.get("lease_id").is_some()
}

/// Vault's `OutputSecret` table: lease, auth and wrapping rows, then the data sorted.
pub fn secret_table(v: &Value) -> String {
    let Some(obj) = v.as_object() else {
        return String::new();
    };
    if !is_envelope(v) && obj.get("auth").is_none() {
        return map_table(obj);
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let row = |k: &str, v: String| vec![k.to_string(), v];
    let lease_duration = obj
        .get("lease_duration")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if lease_duration > 0 {
        let lease_id = obj.get("lease_id").and_then(Value::as_str).unwrap_or("");
        if lease_id.is_empty() {
            rows.push(row("refresh_interval", human_duration(lease_duration)));
        } else {
            rows.push(row("lease_id", lease_id.to_string()));
            rows.push(row("lease_duration", human_duration(lease_duration)));
            rows.push(row(
                "lease_renewable",
                cell(obj.get("renewable").unwrap_or(&Value::Bool(false))),
            ));
        }
    }
    if let Some(auth) = obj.get("auth").and_then(Value::as_object) {
        let s = |k: &str| auth.get(k).map(cell).unwrap_or_default();
        rows.push(row("token", s("client_token")));
        rows.push(row("token_accessor", s("accessor")));
        let dur = auth
            .get("lease_duration")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        rows.push(row(
            "token_duration",
            if dur == 0 {
                "∞".to_string()
            } else {
                human_duration(dur)
            },
        ));
        rows.push(row("token_renewable", s("renewable")));
        for k in ["token_policies", "identity_policies", "policies"] {
            let list = auth
                .get(k)
                .filter(|v| !v.is_null())
                .cloned()
                .unwrap_or(Value::Array(Vec::new()));
            rows.push(row(k, list.to_string()));
        }
        if let Some(meta) = auth.get("metadata").and_then(Value::as_object) {
            for (k, v) in meta {
                rows.push(row(&format!("token_meta_{k}"), cell(v)));
            }
        }
    }
    if let Some(wrap) = obj.get("wrap_info").and_then(Value::as_object) {
        let s = |k: &str| wrap.get(k).map(cell).unwrap_or_default();
        rows.push(row("wrapping_token:", s("token")));
        rows.push(row("wrapping_accessor:", s("accessor")));
        let ttl = wrap.get("ttl").and_then(Value::as_i64).unwrap_or(0);
        rows.push(row("wrapping_token_ttl:", human_duration(ttl)));
        rows.push(row("wrapping_token_creation_time:", s("creation_time")));
        rows.push(row("wrapping_token_creation_path:", s("creation_path")));
        if wrap
            .get("wrapped_accessor")
            .and_then(Value::as_str)
            .is_some_and(|a| !a.is_empty())
        {
            rows.push(row("wrapped_accessor:", s("wrapped_accessor")));
        }
    }
    if let Some(data) = obj.get("data").and_then(Value::as_object) {
        for (k, v) in data {
            rows.push(row(k, cell_for(k, v)));
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    table(&["Key", "Value"], &rows)
}

/// A `Key  Value` table of an object, keys sorted, durations human.
pub fn map_table(m: &Map<String, Value>) -> String {
    if m.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = m
        .iter()
        .map(|(k, v)| vec![k.clone(), cell_for(k, v)])
        .collect();
    table(&["Key", "Value"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_tables() {
        let v = json!({"request_id":"r","lease_id":"","renewable":false,"lease_duration":2764800,
            "data":{"b":"2","a":"1","ttl":60},"wrap_info":null,"warnings":null,"auth":null});
        assert_eq!(
            secret_table(&v),
            "Key                 Value\n---                 -----\nrefresh_interval    768h\na                   1\nb                   2\nttl                 1m\n"
        );
        let login = json!({"request_id":"","lease_id":"","renewable":false,"lease_duration":0,"data":null,
            "auth":{"client_token":"s.t","accessor":"acc","policies":["default"],"token_policies":["default"],
            "identity_policies":null,"metadata":{"username":"bob"},"lease_duration":3600,"renewable":true}});
        assert_eq!(
            secret_table(&login),
            "Key                    Value\n---                    -----\ntoken                  s.t\n\
             token_accessor         acc\ntoken_duration         1h\ntoken_renewable        true\n\
             token_policies         [\"default\"]\nidentity_policies      []\n\
             policies               [\"default\"]\ntoken_meta_username    bob\n"
        );
    }

    #[test]
    fn fields() {
        let v = json!({"request_id":"r","lease_id":"l","lease_duration":5,"data":{"data":{"k":"v"},"x":1},
            "auth":null,"wrap_info":null});
        assert_eq!(secret_field(&v, "lease_id"), Some(json!("l")));
        assert_eq!(secret_field(&v, "data"), Some(json!({"k":"v"})));
        assert_eq!(secret_field(&v, "x"), Some(json!(1)));
        assert_eq!(secret_field(&v, "nope"), None);
        let wrapped = json!({"request_id":"","wrap_info":{"token":"s.w","ttl":60},"data":null});
        assert_eq!(secret_field(&wrapped, "wrapping_token"), Some(json!("s.w")));
        let bare = json!({"sealed": false, "t": 1});
        assert_eq!(secret_field(&bare, "sealed"), Some(json!(false)));
    }
}
