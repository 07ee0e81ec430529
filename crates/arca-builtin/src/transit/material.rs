//! The key material of one key version, parsed once into aws-lc-rs objects: generation,
//! conversion from and to Vault's stored form, and the primitive operations (AEAD, HKDF,
//! signatures, RSA-OAEP). Every secret buffer here is zeroized when dropped; aws-lc-rs
//! objects wipe their own memory when freed.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::encoding::AsBigEndian;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    KeyPair as RsaKeyPair, KeyPairComponents, KeySize, OaepPrivateDecryptingKey,
    OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey, PublicKeyComponents,
    OAEP_SHA256_MGF1SHA256,
};
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, EcdsaVerificationAlgorithm, Ed25519KeyPair, KeyPair,
    RsaParameters, RsaPssSaltLength, RsaSignatureEncoding, UnparsedPublicKey,
};
use aws_lc_rs::{digest, hkdf, rand};
use zeroize::Zeroizing;

use super::b64;
use super::bigdec::{from_decimal, pad_to, to_decimal};
use super::der::{self, RsaComponents};
use super::error::{OpError, OpResult};
use super::hashes::HashAlg;
use super::keytype::KeyType;
use super::stored::{BigNum, Bytes, StoredKeyEntry, StoredRsaPrecomputed, StoredRsaPrivate};

pub const NONCE_LEN: usize = 12;
pub const TAG_LEN: usize = 16;

pub struct EcKey {
    pub pair: EcdsaKeyPair,
    /// The private scalar, padded to the curve size.
    pub scalar: Zeroizing<Vec<u8>>,
    /// The public point, uncompressed (`04 || X || Y`).
    pub point: Vec<u8>,
}

pub struct RsaKey {
    pub pair: RsaKeyPair,
    pub decrypt: OaepPrivateDecryptingKey,
    pub encrypt: OaepPublicEncryptingKey,
    pub spki: Vec<u8>,
    pub bits: usize,
}

pub enum Material {
    /// AES-GCM or ChaCha20-Poly1305; `cipher` is set unless the key is derived.
    Aead {
        raw: Zeroizing<Vec<u8>>,
        cipher: Option<LessSafeKey>,
    },
    Hmac {
        raw: Zeroizing<Vec<u8>>,
    },
    /// `raw` is Go's 64-byte private key (seed then public key): the HKDF input of derived
    /// keys.
    Ed25519 {
        raw: Zeroizing<Vec<u8>>,
        pair: Ed25519KeyPair,
    },
    Ecdsa(EcKey),
    Rsa(Box<RsaKey>),
}

pub fn random_bytes(len: usize) -> OpResult<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    rand::fill(&mut out).map_err(|_| OpError::internal("random source failed"))?;
    Ok(out)
}

fn aead_algorithm(kt: KeyType) -> &'static aead::Algorithm {
    match kt {
        KeyType::Aes128Gcm96 => &aead::AES_128_GCM,
        KeyType::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        _ => &aead::AES_256_GCM,
    }
}

pub fn aead_key(kt: KeyType, raw: &[u8]) -> OpResult<LessSafeKey> {
    UnboundKey::new(aead_algorithm(kt), raw)
        .map(LessSafeKey::new)
        .map_err(|_| OpError::internal("could not derive enc key, length not correct"))
}

fn ec_signing(kt: KeyType) -> &'static EcdsaSigningAlgorithm {
    match kt {
        KeyType::EcdsaP384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        KeyType::EcdsaP521 => &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
        _ => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
    }
}

fn ec_verification(kt: KeyType) -> &'static EcdsaVerificationAlgorithm {
    match kt {
        KeyType::EcdsaP384 => &signature::ECDSA_P384_SHA384_ASN1,
        KeyType::EcdsaP521 => &signature::ECDSA_P521_SHA512_ASN1,
        _ => &signature::ECDSA_P256_SHA256_ASN1,
    }
}

