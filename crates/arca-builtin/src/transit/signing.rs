//! Signing and verification with a keyring, following Vault's `SignWithOptions` and
//! `VerifySignatureWithOptions`: ECDSA (ASN.1 or JWS marshaling), Ed25519 (plain or derived
//! from a context) and RSA (PSS or PKCS#1 v1.5). The caller hashes the input first.

use super::b64;
use super::der;
use super::error::{OpError, OpResult};
use super::hashes::HashAlg;
use super::keyring::{Keyring, ERR_TOO_OLD};
use super::keytype::KeyType;
use super::material::{self, Material, PssSalt};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marshaling {
    Asn1,
    Jws,
}

impl Marshaling {
    pub fn from_name(name: &str) -> Option<Marshaling> {
        match name {
            "asn1" => Some(Marshaling::Asn1),
            "jws" => Some(Marshaling::Jws),
            _ => None,
        }
    }
}

pub struct SignOptions {
    pub hash: HashAlg,
    pub marshaling: Marshaling,
    pub salt: PssSalt,
    /// "", "pss" or "pkcs1v15".
    pub signature_algorithm: String,
}

impl SignOptions {
    /// `None` for PKCS#1 v1.5, the salt for PSS.
    fn rsa_padding(&self) -> OpResult<Option<PssSalt>> {
        match self.signature_algorithm.as_str() {
            "" | "pss" => Ok(Some(self.salt)),
            "pkcs1v15" => Ok(None),
            other => Err(OpError::user(format!(
                "unsupported rsa signature algorithm {other}"
            ))),
        }
    }
}

pub struct Signed {
    pub signature: String,
    pub version: i64,
    /// The derived public key (derived Ed25519 keys only).
    pub public_key: Option<Vec<u8>>,
}

impl Keyring {
    pub fn sign(
        &self,
        requested_version: i64,
        context: &[u8],
        input: &[u8],
        opts: &SignOptions,
    ) -> OpResult<Signed> {
        self.check_not_soft_deleted()?;
        if !self.key_type.supports_signing() {
            return Err(OpError::user(format!(
                "message signing not supported for key type {}",
                self.key_type.name()
            )));
        }
        let version = match requested_version {
            0 => self.latest(),
            v if v < 0 => return Err(OpError::user("requested version for signing is negative")),
            v if v > self.latest() => {
                return Err(OpError::user(
                    "requested version for signing is higher than the latest key version",
                ))
            }
            v if self.policy.min_encryption_version > 0
                && v < self.policy.min_encryption_version =>
            {
                return Err(OpError::user(
                    "requested version for signing is less than the minimum encryption key version",
                ))
            }
            v => v,
        };
        let key = self.version(version)?;
        let mut public_key = None;
        let sig = match &key.material {
            Material::Ecdsa(ec) => {
                let asn1 = ec.sign(self.key_type, input)?;
                match opts.marshaling {
                    Marshaling::Asn1 => asn1,
                    Marshaling::Jws => jws_from_asn1(self.key_type, &asn1)?,
                }
            }
            Material::Ed25519 { pair, .. } => {
                if self.policy.derived {
                    let derived = self.derived_ed25519(context, version)?;
                    public_key = Some(
                        aws_lc_rs::signature::KeyPair::public_key(&derived)
                            .as_ref()
                            .to_vec(),
                    );
                    derived.sign(input).as_ref().to_vec()
                } else {
                    pair.sign(input).as_ref().to_vec()
                }
            }
            Material::Rsa(rsa) => rsa.sign(opts.hash, input, opts.rsa_padding()?)?,
            _ => {
                return Err(OpError::internal(format!(
                    "unsupported key type {}",
                    self.key_type.name()
                )))
            }
        };
        let encoded = match opts.marshaling {
            Marshaling::Asn1 => b64::encode(&sig),
            Marshaling::Jws => b64::encode_url(&sig),
        };
        Ok(Signed {
            signature: format!("{}{}", self.version_prefix(version), encoded),
            version,
            public_key,
        })
    }

    pub fn verify(
        &self,
        context: &[u8],
        input: &[u8],
        signature: &str,
        opts: &SignOptions,
    ) -> OpResult<bool> {
        self.check_not_soft_deleted()?;
        if !self.key_type.supports_signing() {
            return Err(OpError::user(format!(
                "message verification not supported for key type {}",
                self.key_type.name()
            )));
        }
        let (version, payload) = self.split_versioned(signature, "signature")?;
        if version > self.latest() {
            return Err(OpError::user("invalid signature: version is too new"));
        }
        if self.policy.min_decryption_version > 0 && version < self.policy.min_decryption_version {
            return Err(OpError::user(ERR_TOO_OLD));
        }
        let sig = match opts.marshaling {
            Marshaling::Asn1 => b64::decode(payload).ok(),
            Marshaling::Jws => b64::decode_url(payload),
        }
        .ok_or_else(|| OpError::user("invalid base64 signature value"))?;
        match self.key_type {
            KeyType::EcdsaP256 | KeyType::EcdsaP384 | KeyType::EcdsaP521 => {
                let (negative, r, s) = match opts.marshaling {
                    Marshaling::Asn1 => der::parse_ecdsa_signature(&sig).map_err(|extra| {
                        OpError::user(if extra {
                            "supplied signature contains extra data"
                        } else {
                            "supplied signature is invalid"
                        })
                    })?,
                    Marshaling::Jws => {
                        let (r, s) = sig.split_at(sig.len() / 2);
                        (false, r.to_vec(), s.to_vec())
                    }
                };
                let Material::Ecdsa(ec) = &self.version(version)?.material else {
                    return Err(OpError::internal("key material does not match its type"));
                };
                if negative {
                    return Ok(false);
                }
                material::ecdsa_verify(self.key_type, &ec.point, input, &r, &s)
            }
            KeyType::Ed25519 => {
                let public = if self.policy.derived {
                    let pair = self.derived_ed25519(context, version)?;
                    aws_lc_rs::signature::KeyPair::public_key(&pair)
                        .as_ref()
                        .to_vec()
                } else {
                    let key = self.version(version)?;
                    b64::decode(&key.public_key).map_err(|e| OpError::internal(e.to_string()))?
                };
                Ok(material::ed25519_verify(&public, input, &sig))
            }
            _ => {
                let Material::Rsa(rsa) = &self.version(version)?.material else {
                    return Err(OpError::internal("key material does not match its type"));
                };
                rsa.verify(opts.hash, input, opts.rsa_padding()?, &sig)
            }
        }
    }
}

