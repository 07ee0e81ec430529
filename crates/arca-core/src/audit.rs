//! The audit broker: builds Vault-format JSON audit entries and hands them to every enabled
//! device. Fail-closed: when devices are enabled and none of them records an entry, the
//! request is refused.
//!
//! Salting: every string in request and response data, the client token and accessors are
//! replaced by `hmac-sha256:<hex>` with a per-device salt (kept inside the barrier), except
//! keys a mount lists in `audit_non_hmac_*_keys` and devices with `log_raw`.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use arca_sdk::{Error, Request, Result, Storage, StorageExt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::audit_devices::{open_device, AuditSink};
use crate::core::{Active, Core};
use crate::crypto::HmacKey;
use crate::policy::AclDecision;
use crate::request::{ApiResponse, Caller, ClientRequest};

pub const AUDIT_PREFIX: &str = "core/audit/";
const SALT_PREFIX: &str = "sys/audit-salt/";

/// An audit device as configured (API or config file).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct DeviceSpec {
    pub path: String,
    #[serde(rename = "type")]
    pub device_type: String,
    pub description: String,
    pub options: HashMap<String, String>,
    pub local: bool,
    /// Declared in the server config (not removable through the API).
    pub from_config: bool,
}

/// A running device with its salt and health.
pub struct Device {
    pub spec: DeviceSpec,
    salt: HmacKey,
    log_raw: bool,
    hmac_accessor: bool,
    prefix: String,
    sink: Arc<dyn AuditSink>,
    pub failures: std::sync::atomic::AtomicU64,
    pub healthy: std::sync::atomic::AtomicBool,
    pub last_error: std::sync::Mutex<String>,
}

impl Device {
    pub fn hash(&self, value: &str) -> String {
        format!("hmac-sha256:{}", self.salt.sign_hex(value.as_bytes()))
    }

    pub fn sink(&self) -> &Arc<dyn AuditSink> {
        &self.sink
    }
}

pub struct AuditBroker {
    storage: Arc<dyn Storage>,
    devices: ArcSwap<Vec<Arc<Device>>>,
}

fn opt_bool(options: &HashMap<String, String>, key: &str, default: bool) -> Result<bool> {
    match options.get(key).map(|s| s.to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if v == "true" || v == "1" => Ok(true),
        Some(v) if v == "false" || v == "0" || v.is_empty() => Ok(false),
        Some(v) => Err(Error::invalid(format!(
            "invalid value {v:?} for option {key:?}: expected a boolean"
        ))),
    }
}

impl AuditBroker {
    pub fn new(storage: Arc<dyn Storage>) -> Self {
        AuditBroker {
            storage,
            devices: ArcSwap::from_pointee(Vec::new()),
        }
    }

    pub fn devices(&self) -> Arc<Vec<Arc<Device>>> {
        self.devices.load_full()
    }

    pub fn is_enabled(&self) -> bool {
        !self.devices.load().is_empty()
    }

    /// Opens a device and adds it. The salt is created once per device path and kept.
    pub async fn enable(&self, spec: DeviceSpec) -> Result<()> {
        if self.devices.load().iter().any(|d| d.spec.path == spec.path) {
            return Err(Error::invalid(format!(
                "path already in use: {}",
                spec.path
            )));
        }
        let log_raw = opt_bool(&spec.options, "log_raw", false)?;
        let hmac_accessor = opt_bool(&spec.options, "hmac_accessor", true)?;
        if let Some(f) = spec.options.get("format") {
            if f != "json" {
                return Err(Error::invalid(format!(
                    "unsupported 'format' {f:?}: only \"json\" is supported"
                )));
            }
        }
        let sink = open_device(&spec)?;
        let salt_key = format!("{SALT_PREFIX}{}", spec.path.trim_end_matches('/'));
        let salt = match self.storage.get(&salt_key).await? {
            Some(s) => s,
            None => {
                let fresh = crate::crypto::random_bytes(32)
                    .map_err(Error::internal)?
                    .to_vec();
                self.storage.put(&salt_key, fresh.clone()).await?;
                fresh
            }
        };
        let device = Arc::new(Device {
            prefix: spec.options.get("prefix").cloned().unwrap_or_default(),
            spec,
            salt: HmacKey::new(&salt),
            log_raw,
            hmac_accessor,
            sink,
            failures: 0.into(),
            healthy: true.into(),
            last_error: std::sync::Mutex::new(String::new()),
        });
        self.devices.rcu(|list| {
            let mut l = (**list).clone();
            l.push(device.clone());
            l
        });
        Ok(())
    }

