//! Every path the system backend declares, built once; handlers live in the sibling modules.

use super::*;

impl SystemBackend {
    pub(super) fn paths() -> Vec<Path<SystemBackend>> {
        vec![
            Path::new("mounts")
                .op(Operation::Read, h!(mounts_list))
                .help("List the currently mounted secrets engines.", ""),
            table_path("mounts/{path*}", "secrets engine")
                .op(Operation::Read, h!(mount_read))
                .op(Operation::Update, h!(mount_write))
                .op(Operation::Delete, h!(mount_delete)),
            Path::new("auth")
                .op(Operation::Read, h!(auth_list))
                .help("List the currently enabled credential backends.", ""),
            table_path("auth/{path*}", "auth method")
                .op(Operation::Read, h!(auth_read))
                .op(Operation::Update, h!(auth_write))
                .op(Operation::Delete, h!(auth_delete)),
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
            // OpenBao's names first, then Vault's, both over the same operations.
        ]
        .into_iter()
        .chain(rekey_paths("rotate/root"))
        .chain(rekey_paths("rekey"))
        .chain(generate_root_paths("generate-root-token"))
        .chain(generate_root_paths("generate-root"))
        .chain([
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
                .field("prefix", FieldType::String, "The path to list leases under.")
                .op(Operation::Update, h!(lease_lookup))
                .op(Operation::List, h!(lease_list))
                .help("View or list lease metadata.", ""),
            Path::new("leases/lookup/{prefix*}")
                .field("prefix", FieldType::String, "The path to list leases under.")
                .op(Operation::List, h!(lease_list))
                .help("View or list lease metadata.", ""),
        ])
        .chain(["leases/renew", "leases/renew/{url_lease_id*}", "renew", "renew/{url_lease_id*}"].map(renew_path))
        .chain(["leases/revoke", "leases/revoke/{url_lease_id*}", "revoke/{url_lease_id*}"].map(revoke_path))
        .chain(["leases/revoke-prefix/{prefix*}", "revoke-prefix/{prefix*}"].map(|p| revoke_prefix_path(p, false)))
        .chain(["leases/revoke-force/{prefix*}", "revoke-force/{prefix*}"].map(|p| revoke_prefix_path(p, true)))
        .chain([
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
            hash_path("tools/hash"),
            hash_path("tools/hash/{urlalgorithm}"),
            random_path("tools/random"),
            random_path("tools/random/{urlbytes}"),
            Path::new("metrics")
                .field_default("format", FieldType::String, json!(""), "Format to export metrics into. Currently accepts only \"prometheus\".")
                .op(Operation::Read, h!(metrics))
                .help("Export the metrics aggregated for telemetry purpose.", ""),
        ])
        .collect()
    }
}

