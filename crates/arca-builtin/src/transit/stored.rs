//! Vault's serialised key policy (`keysutil.Policy` and `KeyEntry` JSON). Arca stores keys in
//! this shape and backups are exactly Vault's (`{"policy":…,"archived_keys":…}`), so a backup
//! taken from Vault or OpenBao restores into Arca and the other way round.
//!
//! Go writes `big.Int` values (EC scalars, RSA components) as bare JSON numbers of any size;
//! they are carried here as decimal text through `serde_json::value::RawValue`, never as
//! floats.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use zeroize::Zeroizing;

use super::{b64, gotime};

/// A non-negative integer of any size, as Go's `big.Int` JSON (a bare number).
#[derive(Clone, PartialEq, Eq)]
pub struct BigNum(pub Zeroizing<String>);

impl std::fmt::Debug for BigNum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BigNum(..)")
    }
}

impl Serialize for BigNum {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.0.as_str().to_owned()).map_err(S::Error::custom)?;
        let result = raw.serialize(s);
        let text: Box<str> = raw.into();
        drop(Zeroizing::new(text.into_string()));
        result
    }
}

impl<'de> Deserialize<'de> for BigNum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: Box<RawValue> = Deserialize::deserialize(d)?;
        let text: Box<str> = raw.into();
        let text = Zeroizing::new(text.into_string());
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(D::Error::custom("expected a non-negative integer"));
        }
        Ok(BigNum(text))
    }
}

/// Go's `[]byte` JSON: standard base64, `null` when nil.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Bytes(pub Zeroizing<Vec<u8>>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = Zeroizing::new(b64::encode(&self.0));
        s.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        b64::decode(&text)
            .map(|v| Bytes(Zeroizing::new(v)))
            .map_err(D::Error::custom)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct VersionStamp {
    pub time: String,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[allow(non_snake_case)]
pub struct StoredRsaPrecomputed {
    pub Dp: Option<BigNum>,
    pub Dq: Option<BigNum>,
    pub Qinv: Option<BigNum>,
    #[serde(default)]
    pub CRTValues: Vec<Box<RawValue>>,
}

/// Go's `rsa.PrivateKey` JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[allow(non_snake_case)]
pub struct StoredRsaPrivate {
    pub N: BigNum,
    pub E: i64,
    pub D: BigNum,
    pub Primes: Vec<BigNum>,
    #[serde(default)]
    pub Precomputed: Option<StoredRsaPrecomputed>,
}

/// Go's `rsa.PublicKey` JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[allow(non_snake_case)]
pub struct StoredRsaPublic {
    pub N: BigNum,
    pub E: i64,
}

fn go_zero_time() -> String {
    gotime::GO_ZERO_TIME.to_string()
}

/// One key version (`keysutil.KeyEntry`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredKeyEntry {
    #[serde(default)]
    pub key: Option<Bytes>,
    #[serde(default)]
    pub hmac_key: Option<Bytes>,
    #[serde(default = "go_zero_time")]
    pub time: String,
    #[serde(default)]
    pub ec_x: Option<BigNum>,
    #[serde(default)]
    pub ec_y: Option<BigNum>,
    #[serde(default)]
    pub ec_d: Option<BigNum>,
    #[serde(default)]
    pub rsa_key: Option<StoredRsaPrivate>,
    #[serde(default)]
    pub rsa_public_key: Option<StoredRsaPublic>,
    #[serde(default)]
    pub public_key: String,
    #[serde(default)]
    pub convergent_version: i64,
    #[serde(default)]
    pub creation_time: i64,
    #[serde(default)]
    pub certificate_chain: Option<Vec<Bytes>>,
    #[serde(default)]
    pub external_key_ref: String,
}

