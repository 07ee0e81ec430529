//! An HCL1 reader for the two documents users bring from Vault: policies and server configs.
//!
//! Why our own: Vault parses both with HCL1, whose grammar is looser than HCL2's (several
//! attributes on one line, `key { "quoted" = [] }` nested objects, `key = { ... }` blocks,
//! trailing commas, `#` comments). No maintained Rust crate reads HCL1, and an HCL2 parser
//! rejects real Vault policy files. This module reads the subset those documents use and
//! keeps line numbers so errors can name the line. JSON documents are accepted as well,
//! as HCL1 does.

use serde_json::Value;

/// One `key [labels...] = value` or `key [labels...] { body }` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: String,
    pub labels: Vec<String>,
    pub value: Node,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    String(String),
    Number(f64),
    Bool(bool),
    List(Vec<Node>),
    /// A block body or an object literal: ordered, keys may repeat.
    Object(Vec<Item>),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn items(&self) -> &[Item] {
        match self {
            Node::Object(items) => items,
            _ => &[],
        }
    }

    /// Converts to JSON; repeated keys in an object become the last value.
    pub fn to_json(&self) -> Value {
        match self {
            Node::String(s) => Value::String(s.clone()),
            Node::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    Value::from(*n as i64)
                } else {
                    serde_json::Number::from_f64(*n)
                        .map(Value::Number)
                        .unwrap_or(Value::Null)
                }
            }
            Node::Bool(b) => Value::Bool(*b),
            Node::List(l) => Value::Array(l.iter().map(Node::to_json).collect()),
            Node::Object(items) => {
                let mut m = serde_json::Map::new();
                for it in items {
                    let mut v = it.value.to_json();
                    for label in it.labels.iter().rev() {
                        let mut wrap = serde_json::Map::new();
                        wrap.insert(label.clone(), v);
                        v = Value::Object(wrap);
                    }
                    m.insert(it.key.clone(), v);
                }
                Value::Object(m)
            }
        }
    }
}

/// Parses an HCL1 or JSON document into its top-level items.
pub fn parse(input: &str) -> Result<Vec<Item>, ParseError> {
    if input.trim_start().starts_with('{') {
        return parse_json(input);
    }
    let tokens = tokenize(input)?;
    let mut p = Parser { tokens, pos: 0 };
    let items = p.body(false)?;
    Ok(items)
}

fn parse_json(input: &str) -> Result<Vec<Item>, ParseError> {
    let value: Value = serde_json::from_str(input).map_err(|e| ParseError {
        line: e.line(),
        message: format!("invalid JSON: {e}"),
    })?;
    match json_to_node(&value, 1) {
        Node::Object(items) => Ok(items),
        _ => Err(ParseError {
            line: 1,
            message: "document must be an object".into(),
        }),
    }
}

/// JSON objects map to items; an object of objects under a block key (`"path": {"a/*": {...}}`)
/// is read as labelled blocks by the document's interpreter, not here.
fn json_to_node(v: &Value, line: usize) -> Node {
    match v {
        Value::Null => Node::List(Vec::new()),
        Value::Bool(b) => Node::Bool(*b),
        Value::Number(n) => Node::Number(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => Node::String(s.clone()),
        Value::Array(a) => Node::List(a.iter().map(|x| json_to_node(x, line)).collect()),
        Value::Object(m) => Node::Object(
            m.iter()
                .map(|(k, v)| Item {
                    key: k.clone(),
                    labels: Vec::new(),
                    value: json_to_node(v, line),
                    line,
                })
                .collect(),
        ),
    }
}

/// Flattens labelled blocks: returns `(label, body, line)` for each block named `key`,
/// whether written as `key "label" { }` (HCL) or `"key": {"label": { }}` (JSON, or HCL's
/// `key = { "label" = { } }`). A JSON list of such objects is accepted too.
pub fn labelled_blocks<'a>(items: &'a [Item], key: &str) -> Vec<(String, &'a Node, usize)> {
    let mut out = Vec::new();
    for it in items.iter().filter(|i| i.key == key) {
        if let Some(label) = it.labels.first() {
            out.push((label.clone(), &it.value, it.line));
            continue;
        }
        collect_unlabelled(&it.value, it.line, &mut out);
    }
    out
}

