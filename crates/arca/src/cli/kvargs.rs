//! `key=value` arguments as Vault's CLI reads them: `key=@file` takes a file's content,
//! `key=-` reads the value from stdin, a bare `-` or `@file.json` merges a JSON object,
//! `key=\@x` escapes a literal `@`, and a repeated key becomes a list.

use std::io::Read;

use serde_json::{Map, Value};

use super::error::CliError;

pub fn parse(args: &[String], stdin: &mut dyn Read) -> Result<Map<String, Value>, CliError> {
    let mut out = Map::new();
    let mut stdin_used = false;
    let mut take_stdin = |what: &str| -> Result<String, CliError> {
        if stdin_used {
            return Err(CliError::Local(format!(
                "stdin was already read; {what} cannot read it again"
            )));
        }
        stdin_used = true;
        let mut s = String::new();
        stdin
            .read_to_string(&mut s)
            .map_err(|e| CliError::Local(format!("cannot read stdin: {e}")))?;
        Ok(s)
    };
    for raw in args {
        if raw.is_empty() {
            continue;
        }
        let Some((key, value)) = raw.split_once('=') else {
            let text = if raw == "-" {
                take_stdin("\"-\"")?
            } else if let Some(file) = raw.strip_prefix('@') {
                read_file(file)?
            } else {
                return Err(CliError::Usage(format!(
                    "invalid argument {raw:?}: expected key=value, key=@file, key=-, @file or -"
                )));
            };
            merge_json(&mut out, &text, raw)?;
            continue;
        };
        let value = if let Some(file) = value.strip_prefix('@') {
            read_file(file)?
        } else if let Some(rest) = value.strip_prefix("\\@") {
            format!("@{rest}")
        } else if value == "-" {
            take_stdin(&format!("{key}=-"))?
        } else {
            value.to_string()
        };
        match out.get_mut(key) {
            Some(Value::Array(list)) => list.push(Value::String(value)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(value)]);
            }
            None => {
                out.insert(key.to_string(), Value::String(value));
            }
        }
    }
    Ok(out)
}

fn read_file(path: &str) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::Local(format!("error reading file {path}: {e}")))
}

fn merge_json(out: &mut Map<String, Value>, text: &str, source: &str) -> Result<(), CliError> {
    let from = if source == "-" { "stdin" } else { source };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => {
            out.extend(m);
            Ok(())
        }
        Ok(_) => Err(CliError::Local(format!(
            "the JSON from {from} must be an object of keys and values"
        ))),
        Err(e) => Err(CliError::Local(format!(
            "the data from {from} is not valid JSON: {e}"
        ))),
    }
}

/// Values as strings, as `login` and `-custom-metadata` want them.
pub fn as_strings(map: Map<String, Value>) -> Result<Vec<(String, String)>, CliError> {
    map.into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            Value::Number(n) => Ok((k, n.to_string())),
            Value::Bool(b) => Ok((k, b.to_string())),
            other => Err(CliError::Local(format!(
                "the value of {k:?} must be a string, not {other}"
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn forms() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.txt");
        std::fs::write(&file, "from-file\n").unwrap();
        let json_file = dir.path().join("d.json");
        std::fs::write(&json_file, r#"{"n": 5, "a": "over"}"#).unwrap();
        let mut stdin = "piped".as_bytes();
        let got = parse(
            &args(&[
                "a=b",
                &format!("f=@{}", file.display()),
                "s=-",
                "e=\\@lit",
                "r=1",
                "r=2",
                "eq=x=y",
                &format!("@{}", json_file.display()),
            ]),
            &mut stdin,
        )
        .unwrap();
        assert_eq!(
            Value::Object(got),
            json!({"a": "over", "f": "from-file\n", "s": "piped", "e": "@lit", "r": ["1", "2"], "eq": "x=y", "n": 5})
        );
    }

    #[test]
    fn stdin_json_and_errors() {
        let mut stdin = r#"{"k": {"nested": true}}"#.as_bytes();
        let got = parse(&args(&["-"]), &mut stdin).unwrap();
        assert_eq!(Value::Object(got), json!({"k": {"nested": true}}));

        let mut stdin = "x".as_bytes();
        assert!(parse(&args(&["a=-", "b=-"]), &mut stdin).is_err());
        assert!(parse(&args(&["novalue"]), &mut "".as_bytes()).is_err());
        assert!(parse(&args(&["-"]), &mut "[1]".as_bytes()).is_err());
        assert!(parse(&args(&["a=@/nonexistent/file"]), &mut "".as_bytes()).is_err());
    }
}
