//! Operations that collect unseal-key shares from several operators: rekey (new unseal key
//! shares, Vault's `sys/rekey/*`, OpenBao's `sys/rotate/root/*`) and generate-root (a new root
//! token encoded with a one-time pad, `sys/generate-root/*` and `sys/generate-root-token/*`).

use base64::Engine;
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use crate::core::{seal_err, Core};
use crate::crypto::{random_key, random_uuid};
use crate::seal::{self, SealConfig, ShareCollector};
use arca_sdk::{Error, Result};

pub struct RekeyOperation {
    pub config: SealConfig,
    pub require_verification: bool,
    pub collector: ShareCollector,
    pub pending: Option<PendingRekey>,
}

/// New keys handed out but not yet in force: they must be proven (verification) first.
pub struct PendingRekey {
    pub unseal_key: Zeroizing<[u8; 32]>,
    pub collector: ShareCollector,
}

pub struct GenerateRootOperation {
    pub otp: String,
    pub collector: ShareCollector,
}

/// Root tokens are `hvs.` plus 24 characters; the one-time pad has the same length.
pub const OTP_LENGTH: usize = 28;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

impl Core {
    async fn current_config(&self) -> Result<SealConfig> {
        self.seal_config().await?.ok_or(Error::NotInitialized)
    }

    /// Checks that shares of the current unseal key are right, returning the key.
    async fn verify_current_shares(
        &self,
        collector: &ShareCollector,
        threshold: usize,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let key = seal::combine(collector.shares(), threshold).map_err(seal_err)?;
        seal::load_root_key(&**self.physical(), &key)
            .await
            .map_err(|_| {
                Error::invalid("the given key shares do not combine into the current unseal key")
            })?;
        Ok(key)
    }

    pub async fn rekey_status(&self) -> Result<Map<String, Value>> {
        let config = self.current_config().await?;
        let ops = self.ops.lock().await;
        let mut m = Map::new();
        match &ops.rekey {
            None => {
                m.insert("nonce".into(), json!(""));
                m.insert("started".into(), json!(false));
                m.insert("t".into(), json!(0));
                m.insert("n".into(), json!(0));
                m.insert("progress".into(), json!(0));
                m.insert("required".into(), json!(config.secret_threshold));
                m.insert("verification_required".into(), json!(false));
            }
            Some(op) => {
                m.insert("nonce".into(), json!(op.collector.nonce));
                m.insert("started".into(), json!(true));
                m.insert("t".into(), json!(op.config.secret_threshold));
                m.insert("n".into(), json!(op.config.secret_shares));
                m.insert("progress".into(), json!(op.collector.progress()));
                m.insert("required".into(), json!(config.secret_threshold));
                m.insert(
                    "verification_required".into(),
                    json!(op.require_verification),
                );
            }
        }
        m.insert("pgp_fingerprints".into(), Value::Null);
        m.insert("backup".into(), json!(false));
        Ok(m)
    }

    pub async fn rekey_init(
        &self,
        shares: usize,
        threshold: usize,
        require_verification: bool,
    ) -> Result<Map<String, Value>> {
        if self.is_sealed() {
            return Err(Error::Sealed);
        }
        let config = SealConfig::shamir(shares, threshold).map_err(seal_err)?;
        {
            let mut ops = self.ops.lock().await;
            if ops.rekey.is_some() {
                return Err(Error::invalid("rekey already in progress"));
            }
            ops.rekey = Some(RekeyOperation {
                config,
                require_verification,
                collector: ShareCollector::new(random_uuid().map_err(Error::internal)?),
                pending: None,
            });
        }
        self.rekey_status().await
    }

    pub async fn rekey_cancel(&self) -> Result<()> {
        self.ops.lock().await.rekey = None;
        Ok(())
    }