/// Bytes of the curve's field elements (and of each JWS signature half).
pub fn ec_field_len(kt: KeyType) -> usize {
    match kt {
        KeyType::EcdsaP384 => 48,
        KeyType::EcdsaP521 => 66,
        _ => 32,
    }
}

pub fn ec_curve_oid(kt: KeyType) -> &'static [u8] {
    match kt {
        KeyType::EcdsaP384 => der::OID_P384,
        KeyType::EcdsaP521 => der::OID_P521,
        _ => der::OID_P256,
    }
}

struct OutputLen(usize);

impl hkdf::KeyType for OutputLen {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-SHA256 with no salt and the context as info: Vault's `Kdf_hkdf_sha256`.
pub fn hkdf_sha256(ikm: &[u8], context: &[u8], len: usize) -> OpResult<Zeroizing<Vec<u8>>> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(ikm);
    let mut out = Zeroizing::new(vec![0u8; len]);
    prk.expand(&[context], OutputLen(len))
        .and_then(|okm| okm.fill(&mut out))
        .map_err(|_| OpError::internal("error reading returned derived bytes"))?;
    Ok(out)
}

/// Seals `plaintext` under `key` and returns `nonce || ciphertext || tag`.
pub fn seal(
    key: &LessSafeKey,
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> OpResult<Vec<u8>> {
    let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut out[NONCE_LEN..],
        )
        .map_err(|_| OpError::internal("encryption failed"))?;
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

pub fn random_nonce() -> OpResult<[u8; NONCE_LEN]> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::fill(&mut nonce).map_err(|_| OpError::internal("random source failed"))?;
    Ok(nonce)
}

/// Opens `nonce || ciphertext || tag` with Vault's messages for short or forged input.
pub fn open(key: &LessSafeKey, data: &[u8], aad: &[u8]) -> OpResult<Zeroizing<Vec<u8>>> {
    if data.len() < NONCE_LEN {
        return Err(OpError::user("invalid ciphertext length"));
    }
    let (nonce, sealed) = data.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().unwrap_or([0; NONCE_LEN]);
    let mut buf = Zeroizing::new(sealed.to_vec());
    let plain_len = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buf,
        )
        .map_err(|_| OpError::user("cipher: message authentication failed"))?
        .len();
    buf.truncate(plain_len);
    Ok(buf)
}

/// The stored form and parsed material of a freshly generated key version.
pub struct Generated {
    pub material: Material,
    pub entry: StoredKeyEntry,
}

fn empty_entry() -> StoredKeyEntry {
    StoredKeyEntry::empty()
}

