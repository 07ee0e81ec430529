//! The token auth method (`auth/token/`): create, lookup, renew, revoke, roles, tidy.

use std::sync::{Arc, Weak};
use std::time::Duration;

use arca_sdk::token_fields::{normalize_policies, token_fields, validate_cidr, TokenParams};
use arca_sdk::{
    Backend, Error, FieldData, FieldType, Operation, Path, PathRouter, Request, Response, Result,
    SpecialPaths, StorageExt,
};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::core::{Active, Core};
use crate::policy::glob_match;
use crate::token::{TokenEntry, TokenType, ROLES_PREFIX};
use crate::token_ops::{IssuedToken, TokenSpec};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenRole {
    pub name: String,
    pub allowed_policies: Vec<String>,
    pub disallowed_policies: Vec<String>,
    pub allowed_policies_glob: Vec<String>,
    pub disallowed_policies_glob: Vec<String>,
    pub orphan: bool,
    pub renewable: bool,
    pub path_suffix: String,
    pub allowed_entity_aliases: Vec<String>,
    #[serde(flatten)]
    pub token: TokenParams,
}

pub struct TokenBackend {
    core: Weak<Core>,
    router: PathRouter<TokenBackend>,
}

macro_rules! h {
    ($m:ident) => {
        |b: &TokenBackend, r: &Request, d: FieldData<'_>| Box::pin(b.$m(r, d))
    };
}

fn create_path(pattern: &str) -> Path<TokenBackend> {
    Path::new(pattern)
        .field("role_name", FieldType::String, "Name of the role")
        .field("id", FieldType::String, "Value for the token")
        .field(
            "policies",
            FieldType::CommaStringSlice,
            "List of policies for the token",
        )
        .field(
            "meta",
            FieldType::StringMap,
            "Arbitrary key=value metadata to associate with the token",
        )
        .field(
            "no_parent",
            FieldType::Bool,
            "Do not include the parent token (requires root or sudo)",
        )
        .field(
            "no_default_policy",
            FieldType::Bool,
            "Do not include default policy for this token",
        )
        .field("ttl", FieldType::Duration, "Time to live for this token")
        .field(
            "explicit_max_ttl",
            FieldType::Duration,
            "Explicit Max TTL for this token",
        )
        .field(
            "display_name",
            FieldType::String,
            "Name to associate with this token",
        )
        .field(
            "num_uses",
            FieldType::Int,
            "Max number of uses for this token",
        )
        .field("period", FieldType::Duration, "Renew period")
        .field(
            "renewable",
            FieldType::Bool,
            "Allow token to be renewed past its initial TTL up to system/mount maximum TTL",
        )
        .field("type", FieldType::String, "Token type (service or batch)")
        .field(
            "entity_alias",
            FieldType::String,
            "Name of the entity alias to associate with this token",
        )
        .field("lease", FieldType::String, "Use 'ttl' instead")
}

impl TokenBackend {
    pub fn new(core: Weak<Core>) -> Self {
        TokenBackend {
            core,
            router: PathRouter::new(Self::paths()),
        }
    }

    fn core(&self) -> Result<Arc<Core>> {
        self.core.upgrade().ok_or(Error::Sealed)
    }

