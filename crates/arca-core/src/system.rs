//! The system backend (`sys/`): mounts, auth methods, policies, capabilities, leases,
//! wrapping, audit devices, keyring rotation, rekey and generate-root. Built on the same
//! path framework as every engine; it reaches the core through a weak reference.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use arca_sdk::{
    Backend, Error, ExistingLease, FieldData, FieldType, Operation, Path, PathRouter, Request,
    Response, Result, SpecialPaths,
};
use async_trait::async_trait;
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::audit::DeviceSpec;
use crate::core::Core;
use crate::mounts::{MountConfig, MountEntry, MountTable};
use crate::request::ClientRequest;

/// State of a `sys/remount` migration, answered by `sys/remount/status/<id>`.
#[derive(Debug, Clone)]
pub struct RemountStatus {
    pub source: String,
    pub target: String,
    pub status: String,
    pub start_time: String,
    pub end_time: String,
}

pub struct SystemBackend {
    core: Weak<Core>,
    router: PathRouter<SystemBackend>,
}

macro_rules! h {
    ($m:ident) => {
        |b: &SystemBackend, r: &Request, d: FieldData<'_>| Box::pin(b.$m(r, d))
    };
}

fn ok(data: Map<String, Value>) -> Result<Option<Response>> {
    Ok(Some(Response::data(data)))
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

impl SystemBackend {
    pub fn new(core: Weak<Core>) -> Self {
        SystemBackend {
            core,
            router: PathRouter::new(Self::paths()),
        }
    }

    fn core(&self) -> Result<Arc<Core>> {
        self.core.upgrade().ok_or(Error::Sealed)
    }

    fn paths() -> Vec<Path<SystemBackend>> {
        vec![
            Path::new("mounts")
                .op(Operation::Read, h!(mounts_list))
                .help("List the currently mounted secrets engines.", ""),
            Path::new("mounts/{path*}")
                .field("path", FieldType::String, "The path to mount to.")
                .field("type", FieldType::String, "The type of the backend.")
                .field("description", FieldType::String, "User-friendly description for this mount.")
                .field("config", FieldType::Map, "Configuration for this mount, such as default_lease_ttl and max_lease_ttl.")
                .field("options", FieldType::StringMap, "The options to pass into the backend.")
                .field("local", FieldType::Bool, "Mark the mount as a local mount.")
                .field("seal_wrap", FieldType::Bool, "Whether to turn on seal wrapping for the mount.")
                .field("external_entropy_access", FieldType::Bool, "Whether to give the mount access to external entropy.")
                .field("plugin_name", FieldType::String, "Name of the plugin to mount.")
                .field("plugin_version", FieldType::String, "The semantic version of the plugin to use.")
                .field("default_lease_ttl", FieldType::String, "The default lease TTL for this mount (tune).")
                .field("max_lease_ttl", FieldType::String, "The max lease TTL for this mount (tune).")
                .field("audit_non_hmac_request_keys", FieldType::CommaStringSlice, "Keys not HMAC'd in audit request data (tune).")
                .field("audit_non_hmac_response_keys", FieldType::CommaStringSlice, "Keys not HMAC'd in audit response data (tune).")
                .field("listing_visibility", FieldType::String, "Whether to show this mount in the UI-specific listing endpoint (tune).")
                .field("passthrough_request_headers", FieldType::CommaStringSlice, "Request headers passed to the backend (tune).")
                .field("allowed_response_headers", FieldType::CommaStringSlice, "Response headers the backend may set (tune).")
                .field("token_type", FieldType::String, "The type of token to issue (auth tune).")
                .field("user_lockout_config", FieldType::Map, "User lockout configuration (auth tune).")
                .op(Operation::Read, h!(mount_read))
                .op(Operation::Update, h!(mount_write))
                .op(Operation::Delete, h!(mount_delete))
                .help("Mount a new backend at a new path, read or tune it, or unmount it.", ""),
            Path::new("auth")
                .op(Operation::Read, h!(auth_list))
                .help("List the currently enabled credential backends.", ""),
            Path::new("auth/{path*}")
                .field("path", FieldType::String, "The path to mount to.")
                .field("type", FieldType::String, "The type of the backend.")
                .field("description", FieldType::String, "User-friendly description for this credential backend.")
                .field("config", FieldType::Map, "Configuration for this mount.")
                .field("options", FieldType::StringMap, "The options to pass into the backend.")
                .field("local", FieldType::Bool, "Mark the mount as a local mount.")
                .field("seal_wrap", FieldType::Bool, "Whether to turn on seal wrapping for the mount.")
                .field("external_entropy_access", FieldType::Bool, "Whether to give the mount access to external entropy.")
                .field("plugin_name", FieldType::String, "Name of the auth plugin to use.")
                .field("plugin_version", FieldType::String, "The semantic version of the plugin to use.")
                .field("default_lease_ttl", FieldType::String, "The default lease TTL for this mount (tune).")
                .field("max_lease_ttl", FieldType::String, "The max lease TTL for this mount (tune).")
                .field("audit_non_hmac_request_keys", FieldType::CommaStringSlice, "(tune)")
                .field("audit_non_hmac_response_keys", FieldType::CommaStringSlice, "(tune)")
                .field("listing_visibility", FieldType::String, "(tune)")
                .field("passthrough_request_headers", FieldType::CommaStringSlice, "(tune)")
                .field("allowed_response_headers", FieldType::CommaStringSlice, "(tune)")
                .field("token_type", FieldType::String, "The type of token to issue (service or batch).")
                .field("user_lockout_config", FieldType::Map, "User lockout configuration.")
                .op(Operation::Read, h!(auth_read))
                .op(Operation::Update, h!(auth_write))
                .op(Operation::Delete, h!(auth_delete))
                .help("Enable a new credential backend, read or tune it, or disable it.", ""),
            Path::new("locked-users")
                .field("mount_accessor", FieldType::String, "MountAccessor is the identifier of the mount entry to which the user belongs")
                .op(Operation::Read, h!(locked_users))
                .help("Report the locked user count metrics, for this namespace and all child namespaces.", ""),
            Path::new("locked-users/{mount_accessor}/unlock/{alias_identifier*}")
                .field("mount_accessor", FieldType::String, "MountAccessor is the identifier of the mount entry to which the user belongs")
                .field("alias_identifier", FieldType::String, "It is the name of the alias (user). For example, if the alias belongs to userpass backend, the name should be a valid username within userpass auth method. If the alias belongs to an approle auth method, the name should be a valid RoleID")
                .op(Operation::Update, h!(unlock_user))
                .help("Unlocks the user with given mount_accessor and alias_identifier", ""),
            Path::new("remount")
                .required_field("from", FieldType::String, "The previous mount point.")
                .required_field("to", FieldType::String, "The new mount point.")
                .op(Operation::Update, h!(remount))
                .help("Move the mount point of an already-mounted backend.", ""),
            Path::new("remount/status/{migration_id}")
                .field("migration_id", FieldType::String, "The ID of the migration operation")
                .op(Operation::Read, h!(remount_status))
                .help("Check the status of a mount move operation.", ""),
            Path::new("policy")
                .op(Operation::Read, h!(policy_list))
                .op(Operation::List, h!(policy_list))
                .help("List the configured access control policies.", ""),
            Path::new("policy/{name}")
                .field("name", FieldType::String, "The name of the policy.")
                .field("rules", FieldType::String, "The rules of the policy.")
                .field("policy", FieldType::String, "The rules of the policy.")
                .op(Operation::Read, h!(policy_read))
                .op(Operation::Update, h!(policy_write))
                .op(Operation::Delete, h!(policy_delete))
                .help("Read, Modify, or Delete an access control policy.", ""),
            Path::new("policies/acl")
                .op(Operation::List, h!(policy_list_acl))
                .help("List the configured access control policies.", ""),
            Path::new("policies/acl/{name}")
                .field("name", FieldType::String, "The name of the policy.")
                .field("policy", FieldType::String, "The rules of the policy.")
                .op(Operation::Read, h!(policy_read_acl))
                .op(Operation::Update, h!(policy_write))
                .op(Operation::Delete, h!(policy_delete))
                .help("Read, Modify, or Delete an access control policy.", ""),
            Path::new("policies/explain")
                .field("token", FieldType::String, "Token whose policies to use.")
                .field("accessor", FieldType::String, "Accessor of the token whose policies to use.")
                .field("policies", FieldType::CommaStringSlice, "Policies to evaluate instead of a token's.")
                .required_field("path", FieldType::String, "The request path to evaluate.")
                .field_default("operation", FieldType::String, json!("read"), "The operation: read, list, create, update, patch, delete.")
                .field("data", FieldType::Map, "Request parameters, for allowed/denied/required_parameters.")
                .op(Operation::Update, h!(explain))
                .help("Explain which policy rule allows or denies a request.", "Arca-specific: answers allowed or denied with the deciding policy and path rule and the capabilities granted."),
            Path::new("capabilities")
                .field("token", FieldType::String, "Token for which capabilities are being queried.")
                .field("path", FieldType::CommaStringSlice, "(DEPRECATED) Path on which capabilities are being queried. Use 'paths' instead.")
                .field("paths", FieldType::CommaStringSlice, "Paths on which capabilities are being queried.")
                .op(Operation::Update, h!(capabilities))
                .help("Fetches the capabilities of the given token on the given path.", ""),
            Path::new("capabilities-self")
                .field("token", FieldType::String, "Token for which capabilities are being queried.")
                .field("path", FieldType::CommaStringSlice, "(DEPRECATED) Use 'paths' instead.")
                .field("paths", FieldType::CommaStringSlice, "Paths on which capabilities are being queried.")
                .op(Operation::Update, h!(capabilities_self))
                .help("Fetches the capabilities of the calling token on the given path.", ""),
            Path::new("capabilities-accessor")
                .field("accessor", FieldType::String, "Accessor of the token for which capabilities are being queried.")
                .field("path", FieldType::CommaStringSlice, "(DEPRECATED) Use 'paths' instead.")
                .field("paths", FieldType::CommaStringSlice, "Paths on which capabilities are being queried.")
                .op(Operation::Update, h!(capabilities_accessor))
                .help("Fetches the capabilities of the token associated with the given accessor.", ""),
            Path::new("internal/ui/mounts")
                .op(Operation::Read, h!(ui_mounts))
                .help("Information about mounts visible to the caller.", ""),
            Path::new("internal/ui/mounts/{path*}")
                .field("path", FieldType::String, "The path of the mount.")
                .op(Operation::Read, h!(ui_mount))
                .help("Information about one mount.", ""),
            Path::new("internal/specs/openapi")
                .op(Operation::Read, h!(openapi))
                .help("Generate an OpenAPI 3 document of all mounted paths.", ""),
            Path::new("key-status")
                .op(Operation::Read, h!(key_status))
                .help("Provides information about the backend encryption key.", ""),
            Path::new("rotate")
                .op(Operation::Update, h!(rotate))
                .help("Rotates the backend encryption key used to persist data.", ""),
            Path::new("rotate/keyring")
                .op(Operation::Update, h!(rotate))
                .help("Rotates the backend encryption key used to persist data.", ""),
            Path::new("rotate/root/init")
                .field("secret_shares", FieldType::Int, "Specifies the number of shares to split the unseal key into.")
                .field("secret_threshold", FieldType::Int, "Specifies the number of shares required to reconstruct the unseal key.")
                .field("pgp_keys", FieldType::CommaStringSlice, "PGP keys to encrypt the new shares (unsupported).")
                .field("backup", FieldType::Bool, "Whether to store PGP-encrypted keys (unsupported).")
                .field("require_verification", FieldType::Bool, "Whether the new keys must be verified before use.")
                .op(Operation::Read, h!(rekey_status))
                .op(Operation::Update, h!(rekey_init))
                .op(Operation::Delete, h!(rekey_cancel))
                .help("Initialize, read status or cancel the process of rotating the unseal key shares.", ""),
            Path::new("rotate/root/update")
                .field("key", FieldType::String, "Specifies a single unseal key share.")
                .field("nonce", FieldType::String, "Specifies the nonce of the rotation attempt.")
                .op(Operation::Update, h!(rekey_update))
                .help("Progress the rotation of the unseal key shares.", ""),
            Path::new("rotate/root/verify")
                .field("key", FieldType::String, "Specifies a single unseal share key from the new set of shares.")
                .field("nonce", FieldType::String, "Specifies the nonce of the verification.")
                .op(Operation::Read, h!(rekey_verify_status))
                .op(Operation::Update, h!(rekey_verify_update))
                .op(Operation::Delete, h!(rekey_verify_cancel))
                .help("Verify the new unseal key shares.", ""),
            Path::new("rekey/init")
                .field("secret_shares", FieldType::Int, "Specifies the number of shares to split the unseal key into.")
                .field("secret_threshold", FieldType::Int, "Specifies the number of shares required to reconstruct the unseal key.")
                .field("pgp_keys", FieldType::CommaStringSlice, "PGP keys to encrypt the new shares (unsupported).")
                .field("backup", FieldType::Bool, "Whether to store PGP-encrypted keys (unsupported).")
                .field("require_verification", FieldType::Bool, "Whether the new keys must be verified before use.")
                .op(Operation::Read, h!(rekey_status))
                .op(Operation::Update, h!(rekey_init))
                .op(Operation::Delete, h!(rekey_cancel))
                .help("Initialize, read status or cancel a rekey (Vault API).", ""),
            Path::new("rekey/update")
                .field("key", FieldType::String, "Specifies a single unseal key share.")
                .field("nonce", FieldType::String, "Specifies the nonce of the rekey attempt.")
                .op(Operation::Update, h!(rekey_update))
                .help("Progress the rekey process.", ""),
            Path::new("rekey/verify")
                .field("key", FieldType::String, "Specifies a single new unseal key share.")
                .field("nonce", FieldType::String, "Specifies the nonce of the verification.")
                .op(Operation::Read, h!(rekey_verify_status))
                .op(Operation::Update, h!(rekey_verify_update))
                .op(Operation::Delete, h!(rekey_verify_cancel))
                .help("Verify the new unseal key shares.", ""),
            Path::new("generate-root-token/attempt")
                .field("otp", FieldType::String, "One-time password for encoding the root token.")
                .field("pgp_key", FieldType::String, "PGP key for encrypting the root token (unsupported).")
                .op(Operation::Read, h!(generate_root_status))
                .op(Operation::Update, h!(generate_root_init))
                .op(Operation::Delete, h!(generate_root_cancel))
                .help("Read, start or cancel a root token generation.", ""),
            Path::new("generate-root-token/update")
                .field("key", FieldType::String, "Specifies a single unseal key share.")
                .field("nonce", FieldType::String, "Specifies the nonce of the attempt.")
                .op(Operation::Update, h!(generate_root_update))
                .help("Progress a root token generation.", ""),
            Path::new("generate-root/attempt")
                .field("otp", FieldType::String, "One-time password for encoding the root token.")
                .field("pgp_key", FieldType::String, "PGP key for encrypting the root token (unsupported).")
                .op(Operation::Read, h!(generate_root_status))
                .op(Operation::Update, h!(generate_root_init))
                .op(Operation::Delete, h!(generate_root_cancel))
                .help("Read, start or cancel a root token generation (Vault API).", ""),
            Path::new("generate-root/update")
                .field("key", FieldType::String, "Specifies a single unseal key share.")
                .field("nonce", FieldType::String, "Specifies the nonce of the attempt.")
                .op(Operation::Update, h!(generate_root_update))
                .help("Progress a root token generation (Vault API).", ""),
            Path::new("decode-token")
                .field("encoded_token", FieldType::String, "Specifies the encoded token (result from generate-root).")
                .field("otp", FieldType::String, "Specifies the otp code for decode.")
                .op(Operation::Update, h!(decode_token))
                .help("Decodes the encoded token with the otp.", ""),
            Path::new("seal")
                .op(Operation::Update, h!(seal))
                .help("Seal the server.", ""),
            Path::new("step-down")
                .op(Operation::Update, h!(step_down))
                .help("Cause the node to give up active status (no-op without HA).", ""),
            Path::new("leases")
                .field("type", FieldType::String, "Type of leases to get counts for (currently only supporting irrevocable).")
                .field("include_child_namespaces", FieldType::Bool, "Set true if the leases from child namespaces should be included.")
                .field("limit", FieldType::String, "Number of matching leases to show, or \"none\".")
                .op(Operation::Read, h!(leases_irrevocable))
                .help("List irrevocable leases.", ""),
            Path::new("leases/count")
                .field("type", FieldType::String, "Type of leases to count: all or irrevocable.")
                .field("include_child_namespaces", FieldType::Bool, "Include child namespaces.")
                .op(Operation::Read, h!(leases_count))
                .help("Count of leases.", ""),
            Path::new("leases/lookup")
                .field("lease_id", FieldType::String, "The lease identifier to renew. This is included with a lease.")
                .op(Operation::Update, h!(lease_lookup))
                .help("View or list lease metadata.", ""),
            Path::new("leases/lookup/{prefix*}")
                .field("prefix", FieldType::String, "The path to list leases under.")
                .op(Operation::List, h!(lease_list))
                .help("View or list lease metadata.", ""),
            Path::new("leases/renew")
                .field("lease_id", FieldType::String, "The lease identifier to renew. This is included with a lease.")
                .field("increment", FieldType::Duration, "The desired increment in seconds to the lease")
                .field("url_lease_id", FieldType::String, "The lease identifier to renew.")
                .op(Operation::Update, h!(lease_renew))
                .help("Renew a lease on a secret", ""),
            Path::new("leases/renew/{url_lease_id*}")
                .field("lease_id", FieldType::String, "The lease identifier to renew.")
                .field("url_lease_id", FieldType::String, "The lease identifier to renew.")
                .field("increment", FieldType::Duration, "The desired increment in seconds to the lease")
                .op(Operation::Update, h!(lease_renew))
                .help("Renew a lease on a secret", ""),
            Path::new("renew")
                .field("lease_id", FieldType::String, "The lease identifier to renew.")
                .field("increment", FieldType::Duration, "The desired increment in seconds to the lease")
                .op(Operation::Update, h!(lease_renew))
                .help("Renew a lease on a secret (legacy path)", ""),
            Path::new("renew/{url_lease_id*}")
                .field("lease_id", FieldType::String, "The lease identifier to renew.")
                .field("url_lease_id", FieldType::String, "The lease identifier to renew.")
                .field("increment", FieldType::Duration, "The desired increment in seconds to the lease")
                .op(Operation::Update, h!(lease_renew))
                .help("Renew a lease on a secret (legacy path)", ""),
            Path::new("leases/revoke")
                .field("lease_id", FieldType::String, "The lease identifier to revoke.")
                .field("sync", FieldType::Bool, "Whether or not to perform the revocation synchronously")
                .op(Operation::Update, h!(lease_revoke))
                .help("Revoke a leased secret immediately", ""),
            Path::new("leases/revoke/{url_lease_id*}")
                .field("lease_id", FieldType::String, "The lease identifier to revoke.")
                .field("url_lease_id", FieldType::String, "The lease identifier to revoke.")
                .field("sync", FieldType::Bool, "Whether or not to perform the revocation synchronously")
                .op(Operation::Update, h!(lease_revoke))
                .help("Revoke a leased secret immediately", ""),
            Path::new("revoke/{url_lease_id*}")
                .field("lease_id", FieldType::String, "The lease identifier to revoke.")
                .field("url_lease_id", FieldType::String, "The lease identifier to revoke.")
                .field("sync", FieldType::Bool, "Whether or not to perform the revocation synchronously")
                .op(Operation::Update, h!(lease_revoke))
                .help("Revoke a leased secret immediately (legacy path)", ""),
            Path::new("leases/revoke-prefix/{prefix*}")
                .field("prefix", FieldType::String, "The path to revoke keys under.")
                .field("sync", FieldType::Bool, "Whether or not to perform the revocation synchronously")
                .op(Operation::Update, h!(lease_revoke_prefix))
                .help("Revoke all secrets generated in a given prefix", ""),
            Path::new("revoke-prefix/{prefix*}")
                .field("prefix", FieldType::String, "The path to revoke keys under.")
                .field("sync", FieldType::Bool, "Whether or not to perform the revocation synchronously")
                .op(Operation::Update, h!(lease_revoke_prefix))
                .help("Revoke all secrets generated in a given prefix (legacy path)", ""),
            Path::new("leases/revoke-force/{prefix*}")
                .field("prefix", FieldType::String, "The path to revoke keys under.")
                .op(Operation::Update, h!(lease_revoke_force))
                .help("Revoke all secrets generated in a given prefix, ignoring errors.", ""),
            Path::new("revoke-force/{prefix*}")
                .field("prefix", FieldType::String, "The path to revoke keys under.")
                .op(Operation::Update, h!(lease_revoke_force))
                .help("Revoke all secrets generated in a given prefix, ignoring errors (legacy path).", ""),
            Path::new("leases/tidy")
                .op(Operation::Update, h!(lease_tidy))
                .help("Clean up the lease and token indexes.", ""),
            Path::new("wrapping/wrap")
                .accept_any_field()
                .op(Operation::Update, h!(wrapping_wrap))
                .help("Response-wraps an arbitrary JSON object.", ""),
            Path::new("wrapping/unwrap")
                .field("token", FieldType::String, "The wrapping token ID.")
                .op(Operation::Update, h!(wrapping_unwrap))
                .help("Unwraps a response-wrapped token.", ""),
            Path::new("wrapping/lookup")
                .field("token", FieldType::String, "The wrapping token ID.")
                .op(Operation::Update, h!(wrapping_lookup))
                .op(Operation::Read, h!(wrapping_lookup))
                .help("Looks up the properties of a response-wrapped token.", ""),
            Path::new("wrapping/rewrap")
                .field("token", FieldType::String, "The wrapping token ID.")
                .op(Operation::Update, h!(wrapping_rewrap))
                .help("Rotates a response-wrapped token.", ""),
            Path::new("audit")
                .op(Operation::Read, h!(audit_list))
                .help("List the enabled audit devices.", ""),
            Path::new("audit/{path*}")
                .field("path", FieldType::String, "The name of the backend.")
                .field("type", FieldType::String, "The type of the backend. Example: \"file\"")
                .field("description", FieldType::String, "User-friendly description for this audit backend.")
                .field("options", FieldType::StringMap, "Configuration options for the audit backend.")
                .field("local", FieldType::Bool, "Mark the mount as a local mount.")
                .op(Operation::Update, h!(audit_enable))
                .op(Operation::Delete, h!(audit_disable))
                .help("Enable or disable audit backends.", ""),
            Path::new("audit-hash/{path*}")
                .field("path", FieldType::String, "The name of the backend.")
                .required_field("input", FieldType::String, "The input to hash.")
                .op(Operation::Update, h!(audit_hash))
                .help("Hash a value with the salt of an audit device.", ""),
            Path::new("tools/hash")
                .required_field("input", FieldType::String, "The base64-encoded input data")
                .field_default("algorithm", FieldType::String, json!("sha2-256"), "Algorithm to use")
                .field_default("format", FieldType::String, json!("hex"), "Encoding format to use. Can be \"hex\" or \"base64\".")
                .op(Operation::Update, h!(tools_hash))
                .help("Generate a hash sum for input data", ""),
            Path::new("tools/hash/{urlalgorithm}")
                .field("urlalgorithm", FieldType::String, "Algorithm to use (POST URL parameter)")
                .required_field("input", FieldType::String, "The base64-encoded input data")
                .field_default("algorithm", FieldType::String, json!("sha2-256"), "Algorithm to use")
                .field_default("format", FieldType::String, json!("hex"), "Encoding format to use.")
                .op(Operation::Update, h!(tools_hash))
                .help("Generate a hash sum for input data", ""),
            Path::new("tools/random")
                .field_default("bytes", FieldType::Int, json!(32), "The number of bytes to generate (POST body parameter).")
                .field_default("format", FieldType::String, json!("base64"), "Encoding format to use. Can be \"hex\" or \"base64\".")
                .field_default("source", FieldType::String, json!("platform"), "Which system to source random data from.")
                .op(Operation::Update, h!(tools_random))
                .help("Generate random bytes", ""),
            Path::new("tools/random/{urlbytes}")
                .field("urlbytes", FieldType::String, "The number of bytes to generate (POST URL parameter)")
                .field_default("bytes", FieldType::Int, json!(32), "The number of bytes to generate.")
                .field_default("format", FieldType::String, json!("base64"), "Encoding format to use.")
                .field_default("source", FieldType::String, json!("platform"), "Which system to source random data from.")
                .op(Operation::Update, h!(tools_random))
                .help("Generate random bytes", ""),
        ]
    }
}

/// Reads a TTL that may be given as seconds or a duration string; "system" or "" reset.
fn ttl_field(v: Option<&Value>, name: &str) -> Result<Option<u64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| Error::invalid(format!("invalid {name}"))),
        Some(Value::String(s)) if s.is_empty() || s == "system" => Ok(Some(0)),
        Some(Value::String(s)) => arca_sdk::duration::parse_duration(s)
            .map(|d| Some(d.as_secs()))
            .map_err(|_| Error::invalid(format!("unable to parse {name} {s:?}"))),
        Some(_) => Err(Error::invalid(format!("invalid {name}"))),
    }
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

