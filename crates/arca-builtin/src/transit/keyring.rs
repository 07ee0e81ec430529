//! A named key as served from memory: its policy (Vault's fields, `keys` left empty) and its
//! live versions (those at or above `min_decryption_version`) with parsed material. A
//! keyring is immutable once built; changes build a new one that replaces it in the cache.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

use super::error::{OpError, OpResult};
use super::gotime::Stamp;
use super::keytype::KeyType;
use super::material::{self, Material};
use super::stored::{Bytes, StoredKeyEntry, StoredPolicy};

/// Vault's `ErrTooOld`.
pub const ERR_TOO_OLD: &str = "ciphertext or signature version is disallowed by policy (too old)";
/// Vault's `ErrSoftDeleted`.
pub const ERR_SOFT_DELETED: &str = "refusing to use soft-deleted key";
pub const CURRENT_CONVERGENT_VERSION: i64 = 3;
/// Vault's KDF numbers: 0 is the legacy HMAC-SHA256 counter mode, 1 HKDF-SHA256.
pub const KDF_HMAC_SHA256_COUNTER: i64 = 0;
pub const KDF_HKDF_SHA256: i64 = 1;
const DEFAULT_VERSION_TEMPLATE: &str = "vault:v{{version}}:";

pub struct KeyVersion {
    pub created: Stamp,
    /// Vault's deprecated `creation_time` (Unix seconds), shown for symmetric keys.
    pub creation_unix: i64,
    pub hmac_key: Zeroizing<Vec<u8>>,
    pub convergent_version: i64,
    /// The public key as Vault formats it (PEM for EC, base64 for Ed25519).
    pub public_key: String,
    pub certificate_chain: Vec<Vec<u8>>,
    pub material: Material,
}

impl KeyVersion {
    pub fn from_stored(kt: KeyType, derived: bool, entry: &StoredKeyEntry) -> OpResult<KeyVersion> {
        let material = material::from_stored(kt, derived, entry)?;
        let created = Stamp::parse(&entry.time)
            .filter(|s| s.unix > 0)
            .unwrap_or_else(|| Stamp::from_unix(entry.creation_time, 0));
        let hmac_key = match (&material, &entry.hmac_key) {
            (Material::Hmac { raw }, _) => raw.clone(),
            (_, Some(k)) => k.0.clone(),
            (_, None) => Zeroizing::new(Vec::new()),
        };
        Ok(KeyVersion {
            created,
            creation_unix: entry.creation_time,
            hmac_key,
            convergent_version: entry.convergent_version,
            public_key: entry.public_key.clone(),
            certificate_chain: entry
                .certificate_chain
                .iter()
                .flatten()
                .map(|c| c.0.to_vec())
                .collect(),
            material,
        })
    }
}

pub struct Keyring {
    pub policy: StoredPolicy,
    pub key_type: KeyType,
    pub versions: BTreeMap<i64, Arc<KeyVersion>>,
}

/// Options of a key being created.
pub struct NewKey {
    pub name: String,
    pub key_type: KeyType,
    pub derived: bool,
    pub convergent: bool,
    pub exportable: bool,
    pub allow_plaintext_backup: bool,
    pub auto_rotate_period: Duration,
    pub key_size: usize,
}

