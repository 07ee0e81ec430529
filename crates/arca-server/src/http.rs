//! The HTTP layer: maps `/v1/<path>` requests onto core requests and core answers onto
//! Vault's JSON envelope. The few endpoints that work while sealed (init, seal-status,
//! unseal, health, leader) are answered here; everything else goes through the core.
//!
//! Invariant: this layer parses the body once, never looks inside secrets, and is the only
//! place that turns errors into HTTP statuses (`status_of`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arca_core::{ApiResponse, ClientRequest, Core};
use arca_sdk::{Error, Operation};
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Map, Value};

pub type HttpResponse = Response<Full<Bytes>>;

/// Shared by every connection.
pub struct HttpState {
    pub core: Arc<Core>,
    pub max_request_size: usize,
}

/// The one mapping from errors to Vault's status codes.
pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::InvalidRequest(_)
        | Error::InvalidRequestMany(_)
        | Error::Unsupported(_)
        | Error::CheckAndSet(_)
        | Error::Conflict(_) => StatusCode::BAD_REQUEST,
        Error::PermissionDenied | Error::InvalidToken(_) => StatusCode::FORBIDDEN,
        Error::NotFound(_) | Error::UnsupportedPath => StatusCode::NOT_FOUND,
        Error::UnsupportedOperation => StatusCode::METHOD_NOT_ALLOWED,
        Error::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
        Error::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Error::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
        Error::Sealed | Error::NotInitialized => StatusCode::SERVICE_UNAVAILABLE,
        Error::AuditFailed(_) | Error::Storage(_) | Error::Internal(_) => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn json_response(status: StatusCode, mut body: Vec<u8>) -> HttpResponse {
    // Go's JSON encoder ends every body with a newline; byte-comparing clients expect it.
    body.push(b'\n');
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r.headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    r.headers_mut().insert(
        "strict-transport-security",
        HeaderValue::from_static("max-age=31536000; includeSubDomains"),
    );
    r
}

pub fn error_response(e: &Error) -> HttpResponse {
    let status = status_of(e);
    if status.is_server_error() && !matches!(e, Error::Sealed | Error::NotInitialized) {
        tracing::error!(error = %e, "request failed");
    }
    let body = serde_json::to_vec(&json!({ "errors": e.messages() })).unwrap_or_default();
    json_response(status, body)
}

fn empty(status: StatusCode) -> HttpResponse {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    r
}

/// Paths whose response data Vault also copies to the top level of the body.
fn injects_data(path: &str) -> bool {
    const EXACT: [&str; 12] = [
        "sys/audit",
        "sys/auth",
        "sys/config/cors",
        "sys/config/auditing/request-headers",
        "sys/capabilities",
        "sys/capabilities-accessor",
        "sys/capabilities-self",
        "sys/ha-status",
        "sys/key-status",
        "sys/mounts",
        "sys/policy",
        "sys/remount",
    ];
    const PREFIX: [&str; 6] = [
        "sys/audit/",
        "sys/audit-hash/",
        "sys/auth/",
        "sys/config/auditing/request-headers/",
        "sys/mounts/",
        "sys/policy/",
    ];
    EXACT.contains(&path)
        || PREFIX.iter().any(|p| path.starts_with(p))
        || matches!(
            path,
            "sys/rotate" | "sys/rotate/keyring" | "sys/wrapping/wrap"
        )
}

/// Vault serves these from dedicated handlers whose body is the bare status object.
fn bare_data(path: &str) -> bool {
    path.starts_with("sys/rekey/") || path.starts_with("sys/generate-root/")
}

/// Vault's envelope, serialised straight from the response: the data (a secret on the
/// hot read path) is written once, never copied into an intermediate JSON tree.
#[derive(serde::Serialize)]
struct Envelope<'a> {
    request_id: &'a str,
    lease_id: &'a str,
    renewable: bool,
    lease_duration: u64,
    data: &'a Option<Map<String, Value>>,
    wrap_info: &'a Option<arca_core::request::WrapInfo>,
    warnings: Option<&'a [String]>,
    auth: &'a Option<arca_core::request::AuthOutput>,
}

