//! The hash algorithms transit accepts by Vault's names, mapped onto aws-lc-rs digests and
//! HMACs. SHA3-224 and the SHA3 HMACs have no aws-lc-rs implementation and are refused as
//! unsupported rather than written by hand.

use aws_lc_rs::{digest, hmac};

use super::error::{OpError, OpResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    None,
    Sha1,
    Sha2_224,
    Sha2_256,
    Sha2_384,
    Sha2_512,
    Sha3_224,
    Sha3_256,
    Sha3_384,
    Sha3_512,
}

impl HashAlg {
    /// Vault's `HashTypeMap`.
    pub fn from_name(name: &str) -> Option<HashAlg> {
        Some(match name {
            "none" => HashAlg::None,
            "sha1" => HashAlg::Sha1,
            "sha2-224" => HashAlg::Sha2_224,
            "sha2-256" => HashAlg::Sha2_256,
            "sha2-384" => HashAlg::Sha2_384,
            "sha2-512" => HashAlg::Sha2_512,
            "sha3-224" => HashAlg::Sha3_224,
            "sha3-256" => HashAlg::Sha3_256,
            "sha3-384" => HashAlg::Sha3_384,
            "sha3-512" => HashAlg::Sha3_512,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            HashAlg::None => "none",
            HashAlg::Sha1 => "sha1",
            HashAlg::Sha2_224 => "sha2-224",
            HashAlg::Sha2_256 => "sha2-256",
            HashAlg::Sha2_384 => "sha2-384",
            HashAlg::Sha2_512 => "sha2-512",
            HashAlg::Sha3_224 => "sha3-224",
            HashAlg::Sha3_256 => "sha3-256",
            HashAlg::Sha3_384 => "sha3-384",
            HashAlg::Sha3_512 => "sha3-512",
        }
    }

    /// The aws-lc-rs digest; `Ok(None)` for `none`.
    pub fn digest_algorithm(self) -> OpResult<Option<&'static digest::Algorithm>> {
        Ok(Some(match self {
            HashAlg::None => return Ok(None),
            HashAlg::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            HashAlg::Sha2_224 => &digest::SHA224,
            HashAlg::Sha2_256 => &digest::SHA256,
            HashAlg::Sha2_384 => &digest::SHA384,
            HashAlg::Sha2_512 => &digest::SHA512,
            HashAlg::Sha3_256 => &digest::SHA3_256,
            HashAlg::Sha3_384 => &digest::SHA3_384,
            HashAlg::Sha3_512 => &digest::SHA3_512,
            HashAlg::Sha3_224 => {
                return Err(OpError::unsupported(
                    "hash algorithm sha3-224 is not available in Arca",
                ))
            }
        }))
    }

    /// The input unchanged for `none`, else its digest.
    pub fn hash(self, input: &[u8]) -> OpResult<Vec<u8>> {
        Ok(match self.digest_algorithm()? {
            None => input.to_vec(),
            Some(alg) => digest::digest(alg, input).as_ref().to_vec(),
        })
    }

    pub fn hmac_algorithm(self) -> OpResult<hmac::Algorithm> {
        Ok(match self {
            HashAlg::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            HashAlg::Sha2_224 => hmac::HMAC_SHA224,
            HashAlg::Sha2_256 => hmac::HMAC_SHA256,
            HashAlg::Sha2_384 => hmac::HMAC_SHA384,
            HashAlg::Sha2_512 => hmac::HMAC_SHA512,
            HashAlg::None => {
                return Err(OpError::user(format!(
                    "unsupported algorithm {:?}",
                    self.name()
                )))
            }
            HashAlg::Sha3_224 | HashAlg::Sha3_256 | HashAlg::Sha3_384 | HashAlg::Sha3_512 => {
                return Err(OpError::unsupported(format!(
                    "HMAC with {} is not available in Arca",
                    self.name()
                )))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        let cases = [
            (
                "sha2-256",
                "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
            ),
            ("sha1", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        ];
        for (name, want) in cases {
            let alg = HashAlg::from_name(name).unwrap();
            assert_eq!(hex::encode(alg.hash(b"hello").unwrap()), want, "{name}");
        }
        assert!(matches!(
            HashAlg::Sha3_224.hash(b"x"),
            Err(OpError::Unsupported(_))
        ));
        assert_eq!(HashAlg::None.hash(b"x").unwrap(), b"x");
    }
}
