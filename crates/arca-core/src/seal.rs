//! The Shamir seal: the unseal key is split into shares; the root key is stored encrypted
//! under the unseal key. Also the progress state of the multi-step operations that collect
//! shares (unseal, rekey, generate-root).
//!
//! Share layout follows Vault: the share bytes, then one byte of x-coordinate. With a single
//! share the unseal key itself is the share, as Vault does.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::{constant_time_eq, AeadKey, CryptoError};
use crate::physical::{Physical, PhysicalError};

pub const SEAL_CONFIG_PATH: &str = "seal/config";
pub const ROOT_KEY_PATH: &str = "seal/root-key";

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("invalid seal configuration: {0}")]
    InvalidConfig(String),
    #[error("secret sharing failed: {0}")]
    Sharing(String),
    #[error("invalid key share: {0}")]
    InvalidShare(String),
    #[error("the unseal key does not open the root key")]
    WrongKey,
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    #[error("physical storage: {0}")]
    Physical(#[from] PhysicalError),
    #[error("stored seal configuration is corrupt: {0}")]
    Corrupt(String),
}

/// The seal configuration, stored in the clear (it holds no secret) so that `seal-status`
/// can answer while sealed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SealConfig {
    #[serde(rename = "type")]
    pub seal_type: String,
    pub secret_shares: usize,
    pub secret_threshold: usize,
}

impl SealConfig {
    pub fn shamir(shares: usize, threshold: usize) -> Result<Self, SealError> {
        if shares < 1 {
            return Err(SealError::InvalidConfig(
                "shares must be at least one".into(),
            ));
        }
        if threshold < 1 {
            return Err(SealError::InvalidConfig(
                "threshold must be at least one".into(),
            ));
        }
        if shares > 1 && threshold == 1 {
            return Err(SealError::InvalidConfig(
                "threshold must be greater than one for multiple shares".into(),
            ));
        }
        if shares > 255 {
            return Err(SealError::InvalidConfig(
                "shares must be less than 256".into(),
            ));
        }
        if threshold > shares {
            return Err(SealError::InvalidConfig(
                "threshold cannot be larger than shares".into(),
            ));
        }
        Ok(SealConfig {
            seal_type: "shamir".into(),
            secret_shares: shares,
            secret_threshold: threshold,
        })
    }

    pub async fn load(physical: &dyn Physical) -> Result<Option<SealConfig>, SealError> {
        match physical.get(SEAL_CONFIG_PATH).await? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| SealError::Corrupt(e.to_string())),
        }
    }

    pub async fn store(&self, physical: &dyn Physical) -> Result<(), SealError> {
        let bytes = serde_json::to_vec(self).map_err(|e| SealError::Corrupt(e.to_string()))?;
        physical.put(SEAL_CONFIG_PATH, bytes).await?;
        Ok(())
    }
}

/// Splits `secret` into `shares` shares, any `threshold` of which rebuild it.
pub fn split(
    secret: &[u8],
    shares: usize,
    threshold: usize,
) -> Result<Vec<Zeroizing<Vec<u8>>>, SealError> {
    if shares == 1 {
        return Ok(vec![Zeroizing::new(secret.to_vec())]);
    }
    let rng = getrandom::rand_core::UnwrapErr(getrandom::SysRng);
    let raw = vsss_rs::Gf256::split_bytes(threshold, shares, secret, rng)
        .map_err(|e| SealError::Sharing(format!("{e:?}")))?;
    // vsss-rs puts the x-coordinate first; Vault puts it last.
    Ok(raw
        .into_iter()
        .map(|mut s| {
            let x = s.remove(0);
            s.push(x);
            Zeroizing::new(s)
        })
        .collect())
}

/// Rebuilds a secret from shares in Vault's layout.
pub fn combine(
    shares: &[Zeroizing<Vec<u8>>],
    threshold: usize,
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if threshold == 1 {
        return shares
            .first()
            .cloned()
            .ok_or_else(|| SealError::InvalidShare("no share".into()));
    }
    let reordered: Vec<Vec<u8>> = shares
        .iter()
        .map(|s| {
            let mut v = Vec::with_capacity(s.len());
            if let Some((&x, body)) = s.split_last() {
                v.push(x);
                v.extend_from_slice(body);
            }
            v
        })
        .collect();
    let result = vsss_rs::Gf256::combine_bytes(&reordered)
        .map_err(|e| SealError::InvalidShare(format!("{e:?}")));
    for mut r in reordered {
        zeroize::Zeroize::zeroize(&mut r);
    }
    Ok(Zeroizing::new(result?))
}