fn collect_unlabelled<'a>(node: &'a Node, line: usize, out: &mut Vec<(String, &'a Node, usize)>) {
    match node {
        Node::Object(inner) => {
            for sub in inner {
                out.push((sub.key.clone(), &sub.value, sub.line.max(line)));
            }
        }
        Node::List(list) => {
            for n in list {
                collect_unlabelled(n, line, out);
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Equals,
    Comma,
    Colon,
    Newline,
}

fn err(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

fn tokenize(input: &str) -> Result<Vec<(Tok, usize)>, ParseError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                out.push((Tok::Newline, line));
                line += 1;
                i += 1;
            }
            ' ' | '\t' | '\r' => i += 1,
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                let start = line;
                i += 2;
                loop {
                    if i + 1 >= chars.len() {
                        return Err(err(start, "unterminated comment"));
                    }
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    if chars[i] == '*' && chars[i + 1] == '/' {
                        i += 2;
                        break;
                    }
                    i += 1;
                }
            }
            '{' => {
                out.push((Tok::LBrace, line));
                i += 1;
            }
            '}' => {
                out.push((Tok::RBrace, line));
                i += 1;
            }
            '[' => {
                out.push((Tok::LBracket, line));
                i += 1;
            }
            ']' => {
                out.push((Tok::RBracket, line));
                i += 1;
            }
            '=' => {
                out.push((Tok::Equals, line));
                i += 1;
            }
            ',' => {
                out.push((Tok::Comma, line));
                i += 1;
            }
            ':' => {
                out.push((Tok::Colon, line));
                i += 1;
            }
            '"' => {
                let start = line;
                i += 1;
                let mut s = String::new();
                loop {
                    let Some(&c) = chars.get(i) else {
                        return Err(err(start, "unterminated string"));
                    };
                    match c {
                        '"' => {
                            i += 1;
                            break;
                        }
                        '\n' => return Err(err(start, "newline in string")),
                        '\\' => {
                            let esc = chars.get(i + 1).copied();
                            i += 2;
                            match esc {
                                Some('n') => s.push('\n'),
                                Some('t') => s.push('\t'),
                                Some('r') => s.push('\r'),
                                Some('"') => s.push('"'),
                                Some('\\') => s.push('\\'),
                                Some('u') => {
                                    let hex: String = chars
                                        .get(i..i + 4)
                                        .map(|h| h.iter().collect())
                                        .unwrap_or_default();
                                    let cp = u32::from_str_radix(&hex, 16)
                                        .ok()
                                        .and_then(char::from_u32)
                                        .ok_or_else(|| err(line, "invalid \\u escape"))?;
                                    s.push(cp);
                                    i += 4;
                                }
                                _ => return Err(err(line, "invalid escape in string")),
                            }
                        }
                        '$' if chars.get(i + 1) == Some(&'{') => {
                            // HCL1 interpolation is kept literally (Vault does not evaluate it).
                            s.push(c);
                            i += 1;
                        }
                        _ => {
                            s.push(c);
                            i += 1;
                        }
                    }
                }
                out.push((Tok::Str(s), start));
            }
            '<' if chars.get(i + 1) == Some(&'<') => {
                // Heredoc: <<EOF or <<-EOF ... EOF
                let start = line;
                i += 2;
                let indent = chars.get(i) == Some(&'-');
                if indent {
                    i += 1;
                }
                let mut marker = String::new();
                while i < chars.len() && chars[i] != '\n' {
                    marker.push(chars[i]);
                    i += 1;
                }
                let marker = marker.trim().to_string();
                if marker.is_empty() {
                    return Err(err(start, "heredoc without marker"));
                }
                i += 1;
                line += 1;
                let mut lines = Vec::new();
                loop {
                    if i >= chars.len() {
                        return Err(err(start, format!("unterminated heredoc {marker}")));
                    }
                    let mut l = String::new();
                    while i < chars.len() && chars[i] != '\n' {
                        l.push(chars[i]);
                        i += 1;
                    }
                    if l.trim() == marker {
                        break;
                    }
                    lines.push(l);
                    i += 1;
                    line += 1;
                }
                let text = if indent {
                    let min = lines
                        .iter()
                        .filter(|l| !l.trim().is_empty())
                        .map(|l| l.len() - l.trim_start().len())
                        .min()
                        .unwrap_or(0);
                    lines
                        .iter()
                        .map(|l| l.get(min..).unwrap_or("").to_string())
                        .collect::<Vec<_>>()
                } else {
                    lines
                };
                let mut s = text.join("\n");
                s.push('\n');
                out.push((Tok::Str(s), start));
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) =>
            {
                let mut s = String::new();
                s.push(c);
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_')
                {
                    s.push(chars[i]);
                    i += 1;
                }
                match s.parse::<f64>() {
                    Ok(n) => out.push((Tok::Num(n), line)),
                    // Unquoted durations such as 10s are identifiers in HCL1's eyes.
                    Err(_) => out.push((Tok::Ident(s), line)),
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut s = String::new();
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '-' | '.'))
                {
                    s.push(chars[i]);
                    i += 1;
                }
                out.push((Tok::Ident(s), line));
            }
            other => return Err(err(line, format!("unexpected character {other:?}"))),
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(Tok, usize)>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    fn line(&self) -> usize {
        self.tokens
            .get(self.pos)
            .or_else(|| self.tokens.last())
            .map(|(_, l)| *l)
            .unwrap_or(1)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.pos).map(|(t, _)| t.clone());
        self.pos += 1;
        t
    }

    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(Tok::Newline | Tok::Comma)) {
            self.pos += 1;
        }
    }

    fn next_significant_is_brace(&self) -> bool {
        self.tokens[self.pos..]
            .iter()
            .find(|(t, _)| *t != Tok::Newline)
            .is_some_and(|(t, _)| *t == Tok::LBrace)
    }

    fn skip_newlines(&mut self) {
        while matches!(self.peek(), Some(Tok::Newline)) {
            self.pos += 1;
        }
    }

    /// Items until `}` (nested) or end of input (top level).
    fn body(&mut self, nested: bool) -> Result<Vec<Item>, ParseError> {
        let mut items = Vec::new();
        loop {
            self.skip_separators();
            match self.peek() {
                None if nested => return Err(err(self.line(), "missing closing '}'")),
                None => return Ok(items),
                Some(Tok::RBrace) if nested => {
                    self.pos += 1;
                    return Ok(items);
                }
                Some(Tok::RBrace) => return Err(err(self.line(), "unexpected '}'")),
                _ => items.push(self.item()?),
            }
        }
    }

    fn item(&mut self) -> Result<Item, ParseError> {
        let line = self.line();
        let key = match self.next() {
            Some(Tok::Ident(s)) | Some(Tok::Str(s)) => s,
            Some(other) => {
                return Err(err(
                    line,
                    format!("expected a key, found {}", describe(&other)),
                ))
            }
            None => return Err(err(line, "expected a key")),
        };
        let mut labels = Vec::new();
        loop {
            match self.peek() {
                Some(Tok::Str(_)) | Some(Tok::Ident(_)) => {
                    if let Some(Tok::Str(s)) | Some(Tok::Ident(s)) = self.next() {
                        labels.push(s);
                    }
                }
                Some(Tok::Equals) | Some(Tok::Colon) => {
                    self.pos += 1;
                    self.skip_newlines();
                    let value = self.value()?;
                    if !labels.is_empty() && !matches!(value, Node::Object(_)) {
                        return Err(err(
                            line,
                            format!("key {key:?} has labels and a non-object value"),
                        ));
                    }
                    return Ok(Item {
                        key,
                        labels,
                        value,
                        line,
                    });
                }
                // HCL1 accepts the opening brace of a block on the next line.
                Some(Tok::Newline) if !labels.is_empty() && self.next_significant_is_brace() => {
                    self.skip_newlines();
                }
                Some(Tok::LBrace) => {
                    self.pos += 1;
                    let body = self.body(true)?;
                    return Ok(Item {
                        key,
                        labels,
                        value: Node::Object(body),
                        line,
                    });
                }
                Some(other) => {
                    return Err(err(
                        self.line(),
                        format!(
                            "expected '=' or '{{' after key {key:?}, found {}",
                            describe(other)
                        ),
                    ))
                }
                None => {
                    return Err(err(
                        line,
                        format!("unexpected end of input after key {key:?}"),
                    ))
                }
            }
        }
    }

    fn value(&mut self) -> Result<Node, ParseError> {
        let line = self.line();
        match self.next() {
            Some(Tok::Str(s)) => Ok(Node::String(s)),
            Some(Tok::Num(n)) => Ok(Node::Number(n)),
            Some(Tok::Ident(s)) => match s.as_str() {
                "true" => Ok(Node::Bool(true)),
                "false" => Ok(Node::Bool(false)),
                _ => Err(err(
                    line,
                    format!("unknown token {s:?}: strings must be quoted"),
                )),
            },
            Some(Tok::LBrace) => Ok(Node::Object(self.body(true)?)),
            Some(Tok::LBracket) => {
                let mut list = Vec::new();
                loop {
                    self.skip_separators();
                    if matches!(self.peek(), Some(Tok::RBracket)) {
                        self.pos += 1;
                        return Ok(Node::List(list));
                    }
                    if self.peek().is_none() {
                        return Err(err(line, "missing closing ']'"));
                    }
                    list.push(self.value()?);
                    self.skip_newlines();
                    match self.peek() {
                        Some(Tok::Comma) => self.pos += 1,
                        Some(Tok::RBracket) => {}
                        Some(other) => {
                            return Err(err(
                                self.line(),
                                format!("expected ',' or ']' in list, found {}", describe(other)),
                            ))
                        }
                        None => return Err(err(line, "missing closing ']'")),
                    }
                }
            }
            Some(other) => Err(err(
                line,
                format!("expected a value, found {}", describe(&other)),
            )),
            None => Err(err(line, "expected a value")),
        }
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("{s:?}"),
        Tok::Str(s) => format!("string {s:?}"),
        Tok::Num(n) => format!("number {n}"),
        Tok::LBrace => "'{'".into(),
        Tok::RBrace => "'}'".into(),
        Tok::LBracket => "'['".into(),
        Tok::RBracket => "']'".into(),
        Tok::Equals => "'='".into(),
        Tok::Comma => "','".into(),
        Tok::Colon => "':'".into(),
        Tok::Newline => "end of line".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_policy_styles_parse() {
        let doc = r#"
# comment
path "secret/*" { capabilities = ["read", "list"] }
path "sys/mounts" {
  capabilities = ["read"]
  allowed_parameters {
    "type" = ["kv"]
    "*" = []
  }
}
path "a" { capabilities = ["read"] min_wrapping_ttl = "1s" }
path "b" {
  policy = "write"
}
/* block
   comment */
path "c" = { capabilities = ["deny",] }
"#;
        let items = parse(doc).unwrap();
        let paths = labelled_blocks(&items, "path");
        assert_eq!(paths.len(), 5);
        assert_eq!(paths[0].0, "secret/*");
        assert_eq!(paths[1].2, 4);
        let json = paths[1].1.to_json();
        assert_eq!(
            json["allowed_parameters"]["type"],
            serde_json::json!(["kv"])
        );
        assert_eq!(paths[2].1.to_json()["min_wrapping_ttl"], "1s");
        assert_eq!(paths[4].0, "c");
    }

    #[test]
    fn config_styles_parse() {
        let doc = r#"
storage "raft" {
  path    = "/var/lib/vault"
  node_id = "node1"
}
listener "tcp" { address = "127.0.0.1:8200" tls_disable = 1 }
disable_mlock = true
api_addr = "http://127.0.0.1:8200"
max_lease_ttl = "768h"
"#;
        let items = parse(doc).unwrap();
        let json = Node::Object(items).to_json();
        assert_eq!(json["storage"]["raft"]["node_id"], "node1");
        assert_eq!(json["listener"]["tcp"]["tls_disable"], 1);
        assert_eq!(json["disable_mlock"], true);
    }

    #[test]
    fn json_policies_parse() {
        let items = parse(r#"{"path": {"secret/*": {"capabilities": ["read"]}}}"#).unwrap();
        let paths = labelled_blocks(&items, "path");
        assert_eq!(paths[0].0, "secret/*");
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("path \"a\" {\n capabilities = [\"read\"\n", 2),
            ("path \"a\" {\n  capabilities = read\n}", 2),
            ("\n\npath \"a\" \"b\" = 1", 3),
            ("path \"a\" {\n}\n}", 3),
        ];
        for (doc, line) in cases {
            let e = parse(doc).unwrap_err();
            assert_eq!(e.line, line, "{doc:?}: {e}");
        }
    }
}