fn envelope_body(path: &str, resp: &ApiResponse) -> Vec<u8> {
    if bare_data(path) {
        if let Some(data) = &resp.data {
            return serde_json::to_vec(data).unwrap_or_default();
        }
    }
    if !injects_data(path) {
        let envelope = Envelope {
            request_id: &resp.request_id,
            lease_id: &resp.lease_id,
            renewable: resp.renewable,
            lease_duration: resp.lease_duration,
            data: &resp.data,
            wrap_info: &resp.wrap_info,
            warnings: (!resp.warnings.is_empty()).then_some(resp.warnings.as_slice()),
            auth: &resp.auth,
        };
        return serde_json::to_vec(&envelope).unwrap_or_default();
    }
    let envelope = resp.to_json();
    if let (Some(data), Value::Object(env)) = (&resp.data, &envelope) {
        let mut merged = Map::with_capacity(data.len() + env.len());
        for (k, v) in data {
            merged.insert(k.clone(), v.clone());
        }
        for (k, v) in env {
            merged.insert(k.clone(), v.clone());
        }
        return serde_json::to_vec(&merged).unwrap_or_default();
    }
    serde_json::to_vec(&envelope).unwrap_or_default()
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn client_token(headers: &HeaderMap) -> String {
    if let Some(t) = header_str(headers, "x-vault-token").filter(|t| !t.is_empty()) {
        return t.to_string();
    }
    if let Some(auth) = header_str(headers, "authorization") {
        if let Some(t) = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))
        {
            return t.trim().to_string();
        }
    }
    String::new()
}

fn parse_query(query: Option<&str>) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(q) = query else { return out };
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent_decode(&k.replace('+', " "));
        let v = percent_decode(&v.replace('+', " "));
        // Repeated keys become lists, as Go's url.Values do for the framework.
        match out.get_mut(&k) {
            Some(Value::Array(list)) => list.push(Value::String(v)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(v)]);
            }
            None => {
                out.insert(k, Value::String(v));
            }
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_wrap_ttl(headers: &HeaderMap) -> Result<Option<Duration>, Error> {
    match header_str(headers, "x-vault-wrap-ttl") {
        None | Some("") => Ok(None),
        Some(v) if v.starts_with('-') => Err(Error::invalid(
            "error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative",
        )),
        Some(v) => {
            let d = arca_sdk::duration::parse_duration(v).map_err(|e| {
                Error::invalid(format!("error parsing X-Vault-Wrap-TTL header: {e}"))
            })?;
            if d.is_zero() {
                return Ok(None);
            }
            Ok(Some(d))
        }
    }
}

/// Reads the body, refusing more than `limit` bytes.
async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, Error> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Err(Error::PayloadTooLarge)
            } else {
                Err(Error::invalid("failed to read request body"))
            }
        }
    }
}

fn parse_json_body(bytes: &[u8]) -> Result<Map<String, Value>, Error> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) => Err(Error::invalid(
            "failed to parse JSON input: request body must be a JSON object",
        )),
        Err(e) => Err(Error::invalid(format!("failed to parse JSON input: {e}"))),
    }
}

trait WithStatus {
    fn with_status(self, status: StatusCode) -> Self;
}

impl WithStatus for HttpResponse {
    fn with_status(mut self, status: StatusCode) -> Self {
        *self.status_mut() = status;
        self
    }
}

