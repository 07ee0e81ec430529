//! Keyring rotation, rekey, generate-root, seal and step-down.

use super::*;

impl SystemBackend {
    pub(super) async fn key_status(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let s = core.barrier.key_status()?;
        ok(obj(
            json!({"term": s.term, "install_time": s.install_time, "encryptions": s.encryptions}),
        ))
    }

    pub(super) async fn rotate(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        core.barrier.rotate().await?;
        tracing::info!("core: installed new encryption key (keyring rotated)");
        Ok(None)
    }

    pub(super) async fn rekey_status(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        ok(self.core()?.rekey_status().await?)
    }

    pub(super) async fn rekey_init(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        if d.strings("pgp_keys")?.is_some_and(|k| !k.is_empty())
            || d.bool("backup")?.unwrap_or(false)
        {
            return Err(Error::unsupported(
                "pgp_keys and backup: PGP-encrypted key shares are not supported",
            ));
        }
        let shares = d.int("secret_shares")?.unwrap_or(0);
        let threshold = d.int("secret_threshold")?.unwrap_or(0);
        if shares <= 0 || threshold <= 0 {
            return Err(Error::invalid(
                "secret_shares and secret_threshold must be positive",
            ));
        }
        let verify = d.bool("require_verification")?.unwrap_or(false);
        ok(self
            .core()?
            .rekey_init(shares as usize, threshold as usize, verify)
            .await?)
    }

    pub(super) async fn rekey_cancel(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        self.core()?.rekey_cancel().await?;
        Ok(None)
    }

    pub(super) fn key_and_nonce(d: &FieldData<'_>) -> Result<(String, String)> {
        let key = d.string("key")?;
        let nonce = d.string("nonce")?;
        if key.is_empty() {
            return Err(Error::invalid("missing required field 'key'"));
        }
        if nonce.is_empty() {
            return Err(Error::invalid("missing required field 'nonce'"));
        }
        Ok((key, nonce))
    }

    pub(super) async fn rekey_update(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let (key, nonce) = Self::key_and_nonce(&d)?;
        ok(self.core()?.rekey_update(&key, &nonce).await?)
    }

    pub(super) async fn rekey_verify_status(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        ok(self.core()?.rekey_verify_status().await?)
    }

    pub(super) async fn rekey_verify_update(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let (key, nonce) = Self::key_and_nonce(&d)?;
        ok(self.core()?.rekey_verify_update(&key, &nonce).await?)
    }

    pub(super) async fn rekey_verify_cancel(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        core.rekey_verify_cancel().await?;
        ok(core.rekey_verify_status().await?)
    }

    pub(super) async fn generate_root_status(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        ok(self.core()?.generate_root_status().await?)
    }

    pub(super) async fn generate_root_init(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        ok(self
            .core()?
            .generate_root_init(d.str("otp")?, d.str("pgp_key")?)
            .await?)
    }

    pub(super) async fn generate_root_cancel(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        self.core()?.generate_root_cancel().await?;
        Ok(None)
    }

    pub(super) async fn generate_root_update(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let (key, nonce) = Self::key_and_nonce(&d)?;
        ok(self.core()?.generate_root_update(&key, &nonce).await?)
    }

    pub(super) async fn decode_token(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let encoded = d.string("encoded_token")?;
        let otp = d.string("otp")?;
        if encoded.is_empty() || otp.is_empty() {
            return Err(Error::invalid("provided 'encoded_token' or 'otp' is empty"));
        }
        let raw = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(encoded.trim_end_matches('='))
            .map_err(|_| Error::invalid("encoded_token is not valid base64"))?;
        if raw.len() != otp.len() {
            return Err(Error::invalid(
                "length of encoded token does not match the OTP",
            ));
        }
        let token: Vec<u8> = raw.iter().zip(otp.bytes()).map(|(a, b)| a ^ b).collect();
        let token = String::from_utf8(token)
            .map_err(|_| Error::invalid("decoded token is not valid text"))?;
        ok(obj(json!({"token": token})))
    }

    pub(super) async fn seal(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        // Seal after the response is on its way: sealing drops the state this request uses.
        tokio::spawn(async move {
            if let Err(e) = core.seal().await {
                tracing::error!(error = %e, "core: seal failed");
            }
        });
        Ok(None)
    }

    pub(super) async fn step_down(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        Ok(None)
    }
}
