//! The expiration manager: registers leases, renews and revokes them, and runs the loop that
//! revokes what is due. The loop reads only the earliest due entries, so unsealing costs the
//! same with ten leases or ten million.
//!
//! A revocation that fails is retried with exponential backoff; the lease record is removed
//! only after the owning mount confirmed the revocation. After `MAX_REVOKE_ATTEMPTS` the
//! lease is marked irrevocable and listed as such, as Vault does.

use std::sync::Arc;
use std::time::Duration;

use arca_sdk::{now_unix, Error, LeaseRequestInfo, Operation, Request, Result, SecretLease};
use serde_json::{Map, Value};

use crate::core::{Active, Core};
use crate::crypto::random_base62;
use crate::lease::{LeaseEntry, LeaseKind};
use crate::request::Caller;

pub const MAX_REVOKE_ATTEMPTS: u32 = 6;
/// Leases revoked per pass of the loop, so one pass never holds up a seal for long.
const BATCH: usize = 256;

/// The outcome of a renewal.
pub struct Renewed {
    pub lease: LeaseEntry,
    pub data: Option<Map<String, Value>>,
    pub warnings: Vec<String>,
}

impl Core {
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn register_secret_lease(
        &self,
        active: &Active,
        req: &Request,
        caller: &Caller,
        secret: &SecretLease,
        ttl: Duration,
        max_ttl: Duration,
        data: Option<&Map<String, Value>>,
    ) -> Result<LeaseEntry> {
        let now = now_unix();
        let path = format!("{}{}", req.mount_point, req.path);
        let lease = LeaseEntry {
            lease_id: format!(
                "{}/{}",
                path.trim_end_matches('/'),
                random_base62(24).map_err(Error::internal)?
            ),
            kind: LeaseKind::Secret,
            token_hash: caller
                .entry
                .as_ref()
                .map(|e| e.hash.clone())
                .unwrap_or_default(),
            path,
            mount_accessor: req.mount_accessor.clone(),
            internal_data: secret.internal_data.clone(),
            data: data.cloned().unwrap_or_default(),
            issue_time: now,
            expire_time: now + ttl.as_secs() as i64,
            last_renewal_time: 0,
            max_expire_time: now + max_ttl.as_secs() as i64,
            renewable: secret.renewable,
            namespace: req.namespace.clone(),
            due_time: now + ttl.as_secs() as i64,
            ..Default::default()
        };
        active.leases.create(&lease).await?;
        Ok(lease)
    }

    /// Renews a secret lease through its mount (token leases are renewed as tokens).
    pub async fn renew_lease(&self, lease_id: &str, increment: Duration) -> Result<Renewed> {
        let active = self.active()?;
        let lease = active
            .leases
            .get(lease_id)
            .await?
            .ok_or_else(|| Error::invalid("lease not found"))?;
        if lease.kind == LeaseKind::Token {
            // As Vault: a token is renewed through auth/token/renew*, never this endpoint.
            return Err(Error::invalid(
                "tokens cannot be renewed through this endpoint",
            ));
        }
        let now = now_unix();
        if lease.expire_time <= now || lease.irrevocable {
            return Err(Error::invalid("lease expired"));
        }
        if !lease.renewable {
            return Err(Error::invalid("lease is not renewable"));
        }
        let (route, rel) = self.route_for_lease(&active, &lease)?;
        let mut req = Request::new(Operation::Renew, rel);
        req.id = Core::new_request_id();
        req.mount_point = route.route.clone();
        req.mount_type = route.entry().backend_type.clone();
        req.mount_accessor = lease.mount_accessor.clone();
        req.lease = Some(LeaseRequestInfo {
            lease_id: lease.lease_id.clone(),
            internal_data: lease.internal_data.clone(),
            issue_time_unix: lease.issue_time,
            increment,
            ttl: Duration::from_secs(lease.ttl(now) as u64),
            max_ttl: Duration::from_secs((lease.max_expire_time - lease.issue_time).max(0) as u64),
        });
        req.data = lease.data.clone();
        let resp = route.backend.handle(&req).await?;
        let mut warnings = Vec::new();
        let (requested, data) = match resp {
            Some(mut r) => {
                warnings = std::mem::take(&mut r.warnings);
                let ttl = r.secret.as_ref().map(|s| s.ttl).unwrap_or(increment);
                (ttl, r.data)
            }
            None => (increment, None),
        };
        let mut ttl = if requested.is_zero() {
            route.handle.effective_default_ttl()
        } else {
            requested
        };
        let mut new = lease.clone();
        if lease.max_expire_time != 0 && now + ttl.as_secs() as i64 > lease.max_expire_time {
            ttl = Duration::from_secs((lease.max_expire_time - now).max(0) as u64);
            warnings.push("TTL of the lease was capped by its maximum TTL".into());
        }
        new.expire_time = now + ttl.as_secs() as i64;
        new.due_time = new.expire_time;
        new.last_renewal_time = now;
        active.leases.replace(&lease, &new).await?;
        Ok(Renewed {
            lease: new,
            data,
            warnings,
        })
    }

    fn route_for_lease(
        &self,
        active: &Active,
        lease: &LeaseEntry,
    ) -> Result<(Arc<crate::mounts::RouteEntry>, String)> {
        // The mount is found by accessor, so a remounted engine still revokes its leases.
        let table = active.router.snapshot();
        let route = table
            .entries()
            .find(|r| r.entry().accessor == lease.mount_accessor)
            .cloned()
            .ok_or_else(|| Error::invalid(format!("no mount for lease {:?}", lease.lease_id)))?;
        let rel = lease
            .path
            .strip_prefix(route.route.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| {
                let old_mount_len = lease.path.find('/').map(|i| i + 1).unwrap_or(0);
                lease.path[old_mount_len..].to_string()
            });
        Ok((route, rel))
    }

