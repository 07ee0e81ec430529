//! `arca kv ...`: KV secrets with the version (v1/v2) detected from the mount, as `bao kv`.

mod metadata;
mod mount;

use arca_client::Request;
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};

use super::context::{CliResult, Ctx};
use super::error::CliError;
use super::flags::{ClientFlags, Format};
use super::kvargs;
use super::output::{out, outln, print_warnings};
use super::table::{header_for_keys, section_header};
use mount::{resolve, KvPath};

#[derive(Args, Debug)]
pub struct KvArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    #[command(subcommand)]
    pub command: KvCommand,
}

/// The secret's location: `secret/app`, or `-mount=secret app`.
#[derive(Args, Debug)]
pub struct Target {
    /// Mount path of the KV engine; the path argument is then relative to it
    #[arg(long)]
    pub mount: Option<String>,
    /// Path of the secret
    pub path: String,
}

#[derive(Subcommand, Debug)]
pub enum KvCommand {
    /// Write a secret (a new version on v2)
    Put(PutArgs),
    /// Read a secret
    Get(GetArgs),
    /// Update some keys of a secret, keeping the others (v2)
    Patch(PatchArgs),
    /// Delete a secret's latest version, or the given versions (v2: restorable)
    Delete(VersionsArgs),
    /// Restore deleted versions (v2)
    Undelete(VersionsArgs),
    /// Permanently destroy versions (v2)
    Destroy(VersionsArgs),
    /// List the keys under a path
    List(ListArgs),
    /// Metadata of a secret: versions, limits, custom metadata (v2)
    #[command(subcommand)]
    Metadata(metadata::MetadataCommand),
    /// Write an older version's data as the newest version (v2)
    Rollback(RollbackArgs),
}

#[derive(Args, Debug)]
pub struct PutArgs {
    #[command(flatten)]
    pub target: Target,
    /// Check-and-set: the version the write expects (0: only if absent)
    #[arg(long)]
    pub cas: Option<i64>,
    /// Data as key=value, key=@file, key=-, @file.json or - (JSON on stdin)
    #[arg(required = true)]
    pub data: Vec<String>,
}

#[derive(Args, Debug)]
pub struct GetArgs {
    #[command(flatten)]
    pub target: Target,
    /// Version to read (v2; default the latest)
    #[arg(long, default_value_t = 0)]
    pub version: u64,
}

#[derive(Args, Debug)]
pub struct PatchArgs {
    #[command(flatten)]
    pub target: Target,
    /// Check-and-set: the version the patch expects
    #[arg(long)]
    pub cas: Option<i64>,
    /// patch (an HTTP PATCH) or rw (read, merge, write with check-and-set)
    #[arg(long)]
    pub method: Option<String>,
    /// Keys to remove (with -method=patch)
    #[arg(long = "remove-data", value_name = "KEY")]
    pub remove_data: Vec<String>,
    /// Data as key=value, key=@file, key=-, @file.json or -
    pub data: Vec<String>,
}

#[derive(Args, Debug)]
pub struct VersionsArgs {
    #[command(flatten)]
    pub target: Target,
    /// Versions (comma-separated or repeated)
    #[arg(long, value_name = "N,N")]
    pub versions: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub target: Target,
    /// Print the whole response, not only the keys
    #[arg(long)]
    pub detailed: bool,
}

#[derive(Args, Debug)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub target: Target,
    /// Version to roll back to
    #[arg(long)]
    pub version: u64,
}

pub fn run(ctx: &Ctx, cmd: KvCommand) -> CliResult {
    ctx.reject_raw()?;
    match cmd {
        KvCommand::Put(a) => put(ctx, a),
        KvCommand::Get(a) => get(ctx, a),
        KvCommand::Patch(a) => patch(ctx, a),
        KvCommand::Delete(a) => delete(ctx, a),
        KvCommand::Undelete(a) => versions_op(ctx, a, "undelete", "undeleting", "undelete"),
        KvCommand::Destroy(a) => versions_op(ctx, a, "destroy", "destroying", "destroy"),
        KvCommand::List(a) => list(ctx, a),
        KvCommand::Metadata(c) => metadata::run(ctx, c),
        KvCommand::Rollback(a) => rollback(ctx, a),
    }
}