/// `sys/mounts/<path>` and `sys/auth/<path>`: enable, read, tune (`<path>/tune`), disable.
pub(super) fn table_path(pattern: &str, what: &'static str) -> Path<SystemBackend> {
    let _ = what;
    Path::new(pattern)
        .field("path", FieldType::String, "The path to mount to.")
        .field("type", FieldType::String, "The type of the backend.")
        .field(
            "description",
            FieldType::String,
            "User-friendly description for this mount.",
        )
        .field(
            "config",
            FieldType::Map,
            "Configuration for this mount, such as default_lease_ttl and max_lease_ttl.",
        )
        .field(
            "options",
            FieldType::StringMap,
            "The options to pass into the backend.",
        )
        .field("local", FieldType::Bool, "Mark the mount as a local mount.")
        .field(
            "seal_wrap",
            FieldType::Bool,
            "Whether to turn on seal wrapping for the mount.",
        )
        .field(
            "external_entropy_access",
            FieldType::Bool,
            "Whether to give the mount access to external entropy.",
        )
        .field(
            "plugin_name",
            FieldType::String,
            "Name of the plugin to mount.",
        )
        .field(
            "plugin_version",
            FieldType::String,
            "The semantic version of the plugin to use.",
        )
        .field(
            "default_lease_ttl",
            FieldType::String,
            "The default lease TTL for this mount (tune).",
        )
        .field(
            "max_lease_ttl",
            FieldType::String,
            "The max lease TTL for this mount (tune).",
        )
        .field(
            "audit_non_hmac_request_keys",
            FieldType::CommaStringSlice,
            "Keys not HMAC'd in audit request data (tune).",
        )
        .field(
            "audit_non_hmac_response_keys",
            FieldType::CommaStringSlice,
            "Keys not HMAC'd in audit response data (tune).",
        )
        .field(
            "listing_visibility",
            FieldType::String,
            "Whether to show this mount in the UI-specific listing endpoint (tune).",
        )
        .field(
            "passthrough_request_headers",
            FieldType::CommaStringSlice,
            "Request headers passed to the backend (tune).",
        )
        .field(
            "allowed_response_headers",
            FieldType::CommaStringSlice,
            "Response headers the backend may set (tune).",
        )
        .field(
            "token_type",
            FieldType::String,
            "The type of token to issue (auth methods).",
        )
        .field(
            "user_lockout_config",
            FieldType::Map,
            "User lockout configuration (auth methods).",
        )
        .help(
            match what {
                "auth method" => "Enable a new auth method, read or tune it, or disable it.",
                _ => "Mount a new secrets engine, read or tune it, or unmount it.",
            },
            "",
        )
}

/// Rekey (rotate the unseal key shares): `<prefix>/init`, `/update`, `/verify`.
pub(super) fn rekey_paths(prefix: &str) -> Vec<Path<SystemBackend>> {
    vec![
        Path::new(&format!("{prefix}/init"))
            .field(
                "secret_shares",
                FieldType::Int,
                "Specifies the number of shares to split the unseal key into.",
            )
            .field(
                "secret_threshold",
                FieldType::Int,
                "Specifies the number of shares required to reconstruct the unseal key.",
            )
            .field(
                "pgp_keys",
                FieldType::CommaStringSlice,
                "PGP keys to encrypt the new shares (unsupported).",
            )
            .field(
                "backup",
                FieldType::Bool,
                "Whether to store PGP-encrypted keys (unsupported).",
            )
            .field(
                "require_verification",
                FieldType::Bool,
                "Whether the new keys must be verified before use.",
            )
            .op(Operation::Read, h!(rekey_status))
            .op(Operation::Update, h!(rekey_init))
            .op(Operation::Delete, h!(rekey_cancel))
            .help(
                "Initialize, read status or cancel the rotation of the unseal key shares.",
                "",
            ),
        Path::new(&format!("{prefix}/update"))
            .field(
                "key",
                FieldType::String,
                "Specifies a single unseal key share.",
            )
            .field(
                "nonce",
                FieldType::String,
                "Specifies the nonce of the rotation attempt.",
            )
            .op(Operation::Update, h!(rekey_update))
            .help("Progress the rotation of the unseal key shares.", ""),
        Path::new(&format!("{prefix}/verify"))
            .field(
                "key",
                FieldType::String,
                "Specifies a single unseal share key from the new set of shares.",
            )
            .field(
                "nonce",
                FieldType::String,
                "Specifies the nonce of the verification.",
            )
            .op(Operation::Read, h!(rekey_verify_status))
            .op(Operation::Update, h!(rekey_verify_update))
            .op(Operation::Delete, h!(rekey_verify_cancel))
            .help("Verify the new unseal key shares.", ""),
    ]
}

