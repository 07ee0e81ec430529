//! encrypt, decrypt, rewrap and datakey: single requests and `batch_input`, with Vault's
//! per-item errors and batch status codes.

use arca_sdk::{Error, FieldData, Operation, Request, Response, Result};
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use super::b64;
use super::batch::{self, Outcome};
use super::error::OpError;
use super::keyring::NewKey;
use super::material;
use super::paths_config::{KeysConfig, KEYS_CONFIG_KEY};
use super::paths_keys::parse_key_type;
use super::{key_name, Transit};

/// One encrypt/decrypt/rewrap item as given by the client.
#[derive(Default)]
struct Item {
    /// Plaintext (base64) for encrypt, ciphertext otherwise.
    text: String,
    context: String,
    nonce: String,
    key_version: i64,
    associated_data: String,
    reference: String,
}

/// An item's plaintext, context and nonce after base64 decoding.
type DecodedItem = (Zeroizing<Vec<u8>>, Vec<u8>, Vec<u8>);

fn batch_item(item: &Map<String, Value>, i: usize, text_key: &str) -> Result<Item> {
    Ok(Item {
        text: batch::string(item, i, text_key)?.ok_or_else(|| {
            Error::invalid(format!(
                "failed to parse batch input: '[{i}].{text_key}' missing {}",
                if text_key == "plaintext" {
                    "plaintext to encrypt"
                } else {
                    "ciphertext to decrypt"
                }
            ))
        })?,
        context: batch::string(item, i, "context")?.unwrap_or_default(),
        nonce: batch::string(item, i, "nonce")?.unwrap_or_default(),
        key_version: batch::int(item, i, "key_version")?,
        associated_data: batch::string(item, i, "associated_data")?.unwrap_or_default(),
        reference: batch::string(item, i, "reference")?.unwrap_or_default(),
    })
}

/// Vault requires a context on every item or on none.
fn check_contexts(items: &[Item]) -> Result<bool> {
    let set = !items[0].context.is_empty();
    if items.iter().any(|i| i.context.is_empty() == set) {
        return Err(Error::invalid(
            "context should be set either in all the request blocks or in none",
        ));
    }
    Ok(set)
}

fn decode_go(value: &str) -> std::result::Result<Zeroizing<Vec<u8>>, OpError> {
    b64::decode(value)
        .map(Zeroizing::new)
        .map_err(|e| OpError::user(e.to_string()))
}

fn aad_for(
    ring: &super::keyring::Keyring,
    i: usize,
    encoded: &str,
) -> std::result::Result<Zeroizing<Vec<u8>>, OpError> {
    if encoded.is_empty() {
        return Ok(Zeroizing::new(Vec::new()));
    }
    if !ring.key_type.supports_associated_data() {
        return Err(OpError::user(format!(
            "'[{i}].associated_data' provided for non-AEAD cipher suite {}",
            ring.key_type.name()
        )));
    }
    decode_go(encoded).map_err(|e| {
        OpError::user(format!(
            "unable to get associated_data/additional_data from factory[0]: {e}"
        ))
    })
}

fn finish(
    d: &FieldData<'_>,
    is_batch: bool,
    results: Vec<Map<String, Value>>,
    errors: Vec<Option<OpError>>,
    outcome: &Outcome,
) -> Result<Option<Response>> {
    if !is_batch {
        if let Some(Some(e)) = errors.into_iter().next() {
            return Err(e.into());
        }
        let data = results.into_iter().next().unwrap_or_default();
        return Ok(Some(Response::data(data)));
    }
    let mut data = Map::new();
    data.insert(
        "batch_results".into(),
        Value::Array(results.into_iter().map(Value::Object).collect()),
    );
    let mut resp = Response::data(data);
    outcome.apply(d, &mut resp)?;
    Ok(Some(resp))
}

