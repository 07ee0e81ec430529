//! The hash algorithms transit accepts by Vault's names, mapped onto aws-lc-rs digests and
//! HMACs. SHA3-224 and the SHA-3 HMACs, which aws-lc-rs lacks, come from RustCrypto's `sha3`
//! and `hmac` crates; signatures still need an aws-lc-rs digest, so RSA and ECDSA over
//! SHA3-224 stay unsupported.

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
        if self == HashAlg::Sha3_224 {
            use sha3::Digest;
            return Ok(sha3::Sha3_224::digest(input).to_vec());
        }
        Ok(match self.digest_algorithm()? {
            None => input.to_vec(),
            Some(alg) => digest::digest(alg, input).as_ref().to_vec(),
        })
    }

    /// Refuses, before any work, an algorithm HMAC does not take (`none`).
    pub fn check_hmac(self) -> OpResult<()> {
        if self == HashAlg::None {
            return Err(OpError::user(format!(
                "unsupported algorithm {:?}",
                self.name()
            )));
        }
        Ok(())
    }

    /// HMAC of `data` under `key` (RFC 2104 with this hash).
    pub fn hmac(self, key: &[u8], data: &[u8]) -> OpResult<Vec<u8>> {
        fn rust_crypto<D>(key: &[u8], data: &[u8]) -> Vec<u8>
        where
            D: sha3::Digest + sha3::digest::block_api::BlockSizeUser,
        {
            use ::hmac::{KeyInit, Mac};
            // SimpleHmac takes keys of any length, as RFC 2104 does.
            let mut mac = <::hmac::SimpleHmac<D> as KeyInit>::new_from_slice(key)
                .expect("HMAC takes keys of any length");
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        let aws = |alg| {
            hmac::sign(&hmac::Key::new(alg, key), data)
                .as_ref()
                .to_vec()
        };
        Ok(match self {
            HashAlg::Sha1 => aws(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY),
            HashAlg::Sha2_224 => aws(hmac::HMAC_SHA224),
            HashAlg::Sha2_256 => aws(hmac::HMAC_SHA256),
            HashAlg::Sha2_384 => aws(hmac::HMAC_SHA384),
            HashAlg::Sha2_512 => aws(hmac::HMAC_SHA512),
            HashAlg::Sha3_224 => rust_crypto::<sha3::Sha3_224>(key, data),
            HashAlg::Sha3_256 => rust_crypto::<sha3::Sha3_256>(key, data),
            HashAlg::Sha3_384 => rust_crypto::<sha3::Sha3_384>(key, data),
            HashAlg::Sha3_512 => rust_crypto::<sha3::Sha3_512>(key, data),
            HashAlg::None => return Err(self.check_hmac().unwrap_err()),
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
        // SHA3-224 (RustCrypto) of the empty input, FIPS 202's test value.
        assert_eq!(
            hex::encode(HashAlg::Sha3_224.hash(b"").unwrap()),
            "6b4e03423667dbb73b6e15454f0eb1abd4597f9a1b078e3f5b5a6bc7"
        );
        assert_eq!(HashAlg::None.hash(b"x").unwrap(), b"x");
    }
}
