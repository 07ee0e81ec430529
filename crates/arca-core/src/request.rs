//! The request pipeline: route, resolve the token, check the ACL, audit, call the backend,
//! register leases and tokens, wrap, audit the response.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use arca_sdk::token_fields::cidr_contains;
use arca_sdk::{
    now_unix, Error, Operation, RawResponse, Request, RequestAuth, Response, Result, SpecialPaths,
};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::core::{Active, Core};
use crate::mounts::RouteEntry;
use crate::policy::{AclDecision, AclRequest};
use crate::token::TokenEntry;

/// A request as the HTTP layer hands it to the core.
#[derive(Clone)]
pub struct ClientRequest {
    pub id: String,
    pub operation: Operation,
    /// Path below `/v1/`, without leading slash.
    pub path: String,
    pub data: Map<String, Value>,
    pub token: String,
    pub namespace: String,
    pub remote_addr: Option<IpAddr>,
    pub remote_port: u16,
    pub headers: HashMap<String, Vec<String>>,
    pub wrap_ttl: Option<Duration>,
}

impl ClientRequest {
    pub fn new(operation: Operation, path: &str) -> Self {
        ClientRequest {
            id: Core::new_request_id(),
            operation,
            path: path.to_string(),
            data: Map::new(),
            token: String::new(),
            namespace: String::new(),
            remote_addr: None,
            remote_port: 0,
            headers: HashMap::new(),
            wrap_ttl: None,
        }
    }
}

#[derive(Clone, Default, Serialize)]
pub struct WrapInfo {
    pub token: String,
    pub accessor: String,
    pub ttl: u64,
    pub creation_time: String,
    pub creation_path: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub wrapped_accessor: String,
}

/// The `auth` block of a response that created a token.
#[derive(Clone, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct AuthOutput {
    pub client_token: String,
    pub accessor: String,
    pub policies: Vec<String>,
    pub token_policies: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identity_policies: Vec<String>,
    pub metadata: Option<HashMap<String, String>>,
    pub lease_duration: u64,
    pub renewable: bool,
    pub entity_id: String,
    pub token_type: String,
    pub orphan: bool,
    pub mfa_requirement: Option<Value>,
    pub num_uses: u64,
}

/// What the core answers; the HTTP layer serialises it as Vault's envelope.
#[derive(Clone, Default)]
pub struct ApiResponse {
    pub request_id: String,
    pub lease_id: String,
    pub renewable: bool,
    pub lease_duration: u64,
    pub data: Option<Map<String, Value>>,
    pub wrap_info: Option<WrapInfo>,
    pub warnings: Vec<String>,
    pub auth: Option<AuthOutput>,
    pub raw: Option<RawResponse>,
    /// The mount's type, for audit and the `mount_type` field.
    pub mount_type: String,
    /// A status other than 200/204 chosen by the backend.
    pub status: Option<u16>,
}

impl ApiResponse {
    /// Vault answers 204 when there is nothing to say.
    pub fn is_empty(&self) -> bool {
        self.data.is_none()
            && self.auth.is_none()
            && self.wrap_info.is_none()
            && self.warnings.is_empty()
            && self.raw.is_none()
            && self.lease_id.is_empty()
    }

    /// The envelope as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "request_id": self.request_id,
            "lease_id": self.lease_id,
            "renewable": self.renewable,
            "lease_duration": self.lease_duration,
            "data": self.data,
            "wrap_info": self.wrap_info,
            "warnings": if self.warnings.is_empty() { Value::Null } else { json!(self.warnings) },
            "auth": self.auth,
        })
    }
}

// Debug output never shows tokens or values, only the shape: these types carry secrets.
impl std::fmt::Debug for ClientRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRequest")
            .field("id", &self.id)
            .field("operation", &self.operation)
            .field("path", &self.path)
            .field("data_keys", &self.data.keys().collect::<Vec<_>>())
            .field("has_token", &!self.token.is_empty())
            .field("remote_addr", &self.remote_addr)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for WrapInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WrapInfo")
            .field("ttl", &self.ttl)
            .field("creation_path", &self.creation_path)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for AuthOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthOutput")
            .field("policies", &self.policies)
            .field("lease_duration", &self.lease_duration)
            .field("token_type", &self.token_type)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ApiResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiResponse")
            .field("request_id", &self.request_id)
            .field("lease_id", &self.lease_id)
            .field(
                "data_keys",
                &self.data.as_ref().map(|d| d.keys().collect::<Vec<_>>()),
            )
            .field("wrap_info", &self.wrap_info)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// Who is calling, once the token is resolved.
