//! Declarative paths: one declaration per path gives routing, field validation and
//! conversion, help text and the OpenAPI description.
//!
//! A pattern is a `/`-separated list of segments: `literal`, `{name}` (exactly one
//! non-empty segment) and, last, `{name*}` (the rest of the path, possibly empty, slashes
//! included). Paths are tried in declaration order; the first match wins.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::duration::parse_duration;
use crate::{Error, Operation, Request, Response, Result};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a field's raw JSON (or query string) value is converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldType {
    String,
    Int,
    Bool,
    /// Seconds as an integer or a duration string.
    Duration,
    /// A list given as an array or a comma-separated string.
    CommaStringSlice,
    /// A JSON object of any values.
    Map,
    /// A JSON object whose values are strings (or `k=v` strings in a list).
    StringMap,
    /// Any JSON value, passed through.
    Any,
}

impl FieldType {
    fn openapi_type(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Int | FieldType::Duration => "integer",
            FieldType::Bool => "boolean",
            FieldType::CommaStringSlice => "array",
            FieldType::Map | FieldType::StringMap | FieldType::Any => "object",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    pub description: &'static str,
    pub default: Option<Value>,
    pub required: bool,
}

pub type Handler<B> = Arc<
    dyn for<'a> Fn(&'a B, &'a Request, FieldData<'a>) -> BoxFuture<'a, Result<Option<Response>>>
        + Send
        + Sync,
>;

pub type ExistenceCheck<B> = Arc<
    dyn for<'a> Fn(&'a B, &'a Request, FieldData<'a>) -> BoxFuture<'a, Result<bool>> + Send + Sync,
>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Rest(String),
}

/// One declared path of a backend.
pub struct Path<B> {
    pub pattern: String,
    segments: Vec<Segment>,
    pub fields: Vec<Field>,
    operations: Vec<(Operation, Handler<B>)>,
    existence_check: Option<ExistenceCheck<B>>,
    /// Accept fields that are not declared (KV data, cubbyhole) without a warning.
    pub accepts_any_field: bool,
    pub synopsis: &'static str,
    pub description: &'static str,
}