/// Creates new key material of `kt` (`key_size` bytes for HMAC keys).
pub fn generate(kt: KeyType, key_size: usize, derived: bool) -> OpResult<Generated> {
    let mut entry = empty_entry();
    let material = match kt {
        KeyType::Aes128Gcm96 | KeyType::Aes256Gcm96 | KeyType::ChaCha20Poly1305 => {
            let raw = random_bytes(kt.symmetric_key_len())?;
            entry.key = Some(Bytes(raw.clone()));
            aead_material(kt, raw, derived)?
        }
        KeyType::Hmac => {
            let raw = random_bytes(key_size)?;
            entry.key = Some(Bytes(raw.clone()));
            Material::Hmac { raw }
        }
        KeyType::Ed25519 => {
            let seed = random_bytes(32)?;
            let pair = Ed25519KeyPair::from_seed_unchecked(&seed)
                .map_err(|_| OpError::internal("error generating ed25519 key"))?;
            let mut raw = Zeroizing::new(Vec::with_capacity(64));
            raw.extend_from_slice(&seed);
            raw.extend_from_slice(pair.public_key().as_ref());
            entry.key = Some(Bytes(raw.clone()));
            entry.public_key = b64::encode(pair.public_key().as_ref());
            Material::Ed25519 { raw, pair }
        }
        KeyType::EcdsaP256 | KeyType::EcdsaP384 | KeyType::EcdsaP521 => {
            let pair = EcdsaKeyPair::generate(ec_signing(kt))
                .map_err(|_| OpError::internal("error generating EC key"))?;
            let scalar = pair
                .private_key()
                .as_be_bytes()
                .map_err(|_| OpError::internal("error reading EC key"))?;
            let scalar = pad_to(scalar.as_ref(), ec_field_len(kt))
                .ok_or_else(|| OpError::internal("EC scalar too long"))?;
            let point = pair.public_key().as_ref().to_vec();
            let field = ec_field_len(kt);
            entry.ec_d = Some(BigNum(to_decimal(&scalar)));
            entry.ec_x = Some(BigNum(to_decimal(&point[1..1 + field])));
            entry.ec_y = Some(BigNum(to_decimal(&point[1 + field..])));
            entry.public_key =
                der::pem("PUBLIC KEY", &der::ec_spki(ec_curve_oid(kt), &point)).to_string();
            Material::Ecdsa(EcKey {
                pair,
                scalar,
                point,
            })
        }
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => {
            let size = match kt {
                KeyType::Rsa2048 => KeySize::Rsa2048,
                KeyType::Rsa3072 => KeySize::Rsa3072,
                _ => KeySize::Rsa4096,
            };
            let pair = RsaKeyPair::generate(size)
                .map_err(|_| OpError::internal("error generating RSA key"))?;
            let pkcs8 = pair
                .as_der()
                .map_err(|_| OpError::internal("error encoding RSA key"))?;
            let components = der::parse_rsa_private(pkcs8.as_ref(), true)
                .ok_or_else(|| OpError::internal("error reading RSA key"))?;
            entry.rsa_key = Some(stored_rsa(&components)?);
            Material::Rsa(Box::new(rsa_material(pair, &components)?))
        }
    };
    Ok(Generated { material, entry })
}

fn aead_material(kt: KeyType, raw: Zeroizing<Vec<u8>>, derived: bool) -> OpResult<Material> {
    if raw.len() != kt.symmetric_key_len() {
        return Err(OpError::internal(format!(
            "invalid key size {} bytes for key type {}",
            raw.len(),
            kt.name()
        )));
    }
    let cipher = if derived {
        None
    } else {
        Some(aead_key(kt, &raw)?)
    };
    Ok(Material::Aead { raw, cipher })
}

fn int_to_be(value: i64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len() - 1);
    bytes[first..].to_vec()
}

fn be_to_int(be: &[u8]) -> OpResult<i64> {
    if be.len() > 7 {
        return Err(OpError::internal("RSA public exponent too large"));
    }
    Ok(be.iter().fold(0i64, |acc, b| (acc << 8) | *b as i64))
}

fn stored_rsa(c: &RsaComponents) -> OpResult<StoredRsaPrivate> {
    Ok(StoredRsaPrivate {
        N: BigNum(to_decimal(&c.n)),
        E: be_to_int(&c.e)?,
        D: BigNum(to_decimal(&c.d)),
        Primes: vec![BigNum(to_decimal(&c.p)), BigNum(to_decimal(&c.q))],
        Precomputed: Some(StoredRsaPrecomputed {
            Dp: Some(BigNum(to_decimal(&c.dp))),
            Dq: Some(BigNum(to_decimal(&c.dq))),
            Qinv: Some(BigNum(to_decimal(&c.qinv))),
            CRTValues: Vec::new(),
        }),
    })
}

fn rsa_material(pair: RsaKeyPair, c: &RsaComponents) -> OpResult<RsaKey> {
    let pkcs8 = pair
        .as_der()
        .map_err(|_| OpError::internal("error encoding RSA key"))?;
    let private = PrivateDecryptingKey::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| OpError::internal("error loading RSA key"))?;
    let spki = der::rsa_spki(&c.n, &c.e);
    let public = PublicEncryptingKey::from_der(&spki)
        .map_err(|_| OpError::internal("error loading RSA public key"))?;
    let bits = public.key_size_bits();
    Ok(RsaKey {
        pair,
        decrypt: OaepPrivateDecryptingKey::new(private)
            .map_err(|_| OpError::internal("error loading RSA key"))?,
        encrypt: OaepPublicEncryptingKey::new(public)
            .map_err(|_| OpError::internal("error loading RSA public key"))?,
        spki,
        bits,
    })
}

