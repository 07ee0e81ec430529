//! `sys/mounts`, `sys/auth`: enable, read, tune, disable, move, and locked users of auth mounts.

use super::*;

/// Reads a TTL that may be given as seconds or a duration string; "system" or "" reset.
pub(super) fn ttl_field(v: Option<&Value>, name: &str) -> Result<Option<u64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| Error::invalid(format!("invalid {name}"))),
        Some(Value::String(s)) if s.is_empty() || s == "system" => Ok(Some(0)),
        Some(Value::String(s)) => arca_sdk::duration::parse_duration(s)
            .map(|d| Some(d.as_secs()))
            .map_err(|_| Error::invalid(format!("unable to parse {name} {s:?}"))),
        Some(_) => Err(Error::invalid(format!("invalid {name}"))),
    }
}

pub(super) fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

/// Applies an enable request's `config` map to a mount config.
pub(super) fn apply_config(
    config: &mut MountConfig,
    m: &Map<String, Value>,
    mount_type: &str,
) -> Result<()> {
    for (k, v) in m {
        match k.as_str() {
            "default_lease_ttl" => config.default_lease_ttl = ttl_field(Some(v), k)?.unwrap_or(0),
            "max_lease_ttl" => config.max_lease_ttl = ttl_field(Some(v), k)?.unwrap_or(0),
            "force_no_cache" => {
                config.force_no_cache = v.as_bool().unwrap_or(v.as_str() == Some("true"))
            }
            "audit_non_hmac_request_keys" => {
                config.audit_non_hmac_request_keys = string_list(Some(v))
            }
            "audit_non_hmac_response_keys" => {
                config.audit_non_hmac_response_keys = string_list(Some(v))
            }
            "passthrough_request_headers" => {
                config.passthrough_request_headers = string_list(Some(v))
            }
            "allowed_response_headers" => config.allowed_response_headers = string_list(Some(v)),
            "listing_visibility" => {
                config.listing_visibility = listing_visibility(v.as_str().unwrap_or(""))?
            }
            "token_type" => config.token_type = token_type(v.as_str().unwrap_or(""))?,
            "plugin_version" | "options" | "description" => {}
            "user_lockout_config" => {
                config.user_lockout_config = crate::user_lockout::merge_tune(
                    config.user_lockout_config.as_ref(),
                    v,
                    mount_type,
                )?
            }
            other => {
                return Err(Error::invalid(format!(
                    "unrecognized mount config parameter {other:?}"
                )))
            }
        }
    }
    Ok(())
}

pub(super) fn listing_visibility(v: &str) -> Result<String> {
    match v {
        "" | "hidden" | "unauth" => Ok(v.to_string()),
        other => Err(Error::invalid(format!(
            "invalid listing_visibility {other:?}"
        ))),
    }
}

pub(super) fn token_type(v: &str) -> Result<String> {
    match v {
        "" | "default" => Ok("default-service".into()),
        "service" | "batch" | "default-service" | "default-batch" => Ok(v.to_string()),
        other => Err(Error::invalid(format!("invalid token_type {other:?}"))),
    }
}

impl SystemBackend {
    pub(super) fn mounts_table(
        &self,
        core: &Core,
        table: MountTable,
    ) -> Result<Map<String, Value>> {
        let active = core.active()?;
        let mut entries: Vec<Arc<MountEntry>> = active
            .router
            .snapshot()
            .entries()
            .map(|r| r.entry())
            .filter(|e| e.table == table)
            .collect();
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(entries
            .iter()
            .map(|e| {
                (
                    e.path.clone(),
                    e.to_json(core.config.default_lease_ttl, core.config.max_lease_ttl),
                )
            })
            .collect())
    }

    pub(super) async fn mounts_list(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        ok(self.mounts_table(&core, MountTable::Secrets)?)
    }

    pub(super) async fn auth_list(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        ok(self.mounts_table(&core, MountTable::Auth)?)
    }

    pub(super) fn route_of(table: MountTable, path: &str) -> Result<String> {
        let p = Core::normalize_mount_path(path)?;
        Ok(match table {
            MountTable::Secrets => p,
            MountTable::Auth => format!("auth/{p}"),
        })
    }