    /// Revokes a lease: calls the owning mount, then removes the record. With `force`, the
    /// record is removed even if the mount fails (`revoke-force`).
    pub async fn revoke_lease(&self, lease_id: &str, force: bool) -> Result<()> {
        let active = self.active()?;
        let Some(lease) = active.leases.get(lease_id).await? else {
            return Ok(());
        };
        match lease.kind {
            LeaseKind::Token => {
                active.leases.delete(&lease).await?;
                self.revoke_token_tree(&lease.token_hash).await
            }
            LeaseKind::Secret => {
                let outcome = match self.route_for_lease(&active, &lease) {
                    Ok((route, rel)) => {
                        let mut req = Request::new(Operation::Revoke, rel);
                        req.id = Core::new_request_id();
                        req.mount_point = route.route.clone();
                        req.mount_type = route.entry().backend_type.clone();
                        req.mount_accessor = lease.mount_accessor.clone();
                        req.data = lease.data.clone();
                        req.lease = Some(LeaseRequestInfo {
                            lease_id: lease.lease_id.clone(),
                            internal_data: lease.internal_data.clone(),
                            issue_time_unix: lease.issue_time,
                            ..Default::default()
                        });
                        match route.backend.handle(&req).await {
                            Ok(_)
                            | Err(Error::UnsupportedOperation)
                            | Err(Error::UnsupportedPath) => Ok(()),
                            Err(e) => Err(e),
                        }
                    }
                    // The mount is gone: nothing left that could revoke it.
                    Err(_) => Ok(()),
                };
                match outcome {
                    Ok(()) => active.leases.delete(&lease).await,
                    Err(_) if force => active.leases.delete(&lease).await,
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Revokes every lease whose id starts with `prefix`.
    pub async fn revoke_prefix(&self, prefix: &str, force: bool) -> Result<()> {
        let active = self.active()?;
        for id in active.leases.ids_with_prefix(prefix).await? {
            self.revoke_lease(&id, force).await?;
        }
        Ok(())
    }

    /// One pass of the expiration loop: revoke what is due. Returns how many were handled.
    pub async fn expire_due(&self) -> Result<usize> {
        self.expire_due_at(now_unix()).await
    }

    /// `expire_due` as if the time were `now` (Unix seconds): lets tests walk through
    /// retries and expiry without waiting.
    pub async fn expire_due_at(&self, now: i64) -> Result<usize> {
        let active = self.active()?;
        let due = active.leases.due(now, BATCH).await?;
        let n = due.len();
        for id in due {
            let Some(lease) = active.leases.get(&id).await? else {
                continue;
            };
            if lease.due_time > now {
                continue;
            }
            if let Err(e) = self.revoke_lease(&id, false).await {
                self.schedule_retry(&active, lease, &e, now).await?;
            }
        }
        Ok(n)
    }

    async fn schedule_retry(
        &self,
        active: &Active,
        lease: LeaseEntry,
        error: &Error,
        now: i64,
    ) -> Result<()> {
        let mut next = lease.clone();
        next.revoke_attempts += 1;
        if next.revoke_attempts >= MAX_REVOKE_ATTEMPTS {
            next.irrevocable = true;
            next.irrevocable_reason = error.to_string();
            tracing::error!(lease_id = %lease.lease_id, error = %error, "expiration: lease is irrevocable after repeated failures");
        } else {
            let backoff = 2i64.pow(next.revoke_attempts).min(300);
            next.due_time = now + backoff;
            tracing::warn!(lease_id = %lease.lease_id, attempt = next.revoke_attempts, error = %error, "expiration: revocation failed, will retry");
        }
        active.leases.replace(&lease, &next).await
    }

    /// Starts the expiration loop and the mounts' periodic functions; both stop on seal.
    pub(crate) fn start_background(&self, active: &Arc<Active>) {
        let Ok(core) = self.arc() else { return };
        let mut stop = active.stop.subscribe();
        tokio::spawn(async move {
            loop {
                let handled = match core.expire_due().await {
                    Ok(n) => n,
                    Err(Error::Sealed) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "expiration: pass failed");
                        0
                    }
                };
                let wait = if handled >= BATCH {
                    Duration::from_millis(10)
                } else {
                    Duration::from_secs(1)
                };
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => return,
                }
            }
        });
        let Ok(core) = self.arc() else { return };
        let mut stop = active.stop.subscribe();
        tokio::spawn(async move {
            let mut last_run: std::collections::HashMap<String, std::time::Instant> =
                Default::default();
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => return,
                }
                let Ok(active) = core.active() else { return };
                for route in active.router.snapshot().entries() {
                    let Some(interval) = route.backend.periodic_interval() else {
                        continue;
                    };
                    let due = last_run
                        .get(&route.route)
                        .is_none_or(|t| t.elapsed() >= interval);
                    if due {
                        last_run.insert(route.route.clone(), std::time::Instant::now());
                        if let Err(e) = route.backend.periodic().await {
                            tracing::warn!(mount = %route.route, error = %e, "periodic function failed");
                        }
                    }
                }
            }
        });
    }
}