fn decimal(n: &Option<BigNum>, what: &str) -> OpResult<Zeroizing<Vec<u8>>> {
    n.as_ref()
        .and_then(|v| from_decimal(&v.0))
        .ok_or_else(|| OpError::internal(format!("stored key is missing {what}")))
}

/// Parses a stored key version of type `kt`.
pub fn from_stored(kt: KeyType, derived: bool, entry: &StoredKeyEntry) -> OpResult<Material> {
    let key_bytes = || {
        entry
            .key
            .as_ref()
            .map(|k| k.0.clone())
            .ok_or_else(|| OpError::internal("stored key version has no key material"))
    };
    Ok(match kt {
        KeyType::Aes128Gcm96 | KeyType::Aes256Gcm96 | KeyType::ChaCha20Poly1305 => {
            aead_material(kt, key_bytes()?, derived)?
        }
        KeyType::Hmac => Material::Hmac { raw: key_bytes()? },
        KeyType::Ed25519 => {
            let raw = key_bytes()?;
            if raw.len() != 64 {
                return Err(OpError::internal("stored ed25519 key has the wrong length"));
            }
            let pair = Ed25519KeyPair::from_seed_and_public_key(&raw[..32], &raw[32..])
                .map_err(|_| OpError::internal("stored ed25519 key is inconsistent"))?;
            Material::Ed25519 { raw, pair }
        }
        KeyType::EcdsaP256 | KeyType::EcdsaP384 | KeyType::EcdsaP521 => {
            let field = ec_field_len(kt);
            let d = decimal(&entry.ec_d, "ec_d")?;
            let scalar =
                pad_to(&d, field).ok_or_else(|| OpError::internal("EC scalar too long"))?;
            let x = pad_to(&decimal(&entry.ec_x, "ec_x")?, field)
                .ok_or_else(|| OpError::internal("EC point too long"))?;
            let y = pad_to(&decimal(&entry.ec_y, "ec_y")?, field)
                .ok_or_else(|| OpError::internal("EC point too long"))?;
            let mut point = Vec::with_capacity(1 + 2 * field);
            point.push(4);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            let pair =
                EcdsaKeyPair::from_private_key_and_public_key(ec_signing(kt), &scalar, &point)
                    .map_err(|_| OpError::internal("stored EC key is inconsistent"))?;
            Material::Ecdsa(EcKey {
                pair,
                scalar,
                point,
            })
        }
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => {
            let stored = entry.rsa_key.as_ref().ok_or_else(|| {
                OpError::unsupported(
                    "RSA key versions without a private key (imported public keys)",
                )
            })?;
            if stored.Primes.len() != 2 {
                return Err(OpError::unsupported("multi-prime RSA keys"));
            }
            let pre = stored
                .Precomputed
                .as_ref()
                .ok_or_else(|| OpError::internal("stored RSA key lacks CRT values"))?;
            let c = RsaComponents {
                n: from_decimal(&stored.N.0)
                    .ok_or_else(|| OpError::internal("stored RSA modulus is invalid"))?
                    .to_vec(),
                e: int_to_be(stored.E),
                d: decimal(&Some(stored.D.clone()), "D")?,
                p: decimal(&Some(stored.Primes[0].clone()), "P")?,
                q: decimal(&Some(stored.Primes[1].clone()), "Q")?,
                dp: decimal(&pre.Dp, "Dp")?,
                dq: decimal(&pre.Dq, "Dq")?,
                qinv: decimal(&pre.Qinv, "Qinv")?,
            };
            let pair = RsaKeyPair::from_components(&KeyPairComponents {
                public_key: PublicKeyComponents {
                    n: c.n.as_slice(),
                    e: c.e.as_slice(),
                },
                d: c.d.as_slice(),
                p: c.p.as_slice(),
                q: c.q.as_slice(),
                dP: c.dp.as_slice(),
                dQ: c.dq.as_slice(),
                qInv: c.qinv.as_slice(),
            })
            .map_err(|_| OpError::internal("stored RSA key is inconsistent"))?;
            Material::Rsa(Box::new(rsa_material(pair, &c)?))
        }
    })
}