/// Serves one HTTP request.
pub async fn serve(
    state: Arc<HttpState>,
    remote: SocketAddr,
    req: Request<Incoming>,
) -> HttpResponse {
    let (parts, body) = req.into_parts();
    let Some(raw_path) = parts.uri.path().strip_prefix("/v1/") else {
        return error_response(&Error::NotFound(String::new()));
    };
    let mut path = percent_decode(raw_path);
    if path.is_empty() {
        return error_response(&Error::NotFound(String::new()));
    }
    let query = parse_query(parts.uri.query());
    let method = parts.method.clone();

    // Endpoints that answer while sealed.
    match path.as_str() {
        "sys/health" => return health(&state.core, &method, &query).await,
        "sys/seal-status" => return seal_status(&state.core, &method).await,
        "sys/leader" => return leader(&state.core, &method).await,
        "sys/init" => {
            return match read_body(body, state.max_request_size)
                .await
                .and_then(|b| parse_json_body(&b))
            {
                Ok(data) => init(&state.core, &method, data).await,
                Err(e) => error_response(&e),
            }
        }
        // Sealing a sealed server succeeds with nothing to do, as Vault's SealWithRequest.
        "sys/seal" if matches!(method, Method::PUT | Method::POST) && state.core.is_sealed() => {
            return empty(StatusCode::NO_CONTENT);
        }
        "sys/unseal" => {
            return match read_body(body, state.max_request_size)
                .await
                .and_then(|b| parse_json_body(&b))
            {
                Ok(data) => unseal(&state.core, &method, data).await,
                Err(e) => error_response(&e),
            }
        }
        _ => {}
    }

    let list_flag = query
        .get("list")
        .and_then(Value::as_str)
        .is_some_and(|v| v == "true" || v == "1");
    let help_flag = query
        .get("help")
        .and_then(Value::as_str)
        .is_some_and(|v| v == "1" || v == "true");
    let operation = match method.as_str() {
        "GET" if help_flag => Operation::Help,
        "GET" if list_flag => Operation::List,
        "GET" => Operation::Read,
        "LIST" => Operation::List,
        "POST" | "PUT" => Operation::Update,
        "PATCH" => Operation::Patch,
        "DELETE" => Operation::Delete,
        "HEAD" => return empty(StatusCode::METHOD_NOT_ALLOWED),
        "OPTIONS" => {
            return error_response(&Error::invalid(
                "cannot handle internal-only request operation",
            ))
        }
        _ => {
            return error_response(&Error::NotFound(String::new()))
                .with_status(StatusCode::METHOD_NOT_ALLOWED)
        }
    };
    if operation == Operation::Update && path.ends_with('/') {
        return error_response(&Error::invalid("cannot write to a path ending in '/'"));
    }
    // A LIST always names a folder, as Vault's HTTP layer has it: the trailing slash is
    // added before routing, so ACL rules such as `secret/metadata/*` match the request.
    if operation == Operation::List && !path.ends_with('/') {
        path.push('/');
    }
    if operation == Operation::Patch {
        let ct = header_str(&parts.headers, "content-type").unwrap_or("");
        if !ct.starts_with("application/merge-patch+json") {
            let mut r = error_response(&Error::invalid(format!(
                "PATCH requires Content-Type of application/merge-patch+json, provided {ct}"
            )));
            *r.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
            return r;
        }
    }
    let mut data = match operation {
        Operation::Read | Operation::List | Operation::Help => {
            let mut q = query.clone();
            q.remove("list");
            q.remove("help");
            q
        }
        _ => {
            let bytes = match read_body(body, state.max_request_size).await {
                Ok(b) => b,
                Err(e) => return error_response(&e),
            };
            // Vault's isForm: the form content type, and a body that does not start like JSON
            // (curl -d sends that type with JSON bodies; broken JSON must stay a 400).
            let form = header_str(&parts.headers, "content-type")
                .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
                && !bytes
                    .iter()
                    .find(|b| !b.is_ascii_whitespace())
                    .is_some_and(|b| matches!(b, b'{' | b'['));
            match parse_json_body(&bytes) {
                Ok(m) => m,
                // A form body is accepted when it is not JSON, as Vault does.
                Err(_) if form => parse_query(std::str::from_utf8(&bytes).ok()),
                Err(e) => return error_response(&e),
            }
        }
    };
    if operation == Operation::Delete && data.is_empty() {
        data = query;
    }
    let wrap_ttl = match parse_wrap_ttl(&parts.headers) {
        Ok(t) => t,
        Err(e) => return error_response(&e),
    };
    let mut headers = HashMap::new();
    for (name, value) in parts.headers.iter() {
        let n = name.as_str();
        if n == "x-vault-token" || n == "authorization" || n == "cookie" {
            continue;
        }
        if let Ok(v) = value.to_str() {
            headers
                .entry(n.to_string())
                .or_insert_with(Vec::new)
                .push(v.to_string());
        }
    }
    let creq = ClientRequest {
        id: request_id(),
        operation,
        path: path.clone(),
        data,
        token: client_token(&parts.headers),
        namespace: header_str(&parts.headers, "x-vault-namespace")
            .unwrap_or("")
            .to_string(),
        remote_addr: Some(remote.ip()),
        remote_port: remote.port(),
        headers,
        wrap_ttl,
    };
    match state.core.handle(creq).await {
        Err(e) => error_response(&e),
        Ok(resp) => {
            if let Some(raw) = &resp.raw {
                let mut r = Response::new(Full::new(Bytes::from(raw.body.clone())));
                *r.status_mut() = StatusCode::from_u16(raw.status).unwrap_or(StatusCode::OK);
                if let Ok(ct) = HeaderValue::from_str(&raw.content_type) {
                    r.headers_mut().insert(CONTENT_TYPE, ct);
                }
                return r;
            }
            if resp.is_empty() {
                // A backend may answer a bare status with no body (KV's 404 for a patch of
                // a missing key), as OpenBao's `RespondWithStatusCode(nil, ...)` does.
                if let Some(status) = resp.status.and_then(|s| StatusCode::from_u16(s).ok()) {
                    let mut r = empty(status);
                    r.headers_mut()
                        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    return r;
                }
                return if matches!(operation, Operation::Read | Operation::List) {
                    error_response(&Error::NotFound(String::new()))
                } else {
                    empty(StatusCode::NO_CONTENT)
                };
            }
            // Vault's help handler answers with the bare help object.
            if operation == Operation::Help {
                if let Some(data) = &resp.data {
                    return json_response(
                        StatusCode::OK,
                        serde_json::to_vec(data).unwrap_or_default(),
                    );
                }
            }
            let status = resp
                .status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::OK);
            json_response(status, envelope_body(&path, &resp))
        }
    }
}