pub(crate) struct Caller {
    pub entry: Option<Arc<TokenEntry>>,
    pub token: String,
}

/// Paths of the system backend that must not be reached through a request (they are served
/// by dedicated HTTP handlers because they work while sealed).
fn is_pre_unseal_path(path: &str) -> bool {
    matches!(
        path,
        "sys/init" | "sys/seal-status" | "sys/unseal" | "sys/health" | "sys/leader"
    )
}

/// Rejects paths that try to escape their mount (`..`, empty segments, encoded separators
/// left after decoding).
pub fn validate_request_path(path: &str) -> Result<()> {
    if path.split('/').any(|s| s == "..") {
        return Err(Error::invalid("relative paths not supported"));
    }
    if path.split('/').any(|s| s == ".." || s == ".") || path.contains("//") || path.contains('\0')
    {
        return Err(Error::invalid(format!("invalid request path {path:?}")));
    }
    Ok(())
}

impl Core {
    /// Serves one client request.
    pub async fn handle(&self, creq: ClientRequest) -> Result<ApiResponse> {
        use std::sync::atomic::Ordering::Relaxed;
        self.requests.fetch_add(1, Relaxed);
        let result = self.handle_inner(creq).await;
        if result.is_err() {
            self.request_errors.fetch_add(1, Relaxed);
        }
        result
    }