/// Stores the root key encrypted under the unseal key.
pub async fn store_root_key(
    physical: &dyn Physical,
    unseal_key: &[u8],
    root_key: &[u8],
) -> Result<(), SealError> {
    let sealed = AeadKey::new(unseal_key)?.seal(ROOT_KEY_PATH.as_bytes(), root_key)?;
    physical.put(ROOT_KEY_PATH, sealed).await?;
    Ok(())
}

/// Opens the stored root key with an unseal key.
pub async fn load_root_key(
    physical: &dyn Physical,
    unseal_key: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let sealed = physical
        .get(ROOT_KEY_PATH)
        .await?
        .ok_or_else(|| SealError::Corrupt("root key missing".into()))?;
    let cipher = AeadKey::new(unseal_key).map_err(|_| SealError::WrongKey)?;
    let key = cipher
        .open(ROOT_KEY_PATH.as_bytes(), &sealed)
        .map_err(|_| SealError::WrongKey)?;
    Ok(Zeroizing::new(key))
}

/// Decodes a key share as clients send it: hex (Vault's `keys`) or base64 (`keys_base64`).
pub fn decode_share(input: &str) -> Result<Zeroizing<Vec<u8>>, SealError> {
    use base64::Engine;
    let s = input.trim();
    if let Ok(bytes) = hex::decode(s) {
        return Ok(Zeroizing::new(bytes));
    }
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map(Zeroizing::new)
        .map_err(|_| SealError::InvalidShare("'key' must be a valid hex or base64 string".into()))
}

/// Shares collected so far towards a threshold, with the attempt's nonce.
#[derive(Default)]
pub struct ShareCollector {
    pub nonce: String,
    shares: Vec<Zeroizing<Vec<u8>>>,
}

impl ShareCollector {
    pub fn new(nonce: String) -> Self {
        ShareCollector {
            nonce,
            shares: Vec::new(),
        }
    }

    pub fn progress(&self) -> usize {
        self.shares.len()
    }

    /// Adds a share; a share given twice is refused as Vault does.
    pub fn add(&mut self, share: Zeroizing<Vec<u8>>) -> Result<(), SealError> {
        if self.shares.iter().any(|s| constant_time_eq(s, &share)) {
            return Err(SealError::InvalidShare(
                "given key has already been provided during this generation operation".into(),
            ));
        }
        self.shares.push(share);
        Ok(())
    }

    pub fn shares(&self) -> &[Zeroizing<Vec<u8>>] {
        &self.shares
    }

    pub fn reset(&mut self) {
        self.shares.clear();
        self.nonce.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_combine_any_threshold_subset() {
        let secret = [42u8; 32];
        let shares = split(&secret, 5, 3).unwrap();
        assert_eq!(shares.len(), 5);
        assert_eq!(shares[0].len(), 33);
        for subset in [[0, 1, 2], [4, 2, 0], [1, 3, 4]] {
            let picked: Vec<_> = subset.iter().map(|&i| shares[i].clone()).collect();
            assert_eq!(&combine(&picked, 3).unwrap()[..], &secret);
        }
        let two: Vec<_> = shares[..2].to_vec();
        assert_ne!(
            combine(&two, 3).map(|k| k.to_vec()).unwrap_or_default(),
            secret.to_vec()
        );
    }

    #[test]
    fn single_share_is_the_key() {
        let shares = split(&[1u8; 32], 1, 1).unwrap();
        assert_eq!(&shares[0][..], &[1u8; 32]);
        assert_eq!(&combine(&shares, 1).unwrap()[..], &[1u8; 32]);
    }

    #[test]
    fn config_validation() {
        assert!(SealConfig::shamir(5, 3).is_ok());
        assert!(SealConfig::shamir(1, 1).is_ok());
        for (n, t) in [(0, 0), (3, 5), (3, 1), (300, 2)] {
            assert!(SealConfig::shamir(n, t).is_err(), "{n} {t}");
        }
    }
}
