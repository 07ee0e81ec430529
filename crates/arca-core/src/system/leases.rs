//! `sys/leases/*` and the legacy `sys/renew`, `sys/revoke*` paths.

use super::*;

impl SystemBackend {
    pub(super) async fn leases_irrevocable(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let ty = d.string("type")?;
        if !ty.is_empty() && ty != "irrevocable" {
            return Err(Error::invalid("type must be \"irrevocable\""));
        }
        let core = self.core()?;
        let active = core.active()?;
        let now = arca_sdk::now_unix();
        let mut leases = Vec::new();
        for id in active.leases.irrevocable().await? {
            if let Some(l) = active.leases.get(&id).await? {
                leases.push(json!({
                    "lease_id": l.lease_id,
                    "namespace": "",
                    "mount_id": l.mount_accessor,
                    "error": l.irrevocable_reason,
                    "expire_time": crate::time::rfc3339_secs(l.expire_time),
                    "ttl": l.ttl(now),
                }));
            }
        }
        ok(obj(json!({"lease_count": leases.len(), "leases": leases})))
    }

    pub(super) async fn leases_count(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let ty = d.string("type")?;
        let count = match ty.as_str() {
            "irrevocable" => active.leases.irrevocable().await?.len(),
            "" | "all" => active.leases.count().await?,
            other => {
                return Err(Error::invalid(format!(
                    "invalid type {other:?}: expected \"irrevocable\" or \"all\""
                )))
            }
        };
        ok(obj(
            json!({"lease_count": count, "counts": {"root": count}}),
        ))
    }

    pub(super) async fn lease_lookup(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let id = d.string("lease_id")?;
        if id.is_empty() {
            return Err(Error::invalid("missing lease ID"));
        }
        let lease = core
            .active()?
            .leases
            .get(&id)
            .await?
            .ok_or_else(|| Error::invalid("invalid lease"))?;
        ok(lease.lookup_data(arca_sdk::now_unix()))
    }

    pub(super) async fn lease_list(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let mut prefix = d.string("prefix")?;
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        let keys = core.active()?.leases.list(&prefix).await?;
        if keys.is_empty() {
            return Err(Error::NotFound(String::new()));
        }
        Ok(Some(Response::list(keys)))
    }

    pub(super) fn lease_id_of(d: &FieldData<'_>) -> Result<String> {
        let from_url = d.string("url_lease_id")?;
        let id = if from_url.is_empty() {
            d.string("lease_id")?
        } else {
            from_url
        };
        if id.is_empty() {
            return Err(Error::invalid("lease_id must be specified"));
        }
        Ok(id)
    }

    pub(super) async fn lease_renew(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let id = Self::lease_id_of(&d)?;
        let increment = d.duration("increment")?.unwrap_or_default();
        let renewed = core.renew_lease(&id, increment).await?;
        let now = arca_sdk::now_unix();
        Ok(Some(Response {
            data: renewed.data,
            warnings: renewed.warnings,
            existing_lease: Some(ExistingLease {
                lease_id: renewed.lease.lease_id.clone(),
                lease_duration: renewed.lease.ttl(now) as u64,
                renewable: renewed.lease.renewable,
            }),
            ..Default::default()
        }))
    }

    pub(super) async fn lease_revoke(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let id = Self::lease_id_of(&d)?;
        let sync = d.bool("sync")?.unwrap_or(true);
        if sync {
            core.revoke_lease(&id, false).await?;
            return Ok(None);
        }
        tokio::spawn(async move {
            if let Err(e) = core.revoke_lease(&id, false).await {
                tracing::warn!(error = %e, "expiration: asynchronous revocation failed");
            }
        });
        Ok(None)
    }

    pub(super) async fn lease_revoke_prefix(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        core.revoke_prefix(&d.string("prefix")?, false).await?;
        Ok(None)
    }

    pub(super) async fn lease_revoke_force(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        core.revoke_prefix(&d.string("prefix")?, true).await?;
        Ok(None)
    }

    pub(super) async fn lease_tidy(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let removed = active.leases.tidy().await?;
        tracing::info!(removed, "expiration: tidy finished");
        let mut resp = Response::default().with_warning("Tidy operation successfully started. Any information from the operation will be printed to Vault's server logs.");
        resp.status = Some(202);
        Ok(Some(resp))
    }
}
