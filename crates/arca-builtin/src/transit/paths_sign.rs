//! sign and verify (signatures; verify hands HMACs to `paths_hmac`), single and batch.

use arca_sdk::{Error, FieldData, Request, Response, Result};
use serde_json::{json, Map, Value};

use super::b64;
use super::batch;
use super::error::OpError;
use super::hashes::HashAlg;
use super::keyring::parse_go_int;
use super::material::PssSalt;
use super::signing::{Marshaling, SignOptions};
use super::{key_name, Transit};

/// The hash algorithm: from the URL, else `hash_algorithm`, else the deprecated
/// `algorithm`, as Vault picks it.
pub fn chosen_hash(d: &FieldData<'_>, fields: &[&str]) -> Result<String> {
    let url = d.string("urlalgorithm")?;
    if !url.is_empty() {
        return Ok(url);
    }
    for field in fields {
        let value = d.str(field)?.unwrap_or_else(|| "sha2-256".into());
        if !value.is_empty() {
            return Ok(value);
        }
    }
    Ok("sha2-256".into())
}

/// Vault's `getSaltLength`: "auto", "hash" or an integer (-1 is "hash", 0 is "auto").
fn parse_salt(raw: &str) -> Result<PssSalt> {
    match raw.to_lowercase().as_str() {
        "auto" => Ok(PssSalt::Auto),
        "hash" => Ok(PssSalt::Hash),
        other => {
            let n = parse_go_int(other).ok_or_else(|| {
                Error::invalid(format!(
                    "salt length neither 'auto', 'hash', nor an int: {raw}"
                ))
            })?;
            match n {
                n if n < -1 => Err(Error::invalid(format!("salt length is invalid: {n}"))),
                -1 => Ok(PssSalt::Hash),
                0 => Ok(PssSalt::Auto),
                n => u16::try_from(n)
                    .map(PssSalt::Len)
                    .map_err(|_| Error::invalid(format!("requested salt length {n} is invalid"))),
            }
        }
    }
}

struct SignRequest {
    opts: SignOptions,
    prehashed: bool,
}

fn sign_request(d: &FieldData<'_>) -> Result<SignRequest> {
    let hash_name = chosen_hash(d, &["hash_algorithm", "algorithm"])?;
    let hash = HashAlg::from_name(&hash_name)
        .ok_or_else(|| Error::invalid(format!("invalid hash algorithm {hash_name:?}")))?;
    let marshaling_name = d
        .str("marshaling_algorithm")?
        .unwrap_or_else(|| "asn1".into());
    let marshaling = Marshaling::from_name(&marshaling_name)
        .ok_or_else(|| Error::invalid(format!("invalid marshaling type {marshaling_name:?}")))?;
    let prehashed = d.bool("prehashed")?.unwrap_or(false);
    let signature_algorithm = d.string("signature_algorithm")?;
    let salt = parse_salt(&d.str("salt_length")?.unwrap_or_else(|| "auto".into()))?;
    Ok(SignRequest {
        opts: SignOptions {
            hash,
            marshaling,
            salt,
            signature_algorithm,
        },
        prehashed,
    })
}

fn check_none_hash(r: &SignRequest) -> Result<()> {
    if r.opts.hash == HashAlg::None && (!r.prehashed || r.opts.signature_algorithm != "pkcs1v15") {
        return Err(Error::invalid(
            "hash_algorithm=none requires both prehashed=true and signature_algorithm=pkcs1v15",
        ));
    }
    Ok(())
}

fn item_input(item: &Map<String, Value>, i: usize) -> Result<Option<String>> {
    batch::string(item, i, "input")
}

/// Decodes and (unless prehashed) hashes the input of one item.
fn prepared_input(
    r: &SignRequest,
    hashes_input: bool,
    raw: &str,
) -> std::result::Result<Vec<u8>, OpError> {
    let input = b64::decode(raw)
        .map_err(|e| OpError::user(format!("unable to decode input as base64: {e}")))?;
    if hashes_input && !r.prehashed {
        return r.opts.hash.hash(&input);
    }
    Ok(input)
}

fn decode_context(raw: &str) -> std::result::Result<Vec<u8>, OpError> {
    b64::decode(raw).map_err(|_| OpError::user("failed to base64-decode context"))
}