    fn paths() -> Vec<Path<TokenBackend>> {
        let token_field = |p: Path<TokenBackend>| {
            p.field("token", FieldType::String, "Token to look up/renew/revoke")
        };
        vec![
            create_path("create")
                .op(Operation::Update, h!(create))
                .help("The token create path is used to create new tokens.", ""),
            create_path("create-orphan")
                .op(Operation::Update, h!(create_orphan))
                .help("The token create path is used to create new orphan tokens.", ""),
            create_path("create/{role_name}")
                .op(Operation::Update, h!(create_with_role))
                .help("This token create path is used to create new tokens adhering to the given role.", ""),
            token_field(Path::new("lookup"))
                .op(Operation::Update, h!(lookup))
                .op(Operation::Read, h!(lookup))
                .help("This endpoint will lookup a token and its properties.", ""),
            token_field(Path::new("lookup-self"))
                .op(Operation::Read, h!(lookup_self))
                .op(Operation::Update, h!(lookup_self))
                .help("This endpoint will lookup a token and its properties.", ""),
            Path::new("lookup-accessor")
                .field("accessor", FieldType::String, "Accessor of the token to look up (request body)")
                .op(Operation::Update, h!(lookup_accessor))
                .help("This endpoint will lookup a token associated with the given accessor and its properties. Response will not contain the token ID.", ""),
            token_field(Path::new("renew"))
                .field("increment", FieldType::Duration, "The desired increment in seconds to the token expiration")
                .op(Operation::Update, h!(renew))
                .help("This endpoint will renew the given token and prevent expiration.", ""),
            token_field(Path::new("renew-self"))
                .field("increment", FieldType::Duration, "The desired increment in seconds to the token expiration")
                .op(Operation::Update, h!(renew_self))
                .help("This endpoint will renew the token used to call it and prevent expiration.", ""),
            Path::new("renew-accessor")
                .field("accessor", FieldType::String, "Accessor of the token to renew (request body)")
                .field("increment", FieldType::Duration, "The desired increment in seconds to the token expiration")
                .op(Operation::Update, h!(renew_accessor))
                .help("This endpoint will renew a token associated with the given accessor and its properties. Response will not contain the token ID.", ""),
            token_field(Path::new("revoke"))
                .op(Operation::Update, h!(revoke))
                .help("This endpoint will delete the given token and all of its child tokens.", ""),
            Path::new("revoke-self")
                .op(Operation::Update, h!(revoke_self))
                .help("This endpoint will delete the token used to call it and all of its child tokens.", ""),
            Path::new("revoke-accessor")
                .field("accessor", FieldType::String, "Accessor of the token (request body)")
                .op(Operation::Update, h!(revoke_accessor))
                .help("This endpoint will delete the token associated with the accessor and all of its child tokens.", ""),
            token_field(Path::new("revoke-orphan"))
                .op(Operation::Update, h!(revoke_orphan))
                .help("This endpoint will delete the token and orphan its child tokens.", ""),
            Path::new("accessors")
                .op(Operation::List, h!(accessors))
                .help("List token accessors, which can then be be used to iterate and discover their properties or revoke them. Because this can be used to cause a denial of service, this endpoint requires 'sudo' capability in addition to 'list'.", ""),
            Path::new("roles")
                .op(Operation::List, h!(roles_list))
                .help("This endpoint lists configured roles.", ""),
            Path::new("roles/{role_name}")
                .field("role_name", FieldType::String, "Name of the role")
                .field("allowed_policies", FieldType::CommaStringSlice, "If set, tokens can be created with any subset of the policies in this list, rather than the normal semantics of tokens being a subset of the calling token's policies.")
                .field("disallowed_policies", FieldType::CommaStringSlice, "If set, successful token creation via this role will require that no policies in the given list are requested.")
                .field("allowed_policies_glob", FieldType::CommaStringSlice, "Glob patterns of allowed policies.")
                .field("disallowed_policies_glob", FieldType::CommaStringSlice, "Glob patterns of disallowed policies.")
                .field("orphan", FieldType::Bool, "If true, tokens created via this role will be orphan tokens (have no parent)")
                .field("renewable", FieldType::Bool, "Tokens created via this role will be renewable or not according to this value.")
                .field("path_suffix", FieldType::String, "If set, tokens created via this role will contain the given suffix as a part of their path.")
                .field("allowed_entity_aliases", FieldType::CommaStringSlice, "String or JSON list of allowed entity aliases.")
                .field("explicit_max_ttl", FieldType::Duration, "Use 'token_explicit_max_ttl' instead.")
                .fields(token_fields())
                .op(Operation::Read, h!(role_read))
                .op(Operation::Update, h!(role_write))
                .op(Operation::Delete, h!(role_delete))
                .help("Create, read, update or delete a token role.", ""),
            Path::new("tidy")
                .op(Operation::Update, h!(tidy))
                .help("This endpoint performs cleanup tasks that can be run if certain error conditions have occurred.", ""),
        ]
    }