/// Root token generation: `<prefix>/attempt` and `<prefix>/update`.
pub(super) fn generate_root_paths(prefix: &str) -> Vec<Path<SystemBackend>> {
    vec![
        Path::new(&format!("{prefix}/attempt"))
            .field(
                "otp",
                FieldType::String,
                "One-time password for encoding the root token.",
            )
            .field(
                "pgp_key",
                FieldType::String,
                "PGP key for encrypting the root token (unsupported).",
            )
            .op(Operation::Read, h!(generate_root_status))
            .op(Operation::Update, h!(generate_root_init))
            .op(Operation::Delete, h!(generate_root_cancel))
            .help("Read, start or cancel a root token generation.", ""),
        Path::new(&format!("{prefix}/update"))
            .field(
                "key",
                FieldType::String,
                "Specifies a single unseal key share.",
            )
            .field(
                "nonce",
                FieldType::String,
                "Specifies the nonce of the attempt.",
            )
            .op(Operation::Update, h!(generate_root_update))
            .help("Progress a root token generation.", ""),
    ]
}

pub(super) fn renew_path(pattern: &str) -> Path<SystemBackend> {
    Path::new(pattern)
        .field(
            "lease_id",
            FieldType::String,
            "The lease identifier to renew. This is included with a lease.",
        )
        .field(
            "url_lease_id",
            FieldType::String,
            "The lease identifier to renew.",
        )
        .field(
            "increment",
            FieldType::Duration,
            "The desired increment in seconds to the lease",
        )
        .op(Operation::Update, h!(lease_renew))
        .help("Renew a lease on a secret", "")
}

pub(super) fn revoke_path(pattern: &str) -> Path<SystemBackend> {
    Path::new(pattern)
        .field(
            "lease_id",
            FieldType::String,
            "The lease identifier to revoke.",
        )
        .field(
            "url_lease_id",
            FieldType::String,
            "The lease identifier to revoke.",
        )
        .field(
            "sync",
            FieldType::Bool,
            "Whether or not to perform the revocation synchronously",
        )
        .op(Operation::Update, h!(lease_revoke))
        .help("Revoke a leased secret immediately", "")
}

pub(super) fn revoke_prefix_path(pattern: &str, force: bool) -> Path<SystemBackend> {
    let p = Path::new(pattern).field(
        "prefix",
        FieldType::String,
        "The path to revoke keys under.",
    );
    if force {
        p.op(Operation::Update, h!(lease_revoke_force)).help(
            "Revoke all secrets generated in a given prefix, ignoring errors.",
            "",
        )
    } else {
        p.field(
            "sync",
            FieldType::Bool,
            "Whether or not to perform the revocation synchronously",
        )
        .op(Operation::Update, h!(lease_revoke_prefix))
        .help("Revoke all secrets generated in a given prefix", "")
    }
}

pub(super) fn hash_path(pattern: &str) -> Path<SystemBackend> {
    Path::new(pattern)
        .field(
            "urlalgorithm",
            FieldType::String,
            "Algorithm to use (POST URL parameter)",
        )
        .required_field("input", FieldType::String, "The base64-encoded input data")
        .field_default(
            "algorithm",
            FieldType::String,
            json!("sha2-256"),
            "Algorithm to use",
        )
        .field_default(
            "format",
            FieldType::String,
            json!("hex"),
            "Encoding format to use. Can be \"hex\" or \"base64\".",
        )
        .op(Operation::Update, h!(tools_hash))
        .help("Generate a hash sum for input data", "")
}

pub(super) fn random_path(pattern: &str) -> Path<SystemBackend> {
    Path::new(pattern)
        .field(
            "urlbytes",
            FieldType::String,
            "The number of bytes to generate (POST URL parameter)",
        )
        .field_default(
            "bytes",
            FieldType::Int,
            json!(32),
            "The number of bytes to generate (POST body parameter).",
        )
        .field_default(
            "format",
            FieldType::String,
            json!("base64"),
            "Encoding format to use. Can be \"hex\" or \"base64\".",
        )
        .field_default(
            "source",
            FieldType::String,
            json!("platform"),
            "Which system to source random data from.",
        )
        .op(Operation::Update, h!(tools_random))
        .help("Generate random bytes", "")
}
