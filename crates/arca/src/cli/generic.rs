//! `arca read | write | list | delete | patch`: any API path, with `key=value` data.

use arca_client::Request;
use clap::Args;

use super::context::{CliResult, Ctx};
use super::error::CliError;
use super::flags::{ClientFlags, Format};
use super::kvargs;

#[derive(Args, Debug)]
pub struct ReadArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    /// API path to read (e.g. secret/data/app, sys/mounts)
    pub path: String,
    /// Query parameters as key=value
    pub data: Vec<String>,
}

#[derive(Args, Debug)]
pub struct WriteArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    /// Allow the write with no data
    #[arg(short = 'f', long)]
    pub force: bool,
    /// API path to write
    pub path: String,
    /// Data as key=value, key=@file, key=- (stdin), @file.json or - (JSON on stdin)
    pub data: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    /// Print the whole response, with key_info, not only the keys
    #[arg(long)]
    pub detailed: bool,
    /// API path to list
    pub path: String,
}

#[derive(Args, Debug)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    /// API path to delete
    pub path: String,
    /// Query parameters as key=value
    pub data: Vec<String>,
}

pub fn read(ctx: &Ctx, a: ReadArgs) -> CliResult {
    let path = clean(&a.path)?;
    let mut req = Request::get(&path);
    for (k, v) in kvargs::as_strings(kvargs::parse(&a.data, &mut *ctx.stdin())?)? {
        req = req.query(k, v);
    }
    let resp = ctx
        .read(&req, &format!("reading {path}"))?
        .ok_or(CliError::NotFound(path))?;
    if ctx.format == Format::Raw && ctx.flags.field.is_none() {
        // The body exactly, for non-JSON answers such as PEM certificates.
        let mut o = std::io::stdout().lock();
        let _ = std::io::Write::write_all(&mut o, &resp.body);
        return Ok(());
    }
    ctx.print_response(&resp)
}

pub fn write(ctx: &Ctx, a: WriteArgs) -> CliResult {
    ctx.reject_raw()?;
    let path = clean(&a.path)?;
    let data = kvargs::parse(&a.data, &mut *ctx.stdin())?;
    if data.is_empty() && !a.force {
        return Err(CliError::Usage(
            "Must supply data or use -force (to write with no data)".into(),
        ));
    }
    let req = Request::put(&path).json(&serde_json::Value::Object(data));
    let resp = ctx.call(&req, &format!("writing data to {path}"))?;
    if resp.body.iter().all(u8::is_ascii_whitespace) {
        ctx.success(&format!("Success! Data written to: {path}"));
        return Ok(());
    }
    ctx.print_response(&resp)
}

pub fn patch(ctx: &Ctx, a: WriteArgs) -> CliResult {
    ctx.reject_raw()?;
    let path = clean(&a.path)?;
    let data = kvargs::parse(&a.data, &mut *ctx.stdin())?;
    if data.is_empty() && !a.force {
        return Err(CliError::Usage(
            "Must supply data or use -force (to patch with no data)".into(),
        ));
    }
    let req = Request::patch(&path).json(&serde_json::Value::Object(data));
    let resp = ctx.call(&req, &format!("patching data at {path}"))?;
    if resp.body.iter().all(u8::is_ascii_whitespace) {
        ctx.success(&format!("Success! Data patched at: {path}"));
        return Ok(());
    }
    ctx.print_response(&resp)
}

pub fn list(ctx: &Ctx, a: ListArgs) -> CliResult {
    ctx.reject_raw()?;
    let path = clean(&a.path)?;
    let resp = ctx
        .read(&Request::list(&path), &format!("listing {path}"))?
        .ok_or_else(|| CliError::NotFound(path.clone()))?;
    let v = resp.value().unwrap_or_default();
    let has_keys = v.pointer("/data/keys").is_some_and(|k| k.is_array());
    if !has_keys {
        // As Vault's list: an answer with warnings and no data is shown (the server's hint,
        // e.g. "use kv list" on a KV v2 mount), in the table format.
        let no_data = v.get("data").is_none_or(|d| d.is_null());
        let warned = v
            .get("warnings")
            .and_then(|w| w.as_array())
            .is_some_and(|w| !w.is_empty());
        if ctx.format == Format::Table && no_data && warned {
            return ctx.print_response(&resp);
        }
        return Err(CliError::NotFound(path));
    }
    if a.detailed {
        return ctx.print_response(&resp);
    }
    ctx.print_keys(&resp)
}

pub fn delete(ctx: &Ctx, a: DeleteArgs) -> CliResult {
    ctx.reject_raw()?;
    let path = clean(&a.path)?;
    let mut req = Request::delete(&path);
    for (k, v) in kvargs::as_strings(kvargs::parse(&a.data, &mut *ctx.stdin())?)? {
        req = req.query(k, v);
    }
    let resp = ctx.call(&req, &format!("deleting {path}"))?;
    if resp.body.iter().all(u8::is_ascii_whitespace) {
        ctx.success(&format!("Success! Data deleted (if it existed) at: {path}"));
        return Ok(());
    }
    ctx.print_response(&resp)
}

/// An API path without leading slashes.
pub fn clean(path: &str) -> CliResult<String> {
    let p = path.trim().trim_start_matches('/');
    if p.is_empty() {
        return Err(CliError::Usage("a path is required".into()));
    }
    Ok(p.to_string())
}