    fn caller<'a>(&self, active: &'a Active, req: &Request) -> CallerRef<'a> {
        CallerRef {
            active,
            token: req.client_token.clone(),
        }
    }

    async fn caller_entry(&self, active: &Active, req: &Request) -> Result<Arc<TokenEntry>> {
        self.caller(active, req).entry().await
    }

    /// Whether the caller may do privileged things on this path (root, or sudo in its ACL).
    async fn caller_is_sudo(
        &self,
        active: &Active,
        entry: &TokenEntry,
        path: &str,
    ) -> Result<bool> {
        if entry.is_root() {
            return Ok(true);
        }
        let acl = active.policies.acl(&entry.all_policies()).await?;
        Ok(acl
            .capabilities(path)
            .iter()
            .any(|c| c == "sudo" || c == "root"))
    }

    async fn create(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        self.create_common(req, &d, false, None).await
    }

    async fn create_orphan(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        self.create_common(req, &d, true, None).await
    }

    async fn create_with_role(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let name = d.string("role_name")?;
        let role = core
            .barrier_storage()
            .get_json::<TokenRole>(&format!("{ROLES_PREFIX}{}", name.to_lowercase()))
            .await?
            .ok_or_else(|| Error::invalid(format!("unknown role {name}")))?;
        self.create_common(req, &d, false, Some(role)).await
    }

    async fn create_common(
        &self,
        req: &Request,
        d: &FieldData<'_>,
        orphan_endpoint: bool,
        role: Option<TokenRole>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let parent = self.caller_entry(&active, req).await?;
        if parent.token_type == TokenType::Batch {
            return Err(Error::invalid("batch tokens cannot create more tokens"));
        }
        if parent.num_uses > 0 {
            return Err(Error::invalid(
                "restricted use token cannot generate child tokens",
            ));
        }
        let full_path = format!("{}{}", req.mount_point, req.path);
        let is_sudo = self.caller_is_sudo(&active, &parent, &full_path).await?;
        let mut warnings = Vec::new();

        // Token type: the role may force or default it.
        let mut type_str = d.string("type")?;
        if let Some(r) = &role {
            match r.token.token_type.as_str() {
                "" | "default" | "default-service" => {}
                "default-batch" if type_str.is_empty() => type_str = "batch".into(),
                "default-batch" => {}
                "service" => type_str = "service".into(),
                "batch" => type_str = "batch".into(),
                other => {
                    return Err(Error::invalid(format!(
                        "role being used for token creation contains invalid token type {other:?}"
                    )))
                }
            }
        }
        let explicit_max = d.duration("explicit_max_ttl")?.unwrap_or_default();
        let period_param = d.duration("period")?.unwrap_or_default();
        let num_uses = d.int("num_uses")?.unwrap_or(0);
        let mut renewable = d.bool("renewable")?.unwrap_or(true);
        let token_type = match type_str.as_str() {
            "" | "service" => TokenType::Service,
            "batch" => {
                let bad = if !explicit_max.is_zero() {
                    Some("explicit_max_ttl")
                } else if num_uses != 0 {
                    Some("num_uses")
                } else if !period_param.is_zero() {
                    Some("period")
                } else {
                    None
                };
                if let Some(bad) = bad {
                    return Err(Error::invalid(format!(
                        "batch tokens cannot have {bad:?} set"
                    )));
                }
                renewable = false;
                TokenType::Batch
            }
            _ => return Err(Error::invalid("invalid 'token_type' value")),
        };
        if num_uses < 0 {
            return Err(Error::invalid("number of uses cannot be negative"));
        }

        // The token mount's own TTLs, which `sys/auth/token/tune` changes.
        let (mount_default_ttl, mount_max_ttl) =
            core.mount_ttls_for_accessor(&active, &req.mount_accessor);
        let mut spec = TokenSpec {
            token_type,
            display_name: "token".into(),
            path: format!("auth/token/{}", req.path),
            mount_accessor: req.mount_accessor.clone(),
            mount_default_ttl,
            mount_max_ttl,
            num_uses: num_uses as u64,
            meta: d.string_map("meta")?.unwrap_or_default(),
            // The final policy list is computed here, Vault's way.
            no_default_policy: true,
            parent: Some(parent.clone()),
            ..Default::default()
        };
        if let Some(r) = &role {
            spec.role = r.name.clone();
            if renewable && !r.renewable {
                renewable = false;
            }
            if r.token.token_num_uses > 0
                && (spec.num_uses == 0 || r.token.token_num_uses < spec.num_uses)
            {
                spec.num_uses = r.token.token_num_uses;
            }
            if !r.path_suffix.is_empty() {
                spec.path = format!("{}/{}", spec.path, r.path_suffix);
            }
        }
        if let Some(name) = d.str("display_name")?.filter(|s| !s.is_empty()) {
            spec.display_name = sanitize_display_name(&format!("token-{name}"));
        }
        if let Some(id) = d.str("id")?.filter(|s| !s.is_empty()) {
            if !is_sudo {
                return Err(Error::invalid(
                    "root or sudo privileges required to specify token id",
                ));
            }
            if token_type == TokenType::Batch || id.contains('.') {
                return Err(Error::invalid(
                    "token IDs cannot contain a period and cannot be set for batch tokens",
                ));
            }
            spec.fixed_id = Some(id);
        }

        let policies = resolve_policies(d, role.as_ref(), &parent, is_sudo)?;
        if policies.iter().any(|p| p == "root") {
            if !parent.is_root() {
                return Err(Error::invalid(
                    "root tokens may not be created without parent token being root",
                ));
            }
            if token_type == TokenType::Batch {
                return Err(Error::invalid("batch tokens cannot be root tokens"));
            }
        }
        spec.policies = policies;

        // Parentage.
        match &role {
            Some(r) => {
                if r.orphan {
                    spec.parent = None;
                }
                if !r.token.token_bound_cidrs.is_empty() {
                    spec.bound_cidrs = r.token.token_bound_cidrs.clone();
                }
            }
            None if d.bool("no_parent")?.unwrap_or(false) => {
                if !is_sudo {
                    return Err(Error::invalid(
                        "root or sudo privileges required to create orphan token",
                    ));
                }
                spec.parent = None;
            }
            None if orphan_endpoint => spec.parent = None,
            None => {}
        }
        if spec.parent.is_some() {
            spec.entity_id = parent.entity_id.clone();
            if role.is_none() {
                spec.bound_cidrs = parent.bound_cidrs.clone();
            }
        }

        // TTLs.
        spec.explicit_max_ttl = explicit_max;
        if !period_param.is_zero() {
            if !is_sudo {
                return Err(Error::invalid(
                    "root or sudo privileges required to create periodic token",
                ));
            }
            spec.period = period_param;
        }
        spec.ttl = match (d.duration("ttl")?, d.str("lease")?) {
            (Some(t), _) => t,
            (None, Some(l)) if !l.is_empty() => arca_sdk::duration::parse_duration(&l)?,
            _ => Duration::ZERO,
        };
        if let Some(r) = role.as_ref().filter(|_| token_type != TokenType::Batch) {
            if r.token.token_explicit_max_ttl != 0 {
                let role_max = Duration::from_secs(r.token.token_explicit_max_ttl);
                if spec.explicit_max_ttl.is_zero() {
                    spec.explicit_max_ttl = role_max;
                } else {
                    spec.explicit_max_ttl = spec.explicit_max_ttl.min(role_max);
                    warnings.push(format!("Explicit max TTL specified both during creation call and in role; using the lesser value of {} seconds", spec.explicit_max_ttl.as_secs()));
                }
            }
            if r.token.token_period != 0 {
                let role_period = Duration::from_secs(r.token.token_period);
                if spec.period.is_zero() {
                    spec.period = role_period;
                } else {
                    spec.period = spec.period.min(role_period);
                    warnings.push(format!("Period specified both during creation call and in role; using the lesser value of {} seconds", spec.period.as_secs()));
                }
            }
            if spec.ttl.is_zero() && r.token.token_ttl > 0 {
                spec.ttl = Duration::from_secs(r.token.token_ttl);
            }
            if r.token.token_max_ttl > 0 {
                spec.mount_max_ttl = spec
                    .mount_max_ttl
                    .min(Duration::from_secs(r.token.token_max_ttl));
            }
        }
        let root_without_ttl = spec.policies.iter().any(|p| p == "root")
            && spec.ttl.is_zero()
            && spec.period.is_zero()
            && spec.explicit_max_ttl.is_zero();
        if root_without_ttl && parent.expire_time != 0 {
            return Err(Error::invalid(
                "expiring root tokens cannot create non-expiring root tokens",
            ));
        }
        spec.renewable = renewable;
        if spec.fixed_id.is_some() {
            warnings.push("Supplying a custom ID for the token uses the weaker SHA1 hashing instead of the more secure SHA2-256 HMAC for token obfuscation. SHA1 hashed tokens on the wire leads to less secure lookups.".into());
        }
        if let Some(alias) = d.str("entity_alias")?.filter(|s| !s.is_empty()) {
            let Some(r) = &role else {
                return Err(Error::invalid(
                    "'entity_alias' is only allowed in combination with token role",
                ));
            };
            if !r
                .allowed_entity_aliases
                .iter()
                .any(|a| glob_match(a, &alias))
            {
                return Err(Error::invalid("invalid 'entity_alias' value"));
            }
            return Err(Error::unsupported(
                "entity_alias: the identity store is not available yet",
            ));
        }
        for p in &spec.policies {
            if p != "root" && active.policies.get(p).await?.is_none() {
                warnings.push(format!("Policy {p:?} does not exist"));
            }
        }
        let issued = core.issue_token(&active, spec).await?;
        let mut resp = auth_response(&issued)?;
        warnings.extend(issued.warnings.iter().cloned());
        resp.warnings = warnings;
        Ok(Some(resp))
    }

    async fn lookup(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let token = d.string("token")?;
        if token.is_empty() {
            return self.lookup_self(req, d).await;
        }
        let entry = active
            .tokens
            .lookup(&token)
            .await?
            .ok_or_else(|| Error::InvalidToken("bad token".into()))?;
        Ok(Some(Response::data(entry.lookup_data(&token))))
    }

    async fn lookup_self(&self, req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let entry = self.caller_entry(&active, req).await?;
        Ok(Some(Response::data(entry.lookup_data(&req.client_token))))
    }

    async fn entry_by_accessor(
        &self,
        active: &Active,
        d: &FieldData<'_>,
    ) -> Result<Arc<TokenEntry>> {
        let accessor = d.string("accessor")?;
        if accessor.is_empty() {
            return Err(Error::invalid("missing accessor"));
        }
        let hash = active
            .tokens
            .hash_for_accessor(&accessor)
            .await?
            .ok_or_else(|| Error::invalid("invalid accessor"))?;
        active
            .tokens
            .lookup_hash(&hash)
            .await?
            .ok_or_else(|| Error::invalid("invalid accessor"))
    }

    async fn lookup_accessor(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let entry = self.entry_by_accessor(&active, &d).await?;
        Ok(Some(Response::data(entry.lookup_data(""))))
    }

    async fn renew_entry(
        &self,
        core: &Core,
        entry: &TokenEntry,
        token: &str,
        d: &FieldData<'_>,
    ) -> Result<Option<Response>> {
        let increment = d.duration("increment")?.unwrap_or_default();
        let (renewed, warnings) = core.renew_token(entry, increment).await?;
        let issued = IssuedToken {
            token: token.to_string(),
            entry: renewed,
            warnings,
        };
        let mut resp = auth_response(&issued)?;
        resp.warnings = issued.warnings;
        Ok(Some(resp))
    }

    async fn renew(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let token = d.string("token")?;
        if token.is_empty() {
            return Err(Error::invalid("missing token"));
        }
        let entry = active
            .tokens
            .lookup(&token)
            .await?
            .ok_or_else(|| Error::invalid("invalid token"))?;
        let _ = req;
        self.renew_entry(&core, &entry, &token, &d).await
    }

    async fn renew_self(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let entry = self.caller_entry(&active, req).await?;
        self.renew_entry(&core, &entry, &req.client_token, &d).await
    }

    async fn renew_accessor(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let entry = self.entry_by_accessor(&active, &d).await?;
        self.renew_entry(&core, &entry, "", &d).await
    }

    async fn revoke(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let token = d.string("token")?;
        if token.is_empty() {
            return Err(Error::invalid("missing token"));
        }
        if let Some(entry) = active.tokens.lookup(&token).await? {
            if entry.token_type == TokenType::Batch {
                return Err(Error::invalid("batch tokens cannot be revoked"));
            }
            core.revoke_token_tree(&entry.hash).await?;
        }
        Ok(None)
    }

    async fn revoke_self(&self, req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let entry = self.caller_entry(&active, req).await?;
        if entry.token_type == TokenType::Batch {
            return Err(Error::invalid("batch tokens cannot be revoked"));
        }
        core.revoke_token_tree(&entry.hash).await?;
        Ok(None)
    }

    async fn revoke_accessor(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let accessor = d.string("accessor")?;
        if accessor.is_empty() {
            return Err(Error::invalid("missing accessor"));
        }
        // Revoking what is already gone succeeds with a warning, as in Vault.
        let Some(hash) = active.tokens.hash_for_accessor(&accessor).await? else {
            return Ok(Some(
                Response::default().with_warning("No token found with this accessor"),
            ));
        };
        let entry = active
            .tokens
            .lookup_hash(&hash)
            .await?
            .ok_or_else(|| Error::invalid("token not found"))?;
        core.revoke_token_tree(&entry.hash).await?;
        Ok(None)
    }

    async fn revoke_orphan(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let token = d.string("token")?;
        if token.is_empty() {
            return Err(Error::invalid("missing token ID"));
        }
        // Vault checks sudo here rather than through the root paths, and answers 400.
        let caller = self.caller_entry(&active, req).await?;
        let path = format!("{}{}", req.mount_point, req.path);
        if !self.caller_is_sudo(&active, &caller, &path).await? {
            return Err(Error::invalid(
                "root or sudo privileges required to revoke and orphan",
            ));
        }
        let entry = active
            .tokens
            .lookup(&token)
            .await?
            .ok_or_else(|| Error::invalid("token to revoke not found"))?;
        if entry.token_type == TokenType::Batch {
            return Err(Error::invalid("batch tokens cannot be revoked"));
        }
        core.revoke_token_orphan(&entry.hash).await?;
        Ok(None)
    }

    async fn accessors(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let keys = core.active()?.tokens.accessors().await?;
        Ok(Some(Response::list(keys)))
    }

    async fn roles_list(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let keys = core.barrier_storage().list(ROLES_PREFIX).await?;
        if keys.is_empty() {
            return Err(Error::NotFound(String::new()));
        }
        Ok(Some(Response::list(keys)))
    }

    async fn role_read(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let name = d.string("role_name")?.to_lowercase();
        let Some(r) = core
            .barrier_storage()
            .get_json::<TokenRole>(&format!("{ROLES_PREFIX}{name}"))
            .await?
        else {
            return Ok(None);
        };
        let mut m = Map::new();
        m.insert("name".into(), json!(r.name));
        m.insert("allowed_policies".into(), json!(r.allowed_policies));
        m.insert("disallowed_policies".into(), json!(r.disallowed_policies));
        m.insert(
            "allowed_policies_glob".into(),
            json!(r.allowed_policies_glob),
        );
        m.insert(
            "disallowed_policies_glob".into(),
            json!(r.disallowed_policies_glob),
        );
        m.insert("orphan".into(), json!(r.orphan));
        m.insert("renewable".into(), json!(r.renewable));
        m.insert("path_suffix".into(), json!(r.path_suffix));
        m.insert(
            "allowed_entity_aliases".into(),
            json!(r.allowed_entity_aliases),
        );
        m.insert(
            "explicit_max_ttl".into(),
            json!(r.token.token_explicit_max_ttl),
        );
        m.insert("period".into(), json!(r.token.token_period));
        r.token.write_response(&mut m);
        Ok(Some(Response::data(m)))
    }

    async fn role_write(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let name = d.string("role_name")?.to_lowercase();
        if name.is_empty() || name.contains('/') {
            return Err(Error::invalid("invalid role name"));
        }
        let storage = core.barrier_storage();
        let key = format!("{ROLES_PREFIX}{name}");
        let mut role = storage
            .get_json::<TokenRole>(&key)
            .await?
            .unwrap_or_else(|| TokenRole {
                name: name.clone(),
                renewable: true,
                ..Default::default()
            });
        if let Some(v) = d.strings("allowed_policies")? {
            role.allowed_policies = normalize_policies(v);
        }
        if let Some(v) = d.strings("disallowed_policies")? {
            role.disallowed_policies = normalize_policies(v);
        }
        if let Some(v) = d.strings("allowed_policies_glob")? {
            role.allowed_policies_glob = v;
        }
        if let Some(v) = d.strings("disallowed_policies_glob")? {
            role.disallowed_policies_glob = v;
        }
        if let Some(v) = d.bool("orphan")? {
            role.orphan = v;
        }
        if let Some(v) = d.bool("renewable")? {
            role.renewable = v;
        }
        if let Some(v) = d.str("path_suffix")? {
            if v.contains("..") {
                return Err(Error::invalid(
                    "error registering path suffix: path suffix cannot contain '..'",
                ));
            }
            role.path_suffix = v.trim_matches('/').to_string();
        }
        if let Some(v) = d.strings("allowed_entity_aliases")? {
            role.allowed_entity_aliases = v;
        }
        if d.is_set("explicit_max_ttl") && !d.is_set("token_explicit_max_ttl") {
            role.token.token_explicit_max_ttl = d
                .duration("explicit_max_ttl")?
                .unwrap_or_default()
                .as_secs();
        }
        role.token.update_from(&d)?;
        for cidr in &role.token.token_bound_cidrs {
            validate_cidr(cidr)?;
        }
        if role.token.token_type == "batch" {
            let refusal = if !role.orphan {
                Some("non-orphan tokens")
            } else if role.token.token_period != 0 {
                Some("periodic tokens")
            } else if role.renewable {
                Some("renewable tokens")
            } else if role.token.token_explicit_max_ttl != 0 {
                Some("tokens with an explicit max TTL")
            } else {
                None
            };
            if let Some(what) = refusal {
                return Err(Error::invalid(format!(
                    "'token_type' cannot be 'batch' when role is set to generate {what}"
                )));
            }
        }
        storage.put_json(&key, &role).await?;
        Ok(None)
    }

    async fn role_delete(&self, _req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let name = d.string("role_name")?.to_lowercase();
        core.barrier_storage()
            .delete(&format!("{ROLES_PREFIX}{name}"))
            .await?;
        Ok(None)
    }

    async fn tidy(&self, _req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let (accessors, parents) = active.tokens.tidy().await?;
        let leases = active.leases.tidy().await?;
        tracing::info!(accessors, parents, leases, "token: tidy finished");
        let mut resp = Response::default().with_warning(
            "Tidy operation successfully started. Any information from the operation will be printed to Vault's server logs.",
        );
        resp.status = Some(202);
        Ok(Some(resp))
    }
}

