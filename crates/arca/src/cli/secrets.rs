//! `arca secrets enable | disable | list | tune | move`.

use arca_client::Request;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::context::{CliResult, Ctx};
use super::error::CliError;
use super::flags::ClientFlags;
use super::mounts::{mount_path, move_mount, print_mounts, MountConfigFlags};

#[derive(Args, Debug)]
pub struct SecretsArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    #[command(subcommand)]
    pub command: SecretsCommand,
}

#[derive(Subcommand, Debug)]
pub enum SecretsCommand {
    /// Enable a secrets engine
    Enable(EnableArgs),
    /// Disable a secrets engine (its data is deleted)
    Disable { path: String },
    /// List the enabled secrets engines
    List {
        /// Show every property of the mounts
        #[arg(long)]
        detailed: bool,
    },
    /// Change a secrets engine's configuration
    Tune(TuneArgs),
    /// Move a secrets engine to another path (its data moves with it)
    Move { source: String, destination: String },
}

#[derive(Args, Debug)]
pub struct EnableArgs {
    /// Mount path (default: the engine type)
    #[arg(long)]
    pub path: Option<String>,
    #[command(flatten)]
    pub config: MountConfigFlags,
    /// Mount only on this cluster (not replicated)
    #[arg(long)]
    pub local: bool,
    /// Seal-wrap critical values
    #[arg(long)]
    pub seal_wrap: bool,
    /// Give the engine access to the seal's entropy source
    #[arg(long)]
    pub external_entropy_access: bool,
    /// KV version (shorthand for -options=version=N)
    #[arg(long)]
    pub version: Option<u32>,
    /// Engine type (kv, transit, pki, ...)
    #[arg(value_name = "TYPE")]
    pub engine_type: String,
}

#[derive(Args, Debug)]
pub struct TuneArgs {
    #[command(flatten)]
    pub config: MountConfigFlags,
    /// KV version to upgrade to (shorthand for -options=version=N)
    #[arg(long)]
    pub version: Option<u32>,
    /// Mount path
    pub path: String,
}

pub fn run(ctx: &Ctx, cmd: SecretsCommand) -> CliResult {
    ctx.reject_raw()?;
    match cmd {
        SecretsCommand::Enable(a) => enable(ctx, a),
        SecretsCommand::Disable { path } => {
            let path = mount_path(&path)?;
            ctx.call(
                &Request::delete(format!("sys/mounts/{}", path.trim_end_matches('/'))),
                "disabling secrets engine",
            )?;
            ctx.success(&format!(
                "Success! Disabled the secrets engine (if it existed) at: {path}"
            ));
            Ok(())
        }
        SecretsCommand::List { detailed } => {
            let resp = ctx.call(&Request::get("sys/mounts"), "listing secrets engines")?;
            print_mounts(ctx, &resp, detailed, false)
        }
        SecretsCommand::Tune(a) => tune(ctx, a),
        SecretsCommand::Move {
            source,
            destination,
        } => move_mount(
            ctx,
            &mount_path(&source)?,
            &mount_path(&destination)?,
            "secrets engine",
        ),
    }
}

fn enable(ctx: &Ctx, a: EnableArgs) -> CliResult {
    let typ = a.engine_type.trim().trim_matches('/').to_string();
    if typ.is_empty() {
        return Err(CliError::Usage("the engine type is required".into()));
    }
    let path = mount_path(a.path.as_deref().unwrap_or(&typ))?;
    let mut options = a.config.options()?;
    if let Some(v) = a.version {
        options.insert("version".into(), json!(v.to_string()));
    }
    let mut body = json!({
        "type": typ,
        "description": a.config.description.clone().unwrap_or_default(),
        "config": Value::Object(a.config.config()),
        "local": a.local,
        "seal_wrap": a.seal_wrap,
        "external_entropy_access": a.external_entropy_access,
    });
    if !options.is_empty() {
        body["options"] = Value::Object(options);
    }
    if let Some(v) = &a.config.plugin_version {
        body["plugin_version"] = json!(v);
    }
    ctx.call(
        &Request::post(format!("sys/mounts/{}", path.trim_end_matches('/'))).json(&body),
        "enabling",
    )?;
    ctx.success(&format!(
        "Success! Enabled the {typ} secrets engine at: {path}"
    ));
    Ok(())
}

fn tune(ctx: &Ctx, a: TuneArgs) -> CliResult {
    let path = mount_path(&a.path)?;
    let mut body = a.config.config();
    if let Some(d) = &a.config.description {
        body.insert("description".into(), json!(d));
    }
    let mut options = a.config.options()?;
    if let Some(v) = a.version {
        options.insert("version".into(), json!(v.to_string()));
    }
    if !options.is_empty() {
        body.insert("options".into(), Value::Object(options));
    }
    if let Some(v) = &a.config.plugin_version {
        body.insert("plugin_version".into(), json!(v));
    }
    ctx.call(
        &Request::post(format!("sys/mounts/{path}tune")).json(&Value::Object(body)),
        "tuning secrets engine",
    )?;
    ctx.success(&format!("Success! Tuned the secrets engine at: {path}"));
    Ok(())
}
