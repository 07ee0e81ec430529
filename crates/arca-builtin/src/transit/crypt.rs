//! Encryption and decryption with a keyring, following Vault's `EncryptWithFactory` and
//! `DecryptWithFactory`: version selection and checks, derived keys (HKDF-SHA256 over the
//! context), convergent encryption (version 3: the nonce is an HMAC of the plaintext under
//! a derived key), AEAD with associated data, RSA-OAEP, and the `vault:v<n>:` format.

use aws_lc_rs::hmac;
use zeroize::Zeroizing;

use super::b64;
use super::error::{OpError, OpResult};
use super::keyring::{Keyring, CURRENT_CONVERGENT_VERSION, ERR_TOO_OLD};
use super::material::{self, Material, NONCE_LEN};

fn old_convergent(version: i64) -> OpError {
    OpError::user(format!(
        "refusing to support decryption with old convergent encryption key: version {version}"
    ))
}

impl Keyring {
    /// Resolves and checks the version asked for an encryption (0 is the latest).
    fn encryption_version(&self, requested: i64) -> OpResult<i64> {
        match requested {
            0 => Ok(self.latest()),
            v if v < 0 => Err(OpError::user(
                "requested version for encryption is negative",
            )),
            v if v > self.latest() => Err(OpError::user(
                "requested version for encryption is higher than the latest key version",
            )),
            v if v < self.policy.min_encryption_version => Err(OpError::user(
                "requested version for encryption is less than the minimum encryption key version",
            )),
            v => Ok(v),
        }
    }

    /// Encrypts `plaintext`; returns the versioned ciphertext and the version used.
    pub fn encrypt(
        &self,
        requested_version: i64,
        context: &[u8],
        nonce: &[u8],
        plaintext: &[u8],
        aad: &[u8],
    ) -> OpResult<(String, i64)> {
        self.check_not_soft_deleted()?;
        if !self.key_type.supports_encryption() {
            return Err(OpError::user(format!(
                "message encryption not supported for key type {}",
                self.key_type.name()
            )));
        }
        let version = self.encryption_version(requested_version)?;
        let sealed = if self.key_type.is_symmetric_aead() {
            self.seal_symmetric(version, context, nonce, plaintext, aad)?
        } else {
            match &self.version(version)?.material {
                Material::Rsa(rsa) => rsa.oaep_encrypt(plaintext)?,
                _ => return Err(OpError::internal("key material does not match its type")),
            }
        };
        let prefix = self.version_prefix(version);
        let mut out = String::with_capacity(prefix.len() + sealed.len().div_ceil(3) * 4);
        out.push_str(&prefix);
        b64::encode_into(&sealed, &mut out);
        Ok((out, version))
    }

    fn seal_symmetric(
        &self,
        version: i64,
        context: &[u8],
        nonce: &[u8],
        plaintext: &[u8],
        aad: &[u8],
    ) -> OpResult<Vec<u8>> {
        let convergent_version = self.convergent_version_of(version);
        let derive_hmac = convergent_version > 2;
        if !nonce.is_empty()
            && (derive_hmac || !self.policy.convergent_encryption || convergent_version != 1)
        {
            return Err(OpError::user("nonce provided when not allowed"));
        }
        let enc_len = self.key_type.symmetric_key_len();
        if !self.policy.derived {
            if derive_hmac {
                return Err(OpError::internal("could not derive key, length too small"));
            }
            let key = self.version(version)?;
            let Material::Aead {
                cipher: Some(cipher),
                ..
            } = &key.material
            else {
                return Err(OpError::internal("key material does not match its type"));
            };
            if self.policy.convergent_encryption {
                return Err(old_convergent(convergent_version));
            }
            return material::seal(cipher, material::random_nonce()?, aad, plaintext);
        }
        let hmac_len = if derive_hmac { 32 } else { 0 };
        let key = self.derived_key(context, version, enc_len + hmac_len)?;
        let cipher = material::aead_key(self.key_type, &key[..enc_len])?;
        let nonce = if self.policy.convergent_encryption {
            match convergent_version {
                CURRENT_CONVERGENT_VERSION => {
                    let mac = hmac::sign(
                        &hmac::Key::new(hmac::HMAC_SHA256, &key[enc_len..]),
                        plaintext,
                    );
                    let mut nonce = [0u8; NONCE_LEN];
                    nonce.copy_from_slice(&mac.as_ref()[..NONCE_LEN]);
                    nonce
                }
                1 | 2 => return Err(old_convergent(convergent_version)),
                other => {
                    return Err(OpError::internal(format!(
                        "unhandled convergent version {other}"
                    )))
                }
            }
        } else {
            material::random_nonce()?
        };
        material::seal(&cipher, nonce, aad, plaintext)
    }