impl<B> Path<B> {
    pub fn new(pattern: &str) -> Self {
        let segments = pattern
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                if let Some(name) = s.strip_prefix('{').and_then(|s| s.strip_suffix("*}")) {
                    Segment::Rest(name.to_string())
                } else if let Some(name) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Segment::Param(name.to_string())
                } else {
                    Segment::Literal(s.to_string())
                }
            })
            .collect();
        Path {
            pattern: pattern.to_string(),
            segments,
            fields: Vec::new(),
            operations: Vec::new(),
            existence_check: None,
            accepts_any_field: false,
            synopsis: "",
            description: "",
        }
    }

    pub fn field(mut self, name: &'static str, ty: FieldType, description: &'static str) -> Self {
        self.fields.push(Field {
            name,
            ty,
            description,
            default: None,
            required: false,
        });
        self
    }

    pub fn field_default(
        mut self,
        name: &'static str,
        ty: FieldType,
        default: Value,
        description: &'static str,
    ) -> Self {
        self.fields.push(Field {
            name,
            ty,
            description,
            default: Some(default),
            required: false,
        });
        self
    }

    pub fn required_field(
        mut self,
        name: &'static str,
        ty: FieldType,
        description: &'static str,
    ) -> Self {
        self.fields.push(Field {
            name,
            ty,
            description,
            default: None,
            required: true,
        });
        self
    }

    /// Adds a group of fields shared by several paths (token fields of auth methods).
    pub fn fields(mut self, fields: impl IntoIterator<Item = Field>) -> Self {
        self.fields.extend(fields);
        self
    }

    pub fn accept_any_field(mut self) -> Self {
        self.accepts_any_field = true;
        self
    }

    pub fn op<F>(mut self, op: Operation, handler: F) -> Self
    where
        F: for<'a> Fn(&'a B, &'a Request, FieldData<'a>) -> BoxFuture<'a, Result<Option<Response>>>
            + Send
            + Sync
            + 'static,
    {
        self.operations.push((op, Arc::new(handler)));
        self
    }

    /// Declares how to tell `create` from `update` for ACL purposes: the handler answers
    /// whether the target already exists. Without it every write is an `update`.
    pub fn existence<F>(mut self, check: F) -> Self
    where
        F: for<'a> Fn(&'a B, &'a Request, FieldData<'a>) -> BoxFuture<'a, Result<bool>>
            + Send
            + Sync
            + 'static,
    {
        self.existence_check = Some(Arc::new(check));
        self
    }

    pub fn help(mut self, synopsis: &'static str, description: &'static str) -> Self {
        self.synopsis = synopsis;
        self.description = description;
        self
    }

    /// Matches a mount-relative path; returns the captured parameters.
    fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let mut captures = Vec::new();
        let mut rest = path;
        for (i, seg) in self.segments.iter().enumerate() {
            match seg {
                Segment::Rest(name) => {
                    debug_assert_eq!(i + 1, self.segments.len(), "rest segment must be last");
                    captures.push((name.clone(), rest.to_string()));
                    return Some(captures);
                }
                Segment::Literal(lit) => {
                    let (head, tail) = split_first(rest);
                    if head != lit {
                        return None;
                    }
                    rest = tail;
                }
                Segment::Param(name) => {
                    let (head, tail) = split_first(rest);
                    if head.is_empty() {
                        return None;
                    }
                    captures.push((name.clone(), head.to_string()));
                    rest = tail;
                }
            }
        }
        // A trailing slash alone (LIST on a folder) still matches the declared path.
        if rest.is_empty() {
            Some(captures)
        } else {
            None
        }
    }

    fn handler(&self, op: Operation) -> Option<&Handler<B>> {
        let found = self.operations.iter().find(|(o, _)| *o == op);
        match (found, op) {
            (Some((_, h)), _) => Some(h),
            // Create falls back to update and back, as Vault's framework does.
            (None, Operation::Create) => self.find_op(Operation::Update),
            (None, Operation::Update) => self.find_op(Operation::Create),
            _ => None,
        }
    }

    fn find_op(&self, op: Operation) -> Option<&Handler<B>> {
        self.operations
            .iter()
            .find(|(o, _)| *o == op)
            .map(|(_, h)| h)
    }

    pub fn operations(&self) -> impl Iterator<Item = Operation> + '_ {
        self.operations.iter().map(|(o, _)| *o)
    }

    fn help_text(&self) -> String {
        let mut out = format!(
            "Request:        {}\nMatching Route: {}\n\n{}\n",
            self.pattern, self.pattern, self.synopsis
        );
        if !self.fields.is_empty() {
            out.push_str("\n## PARAMETERS\n");
            for f in &self.fields {
                out.push_str(&format!(
                    "\n    {} ({})\n        {}\n",
                    f.name,
                    f.ty.openapi_type(),
                    f.description
                ));
            }
        }
        if !self.description.is_empty() {
            out.push_str(&format!("\n## DESCRIPTION\n\n{}\n", self.description));
        }
        out
    }

    /// The OpenAPI path item for this declaration, mounted at `mount_point`.
    pub fn openapi(&self, mount_point: &str) -> (String, Value) {
        let path = format!(
            "/{}{}",
            mount_point,
            self.segments
                .iter()
                .map(|s| match s {
                    Segment::Literal(l) => l.clone(),
                    Segment::Param(p) | Segment::Rest(p) => format!("{{{p}}}"),
                })
                .collect::<Vec<_>>()
                .join("/")
        );
        let mut item = Map::new();
        item.insert("description".into(), json!(self.synopsis));
        let params: Vec<Value> = self
            .segments
            .iter()
            .filter_map(|s| match s {
                Segment::Param(p) | Segment::Rest(p) => Some(json!({
                    "name": p, "in": "path", "required": true,
                    "description": self.fields.iter().find(|f| f.name == p).map(|f| f.description).unwrap_or(""),
                    "schema": {"type": "string"}
                })),
                Segment::Literal(_) => None,
            })
            .collect();
        if !params.is_empty() {
            item.insert("parameters".into(), Value::Array(params));
        }
        let mut properties = Map::new();
        for f in &self.fields {
            properties.insert(
                f.name.to_string(),
                json!({"type": f.ty.openapi_type(), "description": f.description}),
            );
        }
        for (op, _) in &self.operations {
            let method = match op {
                Operation::Read | Operation::List => "get",
                Operation::Create | Operation::Update => "post",
                Operation::Patch => "patch",
                Operation::Delete => "delete",
                _ => continue,
            };
            if item.contains_key(method) {
                continue;
            }
            let mut operation = json!({
                "summary": self.synopsis,
                "responses": {"200": {"description": "OK"}}
            });
            if method == "post" || method == "patch" {
                operation["requestBody"] = json!({
                    "content": {"application/json": {"schema": {"type": "object", "properties": properties.clone()}}}
                });
            }
            if *op == Operation::List {
                operation["parameters"] = json!([{"name": "list", "in": "query", "required": true, "schema": {"type": "string", "enum": ["true"]}}]);
            }
            item.insert(method.into(), operation);
        }
        (path, Value::Object(item))
    }
}

