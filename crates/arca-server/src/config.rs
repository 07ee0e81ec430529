//! The server configuration file: Vault's HCL (or JSON) format. Stanzas Arca implements are
//! read; stanzas it knows but does not implement are refused with an error naming them;
//! keys it does not know are reported as warnings. Nothing is accepted silently.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use arca_core::audit::DeviceSpec;
use arca_core::hcl::{self, Item, Node};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("error reading config file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("error parsing config file {0}: {1}")]
    Parse(PathBuf, hcl::ParseError),
    #[error("{0}")]
    Invalid(String),
    #[error("unsupported configuration: {0}")]
    Unsupported(String),
}

fn invalid(msg: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(msg.into())
}

#[derive(Debug, Clone, PartialEq)]
pub enum StorageKind {
    Inmem,
    /// `storage "file"` and `storage "raft"`: both on the embedded store for now.
    Embedded {
        path: PathBuf,
        node_id: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct StorageConfig {
    /// The stanza's type as written ("file", "raft", "inmem").
    pub stanza: String,
    pub kind: StorageKind,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListenerConfig {
    pub address: String,
    pub tls_disable: bool,
    pub tls_cert_file: Option<PathBuf>,
    pub tls_key_file: Option<PathBuf>,
    pub tls_min_version: String,
    pub max_request_size: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    pub storage: Option<StorageConfig>,
    pub listeners: Vec<ListenerConfig>,
    pub api_addr: String,
    pub cluster_addr: String,
    pub cluster_name: String,
    pub disable_mlock: bool,
    pub max_request_size: usize,
    pub log_level: String,
    pub default_lease_ttl: Duration,
    pub max_lease_ttl: Duration,
    pub audit_devices: Vec<DeviceSpec>,
    pub unsafe_allow_api_audit_creation: bool,
    pub allow_audit_log_prefixing: bool,
    pub pid_file: Option<PathBuf>,
    /// Problems that do not stop the server, shown at startup.
    pub warnings: Vec<String>,
}

pub const DEFAULT_MAX_REQUEST_SIZE: usize = 32 * 1024 * 1024;
const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(768 * 3600);

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            storage: None,
            listeners: Vec::new(),
            api_addr: String::new(),
            cluster_addr: String::new(),
            cluster_name: String::new(),
            disable_mlock: false,
            max_request_size: DEFAULT_MAX_REQUEST_SIZE,
            log_level: "info".into(),
            default_lease_ttl: DEFAULT_LEASE_TTL,
            max_lease_ttl: DEFAULT_LEASE_TTL,
            audit_devices: Vec::new(),
            unsafe_allow_api_audit_creation: false,
            allow_audit_log_prefixing: false,
            pid_file: None,
            warnings: Vec::new(),
        }
    }
}

/// Stanzas of Vault's config that Arca recognises but does not implement: starting with one
/// of these would silently change behaviour, so it is an error.
const UNSUPPORTED_STANZAS: [&str; 8] = [
    "ha_storage",
    "service_registration",
    "entropy",
    "replication",
    "sentinel",
    "license_path",
    "kms_library",
    "user_lockout",
];

/// Keys that are accepted and have no effect in Arca, with the reason shown as a warning.
const NO_EFFECT_KEYS: [(&str, &str); 11] = [
    ("ui", "Arca does not bundle the web UI"),
    (
        "telemetry",
        "telemetry sinks are not supported; metrics are exposed in the benchmark only",
    ),
    (
        "plugin_directory",
        "Arca has no external plugins; every engine is built in",
    ),
    (
        "disable_cache",
        "Arca's caches are always coherent and cannot be disabled",
    ),
    ("cache_size", "Arca sizes its caches itself"),
    ("disable_clustering", "Arca has no clustering yet"),
    ("disable_sealwrap", "seal wrapping is not implemented"),
    (
        "disable_performance_standby",
        "performance standbys are not implemented",
    ),
    ("log_format", "log format follows -log-format only"),
    ("log_file", "logs go to standard error"),
    ("raw_storage_endpoint", "sys/raw is not available"),
];

