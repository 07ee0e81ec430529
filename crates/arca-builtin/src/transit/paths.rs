//! The transit paths and their fields, in matching order (more specific routes first, as
//! Vault's "rotate/config before keys" ordering requires).

use arca_sdk::FieldType::{Any, Bool, Duration as Dur, Int, String as Str};
use arca_sdk::{FieldData, Operation, Path, Request};
use serde_json::json;

use super::Transit;

macro_rules! h {
    ($m:ident) => {
        |b: &Transit, r: &Request, d: FieldData<'_>| Box::pin(b.$m(r, d))
    };
}

const NAME: &str = "Name of the key";
const CONTEXT: &str =
    "Base64 encoded context for key derivation. Required if key derivation is enabled";
const BATCH: &str = "Specifies a list of items to be processed in a single batch; the output preserves the order of the input.";
const AAD: &str = "When using an AEAD cipher mode, such as AES-GCM, associated data that must be given again on decryption.";
const PARTIAL: &str =
    "HTTP status to return instead of 400 when some but not all batch items fail.";
const HASH_ALG: &str = "Hash algorithm to use: sha1, sha2-224, sha2-256, sha2-384, sha2-512, sha3-224, sha3-256, sha3-384, sha3-512, none.";
const SALT: &str = "The PSS salt length: 'auto', 'hash', or an integer.";

fn keys_paths() -> Vec<Path<Transit>> {
    vec![
        Path::new("keys")
            .field("after", Str, "Optional entry to list begin listing after, not required to exist.")
            .field("limit", Int, "Optional number of entries to return; defaults to all entries.")
            .op(Operation::List, h!(list_keys))
            .help("Managed named encryption keys", "Lists the named keys."),
        Path::new("keys/{name}/rotate")
            .field("name", Str, NAME)
            .field("external_key_ref", Str, "Reference to an external key (not available in Arca).")
            .op(Operation::Update, h!(rotate_key))
            .help("Rotate named encryption key", "Adds a new version of the named key; new encryptions use it, older versions still decrypt."),
        Path::new("keys/{name}/config")
            .field("name", Str, NAME)
            .field("min_decryption_version", Int, "The minimum version of the key allowed to decrypt or verify.")
            .field("min_encryption_version", Int, "The minimum version of the key allowed to encrypt or sign; 0 means only the latest.")
            .field("deletion_allowed", Bool, "Whether to allow deletion of the key")
            .field("exportable", Bool, "Enables export of the key. Once set, this cannot be disabled.")
            .field("allow_plaintext_backup", Bool, "Enables taking a backup of the named key in plaintext format. Once set, this cannot be disabled.")
            .field("auto_rotate_period", Dur, "Amount of time the key should live before being automatically rotated; 0 disables.")
            .op(Operation::Update, h!(configure_key))
            .help("Configure a named encryption key", "Adjusts the minimum versions, deletion, export, backup and automatic rotation of the key."),
        Path::new("keys/{name}/trim")
            .field("name", Str, NAME)
            .field("min_available_version", Int, "All versions before this one are permanently deleted.")
            .op(Operation::Update, h!(trim_key))
            .help("Trim key versions of a named key", "Permanently deletes the oldest versions of the key."),
        Path::new("keys/{name}/soft-delete")
            .field("name", Str, NAME)
            .op(Operation::Delete, h!(soft_delete_key))
            .help("Managed named encryption keys", "Marks the key as soft deleted: it keeps its configuration but cannot be used."),
        Path::new("keys/{name}/soft-delete-restore")
            .field("name", Str, NAME)
            .op(Operation::Update, h!(soft_delete_restore_key))
            .help("Managed named encryption keys", "Makes a soft-deleted key usable again."),
        Path::new("keys/{name}")
            .field("name", Str, NAME)
            .field_default("type", Str, json!("aes256-gcm96"), "The type of key to create.")
            .field("derived", Bool, "Enables key derivation mode: per-request keys derived from a context.")
            .field("convergent_encryption", Bool, "Whether to support convergent encryption (requires derived).")
            .field("exportable", Bool, "Enables keys to be exportable.")
            .field("allow_plaintext_backup", Bool, "Enables taking a backup of the named key in plaintext format. Once set, this cannot be disabled.")
            .field("context", Str, "Base64 encoded context: a read of a derived Ed25519 key returns the public key for it.")
            .field_default("auto_rotate_period", Dur, json!(0), "Amount of time the key should live before being automatically rotated; 0 disables.")
            .field_default("key_size", Int, json!(0), "The key size in bytes; only for HMAC keys (32 to 512).")
            .field("external_key_ref", Str, "Reference to an external key (not available in Arca).")
            .op(Operation::Read, h!(read_key))
            .op(Operation::Update, h!(create_key))
            .op(Operation::Delete, h!(delete_key))
            .help("Managed named encryption keys", "Creates, reads and deletes named keys."),
    ]
}