fn split_first(path: &str) -> (&str, &str) {
    match path.find('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (path, ""),
    }
}

/// A request's fields, validated against the matched path's declarations.
pub struct FieldData<'a> {
    raw: &'a Map<String, Value>,
    captures: Vec<(String, String)>,
    schema: &'a [Field],
}

impl<'a> FieldData<'a> {
    fn schema_of(&self, name: &str) -> Option<&Field> {
        self.schema.iter().find(|f| f.name == name)
    }

    /// The raw value: a path capture first, then the body, then the declared default.
    pub fn raw(&self, name: &str) -> Option<Value> {
        if let Some((_, v)) = self.captures.iter().find(|(k, _)| k == name) {
            return Some(Value::String(v.clone()));
        }
        if let Some(v) = self.raw.get(name) {
            if !v.is_null() {
                return Some(v.clone());
            }
        }
        self.schema_of(name).and_then(|f| f.default.clone())
    }

    /// Whether the matched path declares the field.
    pub fn declares(&self, name: &str) -> bool {
        self.schema_of(name).is_some()
    }

    /// Whether the client sent the field (in the path or body), as opposed to its default.
    pub fn is_set(&self, name: &str) -> bool {
        self.captures.iter().any(|(k, _)| k == name)
            || self.raw.get(name).is_some_and(|v| !v.is_null())
    }

    /// The whole request body, for backends that store what they are given.
    pub fn body(&self) -> &'a Map<String, Value> {
        self.raw
    }

    pub fn str(&self, name: &str) -> Result<Option<String>> {
        self.raw(name).map(|v| to_string(name, &v)).transpose()
    }

    /// A string field, "" when absent.
    pub fn string(&self, name: &str) -> Result<String> {
        Ok(self.str(name)?.unwrap_or_default())
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>> {
        self.raw(name).map(|v| to_int(name, &v)).transpose()
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>> {
        self.raw(name).map(|v| to_bool(name, &v)).transpose()
    }

    pub fn duration(&self, name: &str) -> Result<Option<Duration>> {
        self.raw(name).map(|v| to_duration(name, &v)).transpose()
    }

    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>> {
        self.raw(name).map(|v| to_strings(name, &v)).transpose()
    }

    pub fn map(&self, name: &str) -> Result<Option<Map<String, Value>>> {
        self.raw(name).map(|v| to_map(name, &v)).transpose()
    }

    pub fn string_map(&self, name: &str) -> Result<Option<HashMap<String, String>>> {
        self.raw(name).map(|v| to_string_map(name, &v)).transpose()
    }

    /// Checks every declared field the client sent, returns the names of undeclared ones.
    fn validate(&self, accepts_any: bool) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut unknown = Vec::new();
        for (key, value) in self.raw {
            let Some(field) = self.schema_of(key) else {
                if !accepts_any {
                    unknown.push(key.clone());
                }
                continue;
            };
            if value.is_null() {
                continue;
            }
            let checked = match field.ty {
                FieldType::String => to_string(key, value).map(drop),
                FieldType::Int => to_int(key, value).map(drop),
                FieldType::Bool => to_bool(key, value).map(drop),
                FieldType::Duration => to_duration(key, value).map(drop),
                FieldType::CommaStringSlice => to_strings(key, value).map(drop),
                FieldType::Map => to_map(key, value).map(drop),
                FieldType::StringMap => to_string_map(key, value).map(drop),
                FieldType::Any => Ok(()),
            };
            if let Err(e) = checked {
                problems.push(e.to_string());
            }
        }
        for field in self.schema.iter().filter(|f| f.required) {
            if self.raw(field.name).is_none() {
                problems.push(format!("missing required field {:?}", field.name));
            }
        }
        match problems.len() {
            0 => Ok(unknown),
            1 => Err(Error::InvalidRequest(problems.remove(0))),
            _ => Err(Error::InvalidRequestMany(problems)),
        }
    }
}

fn conversion_error(name: &str, expected: &str) -> Error {
    Error::invalid(format!(
        "error converting input for field {name:?}: expected {expected}"
    ))
}