/// Applies an enable request's `config` map to a mount config.
fn apply_config(config: &mut MountConfig, m: &Map<String, Value>, mount_type: &str) -> Result<()> {
    for (k, v) in m {
        match k.as_str() {
            "default_lease_ttl" => config.default_lease_ttl = ttl_field(Some(v), k)?.unwrap_or(0),
            "max_lease_ttl" => config.max_lease_ttl = ttl_field(Some(v), k)?.unwrap_or(0),
            "force_no_cache" => {
                config.force_no_cache = v.as_bool().unwrap_or(v.as_str() == Some("true"))
            }
            "audit_non_hmac_request_keys" => {
                config.audit_non_hmac_request_keys = string_list(Some(v))
            }
            "audit_non_hmac_response_keys" => {
                config.audit_non_hmac_response_keys = string_list(Some(v))
            }
            "passthrough_request_headers" => {
                config.passthrough_request_headers = string_list(Some(v))
            }
            "allowed_response_headers" => config.allowed_response_headers = string_list(Some(v)),
            "listing_visibility" => {
                config.listing_visibility = listing_visibility(v.as_str().unwrap_or(""))?
            }
            "token_type" => config.token_type = token_type(v.as_str().unwrap_or(""))?,
            "plugin_version" | "options" | "description" => {}
            "user_lockout_config" => {
                config.user_lockout_config = crate::user_lockout::merge_tune(
                    config.user_lockout_config.as_ref(),
                    v,
                    mount_type,
                )?
            }
            other => {
                return Err(Error::invalid(format!(
                    "unrecognized mount config parameter {other:?}"
                )))
            }
        }
    }
    Ok(())
}