fn value_str(node: &Node) -> Option<String> {
    match node {
        Node::String(s) => Some(s.clone()),
        Node::Number(n) => Some(if n.fract() == 0.0 {
            format!("{}", *n as i64)
        } else {
            n.to_string()
        }),
        Node::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn value_bool(node: &Node, key: &str) -> Result<bool, ConfigError> {
    match node {
        Node::Bool(b) => Ok(*b),
        Node::Number(n) => Ok(*n != 0.0),
        Node::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "t" => Ok(true),
            "false" | "0" | "f" | "" => Ok(false),
            _ => Err(invalid(format!("{key}: expected a boolean, got {s:?}"))),
        },
        _ => Err(invalid(format!("{key}: expected a boolean"))),
    }
}

fn value_duration(node: &Node, key: &str) -> Result<Duration, ConfigError> {
    match node {
        Node::Number(n) if *n >= 0.0 => Ok(Duration::from_secs(*n as u64)),
        Node::String(s) => {
            arca_sdk::duration::parse_duration(s).map_err(|e| invalid(format!("{key}: {e}")))
        }
        _ => Err(invalid(format!("{key}: expected a duration"))),
    }
}

fn value_size(node: &Node, key: &str) -> Result<usize, ConfigError> {
    match node {
        Node::Number(n) if *n >= 0.0 => Ok(*n as usize),
        Node::String(s) => s
            .trim()
            .parse()
            .map_err(|_| invalid(format!("{key}: expected a number of bytes"))),
        _ => Err(invalid(format!("{key}: expected a number of bytes"))),
    }
}

/// The body of a `kind "label" { ... }` stanza, as (label, items).
fn stanzas<'a>(items: &'a [Item], key: &str) -> Vec<(String, &'a [Item], usize)> {
    hcl::labelled_blocks(items, key)
        .into_iter()
        .map(|(label, node, line)| (label, node.items(), line))
        .collect()
}

fn attrs(items: &[Item]) -> HashMap<String, &Node> {
    items.iter().map(|i| (i.key.clone(), &i.value)).collect()
}

