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
use arca_sdk::{Error, Operation, Request, Result, Storage, StorageExt};
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
    /// `elide_list_responses`: LIST responses record how many keys, not the keys.
    elide_list: bool,
    prefix: String,
    sink: Arc<dyn AuditSink>,
    /// Entries waiting for this device's writer, in the order they were broadcast.
    queue: tokio::sync::mpsc::Sender<QueuedEntry>,
    pub failures: std::sync::atomic::AtomicU64,
    pub healthy: std::sync::atomic::AtomicBool,
    pub last_error: std::sync::Mutex<String>,
}

/// One entry for one device, and where to say whether it was recorded.
struct QueuedEntry {
    line: Vec<u8>,
    recorded: tokio::sync::mpsc::Sender<bool>,
}

/// Entries a device may have waiting; past this it is stalled and entries fail at once.
const DEVICE_QUEUE: usize = 1024;
/// How much longer than the slowest device's write timeout a broadcast waits for some device
/// to record an entry (a device answers within its timeout unless entries queue behind it).
const BROADCAST_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Writes a device's entries one after another, so each device records them in the order
/// they were broadcast (a request entry before its response entry). Ends when the device is
/// dropped.
async fn device_writer(
    device: std::sync::Weak<Device>,
    sink: Arc<dyn AuditSink>,
    mut queue: tokio::sync::mpsc::Receiver<QueuedEntry>,
) {
    while let Some(entry) = queue.recv().await {
        let result = sink.write(entry.line).await;
        let ok = result.is_ok();
        if let Some(device) = device.upgrade() {
            device.record(result);
        }
        let _ = entry.recorded.try_send(ok);
    }
}

impl Device {
    pub fn hash(&self, value: &str) -> String {
        format!("hmac-sha256:{}", self.salt.sign_hex(value.as_bytes()))
    }

    pub fn sink(&self) -> &Arc<dyn AuditSink> {
        &self.sink
    }

    /// Updates health after a write; failures are counted and logged (never the entry).
    fn record(&self, result: std::result::Result<(), String>) {
        use std::sync::atomic::Ordering;
        match result {
            Ok(()) => self.healthy.store(true, Ordering::Relaxed),
            Err(e) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                self.healthy.store(false, Ordering::Relaxed);
                tracing::error!(device = %self.spec.path, error = %e, "audit: device failed to log entry");
                if let Ok(mut last) = self.last_error.lock() {
                    *last = e;
                }
            }
        }
    }
}

pub struct AuditBroker {
    storage: Arc<dyn Storage>,
    devices: ArcSwap<Vec<Arc<Device>>>,
    /// `allow_audit_log_prefixing` from the server config: a prefix is attacker-chosen text at
    /// the start of every line of a file (CVE-2025-6000), so it is refused unless allowed.
    allow_prefix: bool,
}

/// One entry as a device writes it: the prefix, the JSON, a newline.
fn entry_line(prefix: &str, entry: &Value) -> Vec<u8> {
    let mut line = prefix.as_bytes().to_vec();
    // Serialising a `Value` cannot fail.
    line.extend(serde_json::to_vec(entry).unwrap_or_default());
    line.push(b'\n');
    line
}