fn locate(ctx: &Ctx, t: &Target) -> CliResult<KvPath> {
    resolve(ctx, &t.path, t.mount.as_deref())
}

fn require_v2(kp: &KvPath, what: &str) -> CliResult {
    if kp.v2 {
        return Ok(());
    }
    let mount = if kp.mount.is_empty() {
        "<mount>"
    } else {
        kp.mount.as_str()
    };
    Err(CliError::Usage(format!(
        "{what} needs a KV version 2 mount, and {} is on version 1.\nUpgrade the mount with: arca secrets tune -version=2 {mount}",
        kp.path
    )))
}

fn put(ctx: &Ctx, a: PutArgs) -> CliResult {
    let kp = locate(ctx, &a.target)?;
    let data = kvargs::parse(&a.data, &mut *ctx.stdin())?;
    if data.is_empty() {
        return Err(CliError::Usage("Must supply data".into()));
    }
    let path = kp.api("data");
    let body = if kp.v2 {
        let mut options = Map::new();
        if let Some(cas) = a.cas {
            options.insert("cas".into(), json!(cas));
        }
        json!({"data": data, "options": options})
    } else {
        Value::Object(data)
    };
    let resp = ctx.call(
        &Request::put(&path).json(&body),
        &format!("writing data to {path}"),
    )?;
    print_write_result(ctx, &kp, &path, &resp)
}

/// After a write: v1 says where; v2 shows the new version's metadata.
fn print_write_result(
    ctx: &Ctx,
    kp: &KvPath,
    path: &str,
    resp: &arca_client::Response,
) -> CliResult {
    if resp.body.iter().all(u8::is_ascii_whitespace) {
        ctx.success(&format!("Success! Data written to: {path}"));
        return Ok(());
    }
    if ctx.format != Format::Table || ctx.flags.field.is_some() || !kp.v2 {
        return ctx.print_response(resp);
    }
    let v = resp.value().unwrap_or(Value::Null);
    print_warnings(&v);
    print_path_header(path, "Secret Path");
    if let Some(meta) = v.get("data").and_then(Value::as_object) {
        outln(&header_for_keys("Metadata", meta.keys()));
        out(&super::output::map_table(meta));
    }
    Ok(())
}

fn print_path_header(path: &str, title: &str) {
    outln(&section_header(title, path.len()));
    outln(path);
    outln("");
}

fn get(ctx: &Ctx, a: GetArgs) -> CliResult {
    let kp = locate(ctx, &a.target)?;
    let path = kp.api("data");
    let mut req = Request::get(&path);
    if kp.v2 && a.version > 0 {
        req = req.query("version", a.version.to_string());
    }
    let resp = ctx
        .read(&req, &format!("reading {path}"))?
        .ok_or_else(|| CliError::NotFound(path.clone()))?;
    let v = resp.value().unwrap_or(Value::Null);
    if let Some(field) = &ctx.flags.field {
        if !kp.v2 {
            return ctx.print_response(&resp);
        }
        let data = v.pointer("/data/data").filter(|d| d.is_object());
        let Some(data) = data else {
            return Err(CliError::server(format!("No data found at {path}")));
        };
        // As Vault: `-field=data` means the whole secret unless the secret has a key "data".
        let found = if field == "data" && data.get("data").is_none() {
            Some(data.clone())
        } else {
            data.get(field).cloned().filter(|x| !x.is_null())
        };
        return ctx.print_field(found, field, "secret", Some(&v));
    }
    if ctx.format != Format::Table || v.get("wrap_info").is_some_and(|w| !w.is_null()) {
        return ctx.print_response(&resp);
    }
    print_warnings(&v);
    if kp.v2 {
        print_path_header(&path, "Secret Path");
    }
    if let Some(meta) = v.pointer("/data/metadata").and_then(Value::as_object) {
        outln(&header_for_keys("Metadata", meta.keys()));
        out(&super::output::map_table(meta));
        outln("");
    }
    let data = if kp.v2 {
        v.pointer("/data/data")
    } else {
        v.get("data")
    };
    if let Some(data) = data.and_then(Value::as_object) {
        outln(&header_for_keys("Data", data.keys()));
        out(&super::output::map_table(data));
    }
    Ok(())
}

