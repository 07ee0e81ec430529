//! `arca token create | lookup | renew | revoke | capabilities`.

use arca_client::Request;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Map, Value};

use super::context::{CliResult, Ctx};
use super::error::CliError;
use super::flags::{ClientFlags, Format};
use super::output::outln;

#[derive(Args, Debug)]
pub struct TokenArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token
    Create(Box<CreateArgs>),
    /// Show a token's properties (the caller's own by default)
    Lookup(LookupArgs),
    /// Extend a token's TTL (the caller's own by default)
    Renew(RenewArgs),
    /// Revoke a token and, unless -mode=orphan, its children
    Revoke(RevokeArgs),
    /// Show a token's capabilities on a path
    Capabilities(CapabilitiesArgs),
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Token value (root tokens only)
    #[arg(long)]
    pub id: Option<String>,
    /// Display name
    #[arg(long)]
    pub display_name: Option<String>,
    /// Initial TTL (e.g. 1h)
    #[arg(long, value_parser = super::args::duration_value)]
    pub ttl: Option<String>,
    /// Hard limit on the token's lifetime
    #[arg(long, value_parser = super::args::duration_value)]
    pub explicit_max_ttl: Option<String>,
    /// Make a periodic token renewed by this period
    #[arg(long, value_parser = super::args::duration_value)]
    pub period: Option<String>,
    /// Whether the token may be renewed
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = super::args::bool_value)]
    pub renewable: Option<bool>,
    /// Create a token without a parent
    #[arg(long)]
    pub orphan: bool,
    /// Do not attach the default policy
    #[arg(long)]
    pub no_default_policy: bool,
    /// Number of uses (0: unlimited)
    #[arg(long, value_name = "N")]
    pub use_limit: Option<u64>,
    /// Create the token from this token role
    #[arg(long)]
    pub role: Option<String>,
    /// Token type: service, batch or default
    #[arg(long = "type")]
    pub token_type: Option<String>,
    /// Policy to attach (repeatable)
    #[arg(long = "policy", value_name = "NAME")]
    pub policies: Vec<String>,
    /// Metadata key=value (repeatable)
    #[arg(long = "metadata", value_name = "K=V")]
    pub metadata: Vec<String>,
    /// Entity alias to attach the token to (with -role)
    #[arg(long)]
    pub entity_alias: Option<String>,
}

#[derive(Args, Debug)]
pub struct LookupArgs {
    /// Treat the argument as an accessor
    #[arg(long)]
    pub accessor: bool,
    /// Token (or accessor) to look up; the caller's own when absent
    pub token: Option<String>,
}

#[derive(Args, Debug)]
pub struct RenewArgs {
    /// Treat the argument as an accessor
    #[arg(long)]
    pub accessor: bool,
    /// Requested extension (e.g. 1h)
    #[arg(long, short = 'i', value_parser = super::args::duration_value)]
    pub increment: Option<String>,
    /// Token (or accessor) to renew; the caller's own when absent
    pub token: Option<String>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeMode {
    /// Revoke the token only; its children become orphans
    Orphan,
    /// Revoke every token created under this token path (argument is a path)
    Path,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// Treat the argument as an accessor
    #[arg(long)]
    pub accessor: bool,
    /// Revoke the caller's own token
    #[arg(long = "self")]
    pub self_: bool,
    /// orphan or path
    #[arg(long, value_enum)]
    pub mode: Option<RevokeMode>,
    /// Token, accessor or path to revoke
    pub token: Option<String>,
}

#[derive(Args, Debug)]
pub struct CapabilitiesArgs {
    /// Treat the token argument as an accessor
    #[arg(long)]
    pub accessor: bool,
    /// [TOKEN] PATH: with one argument, the caller's own capabilities on PATH
    #[arg(num_args = 1..=2, required = true, value_name = "TOKEN_OR_PATH")]
    pub args: Vec<String>,
}

pub fn run(ctx: &Ctx, cmd: TokenCommand) -> CliResult {
    ctx.reject_raw()?;
    match cmd {
        TokenCommand::Create(a) => create(ctx, *a),
        TokenCommand::Lookup(a) => lookup(ctx, a),
        TokenCommand::Renew(a) => renew(ctx, a),
        TokenCommand::Revoke(a) => revoke(ctx, a),
        TokenCommand::Capabilities(a) => capabilities(ctx, a),
    }
}

fn create(ctx: &Ctx, a: CreateArgs) -> CliResult {
    let mut body = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            body.insert(k.to_string(), v);
        }
    };
    put("id", a.id.map(Value::String));
    put("display_name", a.display_name.map(Value::String));
    put("ttl", a.ttl.map(Value::String));
    put("explicit_max_ttl", a.explicit_max_ttl.map(Value::String));
    put("period", a.period.map(Value::String));
    put("renewable", a.renewable.map(Value::Bool));
    put(
        "no_default_policy",
        a.no_default_policy.then_some(Value::Bool(true)),
    );
    put("num_uses", a.use_limit.map(|n| json!(n)));
    put("type", a.token_type.map(Value::String));
    put("entity_alias", a.entity_alias.map(Value::String));
    let policies: Vec<String> = a
        .policies
        .iter()
        .flat_map(|p| p.split(','))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if !policies.is_empty() {
        put("policies", Some(json!(policies)));
    }
    if !a.metadata.is_empty() {
        let mut meta = Map::new();
        for kv in &a.metadata {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| CliError::Usage(format!("-metadata {kv:?}: expected key=value")))?;
            meta.insert(k.to_string(), Value::String(v.to_string()));
        }
        put("meta", Some(Value::Object(meta)));
    }
    let path = match (&a.role, a.orphan) {
        (Some(role), _) => format!("auth/token/create/{role}"),
        (None, true) => "auth/token/create-orphan".to_string(),
        (None, false) => "auth/token/create".to_string(),
    };
    let resp = ctx.call(
        &Request::post(&path).json(&Value::Object(body)),
        "creating token",
    )?;
    ctx.print_response(&resp)
}