impl ServerConfig {
    pub fn load(path: &Path) -> Result<ServerConfig, ConfigError> {
        if path.is_dir() {
            let mut merged = ServerConfig::default();
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| ConfigError::Read(path.to_path_buf(), e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    matches!(
                        p.extension().and_then(|e| e.to_str()),
                        Some("hcl") | Some("json")
                    )
                })
                .collect();
            files.sort();
            for f in files {
                let text =
                    std::fs::read_to_string(&f).map_err(|e| ConfigError::Read(f.clone(), e))?;
                let items = hcl::parse(&text).map_err(|e| ConfigError::Parse(f.clone(), e))?;
                merged.apply(&items)?;
            }
            return Ok(merged);
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.to_path_buf(), e))?;
        let items = hcl::parse(&text).map_err(|e| ConfigError::Parse(path.to_path_buf(), e))?;
        let mut cfg = ServerConfig::default();
        cfg.apply(&items)?;
        Ok(cfg)
    }

    pub fn parse_str(text: &str) -> Result<ServerConfig, ConfigError> {
        let items =
            hcl::parse(text).map_err(|e| ConfigError::Parse(PathBuf::from("<input>"), e))?;
        let mut cfg = ServerConfig::default();
        cfg.apply(&items)?;
        Ok(cfg)
    }

    fn apply(&mut self, items: &[Item]) -> Result<(), ConfigError> {
        for it in items {
            match it.key.as_str() {
                "storage" | "backend" => {}
                "listener" => {}
                "audit" => {}
                "seal" => {
                    let kind = it.labels.first().cloned().unwrap_or_default();
                    if kind != "shamir" {
                        return Err(ConfigError::Unsupported(format!(
                            "seal {kind:?} (line {}): only the Shamir seal is available; remove the seal stanza",
                            it.line
                        )));
                    }
                }
                "api_addr" => self.api_addr = value_str(&it.value).unwrap_or_default(),
                "cluster_addr" => self.cluster_addr = value_str(&it.value).unwrap_or_default(),
                "cluster_name" => self.cluster_name = value_str(&it.value).unwrap_or_default(),
                "disable_mlock" => self.disable_mlock = value_bool(&it.value, "disable_mlock")?,
                "max_request_size" => {
                    self.max_request_size = value_size(&it.value, "max_request_size")?
                }
                "log_level" => {
                    let level = value_str(&it.value).unwrap_or_default().to_lowercase();
                    if !matches!(
                        level.as_str(),
                        "trace" | "debug" | "info" | "warn" | "warning" | "error" | "err"
                    ) {
                        return Err(invalid(format!("log_level: unknown level {level:?}")));
                    }
                    self.log_level = level;
                }
                "default_lease_ttl" => {
                    self.default_lease_ttl = value_duration(&it.value, "default_lease_ttl")?
                }
                "max_lease_ttl" => self.max_lease_ttl = value_duration(&it.value, "max_lease_ttl")?,
                "unsafe_allow_api_audit_creation" => {
                    self.unsafe_allow_api_audit_creation =
                        value_bool(&it.value, "unsafe_allow_api_audit_creation")?
                }
                "allow_audit_log_prefixing" => {
                    self.allow_audit_log_prefixing =
                        value_bool(&it.value, "allow_audit_log_prefixing")?
                }
                "pid_file" => self.pid_file = value_str(&it.value).map(PathBuf::from),
                key if UNSUPPORTED_STANZAS.contains(&key) => {
                    return Err(ConfigError::Unsupported(format!(
                        "{key:?} (line {}) is not implemented by Arca",
                        it.line
                    )))
                }
                key => {
                    if let Some((_, why)) = NO_EFFECT_KEYS.iter().find(|(k, _)| *k == key) {
                        self.warnings.push(format!(
                            "config key {key:?} (line {}) has no effect: {why}",
                            it.line
                        ));
                    } else {
                        self.warnings.push(format!(
                            "unknown config key {key:?} (line {}) was ignored",
                            it.line
                        ));
                    }
                }
            }
        }
        for key in ["storage", "backend"] {
            for (kind, body, line) in stanzas(items, key) {
                if self.storage.is_some() {
                    return Err(invalid(format!(
                        "only one storage stanza is allowed (line {line})"
                    )));
                }
                self.storage = Some(parse_storage(&kind, body, line, &mut self.warnings)?);
            }
        }
        for (kind, body, line) in stanzas(items, "listener") {
            if kind != "tcp" {
                return Err(ConfigError::Unsupported(format!(
                    "listener {kind:?} (line {line}): only \"tcp\" listeners are supported"
                )));
            }
            self.listeners
                .push(parse_listener(body, line, &mut self.warnings)?);
        }
        for it in items.iter().filter(|i| i.key == "audit") {
            self.audit_devices
                .push(parse_audit(&it.labels, it.value.items(), it.line)?);
        }
        if self.default_lease_ttl > self.max_lease_ttl {
            return Err(invalid(
                "default_lease_ttl cannot be greater than max_lease_ttl",
            ));
        }
        Ok(())
    }
}