fn listing_visibility(v: &str) -> Result<String> {
    match v {
        "" | "hidden" | "unauth" => Ok(v.to_string()),
        other => Err(Error::invalid(format!(
            "invalid listing_visibility {other:?}"
        ))),
    }
}

fn token_type(v: &str) -> Result<String> {
    match v {
        "" | "default" => Ok("default-service".into()),
        "service" | "batch" | "default-service" | "default-batch" => Ok(v.to_string()),
        other => Err(Error::invalid(format!("invalid token_type {other:?}"))),
    }
}

impl SystemBackend {
    fn mounts_table(&self, core: &Core, table: MountTable) -> Result<Map<String, Value>> {
        let active = core.active()?;
        let mut entries: Vec<Arc<MountEntry>> = active
            .router
            .snapshot()
            .entries()
            .map(|r| r.entry())
            .filter(|e| e.table == table)
            .collect();
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(entries
            .iter()
            .map(|e| {
                (
                    e.path.clone(),
                    e.to_json(core.config.default_lease_ttl, core.config.max_lease_ttl),
                )
            })
            .collect())
    }

    async fn mounts_list(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        ok(self.mounts_table(&core, MountTable::Secrets)?)
    }

    async fn auth_list(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        ok(self.mounts_table(&core, MountTable::Auth)?)
    }

