//! JSON values as YAML, for `-format=yaml`. Only emission is needed, so a small emitter
//! replaces a YAML library (serde_yaml is unmaintained): block mappings and sequences,
//! plain scalars where YAML reads them back as the same string, JSON-quoted otherwise.

use serde_json::Value;

pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0),
        scalar => {
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
    out
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (k, v) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&string_text(k));
        out.push(':');
        write_child(out, v, indent);
    }
}

fn write_seq(out: &mut String, seq: &[Value], indent: usize) {
    for v in seq {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match v {
            Value::Object(m) if !m.is_empty() => {
                // The first key sits on the dash line; the rest align under it.
                let mut nested = String::new();
                write_map(&mut nested, m, indent + 2);
                out.push(' ');
                out.push_str(nested.trim_start());
            }
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                write_seq(out, a, indent + 2);
            }
            scalar => {
                out.push(' ');
                out.push_str(&scalar_text(scalar));
                out.push('\n');
            }
        }
    }
}

fn write_child(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_map(out, m, indent + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_seq(out, a, indent);
        }
        scalar => {
            out.push(' ');
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string_text(s),
        Value::Object(_) => "{}".to_string(),
        Value::Array(_) => "[]".to_string(),
    }
}

/// A string plain when it cannot be mistaken for anything else, else JSON-quoted (a JSON
/// string is a valid YAML double-quoted scalar).
fn string_text(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else {
        Value::String(s.to_string()).to_string()
    }
}

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let reserved = [
        "null", "true", "false", "yes", "no", "on", "off", "y", "n", "~",
    ];
    if reserved.iter().any(|r| r.eq_ignore_ascii_case(s)) {
        return false;
    }
    // Anything number-like (1, 1.5, 1e3, 0x1f, .inf) stays quoted.
    if first.is_ascii_digit() || matches!(first, '-' | '+' | '.') {
        return false;
    }
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn emits_block_yaml() {
        let v = json!({
            "data": {"a": "b", "n": 1, "list": ["x", {"k": "v", "z": true}], "empty": {}},
            "warnings": null,
            "s": "needs: quoting",
            "t": "true",
            "num": "123",
        });
        let want = r#"data:
  a: b
  empty: {}
  list:
  - x
  - k: v
    z: true
  "n": 1
num: "123"
s: "needs: quoting"
t: "true"
warnings: null
"#;
        assert_eq!(to_yaml(&v), want);
        assert_eq!(to_yaml(&json!(["a"])), "- a\n");
        assert_eq!(to_yaml(&json!("line\nbreak")), "\"line\\nbreak\"\n");
    }
}