impl RsaKey {
    pub fn components(&self) -> OpResult<RsaComponents> {
        let pkcs8 = self
            .pair
            .as_der()
            .map_err(|_| OpError::internal("error encoding RSA key"))?;
        der::parse_rsa_private(pkcs8.as_ref(), true)
            .ok_or_else(|| OpError::internal("error reading RSA key"))
    }

    pub fn oaep_encrypt(&self, plaintext: &[u8]) -> OpResult<Vec<u8>> {
        let mut out = vec![0u8; self.encrypt.ciphertext_size()];
        let len = self
            .encrypt
            .encrypt(&OAEP_SHA256_MGF1SHA256, plaintext, &mut out, None)
            .map_err(|_| {
                OpError::user(
                    "failed to RSA encrypt the plaintext: crypto/rsa: message too long for RSA key size",
                )
            })?
            .len();
        out.truncate(len);
        Ok(out)
    }

    /// RSA-OAEP decryption; aws-lc's implementation is constant-time.
    pub fn oaep_decrypt(&self, ciphertext: &[u8]) -> OpResult<Zeroizing<Vec<u8>>> {
        let mut out = Zeroizing::new(vec![0u8; self.decrypt.min_output_size()]);
        let len = self
            .decrypt
            .decrypt(&OAEP_SHA256_MGF1SHA256, ciphertext, &mut out, None)
            .map_err(|_| {
                OpError::user("failed to RSA decrypt the ciphertext: crypto/rsa: decryption error")
            })?
            .len();
        out.truncate(len);
        Ok(out)
    }
}

/// A PSS salt length as Vault's `salt_length` field gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PssSalt {
    /// Go's `PSSSaltLengthAuto`: the maximum when signing, detected when verifying.
    Auto,
    /// The digest length.
    Hash,
    Len(u16),
}

fn rsa_hash_index(hash: HashAlg) -> OpResult<usize> {
    match hash {
        HashAlg::Sha2_256 => Ok(0),
        HashAlg::Sha2_384 => Ok(1),
        HashAlg::Sha2_512 => Ok(2),
        other => Err(OpError::unsupported(format!(
            "RSA signatures with hash_algorithm {} are not available in Arca (sha2-256, sha2-384, sha2-512 are)",
            other.name()
        ))),
    }
}

type EncodingTable = Mutex<HashMap<(usize, bool, u16), &'static RsaSignatureEncoding>>;
type ParameterTable = Mutex<HashMap<(usize, bool, u16), &'static RsaParameters>>;

/// aws-lc-rs wants `'static` encodings; custom PSS salt lengths are interned here, at most
/// once per (hash, length) pair, so memory stays bounded (3 hashes × ≤ 512 lengths).
fn signing_encoding(idx: usize, pss: Option<PssSalt>) -> &'static RsaSignatureEncoding {
    static PKCS1: [&RsaSignatureEncoding; 3] = [
        &signature::RSA_PKCS1_SHA256,
        &signature::RSA_PKCS1_SHA384,
        &signature::RSA_PKCS1_SHA512,
    ];
    static PSS_HASH: [&RsaSignatureEncoding; 3] = [
        &signature::RSA_PSS_SHA256,
        &signature::RSA_PSS_SHA384,
        &signature::RSA_PSS_SHA512,
    ];
    static PSS_MAX: [RsaSignatureEncoding; 3] = [
        signature::RSA_PSS_SHA256.with_pss_salt_length(RsaPssSaltLength::Max),
        signature::RSA_PSS_SHA384.with_pss_salt_length(RsaPssSaltLength::Max),
        signature::RSA_PSS_SHA512.with_pss_salt_length(RsaPssSaltLength::Max),
    ];
    static CUSTOM: OnceLock<EncodingTable> = OnceLock::new();
    match pss {
        None => PKCS1[idx],
        Some(PssSalt::Hash) => PSS_HASH[idx],
        Some(PssSalt::Auto) => &PSS_MAX[idx],
        Some(PssSalt::Len(n)) => {
            let table = CUSTOM.get_or_init(Default::default);
            let mut table = table.lock().unwrap_or_else(|p| p.into_inner());
            table.entry((idx, true, n)).or_insert_with(|| {
                let custom = match idx {
                    0 => signature::RSA_PSS_SHA256,
                    1 => signature::RSA_PSS_SHA384,
                    _ => signature::RSA_PSS_SHA512,
                };
                Box::leak(Box::new(
                    custom.with_pss_salt_length(RsaPssSaltLength::Custom(n)),
                ))
            })
        }
    }
}

