//! The userpass auth method: users with a password (bcrypt), their token settings, and
//! `login/<username>`. Users are stored as `user/<lowercased name>` in the mount's storage.
//! Repeated bad passwords of an existing user lock it out (see `crate::lockout`).

mod login;
mod password;
#[cfg(test)]
mod tests;
mod users;

use std::sync::Arc;

use arca_sdk::token_fields::{auth_token_fields, LegacyAlias};
use arca_sdk::{
    Backend, BackendContext, BackendKind, BackendType, FieldData, FieldType, Operation, Path,
    PathRouter, Request, Response, Result, SpecialPaths, StorageView,
};
use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::lockout::LoginLockout;

pub struct Userpass {
    storage: StorageView,
    lockout: LoginLockout,
    /// Orders read-modify-write updates of users.
    write_lock: tokio::sync::Mutex<()>,
    router: PathRouter<Userpass>,
}

macro_rules! h {
    ($m:ident) => {
        |b: &Userpass, r: &Request, d: FieldData<'_>| Box::pin(b.$m(r, d))
    };
}

pub fn backend_type() -> BackendType {
    BackendType {
        name: "userpass",
        kind: BackendKind::Auth,
        version: "",
        factory: Arc::new(|ctx: BackendContext| {
            Box::pin(async move {
                password::warm_up().await?;
                Ok(Arc::new(Userpass::new(ctx)) as Arc<dyn Backend>)
            })
        }),
    }
}

const USERNAME_HELP: &str = "Username for this user.";
const PASSWORD_HELP: &str = "Password for this user.";
const PASSWORD_HASH_HELP: &str =
    "Pre-hashed bcrypt password for this user. Mutually exclusive with password.";

fn paths() -> Vec<Path<Userpass>> {
    vec![
        Path::new("users")
            .field("after", FieldType::String, "Optional entry to list begin listing after, not required to exist.")
            .field("limit", FieldType::Int, "Optional number of entries to return; defaults to all entries.")
            .op(Operation::List, h!(user_list))
            .help("Manage users allowed to authenticate.", USERS_HELP),
        Path::new("users/{username}/password")
            .field("username", FieldType::String, USERNAME_HELP)
            .field("password", FieldType::String, PASSWORD_HELP)
            .field("password_hash", FieldType::String, PASSWORD_HASH_HELP)
            .op(Operation::Update, h!(password_update))
            .help("Reset user's password.", "This endpoint allows resetting the user's password by providing either a plaintext password (which will be hashed with bcrypt) or a pre-hashed bcrypt string via password_hash. One of two must be provided, but not both."),
        Path::new("users/{username}/policies")
            .field("username", FieldType::String, USERNAME_HELP)
            .field("policies", FieldType::CommaStringSlice, "Use \"token_policies\" instead. If this and \"token_policies\" are both specified, only \"token_policies\" will be used.")
            .field("token_policies", FieldType::CommaStringSlice, "Comma-separated list of policies")
            .op(Operation::Update, h!(policies_update))
            .help("Update the policies associated with the username.", "This endpoint allows updating the policies associated with the username."),
        Path::new("users/{username}")
            .field("username", FieldType::String, USERNAME_HELP)
            .field("password", FieldType::String, PASSWORD_HELP)
            .field("password_hash", FieldType::String, PASSWORD_HASH_HELP)
            .fields(auth_token_fields(&[
                LegacyAlias::Policies,
                LegacyAlias::Ttl,
                LegacyAlias::MaxTtl,
                LegacyAlias::BoundCidrs,
            ]))
            .existence(|b: &Userpass, r: &Request, d: FieldData<'_>| Box::pin(b.user_exists(r, d)))
            .op(Operation::Read, h!(user_read))
            .op(Operation::Create, h!(user_write))
            .op(Operation::Update, h!(user_write))
            .op(Operation::Delete, h!(user_delete))
            .help("Manage users allowed to authenticate.", USERS_HELP),
        Path::new("login/{username}")
            .field("username", FieldType::String, "Username of the user.")
            .field("password", FieldType::String, "Password for this user.")
            .op(Operation::Update, h!(login))
            .help("Log in with a username and password.", "This endpoint authenticates using a username and password."),
    ]
}

const USERS_HELP: &str = "This endpoint allows you to create, read, update, and delete users that are allowed to authenticate.\n\nDeleting a user will not revoke auth for prior authenticated users with that name.";

impl Userpass {
    fn new(ctx: BackendContext) -> Self {
        Userpass {
            lockout: LoginLockout::new(&ctx.storage, ctx.system.clone()),
            storage: ctx.storage,
            write_lock: tokio::sync::Mutex::new(()),
            router: PathRouter::new(paths()),
        }
    }
}

#[async_trait]
impl Backend for Userpass {
    async fn handle(&self, req: &Request) -> Result<Option<Response>> {
        self.router.route(self, req).await
    }

    async fn existence(&self, req: &Request) -> Result<Option<bool>> {
        self.router.existence(self, req).await
    }

    /// A token is renewed only while its user exists with the same policies.
    async fn renew_login(
        &self,
        login: &arca_sdk::LoginRenewal,
    ) -> Result<Option<arca_sdk::RenewLimits>> {
        let username = login.metadata.get("username").cloned().unwrap_or_default();
        let Some(user) = self.load_user(&username.to_lowercase()).await? else {
            return Err(arca_sdk::Error::invalid(
                "user no longer exists, not renewing",
            ));
        };
        if !arca_sdk::equivalent_policies(&user.token.token_policies, &login.policies) {
            return Err(arca_sdk::Error::invalid(
                "policies have changed, not renewing",
            ));
        }
        Ok(Some(user.token.renew_limits()))
    }

    fn special_paths(&self) -> SpecialPaths {
        SpecialPaths {
            unauthenticated: vec!["login/*".into()],
            root: Vec::new(),
        }
    }

    fn openapi(&self, mount_point: &str) -> Map<String, Value> {
        self.router.openapi_paths(mount_point)
    }

    async fn initialize(&self) -> Result<()> {
        self.lockout.load().await
    }

    fn periodic_interval(&self) -> Option<std::time::Duration> {
        Some(std::time::Duration::from_secs(60))
    }

    async fn periodic(&self) -> Result<()> {
        self.lockout.tidy().await
    }

    async fn locked_users(&self) -> Result<Vec<String>> {
        Ok(self.lockout.locked())
    }

    async fn unlock_user(&self, alias: &str) -> Result<()> {
        self.lockout.unlock(alias).await
    }
}