fn crypt_paths() -> Vec<Path<Transit>> {
    vec![
        Path::new("encrypt/{name}")
            .field("name", Str, NAME)
            .field("plaintext", Str, "Base64 encoded plaintext value to be encrypted")
            .field("context", Str, CONTEXT)
            .field("nonce", Str, "Base64 encoded nonce; refused for every key type current Vault creates.")
            .field_default("type", Str, json!("aes256-gcm96"), "The type of key to create when the key does not exist (upsert).")
            .field("convergent_encryption", Bool, "Whether the key created by an upsert supports convergent encryption.")
            .field("key_version", Int, "The version of the key to use for encryption; 0 for the latest.")
            .field("partial_failure_response_code", Int, PARTIAL)
            .field("associated_data", Str, AAD)
            .field("batch_input", Any, BATCH)
            .op(Operation::Create, h!(encrypt))
            .op(Operation::Update, h!(encrypt))
            .existence(|b: &Transit, r: &Request, d: FieldData<'_>| Box::pin(b.encrypt_target_exists(r, d)))
            .help("Encrypt a plaintext value or a batch of plaintext blocks using a named key", "Encrypts base64 plaintext with the named key."),
        Path::new("decrypt/{name}")
            .field("name", Str, NAME)
            .field("ciphertext", Str, "The ciphertext to decrypt, provided as returned by encrypt.")
            .field("context", Str, CONTEXT)
            .field("partial_failure_response_code", Int, PARTIAL)
            .field("associated_data", Str, AAD)
            .field("batch_input", Any, BATCH)
            .op(Operation::Update, h!(decrypt))
            .help("Decrypt a ciphertext value using a named key", "Decrypts a ciphertext; the plaintext is returned base64 encoded."),
        Path::new("rewrap/{name}")
            .field("name", Str, NAME)
            .field("ciphertext", Str, "Ciphertext value to rewrap")
            .field("context", Str, CONTEXT)
            .field("key_version", Int, "The version of the key to use for encryption; 0 for the latest.")
            .field("batch_input", Any, BATCH)
            .op(Operation::Update, h!(rewrap))
            .help("Rewrap ciphertext", "Re-encrypts ciphertext with the latest (or given) version of the key without revealing the plaintext."),
        Path::new("datakey/{plaintext}/{name}")
            .field("name", Str, "The backend key used for encrypting the data key")
            .field("plaintext", Str, "'plaintext' returns the key in both plaintext and ciphertext; 'wrapped' only the ciphertext.")
            .field("context", Str, "Context for key derivation. Required for derived keys.")
            .field_default("bits", Int, json!(256), "Number of bits for the key: 128, 256 or 512.")
            .field("key_version", Int, "The version of the key to use for encryption; 0 for the latest.")
            .field("associated_data", Str, AAD)
            .op(Operation::Update, h!(datakey))
            .help("Generate a data key", "Generates a random data key protected by the named key."),
    ]
}

fn sign_paths() -> Vec<Path<Transit>> {
    let sign = |pattern: &str| {
        Path::new(pattern)
            .field("name", Str, "The key to use")
            .field(
                "urlalgorithm",
                Str,
                "Hash algorithm to use (POST URL parameter)",
            )
            .field("input", Str, "The base64-encoded input data")
            .field("context", Str, CONTEXT)
            .field_default("hash_algorithm", Str, json!("sha2-256"), HASH_ALG)
            .field_default(
                "algorithm",
                Str,
                json!("sha2-256"),
                "Deprecated: use \"hash_algorithm\" instead.",
            )
            .field(
                "key_version",
                Int,
                "The version of the key to use for signing; 0 for the latest.",
            )
            .field(
                "prehashed",
                Bool,
                "Set to 'true' when the input is already hashed.",
            )
            .field(
                "signature_algorithm",
                Str,
                "The RSA signature algorithm: 'pss' (default) or 'pkcs1v15'.",
            )
            .field_default(
                "marshaling_algorithm",
                Str,
                json!("asn1"),
                "How to marshal the signature: 'asn1' or 'jws'.",
            )
            .field_default("salt_length", Str, json!("auto"), SALT)
            .field("batch_input", Any, BATCH)
            .op(Operation::Update, h!(sign))
            .help(
                "Generate a signature for input data using the named key",
                "Signs the input with the named key and hash algorithm.",
            )
    };
    let verify = |pattern: &str| {
        Path::new(pattern)
            .field("name", Str, "The key to use")
            .field(
                "urlalgorithm",
                Str,
                "Hash algorithm to use (POST URL parameter)",
            )
            .field("input", Str, "The base64-encoded input data to verify")
            .field("context", Str, CONTEXT)
            .field(
                "signature",
                Str,
                "The signature, including the vault:v<version>: header",
            )
            .field(
                "hmac",
                Str,
                "The HMAC, including the vault:v<version>: header",
            )
            .field_default("hash_algorithm", Str, json!("sha2-256"), HASH_ALG)
            .field_default(
                "algorithm",
                Str,
                json!("sha2-256"),
                "Deprecated: use \"hash_algorithm\" instead.",
            )
            .field(
                "prehashed",
                Bool,
                "Set to 'true' when the input is already hashed.",
            )
            .field(
                "signature_algorithm",
                Str,
                "The RSA signature algorithm: 'pss' (default) or 'pkcs1v15'.",
            )
            .field_default(
                "marshaling_algorithm",
                Str,
                json!("asn1"),
                "How the signature is marshaled: 'asn1' or 'jws'.",
            )
            .field_default("salt_length", Str, json!("auto"), SALT)
            .field("batch_input", Any, BATCH)
            .op(Operation::Update, h!(verify))
            .help(
                "Verify a signature or HMAC for input data created using the named key",
                "Verifies a signature or HMAC of the input.",
            )
    };
    let hmac = |pattern: &str| {
        Path::new(pattern)
            .field("name", Str, "The key to use for the HMAC function")
            .field("urlalgorithm", Str, "Algorithm to use (POST URL parameter)")
            .field("input", Str, "The base64-encoded input data")
            .field_default(
                "algorithm",
                Str,
                json!("sha2-256"),
                "Algorithm to use: sha2-224, sha2-256, sha2-384, sha2-512 (and sha1).",
            )
            .field(
                "key_version",
                Int,
                "The version of the key to use; 0 for the latest.",
            )
            .field("batch_input", Any, BATCH)
            .op(Operation::Update, h!(hmac))
            .help(
                "Generate an HMAC for input data using the named key",
                "Computes an HMAC of the input with the key's HMAC key.",
            )
    };
    vec![
        sign("sign/{name}/{urlalgorithm}"),
        sign("sign/{name}"),
        verify("verify/{name}/{urlalgorithm}"),
        verify("verify/{name}"),
        hmac("hmac/{name}/{urlalgorithm}"),
        hmac("hmac/{name}"),
    ]
}

fn util_paths() -> Vec<Path<Transit>> {
    let hash = |pattern: &str| {
        Path::new(pattern)
            .field("urlalgorithm", Str, "Algorithm to use (POST URL parameter)")
            .field("input", Str, "The base64-encoded input data")
            .field_default("algorithm", Str, json!("sha2-256"), "Algorithm to use: sha2-224, sha2-256, sha2-384, sha2-512, sha3-256, sha3-384, sha3-512.")
            .field_default("format", Str, json!("hex"), "Encoding format to use: hex or base64.")
            .op(Operation::Update, h!(hash))
            .help("Generate a hash sum for input data", "Hashes the input with the given algorithm.")
    };
    let random = |pattern: &str| {
        Path::new(pattern)
            .field(
                "source",
                Str,
                "Which system to source random data from: platform, seal or all.",
            )
            .field(
                "urlbytes",
                Str,
                "The number of bytes to generate (POST URL parameter)",
            )
            .field_default(
                "bytes",
                Int,
                json!(32),
                "The number of bytes to generate. Defaults to 32.",
            )
            .field_default(
                "format",
                Str,
                json!("base64"),
                "Encoding format to use: hex or base64.",
            )
            .op(Operation::Update, h!(random))
            .help(
                "Generate random bytes",
                "Returns high-entropy random bytes.",
            )
    };
    vec![
        hash("hash/{urlalgorithm}"),
        hash("hash"),
        random("random/{source}/{urlbytes}"),
        random("random/{source}"),
        random("random"),
    ]
}

fn export_paths() -> Vec<Path<Transit>> {
    let export = |pattern: &str| {
        Path::new(pattern)
            .field(
                "type",
                Str,
                "Type of key to export (encryption-key, signing-key, hmac-key, public-key)",
            )
            .field("name", Str, NAME)
            .field("version", Str, "Version of the key")
            .field(
                "format",
                Str,
                "Format: '' (default for the type), 'raw', 'der' or 'pem'.",
            )
            .op(Operation::Read, h!(export_key))
            .help(
                "Export named encryption or signing key",
                "Exports the named key if it is exportable.",
            )
    };
    vec![
        export("export/{type}/{name}/{version}"),
        export("export/{type}/{name}"),
        Path::new("backup/{name}")
            .field("name", Str, NAME)
            .op(Operation::Read, h!(backup_key))
            .help(
                "Backup the named key",
                "Returns a plaintext backup of the key (Vault's format).",
            ),
        Path::new("restore/{name}")
            .field("backup", Str, "Backed up key data to be restored.")
            .field(
                "name",
                Str,
                "If set, this will be the name of the restored key.",
            )
            .field("force", Bool, "Overwrite an existing key of the same name.")
            .op(Operation::Update, h!(restore_key))
            .help("Restore the named key", "Restores a key from a backup."),
        Path::new("restore")
            .field("backup", Str, "Backed up key data to be restored.")
            .field(
                "name",
                Str,
                "If set, this will be the name of the restored key.",
            )
            .field("force", Bool, "Overwrite an existing key of the same name.")
            .op(Operation::Update, h!(restore_key))
            .help("Restore the named key", "Restores a key from a backup."),
    ]
}

fn config_paths() -> Vec<Path<Transit>> {
    vec![
        Path::new("cache-config")
            .field_default(
                "size",
                Int,
                json!(0),
                "Size of cache, use 0 for an unlimited cache size, defaults to 0",
            )
            .op(Operation::Read, h!(read_cache_config))
            .op(Operation::Update, h!(write_cache_config))
            .help(
                "Configure caching strategy",
                "Configures and reads the size of the key cache; 0 means unlimited.",
            ),
        Path::new("config/keys")
            .field(
                "disable_upsert",
                Bool,
                "Whether to refuse creating keys on the encrypt endpoint.",
            )
            .op(Operation::Read, h!(read_keys_config))
            .op(Operation::Update, h!(write_keys_config))
            .help(
                "Configuration common across all keys",
                "Controls whether encrypt may create missing keys.",
            ),
    ]
}

pub fn all() -> Vec<Path<Transit>> {
    let mut paths = keys_paths();
    paths.extend(crypt_paths());
    paths.extend(sign_paths());
    paths.extend(util_paths());
    paths.extend(export_paths());
    paths.extend(config_paths());
    paths
}