impl Keyring {
    /// An empty keyring for a new key; `rotated` adds its first version.
    pub fn new(opts: &NewKey) -> Keyring {
        let mut policy = StoredPolicy {
            name: opts.name.clone(),
            key_type: opts.key_type.stored_id(),
            derived: opts.derived,
            exportable: opts.exportable,
            allow_plaintext_backup: opts.allow_plaintext_backup,
            auto_rotate_period: opts.auto_rotate_period.as_nanos() as i64,
            key_size: if opts.key_type == KeyType::Hmac {
                opts.key_size as i64
            } else {
                0
            },
            ..Default::default()
        };
        if opts.derived {
            policy.kdf = KDF_HKDF_SHA256;
            if opts.convergent {
                policy.convergent_encryption = true;
                // From convergent version 3 on the version lives in each key entry.
                policy.convergent_version = -1;
            }
        }
        Keyring {
            policy,
            key_type: opts.key_type,
            versions: BTreeMap::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.policy.name
    }

    pub fn latest(&self) -> i64 {
        self.policy.latest_version
    }

    pub fn auto_rotate_period(&self) -> Duration {
        Duration::from_nanos(self.policy.auto_rotate_period.max(0) as u64)
    }

    /// The lowest version kept in memory.
    pub fn first_live_version(policy: &StoredPolicy) -> i64 {
        policy
            .min_decryption_version
            .max(policy.min_available_version)
            .max(1)
    }

    /// A copy of the policy and versions, for building a changed keyring.
    pub fn clone_shallow(&self) -> Keyring {
        Keyring {
            policy: self.policy.clone(),
            key_type: self.key_type,
            versions: self.versions.clone(),
        }
    }

    pub fn check_not_soft_deleted(&self) -> OpResult<()> {
        if self.policy.soft_deleted {
            return Err(OpError::user(ERR_SOFT_DELETED));
        }
        Ok(())
    }

    /// The key with a new latest version, and that version's stored form.
    pub fn rotated(&self) -> OpResult<(Keyring, StoredKeyEntry)> {
        self.check_not_soft_deleted()?;
        if self.key_type == KeyType::Hmac
            && !(super::keytype::HMAC_MIN_KEY_SIZE..=super::keytype::HMAC_MAX_KEY_SIZE)
                .contains(&(self.policy.key_size as usize))
        {
            return Err(OpError::user(format!(
                "invalid key size for HMAC key, must be between {} and {} bytes",
                super::keytype::HMAC_MIN_KEY_SIZE,
                super::keytype::HMAC_MAX_KEY_SIZE
            )));
        }
        let generated = material::generate(
            self.key_type,
            self.policy.key_size.max(0) as usize,
            self.policy.derived,
        )?;
        let mut entry = generated.entry;
        let now = Stamp::now();
        entry.time = now.text.clone();
        entry.creation_time = now.unix;
        entry.hmac_key = Some(match &generated.material {
            Material::Hmac { raw } => Bytes(raw.clone()),
            _ => Bytes(material::random_bytes(32)?),
        });
        if self.policy.convergent_encryption
            && (self.policy.convergent_version == -1 || self.policy.convergent_version > 1)
        {
            entry.convergent_version = CURRENT_CONVERGENT_VERSION;
        }
        let mut next = self.clone_shallow();
        next.policy.latest_version += 1;
        if next.policy.min_decryption_version == 0 {
            next.policy.min_decryption_version = 1;
        }
        next.policy.imported = false;
        next.sync_archive_fields();
        let number = next.policy.latest_version;
        let version = KeyVersion {
            created: now,
            creation_unix: entry.creation_time,
            hmac_key: entry
                .hmac_key
                .as_ref()
                .map(|k| k.0.clone())
                .unwrap_or_default(),
            convergent_version: entry.convergent_version,
            public_key: entry.public_key.clone(),
            certificate_chain: Vec::new(),
            material: generated.material,
        };
        next.versions.insert(number, Arc::new(version));
        Ok((next, entry))
    }

    /// Keeps Vault's archive bookkeeping consistent with Arca's per-version storage, so a
    /// backup of this policy restores in Vault.
    pub fn sync_archive_fields(&mut self) {
        self.policy.archive_version = self.policy.latest_version;
        self.policy.archive_min_version = self.policy.min_available_version;
    }

    pub fn version(&self, number: i64) -> OpResult<&Arc<KeyVersion>> {
        self.versions
            .get(&number)
            .ok_or_else(|| OpError::user("no such key version"))
    }

    /// Vault's `convergentVersion`: 0 unless convergent; the per-entry version wins.
    pub fn convergent_version_of(&self, number: i64) -> i64 {
        if !self.policy.convergent_encryption {
            return 0;
        }
        let mut version = self.policy.convergent_version;
        if version == 0 {
            version = 1;
        }
        match self.versions.get(&number) {
            Some(v) if v.convergent_version != 0 => v.convergent_version,
            _ => version,
        }
    }

    fn template_parts(&self) -> OpResult<(&str, &str)> {
        let template = if self.policy.version_template.is_empty() {
            DEFAULT_VERSION_TEMPLATE
        } else {
            &self.policy.version_template
        };
        let mut parts = template.split("{{version}}");
        match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), None) => Ok((a, b)),
            _ => Err(OpError::internal("error parsing version template")),
        }
    }

    /// `vault:v<version>:` (or the key's own template).
    pub fn version_prefix(&self, number: i64) -> String {
        match self.template_parts() {
            Ok((a, b)) if !self.policy.version_template.is_empty() => format!("{a}{number}{b}"),
            _ => format!("vault:v{number}:"),
        }
    }

    /// Splits `<prefix><version><sep><payload>`; `what` is "ciphertext" or "signature".
    pub fn split_versioned<'a>(&self, value: &'a str, what: &str) -> OpResult<(i64, &'a str)> {
        let (head, sep) = self.template_parts()?;
        let rest = value
            .strip_prefix(head)
            .ok_or_else(|| OpError::user(format!("invalid {what}: no prefix")))?;
        let (version, payload) = rest
            .split_once(sep)
            .filter(|_| !sep.is_empty())
            .ok_or_else(|| OpError::user(format!("invalid {what}: wrong number of fields")))?;
        let version: i64 = parse_go_int(version).ok_or_else(|| {
            OpError::user(format!(
                "invalid {what}: version number could not be decoded"
            ))
        })?;
        Ok((version, payload))
    }

    /// The encryption key for a version: the stored key, or one derived from the context.
    pub fn derived_key(
        &self,
        context: &[u8],
        number: i64,
        len: usize,
    ) -> OpResult<Zeroizing<Vec<u8>>> {
        self.check_not_soft_deleted()?;
        if !self.key_type.supports_derivation() {
            return Err(OpError::user(format!(
                "derivation not supported for key type {}",
                self.key_type.name()
            )));
        }
        if number <= 0 || number > self.latest() {
            return Err(OpError::user("invalid key version"));
        }
        if context.is_empty() {
            return Err(OpError::user("missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key"));
        }
        let version = self.version(number)?;
        let raw = match &version.material {
            Material::Aead { raw, .. } | Material::Ed25519 { raw, .. } => raw,
            _ => return Err(OpError::internal("unsupported key type for derivation")),
        };
        match self.policy.kdf {
            KDF_HKDF_SHA256 => material::hkdf_sha256(raw, context, len),
            KDF_HMAC_SHA256_COUNTER => Err(OpError::unsupported(
                "keys derived with the legacy hmac-sha256-counter KDF (Vault before 0.8)",
            )),
            _ => Err(OpError::internal("unsupported key derivation mode")),
        }
    }
}