fn parse_storage(
    kind: &str,
    body: &[Item],
    line: usize,
    warnings: &mut Vec<String>,
) -> Result<StorageConfig, ConfigError> {
    let a = attrs(body);
    let known: &[&str] = match kind {
        "file" => &["path"],
        "raft" => &["path", "node_id", "performance_multiplier", "retry_join", "autopilot", "trailing_logs", "snapshot_threshold"],
        "inmem" => &[],
        other => {
            return Err(ConfigError::Unsupported(format!(
                "storage {other:?} (line {line}): Arca supports \"file\", \"raft\" (both on its embedded store) and \"inmem\""
            )))
        }
    };
    for it in body {
        if !known.contains(&it.key.as_str()) {
            warnings.push(format!(
                "storage {kind:?}: unknown key {:?} (line {}) was ignored",
                it.key, it.line
            ));
        }
        if kind == "raft" && matches!(it.key.as_str(), "retry_join" | "autopilot") {
            return Err(ConfigError::Unsupported(format!(
                "storage \"raft\" key {:?} (line {}): multi-node Raft is not implemented; Arca runs raft configs as a single node",
                it.key, it.line
            )));
        }
    }
    let kind_cfg = match kind {
        "inmem" => StorageKind::Inmem,
        _ => {
            let path = a
                .get("path")
                .and_then(|n| value_str(n))
                .filter(|p| !p.is_empty())
                .ok_or_else(|| {
                    invalid(format!(
                        "storage {kind:?} (line {line}): 'path' must be set"
                    ))
                })?;
            StorageKind::Embedded {
                path: PathBuf::from(path),
                node_id: a.get("node_id").and_then(|n| value_str(n)),
            }
        }
    };
    Ok(StorageConfig {
        stanza: kind.to_string(),
        kind: kind_cfg,
    })
}

fn parse_listener(
    body: &[Item],
    line: usize,
    warnings: &mut Vec<String>,
) -> Result<ListenerConfig, ConfigError> {
    let mut l = ListenerConfig {
        address: "127.0.0.1:8200".into(),
        tls_disable: false,
        tls_cert_file: None,
        tls_key_file: None,
        tls_min_version: "tls12".into(),
        max_request_size: None,
    };
    for it in body {
        match it.key.as_str() {
            "address" => l.address = value_str(&it.value).unwrap_or_default(),
            "tls_disable" => l.tls_disable = value_bool(&it.value, "tls_disable")?,
            "tls_cert_file" => l.tls_cert_file = value_str(&it.value).map(PathBuf::from),
            "tls_key_file" => l.tls_key_file = value_str(&it.value).map(PathBuf::from),
            "tls_min_version" => {
                let v = value_str(&it.value).unwrap_or_default();
                if !matches!(v.as_str(), "tls12" | "tls13") {
                    return Err(invalid(format!(
                        "listener (line {}): tls_min_version {v:?} is not supported: use \"tls12\" or \"tls13\"",
                        it.line
                    )));
                }
                l.tls_min_version = v;
            }
            "max_request_size" => {
                l.max_request_size = Some(value_size(&it.value, "max_request_size")?)
            }
            "cluster_address" | "tls_disable_client_certs" | "proxy_protocol_behavior" => {
                warnings.push(format!(
                    "listener key {:?} (line {}) has no effect in Arca",
                    it.key, it.line
                ));
            }
            "tls_client_ca_file"
            | "tls_require_and_verify_client_cert"
            | "x_forwarded_for_authorized_addrs"
            | "unauthenticated_metrics_access" => {
                return Err(ConfigError::Unsupported(format!(
                    "listener key {:?} (line {}) is not implemented",
                    it.key, it.line
                )));
            }
            other => warnings.push(format!(
                "listener: unknown key {other:?} (line {}) was ignored",
                it.line
            )),
        }
    }
    if !l.tls_disable && (l.tls_cert_file.is_none() || l.tls_key_file.is_none()) {
        return Err(invalid(format!(
            "listener (line {line}): TLS is enabled but tls_cert_file and tls_key_file are not both set (set tls_disable = true for plain HTTP)"
        )));
    }
    Ok(l)
}