impl Keyring {
    /// The Ed25519 key pair of a derived key for a context (Vault seeds `GenerateKey` with
    /// the HKDF output).
    pub fn derived_ed25519(
        &self,
        context: &[u8],
        version: i64,
    ) -> OpResult<aws_lc_rs::signature::Ed25519KeyPair> {
        let seed = self
            .derived_key(context, version, 32)
            .map_err(|e| match e {
                OpError::User(m) => OpError::user(format!("error deriving key: {m}")),
                other => other,
            })?;
        material::ed25519_from_seed(&seed)
    }
}

/// Go's JWS marshaling: r and s as fixed-width big-endian halves.
fn jws_from_asn1(kt: KeyType, asn1: &[u8]) -> OpResult<Vec<u8>> {
    let (_, r, s) = der::parse_ecdsa_signature(asn1)
        .map_err(|_| OpError::internal("malformed ECDSA signature"))?;
    let width = material::ec_field_len(kt);
    let mut out = vec![0u8; width * 2];
    let r = r
        .iter()
        .skip_while(|b| **b == 0)
        .copied()
        .collect::<Vec<u8>>();
    let s = s
        .iter()
        .skip_while(|b| **b == 0)
        .copied()
        .collect::<Vec<u8>>();
    if r.len() > width || s.len() > width {
        return Err(OpError::internal("malformed ECDSA signature"));
    }
    out[width - r.len()..width].copy_from_slice(&r);
    out[2 * width - s.len()..].copy_from_slice(&s);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transit::tests_support::restored;

    /// Signatures made by OpenBao 2.7.2 verify in Arca with the keys restored from OpenBao's
    /// backups; derived Ed25519 signatures (deterministic) are reproduced byte for byte.
    #[tokio::test]
    async fn verifies_openbao_signatures() {
        let backups = [
            ("sged", include_str!("testdata/sged_backup.b64")),
            ("sgec256", include_str!("testdata/sgec256_backup.b64")),
            ("sgec384", include_str!("testdata/sgec384_backup.b64")),
            ("sgec521", include_str!("testdata/sgec521_backup.b64")),
            ("sgrsa", include_str!("testdata/sgrsa_backup.b64")),
        ];
        let mut rings = std::collections::HashMap::new();
        for (name, backup) in backups {
            rings.insert(name, restored(backup).await);
        }
        let input = b"hello world";
        let vectors = include_str!("testdata/sign_vectors.txt");
        for line in vectors.lines().filter(|l| !l.is_empty()) {
            let parts: Vec<&str> = line.split(' ').collect();
            let ring = &rings[parts[0]];
            let hash = HashAlg::from_name(parts[1]).unwrap();
            let opts = SignOptions {
                hash,
                marshaling: Marshaling::from_name(parts[3]).unwrap(),
                salt: PssSalt::Auto,
                signature_algorithm: if parts[2] == "-" {
                    String::new()
                } else {
                    parts[2].into()
                },
            };
            let context = if parts[4] == "-" {
                Vec::new()
            } else {
                b64::decode(parts[4]).unwrap()
            };
            let hashed = if ring.key_type.hashes_signature_input() {
                hash.hash(input).unwrap()
            } else {
                input.to_vec()
            };
            assert!(
                ring.verify(&context, &hashed, parts[5], &opts).unwrap(),
                "{line}"
            );
            assert!(
                !ring.verify(&context, b"other", parts[5], &opts).unwrap(),
                "{line}"
            );
            if ring.key_type == KeyType::Ed25519 {
                let signed = ring.sign(0, &context, &hashed, &opts).unwrap();
                assert_eq!(signed.signature, parts[5]);
                assert_eq!(b64::encode(&signed.public_key.unwrap()), parts[6]);
            }
        }
    }

    #[tokio::test]
    async fn jws_and_asn1_signatures_round_trip() {
        let ring = restored(include_str!("testdata/sgec521_backup.b64")).await;
        for marshaling in [Marshaling::Asn1, Marshaling::Jws] {
            let opts = SignOptions {
                hash: HashAlg::Sha2_512,
                marshaling,
                salt: PssSalt::Auto,
                signature_algorithm: String::new(),
            };
            let digest = HashAlg::Sha2_512.hash(b"m").unwrap();
            let signed = ring.sign(0, b"", &digest, &opts).unwrap();
            assert!(ring.verify(b"", &digest, &signed.signature, &opts).unwrap());
            if marshaling == Marshaling::Jws {
                let raw =
                    b64::decode_url(signed.signature.trim_start_matches("vault:v1:")).unwrap();
                assert_eq!(raw.len(), 132);
            }
        }
        let bad = SignOptions {
            hash: HashAlg::Sha2_256,
            marshaling: Marshaling::Asn1,
            salt: PssSalt::Auto,
            signature_algorithm: String::new(),
        };
        assert_eq!(
            ring.verify(b"", b"x", "vault:v1:AAAA", &bad).unwrap_err(),
            OpError::user("supplied signature is invalid")
        );
    }
}