fn verification_parameters(idx: usize, pss: Option<RsaPssSaltLength>) -> &'static RsaParameters {
    static PKCS1: [&RsaParameters; 3] = [
        &signature::RSA_PKCS1_2048_8192_SHA256,
        &signature::RSA_PKCS1_2048_8192_SHA384,
        &signature::RSA_PKCS1_2048_8192_SHA512,
    ];
    static PSS_HASH: [&RsaParameters; 3] = [
        &signature::RSA_PSS_2048_8192_SHA256,
        &signature::RSA_PSS_2048_8192_SHA384,
        &signature::RSA_PSS_2048_8192_SHA512,
    ];
    static PSS_MAX: [RsaParameters; 3] = [
        signature::RSA_PSS_2048_8192_SHA256.with_pss_salt_length(RsaPssSaltLength::Max),
        signature::RSA_PSS_2048_8192_SHA384.with_pss_salt_length(RsaPssSaltLength::Max),
        signature::RSA_PSS_2048_8192_SHA512.with_pss_salt_length(RsaPssSaltLength::Max),
    ];
    static CUSTOM: OnceLock<ParameterTable> = OnceLock::new();
    match pss {
        None => PKCS1[idx],
        Some(RsaPssSaltLength::Max) => &PSS_MAX[idx],
        Some(RsaPssSaltLength::Custom(n)) => {
            let table = CUSTOM.get_or_init(Default::default);
            let mut table = table.lock().unwrap_or_else(|p| p.into_inner());
            table.entry((idx, false, n)).or_insert_with(|| {
                let custom = match idx {
                    0 => signature::RSA_PSS_2048_8192_SHA256,
                    1 => signature::RSA_PSS_2048_8192_SHA384,
                    _ => signature::RSA_PSS_2048_8192_SHA512,
                };
                Box::leak(Box::new(
                    custom.with_pss_salt_length(RsaPssSaltLength::Custom(n)),
                ))
            })
        }
        Some(_) => PSS_HASH[idx],
    }
}

/// Go's `maxRSAPSSSaltLength`.
fn max_pss_salt(bits: usize, hash_len: usize) -> i64 {
    (bits - 1).div_ceil(8) as i64 - 2 - hash_len as i64
}

impl RsaKey {
    fn check_salt(&self, hash: HashAlg, salt: PssSalt) -> OpResult<()> {
        if let PssSalt::Len(n) = salt {
            let hash_len = hash.digest_algorithm()?.map_or(0, |a| a.output_len());
            if n as i64 > max_pss_salt(self.bits, hash_len) {
                return Err(OpError::user(format!(
                    "requested salt length {n} is invalid"
                )));
            }
        }
        Ok(())
    }

    /// Signs a digest computed with `hash`; `pss` is `None` for PKCS#1 v1.5.
    pub fn sign(
        &self,
        hash: HashAlg,
        digest_bytes: &[u8],
        pss: Option<PssSalt>,
    ) -> OpResult<Vec<u8>> {
        let idx = rsa_hash_index(hash)?;
        if let Some(salt) = pss {
            self.check_salt(hash, salt)?;
        }
        let alg = hash.digest_algorithm()?.ok_or_else(|| {
            OpError::unsupported(
                "RSA PKCS#1 v1.5 signatures without a digest OID (hash_algorithm=none)",
            )
        })?;
        let digest = digest::Digest::import_less_safe(digest_bytes, alg)
            .map_err(|_| OpError::user("crypto/rsa: input must be hashed with given hash"))?;
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign_digest(signing_encoding(idx, pss), &digest, &mut sig)
            .map_err(|_| OpError::internal("RSA signing failed"))?;
        Ok(sig)
    }

