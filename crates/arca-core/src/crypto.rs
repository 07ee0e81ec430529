//! Thin wrappers over aws-lc-rs for what the core needs: randomness, AES-256-GCM with a
//! random nonce, HMAC-SHA256 and constant-time comparison. No primitive is implemented here.

use aws_lc_rs::aead::{Aad, Nonce, RandomizedNonceKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::{constant_time, hmac, rand};
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the system random number generator failed")]
    Random,
    #[error("invalid key length")]
    KeyLength,
    #[error("message authentication failed")]
    Authentication,
    #[error("ciphertext is truncated")]
    Truncated,
}

pub fn random_bytes(len: usize) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut buf = Zeroizing::new(vec![0u8; len]);
    rand::fill(&mut buf).map_err(|_| CryptoError::Random)?;
    Ok(buf)
}

pub fn random_key() -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let mut key = Zeroizing::new([0u8; 32]);
    rand::fill(key.as_mut()).map_err(|_| CryptoError::Random)?;
    Ok(key)
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A random string over [0-9A-Za-z], without modulo bias (rejection sampling).
pub fn random_base62(len: usize) -> Result<String, CryptoError> {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        rand::fill(&mut buf).map_err(|_| CryptoError::Random)?;
        for b in buf {
            // 248 = 4 * 62: values above are rejected so every symbol is equally likely.
            if b < 248 && out.len() < len {
                out.push(BASE62[(b % 62) as usize] as char);
            }
        }
    }
    Ok(out)
}

/// A random UUID (v4) from the system generator.
pub fn random_uuid() -> Result<String, CryptoError> {
    let b = random_bytes(16)?;
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&b);
    Ok(uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string())
}

/// AES-256-GCM with a fresh random nonce per message; output is `nonce || ciphertext || tag`.
pub struct AeadKey {
    key: RandomizedNonceKey,
}

impl AeadKey {
    pub fn new(key: &[u8]) -> Result<Self, CryptoError> {
        if key.len() != 32 {
            return Err(CryptoError::KeyLength);
        }
        let key = RandomizedNonceKey::new(&AES_256_GCM, key).map_err(|_| CryptoError::KeyLength)?;
        Ok(AeadKey { key })
    }

    /// Appends `nonce || ciphertext || tag` to `out`.
    pub fn seal_into(
        &self,
        aad: &[u8],
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), CryptoError> {
        let mut buf = Vec::with_capacity(plaintext.len() + 16);
        buf.extend_from_slice(plaintext);
        let nonce = self
            .key
            .seal_in_place_append_tag(Aad::from(aad), &mut buf)
            .map_err(|_| CryptoError::Random)?;
        out.extend_from_slice(nonce.as_ref());
        out.extend_from_slice(&buf);
        Ok(())
    }

    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + 16);
        self.seal_into(aad, plaintext, &mut out)?;
        Ok(out)
    }

    /// Opens `nonce || ciphertext || tag`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(CryptoError::Truncated);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Truncated)?;
        let mut buf = ct.to_vec();
        let len = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut buf)
            .map_err(|_| CryptoError::Authentication)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }
}

pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let tag = hmac::sign(&key, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// A reusable HMAC-SHA256 key (the token salt, audit salts).
pub struct HmacKey(hmac::Key);

impl HmacKey {
    pub fn new(key: &[u8]) -> Self {
        HmacKey(hmac::Key::new(hmac::HMAC_SHA256, key))
    }

    pub fn sign_hex(&self, data: &[u8]) -> String {
        hex::encode(hmac::sign(&self.0, data).as_ref())
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aead_roundtrip_and_binding() {
        let key = AeadKey::new(&[7u8; 32]).unwrap();
        let sealed = key.seal(b"path/a", b"secret").unwrap();
        assert_eq!(key.open(b"path/a", &sealed).unwrap(), b"secret");
        assert!(matches!(
            key.open(b"path/b", &sealed),
            Err(CryptoError::Authentication)
        ));
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(key.open(b"path/a", &tampered).is_err());
        assert!(key.open(b"path/a", &sealed[..10]).is_err());
    }

    #[test]
    fn base62_has_the_right_alphabet() {
        let s = random_base62(200).unwrap();
        assert_eq!(s.len(), 200);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
