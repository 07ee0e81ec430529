//! Small commands: `unwrap`, `path-help`, `print token`.

use arca_client::Request;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::context::{CliResult, Ctx};
use super::error::CliError;
use super::flags::{ClientFlags, Format};
use super::output::outln;

#[derive(Args, Debug)]
pub struct UnwrapArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    /// Wrapping token (default: the CLI's token)
    pub token: Option<String>,
}

#[derive(Args, Debug)]
pub struct PathHelpArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    /// API path (e.g. secret/, sys/mounts, auth/token/create)
    pub path: String,
}

#[derive(Args, Debug)]
pub struct PrintArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    #[command(subcommand)]
    pub what: PrintCommand,
}

#[derive(Subcommand, Debug)]
pub enum PrintCommand {
    /// Print the token the CLI would use (from VAULT_TOKEN or the token helper file)
    Token,
}

pub fn unwrap(ctx: &Ctx, a: UnwrapArgs) -> CliResult {
    ctx.reject_raw()?;
    let mut req = Request::put("sys/wrapping/unwrap").wrap_ttl("");
    if let Some(t) = a.token.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        req = req.json(&json!({"token": t}));
    } else if ctx.client()?.inner().token().is_none() {
        return Err(CliError::Usage(
            "give the wrapping token as argument, or set it as VAULT_TOKEN".into(),
        ));
    }
    let resp = ctx.call(&req, "unwrapping")?;
    let v = resp.value().unwrap_or(Value::Null);
    let empty = v
        .get("data")
        .is_none_or(|d| d.is_null() || d.as_object().is_some_and(|m| m.is_empty()))
        && v.get("auth").is_none_or(Value::is_null);
    if empty && ctx.format == Format::Table && ctx.flags.field.is_none() {
        outln("Successfully unwrapped. There was no data in the wrapped secret.");
        return Ok(());
    }
    ctx.print_response(&resp)
}

pub fn path_help(ctx: &Ctx, a: PathHelpArgs) -> CliResult {
    ctx.reject_raw()?;
    let path = super::generic::clean(&a.path)?;
    let resp = ctx.call(
        &Request::get(&path).query("help", "1"),
        &format!("retrieving help for {path}"),
    )?;
    if ctx.format != Format::Table {
        return ctx.print_response(&resp);
    }
    let v = resp
        .value()
        .map_err(|e| CliError::server(format!("Error retrieving help: {e}")))?;
    let help = v.get("help").and_then(Value::as_str).unwrap_or_default();
    if help.trim().is_empty() {
        return Err(CliError::server(format!(
            "The server returned no help text for {path}: its answer to {path}?help=1 has no \"help\" field"
        )));
    }
    // As bao: the help text, then a newline.
    outln(help);
    Ok(())
}

pub fn print(ctx: &Ctx, a: PrintArgs) -> CliResult {
    match a.what {
        PrintCommand::Token => {
            let token = ctx.config()?.token.unwrap_or_default();
            outln(&token);
            Ok(())
        }
    }
}