impl Transit {
    pub(super) async fn encrypt_target_exists(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<bool> {
        let name = key_name(&d)?;
        Ok(self.key(&name).await?.is_some())
    }

    pub(super) async fn encrypt(
        &self,
        req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = key_name(&d)?;
        let batch = batch::items(&d)?;
        let items: Vec<Item> = match &batch {
            Some(list) => list
                .iter()
                .enumerate()
                .map(|(i, it)| batch_item(it, i, "plaintext"))
                .collect::<Result<_>>()?,
            None => {
                let Some(text) = d.str("plaintext")? else {
                    return Err(Error::invalid("missing plaintext to encrypt"));
                };
                vec![Item {
                    text,
                    context: d.string("context")?,
                    nonce: d.string("nonce")?,
                    key_version: d.int("key_version")?.unwrap_or(0),
                    associated_data: d.string("associated_data")?,
                    reference: String::new(),
                }]
            }
        };
        let context_set = check_contexts(&items)?;

        let mut outcome = Outcome::default();
        let mut errors: Vec<Option<OpError>> = vec![None; items.len()];
        let mut decoded: Vec<DecodedItem> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let parsed = decode_go(&item.text).and_then(|plain| {
                let context = decode_go(&item.context)?;
                let nonce = decode_go(&item.nonce)?;
                Ok((plain, context.to_vec(), nonce.to_vec()))
            });
            match parsed {
                Ok(p) => decoded.push(p),
                Err(e) => {
                    outcome.user_errors = true;
                    errors[i] = Some(e);
                    decoded.push(Default::default());
                }
            }
        }

        let ring = if req.operation == Operation::Create {
            let convergent = d.bool("convergent_encryption")?.unwrap_or(false);
            if convergent && !context_set {
                return Err(Error::invalid(
                    "convergent encryption requires derivation to be enabled, so context is required",
                ));
            }
            let config: KeysConfig = self.read_config(KEYS_CONFIG_KEY).await?;
            let type_name = d.str("type")?.unwrap_or_else(|| "aes256-gcm96".into());
            let key_type = match parse_key_type(&type_name) {
                Ok(t) if t.is_symmetric_aead() => t,
                Ok(t) if t.is_ecdsa() => {
                    return Err(Error::invalid(format!(
                        "key type {type_name} not supported for this operation"
                    )))
                }
                Err(e @ Error::Unsupported(_)) => return Err(e),
                _ => return Err(Error::invalid(format!("unknown key type {type_name}"))),
            };
            if config.disable_upsert {
                self.key(&name).await?
            } else {
                let opts = NewKey {
                    name: name.clone(),
                    key_type,
                    derived: context_set,
                    convergent,
                    exportable: false,
                    allow_plaintext_backup: false,
                    auto_rotate_period: Default::default(),
                    key_size: 0,
                };
                Some(self.upsert(&opts).await?.0)
            }
        } else {
            self.key(&name).await?
        };
        let Some(ring) = ring else {
            return Err(Error::invalid("encryption key not found"));
        };

        let mut results = Vec::with_capacity(items.len());
        for (i, (item, (plain, context, nonce))) in items.iter().zip(&decoded).enumerate() {
            let mut result = Map::new();
            if errors[i].is_none() {
                // Vault does not count a refused associated_data as a failed item.
                match aad_for(&ring, i, &item.associated_data) {
                    Err(e) => errors[i] = Some(e),
                    Ok(aad) => match ring.encrypt(item.key_version, context, nonce, plain, &aad) {
                        Ok((ciphertext, version)) => {
                            outcome.successes = true;
                            result.insert("ciphertext".into(), Value::String(ciphertext));
                            result.insert("key_version".into(), json!(version));
                        }
                        Err(e) => {
                            outcome.record(&e);
                            errors[i] = Some(e);
                        }
                    },
                }
            }
            if let Some(e) = &errors[i] {
                result.insert("error".into(), Value::String(e.to_string()));
            }
            if batch.is_some() {
                result.insert("reference".into(), Value::String(item.reference.clone()));
            }
            results.push(result);
        }
        finish(&d, batch.is_some(), results, errors, &outcome)
    }

