//! Version bookkeeping of KV v2, free of storage: the stored form of a key's metadata,
//! adding a version with `max_versions` trimming, check-and-set, `delete_version_after`,
//! and what deleted and destroyed mean. Everything here follows OpenBao's engine
//! (`AddVersion`, `validateCheckAndSetOption`, `deletionTime`) number for number.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Map, Value};

use arca_sdk::time::{go_duration, rfc3339_opt};

/// Versions kept per key when neither the key nor the mount says otherwise.
pub const DEFAULT_MAX_VERSIONS: u32 = 10;

/// `delete_version_after` of the mount config meaning "disabled for every key".
pub const DVA_DISABLED: i64 = -1;

/// The mount's `config` entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub max_versions: u32,
    pub cas_required: bool,
    pub metadata_cas_required: bool,
    /// Seconds; 0 unset, -1 disabled for every key.
    pub delete_version_after: i64,
}

impl Config {
    pub fn dva_disabled(&self) -> bool {
        self.delete_version_after == DVA_DISABLED
    }

    pub fn to_json(self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("cas_required".into(), json!(self.cas_required));
        m.insert(
            "delete_version_after".into(),
            json!(go_duration(self.delete_version_after)),
        );
        m.insert("max_versions".into(), json!(self.max_versions));
        m.insert(
            "metadata_cas_required".into(),
            json!(self.metadata_cas_required),
        );
        m
    }
}

/// One version's bookkeeping, kept in the key's metadata entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionMeta {
    /// Created, Unix nanoseconds.
    #[serde(rename = "c")]
    pub created: i64,
    /// When the version is (or was) deleted, Unix nanoseconds; may lie in the future when
    /// `delete_version_after` applies.
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub deletion: Option<i64>,
    #[serde(rename = "x", default, skip_serializing_if = "is_false")]
    pub destroyed: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

fn is_zero_i64(n: &i64) -> bool {
    *n == 0
}

/// A present JSON `null` is `Some(Null)`, an absent field `None`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl VersionMeta {
    /// Deleted: a deletion time that has passed.
    pub fn is_deleted(&self, now: i64) -> bool {
        self.deletion.is_some_and(|t| t < now)
    }

    /// Readable: neither deleted nor destroyed.
    pub fn is_live(&self, now: i64) -> bool {
        !self.destroyed && !self.is_deleted(now)
    }

    /// The `metadata` object of a data read or write.
    pub fn to_json(&self, version: u64, custom: &BTreeMap<String, String>) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(
            "created_time".into(),
            json!(rfc3339_opt(Some(self.created))),
        );
        m.insert("custom_metadata".into(), custom_metadata_json(custom));
        m.insert("deletion_time".into(), json!(rfc3339_opt(self.deletion)));
        m.insert("destroyed".into(), json!(self.destroyed));
        m.insert("version".into(), json!(version));
        m
    }
}

/// `custom_metadata` as OpenBao prints it: `null` when empty (a protobuf map has no
/// empty-but-present state).
pub fn custom_metadata_json(cm: &BTreeMap<String, String>) -> Value {
    if cm.is_empty() {
        Value::Null
    } else {
        Value::Object(
            cm.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    }
}

/// A key's metadata entry. It also holds the data of the current version, so that a read of
/// the latest version is one storage get and one JSON parse; older versions live in entries
/// of their own (one per version), so a write never rewrites them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KeyMeta {
    #[serde(rename = "cv", skip_serializing_if = "is_zero_u64")]
    pub current_version: u64,
    #[serde(rename = "ov", skip_serializing_if = "is_zero_u64")]
    pub oldest_version: u64,
    #[serde(rename = "ct", skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    #[serde(rename = "ut", skip_serializing_if = "Option::is_none")]
    pub updated: Option<i64>,
    #[serde(rename = "mv", skip_serializing_if = "is_zero_u32")]
    pub max_versions: u32,
    #[serde(rename = "cas", skip_serializing_if = "is_false")]
    pub cas_required: bool,
    #[serde(rename = "mcas", skip_serializing_if = "is_false")]
    pub metadata_cas_required: bool,
    /// Seconds, 0 unset.
    #[serde(rename = "dva", skip_serializing_if = "is_zero_i64")]
    pub delete_version_after: i64,
    #[serde(rename = "cm", skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_metadata: BTreeMap<String, String>,
    #[serde(rename = "mver", skip_serializing_if = "is_zero_u64")]
    pub metadata_version: u64,
    #[serde(rename = "v")]
    pub versions: BTreeMap<u64, VersionMeta>,
    /// The data of `current_version`; `None` when that version was destroyed (or none was
    /// ever written). A written `null` is `Some(Null)`.
    #[serde(
        rename = "data",
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub data: Option<Value>,
}

