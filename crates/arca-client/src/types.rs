//! Typed shapes of the API responses the CLI reasons about (seal status, init, the secret
//! envelope). Unknown fields are ignored so newer servers keep working.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::request::Response;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct SealStatus {
    #[serde(rename = "type", default)]
    pub seal_type: String,
    pub initialized: bool,
    pub sealed: bool,
    #[serde(default)]
    pub t: u32,
    #[serde(default)]
    pub n: u32,
    #[serde(default)]
    pub progress: u32,
    #[serde(default)]
    pub nonce: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub build_date: String,
    #[serde(default)]
    pub commit_date: String,
    #[serde(default)]
    pub migration: bool,
    #[serde(default)]
    pub cluster_name: String,
    #[serde(default)]
    pub cluster_id: String,
    #[serde(default)]
    pub recovery_seal: bool,
    #[serde(default)]
    pub storage_type: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq, Eq)]
pub struct LeaderStatus {
    #[serde(default)]
    pub ha_enabled: bool,
    #[serde(default)]
    pub is_self: bool,
    #[serde(default)]
    pub active_time: String,
    #[serde(default)]
    pub leader_address: String,
    #[serde(default)]
    pub leader_cluster_address: String,
    #[serde(default)]
    pub raft_committed_index: u64,
    #[serde(default)]
    pub raft_applied_index: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct InitRequest {
    pub secret_shares: u32,
    pub secret_threshold: u32,
    pub pgp_keys: Option<Vec<String>>,
    pub recovery_shares: u32,
    pub recovery_threshold: u32,
    pub recovery_pgp_keys: Option<Vec<String>>,
    pub root_token_pgp_key: String,
}

#[derive(Clone, Deserialize)]
pub struct InitResponse {
    #[serde(default)]
    pub keys: Vec<String>,
    #[serde(default)]
    pub keys_base64: Vec<String>,
    #[serde(default)]
    pub recovery_keys: Vec<String>,
    #[serde(default)]
    pub recovery_keys_base64: Vec<String>,
    pub root_token: String,
}

impl std::fmt::Debug for InitResponse {
    // Unseal keys and the root token never reach debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitResponse")
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

/// Vault's response envelope.
#[derive(Clone, Deserialize, Serialize, Default)]
pub struct Secret {
    #[serde(default)]
    pub request_id: String,
    #[serde(default)]
    pub lease_id: String,
    #[serde(default)]
    pub lease_duration: i64,
    #[serde(default)]
    pub renewable: bool,
    #[serde(default)]
    pub data: Option<Map<String, Value>>,
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
    #[serde(default)]
    pub auth: Option<SecretAuth>,
    #[serde(default)]
    pub wrap_info: Option<WrapInfo>,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secret")
            .field("request_id", &self.request_id)
            .field("lease_duration", &self.lease_duration)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Deserialize, Serialize, Default)]
pub struct SecretAuth {
    #[serde(default)]
    pub client_token: String,
    #[serde(default)]
    pub accessor: String,
    #[serde(default)]
    pub policies: Vec<String>,
    #[serde(default)]
    pub token_policies: Vec<String>,
    #[serde(default)]
    pub identity_policies: Vec<String>,
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    #[serde(default)]
    pub lease_duration: i64,
    #[serde(default)]
    pub renewable: bool,
    #[serde(default)]
    pub entity_id: String,
    #[serde(default)]
    pub token_type: String,
    #[serde(default)]
    pub orphan: bool,
}

#[derive(Clone, Deserialize, Serialize, Default)]
pub struct WrapInfo {
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub accessor: String,
    #[serde(default)]
    pub ttl: i64,
    #[serde(default)]
    pub creation_time: String,
    #[serde(default)]
    pub creation_path: String,
    #[serde(default)]
    pub wrapped_accessor: String,
}

impl Response {
    /// The body as an envelope; `None` for an empty body (204).
    pub fn secret(&self) -> Result<Option<Secret>> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&self.body)
            .map(Some)
            .map_err(|e| Error::Decode {
                url: self.url.clone(),
                message: format!("not a Vault response envelope ({e})"),
            })
    }
}
