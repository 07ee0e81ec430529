//! `arca kv metadata get | put | patch | delete` (KV v2).

use arca_client::Request;
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};

use super::{locate, print_path_header, require_v2, Target};
use crate::cli::context::{CliResult, Ctx};
use crate::cli::error::CliError;
use crate::cli::flags::Format;
use crate::cli::output::{map_table, out, outln, print_warnings};
use crate::cli::table::header_for_keys;

#[derive(Subcommand, Debug)]
pub enum MetadataCommand {
    /// Show a secret's metadata and versions
    Get(Target),
    /// Replace a secret's metadata settings
    Put(PutArgs),
    /// Change some metadata settings, keeping the others
    Patch(PutArgs),
    /// Delete a secret with all its versions and metadata
    Delete(Target),
}

#[derive(Args, Debug)]
pub struct PutArgs {
    #[command(flatten)]
    pub target: Target,
    /// Number of versions to keep (0: the mount's setting)
    #[arg(long)]
    pub max_versions: Option<u64>,
    /// Require check-and-set on writes
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::cli::args::bool_value)]
    pub cas_required: Option<bool>,
    /// Delete versions this long after they are written (e.g. 720h; 0s: never)
    #[arg(long)]
    pub delete_version_after: Option<String>,
    /// Custom metadata key=value (repeatable)
    #[arg(long, value_name = "K=V")]
    pub custom_metadata: Vec<String>,
    /// Custom metadata key to remove (patch; repeatable)
    #[arg(long, value_name = "KEY")]
    pub remove_custom_metadata: Vec<String>,
}

pub fn run(ctx: &Ctx, cmd: MetadataCommand) -> CliResult {
    match cmd {
        MetadataCommand::Get(t) => get(ctx, t),
        MetadataCommand::Put(a) => write(ctx, a, false),
        MetadataCommand::Patch(a) => write(ctx, a, true),
        MetadataCommand::Delete(t) => {
            let kp = locate(ctx, &t)?;
            require_v2(&kp, "kv metadata delete")?;
            let p = kp.api("metadata");
            ctx.call(&Request::delete(&p), &format!("deleting {p}"))?;
            ctx.success(&format!("Success! Data deleted (if it existed) at: {p}"));
            Ok(())
        }
    }
}

fn get(ctx: &Ctx, t: Target) -> CliResult {
    let kp = locate(ctx, &t)?;
    require_v2(&kp, "kv metadata get")?;
    let p = kp.api("metadata");
    let resp = ctx
        .read(&Request::get(&p), &format!("reading {p}"))?
        .ok_or_else(|| CliError::NotFound(p.clone()))?;
    if ctx.flags.field.is_some() || ctx.format != Format::Table {
        return ctx.print_response(&resp);
    }
    let v = resp.value().unwrap_or(Value::Null);
    let mut data = v
        .get("data")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let versions = data
        .remove("versions")
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    print_warnings(&v);
    print_path_header(&p, "Metadata Path");
    outln(&header_for_keys("Metadata", data.keys()));
    out(&map_table(&data));
    let mut numbers: Vec<(u64, &Value)> = versions
        .iter()
        .filter_map(|(k, v)| k.parse().ok().map(|n| (n, v)))
        .collect();
    numbers.sort_by_key(|(n, _)| *n);
    for (n, info) in numbers {
        let info = info.as_object().cloned().unwrap_or_default();
        outln(&format!(
            "\n{}",
            header_for_keys(&format!("Version {n}"), info.keys())
        ));
        out(&map_table(&info));
    }
    Ok(())
}

fn write(ctx: &Ctx, a: PutArgs, patch: bool) -> CliResult {
    let kp = locate(ctx, &a.target)?;
    let name = if patch {
        "kv metadata patch"
    } else {
        "kv metadata put"
    };
    require_v2(&kp, name)?;
    if !patch && !a.remove_custom_metadata.is_empty() {
        return Err(CliError::Usage(
            "-remove-custom-metadata works with `kv metadata patch` only".into(),
        ));
    }
    let mut body = Map::new();
    if let Some(n) = a.max_versions {
        body.insert("max_versions".into(), json!(n));
    }
    if let Some(b) = a.cas_required {
        body.insert("cas_required".into(), json!(b));
    }
    if let Some(d) = &a.delete_version_after {
        body.insert("delete_version_after".into(), json!(d));
    }
    let mut custom = Map::new();
    for kv in &a.custom_metadata {
        let (k, v) = kv.split_once('=').ok_or_else(|| {
            CliError::Usage(format!("-custom-metadata {kv:?}: expected key=value"))
        })?;
        custom.insert(k.to_string(), json!(v));
    }
    for k in &a.remove_custom_metadata {
        custom.insert(k.clone(), Value::Null);
    }
    if !custom.is_empty() {
        body.insert("custom_metadata".into(), Value::Object(custom));
    }
    let p = kp.api("metadata");
    let req = if patch {
        Request::patch(&p).json(&Value::Object(body))
    } else {
        Request::put(&p).json(&Value::Object(body))
    };
    let resp = ctx.call(&req, &format!("writing data to {p}"))?;
    if resp.body.iter().all(u8::is_ascii_whitespace) {
        ctx.success(&format!("Success! Data written to: {p}"));
        return Ok(());
    }
    ctx.print_response(&resp)
}