fn to_string(name: &str, v: &Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(conversion_error(name, "a string")),
    }
}

fn to_int(name: &str, v: &Value) -> Result<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .ok_or_else(|| conversion_error(name, "an integer")),
        Value::String(s) if s.is_empty() => Ok(0),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| conversion_error(name, "an integer")),
        _ => Err(conversion_error(name, "an integer")),
    }
}

fn to_bool(name: &str, v: &Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "t" | "yes" => Ok(true),
            "false" | "0" | "f" | "no" | "" => Ok(false),
            _ => Err(conversion_error(name, "a boolean")),
        },
        Value::Number(n) => Ok(n.as_f64() != Some(0.0)),
        _ => Err(conversion_error(name, "a boolean")),
    }
}

fn to_duration(name: &str, v: &Value) -> Result<Duration> {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(secs) if secs >= 0 => Ok(Duration::from_secs(secs as u64)),
            _ => Err(conversion_error(name, "a non-negative duration")),
        },
        Value::String(s) => parse_duration(s)
            .map_err(|e| Error::invalid(format!("error converting input for field {name:?}: {e}"))),
        _ => Err(conversion_error(name, "a duration")),
    }
}

fn to_strings(name: &str, v: &Value) -> Result<Vec<String>> {
    match v {
        Value::String(s) => Ok(s
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()),
        Value::Array(items) => items
            .iter()
            .map(|item| to_string(name, item).map(|s| s.trim().to_string()))
            .filter(|r| !matches!(r, Ok(s) if s.is_empty()))
            .collect(),
        _ => Err(conversion_error(name, "a list of strings")),
    }
}

fn to_map(name: &str, v: &Value) -> Result<Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m.clone()),
        Value::String(s) if s.is_empty() => Ok(Map::new()),
        Value::String(s) => serde_json::from_str(s).map_err(|_| conversion_error(name, "a map")),
        _ => Err(conversion_error(name, "a map")),
    }
}

fn to_string_map(name: &str, v: &Value) -> Result<HashMap<String, String>> {
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| to_string(name, v).map(|s| (k.clone(), s)))
            .collect(),
        Value::Array(_) | Value::String(_) => {
            let mut out = HashMap::new();
            for pair in to_strings(name, v)? {
                let (k, val) = pair
                    .split_once('=')
                    .ok_or_else(|| conversion_error(name, "key=value pairs"))?;
                out.insert(k.to_string(), val.to_string());
            }
            Ok(out)
        }
        _ => Err(conversion_error(name, "a map of strings")),
    }
}

/// Values captured from a path's `{name}` and `{name*}` segments.
type Captures = Vec<(String, String)>;

/// Routes requests over a backend's declared paths.
pub struct PathRouter<B> {
    paths: Vec<Path<B>>,
}

impl<B> PathRouter<B> {
    pub fn new(paths: Vec<Path<B>>) -> Self {
        PathRouter { paths }
    }

    pub fn paths(&self) -> &[Path<B>] {
        &self.paths
    }

    fn find(&self, path: &str) -> Option<(&Path<B>, Captures)> {
        self.paths
            .iter()
            .find_map(|p| p.matches(path).map(|c| (p, c)))
    }

    /// Calls the handler declared for the request's path and operation.
    pub async fn route(&self, backend: &B, req: &Request) -> Result<Option<Response>> {
        let Some((path, captures)) = self.find(&req.path) else {
            return Err(Error::UnsupportedPath);
        };
        if req.operation == Operation::Help {
            let mut data = Map::new();
            data.insert("help".into(), Value::String(path.help_text()));
            let (route, item) = path.openapi(&req.mount_point);
            data.insert(
                "openapi".into(),
                json!({"openapi": "3.0.2", "info": {"title": "Arca API", "version": env!("CARGO_PKG_VERSION")}, "paths": {route: item}}),
            );
            return Ok(Some(Response::data(data)));
        }
        let Some(handler) = path.handler(req.operation) else {
            return Err(Error::UnsupportedOperation);
        };
        let fields = FieldData {
            raw: &req.data,
            captures,
            schema: &path.fields,
        };
        let unknown = fields.validate(path.accepts_any_field)?;
        let mut response = handler(backend, req, fields).await?;
        // As Vault: the warning rides on a response, and never turns a 204 into a 200.
        if let (Some(resp), false) = (response.as_mut(), unknown.is_empty()) {
            let mut unknown = unknown;
            unknown.sort();
            resp.warnings.push(format!(
                "Endpoint ignored these unrecognized parameters: [{}]",
                unknown.join(" ")
            ));
        }
        Ok(response)
    }

