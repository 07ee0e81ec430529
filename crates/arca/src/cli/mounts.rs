//! What `secrets` and `auth` share: the mount configuration flags of enable/tune, the
//! mount tables of `list`, and moving a mount.

use std::time::Duration;

use arca_client::Request;
use clap::Args;
use serde_json::{json, Map, Value};

use super::context::{CliResult, Ctx};
use super::error::CliError;
use super::flags::Format;
use super::output::{out, outln};
use super::table::{cell, table};

/// Tunables of a mount, for enable and tune.
#[derive(Args, Debug, Default)]
pub struct MountConfigFlags {
    /// Description of the mount
    #[arg(long)]
    pub description: Option<String>,
    /// Default lease TTL (e.g. 1h; "system" for the server's default)
    #[arg(long)]
    pub default_lease_ttl: Option<String>,
    /// Maximum lease TTL
    #[arg(long)]
    pub max_lease_ttl: Option<String>,
    /// Request keys not to HMAC in audit logs (repeatable)
    #[arg(long, value_name = "KEY")]
    pub audit_non_hmac_request_keys: Vec<String>,
    /// Response keys not to HMAC in audit logs (repeatable)
    #[arg(long, value_name = "KEY")]
    pub audit_non_hmac_response_keys: Vec<String>,
    /// Whether the UI lists the mount: unauth or hidden
    #[arg(long)]
    pub listing_visibility: Option<String>,
    /// Request headers passed to the backend (repeatable)
    #[arg(long, value_name = "HEADER")]
    pub passthrough_request_headers: Vec<String>,
    /// Response headers the backend may set (repeatable)
    #[arg(long, value_name = "HEADER")]
    pub allowed_response_headers: Vec<String>,
    /// Mount option key=value (repeatable)
    #[arg(long = "options", value_name = "K=V")]
    pub options: Vec<String>,
    /// Plugin version to pin
    #[arg(long)]
    pub plugin_version: Option<String>,
}

impl MountConfigFlags {
    /// The `config` object of an enable or tune request.
    pub fn config(&self) -> Map<String, Value> {
        let mut c = Map::new();
        if let Some(v) = &self.default_lease_ttl {
            c.insert("default_lease_ttl".into(), json!(v));
        }
        if let Some(v) = &self.max_lease_ttl {
            c.insert("max_lease_ttl".into(), json!(v));
        }
        let lists = [
            (
                "audit_non_hmac_request_keys",
                &self.audit_non_hmac_request_keys,
            ),
            (
                "audit_non_hmac_response_keys",
                &self.audit_non_hmac_response_keys,
            ),
            (
                "passthrough_request_headers",
                &self.passthrough_request_headers,
            ),
            ("allowed_response_headers", &self.allowed_response_headers),
        ];
        for (k, v) in lists {
            if !v.is_empty() {
                c.insert(k.into(), json!(v));
            }
        }
        if let Some(v) = &self.listing_visibility {
            c.insert("listing_visibility".into(), json!(v));
        }
        c
    }

    pub fn options(&self) -> CliResult<Map<String, Value>> {
        let mut m = Map::new();
        for kv in &self.options {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| CliError::Usage(format!("-options {kv:?}: expected key=value")))?;
            m.insert(k.to_string(), json!(v));
        }
        Ok(m)
    }
}

/// `secret/` for `secret`, `/secret//`...
pub fn mount_path(p: &str) -> CliResult<String> {
    let p = p.trim().trim_matches('/');
    if p.is_empty() {
        return Err(CliError::Usage("a mount path is required".into()));
    }
    Ok(format!("{p}/"))
}

