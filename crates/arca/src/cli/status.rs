//! `arca status`: seal and HA status. Exit code 0 when unsealed, 2 when sealed, 1 when
//! the status could not be read (as Vault's).

use arca_client::Request;
use clap::Args;
use serde_json::{json, Value};

use super::context::{CliResult, Ctx};
use super::error::CliError;
use super::flags::{ClientFlags, Format};
use super::output::out;
use super::table::table;

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
}

/// Runs `status`; `Ok(true)` when sealed (exit 2).
pub fn run(ctx: &Ctx) -> CliResult<bool> {
    ctx.reject_raw()?;
    let status = seal_status(ctx).map_err(as_local)?;
    let sealed = status
        .get("sealed")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    print_status(ctx, &status).map_err(as_local)?;
    Ok(sealed)
}

/// Vault exits 1, not 2, when `status` cannot read the status (2 means "sealed").
fn as_local(e: CliError) -> CliError {
    match e {
        e @ CliError::Server { .. } => CliError::Local(e.render()),
        other => other,
    }
}

/// Prints a seal status (from sys/seal-status or sys/unseal) with the HA fields.
pub fn print_status(ctx: &Ctx, status: &Value) -> CliResult {
    let leader = leader(ctx)?;
    let merged = merge(status, &leader);
    if ctx.format == Format::Table && ctx.flags.field.is_none() {
        out(&status_table(&merged));
        return Ok(());
    }
    ctx.print_data(&merged)
}

pub fn seal_status(ctx: &Ctx) -> CliResult<Value> {
    let resp = ctx.call(&Request::get("sys/seal-status"), "checking seal status")?;
    resp.value()
        .map_err(|e| CliError::server(format!("Error checking seal status: {e}")))
}

/// `sys/leader`; a sealed server answers 503, which means HA status is unknown.
fn leader(ctx: &Ctx) -> CliResult<Value> {
    let resp = ctx.send(&Request::get("sys/leader"), "checking leader status")?;
    if resp.status == 503 {
        return Ok(json!({"ha_enabled": true}));
    }
    if resp.status >= 400 {
        return Err(ctx.client_error(
            "checking leader status",
            Some("sys/leader"),
            resp.to_error(),
        ));
    }
    resp.value()
        .map_err(|e| CliError::server(format!("Error checking leader status: {e}")))
}

/// The seal status with the HA fields `bao status -format=json` adds (empty ones omitted).
fn merge(status: &Value, leader: &Value) -> Value {
    let mut out = status.as_object().cloned().unwrap_or_default();
    out.entry("build_date").or_insert(json!(""));
    out.insert(
        "ha_enabled".into(),
        json!(leader
            .get("ha_enabled")
            .and_then(Value::as_bool)
            .unwrap_or(false)),
    );
    let zero_time = |s: &str| s.is_empty() || s.starts_with("0001-01-01");
    for key in [
        "is_self",
        "active_time",
        "leader_address",
        "leader_cluster_address",
        "raft_committed_index",
        "raft_applied_index",
    ] {
        let Some(v) = leader.get(key) else { continue };
        let empty = match v {
            Value::Bool(b) => !b,
            Value::String(s) => zero_time(s),
            Value::Number(n) => n.as_u64() == Some(0),
            _ => true,
        };
        if !empty {
            out.insert(key.into(), v.clone());
        }
    }
    Value::Object(out)
}

/// Vault's seal status table.
pub fn status_table(v: &Value) -> String {
    let s = |k: &str| v.get(k).map(super::table::cell).unwrap_or_default();
    let b = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    let n = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut row = |k: &str, val: String| rows.push(vec![k.to_string(), val]);
    row("Seal Type", s("type"));
    let recovery = b("recovery_seal");
    if recovery {
        row("Recovery Seal Type", s("recovery_seal_type"));
    }
    row("Initialized", b("initialized").to_string());
    row("Sealed", b("sealed").to_string());
    let prefix = if recovery { "Recovery " } else { "" };
    row(&format!("Total {prefix}Shares"), n("n").to_string());
    row("Threshold", n("t").to_string());
    if b("sealed") {
        row("Unseal Progress", format!("{}/{}", n("progress"), n("t")));
        row("Unseal Nonce", s("nonce"));
    }
    if b("migration") {
        row("Seal Migration in Progress", "true".into());
    }
    for (label, key) in [
        ("Version", "version"),
        ("Commit Date", "commit_date"),
        ("Storage Type", "storage_type"),
    ] {
        if !s(key).is_empty() {
            row(label, s(key));
        }
    }
    {
        if !s("cluster_name").is_empty() && !s("cluster_id").is_empty() {
            row("Cluster Name", s("cluster_name"));
            row("Cluster ID", s("cluster_id"));
        }
        let ha = b("ha_enabled");
        row("HA Enabled", ha.to_string());
        if ha && !b("sealed") {
            row("HA Cluster", s("leader_cluster_address"));
            let is_self = b("is_self");
            row("HA Mode", if is_self { "active" } else { "standby" }.into());
            if is_self && !s("active_time").is_empty() {
                row("Active Since", s("active_time"));
            }
            if !is_self && !s("leader_address").is_empty() {
                row("Active Node Address", s("leader_address"));
            }
        }
        if n("raft_committed_index") > 0 {
            row(
                "Raft Committed Index",
                n("raft_committed_index").to_string(),
            );
        }
        if n("raft_applied_index") > 0 {
            row("Raft Applied Index", n("raft_applied_index").to_string());
        }
    }
    table(&["Key", "Value"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_table_and_json_shape() {
        let status = json!({"type":"shamir","initialized":true,"sealed":true,"t":3,"n":5,"progress":1,
            "nonce":"","recovery_seal":false,"version":"2.7.2","migration":false,"storage_type":"raft"});
        let merged = merge(&status, &json!({"ha_enabled": true}));
        assert_eq!(merged["build_date"], "");
        assert_eq!(merged["ha_enabled"], true);
        assert!(merged.get("is_self").is_none());
        let t = status_table(&merged);
        assert!(t.contains("Unseal Progress    1/3\n"), "{t}");
        assert!(t.contains("Unseal Nonce       n/a\n"), "{t}");
        assert!(t.contains("HA Enabled         true\n"), "{t}");
    }
}