    pub(super) async fn table_read(
        &self,
        table: MountTable,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let path = d.string("path")?;
        if let Some(mount) = path.strip_suffix("/tune") {
            return self.tune_read(&core, table, mount).await;
        }
        let route = Self::route_of(table, &path)?;
        let active = core.active()?;
        let entry = active
            .router
            .get(&route)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "No {} engine mount at {route}",
                    if table == MountTable::Auth {
                        "auth"
                    } else {
                        "secret"
                    }
                ))
            })?
            .entry();
        ok(obj(entry.to_json(
            core.config.default_lease_ttl,
            core.config.max_lease_ttl,
        )))
    }

    pub(super) async fn tune_read(
        &self,
        core: &Core,
        table: MountTable,
        mount: &str,
    ) -> Result<Option<Response>> {
        let route = Self::route_of(table, mount)?;
        let active = core.active()?;
        let r = active
            .router
            .get(&route)
            .ok_or_else(|| Error::invalid(format!("cannot fetch sysview for path {route:?}")))?;
        let e = r.entry();
        let mut m = Map::new();
        m.insert(
            "default_lease_ttl".into(),
            json!(r.handle.configured_default_ttl().as_secs()),
        );
        m.insert(
            "max_lease_ttl".into(),
            json!(r.handle.effective_max_ttl().as_secs()),
        );
        m.insert("force_no_cache".into(), json!(e.config.force_no_cache));
        m.insert("description".into(), json!(e.description));
        if !e.options.is_empty() {
            m.insert("options".into(), json!(e.options));
        }
        if table == MountTable::Auth {
            m.insert(
                "token_type".into(),
                json!(if e.config.token_type.is_empty() {
                    "default-service"
                } else {
                    &e.config.token_type
                }),
            );
        }
        if !e.config.listing_visibility.is_empty() {
            m.insert(
                "listing_visibility".into(),
                json!(e.config.listing_visibility),
            );
        }
        for (name, list) in [
            (
                "audit_non_hmac_request_keys",
                &e.config.audit_non_hmac_request_keys,
            ),
            (
                "audit_non_hmac_response_keys",
                &e.config.audit_non_hmac_response_keys,
            ),
            (
                "passthrough_request_headers",
                &e.config.passthrough_request_headers,
            ),
            (
                "allowed_response_headers",
                &e.config.allowed_response_headers,
            ),
        ] {
            if !list.is_empty() {
                m.insert(name.into(), json!(list));
            }
        }
        if let Some(lockout) = &e.config.user_lockout_config {
            m.extend(crate::user_lockout::display(lockout));
        }
        ok(m)
    }

    pub(super) async fn tune_write(
        &self,
        core: &Core,
        table: MountTable,
        mount: &str,
        d: &FieldData<'_>,
    ) -> Result<Option<Response>> {
        let route = Self::route_of(table, mount)?;
        let body = d.body().clone();
        let mut kv_upgrade = None;
        let upgrade = &mut kv_upgrade;
        core.tune(&route, move |e| {
            for (k, v) in &body {
                // The CLI sends every field of its tune input: null and "" mean "leave as
                // is" (Vault's tune treats an empty TTL string that way; "system" resets).
                if v.is_null() || (k.ends_with("_lease_ttl") && v.as_str() == Some("")) {
                    continue;
                }
                match k.as_str() {
                    "default_lease_ttl" => {
                        e.config.default_lease_ttl = ttl_field(Some(v), k)?.unwrap_or(0)
                    }
                    "max_lease_ttl" => e.config.max_lease_ttl = ttl_field(Some(v), k)?.unwrap_or(0),
                    "description" => e.description = v.as_str().unwrap_or("").to_string(),
                    "audit_non_hmac_request_keys" => {
                        e.config.audit_non_hmac_request_keys = string_list(Some(v))
                    }
                    "audit_non_hmac_response_keys" => {
                        e.config.audit_non_hmac_response_keys = string_list(Some(v))
                    }
                    "passthrough_request_headers" => {
                        e.config.passthrough_request_headers = string_list(Some(v))
                    }
                    "allowed_response_headers" => {
                        e.config.allowed_response_headers = string_list(Some(v))
                    }
                    "listing_visibility" => {
                        e.config.listing_visibility = listing_visibility(v.as_str().unwrap_or(""))?
                    }
                    "token_type" if e.table == MountTable::Auth => {
                        e.config.token_type = token_type(v.as_str().unwrap_or(""))?;
                        if e.backend_type == "token" {
                            return Err(Error::invalid(
                                "cannot set token_type on token auth backend",
                            ));
                        }
                    }
                    "user_lockout_config" if e.table == MountTable::Auth => {
                        e.config.user_lockout_config = crate::user_lockout::merge_tune(
                            e.config.user_lockout_config.as_ref(),
                            v,
                            &e.backend_type,
                        )?
                    }
                    "options" => {
                        let Some(opts) = v.as_object() else {
                            return Err(Error::invalid("options must be a map"));
                        };
                        for (ok_, ov) in opts {
                            let val = match ov {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            if ok_ == "version" {
                                if e.backend_type != "kv" {
                                    continue;
                                }
                                let old: u8 = match e.options.get("version").map(String::as_str) {
                                    Some("2") => 2,
                                    _ => 1,
                                };
                                let new: u8 = match val.as_str() {
                                    "1" => 1,
                                    "2" => 2,
                                    other => {
                                        return Err(Error::invalid(format!(
                                            "invalid version provided: {other}"
                                        )))
                                    }
                                };
                                if old > new {
                                    return Err(Error::invalid(format!(
                                        "cannot downgrade mount from version {old}"
                                    )));
                                }
                                if old < new {
                                    *upgrade = Some((old, new));
                                }
                            }
                            e.options.insert(ok_.clone(), val);
                        }
                    }
                    // The CLI always sends force_no_cache; like OpenBao, tune ignores it.
                    "plugin_version"
                    | "path"
                    | "force_no_cache"
                    | "plugin_name"
                    | "allowed_managed_keys" => {}
                    other => {
                        return Err(Error::invalid(format!(
                            "unrecognized tune parameter {other:?}"
                        )))
                    }
                }
            }
            Ok(())
        })
        .await?;
        // A KV upgrade answers 200 with OpenBao's warning (the data moved during the tune).
        Ok(kv_upgrade.map(|(old, new)| {
            Response::default().with_warning(format!(
                "Upgrading mount from version {old} to version {new}. This mount will be unavailable for a brief period and will resume service shortly."
            ))
        }))
    }

    pub(super) async fn table_write(
        &self,
        req: &Request,
        table: MountTable,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let path = d.string("path")?;
        if let Some(mount) = path.strip_suffix("/tune") {
            return self.tune_write(&core, table, mount, &d).await;
        }
        let mut backend_type = d.string("type")?;
        if backend_type.is_empty() {
            backend_type = d.string("plugin_name")?;
        }
        if backend_type.is_empty() {
            return Err(Error::invalid("backend type must be specified as a string"));
        }
        let mut options: HashMap<String, String> = d.string_map("options")?.unwrap_or_default();
        // "generic" is Vault's legacy name of KV version 1.
        if backend_type == "generic" {
            backend_type = "kv".into();
        }
        // "kv-v2" is an alias for kv with version 2, as in Vault.
        if backend_type == "kv-v2" {
            backend_type = "kv".into();
            options.insert("version".into(), "2".into());
        }
        if backend_type == "kv" {
            // No version means version 1, and is stored as given (Vault shows `{}`).
            match options.get("version").map(String::as_str) {
                None | Some("") | Some("1") | Some("2") => {}
                Some(other) => {
                    return Err(Error::invalid(format!(
                        "invalid KV version {other:?}: expected 1 or 2"
                    )))
                }
            }
        }
        let mut entry = Core::new_entry(table, &path, &backend_type);
        entry.description = d.string("description")?;
        entry.local = d.bool("local")?.unwrap_or(false);
        entry.seal_wrap = d.bool("seal_wrap")?.unwrap_or(false);
        entry.external_entropy_access = d.bool("external_entropy_access")?.unwrap_or(false);
        entry.plugin_version = d.string("plugin_version")?;
        entry.options = options;
        if let Some(config) = d.map("config")? {
            apply_config(&mut entry.config, &config, &entry.backend_type)?;
        }
        if entry.config.max_lease_ttl != 0
            && entry.config.default_lease_ttl > entry.config.max_lease_ttl
        {
            return Err(Error::invalid(
                "given default lease TTL greater than given max lease TTL",
            ));
        }
        // A mount's own max may exceed the system's (it overrides it, as in Vault); only a
        // default with no mount max to bound it is checked against the system max.
        if entry.config.max_lease_ttl == 0
            && Duration::from_secs(entry.config.default_lease_ttl) > core.config.max_lease_ttl
        {
            return Err(Error::invalid(format!(
                "given default lease TTL greater than system max lease TTL of {}",
                core.config.max_lease_ttl.as_secs()
            )));
        }
        let _ = req;
        core.mount(entry).await?;
        Ok(None)
    }

    pub(super) async fn table_delete(
        &self,
        table: MountTable,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let route = Self::route_of(table, &d.string("path")?)?;
        core.unmount(&route).await?;
        Ok(None)
    }

    pub(super) async fn mount_read(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        self.table_read(MountTable::Secrets, d).await
    }
    pub(super) async fn mount_write(
        &self,
        req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        self.table_write(req, MountTable::Secrets, d).await
    }
    pub(super) async fn mount_delete(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        self.table_delete(MountTable::Secrets, d).await
    }
    pub(super) async fn auth_read(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        self.table_read(MountTable::Auth, d).await
    }
    pub(super) async fn auth_write(
        &self,
        req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        self.table_write(req, MountTable::Auth, d).await
    }
    pub(super) async fn auth_delete(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        self.table_delete(MountTable::Auth, d).await
    }

    /// `sys/locked-users`: the aliases each auth mount currently locks out, in OpenBao's
    /// shape (one root-namespace entry, mounts by decreasing count).
    pub(super) async fn locked_users(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let only = d.string("mount_accessor")?;
        let mut mounts = Vec::new();
        let routes = active.router.snapshot();
        if only.is_empty() {
            for route in routes.entries() {
                let aliases = route.backend.locked_users().await?;
                if !aliases.is_empty() {
                    mounts.push((route.entry().accessor.clone(), aliases));
                }
            }
        } else {
            let route = routes.entries().find(|r| r.entry().accessor == only);
            let aliases = match route {
                Some(r) => r.backend.locked_users().await?,
                None => Vec::new(),
            };
            mounts.push((only, aliases));
        }
        mounts.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        let total: usize = mounts.iter().map(|(_, a)| a.len()).sum();
        let accessors: Vec<Value> = mounts
            .into_iter()
            .map(|(accessor, aliases)| {
                json!({
                    "mount_accessor": accessor,
                    "counts": aliases.len(),
                    "alias_identifiers": if aliases.is_empty() { Value::Null } else { json!(aliases) },
                })
            })
            .collect();
        ok(obj(json!({
            "by_namespace": [{
                "namespace_id": "root",
                "namespace_path": "",
                "counts": total,
                "mount_accessors": accessors,
            }],
            "total": total,
        })))
    }

    /// `sys/locked-users/<accessor>/unlock/<alias>`: succeeds whether or not it was locked.
    pub(super) async fn unlock_user(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let accessor = d.string("mount_accessor")?;
        if accessor.is_empty() {
            return Err(Error::invalid("missing mount_accessor"));
        }
        let alias = d.string("alias_identifier")?;
        if alias.is_empty() {
            return Err(Error::invalid("missing alias_identifier"));
        }
        let routes = active.router.snapshot();
        if let Some(route) = routes.entries().find(|r| r.entry().accessor == accessor) {
            route.backend.unlock_user(&alias).await?;
        }
        Ok(None)
    }

    pub(super) async fn remount(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let from = Core::normalize_mount_path(&d.string("from")?)?;
        let to = Core::normalize_mount_path(&d.string("to")?)?;
        let id = crate::crypto::random_uuid().map_err(Error::internal)?;
        let start = crate::time::rfc3339_now();
        let result = core.remount(&from, &to).await;
        let status = RemountStatus {
            source: from.clone(),
            target: to.clone(),
            status: if result.is_ok() {
                "success".into()
            } else {
                "failure".into()
            },
            start_time: start,
            end_time: crate::time::rfc3339_now(),
        };
        active.remounts.insert(id.clone(), status);
        result?;
        let mut m = Map::new();
        m.insert("migration_id".into(), json!(id));
        Ok(Some(Response::data(m).with_warning("Mount move has been queued. Progress will be reported in Vault's server log, tagged with the returned migration_id")))
    }

    pub(super) async fn remount_status(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let id = d.string("migration_id")?;
        let Some(s) = active.remounts.get(&id).map(|s| s.clone()) else {
            return Ok(None);
        };
        ok(obj(json!({
            "migration_id": id,
            "migration_info": {
                "source_mount": s.source,
                "target_mount": s.target,
                "status": s.status,
                "start_time": s.start_time,
                "end_time": s.end_time,
            }
        })))
    }
}
