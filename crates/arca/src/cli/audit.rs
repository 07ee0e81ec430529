//! `arca audit enable | disable | list`.

use arca_client::Request;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::context::{CliResult, Ctx};
use super::error::CliError;
use super::flags::{ClientFlags, Format};
use super::kvargs;
use super::mounts::mount_path;
use super::output::out;
use super::table::{cell, table};

#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Enable an audit device (file, syslog, socket) with key=value options
    Enable {
        /// Path of the device (default: the type)
        #[arg(long)]
        path: Option<String>,
        /// Description of the device
        #[arg(long)]
        description: Option<String>,
        /// Enable only on this cluster (not replicated)
        #[arg(long)]
        local: bool,
        /// Device type
        #[arg(value_name = "TYPE")]
        device_type: String,
        /// Options such as file_path=/var/log/arca/audit.log
        options: Vec<String>,
    },
    /// Disable an audit device
    Disable { path: String },
    /// List the enabled audit devices
    List {
        /// Show the devices' options too
        #[arg(long)]
        detailed: bool,
    },
}

pub fn run(ctx: &Ctx, cmd: AuditCommand) -> CliResult {
    ctx.reject_raw()?;
    match cmd {
        AuditCommand::Enable {
            path,
            description,
            local,
            device_type,
            options,
        } => {
            let path = mount_path(path.as_deref().unwrap_or(&device_type))?;
            let opts = kvargs::as_strings(kvargs::parse(&options, &mut *ctx.stdin())?)?;
            let opts: serde_json::Map<String, Value> =
                opts.into_iter().map(|(k, v)| (k, json!(v))).collect();
            let body = json!({
                "type": device_type,
                "description": description.unwrap_or_default(),
                "options": opts,
                "local": local,
            });
            ctx.call(
                &Request::put(format!("sys/audit/{}", path.trim_end_matches('/'))).json(&body),
                "enabling audit device",
            )?;
            ctx.success(&format!(
                "Success! Enabled the {device_type} audit device at: {path}"
            ));
            Ok(())
        }
        AuditCommand::Disable { path } => {
            let path = mount_path(&path)?;
            ctx.call(
                &Request::delete(format!("sys/audit/{}", path.trim_end_matches('/'))),
                "disabling audit device",
            )?;
            ctx.success(&format!(
                "Success! Disabled audit device (if it was enabled) at: {path}"
            ));
            Ok(())
        }
        AuditCommand::List { detailed } => list(ctx, detailed),
    }
}

fn list(ctx: &Ctx, detailed: bool) -> CliResult {
    let resp = ctx.call(&Request::get("sys/audit"), "retrieving audits")?;
    let v = resp
        .value()
        .map_err(|e| CliError::server(format!("Error retrieving audits: {e}")))?;
    let devices = v
        .get("data")
        .filter(|d| d.is_object())
        .cloned()
        .unwrap_or(v);
    let map = devices.as_object().cloned().unwrap_or_default();
    // Machine formats print the empty map and succeed (as bao); only the table says "none".
    if ctx.format != Format::Table || ctx.flags.field.is_some() {
        return ctx.print_data(&devices);
    }
    if map.is_empty() {
        return Err(CliError::server("No audit devices are enabled."));
    }
    let g = |m: &Value, k: &str| m.get(k).map(cell).unwrap_or_default();
    let rows: Vec<Vec<String>> = map
        .iter()
        .map(|(path, d)| {
            let mut r = vec![path.clone(), g(d, "type"), g(d, "description")];
            if detailed {
                let local = d.get("local").and_then(Value::as_bool).unwrap_or(false);
                r.push(if local { "local" } else { "replicated" }.into());
                r.push(d.get("options").map(Value::to_string).unwrap_or_default());
            }
            r
        })
        .collect();
    let header: &[&str] = if detailed {
        &["Path", "Type", "Description", "Replication", "Options"]
    } else {
        &["Path", "Type", "Description"]
    };
    out(&table(header, &rows));
    Ok(())
}