struct CallerRef<'a> {
    active: &'a Active,
    token: String,
}

impl CallerRef<'_> {
    async fn entry(&self) -> Result<Arc<TokenEntry>> {
        if self.token.is_empty() {
            return Err(Error::PermissionDenied);
        }
        // The core already authenticated this request (and may have spent the token's last
        // use on it), so the entry is read without the validity checks.
        let entry = match self.active.tokens.lookup(&self.token).await? {
            Some(e) => e,
            None => self
                .active
                .tokens
                .lookup_hash_any(&self.active.tokens.hash(&self.token))
                .await?
                .filter(|e| e.pending_revocation)
                .ok_or(Error::PermissionDenied)?,
        };
        Ok(entry)
    }
}

/// Vault's display-name sanitising: anything but letters, digits, `-` and `_` becomes `-`,
/// and a trailing `-` is dropped.
fn sanitize_display_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    s.trim_end_matches('-').to_string()
}

/// Vault's `policyutil.SanitizePolicies`: trimmed, lowercased, `root` alone if present,
/// `default` added on request, deduplicated and sorted.
fn sanitize_policies(policies: &[String], add_default: bool) -> Vec<String> {
    let mut out: Vec<String> = policies
        .iter()
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    if out.iter().any(|p| p == "root") {
        return vec!["root".into()];
    }
    if add_default && !out.iter().any(|p| p == "default") {
        out.push("default".into());
    }
    out.sort();
    out.dedup();
    out
}

