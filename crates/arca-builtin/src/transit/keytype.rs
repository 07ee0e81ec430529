//! The key types transit offers, their names and stored numbers (Vault's `KeyType` values),
//! and what each can do.

/// Vault's HMAC key size bounds (bytes).
pub const HMAC_MIN_KEY_SIZE: usize = 32;
pub const HMAC_MAX_KEY_SIZE: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    Aes128Gcm96,
    Aes256Gcm96,
    ChaCha20Poly1305,
    Ed25519,
    EcdsaP256,
    EcdsaP384,
    EcdsaP521,
    Rsa2048,
    Rsa3072,
    Rsa4096,
    Hmac,
}

impl KeyType {
    pub fn from_name(name: &str) -> Option<KeyType> {
        Some(match name {
            "aes128-gcm96" => KeyType::Aes128Gcm96,
            "aes256-gcm96" => KeyType::Aes256Gcm96,
            "chacha20-poly1305" => KeyType::ChaCha20Poly1305,
            "ed25519" => KeyType::Ed25519,
            "ecdsa-p256" => KeyType::EcdsaP256,
            "ecdsa-p384" => KeyType::EcdsaP384,
            "ecdsa-p521" => KeyType::EcdsaP521,
            "rsa-2048" => KeyType::Rsa2048,
            "rsa-3072" => KeyType::Rsa3072,
            "rsa-4096" => KeyType::Rsa4096,
            "hmac" => KeyType::Hmac,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            KeyType::Aes128Gcm96 => "aes128-gcm96",
            KeyType::Aes256Gcm96 => "aes256-gcm96",
            KeyType::ChaCha20Poly1305 => "chacha20-poly1305",
            KeyType::Ed25519 => "ed25519",
            KeyType::EcdsaP256 => "ecdsa-p256",
            KeyType::EcdsaP384 => "ecdsa-p384",
            KeyType::EcdsaP521 => "ecdsa-p521",
            KeyType::Rsa2048 => "rsa-2048",
            KeyType::Rsa3072 => "rsa-3072",
            KeyType::Rsa4096 => "rsa-4096",
            KeyType::Hmac => "hmac",
        }
    }

    /// The number Vault stores in a policy's `type` field.
    pub fn stored_id(self) -> i64 {
        match self {
            KeyType::Aes256Gcm96 => 0,
            KeyType::EcdsaP256 => 1,
            KeyType::Ed25519 => 2,
            KeyType::Rsa2048 => 3,
            KeyType::Rsa4096 => 4,
            KeyType::ChaCha20Poly1305 => 5,
            KeyType::EcdsaP384 => 6,
            KeyType::EcdsaP521 => 7,
            KeyType::Aes128Gcm96 => 8,
            KeyType::Rsa3072 => 9,
            KeyType::Hmac => 10,
        }
    }

    /// The type for a stored number; `Err` names types Vault has and Arca does not.
    pub fn from_stored_id(id: i64) -> Result<KeyType, &'static str> {
        Ok(match id {
            0 => KeyType::Aes256Gcm96,
            1 => KeyType::EcdsaP256,
            2 => KeyType::Ed25519,
            3 => KeyType::Rsa2048,
            4 => KeyType::Rsa4096,
            5 => KeyType::ChaCha20Poly1305,
            6 => KeyType::EcdsaP384,
            7 => KeyType::EcdsaP521,
            8 => KeyType::Aes128Gcm96,
            9 => KeyType::Rsa3072,
            10 => KeyType::Hmac,
            11 => return Err("xchacha20-poly1305"),
            10000 => return Err("external-key"),
            _ => return Err("[unknown]"),
        })
    }

    pub fn is_symmetric_aead(self) -> bool {
        matches!(
            self,
            KeyType::Aes128Gcm96 | KeyType::Aes256Gcm96 | KeyType::ChaCha20Poly1305
        )
    }

    pub fn is_rsa(self) -> bool {
        matches!(self, KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096)
    }

    pub fn is_ecdsa(self) -> bool {
        matches!(
            self,
            KeyType::EcdsaP256 | KeyType::EcdsaP384 | KeyType::EcdsaP521
        )
    }

    pub fn supports_encryption(self) -> bool {
        self.is_symmetric_aead() || self.is_rsa()
    }

    pub fn supports_signing(self) -> bool {
        self.is_ecdsa() || self.is_rsa() || self == KeyType::Ed25519
    }

    /// Whether signing hashes the input first (everything but Ed25519).
    pub fn hashes_signature_input(self) -> bool {
        self.is_ecdsa() || self.is_rsa()
    }

    pub fn supports_derivation(self) -> bool {
        self.is_symmetric_aead() || self == KeyType::Ed25519
    }

    pub fn supports_associated_data(self) -> bool {
        self.is_symmetric_aead()
    }

    /// Symmetric key length in bytes.
    pub fn symmetric_key_len(self) -> usize {
        if self == KeyType::Aes128Gcm96 {
            16
        } else {
            32
        }
    }

    /// Go's curve name shown in key reads.
    pub fn curve_name(self) -> &'static str {
        match self {
            KeyType::EcdsaP384 => "P-384",
            KeyType::EcdsaP521 => "P-521",
            _ => "P-256",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_round_trip() {
        for name in [
            "aes128-gcm96",
            "aes256-gcm96",
            "chacha20-poly1305",
            "ed25519",
            "ecdsa-p256",
            "ecdsa-p384",
            "ecdsa-p521",
            "rsa-2048",
            "rsa-3072",
            "rsa-4096",
            "hmac",
        ] {
            let t = KeyType::from_name(name).unwrap();
            assert_eq!(t.name(), name);
            assert_eq!(KeyType::from_stored_id(t.stored_id()), Ok(t));
        }
        assert_eq!(KeyType::from_stored_id(11), Err("xchacha20-poly1305"));
    }
}