    fn route_of(table: MountTable, path: &str) -> Result<String> {
        let p = Core::normalize_mount_path(path)?;
        Ok(match table {
            MountTable::Secrets => p,
            MountTable::Auth => format!("auth/{p}"),
        })
    }

    async fn table_read(&self, table: MountTable, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let path = d.string("path")?;
        if let Some(mount) = path.strip_suffix("/tune") {
            return self.tune_read(&core, table, mount).await;
        }
        let route = Self::route_of(table, &path)?;
        let active = core.active()?;
        let entry = active
            .router
            .get(&route)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "No {} mount at {route}",
                    if table == MountTable::Auth {
                        "auth"
                    } else {
                        "secret"
                    }
                ))
            })?
            .entry();
        ok(obj(entry.to_json(
            core.config.default_lease_ttl,
            core.config.max_lease_ttl,
        )))
    }

    async fn tune_read(
        &self,
        core: &Core,
        table: MountTable,
        mount: &str,
    ) -> Result<Option<Response>> {
        let route = Self::route_of(table, mount)?;
        let active = core.active()?;
        let r = active
            .router
            .get(&route)
            .ok_or_else(|| Error::invalid(format!("cannot fetch sysview for path {route:?}")))?;
        let e = r.entry();
        let mut m = Map::new();
        m.insert(
            "default_lease_ttl".into(),
            json!(r.handle.effective_default_ttl().as_secs()),
        );
        m.insert(
            "max_lease_ttl".into(),
            json!(r.handle.effective_max_ttl().as_secs()),
        );
        m.insert("force_no_cache".into(), json!(e.config.force_no_cache));
        m.insert("description".into(), json!(e.description));
        if !e.options.is_empty() {
            m.insert("options".into(), json!(e.options));
        }
        if table == MountTable::Auth {
            m.insert(
                "token_type".into(),
                json!(if e.config.token_type.is_empty() {
                    "default-service"
                } else {
                    &e.config.token_type
                }),
            );
        }
        if !e.config.listing_visibility.is_empty() {
            m.insert(
                "listing_visibility".into(),
                json!(e.config.listing_visibility),
            );
        }
        for (name, list) in [
            (
                "audit_non_hmac_request_keys",
                &e.config.audit_non_hmac_request_keys,
            ),
            (
                "audit_non_hmac_response_keys",
                &e.config.audit_non_hmac_response_keys,
            ),
            (
                "passthrough_request_headers",
                &e.config.passthrough_request_headers,
            ),
            (
                "allowed_response_headers",
                &e.config.allowed_response_headers,
            ),
        ] {
            if !list.is_empty() {
                m.insert(name.into(), json!(list));
            }
        }
        if let Some(lockout) = &e.config.user_lockout_config {
            m.extend(crate::user_lockout::display(lockout));
        }
        ok(m)
    }

    async fn tune_write(
        &self,
        core: &Core,
        table: MountTable,
        mount: &str,
        d: &FieldData<'_>,
    ) -> Result<Option<Response>> {
        let route = Self::route_of(table, mount)?;
        let body = d.body().clone();
        let mut kv_upgrade = None;
        let upgrade = &mut kv_upgrade;
        core.tune(&route, move |e| {
            for (k, v) in &body {
                // The CLI sends every field of its tune input: null and "" mean "leave as
                // is" (Vault's tune treats an empty TTL string that way; "system" resets).
                if v.is_null() || (k.ends_with("_lease_ttl") && v.as_str() == Some("")) {
                    continue;
                }
                match k.as_str() {
                    "default_lease_ttl" => {
                        e.config.default_lease_ttl = ttl_field(Some(v), k)?.unwrap_or(0)
                    }
                    "max_lease_ttl" => e.config.max_lease_ttl = ttl_field(Some(v), k)?.unwrap_or(0),
                    "description" => e.description = v.as_str().unwrap_or("").to_string(),
                    "audit_non_hmac_request_keys" => {
                        e.config.audit_non_hmac_request_keys = string_list(Some(v))
                    }
                    "audit_non_hmac_response_keys" => {
                        e.config.audit_non_hmac_response_keys = string_list(Some(v))
                    }
                    "passthrough_request_headers" => {
                        e.config.passthrough_request_headers = string_list(Some(v))
                    }
                    "allowed_response_headers" => {
                        e.config.allowed_response_headers = string_list(Some(v))
                    }
                    "listing_visibility" => {
                        e.config.listing_visibility = listing_visibility(v.as_str().unwrap_or(""))?
                    }
                    "token_type" if e.table == MountTable::Auth => {
                        e.config.token_type = token_type(v.as_str().unwrap_or(""))?;
                        if e.backend_type == "token" {
                            return Err(Error::invalid(
                                "cannot set token_type on token auth backend",
                            ));
                        }
                    }
                    "user_lockout_config" if e.table == MountTable::Auth => {
                        e.config.user_lockout_config = crate::user_lockout::merge_tune(
                            e.config.user_lockout_config.as_ref(),
                            v,
                            &e.backend_type,
                        )?
                    }
                    "options" => {
                        let Some(opts) = v.as_object() else {
                            return Err(Error::invalid("options must be a map"));
                        };
                        for (ok_, ov) in opts {
                            let val = match ov {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            if ok_ == "version" {
                                if e.backend_type != "kv" {
                                    continue;
                                }
                                let old: u8 = match e.options.get("version").map(String::as_str) {
                                    Some("2") => 2,
                                    _ => 1,
                                };
                                let new: u8 = match val.as_str() {
                                    "1" => 1,
                                    "2" => 2,
                                    other => {
                                        return Err(Error::invalid(format!(
                                            "invalid version provided: {other}"
                                        )))
                                    }
                                };
                                if old > new {
                                    return Err(Error::invalid(format!(
                                        "cannot downgrade mount from version {old}"
                                    )));
                                }
                                if old < new {
                                    *upgrade = Some((old, new));
                                }
                            }
                            e.options.insert(ok_.clone(), val);
                        }
                    }
                    // The CLI always sends force_no_cache; like OpenBao, tune ignores it.
                    "plugin_version"
                    | "path"
                    | "force_no_cache"
                    | "plugin_name"
                    | "allowed_managed_keys" => {}
                    other => {
                        return Err(Error::invalid(format!(
                            "unrecognized tune parameter {other:?}"
                        )))
                    }
                }
            }
            Ok(())
        })
        .await?;
        // A KV upgrade answers 200 with OpenBao's warning (the data moved during the tune).
        Ok(kv_upgrade.map(|(old, new)| {
            Response::default().with_warning(format!(
                "Upgrading mount from version {old} to version {new}. This mount will be unavailable for a brief period and will resume service shortly."
            ))
        }))
    }

    async fn table_write(
        &self,
        req: &Request,
        table: MountTable,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let path = d.string("path")?;
        if let Some(mount) = path.strip_suffix("/tune") {
            return self.tune_write(&core, table, mount, &d).await;
        }
        let mut backend_type = d.string("type")?;
        if backend_type.is_empty() {
            backend_type = d.string("plugin_name")?;
        }
        if backend_type.is_empty() {
            return Err(Error::invalid("backend type must be specified as a string"));
        }
        let mut options: HashMap<String, String> = d.string_map("options")?.unwrap_or_default();
        // "kv-v2" is an alias for kv with version 2, as in Vault.
        if backend_type == "kv-v2" {
            backend_type = "kv".into();
            options.insert("version".into(), "2".into());
        }
        if backend_type == "kv" {
            match options.get("version").map(String::as_str) {
                None | Some("") => {
                    options.insert("version".into(), "1".into());
                }
                Some("1") | Some("2") => {}
                Some(other) => {
                    return Err(Error::invalid(format!(
                        "invalid KV version {other:?}: expected 1 or 2"
                    )))
                }
            }
        }
        let mut entry = Core::new_entry(table, &path, &backend_type);
        entry.description = d.string("description")?;
        entry.local = d.bool("local")?.unwrap_or(false);
        entry.seal_wrap = d.bool("seal_wrap")?.unwrap_or(false);
        entry.external_entropy_access = d.bool("external_entropy_access")?.unwrap_or(false);
        entry.plugin_version = d.string("plugin_version")?;
        entry.options = options;
        if let Some(config) = d.map("config")? {
            apply_config(&mut entry.config, &config, &entry.backend_type)?;
        }
        if entry.config.max_lease_ttl != 0
            && entry.config.default_lease_ttl > entry.config.max_lease_ttl
        {
            return Err(Error::invalid(
                "given default lease TTL greater than given max lease TTL",
            ));
        }
        if Duration::from_secs(entry.config.max_lease_ttl) > core.config.max_lease_ttl {
            return Err(Error::invalid(
                "given max lease TTL greater than system max lease TTL",
            ));
        }
        let _ = req;
        core.mount(entry).await?;
        Ok(None)
    }

    async fn table_delete(&self, table: MountTable, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let route = Self::route_of(table, &d.string("path")?)?;
        core.unmount(&route).await?;
        Ok(None)
    }

    async fn mount_read(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        self.table_read(MountTable::Secrets, d).await
    }
    async fn mount_write(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        self.table_write(req, MountTable::Secrets, d).await
    }
    async fn mount_delete(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        self.table_delete(MountTable::Secrets, d).await
    }
    async fn auth_read(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        self.table_read(MountTable::Auth, d).await
    }
    async fn auth_write(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        self.table_write(req, MountTable::Auth, d).await
    }
    async fn auth_delete(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        self.table_delete(MountTable::Auth, d).await
    }

    /// `sys/locked-users`: the aliases each auth mount currently locks out, in OpenBao's
    /// shape (one root-namespace entry, mounts by decreasing count).
    async fn locked_users(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let only = d.string("mount_accessor")?;
        let mut mounts = Vec::new();
        let routes = active.router.snapshot();
        if only.is_empty() {
            for route in routes.entries() {
                let aliases = route.backend.locked_users().await?;
                if !aliases.is_empty() {
                    mounts.push((route.entry().accessor.clone(), aliases));
                }
            }
        } else {
            let route = routes.entries().find(|r| r.entry().accessor == only);
            let aliases = match route {
                Some(r) => r.backend.locked_users().await?,
                None => Vec::new(),
            };
            mounts.push((only, aliases));
        }
        mounts.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        let total: usize = mounts.iter().map(|(_, a)| a.len()).sum();
        let accessors: Vec<Value> = mounts
            .into_iter()
            .map(|(accessor, aliases)| {
                json!({
                    "mount_accessor": accessor,
                    "counts": aliases.len(),
                    "alias_identifiers": if aliases.is_empty() { Value::Null } else { json!(aliases) },
                })
            })
            .collect();
        ok(obj(json!({
            "by_namespace": [{
                "namespace_id": "root",
                "namespace_path": "",
                "counts": total,
                "mount_accessors": accessors,
            }],
            "total": total,
        })))
    }

    /// `sys/locked-users/<accessor>/unlock/<alias>`: succeeds whether or not it was locked.
    async fn unlock_user(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let accessor = d.string("mount_accessor")?;
        if accessor.is_empty() {
            return Err(Error::invalid("missing mount_accessor"));
        }
        let alias = d.string("alias_identifier")?;
        if alias.is_empty() {
            return Err(Error::invalid("missing alias_identifier"));
        }
        let routes = active.router.snapshot();
        if let Some(route) = routes.entries().find(|r| r.entry().accessor == accessor) {
            route.backend.unlock_user(&alias).await?;
        }
        Ok(None)
    }

    async fn remount(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let from = Core::normalize_mount_path(&d.string("from")?)?;
        let to = Core::normalize_mount_path(&d.string("to")?)?;
        let id = crate::crypto::random_uuid().map_err(Error::internal)?;
        let start = crate::time::rfc3339_now();
        let result = core.remount(&from, &to).await;
        let status = RemountStatus {
            source: from.clone(),
            target: to.clone(),
            status: if result.is_ok() {
                "success".into()
            } else {
                "failure".into()
            },
            start_time: start,
            end_time: crate::time::rfc3339_now(),
        };
        active.remounts.insert(id.clone(), status);
        result?;
        let mut m = Map::new();
        m.insert("migration_id".into(), json!(id));
        Ok(Some(Response::data(m).with_warning("Mount move has been queued. Progress will be reported in Vault's server log, tagged with the returned migration_id")))
    }

    async fn remount_status(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let id = d.string("migration_id")?;
        let Some(s) = active.remounts.get(&id).map(|s| s.clone()) else {
            return Ok(None);
        };
        ok(obj(json!({
            "migration_id": id,
            "migration_info": {
                "source_mount": s.source,
                "target_mount": s.target,
                "status": s.status,
                "start_time": s.start_time,
                "end_time": s.end_time,
            }
        })))
    }

    async fn policy_list(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let names = core.active()?.policies.list().await?;
        ok(obj(json!({"keys": names, "policies": names})))
    }

    async fn policy_list_acl(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let names = core.active()?.policies.list().await?;
        Ok(Some(Response::list(names)))
    }

    async fn policy_read_common(&self, d: &FieldData<'_>, key: &str) -> Result<Option<Response>> {
        let core = self.core()?;
        let name = d.string("name")?;
        let Some(p) = core.active()?.policies.get(&name).await? else {
            return Err(Error::NotFound(String::new()));
        };
        let mut m = Map::new();
        m.insert("name".into(), json!(p.name));
        m.insert(key.into(), json!(p.raw));
        ok(m)
    }

    async fn policy_read(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        self.policy_read_common(&d, "rules").await
    }

    async fn policy_read_acl(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        self.policy_read_common(&d, "policy").await
    }

    async fn policy_write(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let name = d.string("name")?;
        let mut raw = d.str("policy")?.or(d.str("rules")?).unwrap_or_default();
        if raw.trim().is_empty() {
            return Err(Error::invalid("'policy' parameter not supplied or empty"));
        }
        // Policies may be sent base64-encoded, as Vault accepts.
        if let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(raw.trim()) {
            if let Ok(text) = String::from_utf8(decoded) {
                raw = text;
            }
        }
        core.active()?.policies.set(&name, &raw).await?;
        Ok(None)
    }

    async fn policy_delete(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        core.active()?.policies.delete(&d.string("name")?).await?;
        Ok(None)
    }

    fn requested_paths(d: &FieldData<'_>) -> Result<Vec<String>> {
        let mut paths = d.strings("paths")?.unwrap_or_default();
        if paths.is_empty() {
            paths = d.strings("path")?.unwrap_or_default();
        }
        if paths.is_empty() {
            return Err(Error::invalid("paths must be supplied"));
        }
        Ok(paths)
    }

    async fn capabilities_for(
        &self,
        policies: &[String],
        is_root: bool,
        paths: Vec<String>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let acl = core.active()?.policies.acl(policies).await?;
        let mut m = Map::new();
        for p in &paths {
            let caps = if is_root {
                vec!["root".to_string()]
            } else {
                acl.capabilities(p.trim_start_matches('/'))
            };
            m.insert(p.clone(), json!(caps));
        }
        if paths.len() == 1 {
            let v = m.get(&paths[0]).cloned().unwrap_or(Value::Null);
            m.insert("capabilities".into(), v);
        }
        ok(m)
    }

    async fn capabilities(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let token = d.string("token")?;
        if token.is_empty() {
            return Err(Error::invalid("missing token"));
        }
        let entry = core
            .active()?
            .tokens
            .lookup(&token)
            .await?
            .ok_or_else(|| Error::invalid("invalid token"))?;
        self.capabilities_for(
            &entry.all_policies(),
            entry.is_root(),
            Self::requested_paths(&d)?,
        )
        .await
    }

    async fn capabilities_self(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let auth = req.auth.as_ref().ok_or(Error::PermissionDenied)?;
        self.capabilities_for(&auth.policies, auth.is_root, Self::requested_paths(&d)?)
            .await
    }

    async fn capabilities_accessor(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let accessor = d.string("accessor")?;
        let hash = active
            .tokens
            .hash_for_accessor(&accessor)
            .await?
            .ok_or_else(|| Error::invalid("invalid accessor"))?;
        let entry = active
            .tokens
            .lookup_hash(&hash)
            .await?
            .ok_or_else(|| Error::invalid("invalid accessor"))?;
        self.capabilities_for(
            &entry.all_policies(),
            entry.is_root(),
            Self::requested_paths(&d)?,
        )
        .await
    }

    async fn explain(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let policies = if let Some(token) = d.str("token")?.filter(|t| !t.is_empty()) {
            active
                .tokens
                .lookup(&token)
                .await?
                .ok_or_else(|| Error::invalid("invalid token"))?
                .all_policies()
        } else if let Some(accessor) = d.str("accessor")?.filter(|t| !t.is_empty()) {
            let hash = active
                .tokens
                .hash_for_accessor(&accessor)
                .await?
                .ok_or_else(|| Error::invalid("invalid accessor"))?;
            active
                .tokens
                .lookup_hash(&hash)
                .await?
                .ok_or_else(|| Error::invalid("invalid accessor"))?
                .all_policies()
        } else if let Some(p) = d.strings("policies")? {
            arca_sdk::token_fields::normalize_policies(p)
        } else {
            return Err(Error::invalid(
                "one of token, accessor or policies is required",
            ));
        };
        let operation = match d.string("operation")?.as_str() {
            "read" => Operation::Read,
            "list" => Operation::List,
            "create" => Operation::Create,
            "update" => Operation::Update,
            "patch" => Operation::Patch,
            "delete" => Operation::Delete,
            other => return Err(Error::invalid(format!("invalid operation {other:?}"))),
        };
        let path = d.string("path")?.trim_start_matches('/').to_string();
        let data = d.map("data")?.unwrap_or_default();
        let mut creq = ClientRequest::new(operation, &path);
        creq.data = data;
        let acl = active.policies.acl(&policies).await?;
        let mut decision = acl.check(&crate::policy::AclRequest {
            path: &path,
            operation,
            data: &creq.data,
            wrap_ttl: None,
        });
        let mut sudo_required = false;
        if let Some((route, rel)) = active.router.route(&path) {
            if SpecialPaths::matches(&route.special.root, &rel) {
                sudo_required = true;
                if decision.allowed && !decision.sudo {
                    decision.allowed = false;
                    decision.reason = format!(
                        "path {path:?} requires sudo capability, which rule {:?} does not grant",
                        decision.matched_path
                    );
                }
            }
        }
        let mut m = obj(serde_json::to_value(&decision).map_err(Error::internal)?);
        m.insert("policies".into(), json!(policies));
        m.insert("path".into(), json!(path));
        m.insert("operation".into(), json!(operation.as_str()));
        m.insert("sudo_required".into(), json!(sudo_required));
        m.insert(
            "decision".into(),
            json!(if decision.allowed {
                "allowed"
            } else {
                "denied"
            }),
        );
        ok(m)
    }

    async fn ui_mounts(&self, req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let acl = match &req.auth {
            Some(a) => Some(active.policies.acl(&a.policies).await?),
            None => None,
        };
        let mut secret = Map::new();
        let mut auth = Map::new();
        let mut routes: Vec<_> = active.router.snapshot().entries().cloned().collect();
        routes.sort_by(|a, b| a.route.cmp(&b.route));
        for r in routes {
            let e = r.entry();
            let visible = match &acl {
                Some(acl) => acl.has_mount_access(&r.route),
                None => false,
            } || e.config.listing_visibility == "unauth";
            if !visible {
                continue;
            }
            let mut info = obj(e.to_json(core.config.default_lease_ttl, core.config.max_lease_ttl));
            if req.auth.is_none() {
                // Unauthenticated callers see only what the UI needs.
                info = obj(
                    json!({"type": e.backend_type, "description": e.description, "options": info.get("options").cloned().unwrap_or(Value::Null)}),
                );
            }
            match e.table {
                MountTable::Secrets => secret.insert(e.path.clone(), Value::Object(info)),
                MountTable::Auth => auth.insert(e.path.clone(), Value::Object(info)),
            };
        }
        ok(obj(json!({"secret": secret, "auth": auth})))
    }

    async fn ui_mount(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let path = d.string("path")?;
        if path.is_empty() {
            return Err(Error::invalid("path not set"));
        }
        let Some((route, _)) = active.router.route(path.trim_start_matches('/')) else {
            return Err(Error::PermissionDenied);
        };
        let allowed = match &req.auth {
            Some(a) => active
                .policies
                .acl(&a.policies)
                .await?
                .has_mount_access(&route.route),
            None => false,
        };
        if !allowed {
            return Err(Error::PermissionDenied);
        }
        let e = route.entry();
        let mut info = obj(e.to_json(core.config.default_lease_ttl, core.config.max_lease_ttl));
        info.insert("path".into(), json!(route.route));
        ok(info)
    }

    async fn openapi(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let mut paths = Map::new();
        let mut routes: Vec<_> = active.router.snapshot().entries().cloned().collect();
        routes.sort_by(|a, b| a.route.cmp(&b.route));
        for r in routes {
            paths.extend(r.backend.openapi(&r.route));
        }
        ok(obj(json!({
            "openapi": "3.0.2",
            "info": {"title": "Arca API", "description": "HTTP API that gives you full access to Arca.", "version": env!("CARGO_PKG_VERSION"), "license": {"name": "Mozilla Public License 2.0", "url": "https://www.mozilla.org/en-US/MPL/2.0"}},
            "paths": paths,
            "components": {"schemas": {}}
        })))
    }

    async fn key_status(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let s = core.barrier.key_status()?;
        ok(obj(
            json!({"term": s.term, "install_time": s.install_time, "encryptions": s.encryptions}),
        ))
    }

    async fn rotate(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        core.barrier.rotate().await?;
        tracing::info!("core: installed new encryption key (keyring rotated)");
        Ok(None)
    }

    async fn rekey_status(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        ok(self.core()?.rekey_status().await?)
    }

    async fn rekey_init(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        if d.strings("pgp_keys")?.is_some_and(|k| !k.is_empty())
            || d.bool("backup")?.unwrap_or(false)
        {
            return Err(Error::unsupported(
                "pgp_keys and backup: PGP-encrypted key shares are not supported",
            ));
        }
        let shares = d.int("secret_shares")?.unwrap_or(0);
        let threshold = d.int("secret_threshold")?.unwrap_or(0);
        if shares <= 0 || threshold <= 0 {
            return Err(Error::invalid(
                "secret_shares and secret_threshold must be positive",
            ));
        }
        let verify = d.bool("require_verification")?.unwrap_or(false);
        ok(self
            .core()?
            .rekey_init(shares as usize, threshold as usize, verify)
            .await?)
    }

    async fn rekey_cancel(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        self.core()?.rekey_cancel().await?;
        Ok(None)
    }

    fn key_and_nonce(d: &FieldData<'_>) -> Result<(String, String)> {
        let key = d.string("key")?;
        let nonce = d.string("nonce")?;
        if key.is_empty() {
            return Err(Error::invalid("missing required field 'key'"));
        }
        if nonce.is_empty() {
            return Err(Error::invalid("missing required field 'nonce'"));
        }
        Ok((key, nonce))
    }

    async fn rekey_update(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let (key, nonce) = Self::key_and_nonce(&d)?;
        ok(self.core()?.rekey_update(&key, &nonce).await?)
    }

    async fn rekey_verify_status(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        ok(self.core()?.rekey_verify_status().await?)
    }

    async fn rekey_verify_update(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let (key, nonce) = Self::key_and_nonce(&d)?;
        ok(self.core()?.rekey_verify_update(&key, &nonce).await?)
    }

    async fn rekey_verify_cancel(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        core.rekey_verify_cancel().await?;
        ok(core.rekey_verify_status().await?)
    }

    async fn generate_root_status(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        ok(self.core()?.generate_root_status().await?)
    }

    async fn generate_root_init(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        ok(self
            .core()?
            .generate_root_init(d.str("otp")?, d.str("pgp_key")?)
            .await?)
    }

    async fn generate_root_cancel(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        self.core()?.generate_root_cancel().await?;
        Ok(None)
    }

    async fn generate_root_update(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let (key, nonce) = Self::key_and_nonce(&d)?;
        ok(self.core()?.generate_root_update(&key, &nonce).await?)
    }

    async fn decode_token(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let encoded = d.string("encoded_token")?;
        let otp = d.string("otp")?;
        if encoded.is_empty() || otp.is_empty() {
            return Err(Error::invalid("provided 'encoded_token' or 'otp' is empty"));
        }
        let raw = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(encoded.trim_end_matches('='))
            .map_err(|_| Error::invalid("encoded_token is not valid base64"))?;
        if raw.len() != otp.len() {
            return Err(Error::invalid(
                "length of encoded token does not match the OTP",
            ));
        }
        let token: Vec<u8> = raw.iter().zip(otp.bytes()).map(|(a, b)| a ^ b).collect();
        let token = String::from_utf8(token)
            .map_err(|_| Error::invalid("decoded token is not valid text"))?;
        ok(obj(json!({"token": token})))
    }

    async fn seal(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        // Seal after the response is on its way: sealing drops the state this request uses.
        tokio::spawn(async move {
            if let Err(e) = core.seal().await {
                tracing::error!(error = %e, "core: seal failed");
            }
        });
        Ok(None)
    }

    async fn step_down(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        Ok(None)
    }

    async fn leases_irrevocable(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let ty = d.string("type")?;
        if !ty.is_empty() && ty != "irrevocable" {
            return Err(Error::invalid("type must be \"irrevocable\""));
        }
        let core = self.core()?;
        let active = core.active()?;
        let now = arca_sdk::now_unix();
        let mut leases = Vec::new();
        for id in active.leases.irrevocable().await? {
            if let Some(l) = active.leases.get(&id).await? {
                leases.push(json!({
                    "lease_id": l.lease_id,
                    "namespace": "",
                    "mount_id": l.mount_accessor,
                    "error": l.irrevocable_reason,
                    "expire_time": crate::time::rfc3339_secs(l.expire_time),
                    "ttl": l.ttl(now),
                }));
            }
        }
        ok(obj(json!({"lease_count": leases.len(), "leases": leases})))
    }

    async fn leases_count(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let ty = d.string("type")?;
        let count = match ty.as_str() {
            "irrevocable" => active.leases.irrevocable().await?.len(),
            "" | "all" => active.leases.count().await?,
            other => {
                return Err(Error::invalid(format!(
                    "invalid type {other:?}: expected \"irrevocable\" or \"all\""
                )))
            }
        };
        ok(obj(
            json!({"lease_count": count, "counts": {"root": count}}),
        ))
    }

    async fn lease_lookup(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let id = d.string("lease_id")?;
        if id.is_empty() {
            return Err(Error::invalid("missing lease ID"));
        }
        let lease = core
            .active()?
            .leases
            .get(&id)
            .await?
            .ok_or_else(|| Error::invalid("invalid lease"))?;
        ok(lease.lookup_data(arca_sdk::now_unix()))
    }

    async fn lease_list(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let mut prefix = d.string("prefix")?;
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        let keys = core.active()?.leases.list(&prefix).await?;
        if keys.is_empty() {
            return Err(Error::NotFound(String::new()));
        }
        Ok(Some(Response::list(keys)))
    }

    fn lease_id_of(d: &FieldData<'_>) -> Result<String> {
        let from_url = d.string("url_lease_id")?;
        let id = if from_url.is_empty() {
            d.string("lease_id")?
        } else {
            from_url
        };
        if id.is_empty() {
            return Err(Error::invalid("lease_id must be specified"));
        }
        Ok(id)
    }

    async fn lease_renew(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let id = Self::lease_id_of(&d)?;
        let increment = d.duration("increment")?.unwrap_or_default();
        let renewed = core.renew_lease(&id, increment).await?;
        let now = arca_sdk::now_unix();
        Ok(Some(Response {
            data: renewed.data,
            warnings: renewed.warnings,
            existing_lease: Some(ExistingLease {
                lease_id: renewed.lease.lease_id.clone(),
                lease_duration: renewed.lease.ttl(now) as u64,
                renewable: renewed.lease.renewable,
            }),
            ..Default::default()
        }))
    }

    async fn lease_revoke(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let id = Self::lease_id_of(&d)?;
        let sync = d.bool("sync")?.unwrap_or(true);
        if sync {
            core.revoke_lease(&id, false).await?;
            return Ok(None);
        }
        tokio::spawn(async move {
            if let Err(e) = core.revoke_lease(&id, false).await {
                tracing::warn!(error = %e, "expiration: asynchronous revocation failed");
            }
        });
        Ok(None)
    }

    async fn lease_revoke_prefix(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        core.revoke_prefix(&d.string("prefix")?, false).await?;
        Ok(None)
    }

    async fn lease_revoke_force(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        core.revoke_prefix(&d.string("prefix")?, true).await?;
        Ok(None)
    }

    async fn lease_tidy(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let removed = active.leases.tidy().await?;
        tracing::info!(removed, "expiration: tidy finished");
        Ok(Some(Response::default().with_warning("Tidy operation successfully started. Any information from the operation will be printed to Vault's server logs.")))
    }

    async fn wrapping_wrap(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        if req.wrap_ttl.is_none_or(|t| t.is_zero()) {
            return Err(Error::invalid(
                "wrapping requested but no wrap TTL specified: set the X-Vault-Wrap-TTL header",
            ));
        }
        if d.body().is_empty() {
            return Err(Error::invalid("empty request body"));
        }
        ok(d.body().clone())
    }

    fn wrapping_token(req: &Request, d: &FieldData<'_>) -> Result<String> {
        let token = d.string("token")?;
        let token = if token.is_empty() {
            req.client_token.clone()
        } else {
            token
        };
        if token.is_empty() {
            return Err(Error::invalid("missing wrapping token"));
        }
        Ok(token)
    }

    async fn wrapping_unwrap(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let token = Self::wrapping_token(req, &d)?;
        let wrapped = core.unwrap(&token).await?;
        // The unwrapped envelope is returned as-is, as the body of this response.
        let body = serde_json::to_vec(&wrapped).map_err(Error::internal)?;
        Ok(Some(Response::raw(200, "application/json", body)))
    }

    async fn wrapping_lookup(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let token = Self::wrapping_token(req, &d)?;
        ok(core.wrapping_lookup(&token).await?)
    }

    async fn wrapping_rewrap(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let token = d.string("token")?;
        if token.is_empty() {
            return Err(Error::invalid("missing wrapping token"));
        }
        let creq = ClientRequest::new(
            Operation::Update,
            &format!("{}{}", req.mount_point, req.path),
        );
        let out = core.rewrap(&creq, &token).await?;
        let info = out
            .wrap_info
            .ok_or_else(|| Error::internal("rewrap produced no token"))?;
        Ok(Some(Response {
            issued_auth: None,
            data: None,
            raw: Some(arca_sdk::RawResponse {
                status: 200,
                content_type: "application/json".into(),
                body: serde_json::to_vec(&json!({
                    "request_id": req.id,
                    "lease_id": "",
                    "renewable": false,
                    "lease_duration": 0,
                    "data": null,
                    "wrap_info": info,
                    "warnings": null,
                    "auth": null,
                }))
                .map_err(Error::internal)?,
            }),
            ..Default::default()
        }))
    }

    async fn audit_list(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let mut m = Map::new();
        for dev in active.audit.devices().iter() {
            let failures = dev.failures.load(std::sync::atomic::Ordering::Relaxed);
            let healthy = dev.healthy.load(std::sync::atomic::Ordering::Relaxed);
            let last_error = dev.last_error.lock().map(|e| e.clone()).unwrap_or_default();
            m.insert(
                dev.spec.path.clone(),
                json!({
                    "type": dev.spec.device_type,
                    "description": dev.spec.description,
                    "options": dev.spec.options,
                    "local": dev.spec.local,
                    "path": dev.spec.path,
                    "health": {"healthy": healthy, "failures": failures, "last_error": last_error},
                }),
            );
        }
        ok(m)
    }

    async fn audit_enable(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        if !core.config.unsafe_allow_api_audit_creation {
            return Err(Error::invalid(
                "cannot enable audit device via API: declare it in the server configuration (audit \"file\" { ... }) or set unsafe_allow_api_audit_creation = true in the server configuration",
            ));
        }
        let active = core.active()?;
        let path = Core::normalize_mount_path(&d.string("path")?)?;
        let device_type = d.string("type")?;
        if device_type.is_empty() {
            return Err(Error::invalid("type is required"));
        }
        let spec = DeviceSpec {
            path: path.clone(),
            device_type,
            description: d.string("description")?,
            options: d.string_map("options")?.unwrap_or_default(),
            local: d.bool("local")?.unwrap_or(false),
            from_config: false,
        };
        active.audit.enable(spec.clone()).await?;
        if let Err(e) = active.audit.persist(&spec).await {
            let _ = active.audit.disable(&path).await;
            return Err(e);
        }
        tracing::info!(path = %path, "audit: enabled audit device");
        Ok(None)
    }

    async fn audit_disable(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let path = Core::normalize_mount_path(&d.string("path")?)?;
        if let Some(dev) = active.audit.devices().iter().find(|x| x.spec.path == path) {
            if dev.spec.from_config {
                return Err(Error::invalid("cannot disable an audit device declared in the server configuration; remove it from the configuration instead"));
            }
        }
        active.audit.unpersist(&path).await?;
        active.audit.disable(&path).await?;
        Ok(None)
    }

    async fn audit_hash(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let path = Core::normalize_mount_path(&d.string("path")?)?;
        let hash = core
            .active()?
            .audit
            .hash_for(&path, &d.string("input")?)
            .ok_or_else(|| Error::invalid("unknown audit backend"))?;
        ok(obj(json!({"hash": hash})))
    }

    async fn tools_hash(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let alg = match d.string("urlalgorithm")? {
            a if !a.is_empty() => a,
            _ => d.string("algorithm")?,
        };
        let input = base64::engine::general_purpose::STANDARD
            .decode(d.string("input")?)
            .map_err(|_| Error::invalid("unable to decode input as base64"))?;
        use aws_lc_rs::digest;
        let algorithm = match alg.as_str() {
            "sha2-224" => &digest::SHA224,
            "sha2-256" => &digest::SHA256,
            "sha2-384" => &digest::SHA384,
            "sha2-512" => &digest::SHA512,
            "sha3-224" => &digest::SHA3_256,
            "sha3-256" => &digest::SHA3_256,
            "sha3-384" => &digest::SHA3_384,
            "sha3-512" => &digest::SHA3_512,
            other => return Err(Error::invalid(format!("unsupported algorithm {other}"))),
        };
        if alg == "sha3-224" {
            return Err(Error::unsupported("sha3-224"));
        }
        let sum = digest::digest(algorithm, &input);
        let out = match d.string("format")?.as_str() {
            "hex" => hex::encode(sum.as_ref()),
            "base64" => base64::engine::general_purpose::STANDARD.encode(sum.as_ref()),
            other => {
                return Err(Error::invalid(format!(
                    "unsupported encoding format {other}; must be \"hex\" or \"base64\""
                )))
            }
        };
        ok(obj(json!({"sum": out})))
    }

    async fn tools_random(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let mut bytes = d.int("bytes")?.unwrap_or(32);
        let url = d.string("urlbytes")?;
        if !url.is_empty() {
            bytes = url
                .parse()
                .map_err(|_| Error::invalid(format!("error parsing url-set byte count: {url}")))?;
        }
        if !(1..=(128 * 1024)).contains(&bytes) {
            return Err(Error::invalid(
                "the number of bytes must be between 1 and 131072",
            ));
        }
        match d.string("source")?.as_str() {
            "platform" | "all" => {}
            "seal" => {
                return Err(Error::unsupported(
                    "source \"seal\": no entropy-providing seal is configured",
                ))
            }
            other => {
                return Err(Error::invalid(format!(
                    "unsupported entropy source {other:?}"
                )))
            }
        }
        let buf = crate::crypto::random_bytes(bytes as usize).map_err(Error::internal)?;
        let out = match d.string("format")?.as_str() {
            "hex" => hex::encode(&buf[..]),
            "base64" => base64::engine::general_purpose::STANDARD.encode(&buf[..]),
            other => {
                return Err(Error::invalid(format!(
                    "unsupported encoding format {other}; must be \"hex\" or \"base64\""
                )))
            }
        };
        ok(obj(json!({"random_bytes": out})))
    }
}

