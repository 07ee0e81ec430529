//! The request a backend receives: operation, mount-relative path, data and caller identity.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a request asks for. HTTP verbs map onto these in the HTTP layer; `Renew`, `Revoke`
/// and `Rollback` only come from the core (lease management), never from a client directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Operation {
    Read,
    List,
    Create,
    Update,
    Patch,
    Delete,
    Help,
    /// Renew a secret lease issued by this backend.
    Renew,
    /// Revoke a secret lease issued by this backend.
    Revoke,
    /// Periodic housekeeping call (tidy, auto-rotation).
    Rollback,
}

impl Operation {
    /// The lowercase name Vault uses in audit logs and errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Read => "read",
            Operation::List => "list",
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Patch => "patch",
            Operation::Delete => "delete",
            Operation::Help => "help",
            Operation::Renew => "renew",
            Operation::Revoke => "revoke",
            Operation::Rollback => "rollback",
        }
    }

    /// Create and update are answered by the same handlers unless a path declares both.
    pub fn is_write(self) -> bool {
        matches!(self, Operation::Create | Operation::Update)
    }
}

/// What the core knows about the caller after resolving the token. Engines see this, never
/// the token itself.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RequestAuth {
    /// The token's accessor (public identifier).
    pub accessor: String,
    /// An opaque, stable identifier of the token, for per-token storage (cubbyhole). It is
    /// not the token and cannot be turned back into it.
    pub token_ref: String,
    pub policies: Vec<String>,
    pub display_name: String,
    pub entity_id: String,
    pub metadata: HashMap<String, String>,
    pub namespace: String,
    pub token_type: String,
    /// Whether the token holds the root policy.
    pub is_root: bool,
    /// The remaining TTL of the token, zero for tokens that never expire.
    pub ttl: Duration,
}

/// Lease information the core passes back to a backend when a secret is renewed or revoked.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LeaseRequestInfo {
    pub lease_id: String,
    /// The backend's own data recorded when the lease was created.
    pub internal_data: Map<String, Value>,
    pub issue_time_unix: i64,
    pub increment: Duration,
    pub ttl: Duration,
    pub max_ttl: Duration,
}

/// A request as a backend sees it: the path is relative to the backend's mount.
#[derive(Clone)]
pub struct Request {
    pub id: String,
    pub operation: Operation,
    /// Path below the mount point, without a leading slash.
    pub path: String,
    /// The mount point the request was routed through, with trailing slash ("secret/").
    pub mount_point: String,
    pub mount_type: String,
    pub mount_accessor: String,
    pub namespace: String,
    /// Request body (or query parameters for reads and lists), parsed once.
    pub data: Map<String, Value>,
    pub auth: Option<RequestAuth>,
    /// The raw client token. Set only for the core's own mounts (token store, system
    /// backend), which must echo or act on it; engines get `auth.token_ref` instead.
    pub client_token: String,
    pub remote_addr: Option<IpAddr>,
    /// Headers the mount allowed through (`passthrough_request_headers`), lowercase names.
    pub headers: HashMap<String, Vec<String>>,
    /// Set for Renew and Revoke.
    pub lease: Option<LeaseRequestInfo>,
    /// `X-Vault-Wrap-TTL` the client asked for, so backends that force wrapping can see it.
    pub wrap_ttl: Option<Duration>,
}

impl Request {
    pub fn new(operation: Operation, path: impl Into<String>) -> Self {
        Request {
            id: String::new(),
            operation,
            path: path.into(),
            mount_point: String::new(),
            mount_type: String::new(),
            mount_accessor: String::new(),
            namespace: String::new(),
            data: Map::new(),
            auth: None,
            client_token: String::new(),
            remote_addr: None,
            headers: HashMap::new(),
            lease: None,
            wrap_ttl: None,
        }
    }

    pub fn with_data(mut self, data: Map<String, Value>) -> Self {
        self.data = data;
        self
    }
}

/// Debug output never shows values (they may be secrets) or the token: only the shape.
impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("id", &self.id)
            .field("operation", &self.operation)
            .field("path", &self.path)
            .field("mount_point", &self.mount_point)
            .field("data_keys", &self.data.keys().collect::<Vec<_>>())
            .field("authenticated", &self.auth.is_some())
            .field("remote_addr", &self.remote_addr)
            .finish_non_exhaustive()
    }
}