/// What adding a version changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    /// The new version's number.
    pub version: u64,
    /// Versions trimmed away by `max_versions`; their stored data must be deleted.
    pub removed: Vec<u64>,
    /// The previous current version, if it survived the trimming: its data must move from
    /// the metadata entry to a version entry of its own.
    pub previous: Option<u64>,
}

impl KeyMeta {
    pub fn new_key() -> KeyMeta {
        KeyMeta::default()
    }

    /// Adds a version created at `created` and trims the oldest ones beyond the effective
    /// maximum: the larger of the key's and the mount's `max_versions` (OpenBao), or 10.
    pub fn add_version(
        &mut self,
        created: i64,
        deletion: Option<i64>,
        config_max_versions: u32,
    ) -> Added {
        let previous_current = self.current_version;
        self.current_version += 1;
        self.versions.insert(
            self.current_version,
            VersionMeta {
                created,
                deletion,
                destroyed: false,
            },
        );
        self.updated = Some(created);
        if self.created.is_none() {
            self.created = Some(created);
        }
        let max = match self.max_versions.max(config_max_versions) {
            0 => DEFAULT_MAX_VERSIONS,
            m => m,
        };
        let mut removed = Vec::new();
        if (self.current_version - self.oldest_version) as u32 >= max {
            let to_delete = self.current_version - u64::from(max);
            for v in self.oldest_version..=to_delete {
                if self.versions.remove(&v).is_some() {
                    removed.push(v);
                }
            }
            self.oldest_version = to_delete + 1;
        }
        let previous = (previous_current > 0 && self.versions.contains_key(&previous_current))
            .then_some(previous_current);
        Added {
            version: self.current_version,
            removed,
            previous,
        }
    }

    /// The metadata read's body.
    pub fn to_json(&self) -> Map<String, Value> {
        let versions: Map<String, Value> = self
            .versions
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    json!({
                        "created_time": rfc3339_opt(Some(v.created)),
                        "deletion_time": rfc3339_opt(v.deletion),
                        "destroyed": v.destroyed,
                    }),
                )
            })
            .collect();
        let mut m = Map::new();
        m.insert("cas_required".into(), json!(self.cas_required));
        m.insert("created_time".into(), json!(rfc3339_opt(self.created)));
        m.insert(
            "current_metadata_version".into(),
            json!(self.metadata_version),
        );
        m.insert("current_version".into(), json!(self.current_version));
        m.insert(
            "custom_metadata".into(),
            custom_metadata_json(&self.custom_metadata),
        );
        m.insert(
            "delete_version_after".into(),
            json!(go_duration(self.delete_version_after)),
        );
        m.insert("max_versions".into(), json!(self.max_versions));
        m.insert(
            "metadata_cas_required".into(),
            json!(self.metadata_cas_required),
        );
        m.insert("oldest_version".into(), json!(self.oldest_version));
        m.insert("updated_time".into(), json!(rfc3339_opt(self.updated)));
        m.insert("versions".into(), Value::Object(versions));
        m
    }
}

/// When a version created (or undeleted) at `from` is deleted automatically: after the
/// smaller non-zero `delete_version_after` of mount and key; `None` when neither is set or
/// the mount disabled it.
pub fn deletion_time(from: i64, config: &Config, key_dva: i64) -> Option<i64> {
    if config.dva_disabled() {
        return None;
    }
    let mount = config.delete_version_after.max(0);
    let key = key_dva.max(0);
    let min = match (mount, key) {
        (0, 0) => return None,
        (0, k) => k,
        (m, 0) => m,
        (m, k) => m.min(k),
    };
    Some(from.saturating_add(min.saturating_mul(1_000_000_000)))
}

/// Why a check-and-set failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CasError {
    Unparsable,
    Mismatch,
    Required,
}

impl CasError {
    pub fn message(&self) -> &'static str {
        match self {
            CasError::Unparsable => "error parsing check-and-set parameter",
            CasError::Mismatch => "check-and-set parameter did not match the current version",
            CasError::Required => "check-and-set parameter required for this call",
        }
    }
}