/// The policies of a new token, as Vault's `resolveTokenPolicies` decides them.
fn resolve_policies(
    d: &FieldData<'_>,
    role: Option<&TokenRole>,
    parent: &TokenEntry,
    is_sudo: bool,
) -> Result<Vec<String>> {
    let requested = d.strings("policies")?.unwrap_or_default();
    let no_default = d.bool("no_default_policy")?.unwrap_or(false);
    let mut add_default = false;
    let policies = match role {
        Some(r)
            if !r.allowed_policies.is_empty()
                || !r.disallowed_policies.is_empty()
                || !r.allowed_policies_glob.is_empty()
                || !r.disallowed_policies_glob.is_empty() =>
        {
            let local_default = !no_default
                && !r.token.token_no_default_policy
                && !r.disallowed_policies.iter().any(|p| p == "default")
                && !r
                    .disallowed_policies_glob
                    .iter()
                    .any(|g| glob_match(g, "default"));
            let mut finals = if requested.is_empty() {
                Vec::new()
            } else {
                sanitize_policies(&requested, local_default)
            };
            if !r.allowed_policies.is_empty() || !r.allowed_policies_glob.is_empty() {
                let allowed = sanitize_policies(&r.allowed_policies, local_default);
                if finals.is_empty() {
                    finals = allowed;
                } else {
                    for p in &finals {
                        if !allowed.contains(p)
                            && !r.allowed_policies_glob.iter().any(|g| glob_match(g, p))
                        {
                            return Err(Error::invalid(format!(
                                "token policies ({finals:?}) must be subset of the role's allowed policies ({allowed:?}) or glob policies ({:?})",
                                r.allowed_policies_glob
                            )));
                        }
                    }
                }
            } else if finals.is_empty() {
                finals = sanitize_policies(&parent.policies, local_default);
            }
            for p in &finals {
                if r.disallowed_policies.contains(p)
                    || r.disallowed_policies_glob.iter().any(|g| glob_match(g, p))
                {
                    return Err(Error::invalid(format!(
                        "token policy {p:?} is disallowed by this role"
                    )));
                }
            }
            finals
        }
        _ if requested.is_empty() => sanitize_policies(&parent.policies, false),
        _ if !is_sudo => {
            let input = sanitize_policies(&requested, false);
            let parents = sanitize_policies(&parent.policies, false);
            if !input.iter().all(|p| parents.contains(p)) {
                return Err(Error::invalid("child policies must be subset of parent"));
            }
            add_default = !no_default && parent.policies.iter().any(|p| p == "default");
            input
        }
        _ => {
            add_default = !no_default;
            requested
        }
    };
    let mut finals = sanitize_policies(&policies, add_default);
    if no_default {
        finals.retain(|p| p != "default");
    }
    if finals
        .iter()
        .any(|p| p == crate::wrapping::WRAPPING_POLICY_NAME || p == "control-group")
    {
        return Err(Error::invalid(format!(
            "cannot assign policy {:?}",
            crate::wrapping::WRAPPING_POLICY_NAME
        )));
    }
    Ok(finals)
}

fn auth_response(issued: &IssuedToken) -> Result<Response> {
    Ok(Response {
        issued_auth: Some(serde_json::to_value(issued.auth_output()).map_err(Error::internal)?),
        ..Default::default()
    })
}

#[async_trait]
impl Backend for TokenBackend {
    async fn handle(&self, req: &Request) -> Result<Option<Response>> {
        self.router.route(self, req).await
    }

    fn special_paths(&self) -> SpecialPaths {
        SpecialPaths {
            root: vec![
                "revoke-orphan/*".into(),
                "accessors".into(),
                "accessors/*".into(),
            ],
            unauthenticated: Vec::new(),
        }
    }

    fn openapi(&self, mount_point: &str) -> Map<String, Value> {
        self.router.openapi_paths(mount_point)
    }
}
