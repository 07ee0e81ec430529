//! hmac and HMAC verification (reached through verify): `vault:v<n>:<base64>` HMACs with a
//! key version's HMAC key (the key itself for `hmac` keys).

use arca_sdk::{Error, FieldData, Request, Response, Result};
use aws_lc_rs::constant_time;
use serde_json::{Map, Value};

use super::b64;
use super::batch;
use super::error::{OpError, OpResult};
use super::hashes::HashAlg;
use super::keyring::{parse_go_int, Keyring};
use super::paths_sign::chosen_hash;
use super::{key_name, Transit};

/// Vault's `Policy.HMACKey`.
fn hmac_key(ring: &Keyring, version: i64) -> OpResult<&[u8]> {
    ring.check_not_soft_deleted()?;
    if version < 0 {
        return Err(OpError::user(
            "key version does not exist (cannot be negative)",
        ));
    }
    if version > ring.latest() {
        return Err(OpError::user(format!(
            "key version does not exist; latest key version is {}",
            ring.latest()
        )));
    }
    let key = ring.version(version)?;
    if key.hmac_key.is_empty() {
        return Err(OpError::user("no HMAC key exists for that key version"));
    }
    Ok(&key.hmac_key)
}

fn single_or_batch(
    is_batch: bool,
    results: Vec<(Map<String, Value>, Option<OpError>)>,
    single_key: &str,
) -> Result<Option<Response>> {
    if !is_batch {
        let (mut result, error) = results.into_iter().next().unwrap_or_default();
        if let Some(e) = error {
            return Err(e.into());
        }
        let mut data = Map::new();
        data.insert(
            single_key.into(),
            result.remove(single_key).unwrap_or(Value::Bool(false)),
        );
        return Ok(Some(Response::data(data)));
    }
    let mut data = Map::new();
    data.insert(
        "batch_results".into(),
        Value::Array(results.into_iter().map(|(r, _)| Value::Object(r)).collect()),
    );
    Ok(Some(Response::data(data)))
}

impl Transit {
    pub(super) async fn hmac(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let name = key_name(&d)?;
        let mut version = d.int("key_version")?.unwrap_or(0);
        let algorithm = {
            let url = d.string("urlalgorithm")?;
            if url.is_empty() {
                d.str("algorithm")?.unwrap_or_else(|| "sha2-256".into())
            } else {
                url
            }
        };
        let Some(ring) = self.key(&name).await? else {
            return Err(Error::invalid("encryption key not found"));
        };
        if version == 0 {
            version = ring.latest();
        } else if version != ring.latest()
            && ring.policy.min_encryption_version > 0
            && version < ring.policy.min_encryption_version
        {
            return Err(Error::invalid(
                "cannot generate HMAC: version is too old (disallowed by policy)",
            ));
        }
        let key = hmac_key(&ring, version)?;
        // Vault formats the failed lookup's zero value with %q.
        let hash = HashAlg::from_name(&algorithm)
            .ok_or_else(|| Error::invalid("unsupported algorithm '\\x00'"))?;
        hash.check_hmac()?;

        let batch = batch::items(&d)?;
        let single;
        let items: Vec<&Map<String, Value>> = match &batch {
            Some(list) => list.clone(),
            None => {
                let Some(input) = d.str("input")? else {
                    return Err(Error::invalid("missing input for HMAC"));
                };
                let mut m = Map::new();
                m.insert("input".into(), Value::String(input));
                single = m;
                vec![&single]
            }
        };
        let prefix = format!("vault:v{version}:");
        let mut results = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let mut result = Map::new();
            let computed = match batch::string(item, i, "input")? {
                None => Err(OpError::user("missing input for HMAC")),
                Some(raw) => b64::decode(&raw)
                    .map_err(|e| OpError::user(format!("unable to decode input as base64: {e}")))
                    .map(|input| {
                        let mut out = prefix.clone();
                        hash.hmac(key, &input).map(|mac| {
                            b64::encode_into(&mac, &mut out);
                            out
                        })
                    })
                    .and_then(|r| r),
            };
            let error = match computed {
                Ok(mac) => {
                    result.insert("hmac".into(), Value::String(mac));
                    None
                }
                Err(e) => {
                    result.insert("error".into(), Value::String(e.to_string()));
                    Some(e)
                }
            };
            if batch.is_some() {
                let reference = batch::string(item, i, "reference")?.unwrap_or_default();
                result.insert("reference".into(), Value::String(reference));
            }
            results.push((result, error));
        }
        single_or_batch(batch.is_some(), results, "hmac")
    }

    pub(super) async fn verify_hmac(
        &self,
        d: &FieldData<'_>,
        items: &[&Map<String, Value>],
        is_batch: bool,
    ) -> Result<Option<Response>> {
        let name = key_name(d)?;
        let algorithm = chosen_hash(d, &["hash_algorithm", "algorithm"])?;
        let Some(ring) = self.key(&name).await? else {
            return Err(Error::invalid("encryption key not found"));
        };
        let hash = HashAlg::from_name(&algorithm)
            .ok_or_else(|| Error::invalid(format!("invalid hash algorithm {algorithm:?}")))?;
        hash.check_hmac()?;
        let mut results = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let mut result = Map::new();
            let checked = self.check_hmac(&ring, hash, item, i)?;
            let error = match checked {
                // Vault omits `valid` when false in HMAC batch results.
                Ok(true) => {
                    result.insert("valid".into(), Value::Bool(true));
                    None
                }
                Ok(false) => None,
                Err(e) => {
                    result.insert("error".into(), Value::String(e.to_string()));
                    Some(e)
                }
            };
            if is_batch {
                let reference = batch::string(item, i, "reference")?.unwrap_or_default();
                result.insert("reference".into(), Value::String(reference));
            }
            results.push((result, error));
        }
        single_or_batch(is_batch, results, "valid")
    }

    fn check_hmac(
        &self,
        ring: &Keyring,
        hash: HashAlg,
        item: &Map<String, Value>,
        i: usize,
    ) -> Result<OpResult<bool>> {
        let Some(raw) = batch::string(item, i, "input")? else {
            return Ok(Err(OpError::user("missing input")));
        };
        let input = match b64::decode(&raw) {
            Ok(v) => v,
            Err(e) => {
                return Ok(Err(OpError::user(format!(
                    "unable to decode input as base64: {e}"
                ))))
            }
        };
        let Some(given) = batch::string(item, i, "hmac")? else {
            return Ok(Err(OpError::user("missing hmac")));
        };
        Ok((|| {
            let rest = given
                .strip_prefix("vault:v")
                .ok_or_else(|| OpError::user("invalid HMAC to verify: no prefix"))?;
            let (version, encoded) = rest
                .split_once(':')
                .ok_or_else(|| OpError::user("invalid HMAC: wrong number of fields"))?;
            let version = parse_go_int(version).ok_or_else(|| {
                OpError::user("invalid HMAC: version number could not be decoded")
            })?;
            let expected = b64::decode(encoded).map_err(|e| {
                OpError::user(format!("unable to decode verification HMAC as base64: {e}"))
            })?;
            if version > ring.latest() {
                return Err(OpError::user("invalid HMAC: version is too new"));
            }
            if ring.policy.min_decryption_version > 0
                && version < ring.policy.min_decryption_version
            {
                return Err(OpError::user(
                    "cannot verify HMAC: version is too old (disallowed by policy)",
                ));
            }
            let mac = hash.hmac(hmac_key(ring, version)?, &input)?;
            Ok(constant_time::verify_slices_are_equal(&mac, &expected).is_ok())
        })())
    }
}