    /// Verifies a signature over a digest; a malformed signature is simply invalid.
    pub fn verify(
        &self,
        hash: HashAlg,
        digest_bytes: &[u8],
        pss: Option<PssSalt>,
        sig: &[u8],
    ) -> OpResult<bool> {
        let idx = rsa_hash_index(hash)?;
        if let Some(salt) = pss {
            self.check_salt(hash, salt)?;
        }
        let alg = hash.digest_algorithm()?.ok_or_else(|| {
            OpError::unsupported(
                "RSA PKCS#1 v1.5 signatures without a digest OID (hash_algorithm=none)",
            )
        })?;
        let Ok(digest) = digest::Digest::import_less_safe(digest_bytes, alg) else {
            return Ok(false);
        };
        let attempts: &[Option<RsaPssSaltLength>] = match pss {
            None => &[None],
            // Vault signs with the maximum salt; other signers usually use the digest length.
            Some(PssSalt::Auto) => &[Some(RsaPssSaltLength::Max), Some(RsaPssSaltLength::Digest)],
            Some(PssSalt::Hash) => &[Some(RsaPssSaltLength::Digest)],
            Some(PssSalt::Len(n)) => &[Some(RsaPssSaltLength::Custom(n))][..],
        };
        Ok(attempts.iter().any(|attempt| {
            UnparsedPublicKey::new(verification_parameters(idx, *attempt), &self.spki)
                .verify_digest(&digest, sig)
                .is_ok()
        }))
    }
}

/// The digest as the curve's fixed-size digest: truncated to the order's length when longer
/// and left-padded when shorter, which is how ECDSA turns any hash into a scalar.
fn ec_digest(kt: KeyType, hash: &[u8]) -> OpResult<digest::Digest> {
    let (alg, len) = match kt {
        KeyType::EcdsaP384 => (&digest::SHA384, 48),
        KeyType::EcdsaP521 => (&digest::SHA512, 64),
        _ => (&digest::SHA256, 32),
    };
    if kt == KeyType::EcdsaP521 && hash.len() > len {
        return Err(OpError::unsupported(
            "P-521 signatures over prehashed input longer than 64 bytes",
        ));
    }
    let mut buf = [0u8; 64];
    if hash.len() >= len {
        buf[..len].copy_from_slice(&hash[..len]);
    } else {
        buf[len - hash.len()..len].copy_from_slice(hash);
    }
    digest::Digest::import_less_safe(&buf[..len], alg)
        .map_err(|_| OpError::internal("digest length mismatch"))
}

impl EcKey {
    /// An ASN.1 DER signature over a digest.
    pub fn sign(&self, kt: KeyType, hash: &[u8]) -> OpResult<Vec<u8>> {
        let digest = ec_digest(kt, hash)?;
        self.pair
            .sign_digest(&digest)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| OpError::internal("ECDSA signing failed"))
    }
}

/// Verifies `r, s` over a digest with the public point.
pub fn ecdsa_verify(kt: KeyType, point: &[u8], hash: &[u8], r: &[u8], s: &[u8]) -> OpResult<bool> {
    let digest = ec_digest(kt, hash)?;
    let sig = der::ecdsa_signature(r, s);
    Ok(UnparsedPublicKey::new(ec_verification(kt), point)
        .verify_digest(&digest, &sig)
        .is_ok())
}

pub fn ed25519_from_seed(seed: &[u8]) -> OpResult<Ed25519KeyPair> {
    Ed25519KeyPair::from_seed_unchecked(seed)
        .map_err(|_| OpError::internal("error generating derived key"))
}