    pub async fn disable(&self, path: &str) -> Result<Option<DeviceSpec>> {
        let mut removed = None;
        self.devices.rcu(|list| {
            let mut l = (**list).clone();
            if let Some(i) = l.iter().position(|d| d.spec.path == path) {
                removed = Some(l.remove(i));
            }
            l
        });
        if let Some(d) = &removed {
            d.sink.close();
            self.storage
                .delete(&format!("{SALT_PREFIX}{}", path.trim_end_matches('/')))
                .await?;
        }
        Ok(removed.map(|d| d.spec.clone()))
    }

    pub fn close_all(&self) {
        for d in self.devices.swap(Arc::new(Vec::new())).iter() {
            d.sink.close();
        }
    }

    /// Reopens file devices (SIGHUP, for log rotation).
    pub fn reopen(&self) {
        for d in self.devices.load().iter() {
            if let Err(e) = d.sink.reopen() {
                tracing::error!(device = %d.spec.path, error = %e, "audit: reopen failed");
            }
        }
    }

    pub fn hash_for(&self, path: &str, input: &str) -> Option<String> {
        self.devices
            .load()
            .iter()
            .find(|d| d.spec.path == path)
            .map(|d| d.hash(input))
    }

    /// Writes one entry to every device. Fails only if devices exist and none succeeded.
    async fn broadcast(&self, build: impl Fn(&Device) -> Value) -> Result<()> {
        let devices = self.devices.load_full();
        if devices.is_empty() {
            return Ok(());
        }
        let mut any_ok = false;
        let mut writes = Vec::with_capacity(devices.len());
        for d in devices.iter() {
            let entry = build(d);
            let mut line = d.prefix.clone().into_bytes();
            line.extend(serde_json::to_vec(&entry).unwrap_or_default());
            line.push(b'\n');
            writes.push((d.clone(), line));
        }
        let results = futures_join(writes).await;
        for (d, res) in results {
            match res {
                Ok(()) => {
                    any_ok = true;
                    d.healthy.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                Err(e) => {
                    d.failures
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    d.healthy.store(false, std::sync::atomic::Ordering::Relaxed);
                    if let Ok(mut last) = d.last_error.lock() {
                        *last = e.clone();
                    }
                    tracing::error!(device = %d.spec.path, error = %e, "audit: device failed to log entry");
                }
            }
        }
        if any_ok {
            Ok(())
        } else {
            Err(Error::AuditFailed(
                "audit: all audit devices failed to log the request".into(),
            ))
        }
    }

    /// Persists a device spec (API-created devices survive restarts).
    pub async fn persist(&self, spec: &DeviceSpec) -> Result<()> {
        self.storage
            .put_json(&format!("{AUDIT_PREFIX}{}", encode_path(&spec.path)), spec)
            .await
    }

    pub async fn unpersist(&self, path: &str) -> Result<()> {
        self.storage
            .delete(&format!("{AUDIT_PREFIX}{}", encode_path(path)))
            .await
    }

    pub async fn stored(&self) -> Result<Vec<DeviceSpec>> {
        let mut out = Vec::new();
        for key in self.storage.list(AUDIT_PREFIX).await? {
            if let Some(spec) = self
                .storage
                .get_json::<DeviceSpec>(&format!("{AUDIT_PREFIX}{key}"))
                .await?
            {
                out.push(spec);
            }
        }
        Ok(out)
    }
}

fn encode_path(path: &str) -> String {
    hex::encode(path.trim_end_matches('/'))
}

/// Writes to all devices concurrently, each bounded by its own timeout.
async fn futures_join(
    writes: Vec<(Arc<Device>, Vec<u8>)>,
) -> Vec<(Arc<Device>, std::result::Result<(), String>)> {
    let mut handles = Vec::with_capacity(writes.len());
    for (d, line) in writes {
        let sink = d.sink.clone();
        handles.push((d, tokio::spawn(async move { sink.write(line).await })));
    }
    let mut out = Vec::with_capacity(handles.len());
    for (d, h) in handles {
        let r = match h.await {
            Ok(r) => r,
            Err(e) => Err(format!("audit writer task failed: {e}")),
        };
        out.push((d, r));
    }
    out
}

/// HMACs every string inside a value, except top-level keys in `skip`.
fn salt_value(d: &Device, v: &Value, skip: &[String], top: bool) -> Value {
    match v {
        Value::String(s) => Value::String(d.hash(s)),
        Value::Array(a) => Value::Array(a.iter().map(|x| salt_value(d, x, skip, false)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    if top && skip.iter().any(|s| s == k) {
                        (k.clone(), x.clone())
                    } else {
                        (k.clone(), salt_value(d, x, skip, false))
                    }
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn maybe_salt_map(d: &Device, m: &Map<String, Value>, skip: &[String]) -> Value {
    if d.log_raw {
        Value::Object(m.clone())
    } else {
        salt_value(d, &Value::Object(m.clone()), skip, true)
    }
}

fn maybe_hash(d: &Device, s: &str) -> String {
    if d.log_raw || s.is_empty() {
        s.to_string()
    } else {
        d.hash(s)
    }
}

fn maybe_hash_accessor(d: &Device, s: &str) -> String {
    if d.log_raw || !d.hmac_accessor || s.is_empty() {
        s.to_string()
    } else {
        d.hash(s)
    }
}

/// What every entry carries about the request.
struct EntryContext<'a> {
    creq: &'a ClientRequest,
    req: &'a Request,
    caller: &'a Caller,
    mount_type: &'a str,
    non_hmac_request: Vec<String>,
    non_hmac_response: Vec<String>,
}

fn auth_block(d: &Device, ctx: &EntryContext<'_>) -> Value {
    match &ctx.caller.entry {
        None => json!({}),
        Some(e) => {
            let now = arca_sdk::now_unix();
            json!({
                "client_token": maybe_hash(d, &ctx.caller.token),
                "accessor": maybe_hash_accessor(d, &e.accessor),
                "display_name": e.display_name,
                "policies": e.all_policies(),
                "token_policies": e.policies,
                "identity_policies": if e.identity_policies.is_empty() { Value::Null } else { json!(e.identity_policies) },
                "metadata": if e.meta.is_empty() { Value::Null } else { json!(e.meta) },
                "entity_id": e.entity_id,
                "token_type": e.token_type.as_str(),
                "token_ttl": e.remaining_ttl(now),
                "token_issue_time": crate::time::rfc3339_secs(e.creation_time),
            })
        }
    }
}

fn request_block(d: &Device, ctx: &EntryContext<'_>) -> Value {
    let mut r = json!({
        "id": ctx.creq.id,
        "operation": ctx.req.operation.as_str(),
        "mount_point": ctx.req.mount_point,
        "mount_type": ctx.mount_type,
        "mount_accessor": ctx.req.mount_accessor,
        "mount_class": if ctx.req.mount_point.starts_with("auth/") { "auth" } else { "secret" },
        "client_token": maybe_hash(d, &ctx.caller.token),
        "client_token_accessor": ctx.caller.entry.as_ref().map(|e| maybe_hash_accessor(d, &e.accessor)).unwrap_or_default(),
        "namespace": {"id": "root"},
        "path": ctx.creq.path,
        "remote_address": ctx.creq.remote_addr.map(|a| a.to_string()).unwrap_or_default(),
    });
    if !ctx.creq.data.is_empty() {
        r["data"] = maybe_salt_map(d, &ctx.creq.data, &ctx.non_hmac_request);
    }
    if let Some(ttl) = ctx.creq.wrap_ttl {
        r["wrap_ttl"] = json!(ttl.as_secs());
    }
    r
}

impl Core {
    fn entry_context<'a>(
        &self,
        active: &Active,
        creq: &'a ClientRequest,
        req: &'a Request,
        caller: &'a Caller,
        mount_type: &'a str,
    ) -> EntryContext<'a> {
        let (non_hmac_request, non_hmac_response) = active
            .router
            .get(&req.mount_point)
            .map(|r| {
                let e = r.entry();
                (
                    e.config.audit_non_hmac_request_keys.clone(),
                    e.config.audit_non_hmac_response_keys.clone(),
                )
            })
            .unwrap_or_default();
        EntryContext {
            creq,
            req,
            caller,
            mount_type,
            non_hmac_request,
            non_hmac_response,
        }
    }

    pub(crate) async fn audit_request(
        &self,
        active: &Active,
        creq: &ClientRequest,
        req: &Request,
        caller: &Caller,
        mount_type: &str,
    ) -> Result<()> {
        if !active.audit.is_enabled() {
            return Ok(());
        }
        let ctx = self.entry_context(active, creq, req, caller, mount_type);
        let time = crate::time::rfc3339_now();
        active
            .audit
            .broadcast(|d| {
                json!({
                    "time": time,
                    "type": "request",
                    "auth": auth_block(d, &ctx),
                    "request": request_block(d, &ctx),
                })
            })
            .await
    }

    pub(crate) async fn audit_response(
        &self,
        active: &Active,
        creq: &ClientRequest,
        req: &Request,
        caller: &Caller,
        resp: &ApiResponse,
    ) -> Result<()> {
        if !active.audit.is_enabled() {
            return Ok(());
        }
        let ctx = self.entry_context(active, creq, req, caller, &resp.mount_type);
        let time = crate::time::rfc3339_now();
        active
            .audit
            .broadcast(|d| {
                let mut response = json!({
                    "mount_point": req.mount_point,
                    "mount_type": resp.mount_type,
                    "mount_accessor": req.mount_accessor,
                    "mount_class": if req.mount_point.starts_with("auth/") { "auth" } else { "secret" },
                });
                if let Some(data) = &resp.data {
                    response["data"] = maybe_salt_map(d, data, &ctx.non_hmac_response);
                }
                if !resp.lease_id.is_empty() {
                    response["secret"] = json!({"lease_id": resp.lease_id});
                }
                if let Some(w) = &resp.wrap_info {
                    response["wrap_info"] = json!({
                        "token": maybe_hash(d, &w.token),
                        "accessor": maybe_hash_accessor(d, &w.accessor),
                        "ttl": w.ttl,
                        "creation_time": w.creation_time,
                        "creation_path": w.creation_path,
                        "wrapped_accessor": maybe_hash_accessor(d, &w.wrapped_accessor),
                    });
                }
                if let Some(a) = &resp.auth {
                    response["auth"] = json!({
                        "client_token": maybe_hash(d, &a.client_token),
                        "accessor": maybe_hash_accessor(d, &a.accessor),
                        "display_name": "",
                        "policies": a.policies,
                        "token_policies": a.token_policies,
                        "metadata": a.metadata,
                        "entity_id": a.entity_id,
                        "token_type": a.token_type,
                        "token_ttl": a.lease_duration,
                    });
                }
                if !resp.warnings.is_empty() {
                    response["warnings"] = json!(resp.warnings);
                }
                json!({
                    "time": time,
                    "type": "response",
                    "auth": auth_block(d, &ctx),
                    "request": request_block(d, &ctx),
                    "response": response,
                })
            })
            .await
    }

    pub(crate) async fn audit_error(
        &self,
        active: &Active,
        creq: &ClientRequest,
        req: &Request,
        caller: &Caller,
        mount_type: &str,
        error: &Error,
    ) -> Result<()> {
        if !active.audit.is_enabled() {
            return Ok(());
        }
        let ctx = self.entry_context(active, creq, req, caller, mount_type);
        let time = crate::time::rfc3339_now();
        let message = error.to_string();
        active
            .audit
            .broadcast(|d| {
                json!({
                    "time": time,
                    "type": "response",
                    "auth": auth_block(d, &ctx),
                    "request": request_block(d, &ctx),
                    "response": {"mount_point": req.mount_point, "mount_type": mount_type},
                    "error": message,
                })
            })
            .await
    }

    /// A denied request: Vault logs it with "permission denied"; Arca adds why (which rule
    /// decided) in `arca_acl`, which the client never sees.
    pub(crate) async fn audit_denied(
        &self,
        active: &Active,
        creq: &ClientRequest,
        req: &Request,
        caller: &Caller,
        mount_type: &str,
        decision: &AclDecision,
    ) {
        if !active.audit.is_enabled() {
            return;
        }
        let ctx = self.entry_context(active, creq, req, caller, mount_type);
        let time = crate::time::rfc3339_now();
        let result = active
            .audit
            .broadcast(|d| {
                json!({
                    "time": time,
                    "type": "request",
                    "auth": auth_block(d, &ctx),
                    "request": request_block(d, &ctx),
                    "error": "permission denied",
                    "arca_acl": {
                        "reason": decision.reason,
                        "matched_path": decision.matched_path,
                        "sources": decision.sources,
                        "capabilities": decision.capabilities,
                    },
                })
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "audit: failed to log a denied request");
        }
    }

    /// Enables the devices of the config file and the stored ones at unseal.
    pub(crate) async fn setup_audit(&self, active: &Active) -> Result<()> {
        for spec in &self.config.config_audit_devices {
            let mut spec = spec.clone();
            spec.from_config = true;
            active.audit.enable(spec).await?;
        }
        for spec in active.audit.stored().await? {
            if active
                .audit
                .devices()
                .iter()
                .any(|d| d.spec.path == spec.path)
            {
                continue;
            }
            if let Err(e) = active.audit.enable(spec.clone()).await {
                // A device that cannot open must not silently disappear: refuse to serve.
                return Err(Error::internal(format!(
                    "failed to set up audit device {:?}: {e}",
                    spec.path
                )));
            }
        }
        Ok(())
    }
}
