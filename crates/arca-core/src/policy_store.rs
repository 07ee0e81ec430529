//! Stored ACL policies and the cache of compiled ACLs.
//!
//! Policies live at `sys/policy/<name>`. Parsed policies are cached by name, compiled ACLs by
//! policy set; any policy write or delete clears the ACL cache, so a check never sees a stale
//! rule and normally costs one hash lookup.

use std::sync::Arc;

use arca_sdk::{Error, Result, Storage, StorageExt};
use dashmap::DashMap;
use serde::{Deserialize, Serialize};

use crate::policy::{Acl, Policy, DEFAULT_POLICY};

const POLICY_PREFIX: &str = "sys/policy/";

#[derive(Serialize, Deserialize)]
struct StoredPolicy {
    name: String,
    raw: String,
}

pub struct PolicyStore {
    storage: Arc<dyn Storage>,
    policies: DashMap<String, Arc<Policy>>,
    acls: DashMap<Vec<String>, Arc<Acl>>,
}

/// Policy names are lowercase, as Vault stores them.
pub fn normalize_name(name: &str) -> String {
    name.trim().to_lowercase()
}

fn validate_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid("policy name must be provided"));
    }
    if name.contains('/') || name.contains("..") || name.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(format!("invalid policy name {name:?}")));
    }
    Ok(())
}

impl PolicyStore {
    pub async fn open(storage: Arc<dyn Storage>) -> Result<PolicyStore> {
        let store = PolicyStore {
            storage,
            policies: DashMap::new(),
            acls: DashMap::new(),
        };
        if store
            .storage
            .get(&format!("{POLICY_PREFIX}default"))
            .await?
            .is_none()
        {
            store.set("default", DEFAULT_POLICY).await?;
        }
        Ok(store)
    }

    pub async fn get(&self, name: &str) -> Result<Option<Arc<Policy>>> {
        let name = normalize_name(name);
        if name == "root" {
            return Ok(Some(Arc::new(Policy {
                name: "root".into(),
                raw: String::new(),
                rules: Vec::new(),
            })));
        }
        if name == crate::wrapping::WRAPPING_POLICY_NAME {
            let policy = Policy::parse(&name, crate::wrapping::WRAPPING_POLICY)
                .map_err(|e| Error::internal(e.to_string()))?;
            return Ok(Some(Arc::new(policy)));
        }
        if let Some(p) = self.policies.get(&name) {
            return Ok(Some(p.clone()));
        }
        let Some(stored) = self
            .storage
            .get_json::<StoredPolicy>(&format!("{POLICY_PREFIX}{name}"))
            .await?
        else {
            return Ok(None);
        };
        let policy = Arc::new(
            Policy::parse(&name, &stored.raw)
                .map_err(|e| Error::internal(format!("stored policy {name}: {e}")))?,
        );
        self.policies.insert(name, policy.clone());
        Ok(Some(policy))
    }

    /// Parses, validates and stores a policy.
    pub async fn set(&self, name: &str, raw: &str) -> Result<()> {
        let name = normalize_name(name);
        validate_name(&name)?;
        if name == "root" || name == crate::wrapping::WRAPPING_POLICY_NAME {
            return Err(Error::invalid(format!("cannot update {name:?} policy")));
        }
        let policy = Policy::parse(&name, raw).map_err(|e| Error::invalid(e.to_string()))?;
        self.storage
            .put_json(
                &format!("{POLICY_PREFIX}{name}"),
                &StoredPolicy {
                    name: name.clone(),
                    raw: raw.to_string(),
                },
            )
            .await?;
        self.policies.insert(name, Arc::new(policy));
        self.acls.clear();
        Ok(())
    }

    pub async fn delete(&self, name: &str) -> Result<()> {
        let name = normalize_name(name);
        match name.as_str() {
            "root" => return Err(Error::invalid("cannot delete \"root\" policy")),
            "default" => return Err(Error::invalid("cannot delete \"default\" policy")),
            _ => {}
        }
        self.storage
            .delete(&format!("{POLICY_PREFIX}{name}"))
            .await?;
        self.policies.remove(&name);
        self.acls.clear();
        Ok(())
    }

    pub async fn list(&self) -> Result<Vec<String>> {
        // Stored names come sorted; Vault appends "root" after them.
        let mut names = self.storage.list(POLICY_PREFIX).await?;
        names.sort();
        names.push("root".into());
        Ok(names)
    }

    /// The compiled ACL for a set of policy names; missing policies are skipped as in Vault.
    pub async fn acl(&self, names: &[String]) -> Result<Arc<Acl>> {
        if let Some(acl) = self.acls.get(names) {
            return Ok(acl.clone());
        }
        let mut policies = Vec::with_capacity(names.len());
        for name in names {
            if let Some(p) = self.get(name).await? {
                policies.push(p);
            }
        }
        let acl = Arc::new(Acl::new(&policies));
        self.acls.insert(names.to_vec(), acl.clone());
        Ok(acl)
    }
}
