//! What a backend answers: data, an optional lease, an optional login, warnings, or raw bytes.

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A secret with a lease: the core registers the lease and fills `lease_id`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SecretLease {
    /// Requested TTL; zero means the mount's default.
    pub ttl: Duration,
    /// Hard cap for renewals; zero means the mount's max.
    pub max_ttl: Duration,
    pub renewable: bool,
    /// Backend-private data handed back on renew and revoke; never returned to clients.
    pub internal_data: Map<String, Value>,
    /// The TTL is advice only (KV v1's `ttl` key): it is reported as `lease_duration` but no
    /// lease is registered, as Vault does for KV.
    pub advisory_only: bool,
}

/// A successful login: the core creates the token from this.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Auth {
    pub policies: Vec<String>,
    /// Policies that come from the identity system rather than the token itself.
    pub identity_policies: Vec<String>,
    pub metadata: HashMap<String, String>,
    pub display_name: String,
    pub ttl: Duration,
    pub max_ttl: Duration,
    pub explicit_max_ttl: Duration,
    pub period: Duration,
    pub num_uses: u64,
    pub renewable: bool,
    pub no_default_policy: bool,
    pub bound_cidrs: Vec<String>,
    /// "service", "batch" or "" (default for the mount: service).
    pub token_type: String,
    /// The alias name for the identity entity (username, role id, ...).
    pub alias_name: String,
    /// Backend-private data handed back on renew; never returned to clients.
    pub internal_data: Map<String, Value>,
}

/// A response whose body the backend writes itself (PEM files, health codes, metrics).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RawResponse {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

#[derive(Clone, Default)]
pub struct Response {
    pub data: Option<Map<String, Value>>,
    pub secret: Option<SecretLease>,
    pub auth: Option<Auth>,
    pub warnings: Vec<String>,
    pub raw: Option<RawResponse>,
    /// An HTTP status other than 200 for a normal envelope (KV v2 answers a deleted version
    /// with 404 and its metadata, as Vault does).
    pub status: Option<u16>,
    /// Backends that must always wrap their answer (AppRole pull mode) set this.
    pub force_wrap_ttl: Option<Duration>,
    /// Data keys that should not be HMAC'd in audit logs for this response.
    pub audit_non_hmac_keys: Vec<String>,
    /// Lease fields of an existing lease (renewals through `sys/leases/renew`); only the
    /// core's own system backend sets this. No new lease is registered.
    pub existing_lease: Option<ExistingLease>,
    /// The `auth` block of a token that already exists (created or renewed by the token
    /// store itself); only the core's token backend sets this.
    pub issued_auth: Option<Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExistingLease {
    pub lease_id: String,
    pub lease_duration: u64,
    pub renewable: bool,
}

impl Response {
    pub fn data(data: Map<String, Value>) -> Self {
        Response {
            data: Some(data),
            ..Default::default()
        }
    }

    /// Build a response from anything serialisable to a JSON object.
    pub fn from_serialize<T: Serialize>(value: &T) -> crate::Result<Self> {
        match serde_json::to_value(value) {
            Ok(Value::Object(map)) => Ok(Response::data(map)),
            Ok(_) => Err(crate::Error::internal("response is not an object")),
            Err(e) => Err(crate::Error::internal(e)),
        }
    }

    /// A list response: `{"keys": [...]}` as Vault returns for LIST.
    pub fn list(keys: Vec<String>) -> Self {
        let mut data = Map::new();
        data.insert(
            "keys".into(),
            Value::Array(keys.into_iter().map(Value::String).collect()),
        );
        Response::data(data)
    }

    pub fn with_warning(mut self, warning: impl Into<String>) -> Self {
        self.warnings.push(warning.into());
        self
    }

    pub fn raw(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Response {
            raw: Some(RawResponse {
                status,
                content_type: content_type.to_string(),
                body,
            }),
            ..Default::default()
        }
    }
}

/// Debug output never shows values (they may be secrets): only which parts are present.
impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field(
                "data_keys",
                &self.data.as_ref().map(|d| d.keys().collect::<Vec<_>>()),
            )
            .field("secret", &self.secret.is_some())
            .field("auth", &self.auth.is_some())
            .field("warnings", &self.warnings)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}