/// Random bytes for request IDs, drawn from the system generator 4 KiB at a time: one draw per
/// request (with its prediction-resistance reseed) cost 3% of the server's CPU on a KV read.
/// Each ID still consumes 16 bytes no other ID sees.
struct RequestIdBytes {
    buf: [u8; 4096],
    used: usize,
}

thread_local! {
    static REQUEST_ID_BYTES: std::cell::RefCell<RequestIdBytes> =
        const { std::cell::RefCell::new(RequestIdBytes { buf: [0; 4096], used: 4096 }) };
}

/// A random v4 UUID, cheap enough for every request.
fn request_id() -> String {
    let bytes = REQUEST_ID_BYTES.with(|cell| {
        let mut guard = cell.borrow_mut();
        let pool = &mut *guard;
        if pool.used + 16 > pool.buf.len() {
            aws_lc_rs::rand::fill(&mut pool.buf).ok()?;
            pool.used = 0;
        }
        let taken = &mut pool.buf[pool.used..pool.used + 16];
        let mut b = [0u8; 16];
        b.copy_from_slice(taken);
        taken.fill(0);
        pool.used += 16;
        Some(b)
    });
    match bytes {
        Some(b) => uuid::Builder::from_random_bytes(b).into_uuid().to_string(),
        None => String::new(),
    }
}

fn query_code(query: &Map<String, Value>, key: &str, default: u16) -> u16 {
    query
        .get(key)
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .filter(|c| (100..600).contains(c))
        .unwrap_or(default)
}

async fn health(core: &Core, method: &Method, query: &Map<String, Value>) -> HttpResponse {
    if *method != Method::GET && *method != Method::HEAD {
        return error_response(&Error::UnsupportedOperation);
    }
    let initialized = match core.is_initialized().await {
        Ok(i) => i,
        Err(e) => return error_response(&e),
    };
    let sealed = core.is_sealed();
    let code = if !initialized {
        query_code(query, "uninitcode", 501)
    } else if sealed {
        query_code(query, "sealedcode", 503)
    } else {
        query_code(query, "activecode", 200)
    };
    let mut body = json!({
        "initialized": initialized,
        "sealed": sealed,
        "standby": false,
        "performance_standby": false,
        "replication_performance_mode": "disabled",
        "replication_dr_mode": "disabled",
        "server_time_utc": arca_sdk::now_unix(),
        "version": arca_core::core::VERSION,
    });
    if let Ok(active) = core.active() {
        body["cluster_name"] = json!(active.cluster.name);
        body["cluster_id"] = json!(active.cluster.id);
    }
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
    if *method == Method::HEAD {
        return empty(status);
    }
    json_response(status, serde_json::to_vec(&body).unwrap_or_default())
}

async fn seal_status(core: &Core, method: &Method) -> HttpResponse {
    if *method != Method::GET {
        return error_response(&Error::UnsupportedOperation);
    }
    match core.seal_status().await {
        Ok(s) => json_response(StatusCode::OK, serde_json::to_vec(&s).unwrap_or_default()),
        Err(e) => error_response(&e),
    }
}

async fn leader(core: &Core, method: &Method) -> HttpResponse {
    if *method != Method::GET {
        return error_response(&Error::UnsupportedOperation);
    }
    let Ok(active) = core.active() else {
        return error_response(&Error::Sealed);
    };
    let body = json!({
        "ha_enabled": false,
        "is_self": false,
        "active_time": "0001-01-01T00:00:00Z",
        "leader_address": "",
        "leader_cluster_address": "",
        "performance_standby": false,
        "performance_standby_last_remote_wal": 0,
    });
    let _ = active;
    json_response(
        StatusCode::OK,
        serde_json::to_vec(&body).unwrap_or_default(),
    )
}