fn lookup(ctx: &Ctx, a: LookupArgs) -> CliResult {
    let req = match (a.token, a.accessor) {
        (None, true) => {
            return Err(CliError::Usage(
                "-accessor needs the accessor as argument".into(),
            ))
        }
        (None, false) => Request::get("auth/token/lookup-self"),
        (Some(t), false) => Request::post("auth/token/lookup").json(&json!({"token": t})),
        (Some(acc), true) => {
            Request::post("auth/token/lookup-accessor").json(&json!({"accessor": acc}))
        }
    };
    let resp = ctx.call(&req, "looking up token")?;
    ctx.print_response(&resp)
}

fn renew(ctx: &Ctx, a: RenewArgs) -> CliResult {
    let mut body = Map::new();
    if let Some(i) = &a.increment {
        body.insert("increment".into(), Value::String(i.clone()));
    }
    let path = match (a.token, a.accessor) {
        (None, true) => {
            return Err(CliError::Usage(
                "-accessor needs the accessor as argument".into(),
            ))
        }
        (None, false) => "auth/token/renew-self",
        (Some(t), false) => {
            body.insert("token".into(), Value::String(t));
            "auth/token/renew"
        }
        (Some(acc), true) => {
            body.insert("accessor".into(), Value::String(acc));
            "auth/token/renew-accessor"
        }
    };
    let resp = ctx.call(
        &Request::put(path).json(&Value::Object(body)),
        "renewing token",
    )?;
    ctx.print_response(&resp)
}

fn revoke(ctx: &Ctx, a: RevokeArgs) -> CliResult {
    let req = match (a.self_, a.token, a.accessor, a.mode) {
        (true, Some(_), ..) => return Err(CliError::Usage("-self takes no token argument".into())),
        (true, None, _, Some(_)) => {
            return Err(CliError::Usage(
                "-self cannot be combined with -mode".into(),
            ))
        }
        (true, None, ..) => Request::put("auth/token/revoke-self"),
        (false, None, ..) => {
            return Err(CliError::Usage(
                "give the token to revoke, or -self to revoke your own".into(),
            ))
        }
        (false, Some(acc), true, None) => {
            Request::put("auth/token/revoke-accessor").json(&json!({"accessor": acc}))
        }
        (false, Some(_), true, Some(_)) => {
            return Err(CliError::Usage(
                "-accessor cannot be combined with -mode".into(),
            ))
        }
        (false, Some(t), false, None) => {
            Request::put("auth/token/revoke").json(&json!({"token": t}))
        }
        (false, Some(t), false, Some(RevokeMode::Orphan)) => {
            Request::put("auth/token/revoke-orphan").json(&json!({"token": t}))
        }
        (false, Some(p), false, Some(RevokeMode::Path)) => {
            Request::put(format!("sys/leases/revoke-prefix/{}", p.trim_matches('/')))
        }
    };
    ctx.call(&req, "revoking token")?;
    ctx.success("Success! Revoked token (if it existed)");
    Ok(())
}

fn capabilities(ctx: &Ctx, a: CapabilitiesArgs) -> CliResult {
    let (req, path) = match (a.args.as_slice(), a.accessor) {
        ([path], false) => (
            Request::post("sys/capabilities-self").json(&json!({"paths": [path]})),
            path.clone(),
        ),
        ([_], true) => return Err(CliError::Usage("-accessor needs ACCESSOR PATH".into())),
        ([token, path], false) => (
            Request::post("sys/capabilities").json(&json!({"token": token, "paths": [path]})),
            path.clone(),
        ),
        ([acc, path], true) => (
            Request::post("sys/capabilities-accessor")
                .json(&json!({"accessor": acc, "paths": [path]})),
            path.clone(),
        ),
        _ => return Err(CliError::Usage("expected [TOKEN] PATH".into())),
    };
    let resp = ctx.call(&req, "fetching capabilities")?;
    let v = resp
        .value()
        .map_err(|e| CliError::server(format!("Error fetching capabilities: {e}")))?;
    let caps = v
        .pointer(&format!(
            "/data/{}",
            path.replace('~', "~0").replace('/', "~1")
        ))
        .or_else(|| v.pointer("/data/capabilities"))
        .cloned()
        .unwrap_or(json!([]));
    let mut names: Vec<String> = caps
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if ctx.format == Format::Table && ctx.flags.field.is_none() {
        names.sort();
        outln(&names.join(", "));
        return Ok(());
    }
    ctx.print_data(&json!(names))
}
