//! `sys/tools/hash` and `sys/tools/random`.

use super::*;

impl SystemBackend {
    pub(super) async fn tools_hash(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
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

    pub(super) async fn tools_random(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
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
