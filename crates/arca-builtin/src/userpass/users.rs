//! Userpass users: the stored entry and the `users/...` endpoints (CRUD, LIST, password
//! reset, policies update). Names are case-insensitive and stored lowercased, as in Vault.

use arca_sdk::token_fields::{normalize_policies, TokenParams};
use arca_sdk::{Error, FieldData, Operation, Request, Response, Result, Storage, StorageExt};
use serde::{Deserialize, Serialize};
use serde_json::Map;

use super::{password, Userpass};
use crate::auth_common::{generic_name, list_page_args};

/// A user as stored. No `Debug`: nothing about a credential goes to logs.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct UserEntry {
    /// The bcrypt hash of the password (never the password itself).
    pub password_hash: String,
    #[serde(flatten)]
    pub token: TokenParams,
}

pub(super) fn user_key(name: &str) -> String {
    format!("user/{}", name.to_lowercase())
}

/// The password a write sets: a plaintext to hash, or a bcrypt hash to store as given.
enum NewPassword {
    Plain(String),
    Hashed(String),
}

fn new_password(d: &FieldData<'_>) -> Result<Option<NewPassword>> {
    let plain = d.string("password")?;
    let hashed = d.string("password_hash")?;
    match (plain.is_empty(), hashed.is_empty()) {
        (false, false) => Err(Error::invalid(
            "only one of password or password_hash may be provided",
        )),
        (true, true) => Ok(None),
        (false, true) => Ok(Some(NewPassword::Plain(plain))),
        (true, false) => {
            password::validate_imported(&hashed)?;
            Ok(Some(NewPassword::Hashed(hashed)))
        }
    }
}

async fn hash_new_password(p: NewPassword) -> Result<String> {
    match p {
        NewPassword::Plain(plain) => password::hash(&plain).await,
        NewPassword::Hashed(h) => Ok(h),
    }
}

impl Userpass {
    pub(super) async fn load_user(&self, name: &str) -> Result<Option<UserEntry>> {
        self.storage.get_json(&user_key(name)).await
    }

    pub(super) async fn user_exists(&self, _req: &Request, d: FieldData<'_>) -> Result<bool> {
        let name = generic_name(&d, "username")?;
        Ok(self.load_user(&name).await?.is_some())
    }

    pub(super) async fn user_list(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let (after, limit) = list_page_args(&d)?;
        let keys = self.storage.list_page("user/", &after, limit).await?;
        if keys.is_empty() {
            return Ok(None);
        }
        Ok(Some(Response::list(keys)))
    }

    pub(super) async fn user_read(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = generic_name(&d, "username")?;
        let Some(user) = self.load_user(&name).await? else {
            return Ok(None);
        };
        let mut data = Map::new();
        user.token.write_auth_data(&mut data);
        Ok(Some(Response::data(data)))
    }

    pub(super) async fn user_write(
        &self,
        req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = generic_name(&d, "username")?.to_lowercase();
        let password = new_password(&d)?;
        if req.operation == Operation::Create && password.is_none() {
            return Err(Error::invalid(
                "must provide either password or password_hash",
            ));
        }
        // Hash before taking the write lock: it is the slow part.
        let password_hash = match password {
            Some(p) => Some(hash_new_password(p).await?),
            None => None,
        };
        let _write = self.write_lock.lock().await;
        let mut user = self.load_user(&name).await?.unwrap_or_default();
        user.token.update_from_auth(&d)?;
        if let Some(h) = password_hash {
            user.password_hash = h;
        }
        if user.password_hash.is_empty() {
            return Err(Error::invalid(
                "must provide either password or password_hash",
            ));
        }
        self.storage.put_json(&user_key(&name), &user).await?;
        Ok(None)
    }

    pub(super) async fn user_delete(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = generic_name(&d, "username")?;
        let _write = self.write_lock.lock().await;
        self.storage.delete(&user_key(&name)).await?;
        Ok(None)
    }

    pub(super) async fn password_update(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = generic_name(&d, "username")?;
        let Some(password) = new_password(&d)? else {
            return Err(Error::invalid(
                "must provide either password or password_hash",
            ));
        };
        if self.load_user(&name).await?.is_none() {
            return Err(Error::invalid("username does not exist"));
        }
        let hash = hash_new_password(password).await?;
        let _write = self.write_lock.lock().await;
        let Some(mut user) = self.load_user(&name).await? else {
            return Err(Error::invalid("username does not exist"));
        };
        user.password_hash = hash;
        self.storage.put_json(&user_key(&name), &user).await?;
        Ok(None)
    }

    pub(super) async fn policies_update(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let name = generic_name(&d, "username")?;
        let _write = self.write_lock.lock().await;
        let Some(mut user) = self.load_user(&name).await? else {
            return Err(Error::invalid("username does not exist"));
        };
        let token = &mut user.token;
        if let Some(p) = d.strings("token_policies")? {
            token.token_policies = normalize_policies(p);
            token.legacy.policies = if d.is_set("policies") {
                token.token_policies.clone()
            } else {
                Vec::new()
            };
        } else if let Some(p) = d.strings("policies")? {
            token.token_policies = normalize_policies(p);
            token.legacy.policies = token.token_policies.clone();
        }
        self.storage.put_json(&user_key(&name), &user).await?;
        Ok(None)
    }
}
