//! `arca auth enable | disable | list | tune | move`.

use arca_client::Request;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::context::{CliResult, Ctx};
use super::error::CliError;
use super::flags::ClientFlags;
use super::mounts::{mount_path, move_mount, print_mounts, MountConfigFlags};

#[derive(Args, Debug)]
pub struct AuthArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    #[command(subcommand)]
    pub command: AuthCommand,
}

#[derive(Subcommand, Debug)]
pub enum AuthCommand {
    /// Enable an auth method
    Enable(EnableArgs),
    /// Disable an auth method (its tokens are revoked)
    Disable { path: String },
    /// List the enabled auth methods
    List {
        /// Show every property of the mounts
        #[arg(long)]
        detailed: bool,
    },
    /// Change an auth method's configuration
    Tune(TuneArgs),
    /// Move an auth method to another path
    Move { source: String, destination: String },
}

#[derive(Args, Debug)]
pub struct EnableArgs {
    /// Mount path under auth/ (default: the method type)
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
    /// Type of the tokens this method issues: service, batch, default-service, default-batch
    #[arg(long)]
    pub token_type: Option<String>,
    /// Method type (userpass, approle, ...)
    #[arg(value_name = "TYPE")]
    pub method_type: String,
}

#[derive(Args, Debug)]
pub struct TuneArgs {
    #[command(flatten)]
    pub config: MountConfigFlags,
    /// Type of the tokens this method issues
    #[arg(long)]
    pub token_type: Option<String>,
    /// Mount path under auth/
    pub path: String,
}

pub fn run(ctx: &Ctx, cmd: AuthCommand) -> CliResult {
    ctx.reject_raw()?;
    match cmd {
        AuthCommand::Enable(a) => enable(ctx, a),
        AuthCommand::Disable { path } => {
            let path = mount_path(&path)?;
            ctx.call(
                &Request::delete(format!("sys/auth/{}", path.trim_end_matches('/'))),
                "disabling auth method",
            )?;
            ctx.success(&format!(
                "Success! Disabled the auth method (if it existed) at: {path}"
            ));
            Ok(())
        }
        AuthCommand::List { detailed } => {
            let resp = ctx.call(&Request::get("sys/auth"), "listing enabled authentications")?;
            print_mounts(ctx, &resp, detailed, true)
        }
        AuthCommand::Tune(a) => tune(ctx, a),
        AuthCommand::Move {
            source,
            destination,
        } => {
            let strip = |p: &str| -> CliResult<String> {
                let p = mount_path(p)?;
                Ok(if p.starts_with("auth/") {
                    p
                } else {
                    format!("auth/{p}")
                })
            };
            move_mount(ctx, &strip(&source)?, &strip(&destination)?, "auth method")
        }
    }
}

fn enable(ctx: &Ctx, a: EnableArgs) -> CliResult {
    let typ = a.method_type.trim().trim_matches('/').to_string();
    if typ.is_empty() {
        return Err(CliError::Usage("the auth method type is required".into()));
    }
    let path = mount_path(a.path.as_deref().unwrap_or(&typ))?;
    let mut config = a.config.config();
    if let Some(t) = &a.token_type {
        config.insert("token_type".into(), json!(t));
    }
    let mut body = json!({
        "type": typ,
        "description": a.config.description.clone().unwrap_or_default(),
        "config": Value::Object(config),
        "local": a.local,
        "seal_wrap": a.seal_wrap,
    });
    let options = a.config.options()?;
    if !options.is_empty() {
        body["options"] = Value::Object(options);
    }
    if let Some(v) = &a.config.plugin_version {
        body["plugin_version"] = json!(v);
    }
    ctx.call(
        &Request::post(format!("sys/auth/{}", path.trim_end_matches('/'))).json(&body),
        "enabling auth method",
    )?;
    ctx.success(&format!("Success! Enabled {typ} auth method at: {path}"));
    Ok(())
}

fn tune(ctx: &Ctx, a: TuneArgs) -> CliResult {
    let path = mount_path(&a.path)?;
    let path = path.strip_prefix("auth/").unwrap_or(&path).to_string();
    let mut body = a.config.config();
    if let Some(d) = &a.config.description {
        body.insert("description".into(), json!(d));
    }
    if let Some(t) = &a.token_type {
        body.insert("token_type".into(), json!(t));
    }
    let options = a.config.options()?;
    if !options.is_empty() {
        body.insert("options".into(), Value::Object(options));
    }
    if let Some(v) = &a.config.plugin_version {
        body.insert("plugin_version".into(), json!(v));
    }
    ctx.call(
        &Request::post(format!("sys/auth/{path}tune")).json(&Value::Object(body)),
        "tuning auth method",
    )?;
    ctx.success(&format!("Success! Tuned the auth method at: {path}"));
    Ok(())
}