    async fn handle_inner(&self, mut creq: ClientRequest) -> Result<ApiResponse> {
        let active = self.active()?;
        validate_request_path(&creq.path)?;
        // Only the root namespace exists so far; naming another is a 404, as Vault answers
        // for a namespace that does not exist.
        let ns = creq.namespace.trim_matches('/');
        if !ns.is_empty() && ns != "root" {
            return Err(Error::NotFound("namespace not found".into()));
        }
        if is_pre_unseal_path(&creq.path) {
            return Err(Error::UnsupportedOperation);
        }
        let Some((route, rel)) = active.router.route(&creq.path) else {
            return Err(Error::NotFound(format!(
                "no handler for route \"{}\". route entry not found.",
                creq.path
            )));
        };
        let unauthenticated = SpecialPaths::matches(&route.special.unauthenticated, &rel);
        let mount = route.entry();
        let caller = match self.resolve_caller(&active, &creq, unauthenticated).await {
            Ok(caller) => caller,
            Err(Error::PermissionDenied) => {
                // A refused token is audited too, as in Vault: its request and the refusal.
                let caller = Caller {
                    entry: None,
                    token: creq.token.clone(),
                };
                let req = self.backend_request(&mut creq, &route, &rel, &caller);
                self.audit_denied(&active, &creq, &req, &caller, &mount.backend_type, None)
                    .await;
                return Err(Error::PermissionDenied);
            }
            Err(e) => return Err(e),
        };
        let mut req = self.backend_request(&mut creq, &route, &rel, &caller);

        // POST/PUT are updates unless the path says the target does not exist yet.
        if req.operation == Operation::Update && !unauthenticated {
            if let Some(false) = route.backend.existence(&req).await? {
                req.operation = Operation::Create;
            }
        }

        if !unauthenticated {
            let entry = caller.entry.as_ref().ok_or(Error::PermissionDenied)?;
            let d = self
                .authorize(&active, entry, &creq, &req, &route, &rel)
                .await?;
            if !d.allowed {
                self.audit_denied(&active, &creq, &req, &caller, &mount.backend_type, Some(&d))
                    .await;
                return Err(Error::PermissionDenied);
            }
        }

        self.audit_request(&active, &creq, &req, &caller, &mount.backend_type)
            .await?;
        let use_exhausted = match &caller.entry {
            Some(entry) if !unauthenticated => self.use_token(&active, entry).await?,
            _ => false,
        };

        let result = route.backend.handle(&req).await;
        let result = match result {
            Ok(resp) => {
                self.finish_response(&active, &creq, &req, &caller, &route, resp)
                    .await
            }
            Err(e) => Err(e),
        };
        if use_exhausted {
            if let Some(entry) = &caller.entry {
                if let Err(e) = self.revoke_token_tree(&entry.hash).await {
                    tracing::warn!(error = %e, "core: failed to revoke a token whose uses ran out");
                }
            }
        }
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => {
                self.audit_error(&active, &creq, &req, &caller, &mount.backend_type, &e)
                    .await?;
                return Err(e);
            }
        };
        // A wrapped response carries no request id of its own, as Vault's.
        if resp.wrap_info.is_none() {
            resp.request_id = creq.id.clone();
        }
        resp.mount_type = mount.backend_type.clone();
        self.audit_response(&active, &creq, &req, &caller, &resp)
            .await?;
        Ok(resp)
    }

    /// Finds the caller's token. Unauthenticated paths accept a missing or unknown token.
    async fn resolve_caller(
        &self,
        active: &Active,
        creq: &ClientRequest,
        unauthenticated: bool,
    ) -> Result<Caller> {
        if creq.token.is_empty() {
            if unauthenticated {
                return Ok(Caller {
                    entry: None,
                    token: String::new(),
                });
            }
            return Err(Error::PermissionDenied);
        }
        let entry = active.tokens.lookup(&creq.token).await?;
        let Some(entry) = entry else {
            if unauthenticated {
                return Ok(Caller {
                    entry: None,
                    token: String::new(),
                });
            }
            return Err(Error::PermissionDenied);
        };
        if !entry.bound_cidrs.is_empty() {
            let allowed = creq
                .remote_addr
                .is_some_and(|ip| entry.bound_cidrs.iter().any(|c| cidr_contains(c, ip)));
            if !allowed {
                return Err(Error::PermissionDenied);
            }
        }
        Ok(Caller {
            entry: Some(entry),
            token: creq.token.clone(),
        })
    }

    fn backend_request(
        &self,
        creq: &mut ClientRequest,
        route: &RouteEntry,
        rel: &str,
        caller: &Caller,
    ) -> Request {
        let mount = route.entry();
        let mut req = Request::new(creq.operation, rel);
        req.id = creq.id.clone();
        req.mount_point = route.route.clone();
        req.mount_type = mount.backend_type.clone();
        req.mount_accessor = mount.accessor.clone();
        req.namespace = creq.namespace.clone();
        // The body moves to the backend's request: it is parsed once and never copied.
        req.data = std::mem::take(&mut creq.data);
        req.remote_addr = creq.remote_addr;
        req.wrap_ttl = creq.wrap_ttl;
        if !mount.config.passthrough_request_headers.is_empty() {
            for name in &mount.config.passthrough_request_headers {
                if let Some(v) = creq.headers.get(&name.to_lowercase()) {
                    req.headers.insert(name.to_lowercase(), v.clone());
                }
            }
        }
        if let Some(entry) = &caller.entry {
            let now = now_unix();
            req.auth = Some(RequestAuth {
                accessor: entry.accessor.clone(),
                token_ref: if entry.hash.is_empty() {
                    // Batch tokens have no stored entry; their cubbyhole is keyed by the
                    // hash of the token itself.
                    crate::crypto::sha256(caller.token.as_bytes())
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect()
                } else {
                    entry.hash.clone()
                },
                policies: entry.all_policies(),
                display_name: entry.display_name.clone(),
                entity_id: entry.entity_id.clone(),
                metadata: entry.meta.clone(),
                namespace: entry.namespace.clone(),
                token_type: entry.token_type.as_str().to_string(),
                is_root: entry.is_root(),
                ttl: Duration::from_secs(entry.remaining_ttl(now)),
            });
        }
        if matches!(mount.backend_type.as_str(), "system" | "token") {
            req.client_token = caller.token.clone();
        }
        req
    }

    /// The ACL decision for a request, including the sudo requirement of root paths.
    pub(crate) async fn authorize(
        &self,
        active: &Active,
        entry: &TokenEntry,
        creq: &ClientRequest,
        req: &Request,
        route: &RouteEntry,
        rel: &str,
    ) -> Result<AclDecision> {
        let acl = active.policies.acl(&entry.all_policies()).await?;
        let mut d = acl.check(&AclRequest {
            path: &creq.path,
            operation: req.operation,
            data: &req.data,
            wrap_ttl: creq.wrap_ttl,
        });
        if d.allowed && !d.sudo && SpecialPaths::matches(&route.special.root, rel) {
            d.allowed = false;
            d.reason = format!(
                "path {:?} requires sudo capability, which rule {:?} does not grant",
                creq.path, d.matched_path
            );
        }
        Ok(d)
    }

    /// Turns a backend's answer into the client's: leases, tokens, wrapping.
    async fn finish_response(
        &self,
        active: &Arc<Active>,
        creq: &ClientRequest,
        req: &Request,
        caller: &Caller,
        route: &RouteEntry,
        resp: Option<Response>,
    ) -> Result<ApiResponse> {
        let mut out = ApiResponse::default();
        let Some(mut resp) = resp else {
            return Ok(out);
        };
        out.warnings = std::mem::take(&mut resp.warnings);
        out.status = resp.status;
        if let Some(raw) = resp.raw.take() {
            out.raw = Some(raw);
            return Ok(out);
        }
        if let Some(secret) = resp.secret.take() {
            let handle = &route.handle;
            let max = if secret.max_ttl.is_zero() {
                handle.effective_max_ttl()
            } else {
                secret.max_ttl.min(handle.effective_max_ttl())
            };
            let ttl = if secret.ttl.is_zero() {
                handle.effective_default_ttl()
            } else {
                secret.ttl
            }
            .min(max);
            out.lease_duration = ttl.as_secs();
            if secret.advisory_only {
                // Advice only (KV v1's `ttl` key): reported as given, neither defaulted
                // nor capped, since no lease exists to enforce it; Vault does the same.
                out.lease_duration = secret.ttl.as_secs();
                out.renewable = false;
            } else {
                let lease = self
                    .register_secret_lease(
                        active,
                        req,
                        caller,
                        &secret,
                        ttl,
                        max,
                        resp.data.as_ref(),
                    )
                    .await?;
                out.lease_id = lease.lease_id;
                out.renewable = lease.renewable;
            }
        }
        if let Some(auth) = resp.auth.take() {
            out.auth = Some(self.issue_login_token(active, req, route, auth).await?);
        }
        if let Some(issued) = resp.issued_auth.take() {
            out.auth = Some(serde_json::from_value(issued).map_err(Error::internal)?);
        }
        if let Some(lease) = resp.existing_lease.take() {
            out.lease_id = lease.lease_id;
            out.lease_duration = lease.lease_duration;
            out.renewable = lease.renewable;
        }
        out.data = resp.data.take();
        let wrap_ttl = resp.force_wrap_ttl.or(creq.wrap_ttl);
        if let Some(ttl) = wrap_ttl {
            if !ttl.is_zero() && req.path != "wrapping/unwrap" {
                return self.wrap_response(active, creq, caller, out, ttl).await;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_tokens_and_values() {
        let mut req = ClientRequest::new(Operation::Update, "secret/data/x");
        req.token = "hvs.supersecrettoken".into();
        req.data
            .insert("password".into(), Value::String("hunter2-value".into()));
        let resp = ApiResponse {
            data: Some(req.data.clone()),
            auth: Some(AuthOutput {
                client_token: "hvs.minted-token".into(),
                ..Default::default()
            }),
            wrap_info: Some(WrapInfo {
                token: "hvs.wrapping-token".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut breq = Request::new(Operation::Read, "x");
        breq.client_token = "hvs.supersecrettoken".into();
        breq.data = req.data.clone();
        let printed = format!(
            "{req:?} {resp:?} {breq:?} {:?}",
            Response::data(req.data.clone())
        );
        for secret in [
            "supersecrettoken",
            "hunter2-value",
            "minted-token",
            "wrapping-token",
        ] {
            assert!(
                !printed.contains(secret),
                "{secret} leaked into Debug output: {printed}"
            );
        }
        assert!(
            printed.contains("password"),
            "keys stay visible for debugging"
        );
    }
}