impl Transit {
    pub(super) async fn sign(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let name = key_name(&d)?;
        let version = d.int("key_version")?.unwrap_or(0);
        let r = sign_request(&d)?;
        let Some(ring) = self.key(&name).await? else {
            return Err(Error::invalid("signing key not found"));
        };
        if !ring.key_type.supports_signing() {
            return Err(Error::invalid(format!(
                "key type {} does not support signing",
                ring.key_type.name()
            )));
        }
        check_none_hash(&r)?;
        let batch = batch::items(&d)?;
        let single;
        let items: Vec<&Map<String, Value>> = match &batch {
            Some(list) => list.clone(),
            None => {
                let mut m = Map::new();
                m.insert("input".into(), Value::String(d.string("input")?));
                m.insert("context".into(), Value::String(d.string("context")?));
                single = m;
                vec![&single]
            }
        };
        let mut results = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let context_raw = batch::string(item, i, "context")?.unwrap_or_default();
            let signed = match item_input(item, i)? {
                None => Err(OpError::user("missing input")),
                Some(raw) => prepared_input(&r, ring.key_type.hashes_signature_input(), &raw)
                    .and_then(|input| {
                        let context = decode_context(&context_raw)?;
                        ring.sign(version, &context, &input, &r.opts)
                    }),
            };
            if batch.is_none() {
                let signed = signed.map_err(Error::from)?;
                let mut data = Map::new();
                data.insert("signature".into(), Value::String(signed.signature));
                data.insert("key_version".into(), json!(signed.version));
                if let Some(pk) = signed.public_key {
                    data.insert("public_key".into(), Value::String(b64::encode(&pk)));
                }
                return Ok(Some(Response::data(data)));
            }
            let mut result = Map::new();
            match signed {
                Ok(s) => {
                    result.insert("signature".into(), Value::String(s.signature));
                    result.insert("key_version".into(), json!(s.version));
                    if let Some(pk) = s.public_key {
                        result.insert("publickey".into(), Value::String(b64::encode(&pk)));
                    }
                }
                Err(e) => {
                    result.insert("key_version".into(), json!(0));
                    result.insert("error".into(), Value::String(e.to_string()));
                }
            }
            let reference = batch::string(item, i, "reference")?.unwrap_or_default();
            result.insert("reference".into(), Value::String(reference));
            results.push(Value::Object(result));
        }
        let mut data = Map::new();
        data.insert("batch_results".into(), Value::Array(results));
        Ok(Some(Response::data(data)))
    }

    pub(super) async fn verify(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let batch = batch::items(&d)?;
        let single;
        let items: Vec<&Map<String, Value>> = match &batch {
            Some(list) => list.clone(),
            None => {
                let mut m = Map::new();
                m.insert("input".into(), Value::String(d.string("input")?));
                if d.is_set("signature") {
                    m.insert("signature".into(), Value::String(d.string("signature")?));
                }
                if d.is_set("hmac") {
                    m.insert("hmac".into(), Value::String(d.string("hmac")?));
                }
                m.insert("context".into(), Value::String(d.string("context")?));
                single = m;
                vec![&single]
            }
        };
        let (mut sig_found, mut hmac_found, mut missing) = (false, false, false);
        for item in &items {
            if item.contains_key("signature") {
                sig_found = true;
            } else if item.contains_key("hmac") {
                hmac_found = true;
            } else {
                missing = true;
            }
        }
        let is_batch = batch.is_some();
        let refusal = match () {
            _ if !is_batch && sig_found && hmac_found => {
                Some("provide one of 'signature' or 'hmac'")
            }
            _ if !is_batch && !sig_found && !hmac_found => {
                Some("neither a 'signature' nor an 'hmac' were given to verify")
            }
            _ if sig_found && hmac_found => {
                Some("elements of batch_input must all provide 'signature' or all provide 'hmac'")
            }
            _ if missing && sig_found => {
                Some("some elements of batch_input are missing 'signature'")
            }
            _ if missing && hmac_found => Some("some elements of batch_input are missing 'hmac'"),
            _ if missing => Some("no batch_input elements have 'signature' or 'hmac'"),
            _ => None,
        };
        if let Some(msg) = refusal {
            return Err(Error::invalid(msg));
        }
        if hmac_found {
            return self.verify_hmac(&d, &items, is_batch).await;
        }

        let name = key_name(&d)?;
        let r = sign_request(&d)?;
        let Some(ring) = self.key(&name).await? else {
            return Err(Error::invalid("signature verification key not found"));
        };
        if !ring.key_type.supports_signing() {
            return Err(Error::invalid(format!(
                "key type {} does not support verification",
                ring.key_type.name()
            )));
        }
        check_none_hash(&r)?;
        let mut results = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let context_raw = batch::string(item, i, "context")?.unwrap_or_default();
            let checked = match item_input(item, i)? {
                None => Err(OpError::user("missing input")),
                Some(raw) => match batch::string(item, i, "signature")? {
                    None => Err(OpError::user("missing signature")),
                    Some(signature) => {
                        prepared_input(&r, ring.key_type.hashes_signature_input(), &raw).and_then(
                            |input| {
                                let context = decode_context(&context_raw)?;
                                ring.verify(&context, &input, &signature, &r.opts)
                            },
                        )
                    }
                },
            };
            if !is_batch {
                let valid = checked.map_err(Error::from)?;
                let mut data = Map::new();
                data.insert("valid".into(), Value::Bool(valid));
                return Ok(Some(Response::data(data)));
            }
            let mut result = Map::new();
            match checked {
                Ok(valid) => {
                    result.insert("valid".into(), Value::Bool(valid));
                }
                Err(e) => {
                    result.insert("valid".into(), Value::Bool(false));
                    result.insert("error".into(), Value::String(e.to_string()));
                }
            }
            let reference = batch::string(item, i, "reference")?.unwrap_or_default();
            result.insert("reference".into(), Value::String(reference));
            results.push(Value::Object(result));
        }
        let mut data = Map::new();
        data.insert("batch_results".into(), Value::Array(results));
        Ok(Some(Response::data(data)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salt_lengths_like_vault() {
        assert_eq!(parse_salt("auto").unwrap(), PssSalt::Auto);
        assert_eq!(parse_salt("HASH").unwrap(), PssSalt::Hash);
        assert_eq!(parse_salt("0").unwrap(), PssSalt::Auto);
        assert_eq!(parse_salt("-1").unwrap(), PssSalt::Hash);
        assert_eq!(parse_salt("20").unwrap(), PssSalt::Len(20));
        assert_eq!(
            parse_salt("foo").unwrap_err(),
            Error::invalid("salt length neither 'auto', 'hash', nor an int: foo")
        );
        assert_eq!(
            parse_salt("-2").unwrap_err(),
            Error::invalid("salt length is invalid: -2")
        );
    }
}