    /// Decrypts a versioned ciphertext.
    pub fn decrypt(&self, context: &[u8], value: &str, aad: &[u8]) -> OpResult<Zeroizing<Vec<u8>>> {
        self.check_not_soft_deleted()?;
        if !self.key_type.supports_encryption() {
            return Err(OpError::user(format!(
                "message decryption not supported for key type {}",
                self.key_type.name()
            )));
        }
        let (mut version, payload) = self.split_versioned(value, "ciphertext")?;
        if version == 0 {
            // Ciphertexts of Vault's first releases counted from zero.
            version = 1;
        }
        if version > self.latest() {
            return Err(OpError::user("invalid ciphertext: version is too new"));
        }
        if self.policy.min_decryption_version > 0 && version < self.policy.min_decryption_version {
            return Err(OpError::user(ERR_TOO_OLD));
        }
        let convergent_version = self.convergent_version_of(version);
        if self.policy.convergent_encryption
            && convergent_version > 0
            && convergent_version < CURRENT_CONVERGENT_VERSION
        {
            return Err(old_convergent(convergent_version));
        }
        let decoded = Zeroizing::new(
            b64::decode(payload)
                .map_err(|_| OpError::user("invalid ciphertext: could not decode base64"))?,
        );
        if self.key_type.is_symmetric_aead() {
            if self.policy.derived {
                let key = self.derived_key(context, version, self.key_type.symmetric_key_len())?;
                let cipher = material::aead_key(self.key_type, &key)?;
                return material::open(&cipher, &decoded, aad);
            }
            return match &self.version(version)?.material {
                Material::Aead {
                    cipher: Some(cipher),
                    ..
                } => material::open(cipher, &decoded, aad),
                _ => Err(OpError::internal("key material does not match its type")),
            };
        }
        match &self.version(version)?.material {
            Material::Rsa(rsa) => rsa.oaep_decrypt(&decoded),
            _ => Err(OpError::internal("key material does not match its type")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transit::keyring::NewKey;
    use crate::transit::keytype::KeyType;
    use std::time::Duration;

    fn key(kt: KeyType, derived: bool, convergent: bool) -> Keyring {
        Keyring::new(&NewKey {
            name: "k".into(),
            key_type: kt,
            derived,
            convergent,
            exportable: false,
            allow_plaintext_backup: false,
            auto_rotate_period: Duration::ZERO,
            key_size: 0,
        })
        .rotated()
        .unwrap()
        .0
    }

    #[test]
    fn round_trips_every_encryption_type() {
        for kt in [
            KeyType::Aes128Gcm96,
            KeyType::Aes256Gcm96,
            KeyType::ChaCha20Poly1305,
            KeyType::Rsa2048,
        ] {
            let ring = key(kt, false, false);
            let (ct, v) = ring.encrypt(0, b"", b"", b"hello", b"").unwrap();
            assert_eq!(v, 1);
            assert!(ct.starts_with("vault:v1:"), "{ct}");
            assert_eq!(ring.decrypt(b"", &ct, b"").unwrap().as_slice(), b"hello");
        }
    }

    #[test]
    fn derived_and_convergent() {
        let ring = key(KeyType::Aes256Gcm96, true, true);
        let (a, _) = ring.encrypt(0, b"ctx", b"", b"same", b"").unwrap();
        let (b, _) = ring.encrypt(0, b"ctx", b"", b"same", b"").unwrap();
        assert_eq!(a, b, "convergent encryption is deterministic");
        let (c, _) = ring.encrypt(0, b"other", b"", b"same", b"").unwrap();
        assert_ne!(a, c);
        assert_eq!(ring.decrypt(b"ctx", &a, b"").unwrap().as_slice(), b"same");
        assert_eq!(
            ring.decrypt(b"other", &a, b"").unwrap_err(),
            OpError::user("cipher: message authentication failed")
        );
        assert!(matches!(
            ring.encrypt(0, b"", b"", b"x", b""),
            Err(OpError::User(m)) if m.starts_with("missing 'context' for key derivation")
        ));
        assert_eq!(
            ring.encrypt(0, b"ctx", b"nonce", b"x", b"").unwrap_err(),
            OpError::user("nonce provided when not allowed")
        );
    }

    /// Derived convergent keys and ciphertexts produced by OpenBao 2.7.2, restored from its
    /// backups: Arca must decrypt them and produce byte-identical convergent ciphertexts,
    /// which checks the HKDF derivation and the convergent nonce end to end.
    #[tokio::test]
    async fn matches_openbao_derivation_and_convergence() {
        let cases = [
            (
                include_str!("testdata/cv256_backup.b64"),
                include_str!("testdata/cv256_vectors.txt"),
            ),
            (
                include_str!("testdata/cv128_backup.b64"),
                include_str!("testdata/cv128_vectors.txt"),
            ),
            (
                include_str!("testdata/cvcha_backup.b64"),
                include_str!("testdata/cvcha_vectors.txt"),
            ),
        ];
        for (backup, vectors) in cases {
            let ring = crate::transit::tests_support::restored(backup).await;
            for line in vectors.lines().filter(|l| !l.is_empty()) {
                let parts: Vec<&str> = line.split(' ').collect();
                let context = b64::decode(parts[0]).unwrap();
                let plaintext = b64::decode(parts[1]).unwrap();
                let ciphertext = parts[2];
                assert_eq!(
                    ring.decrypt(&context, ciphertext, b"").unwrap().as_slice(),
                    plaintext.as_slice()
                );
                let (version, _) = ring.split_versioned(ciphertext, "ciphertext").unwrap();
                let (again, _) = ring
                    .encrypt(version, &context, b"", &plaintext, b"")
                    .unwrap();
                assert_eq!(
                    again, ciphertext,
                    "convergent ciphertext differs from OpenBao's"
                );
            }
        }
    }
}
