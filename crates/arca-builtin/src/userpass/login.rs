//! `login/<username>`: checks the password (in constant time, with the same work for an
//! unknown user), the user's token CIDR bindings and its lockout, then answers the `Auth`
//! the core turns into a token.

use std::collections::HashMap;

use arca_sdk::token_fields::cidr_contains;
use arca_sdk::{Auth, Error, FieldData, Request, Response, Result};

use super::{password, Userpass};
use crate::auth_common::generic_name;

/// OpenBao's answer to a bad username or password, the same for both.
const INVALID_CREDENTIALS: &str = "invalid username or password";

impl Userpass {
    pub(super) async fn login(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let username = generic_name(&d, "username")?.to_lowercase();
        self.lockout.check(&username)?;
        let password = d.string("password")?;
        if password.is_empty() {
            return Err(Error::invalid("missing password"));
        }
        let user = self.load_user(&username).await?;
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let matches = password::verify(&password, stored).await?;
        let user = match user {
            Some(user) if matches => user,
            Some(_) => {
                // Only existing users are counted, as in Vault: unknown names would let
                // anyone fill the failure table.
                self.lockout.record_failure(&username).await?;
                return Err(Error::invalid(INVALID_CREDENTIALS));
            }
            None => return Err(Error::invalid(INVALID_CREDENTIALS)),
        };
        let cidrs = &user.token.token_bound_cidrs;
        if !cidrs.is_empty()
            && !req
                .remote_addr
                .is_some_and(|ip| cidrs.iter().any(|c| cidr_contains(c, ip)))
        {
            return Err(Error::PermissionDenied);
        }
        self.lockout.record_success(&username).await?;
        let mut auth = Auth {
            metadata: HashMap::from([("username".to_string(), username.clone())]),
            display_name: username.clone(),
            alias_name: username,
            ..Default::default()
        };
        user.token.populate_login_auth(&mut auth, req.remote_addr)?;
        Ok(Some(Response {
            auth: Some(auth),
            ..Default::default()
        }))
    }
}