/// OpenBao's `validateCheckAndSetOption`: `options.cas`, when given, must equal the current
/// version (0: the key must not exist yet); it must be given when the mount or key requires
/// it.
pub fn check_cas(
    options: Option<&Map<String, Value>>,
    config: &Config,
    meta: &KeyMeta,
) -> Result<(), CasError> {
    match options.and_then(|o| o.get("cas")) {
        Some(raw) => {
            let cas = crate::kv::fields::int(raw).map_err(|_| CasError::Unparsable)?;
            if cas as u64 != meta.current_version {
                return Err(CasError::Mismatch);
            }
            Ok(())
        }
        None if config.cas_required || meta.cas_required => Err(CasError::Required),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    fn meta_with(max: u32) -> KeyMeta {
        KeyMeta {
            max_versions: max,
            ..Default::default()
        }
    }

    #[test]
    fn max_versions_trims_the_oldest() {
        // Key max 2, mount unset: versions 2 and 3 remain after three writes.
        let mut m = meta_with(2);
        let a1 = m.add_version(S, None, 0);
        assert_eq!(
            (a1.version, a1.previous, a1.removed.clone()),
            (1, None, vec![])
        );
        let a2 = m.add_version(2 * S, None, 0);
        assert_eq!((a2.previous, a2.removed), (Some(1), vec![]));
        let a3 = m.add_version(3 * S, None, 0);
        assert_eq!(a3.removed, vec![1]);
        assert_eq!(a3.previous, Some(2));
        assert_eq!(m.versions.keys().copied().collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!((m.current_version, m.oldest_version), (3, 2));
        assert_eq!((m.created, m.updated), (Some(S), Some(3 * S)));
    }

    #[test]
    fn effective_max_is_the_larger_of_key_and_mount() {
        // As OpenBao 2.x: key 2, mount 3 keeps three versions (observed on bao 2.7.2).
        let mut m = meta_with(2);
        for i in 1..=5 {
            m.add_version(i * S, None, 3);
        }
        assert_eq!(
            m.versions.keys().copied().collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
        assert_eq!(m.oldest_version, 3);
        // Mount back to unset: the key's 2 applies on the next write.
        let a = m.add_version(6 * S, None, 0);
        assert_eq!(a.removed, vec![3, 4]);
        assert_eq!(m.versions.keys().copied().collect::<Vec<_>>(), vec![5, 6]);
        assert_eq!(m.oldest_version, 5);
    }

    #[test]
    fn default_is_ten_versions_and_one_keeps_only_the_current() {
        let mut m = KeyMeta::new_key();
        for i in 1..=12 {
            m.add_version(i * S, None, 0);
        }
        assert_eq!(m.versions.len(), 10);
        assert_eq!(m.versions.keys().next(), Some(&3));
        let mut one = meta_with(1);
        one.add_version(S, None, 0);
        let a = one.add_version(2 * S, None, 0);
        assert_eq!(a.removed, vec![1]);
        assert_eq!(
            a.previous, None,
            "the previous current was trimmed, nothing to move"
        );
    }

    #[test]
    fn check_and_set() {
        let config = Config::default();
        let mut m = KeyMeta::new_key();
        let opts = |cas: Value| {
            let mut o = Map::new();
            o.insert("cas".into(), cas);
            o
        };
        assert_eq!(check_cas(Some(&opts(json!(0))), &config, &m), Ok(()));
        assert_eq!(
            check_cas(Some(&opts(json!(1))), &config, &m),
            Err(CasError::Mismatch)
        );
        m.add_version(S, None, 0);
        assert_eq!(check_cas(Some(&opts(json!("1"))), &config, &m), Ok(()));
        assert_eq!(
            check_cas(Some(&opts(json!("abc"))), &config, &m),
            Err(CasError::Unparsable)
        );
        assert_eq!(check_cas(None, &config, &m), Ok(()));
        m.cas_required = true;
        assert_eq!(check_cas(None, &config, &m), Err(CasError::Required));
        let required = Config {
            cas_required: true,
            ..Default::default()
        };
        m.cas_required = false;
        assert_eq!(check_cas(None, &required, &m), Err(CasError::Required));
    }

    #[test]
    fn delete_version_after_takes_the_smaller_and_can_be_disabled() {
        let mut c = Config::default();
        assert_eq!(deletion_time(0, &c, 0), None);
        assert_eq!(deletion_time(0, &c, 60), Some(60 * S));
        c.delete_version_after = 30;
        assert_eq!(deletion_time(0, &c, 60), Some(30 * S));
        assert_eq!(deletion_time(0, &c, 0), Some(30 * S));
        c.delete_version_after = DVA_DISABLED;
        assert_eq!(deletion_time(0, &c, 60), None);
    }

    #[test]
    fn deleted_and_destroyed() {
        let v = VersionMeta {
            created: 0,
            deletion: Some(10),
            destroyed: false,
        };
        assert!(v.is_live(5), "a future deletion time is not deleted yet");
        assert!(!v.is_live(11));
        let d = VersionMeta {
            destroyed: true,
            deletion: None,
            created: 0,
        };
        assert!(!d.is_live(0));
    }

    #[test]
    fn stored_form_keeps_null_data_apart_from_no_data() {
        let mut m = KeyMeta::new_key();
        m.add_version(S, None, 0);
        m.data = Some(Value::Null);
        let bytes = serde_json::to_vec(&m).unwrap();
        let back: KeyMeta = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back.data, Some(Value::Null));
        m.data = None;
        let back: KeyMeta = serde_json::from_slice(&serde_json::to_vec(&m).unwrap()).unwrap();
        assert_eq!(back.data, None);
        assert_eq!(back, m);
    }
}
