//! `sys/audit`, `sys/audit-hash` and `sys/metrics`.

use super::*;

impl SystemBackend {
    pub(super) async fn audit_list(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let mut m = Map::new();
        for dev in active.audit.devices().iter() {
            let failures = dev.failures.load(std::sync::atomic::Ordering::Relaxed);
            let healthy = dev.healthy.load(std::sync::atomic::Ordering::Relaxed);
            let last_error = dev.last_error.lock().map(|e| e.clone()).unwrap_or_default();
            m.insert(
                dev.spec.path.clone(),
                json!({
                    "type": dev.spec.device_type,
                    "description": dev.spec.description,
                    "options": dev.spec.options,
                    "local": dev.spec.local,
                    "path": dev.spec.path,
                    "health": {"healthy": healthy, "failures": failures, "last_error": last_error},
                }),
            );
        }
        ok(m)
    }

    pub(super) async fn audit_enable(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        if !core.config.unsafe_allow_api_audit_creation {
            return Err(Error::invalid(
                "cannot enable audit device via API: declare it in the server configuration (audit \"file\" { ... }) or set unsafe_allow_api_audit_creation = true in the server configuration",
            ));
        }
        let active = core.active()?;
        let path = Core::normalize_mount_path(&d.string("path")?)?;
        let device_type = d.string("type")?;
        if device_type.is_empty() {
            return Err(Error::invalid("type is required"));
        }
        let spec = DeviceSpec {
            path: path.clone(),
            device_type,
            description: d.string("description")?,
            options: d.string_map("options")?.unwrap_or_default(),
            local: d.bool("local")?.unwrap_or(false),
            from_config: false,
        };
        active.audit.enable(spec.clone(), true).await?;
        if let Err(e) = active.audit.persist(&spec).await {
            let _ = active.audit.disable(&path).await;
            return Err(e);
        }
        tracing::info!(path = %path, "audit: enabled audit device");
        Ok(None)
    }

    pub(super) async fn audit_disable(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let active = core.active()?;
        let path = Core::normalize_mount_path(&d.string("path")?)?;
        if let Some(dev) = active.audit.devices().iter().find(|x| x.spec.path == path) {
            if dev.spec.from_config {
                return Err(Error::invalid("cannot disable an audit device declared in the server configuration; remove it from the configuration instead"));
            }
        }
        active.audit.unpersist(&path).await?;
        active.audit.disable(&path).await?;
        Ok(None)
    }

    pub(super) async fn audit_hash(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let core = self.core()?;
        let path = Core::normalize_mount_path(&d.string("path")?)?;
        let input = d.string("input")?;
        if input.is_empty() {
            return Err(Error::invalid("the \"input\" parameter is empty"));
        }
        let hash = core
            .active()?
            .audit
            .hash_for(&path, &input)
            .ok_or_else(|| Error::invalid("unknown audit backend"))?;
        ok(obj(json!({"hash": hash})))
    }

    pub(super) async fn metrics(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        use std::sync::atomic::Ordering::Relaxed;
        let core = self.core()?;
        let active = core.active()?;
        let devices = active.audit.devices();
        let requests = core.requests.load(Relaxed);
        let errors = core.request_errors.load(Relaxed);
        let uptime = core.started.elapsed().as_secs();
        match d.string("format")?.as_str() {
            "prometheus" => {
                let mut out = String::new();
                out.push_str("# HELP arca_core_unsealed Whether the server is unsealed.\n# TYPE arca_core_unsealed gauge\narca_core_unsealed 1\n");
                out.push_str(&format!("# HELP arca_requests_total Requests handled by the core.\n# TYPE arca_requests_total counter\narca_requests_total {requests}\n"));
                out.push_str(&format!("# HELP arca_request_errors_total Requests that ended in an error.\n# TYPE arca_request_errors_total counter\narca_request_errors_total {errors}\n"));
                out.push_str(&format!("# HELP arca_uptime_seconds Seconds since the process started.\n# TYPE arca_uptime_seconds gauge\narca_uptime_seconds {uptime}\n"));
                out.push_str("# HELP arca_audit_device_failures_total Entries an audit device failed to record.\n# TYPE arca_audit_device_failures_total counter\n");
                for dev in devices.iter() {
                    out.push_str(&format!(
                        "arca_audit_device_failures_total{{path=\"{}\",type=\"{}\"}} {}\n",
                        dev.spec.path,
                        dev.spec.device_type,
                        dev.failures.load(Relaxed)
                    ));
                }
                out.push_str("# HELP arca_audit_device_healthy Whether the last write of an audit device succeeded.\n# TYPE arca_audit_device_healthy gauge\n");
                for dev in devices.iter() {
                    out.push_str(&format!(
                        "arca_audit_device_healthy{{path=\"{}\",type=\"{}\"}} {}\n",
                        dev.spec.path,
                        dev.spec.device_type,
                        u8::from(dev.healthy.load(Relaxed))
                    ));
                }
                Ok(Some(Response::raw(
                    200,
                    "text/plain; version=0.0.4",
                    out.into_bytes(),
                )))
            }
            "" => {
                let audit: Vec<Value> = devices
                    .iter()
                    .map(|dev| {
                        json!({
                            "Name": "arca.audit.device.failures",
                            "Count": dev.failures.load(Relaxed),
                            "Labels": {"path": dev.spec.path, "type": dev.spec.device_type},
                        })
                    })
                    .collect();
                // The bare object, not the response envelope, as Vault answers.
                let body = json!({
                    "Timestamp": crate::time::rfc3339_now(),
                    "Gauges": [
                        {"Name": "arca.core.unsealed", "Value": 1, "Labels": {}},
                        {"Name": "arca.uptime_seconds", "Value": uptime, "Labels": {}},
                    ],
                    "Counters": [
                        {"Name": "arca.requests", "Count": requests, "Labels": {}},
                        {"Name": "arca.request_errors", "Count": errors, "Labels": {}},
                    ],
                    "Samples": audit,
                });
                Ok(Some(Response::raw(
                    200,
                    "application/json",
                    serde_json::to_vec(&body).map_err(Error::internal)?,
                )))
            }
            other => Err(Error::invalid(format!(
                "unknown metrics format {other:?}: use \"prometheus\" or omit it"
            ))),
        }
    }
}
