//! `sys/policy`, `sys/policies/acl`, capabilities and the explain endpoint.

use super::*;

impl SystemBackend {
    pub(super) async fn policy_list(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let names = core.active()?.policies.list().await?;
        ok(obj(json!({"keys": names, "policies": names})))
    }

    pub(super) async fn policy_list_acl(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let names = core.active()?.policies.list().await?;
        Ok(Some(Response::list(names)))
    }

    pub(super) async fn policy_read_common(
        &self,
        d: &FieldData<'_>,
        key: &str,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let name = d.string("name")?;
        let Some(p) = core.active()?.policies.get(&name).await? else {
            return Err(Error::NotFound(String::new()));
        };
        let mut m = Map::new();
        m.insert("name".into(), json!(p.name));
        m.insert(key.into(), json!(p.raw));
        ok(m)
    }

    pub(super) async fn policy_read(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        self.policy_read_common(&d, "rules").await
    }

    pub(super) async fn policy_read_acl(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        self.policy_read_common(&d, "policy").await
    }

    pub(super) async fn policy_write(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let name = d.string("name")?;
        let mut raw = d.str("policy")?.or(d.str("rules")?).unwrap_or_default();
        if raw.trim().is_empty() {
            return Err(Error::invalid("'policy' parameter not supplied or empty"));
        }
        // Policies may be sent base64-encoded, as Vault accepts.
        if let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(raw.trim()) {
            if let Ok(text) = String::from_utf8(decoded) {
                raw = text;
            }
        }
        core.active()?.policies.set(&name, &raw).await?;
        Ok(None)
    }

    pub(super) async fn policy_delete(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        core.active()?.policies.delete(&d.string("name")?).await?;
        Ok(None)
    }

    pub(super) fn requested_paths(d: &FieldData<'_>) -> Result<Vec<String>> {
        let mut paths = d.strings("paths")?.unwrap_or_default();
        if paths.is_empty() {
            paths = d.strings("path")?.unwrap_or_default();
        }
        if paths.is_empty() {
            return Err(Error::invalid("paths must be supplied"));
        }
        Ok(paths)
    }

    pub(super) async fn capabilities_for(
        &self,
        policies: &[String],
        is_root: bool,
        paths: Vec<String>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let acl = core.active()?.policies.acl(policies).await?;
        let mut m = Map::new();
        for p in &paths {
            let caps = if is_root {
                vec!["root".to_string()]
            } else {
                acl.capabilities(p.trim_start_matches('/'))
            };
            m.insert(p.clone(), json!(caps));
        }
        if paths.len() == 1 {
            let v = m.get(&paths[0]).cloned().unwrap_or(Value::Null);
            m.insert("capabilities".into(), v);
        }
        ok(m)
    }

    pub(super) async fn capabilities(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let token = d.string("token")?;
        if token.is_empty() {
            return Err(Error::invalid("missing token"));
        }
        let entry = core
            .active()?
            .tokens
            .lookup(&token)
            .await?
            .ok_or_else(|| Error::invalid("invalid token"))?;
        self.capabilities_for(
            &entry.all_policies(),
            entry.is_root(),
            Self::requested_paths(&d)?,
        )
        .await
    }

    pub(super) async fn capabilities_self(
        &self,
        req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let auth = req.auth.as_ref().ok_or(Error::PermissionDenied)?;
        self.capabilities_for(&auth.policies, auth.is_root, Self::requested_paths(&d)?)
            .await
    }

    pub(super) async fn capabilities_accessor(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let accessor = d.string("accessor")?;
        let hash = active
            .tokens
            .hash_for_accessor(&accessor)
            .await?
            .ok_or_else(|| Error::invalid("invalid accessor"))?;
        let entry = active
            .tokens
            .lookup_hash(&hash)
            .await?
            .ok_or_else(|| Error::invalid("invalid accessor"))?;
        self.capabilities_for(
            &entry.all_policies(),
            entry.is_root(),
            Self::requested_paths(&d)?,
        )
        .await
    }

    pub(super) async fn explain(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let policies = if let Some(token) = d.str("token")?.filter(|t| !t.is_empty()) {
            active
                .tokens
                .lookup(&token)
                .await?
                .ok_or_else(|| Error::invalid("invalid token"))?
                .all_policies()
        } else if let Some(accessor) = d.str("accessor")?.filter(|t| !t.is_empty()) {
            let hash = active
                .tokens
                .hash_for_accessor(&accessor)
                .await?
                .ok_or_else(|| Error::invalid("invalid accessor"))?;
            active
                .tokens
                .lookup_hash(&hash)
                .await?
                .ok_or_else(|| Error::invalid("invalid accessor"))?
                .all_policies()
        } else if let Some(p) = d.strings("policies")? {
            arca_sdk::token_fields::normalize_policies(p)
        } else {
            return Err(Error::invalid(
                "one of token, accessor or policies is required",
            ));
        };
        let operation = match d.string("operation")?.as_str() {
            "read" => Operation::Read,
            "list" => Operation::List,
            "create" => Operation::Create,
            "update" => Operation::Update,
            "patch" => Operation::Patch,
            "delete" => Operation::Delete,
            other => return Err(Error::invalid(format!("invalid operation {other:?}"))),
        };
        let path = d.string("path")?.trim_start_matches('/').to_string();
        let data = d.map("data")?.unwrap_or_default();
        let mut creq = ClientRequest::new(operation, &path);
        creq.data = data;
        let acl = active.policies.acl(&policies).await?;
        let mut decision = acl.check(&crate::policy::AclRequest {
            path: &path,
            operation,
            data: &creq.data,
            wrap_ttl: None,
        });
        let mut sudo_required = false;
        if let Some((route, rel)) = active.router.route(&path) {
            if SpecialPaths::matches(&route.special.root, &rel) {
                sudo_required = true;
                if decision.allowed && !decision.sudo {
                    decision.allowed = false;
                    decision.reason = format!(
                        "path {path:?} requires sudo capability, which rule {:?} does not grant",
                        decision.matched_path
                    );
                }
            }
        }
        let mut m = obj(serde_json::to_value(&decision).map_err(Error::internal)?);
        m.insert("policies".into(), json!(policies));
        m.insert("path".into(), json!(path));
        m.insert("operation".into(), json!(operation.as_str()));
        m.insert("sudo_required".into(), json!(sudo_required));
        m.insert(
            "decision".into(),
            json!(if decision.allowed {
                "allowed"
            } else {
                "denied"
            }),
        );
        ok(m)
    }
}
