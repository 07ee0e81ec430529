//! A request to the API and the raw answer: status and body bytes exactly as the server
//! sent them (the CLI prints them unchanged for `-format=json`).

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};

/// Which token a request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenChoice {
    /// The client's configured token.
    Configured,
    /// No token at all (logins, unauthenticated endpoints).
    Without,
    /// A specific token (e.g. a wrapping token for unwrap).
    Given(String),
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: hyper::Method,
    /// The API path, without `/v1/`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub token: TokenChoice,
    /// Overrides the configured default wrapping TTL; `Some("")` disables wrapping.
    pub wrap_ttl: Option<String>,
}

impl Request {
    pub fn new(method: hyper::Method, path: impl Into<String>) -> Request {
        Request {
            method,
            path: clean_path(&path.into()),
            query: Vec::new(),
            body: None,
            token: TokenChoice::Configured,
            wrap_ttl: None,
        }
    }

    pub fn get(path: impl Into<String>) -> Request {
        Request::new(hyper::Method::GET, path)
    }

    pub fn put(path: impl Into<String>) -> Request {
        Request::new(hyper::Method::PUT, path)
    }

    pub fn post(path: impl Into<String>) -> Request {
        Request::new(hyper::Method::POST, path)
    }

    pub fn delete(path: impl Into<String>) -> Request {
        Request::new(hyper::Method::DELETE, path)
    }

    pub fn patch(path: impl Into<String>) -> Request {
        Request::new(hyper::Method::PATCH, path)
    }

    /// A LIST, sent as Vault's client does: `GET ...?list=true`.
    pub fn list(path: impl Into<String>) -> Request {
        Request::get(path).query("list", "true")
    }

    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Request {
        self.query.push((key.into(), value.into()));
        self
    }

    pub fn json(mut self, body: &Value) -> Request {
        self.body = Some(body.to_string().into_bytes());
        self
    }

    pub fn token(mut self, token: TokenChoice) -> Request {
        self.token = token;
        self
    }

    pub fn wrap_ttl(mut self, ttl: impl Into<String>) -> Request {
        self.wrap_ttl = Some(ttl.into());
        self
    }

    /// The path and query, as shown in messages.
    pub fn path_and_query(&self) -> String {
        let mut out = self.path.clone();
        for (i, (k, v)) in self.query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(&encode_component(k));
            out.push('=');
            out.push_str(&encode_component(v));
        }
        out
    }
}

/// An API path as Vault's client sends it (Go's `path.Join`): no leading or trailing
/// slash, no empty segments. Servers refuse writes to paths ending in `/`.
fn clean_path(p: &str) -> String {
    p.split('/')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// Percent-encoding for query components and path characters outside Vault's safe set.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Percent-encodes a path, keeping `/` separators.
pub fn encode_path(path: &str) -> String {
    path.split('/')
        .map(encode_component)
        .collect::<Vec<_>>()
        .join("/")
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: Bytes,
    pub method: String,
    /// The full URL, for messages.
    pub url: String,
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..400).contains(&self.status)
    }

    /// The body as JSON (`Value::Null` when empty).
    pub fn value(&self) -> Result<Value> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            url: self.url.clone(),
            message: format!("the body is not JSON ({e})"),
        })
    }

    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            url: self.url.clone(),
            message: e.to_string(),
        })
    }

    /// The server's `errors` list, if the body has one.
    pub fn errors(&self) -> Vec<String> {
        let Ok(Value::Object(map)) = self.value() else {
            return Vec::new();
        };
        match map.get("errors") {
            Some(Value::Array(list)) => list
                .iter()
                .map(|e| match e {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// This response as an error when its status is 400 or above.
    pub fn error_for_status(self) -> Result<Response> {
        if self.status < 400 {
            return Ok(self);
        }
        Err(self.to_error())
    }

    pub fn to_error(&self) -> Error {
        Error::Api {
            method: self.method.clone(),
            url: self.url.clone(),
            status: self.status,
            errors: self.errors(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_path_encoding() {
        assert_eq!(
            Request::list("/secret//metadata/dir/").path,
            "secret/metadata/dir"
        );
        let r = Request::list("secret/metadata/a b").query("after", "x&y");
        assert_eq!(
            r.path_and_query(),
            "secret/metadata/a b?list=true&after=x%26y"
        );
        assert_eq!(encode_path("kv/a b/c%"), "kv/a%20b/c%25");
    }

    #[test]
    fn api_errors() {
        let resp = Response {
            status: 403,
            body: Bytes::from_static(b"{\"errors\":[\"permission denied\"]}\n"),
            method: "GET".into(),
            url: "http://h/v1/x".into(),
        };
        let err = resp.error_for_status().unwrap_err();
        assert_eq!(err.status(), Some(403));
        assert_eq!(err.api_errors(), ["permission denied"]);
        assert!(err.to_string().contains("* permission denied"));
    }
}