/// Prints `sys/mounts` or `sys/auth`: a table of mounts, or the mount map as JSON/YAML.
pub fn print_mounts(
    ctx: &Ctx,
    resp: &arca_client::Response,
    detailed: bool,
    auth: bool,
) -> CliResult {
    let v = resp
        .value()
        .map_err(|e| CliError::server(format!("Error listing mounts: {e}")))?;
    let mounts = v
        .get("data")
        .filter(|d| d.is_object())
        .cloned()
        .unwrap_or_else(|| v.clone());
    if ctx.format != Format::Table || ctx.flags.field.is_some() {
        return ctx.print_data(&mounts);
    }
    let Some(map) = mounts.as_object() else {
        return Ok(());
    };
    let g = |m: &Value, k: &str| m.get(k).map(cell).unwrap_or_default();
    let mut rows = Vec::new();
    for (path, m) in map {
        if !detailed {
            let mut row = vec![
                path.clone(),
                g(m, "type"),
                g(m, "accessor"),
                g(m, "description"),
            ];
            // `bao auth list` shows the plugin version; `secrets list` does not.
            if auth {
                row.push(g(m, "plugin_version"));
            }
            rows.push(row);
            continue;
        }
        let typ = g(m, "type");
        let ttl = |k: &str| -> String {
            if matches!(typ.as_str(), "system" | "cubbyhole" | "token" | "identity") {
                return String::new();
            }
            match m.pointer(&format!("/config/{k}")).and_then(Value::as_i64) {
                Some(0) | None => "system".into(),
                Some(n) => super::table::human_duration(n),
            }
        };
        rows.push(vec![
            path.clone(),
            typ.clone(),
            g(m, "accessor"),
            ttl("default_lease_ttl"),
            ttl("max_lease_ttl"),
            if m.get("local").and_then(Value::as_bool).unwrap_or(false) {
                "local".into()
            } else {
                "replicated".into()
            },
            g(m, "seal_wrap"),
            m.get("options")
                .filter(|o| !o.is_null())
                .map(Value::to_string)
                .unwrap_or_default(),
            g(m, "description"),
            g(m, "uuid"),
            g(m, "running_plugin_version"),
        ]);
    }
    let header: &[&str] = if detailed {
        &[
            "Path",
            "Plugin",
            "Accessor",
            "Default TTL",
            "Max TTL",
            "Replication",
            "Seal Wrap",
            "Options",
            "Description",
            "UUID",
            "Running Version",
        ]
    } else if auth {
        &["Path", "Type", "Accessor", "Description", "Version"]
    } else {
        &["Path", "Type", "Accessor", "Description"]
    };
    out(&table(header, &rows));
    Ok(())
}

/// `secrets move` / `auth move`: starts a remount and waits for it to finish.
pub fn move_mount(ctx: &Ctx, from: &str, to: &str, what: &str) -> CliResult {
    let resp = ctx.call(
        &Request::post("sys/remount").json(&json!({"from": from, "to": to})),
        &format!("moving {what} {from} to {to}"),
    )?;
    let v = resp.value().unwrap_or(Value::Null);
    let id = v
        .get("migration_id")
        .or_else(|| v.pointer("/data/migration_id"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if id.is_empty() {
        outln(&format!("Success! Moved {what} {from} to {to}"));
        return Ok(());
    }
    outln(&format!(
        "Started moving {what} {from} to {to}, with migration ID {id}"
    ));
    // Bounded wait: a migration that neither succeeds nor fails in ten minutes is reported.
    for attempt in 0..600 {
        let status = ctx.call(
            &Request::get(format!("sys/remount/status/{id}")),
            "checking migration status",
        )?;
        let sv = status.value().unwrap_or(Value::Null);
        let state = sv
            .pointer("/data/migration_info/status")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        match state.as_str() {
            "success" => {
                outln(&format!(
                    "Success! Finished moving {what} {from} to {to}, with migration ID {id}"
                ));
                return Ok(());
            }
            "failure" => {
                return Err(CliError::server(format!(
                "Failure! Error encountered moving {what} {from} to {to}, with migration ID {id}"
            )))
            }
            _ => {
                if attempt % 10 == 9 {
                    outln(&format!("Waiting for terminal status in migration of {what} {from} to {to}, with migration ID {id}"));
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
    Err(CliError::server(format!("The migration {id} has not finished after ten minutes; check `arca read sys/remount/status/{id}`")))
}