    /// Adds a share of the current key; at the threshold, creates the new key shares.
    pub async fn rekey_update(&self, key: &str, nonce: &str) -> Result<Map<String, Value>> {
        let current = self.current_config().await?;
        let share = seal::decode_share(key).map_err(seal_err)?;
        let mut ops = self.ops.lock().await;
        let op = ops
            .rekey
            .as_mut()
            .ok_or_else(|| Error::invalid("no rekey in progress"))?;
        if op.pending.is_some() {
            return Err(Error::invalid(
                "rekey is awaiting verification of the new keys",
            ));
        }
        if op.collector.nonce != nonce {
            return Err(Error::invalid(format!(
                "nonce {nonce:?} does not match the rekey nonce"
            )));
        }
        op.collector.add(share).map_err(seal_err)?;
        if op.collector.progress() < current.secret_threshold {
            let (progress, nonce) = (op.collector.progress(), op.collector.nonce.clone());
            drop(ops);
            let mut status = self.rekey_status().await?;
            status.insert("progress".into(), json!(progress));
            status.insert("nonce".into(), json!(nonce));
            return Ok(status);
        }
        let verified = self
            .verify_current_shares(&op.collector, current.secret_threshold)
            .await;
        if let Err(e) = verified {
            op.collector = ShareCollector::new(op.collector.nonce.clone());
            return Err(e);
        }
        let new_key = random_key().map_err(Error::internal)?;
        let shares = seal::split(
            &new_key[..],
            op.config.secret_shares,
            op.config.secret_threshold,
        )
        .map_err(seal_err)?;
        let nonce = op.collector.nonce.clone();
        let mut out = Map::new();
        out.insert("nonce".into(), json!(nonce));
        out.insert("complete".into(), json!(true));
        out.insert(
            "keys".into(),
            json!(shares
                .iter()
                .map(|s| hex::encode(&s[..]))
                .collect::<Vec<_>>()),
        );
        out.insert(
            "keys_base64".into(),
            json!(shares
                .iter()
                .map(|s| b64().encode(&s[..]))
                .collect::<Vec<_>>()),
        );
        out.insert("pgp_fingerprints".into(), Value::Null);
        out.insert("backup".into(), json!(false));
        out.insert(
            "verification_required".into(),
            json!(op.require_verification),
        );
        if op.require_verification {
            let verify_nonce = random_uuid().map_err(Error::internal)?;
            out.insert("verification_nonce".into(), json!(verify_nonce));
            op.pending = Some(PendingRekey {
                unseal_key: new_key,
                collector: ShareCollector::new(verify_nonce),
            });
            return Ok(out);
        }
        let config = op.config.clone();
        ops.rekey = None;
        drop(ops);
        self.install_unseal_key(&new_key[..], &config).await?;
        Ok(out)
    }

    async fn install_unseal_key(&self, unseal_key: &[u8], config: &SealConfig) -> Result<()> {
        let root = self.barrier.root_key()?;
        seal::store_root_key(&**self.physical(), unseal_key, &root)
            .await
            .map_err(seal_err)?;
        config.store(&**self.physical()).await.map_err(seal_err)?;
        tracing::info!("core: unseal key rotated (rekey complete)");
        Ok(())
    }

    pub async fn rekey_verify_status(&self) -> Result<Map<String, Value>> {
        let ops = self.ops.lock().await;
        let op = ops
            .rekey
            .as_ref()
            .ok_or_else(|| Error::invalid("no rekey in progress"))?;
        let pending = op
            .pending
            .as_ref()
            .ok_or_else(|| Error::invalid("no rekey verification in progress"))?;
        let mut m = Map::new();
        m.insert("nonce".into(), json!(pending.collector.nonce));
        m.insert("started".into(), json!(true));
        m.insert("t".into(), json!(op.config.secret_threshold));
        m.insert("n".into(), json!(op.config.secret_shares));
        m.insert("progress".into(), json!(pending.collector.progress()));
        Ok(m)
    }

    /// Restarts verification (the keys stay the same).
    pub async fn rekey_verify_cancel(&self) -> Result<()> {
        let mut ops = self.ops.lock().await;
        if let Some(p) = ops.rekey.as_mut().and_then(|op| op.pending.as_mut()) {
            p.collector = ShareCollector::new(random_uuid().map_err(Error::internal)?);
        }
        Ok(())
    }

    pub async fn rekey_verify_update(&self, key: &str, nonce: &str) -> Result<Map<String, Value>> {
        let share = seal::decode_share(key).map_err(seal_err)?;
        let mut ops = self.ops.lock().await;
        let op = ops
            .rekey
            .as_mut()
            .ok_or_else(|| Error::invalid("no rekey in progress"))?;
        let threshold = op.config.secret_threshold;
        let pending = op
            .pending
            .as_mut()
            .ok_or_else(|| Error::invalid("no rekey verification in progress"))?;
        if pending.collector.nonce != nonce {
            return Err(Error::invalid(format!(
                "nonce {nonce:?} does not match the verification nonce"
            )));
        }
        pending.collector.add(share).map_err(seal_err)?;
        let mut m = Map::new();
        m.insert("nonce".into(), json!(pending.collector.nonce));
        if pending.collector.progress() < threshold {
            m.insert("started".into(), json!(true));
            m.insert("t".into(), json!(threshold));
            m.insert("n".into(), json!(op.config.secret_shares));
            m.insert("progress".into(), json!(pending.collector.progress()));
            return Ok(m);
        }
        let combined = seal::combine(pending.collector.shares(), threshold).map_err(seal_err)?;
        if !crate::crypto::constant_time_eq(&combined, &pending.unseal_key[..]) {
            pending.collector = ShareCollector::new(pending.collector.nonce.clone());
            return Err(Error::invalid(
                "the given keys do not match the new keys; verification restarted",
            ));
        }
        let key = pending.unseal_key.clone();
        let config = op.config.clone();
        ops.rekey = None;
        drop(ops);
        self.install_unseal_key(&key[..], &config).await?;
        m.insert("complete".into(), json!(true));
        Ok(m)
    }

