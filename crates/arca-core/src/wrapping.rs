//! Response wrapping: a response is stored in the cubbyhole of a fresh single-use token, and
//! the client receives only that token (`wrap_info`). Unwrapping reads the response once and
//! revokes the token.

use std::sync::Arc;
use std::time::Duration;

use arca_sdk::{now_unix, Error, Result, StorageExt};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::core::{Active, Core};
use crate::request::{ApiResponse, Caller, ClientRequest, WrapInfo};
use crate::token::TokenEntry;
use crate::token_ops::TokenSpec;

pub const WRAPPING_POLICY_NAME: &str = "response-wrapping";
pub const WRAPPING_POLICY: &str = r#"
path "cubbyhole/response" {
    capabilities = ["create", "read"]
}

path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}
"#;

#[derive(Serialize, Deserialize)]
struct WrappedRecord {
    /// The whole response envelope, as the client would have received it.
    response: Value,
    creation_path: String,
    creation_time: i64,
    ttl: u64,
}

impl Core {
    fn cubbyhole_key(&self, active: &Active, token_hash: &str, name: &str) -> Result<String> {
        let cubby = active
            .router
            .get("cubbyhole/")
            .ok_or_else(|| Error::internal("cubbyhole mount missing"))?;
        Ok(format!(
            "{}{}/{}",
            cubby.entry().view_prefix(),
            token_hash,
            name
        ))
    }

    /// Replaces a response by its wrapping token.
    pub(crate) async fn wrap_response(
        &self,
        active: &Arc<Active>,
        creq: &ClientRequest,
        caller: &Caller,
        mut inner: ApiResponse,
        ttl: Duration,
    ) -> Result<ApiResponse> {
        inner.request_id = creq.id.clone();
        // What the wrapped response identifies, so the holder can track or revoke it without
        // unwrapping: a login's token accessor, or an AppRole secret ID's accessor (as Vault).
        let wrapped_accessor = match &inner.auth {
            Some(auth) => auth.accessor.clone(),
            None if inner.mount_type == "approle" => inner
                .data
                .as_ref()
                .and_then(|d| d.get("secret_id_accessor"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            None => String::new(),
        };
        let issued = self
            .issue_token(
                active,
                TokenSpec {
                    policies: vec![WRAPPING_POLICY_NAME.into()],
                    no_default_policy: true,
                    num_uses: 1,
                    ttl,
                    explicit_max_ttl: ttl,
                    path: creq.path.clone(),
                    display_name: String::new(),
                    renewable: false,
                    mount_default_ttl: ttl,
                    mount_max_ttl: ttl,
                    parent: None,
                    ..Default::default()
                },
            )
            .await?;
        let now = now_unix();
        let record = WrappedRecord {
            response: inner.to_json(),
            creation_path: creq.path.clone(),
            creation_time: now,
            ttl: ttl.as_secs(),
        };
        let key = self.cubbyhole_key(active, &issued.entry.hash, "response")?;
        self.barrier.put_json(&key, &record).await?;
        let _ = caller;
        Ok(ApiResponse {
            wrap_info: Some(WrapInfo {
                token: issued.token.clone(),
                accessor: issued.entry.accessor.clone(),
                ttl: ttl.as_secs(),
                creation_time: crate::time::rfc3339_secs(now),
                creation_path: creq.path.clone(),
                wrapped_accessor,
            }),
            ..Default::default()
        })
    }

    async fn wrapping_entry(&self, active: &Active, token: &str) -> Result<Arc<TokenEntry>> {
        let entry = active
            .tokens
            .lookup(token)
            .await?
            .ok_or_else(|| Error::invalid("wrapping token is not valid or does not exist"))?;
        if entry.policies.len() != 1 || entry.policies[0] != WRAPPING_POLICY_NAME {
            return Err(Error::invalid(
                "wrapping token is not valid or does not exist",
            ));
        }
        Ok(entry)
    }

    /// Reads the wrapped response and destroys the wrapping token.
    pub async fn unwrap(&self, token: &str) -> Result<Value> {
        let active = self.active()?;
        let entry = self.wrapping_entry(&active, token).await?;
        let key = self.cubbyhole_key(&active, &entry.hash, "response")?;
        let record = self
            .barrier
            .get_json::<WrappedRecord>(&key)
            .await?
            .ok_or_else(|| Error::invalid("wrapping token is not valid or does not exist"))?;
        self.revoke_token_tree(&entry.hash).await?;
        Ok(record.response)
    }

    /// `sys/wrapping/lookup`: what a wrapping token holds, without consuming it.
    pub async fn wrapping_lookup(&self, token: &str) -> Result<Map<String, Value>> {
        let active = self.active()?;
        let entry = self.wrapping_entry(&active, token).await?;
        let key = self.cubbyhole_key(&active, &entry.hash, "response")?;
        let record = self
            .barrier
            .get_json::<WrappedRecord>(&key)
            .await?
            .ok_or_else(|| Error::invalid("wrapping token is not valid or does not exist"))?;
        let mut m = Map::new();
        m.insert("creation_path".into(), Value::String(record.creation_path));
        m.insert(
            "creation_time".into(),
            Value::String(crate::time::rfc3339_secs(record.creation_time)),
        );
        m.insert("creation_ttl".into(), Value::from(record.ttl));
        Ok(m)
    }

    /// `sys/wrapping/rewrap`: moves a wrapped response to a new token with the same TTL.
    pub async fn rewrap(&self, creq: &ClientRequest, token: &str) -> Result<ApiResponse> {
        let active = self.active()?;
        let entry = self.wrapping_entry(&active, token).await?;
        let key = self.cubbyhole_key(&active, &entry.hash, "response")?;
        let record = self
            .barrier
            .get_json::<WrappedRecord>(&key)
            .await?
            .ok_or_else(|| Error::invalid("wrapping token is not valid or does not exist"))?;
        let ttl = Duration::from_secs(record.ttl);
        let issued = self
            .issue_token(
                &active,
                TokenSpec {
                    policies: vec![WRAPPING_POLICY_NAME.into()],
                    no_default_policy: true,
                    num_uses: 1,
                    ttl,
                    explicit_max_ttl: ttl,
                    path: record.creation_path.clone(),
                    mount_default_ttl: ttl,
                    mount_max_ttl: ttl,
                    ..Default::default()
                },
            )
            .await?;
        let now = now_unix();
        let new_key = self.cubbyhole_key(&active, &issued.entry.hash, "response")?;
        let creation_path = record.creation_path.clone();
        self.barrier
            .put_json(
                &new_key,
                &WrappedRecord {
                    creation_time: now,
                    ..record
                },
            )
            .await?;
        self.revoke_token_tree(&entry.hash).await?;
        let _ = creq;
        Ok(ApiResponse {
            wrap_info: Some(WrapInfo {
                token: issued.token,
                accessor: issued.entry.accessor.clone(),
                ttl: ttl.as_secs(),
                creation_time: crate::time::rfc3339_secs(now),
                creation_path,
                wrapped_accessor: String::new(),
            }),
            ..Default::default()
        })
    }
}