#[async_trait]
impl Backend for SystemBackend {
    async fn handle(&self, req: &Request) -> Result<Option<Response>> {
        self.router.route(self, req).await
    }

    fn special_paths(&self) -> SpecialPaths {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        SpecialPaths {
            root: s(&[
                "auth/*",
                "remount",
                "audit",
                "audit/*",
                "raw",
                "raw/*",
                "rotate",
                "rotate/keyring",
                "rotate/root",
                "config/cors",
                "config/auditing/*",
                "config/ui/headers/*",
                "plugins/catalog/*",
                "revoke-prefix/*",
                "revoke-force/*",
                "leases/revoke-prefix/*",
                "leases/revoke-force/*",
                "leases/lookup/*",
                "leases",
                "internal/inspect/*",
                "seal",
                "step-down",
                "policies/explain",
            ]),
            unauthenticated: s(&[
                "wrapping/lookup",
                "wrapping/unwrap",
                "internal/specs/openapi",
                "internal/ui/mounts",
                "internal/ui/mounts/*",
                "decode-token",
                "rekey/init",
                "rekey/update",
                "rekey/verify",
                "generate-root/attempt",
                "generate-root/update",
            ]),
        }
    }

    fn openapi(&self, mount_point: &str) -> Map<String, Value> {
        self.router.openapi_paths(mount_point)
    }
}