impl StoredKeyEntry {
    /// The empty slot Vault keeps at index 0 of an untrimmed archive.
    pub fn empty() -> StoredKeyEntry {
        StoredKeyEntry {
            key: None,
            hmac_key: None,
            time: go_zero_time(),
            ec_x: None,
            ec_y: None,
            ec_d: None,
            rsa_key: None,
            rsa_public_key: None,
            public_key: String::new(),
            convergent_version: 0,
            creation_time: 0,
            certificate_chain: None,
            external_key_ref: String::new(),
        }
    }
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// A key's policy (`keysutil.Policy`). In Arca's storage `keys` is left empty and each
/// version lives in its own entry; in a backup it holds the versions Vault keeps live.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct StoredPolicy {
    pub name: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub key_size: i64,
    #[serde(default)]
    pub keys: BTreeMap<String, StoredKeyEntry>,
    #[serde(default)]
    pub derived: bool,
    #[serde(default)]
    pub kdf: i64,
    #[serde(default)]
    pub convergent_encryption: bool,
    #[serde(default)]
    pub exportable: bool,
    #[serde(default)]
    pub min_decryption_version: i64,
    #[serde(default)]
    pub min_encryption_version: i64,
    #[serde(default)]
    pub latest_version: i64,
    #[serde(default)]
    pub archive_version: i64,
    #[serde(default)]
    pub archive_min_version: i64,
    #[serde(default)]
    pub min_available_version: i64,
    #[serde(default)]
    pub deletion_allowed: bool,
    #[serde(default)]
    pub convergent_version: i64,
    #[serde(rename = "type", default)]
    pub key_type: i64,
    #[serde(default)]
    pub backup_info: Option<VersionStamp>,
    #[serde(default)]
    pub restore_info: Option<VersionStamp>,
    #[serde(default)]
    pub allow_plaintext_backup: bool,
    #[serde(default)]
    pub version_template: String,
    #[serde(default)]
    pub storage_prefix: String,
    /// Nanoseconds, as Go's `time.Duration`.
    #[serde(default)]
    pub auto_rotate_period: i64,
    #[serde(rename = "Imported", default)]
    pub imported: bool,
    #[serde(rename = "AllowImportedKeyRotation", default)]
    pub allow_imported_key_rotation: bool,
    #[serde(default)]
    pub soft_deleted: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArchivedKeys {
    pub keys: Vec<StoredKeyEntry>,
}

/// Vault's backup document (`keysutil.KeyData`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyData {
    pub policy: StoredPolicy,
    pub archived_keys: Option<ArchivedKeys>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_numbers_survive_a_round_trip() {
        let text = r#"{"N":23596822280875447601995322637339523614371621778838336897857614737356356620932297764804400274141209309272227293712427776326948820795021540748158987909567693278681982046960099347817654619929099609869501389586667681084385924750871592089623236609143353909760722688273506604558200106408060022732689288459796892969,"E":65537}"#;
        let key: StoredRsaPublic = serde_json::from_str(text).unwrap();
        assert!(key
            .N
            .0
            .starts_with("2359682228087544760199532263733952361437162177"));
        assert_eq!(serde_json::to_string(&key).unwrap(), text);
        assert!(serde_json::from_str::<StoredRsaPublic>(r#"{"N":-5,"E":3}"#).is_err());
        assert!(serde_json::from_str::<StoredRsaPublic>(r#"{"N":1.5,"E":3}"#).is_err());
    }

    #[test]
    fn reads_an_openbao_entry() {
        let text = r#"{"key":"FMj/iWIv0NKo4YYmEW3vqJpBrdbW4MGJxlM8LHBTJkQ=","hmac_key":"L3VBoBMRJ1LW+aBTHuDxsNPIMFTmbHvWj2eOCsUKRQc=","time":"2026-11-28T23:12:41.259660205Z","ec_x":null,"ec_y":null,"ec_d":null,"rsa_key":null,"rsa_public_key":null,"public_key":"","convergent_version":0,"creation_time":1795907561,"certificate_chain":null,"external_key_ref":""}"#;
        let entry: StoredKeyEntry = serde_json::from_str(text).unwrap();
        assert_eq!(entry.key.as_ref().unwrap().0.len(), 32);
        assert_eq!(serde_json::to_string(&entry).unwrap(), text);
    }
}
