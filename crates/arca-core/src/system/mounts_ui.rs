//! `sys/internal/ui/mounts` and the OpenAPI document.

use super::*;

impl SystemBackend {
    pub(super) async fn ui_mounts(
        &self,
        req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let acl = match &req.auth {
            Some(a) => Some(active.policies.acl(&a.policies).await?),
            None => None,
        };
        let mut secret = Map::new();
        let mut auth = Map::new();
        let mut routes: Vec<_> = active.router.snapshot().entries().cloned().collect();
        routes.sort_by(|a, b| a.route.cmp(&b.route));
        for r in routes {
            let e = r.entry();
            let visible = match &acl {
                Some(acl) => acl.has_mount_access(&r.route),
                None => false,
            } || e.config.listing_visibility == "unauth";
            if !visible {
                continue;
            }
            let mut info = obj(e.to_json(core.config.default_lease_ttl, core.config.max_lease_ttl));
            if req.auth.is_none() {
                // Unauthenticated callers see only what the UI needs.
                info = obj(
                    json!({"type": e.backend_type, "description": e.description, "options": info.get("options").cloned().unwrap_or(Value::Null)}),
                );
            }
            match e.table {
                MountTable::Secrets => secret.insert(e.path.clone(), Value::Object(info)),
                MountTable::Auth => auth.insert(e.path.clone(), Value::Object(info)),
            };
        }
        ok(obj(json!({"secret": secret, "auth": auth})))
    }

    pub(super) async fn ui_mount(
        &self,
        req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let path = d.string("path")?;
        if path.is_empty() {
            return Err(Error::invalid("path not set"));
        }
        let preflight = |p: &str| {
            Error::InvalidToken(format!(
                "preflight capability check returned 403, please ensure client's policies grant access to path {p:?}"
            ))
        };
        let wanted = format!("{}/", path.trim_matches('/'));
        let Some((route, _)) = active.router.route(path.trim_start_matches('/')) else {
            return Err(preflight(&wanted));
        };
        let allowed = match &req.auth {
            Some(a) => active
                .policies
                .acl(&a.policies)
                .await?
                .has_mount_access(&route.route),
            None => false,
        };
        if !allowed {
            return Err(preflight(&wanted));
        }
        let e = route.entry();
        let mut info = obj(e.to_json(core.config.default_lease_ttl, core.config.max_lease_ttl));
        info.insert("path".into(), json!(e.path));
        ok(info)
    }

    pub(super) async fn openapi(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let mut paths = Map::new();
        let mut routes: Vec<_> = active.router.snapshot().entries().cloned().collect();
        routes.sort_by(|a, b| a.route.cmp(&b.route));
        for r in routes {
            paths.extend(r.backend.openapi(&r.route));
        }
        ok(obj(json!({
            "openapi": "3.0.2",
            "info": {"title": "Arca API", "description": "HTTP API that gives you full access to Arca.", "version": env!("CARGO_PKG_VERSION"), "license": {"name": "Mozilla Public License 2.0", "url": "https://www.mozilla.org/en-US/MPL/2.0"}},
            "paths": paths,
            "components": {"schemas": {}}
        })))
    }
}