/// `audit "<type>" "<path>" { ... }` as OpenBao 2.4+ declares devices; `type` and `path` may
/// also be given as attributes.
fn parse_audit(labels: &[String], body: &[Item], line: usize) -> Result<DeviceSpec, ConfigError> {
    let mut spec = DeviceSpec {
        device_type: labels.first().cloned().unwrap_or_default(),
        path: labels.get(1).cloned().unwrap_or_default(),
        from_config: true,
        ..Default::default()
    };
    for it in body {
        match it.key.as_str() {
            "type" => spec.device_type = value_str(&it.value).unwrap_or_default(),
            "path" => spec.path = value_str(&it.value).unwrap_or_default(),
            "description" => spec.description = value_str(&it.value).unwrap_or_default(),
            "local" => spec.local = value_bool(&it.value, "local")?,
            "options" => {
                for o in it.value.items() {
                    spec.options
                        .insert(o.key.clone(), value_str(&o.value).unwrap_or_default());
                }
            }
            other => {
                return Err(invalid(format!(
                    "audit (line {}): unknown key {other:?}",
                    it.line
                )));
            }
        }
    }
    if spec.device_type.is_empty() {
        return Err(invalid(format!(
            "audit (line {line}): audit type must be specified"
        )));
    }
    if !matches!(spec.device_type.as_str(), "file" | "syslog" | "socket") {
        return Err(ConfigError::Unsupported(format!(
            "audit {:?} (line {line}): types are file, syslog and socket",
            spec.device_type
        )));
    }
    if spec.path.trim_matches('/').is_empty() {
        return Err(invalid(format!(
            "audit (line {line}): audit path must be specified"
        )));
    }
    spec.path = format!("{}/", spec.path.trim_matches('/'));
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_and_openbao_configs_load() {
        let vault = r#"
storage "file" {
  path = "/var/lib/vault"
}
listener "tcp" {
  address     = "127.0.0.1:8200"
  tls_disable = 1
}
api_addr = "http://127.0.0.1:8200"
cluster_addr = "https://127.0.0.1:8201"
disable_mlock = true
ui = true
max_lease_ttl = "768h"
default_lease_ttl = "24h"
"#;
        let c = ServerConfig::parse_str(vault).unwrap();
        assert_eq!(c.storage.as_ref().unwrap().stanza, "file");
        assert!(c.listeners[0].tls_disable);
        assert_eq!(c.default_lease_ttl, Duration::from_secs(86400));
        assert!(c.warnings.iter().any(|w| w.contains("\"ui\"")));

        let bao = r#"
storage "raft" { path = "/opt/bao" node_id = "node1" }
listener "tcp" { address = "0.0.0.0:8200" tls_cert_file = "/c.pem" tls_key_file = "/k.pem" }
audit "file" "file-log" {
  options { file_path = "/var/log/bao.log" }
}
audit {
  type = "socket"
  path = "net"
  options { address = "127.0.0.1:9090" }
}
"#;
        let c = ServerConfig::parse_str(bao).unwrap();
        assert_eq!(
            c.storage.unwrap().kind,
            StorageKind::Embedded {
                path: "/opt/bao".into(),
                node_id: Some("node1".into())
            }
        );
        assert!(!c.listeners[0].tls_disable);
        assert_eq!(c.audit_devices[0].options["file_path"], "/var/log/bao.log");
        assert_eq!(c.audit_devices[0].path, "file-log/");
        assert_eq!(c.audit_devices[1].device_type, "socket");
        assert_eq!(c.audit_devices[1].path, "net/");
    }

    #[test]
    fn unsupported_and_unknown_are_reported() {
        let cases = [
            (r#"seal "awskms" { region = "x" }"#, "seal"),
            (r#"storage "consul" { }"#, "consul"),
            (r#"ha_storage "raft" { }"#, "ha_storage"),
            (r#"listener "tcp" { address = "x" }"#, "TLS is enabled"),
            (r#"listener "unix" { }"#, "unix"),
        ];
        for (doc, want) in cases {
            let e = ServerConfig::parse_str(doc).unwrap_err().to_string();
            assert!(e.contains(want), "{doc}: {e}");
        }
        let c = ServerConfig::parse_str("bogus_key = 1").unwrap();
        assert!(c.warnings[0].contains("bogus_key"));
    }
}