/// Go's `strconv.Atoi`: optional sign, decimal digits, no spaces.
pub fn parse_go_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_key(kt: KeyType) -> Keyring {
        let ring = Keyring::new(&NewKey {
            name: "k".into(),
            key_type: kt,
            derived: false,
            convergent: false,
            exportable: false,
            allow_plaintext_backup: false,
            auto_rotate_period: Duration::ZERO,
            key_size: 0,
        });
        ring.rotated().unwrap().0
    }

    #[test]
    fn rotation_bumps_versions() {
        let ring = new_key(KeyType::Aes256Gcm96);
        assert_eq!(ring.latest(), 1);
        assert_eq!(ring.policy.min_decryption_version, 1);
        let (ring2, entry) = ring.rotated().unwrap();
        assert_eq!(ring2.latest(), 2);
        assert_eq!(ring2.versions.len(), 2);
        assert_eq!(entry.hmac_key.unwrap().0.len(), 32);
        assert_eq!(ring2.policy.archive_version, 2);
    }

    #[test]
    fn versioned_values_parse_like_vault() {
        let ring = new_key(KeyType::Aes256Gcm96);
        assert_eq!(ring.version_prefix(3), "vault:v3:");
        assert_eq!(
            ring.split_versioned("vault:v2:abc", "ciphertext").unwrap(),
            (2, "abc")
        );
        let cases = [
            ("foo", "invalid ciphertext: no prefix"),
            ("vault:v1", "invalid ciphertext: wrong number of fields"),
            (
                "vault:vx:YWJj",
                "invalid ciphertext: version number could not be decoded",
            ),
        ];
        for (input, msg) in cases {
            assert_eq!(
                ring.split_versioned(input, "ciphertext").unwrap_err(),
                OpError::user(msg),
                "{input}"
            );
        }
        assert_eq!(parse_go_int("+5"), Some(5));
        assert_eq!(parse_go_int("-5"), Some(-5));
        assert_eq!(parse_go_int(" 5"), None);
    }

    #[test]
    fn hmac_keys_need_a_size() {
        let ring = Keyring::new(&NewKey {
            name: "h".into(),
            key_type: KeyType::Hmac,
            derived: false,
            convergent: false,
            exportable: false,
            allow_plaintext_backup: false,
            auto_rotate_period: Duration::ZERO,
            key_size: 0,
        });
        assert_eq!(
            ring.rotated().err().unwrap(),
            OpError::user("invalid key size for HMAC key, must be between 32 and 512 bytes")
        );
    }
}
