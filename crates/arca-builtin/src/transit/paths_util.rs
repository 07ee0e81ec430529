//! hash and random: keyless utilities.

use arca_sdk::{Error, FieldData, Request, Response, Result};
use serde_json::{Map, Value};

use super::b64;
use super::hashes::HashAlg;
use super::keyring::parse_go_int;
use super::material;
use super::Transit;

/// Vault's `random.APIMaxBytes`.
const MAX_RANDOM_BYTES: i64 = 128 * 1024;

fn encode(format: &str, bytes: &[u8]) -> String {
    if format == "hex" {
        hex::encode(bytes)
    } else {
        b64::encode(bytes)
    }
}

fn is_source(s: &str) -> bool {
    matches!(s, "" | "platform" | "seal" | "all")
}

impl Transit {
    pub(super) async fn hash(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let Some(input) = d.str("input")? else {
            return Err(Error::invalid("input missing"));
        };
        let format = d.str("format")?.unwrap_or_else(|| "hex".into());
        let mut algorithm = d.string("urlalgorithm")?;
        if algorithm.is_empty() {
            algorithm = d.str("algorithm")?.unwrap_or_else(|| "sha2-256".into());
        }
        let input = b64::decode(&input)
            .map_err(|e| Error::invalid(format!("unable to decode input as base64: {e}")))?;
        if format != "hex" && format != "base64" {
            return Err(Error::invalid(format!(
                "unsupported encoding format {format}; must be \"hex\" or \"base64\""
            )));
        }
        let hash = HashAlg::from_name(&algorithm)
            .filter(|h| !matches!(h, HashAlg::None | HashAlg::Sha1))
            .ok_or_else(|| Error::invalid(format!("unsupported algorithm {algorithm}")))?;
        let sum = hash.hash(&input)?;
        let mut data = Map::new();
        data.insert("sum".into(), Value::String(encode(&format, &sum)));
        Ok(Some(Response::data(data)))
    }

    pub(super) async fn random(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        // Vault reads `random/<bytes>` and `random/<source>` from the same URL segment.
        let first = d.str("source")?;
        let second = d.str("urlbytes")?;
        let url_count = |s: &str| {
            parse_go_int(s).ok_or_else(|| {
                Error::invalid(format!(
                    "error parsing url-set byte count: strconv.Atoi: parsing {s:?}: invalid syntax"
                ))
            })
        };
        let (source, bytes) = match (first, second) {
            (None, _) => ("platform".to_string(), d.int("bytes")?.unwrap_or(32)),
            (Some(s), None) if is_source(&s) => (s, d.int("bytes")?.unwrap_or(32)),
            (Some(s), None) => ("platform".to_string(), url_count(&s)?),
            (Some(s), Some(b)) => (s, url_count(&b)?),
        };
        let format = d.str("format")?.unwrap_or_else(|| "base64".into());
        if bytes < 1 {
            return Err(Error::invalid("'bytes' cannot be less than 1"));
        }
        if bytes > MAX_RANDOM_BYTES {
            return Err(Error::invalid(format!(
                "'bytes' should be less than {MAX_RANDOM_BYTES}"
            )));
        }
        if format != "hex" && format != "base64" {
            return Err(Error::invalid(format!(
                "unsupported encoding format {format:?}; must be \"hex\" or \"base64\""
            )));
        }
        let mut warning = None;
        match source.as_str() {
            "" | "platform" | "all" => {}
            // Arca has no seal entropy source; Vault answers the same way without one.
            "seal" => {
                warning = Some("no seal/entropy augmentation available, using platform entropy source")
            }
            other => {
                return Err(Error::invalid(format!(
                    "unsupported entropy source {other:?}; must be \"platform\" or \"seal\", or \"all\""
                )))
            }
        }
        let random = material::random_bytes(bytes as usize)?;
        let mut data = Map::new();
        data.insert(
            "random_bytes".into(),
            Value::String(encode(&format, &random)),
        );
        let mut resp = Response::data(data);
        if let Some(w) = warning {
            resp.warnings.push(w.into());
        }
        Ok(Some(resp))
    }
}