/// Vault's test entry, written through a device before it is enabled.
fn test_probe() -> Value {
    json!({
        "time": crate::time::rfc3339_now(),
        "type": "request",
        "request": {
            "id": crate::crypto::random_uuid().unwrap_or_default(),
            "operation": "update",
            "namespace": {"id": "root"},
            "path": "sys/audit/test",
        },
    })
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
    pub fn new(storage: Arc<dyn Storage>, allow_prefix: bool) -> Self {
        AuditBroker {
            storage,
            devices: ArcSwap::from_pointee(Vec::new()),
            allow_prefix,
        }
    }

    pub fn devices(&self) -> Arc<Vec<Arc<Device>>> {
        self.devices.load_full()
    }

    pub fn is_enabled(&self) -> bool {
        !self.devices.load().is_empty()
    }

    /// Opens a device and adds it. The salt is created once per device path and kept.
    /// With `probe` (devices enabled through the API) Vault's test entry is written through
    /// the device first and the device is refused if that fails, so a typo in an address
    /// cannot become the only device and refuse every later request (`skip_test` skips it).
    pub async fn enable(&self, spec: DeviceSpec, probe: bool) -> Result<()> {
        if self.devices.load().iter().any(|d| d.spec.path == spec.path) {
            return Err(Error::invalid(format!(
                "path already in use: {}",
                spec.path
            )));
        }
        let log_raw = opt_bool(&spec.options, "log_raw", false)?;
        let hmac_accessor = opt_bool(&spec.options, "hmac_accessor", true)?;
        let elide_list = opt_bool(&spec.options, "elide_list_responses", false)?;
        if let Some(f) = spec.options.get("format") {
            if f != "json" {
                return Err(Error::invalid(format!(
                    "unsupported 'format' {f:?}: only \"json\" is supported"
                )));
            }
        }
        if spec.options.contains_key("prefix") && !self.allow_prefix {
            return Err(Error::invalid(
                "audit log prefixing is not allowed: set allow_audit_log_prefixing = true in the server configuration",
            ));
        }
        let sink = open_device(&spec)?;
        if probe && !opt_bool(&spec.options, "skip_test", false)? {
            let prefix = spec.options.get("prefix").map_or("", String::as_str);
            if let Err(e) = sink.write(entry_line(prefix, &test_probe())).await {
                sink.close();
                return Err(Error::invalid(format!(
                    "audit backend failed test message: {e}"
                )));
            }
        }
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
        let (queue, queued) = tokio::sync::mpsc::channel(DEVICE_QUEUE);
        let device = Arc::new(Device {
            prefix: spec.options.get("prefix").cloned().unwrap_or_default(),
            spec,
            salt: HmacKey::new(&salt),
            log_raw,
            hmac_accessor,
            elide_list,
            sink: sink.clone(),
            queue,
            failures: 0.into(),
            healthy: true.into(),
            last_error: std::sync::Mutex::new(String::new()),
        });
        tokio::spawn(device_writer(Arc::downgrade(&device), sink, queued));
        // Checked again here: a concurrent enable of the same path may have won meanwhile.
        let mut taken = false;
        self.devices.rcu(|list| {
            let mut l = (**list).clone();
            taken = l.iter().any(|d| d.spec.path == device.spec.path);
            if !taken {
                l.push(device.clone());
            }
            l
        });
        if taken {
            device.sink.close();
            return Err(Error::invalid(format!(
                "path already in use: {}",
                device.spec.path
            )));
        }
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

    /// Queues one entry for every device and returns as soon as one of them has recorded it
    /// (or all failed, or none did within the deadline). Each device writes its entries in
    /// queue order; slow ones finish, or time out, in the background and keep their health
    /// counters up to date, and a stalled one whose queue is full fails at once: one dead
    /// device never holds requests beyond the time the fastest healthy device takes.
    async fn broadcast(&self, build: impl Fn(&Device) -> Value) -> Result<()> {
        let devices = self.devices.load_full();
        if devices.is_empty() {
            return Ok(());
        }
        let (recorded, mut results) = tokio::sync::mpsc::channel::<bool>(devices.len());
        for d in devices.iter() {
            let queued = QueuedEntry {
                line: entry_line(&d.prefix, &build(d)),
                recorded: recorded.clone(),
            };
            if d.queue.try_send(queued).is_err() {
                d.record(Err(format!(
                    "device is stalled: {DEVICE_QUEUE} entries are waiting to be written"
                )));
            }
        }
        drop(recorded);
        let first_success = async {
            while let Some(ok) = results.recv().await {
                if ok {
                    return true;
                }
            }
            false
        };
        let deadline = devices
            .iter()
            .map(|d| d.sink.timeout())
            .max()
            .unwrap_or_default()
            + BROADCAST_GRACE;
        match tokio::time::timeout(deadline, first_success).await {
            Ok(true) => Ok(()),
            _ => Err(Error::AuditFailed(
                "audit: all audit devices failed to log the request".into(),
            )),
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

/// HMACs every string inside a value except those whose nearest key is in `skip`, at any
/// depth (Vault's hash walker: a KV v2 `data.pw` is skipped by `pw`; lists are transparent).
fn salt_value(d: &Device, v: &Value, skip: &[String], keep_strings: bool) -> Value {
    match v {
        Value::String(s) if keep_strings => Value::String(s.clone()),
        Value::String(s) => Value::String(d.hash(s)),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| salt_value(d, x, skip, keep_strings))
                .collect(),
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), salt_value(d, x, skip, skip.contains(k))))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Vault's `doElideListResponseData`: `keys` and `key_info` become their counts.
fn elide_list_data(data: &Map<String, Value>) -> Map<String, Value> {
    data.iter()
        .map(|(k, v)| {
            let counted = match (k.as_str(), v) {
                ("keys", Value::Array(a)) => json!(a.len()),
                ("key_info", Value::Object(m)) => json!(m.len()),
                _ => v.clone(),
            };
            (k.clone(), counted)
        })
        .collect()
}

fn maybe_salt_map(d: &Device, m: &Map<String, Value>, skip: &[String]) -> Value {
    if d.log_raw {
        Value::Object(m.clone())
    } else {
        salt_value(d, &Value::Object(m.clone()), skip, false)
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

fn auth_block(d: &Device, ctx: &EntryContext<'_>, allowed: bool) -> Value {
    let Some(e) = &ctx.caller.entry else {
        return json!({});
    };
    let mut a = Map::new();
    a.insert(
        "client_token".into(),
        json!(maybe_hash(d, &ctx.caller.token)),
    );
    a.insert(
        "accessor".into(),
        json!(maybe_hash_accessor(d, &e.accessor)),
    );
    a.insert("display_name".into(), json!(e.display_name));
    a.insert("policies".into(), json!(e.all_policies()));
    a.insert("token_policies".into(), json!(e.policies));
    if !e.identity_policies.is_empty() {
        a.insert("identity_policies".into(), json!(e.identity_policies));
    }
    if !e.meta.is_empty() {
        a.insert("metadata".into(), json!(e.meta));
    }
    if !e.entity_id.is_empty() {
        a.insert("entity_id".into(), json!(e.entity_id));
    }
    let granting: Vec<Value> = if allowed {
        e.all_policies()
            .iter()
            .map(|p| json!({"name": p, "namespace_id": "root", "type": "acl"}))
            .collect()
    } else {
        Vec::new()
    };
    a.insert(
        "policy_results".into(),
        if granting.is_empty() {
            json!({"allowed": allowed})
        } else {
            json!({"allowed": allowed, "granting_policies": granting})
        },
    );
    a.insert("token_type".into(), json!(e.token_type.as_str()));
    let ttl = e.remaining_ttl(arca_sdk::now_unix());
    if ttl > 0 {
        a.insert("token_ttl".into(), json!(ttl));
    }
    a.insert(
        "token_issue_time".into(),
        json!(crate::time::rfc3339_secs(e.creation_time)),
    );
    Value::Object(a)
}

fn mount_class(mount_point: &str) -> &'static str {
    if mount_point.starts_with("auth/") {
        "auth"
    } else {
        "secret"
    }
}

fn request_block(d: &Device, ctx: &EntryContext<'_>) -> Value {
    let mut r = Map::new();
    r.insert("id".into(), json!(ctx.creq.id));
    r.insert("operation".into(), json!(ctx.req.operation.as_str()));
    r.insert("mount_point".into(), json!(ctx.req.mount_point));
    r.insert("mount_type".into(), json!(ctx.mount_type));
    r.insert("mount_accessor".into(), json!(ctx.req.mount_accessor));
    r.insert(
        "mount_class".into(),
        json!(mount_class(&ctx.req.mount_point)),
    );
    if !ctx.caller.token.is_empty() {
        r.insert(
            "client_token".into(),
            json!(maybe_hash(d, &ctx.caller.token)),
        );
    }
    if let Some(e) = &ctx.caller.entry {
        if !e.accessor.is_empty() {
            r.insert(
                "client_token_accessor".into(),
                json!(maybe_hash_accessor(d, &e.accessor)),
            );
        }
    }
    r.insert("namespace".into(), json!({"id": "root"}));
    r.insert("path".into(), json!(ctx.creq.path));
    if !ctx.req.data.is_empty() {
        r.insert(
            "data".into(),
            maybe_salt_map(d, &ctx.req.data, &ctx.non_hmac_request),
        );
    }
    if let Some(ttl) = ctx.creq.wrap_ttl {
        r.insert("wrap_ttl".into(), json!(ttl.as_secs()));
    }
    if let Some(ip) = ctx.creq.remote_addr {
        r.insert("remote_address".into(), json!(ip.to_string()));
        r.insert("remote_port".into(), json!(ctx.creq.remote_port));
    }
    Value::Object(r)
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
                    "auth": auth_block(d, &ctx, true),
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
                    "mount_class": mount_class(&req.mount_point),
                });
                if let Some(data) = &resp.data {
                    response["data"] = if d.elide_list && req.operation == Operation::List {
                        maybe_salt_map(d, &elide_list_data(data), &ctx.non_hmac_response)
                    } else {
                        maybe_salt_map(d, data, &ctx.non_hmac_response)
                    };
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
                    "auth": auth_block(d, &ctx, true),
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
                    "auth": auth_block(d, &ctx, true),
                    "request": request_block(d, &ctx),
                    "response": {"mount_point": req.mount_point, "mount_type": mount_type, "mount_accessor": req.mount_accessor, "mount_class": mount_class(&req.mount_point)},
                    "error": message,
                })
            })
            .await
    }

    /// A denied request: Vault logs a request and a response entry with "permission denied"
    /// (failed access is what auditors look for). `decision` is the ACL's when the token was
    /// valid; without one the token was missing, unknown, expired or bound elsewhere, and the
    /// auth block is Vault's `{"token_type":"default"}`. Arca adds why in `arca_acl`, which
    /// the client never sees. Logging is best effort: the request is refused either way.
    pub(crate) async fn audit_denied(
        &self,
        active: &Active,
        creq: &ClientRequest,
        req: &Request,
        caller: &Caller,
        mount_type: &str,
        decision: Option<&AclDecision>,
    ) {
        if !active.audit.is_enabled() {
            return;
        }
        let ctx = self.entry_context(active, creq, req, caller, mount_type);
        let why = match decision {
            Some(d) => json!({
                "reason": d.reason,
                "matched_path": d.matched_path,
                "sources": d.sources,
                "capabilities": d.capabilities,
            }),
            None => json!({
                "reason": "the token is missing, unknown or expired, or not valid from this address",
            }),
        };
        let auth = |d: &Device| match decision {
            Some(_) => auth_block(d, &ctx, false),
            None => json!({"token_type": "default"}),
        };
        let time = crate::time::rfc3339_now();
        let message = Error::PermissionDenied.to_string();
        for kind in ["request", "response"] {
            let result = active
                .audit
                .broadcast(|d| {
                    let mut entry = json!({
                        "time": time,
                        "type": kind,
                        "auth": auth(d),
                        "request": request_block(d, &ctx),
                        "error": message,
                        "arca_acl": why,
                    });
                    if kind == "response" {
                        entry["response"] = json!({
                            "mount_point": req.mount_point,
                            "mount_type": mount_type,
                            "mount_accessor": req.mount_accessor,
                            "mount_class": mount_class(&req.mount_point),
                            "data": {"error": maybe_hash(d, &message)},
                        });
                    }
                    entry
                })
                .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "audit: failed to log a denied request");
            }
        }
    }

    /// Enables the devices of the config file and the stored ones at unseal.
    pub(crate) async fn setup_audit(&self, active: &Active) -> Result<()> {
        for spec in &self.config.config_audit_devices {
            let mut spec = spec.clone();
            spec.from_config = true;
            active.audit.enable(spec, false).await?;
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
            if let Err(e) = active.audit.enable(spec.clone(), false).await {
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