fn patch(ctx: &Ctx, a: PatchArgs) -> CliResult {
    let kp = locate(ctx, &a.target)?;
    require_v2(&kp, "kv patch")?;
    let data = kvargs::parse(&a.data, &mut *ctx.stdin())?;
    if data.is_empty() && a.remove_data.is_empty() {
        return Err(CliError::Usage("Must supply data".into()));
    }
    let path = kp.api("data");
    match a.method.as_deref() {
        None | Some("") | Some("patch") => {
            let mut patch = data.clone();
            for k in &a.remove_data {
                patch.insert(k.clone(), Value::Null);
            }
            let mut options = Map::new();
            if let Some(cas) = a.cas {
                options.insert("cas".into(), json!(cas));
            }
            let req = Request::patch(&path).json(&json!({"data": patch, "options": options}));
            let resp = ctx.send(&req, &format!("writing data to {path}"))?;
            // Servers without PATCH support answer 405; `bao` then falls back to read-modify-write.
            if resp.status == 405 && a.method.is_none() && a.remove_data.is_empty() {
                return patch_rw(ctx, &kp, &path, data, a.cas);
            }
            if resp.status == 404 {
                return Err(CliError::NotFound(path));
            }
            if resp.status >= 400 {
                return Err(ctx.client_error(
                    &format!("writing data to {path}"),
                    Some(&path),
                    resp.to_error(),
                ));
            }
            print_write_result(ctx, &kp, &path, &resp)
        }
        Some("rw") => {
            if !a.remove_data.is_empty() {
                return Err(CliError::Usage(
                    "-remove-data works with -method=patch only".into(),
                ));
            }
            patch_rw(ctx, &kp, &path, data, a.cas)
        }
        Some(other) => Err(CliError::Usage(format!(
            "Unsupported method provided: {other:?} (patch or rw)"
        ))),
    }
}

fn patch_rw(
    ctx: &Ctx,
    kp: &KvPath,
    path: &str,
    data: Map<String, Value>,
    cas: Option<i64>,
) -> CliResult {
    let current = ctx
        .read(&Request::get(path), &format!("reading {path}"))?
        .ok_or_else(|| CliError::NotFound(path.to_string()))?;
    let v = current.value().unwrap_or(Value::Null);
    let mut merged = v
        .pointer("/data/data")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| {
            CliError::server(format!(
                "No data found at {path}: it may be deleted or destroyed"
            ))
        })?;
    let version = v
        .pointer("/data/metadata/version")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    merged.extend(data);
    let body = json!({"data": merged, "options": {"cas": cas.unwrap_or(version)}});
    let resp = ctx.call(
        &Request::put(path).json(&body),
        &format!("writing data to {path}"),
    )?;
    print_write_result(ctx, kp, path, &resp)
}

fn parse_versions(raw: &[String]) -> CliResult<Vec<u64>> {
    raw.iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| CliError::Usage(format!("-versions: {v:?} is not a version number")))
        })
        .collect()
}