pub fn ed25519_verify(public: &[u8], message: &[u8], sig: &[u8]) -> bool {
    UnparsedPublicKey::new(&signature::ED25519, public)
        .verify(message, sig)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aead_round_trip_and_tamper() {
        for kt in [
            KeyType::Aes128Gcm96,
            KeyType::Aes256Gcm96,
            KeyType::ChaCha20Poly1305,
        ] {
            let g = generate(kt, 0, false).unwrap();
            let Material::Aead {
                cipher: Some(key), ..
            } = &g.material
            else {
                panic!("aead")
            };
            let sealed = seal(key, random_nonce().unwrap(), b"ad", b"secret").unwrap();
            assert_eq!(open(key, &sealed, b"ad").unwrap().as_slice(), b"secret");
            let mut bad = sealed.clone();
            *bad.last_mut().unwrap() ^= 1;
            assert_eq!(
                open(key, &bad, b"ad").unwrap_err(),
                OpError::user("cipher: message authentication failed")
            );
            assert!(open(key, &sealed, b"other").is_err());
            assert_eq!(
                open(key, &sealed[..5], b"").unwrap_err(),
                OpError::user("invalid ciphertext length")
            );
        }
    }

    #[test]
    fn stored_forms_reload() {
        for kt in [
            KeyType::Aes256Gcm96,
            KeyType::Hmac,
            KeyType::Ed25519,
            KeyType::EcdsaP256,
            KeyType::EcdsaP384,
            KeyType::EcdsaP521,
            KeyType::Rsa2048,
        ] {
            let g = generate(kt, 32, false).unwrap();
            let json = serde_json::to_vec(&g.entry).unwrap();
            let entry: StoredKeyEntry = serde_json::from_slice(&json).unwrap();
            let m = from_stored(kt, false, &entry).unwrap();
            match (&g.material, &m) {
                (Material::Ecdsa(a), Material::Ecdsa(b)) => {
                    assert_eq!(a.point, b.point);
                    let sig = b.sign(kt, &[7u8; 32]).unwrap();
                    let (_, r, s) = der::parse_ecdsa_signature(&sig).unwrap();
                    assert!(ecdsa_verify(kt, &a.point, &[7u8; 32], &r, &s).unwrap());
                    assert!(!ecdsa_verify(kt, &a.point, &[8u8; 32], &r, &s).unwrap());
                }
                (Material::Rsa(a), Material::Rsa(b)) => {
                    assert_eq!(a.spki, b.spki);
                    let d = digest::digest(&digest::SHA256, b"m");
                    for pss in [
                        None,
                        Some(PssSalt::Auto),
                        Some(PssSalt::Hash),
                        Some(PssSalt::Len(20)),
                    ] {
                        let sig = b.sign(HashAlg::Sha2_256, d.as_ref(), pss).unwrap();
                        assert!(
                            a.verify(HashAlg::Sha2_256, d.as_ref(), pss, &sig).unwrap(),
                            "{pss:?}"
                        );
                    }
                    let ct = a.oaep_encrypt(b"hello").unwrap();
                    assert_eq!(b.oaep_decrypt(&ct).unwrap().as_slice(), b"hello");
                }
                (Material::Ed25519 { pair: a, .. }, Material::Ed25519 { pair: b, .. }) => {
                    assert_eq!(a.public_key().as_ref(), b.public_key().as_ref());
                }
                (Material::Aead { raw: a, .. }, Material::Aead { raw: b, .. })
                | (Material::Hmac { raw: a }, Material::Hmac { raw: b }) => assert_eq!(a, b),
                _ => panic!("type changed for {kt:?}"),
            }
        }
    }

    #[test]
    fn hkdf_matches_rfc5869_case_3() {
        // RFC 5869 test case 3: zero-length salt and info.
        let ikm = [0x0bu8; 22];
        let okm = hkdf_sha256(&ikm, &[], 42).unwrap();
        assert_eq!(
            hex::encode(okm.as_slice()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
        );
    }
}