    pub(super) async fn decrypt(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = key_name(&d)?;
        let batch = batch::items(&d)?;
        let items: Vec<Item> = match &batch {
            Some(list) => list
                .iter()
                .enumerate()
                .map(|(i, it)| batch_item(it, i, "ciphertext"))
                .collect::<Result<_>>()?,
            None => {
                let text = d.string("ciphertext")?;
                if text.is_empty() {
                    return Err(Error::invalid("missing ciphertext to decrypt"));
                }
                vec![Item {
                    text,
                    context: d.string("context")?,
                    associated_data: d.string("associated_data")?,
                    ..Default::default()
                }]
            }
        };
        check_contexts(&items)?;
        let mut outcome = Outcome::default();
        let mut errors: Vec<Option<OpError>> = vec![None; items.len()];
        let mut contexts = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if item.text.is_empty() {
                outcome.user_errors = true;
                errors[i] = Some(OpError::user("missing ciphertext to decrypt"));
                contexts.push(Zeroizing::new(Vec::new()));
                continue;
            }
            match decode_go(&item.context) {
                Ok(c) => contexts.push(c),
                Err(e) => {
                    outcome.user_errors = true;
                    errors[i] = Some(e);
                    contexts.push(Zeroizing::new(Vec::new()));
                }
            }
        }
        let Some(ring) = self.key(&name).await? else {
            return Err(Error::invalid("encryption key not found"));
        };
        let mut results = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let mut result = Map::new();
            let mut plaintext = String::new();
            if errors[i].is_none() {
                match aad_for(&ring, i, &item.associated_data) {
                    Err(e) => errors[i] = Some(e),
                    Ok(aad) => match ring.decrypt(&contexts[i], &item.text, &aad) {
                        Ok(plain) => {
                            outcome.successes = true;
                            plaintext = b64::encode(&plain);
                        }
                        Err(e) => {
                            outcome.record(&e);
                            errors[i] = Some(e);
                        }
                    },
                }
            }
            result.insert("plaintext".into(), Value::String(plaintext));
            if let Some(e) = &errors[i] {
                result.insert("error".into(), Value::String(e.to_string()));
            }
            if batch.is_some() {
                result.insert("reference".into(), Value::String(item.reference.clone()));
            }
            results.push(result);
        }
        finish(&d, batch.is_some(), results, errors, &outcome)
    }

    pub(super) async fn rewrap(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = key_name(&d)?;
        let batch = batch::items(&d)?;
        let items: Vec<Item> = match &batch {
            Some(list) => list
                .iter()
                .enumerate()
                .map(|(i, it)| {
                    Ok(Item {
                        text: batch::string(it, i, "ciphertext")?.unwrap_or_default(),
                        context: batch::string(it, i, "context")?.unwrap_or_default(),
                        key_version: batch::int(it, i, "key_version")?,
                        reference: batch::string(it, i, "reference")?.unwrap_or_default(),
                        ..Default::default()
                    })
                })
                .collect::<Result<_>>()?,
            None => {
                let text = d.string("ciphertext")?;
                if text.is_empty() {
                    return Err(Error::invalid("missing ciphertext to decrypt"));
                }
                vec![Item {
                    text,
                    context: d.string("context")?,
                    key_version: d.int("key_version")?.unwrap_or(0),
                    ..Default::default()
                }]
            }
        };
        check_contexts(&items)?;
        let Some(ring) = self.key(&name).await? else {
            return Err(Error::invalid("encryption key not found"));
        };
        let mut results = Vec::with_capacity(items.len());
        let mut errors: Vec<Option<OpError>> = vec![None; items.len()];
        for (i, item) in items.iter().enumerate() {
            let mut result = Map::new();
            let rewrapped = if item.text.is_empty() {
                Err(OpError::user("missing ciphertext to decrypt"))
            } else {
                decode_go(&item.context).and_then(|context| {
                    let plain = ring.decrypt(&context, &item.text, &[])?;
                    ring.encrypt(item.key_version, &context, &[], &plain, &[])
                })
            };
            match rewrapped {
                Ok((ciphertext, version)) => {
                    result.insert("ciphertext".into(), Value::String(ciphertext));
                    result.insert("key_version".into(), json!(version));
                }
                // Vault fails the whole request when a server-side error hits any item.
                Err(e) if e.is_internal() => return Err(e.into()),
                Err(e) => {
                    result.insert("error".into(), Value::String(e.to_string()));
                    errors[i] = Some(e);
                }
            }
            if batch.is_some() {
                result.insert("reference".into(), Value::String(item.reference.clone()));
            }
            results.push(result);
        }
        finish(&d, batch.is_some(), results, errors, &Outcome::default())
    }

    pub(super) async fn datakey(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = key_name(&d)?;
        let with_plaintext = match d.string("plaintext")?.as_str() {
            "plaintext" => true,
            "wrapped" => false,
            _ => {
                return Err(Error::invalid(
                    "Invalid path, must be 'plaintext' or 'wrapped'",
                ))
            }
        };
        let context = b64::decode(&d.string("context")?)
            .map_err(|_| Error::invalid("failed to base64-decode context"))?;
        let Some(ring) = self.key(&name).await? else {
            return Err(Error::invalid("encryption key not found"));
        };
        let len = match d.int("bits")?.unwrap_or(256) {
            128 => 16,
            256 => 32,
            512 => 64,
            _ => return Err(Error::invalid("invalid bit length")),
        };
        let new_key = material::random_bytes(len)?;
        let encoded_aad = d.string("associated_data")?;
        let aad = if encoded_aad.is_empty() {
            Zeroizing::new(Vec::new())
        } else {
            if !ring.key_type.supports_associated_data() {
                return Err(Error::invalid(format!(
                    "'associated_data' provided for non-AEAD cipher suite {}",
                    ring.key_type.name()
                )));
            }
            decode_go(&encoded_aad).map_err(|e| {
                Error::invalid(format!(
                    "unable to get associated_data/additional_data from factory[0]: {e}"
                ))
            })?
        };
        let version = d.int("key_version")?.unwrap_or(0);
        let (ciphertext, version) = ring.encrypt(version, &context, &[], &new_key, &aad)?;
        let mut data = Map::new();
        data.insert("ciphertext".into(), Value::String(ciphertext));
        data.insert("key_version".into(), json!(version));
        if with_plaintext {
            data.insert("plaintext".into(), Value::String(b64::encode(&new_key)));
        }
        Ok(Some(Response::data(data)))
    }
}