fn delete(ctx: &Ctx, a: VersionsArgs) -> CliResult {
    let kp = locate(ctx, &a.target)?;
    let versions = parse_versions(&a.versions)?;
    let (req, shown) = if kp.v2 && !versions.is_empty() {
        let p = kp.api("delete");
        (Request::post(&p).json(&json!({"versions": versions})), p)
    } else {
        if !versions.is_empty() {
            return Err(CliError::Usage(
                "-versions needs a KV version 2 mount".into(),
            ));
        }
        let p = kp.api("data");
        (Request::delete(&p), p)
    };
    ctx.call(&req, &format!("deleting {shown}"))?;
    ctx.success(&format!(
        "Success! Data deleted (if it existed) at: {shown}"
    ));
    Ok(())
}

fn versions_op(ctx: &Ctx, a: VersionsArgs, prefix: &str, doing: &str, name: &str) -> CliResult {
    let kp = locate(ctx, &a.target)?;
    require_v2(&kp, &format!("kv {name}"))?;
    let versions = parse_versions(&a.versions)?;
    if versions.is_empty() {
        return Err(CliError::Usage(format!(
            "kv {name} needs -versions (e.g. -versions=1,2)"
        )));
    }
    let p = kp.api(prefix);
    ctx.call(
        &Request::put(&p).json(&json!({"versions": versions})),
        &format!("{doing} {p}"),
    )?;
    ctx.success(&format!("Success! Data written to: {p}"));
    Ok(())
}

fn list(ctx: &Ctx, a: ListArgs) -> CliResult {
    let kp = locate(ctx, &a.target)?;
    let p = kp.api("metadata");
    let resp = ctx
        .read(&Request::list(&p), &format!("listing {p}"))?
        .ok_or_else(|| CliError::NotFound(p.clone()))?;
    if a.detailed {
        return ctx.print_response(&resp);
    }
    ctx.print_keys(&resp)
}

fn rollback(ctx: &Ctx, a: RollbackArgs) -> CliResult {
    let kp = locate(ctx, &a.target)?;
    require_v2(&kp, "kv rollback")?;
    if a.version == 0 {
        return Err(CliError::Usage(
            "kv rollback needs -version=N (N > 0)".into(),
        ));
    }
    let meta_path = kp.api("metadata");
    let meta = ctx
        .read(&Request::get(&meta_path), &format!("reading {meta_path}"))?
        .ok_or_else(|| CliError::NotFound(meta_path.clone()))?;
    let m = meta.value().unwrap_or(Value::Null);
    let current = m
        .pointer("/data/current_version")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let info = m
        .pointer(&format!("/data/versions/{}", a.version))
        .cloned()
        .ok_or_else(|| {
            CliError::server(format!(
                "Version {} does not exist at {meta_path}",
                a.version
            ))
        })?;
    if info
        .get("destroyed")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        return Err(CliError::server(format!(
            "Cannot roll back to a destroyed version ({})",
            a.version
        )));
    }
    if info
        .get("deletion_time")
        .and_then(Value::as_str)
        .is_some_and(|t| !t.is_empty())
    {
        return Err(CliError::server(format!(
            "Cannot roll back to a deleted version ({}); restore it first with `arca kv undelete -versions={}`",
            a.version, a.version
        )));
    }
    let data_path = kp.api("data");
    let old = ctx
        .read(
            &Request::get(&data_path).query("version", a.version.to_string()),
            &format!("reading {data_path}"),
        )?
        .ok_or_else(|| CliError::NotFound(data_path.clone()))?;
    let data = old
        .value()
        .ok()
        .and_then(|v| v.pointer("/data/data").cloned())
        .filter(Value::is_object)
        .ok_or_else(|| {
            CliError::server(format!(
                "No data found at {data_path} version {}",
                a.version
            ))
        })?;
    let body = json!({"data": data, "options": {"cas": current}});
    let resp = ctx.call(
        &Request::put(&data_path).json(&body),
        &format!("writing data to {data_path}"),
    )?;
    print_write_result(ctx, &kp, &data_path, &resp)
}