    /// Answers whether the target of a write exists: `None` when the path declares no check.
    pub async fn existence(&self, backend: &B, req: &Request) -> Result<Option<bool>> {
        let Some((path, captures)) = self.find(&req.path) else {
            return Ok(None);
        };
        let Some(check) = &path.existence_check else {
            return Ok(None);
        };
        let fields = FieldData {
            raw: &req.data,
            captures,
            schema: &path.fields,
        };
        check(backend, req, fields).await.map(Some)
    }

    /// The OpenAPI `paths` object for every declaration under `mount_point`.
    pub fn openapi_paths(&self, mount_point: &str) -> Map<String, Value> {
        self.paths.iter().map(|p| p.openapi(mount_point)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;

    fn router() -> PathRouter<Echo> {
        PathRouter::new(vec![
            Path::new("config")
                .field("max_versions", FieldType::Int, "max")
                .field("ttl", FieldType::Duration, "ttl")
                .op(Operation::Update, |_, _, d| {
                    Box::pin(async move {
                        let mut m = Map::new();
                        m.insert("max".into(), json!(d.int("max_versions")?));
                        m.insert("ttl".into(), json!(d.duration("ttl")?.map(|d| d.as_secs())));
                        Ok(Some(Response::data(m)))
                    })
                }),
            Path::new("data/{path*}")
                .accept_any_field()
                .op(Operation::Read, |_, _, d| {
                    Box::pin(async move {
                        let mut m = Map::new();
                        m.insert("path".into(), json!(d.string("path")?));
                        Ok(Some(Response::data(m)))
                    })
                }),
            Path::new("keys/{name}/rotate").op(Operation::Update, |_, _, d| {
                Box::pin(async move {
                    let mut m = Map::new();
                    m.insert("name".into(), json!(d.string("name")?));
                    Ok(Some(Response::data(m)))
                })
            }),
        ])
    }

    async fn call(op: Operation, path: &str, body: Value) -> Result<Option<Response>> {
        let mut req = Request::new(op, path);
        if let Value::Object(m) = body {
            req.data = m;
        }
        router().route(&Echo, &req).await
    }

    fn block<F: Future>(f: F) -> F::Output {
        // A minimal executor: the handlers above never wait on anything.
        use std::task::{Context, Poll, Waker};
        let mut f = Box::pin(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[test]
    fn routes_and_converts() {
        let cases: Vec<(Operation, &str, Value, Result<Value>)> = vec![
            (
                Operation::Update,
                "config",
                json!({"max_versions": "5", "ttl": "1h"}),
                Ok(json!({"max": 5, "ttl": 3600})),
            ),
            (
                Operation::Create,
                "config",
                json!({"max_versions": 3}),
                Ok(json!({"max": 3, "ttl": null})),
            ),
            (
                Operation::Read,
                "data/a/b/c",
                json!({}),
                Ok(json!({"path": "a/b/c"})),
            ),
            (Operation::Read, "data/", json!({}), Ok(json!({"path": ""}))),
            (
                Operation::Update,
                "keys/k1/rotate",
                json!({}),
                Ok(json!({"name": "k1"})),
            ),
            (
                Operation::Read,
                "config",
                json!({}),
                Err(Error::UnsupportedOperation),
            ),
            (
                Operation::Read,
                "nothing",
                json!({}),
                Err(Error::UnsupportedPath),
            ),
            (
                Operation::Update,
                "keys//rotate",
                json!({}),
                Err(Error::UnsupportedPath),
            ),
        ];
        for (op, path, body, want) in cases {
            let got = block(call(op, path, body)).map(|r| Value::Object(r.unwrap().data.unwrap()));
            assert_eq!(got, want, "{op:?} {path}");
        }
    }

    #[test]
    fn bad_fields_are_400_and_unknown_fields_warn() {
        let err = block(call(
            Operation::Update,
            "config",
            json!({"max_versions": "many"}),
        ))
        .unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(m) if m.contains("max_versions")));
        let resp = block(call(Operation::Update, "config", json!({"bogus": 1})))
            .unwrap()
            .unwrap();
        assert_eq!(
            resp.warnings,
            vec!["Endpoint ignored these unrecognized parameters: [bogus]"]
        );
    }
}