    pub async fn generate_root_status(&self) -> Result<Map<String, Value>> {
        let config = self.current_config().await?;
        let ops = self.ops.lock().await;
        let mut m = Map::new();
        let (started, nonce, progress) = match &ops.generate_root {
            Some(op) => (true, op.collector.nonce.clone(), op.collector.progress()),
            None => (false, String::new(), 0),
        };
        m.insert("started".into(), json!(started));
        m.insert("nonce".into(), json!(nonce));
        m.insert("progress".into(), json!(progress));
        m.insert("required".into(), json!(config.secret_threshold));
        m.insert("encoded_token".into(), json!(""));
        m.insert("encoded_root_token".into(), json!(""));
        m.insert("pgp_fingerprint".into(), json!(""));
        m.insert("otp".into(), json!(""));
        m.insert("otp_length".into(), json!(OTP_LENGTH));
        m.insert("complete".into(), json!(false));
        Ok(m)
    }

    /// Starts a generate-root attempt; without an OTP the server makes one and returns it.
    pub async fn generate_root_init(
        &self,
        otp: Option<String>,
        pgp_key: Option<String>,
    ) -> Result<Map<String, Value>> {
        if self.is_sealed() {
            return Err(Error::Sealed);
        }
        if pgp_key.is_some_and(|k| !k.is_empty()) {
            return Err(Error::unsupported(
                "pgp_key: PGP-encrypted root tokens are not supported; use an OTP",
            ));
        }
        let (otp, generated) = match otp.filter(|o| !o.is_empty()) {
            Some(o) => (o, false),
            None => (
                crate::crypto::random_base62(OTP_LENGTH).map_err(Error::internal)?,
                true,
            ),
        };
        if otp.len() != OTP_LENGTH {
            return Err(Error::invalid(format!(
                "OTP string is wrong length: {} (expected {OTP_LENGTH})",
                otp.len()
            )));
        }
        {
            let mut ops = self.ops.lock().await;
            if ops.generate_root.is_some() {
                return Err(Error::invalid("root generation already in progress"));
            }
            ops.generate_root = Some(GenerateRootOperation {
                otp: otp.clone(),
                collector: ShareCollector::new(random_uuid().map_err(Error::internal)?),
            });
        }
        let mut status = self.generate_root_status().await?;
        if generated {
            status.insert("otp".into(), json!(otp));
        }
        Ok(status)
    }

    pub async fn generate_root_cancel(&self) -> Result<()> {
        self.ops.lock().await.generate_root = None;
        Ok(())
    }

    pub async fn generate_root_update(&self, key: &str, nonce: &str) -> Result<Map<String, Value>> {
        let config = self.current_config().await?;
        let share = seal::decode_share(key).map_err(seal_err)?;
        let mut ops = self.ops.lock().await;
        let op = ops
            .generate_root
            .as_mut()
            .ok_or_else(|| Error::invalid("no root generation in progress"))?;
        if op.collector.nonce != nonce {
            return Err(Error::invalid(format!(
                "nonce {nonce:?} does not match the root generation nonce"
            )));
        }
        op.collector.add(share).map_err(seal_err)?;
        let progress = op.collector.progress();
        let nonce = op.collector.nonce.clone();
        if progress < config.secret_threshold {
            drop(ops);
            let mut status = self.generate_root_status().await?;
            status.insert("progress".into(), json!(progress));
            status.insert("nonce".into(), json!(nonce));
            return Ok(status);
        }
        if let Err(e) = self
            .verify_current_shares(&op.collector, config.secret_threshold)
            .await
        {
            op.collector = ShareCollector::new(nonce);
            return Err(e);
        }
        let otp = op.otp.clone();
        ops.generate_root = None;
        drop(ops);
        let token = self.create_root_token(None).await?;
        if token.len() != otp.len() {
            return Err(Error::internal(
                "root token length does not match the OTP length",
            ));
        }
        let encoded: Vec<u8> = token.bytes().zip(otp.bytes()).map(|(a, b)| a ^ b).collect();
        let encoded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(encoded);
        let mut m = Map::new();
        m.insert("started".into(), json!(true));
        m.insert("nonce".into(), json!(nonce));
        m.insert("progress".into(), json!(progress));
        m.insert("required".into(), json!(config.secret_threshold));
        m.insert("encoded_token".into(), json!(encoded));
        m.insert("encoded_root_token".into(), json!(encoded));
        m.insert("pgp_fingerprint".into(), json!(""));
        m.insert("otp".into(), json!(""));
        m.insert("otp_length".into(), json!(OTP_LENGTH));
        m.insert("complete".into(), json!(true));
        tracing::info!("core: root token generated through generate-root");
        Ok(m)
    }
}