async fn init(core: &Core, method: &Method, data: Map<String, Value>) -> HttpResponse {
    match *method {
        Method::GET => match core.is_initialized().await {
            Ok(i) => json_response(
                StatusCode::OK,
                serde_json::to_vec(&json!({"initialized": i})).unwrap_or_default(),
            ),
            Err(e) => error_response(&e),
        },
        Method::PUT | Method::POST => {
            let int = |k: &str| -> Result<usize, Error> {
                match data.get(k) {
                    None | Some(Value::Null) => Ok(0),
                    Some(Value::Number(n)) => n.as_u64().map(|v| v as usize).ok_or_else(|| {
                        Error::invalid(format!("{k} must be a non-negative integer"))
                    }),
                    Some(Value::String(s)) => s
                        .parse()
                        .map_err(|_| Error::invalid(format!("{k} must be an integer"))),
                    Some(_) => Err(Error::invalid(format!("{k} must be an integer"))),
                }
            };
            for unsupported in ["pgp_keys", "root_token_pgp_key", "recovery_pgp_keys"] {
                if data
                    .get(unsupported)
                    .is_some_and(|v| !v.is_null() && v != &json!([]) && v != &json!(""))
                {
                    return error_response(&Error::unsupported(format!(
                        "{unsupported}: PGP encryption of key shares is not supported"
                    )));
                }
            }
            let (shares, threshold) = match (int("secret_shares"), int("secret_threshold")) {
                (Ok(s), Ok(t)) => (s, t),
                (Err(e), _) | (_, Err(e)) => return error_response(&e),
            };
            match int("recovery_shares") {
                Ok(0) => {}
                Ok(_) => return error_response(&Error::invalid("parameters recovery_shares,recovery_threshold not applicable to seal type shamir")),
                Err(e) => return error_response(&e),
            }
            match core.initialize(shares, threshold).await {
                Ok(result) => {
                    let b64 = base64::engine::general_purpose::STANDARD;
                    let body = json!({
                        "keys": result.shares.iter().map(|s| hex::encode(&s[..])).collect::<Vec<_>>(),
                        "keys_base64": result.shares.iter().map(|s| b64.encode(&s[..])).collect::<Vec<_>>(),
                        "root_token": result.root_token,
                    });
                    json_response(
                        StatusCode::OK,
                        serde_json::to_vec(&body).unwrap_or_default(),
                    )
                }
                Err(e) => error_response(&e),
            }
        }
        _ => error_response(&Error::UnsupportedOperation),
    }
}

async fn unseal(core: &Core, method: &Method, data: Map<String, Value>) -> HttpResponse {
    if *method != Method::PUT && *method != Method::POST {
        return error_response(&Error::UnsupportedOperation);
    }
    match core.is_initialized().await {
        Ok(true) => {}
        Ok(false) => return error_response(&Error::invalid("Vault is not initialized")),
        Err(e) => return error_response(&e),
    }
    let reset = match data.get("reset") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    };
    let result = if reset {
        core.reset_unseal().await
    } else {
        match data
            .get("key")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
        {
            Some(key) => core.unseal_with_share(key).await,
            None => Err(Error::invalid(
                "'key' must be specified in request body as JSON, or 'reset' set to true",
            )),
        }
    };
    match result {
        Ok(s) => json_response(StatusCode::OK, serde_json::to_vec(&s).unwrap_or_default()),
        Err(e) => error_response(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_v4_uuids_across_refills() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| request_id()).collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            let parsed = uuid::Uuid::parse_str(id).expect("a UUID");
            assert_eq!(parsed.get_version_num(), 4, "{id}");
        }
    }

    #[test]
    fn statuses() {
        let cases = [
            (Error::invalid("x"), 400),
            (Error::PermissionDenied, 403),
            (Error::NotFound(String::new()), 404),
            (Error::UnsupportedOperation, 405),
            (Error::PayloadTooLarge, 413),
            (Error::Sealed, 503),
            (Error::internal("x"), 500),
        ];
        for (e, code) in cases {
            assert_eq!(status_of(&e).as_u16(), code, "{e:?}");
        }
    }

    #[test]
    fn envelope_is_the_same_json_as_the_response() {
        let mut resp = ApiResponse {
            request_id: "id".into(),
            lease_duration: 7,
            ..Default::default()
        };
        for (data, warnings) in [
            (None, vec![]),
            (
                Some(json!({"data": {"a": 1}}).as_object().cloned().unwrap()),
                vec!["w".to_string()],
            ),
        ] {
            resp.data = data;
            resp.warnings = warnings;
            let body: Value =
                serde_json::from_slice(&envelope_body("secret/data/x", &resp)).unwrap();
            assert_eq!(body, resp.to_json());
        }
    }

    #[test]
    fn query_strings() {
        let q = parse_query(Some("list=true&version=2&a=%2Fx&a=y&sp=a+b"));
        assert_eq!(q["version"], "2");
        assert_eq!(q["a"], json!(["/x", "y"]));
        assert_eq!(q["sp"], "a b");
        assert_eq!(percent_decode("a%2Fb%zz"), "a/b%zz");
    }
}
