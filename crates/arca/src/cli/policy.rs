//! `arca policy list | read | write | delete | fmt`.

use arca_client::Request;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::context::{CliResult, Ctx};
use super::error::CliError;
use super::flags::{ClientFlags, Format};
use super::output::outln;

#[derive(Args, Debug)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// List the ACL policies
    List,
    /// Print a policy
    Read { name: String },
    /// Upload a policy from a file (or - for stdin)
    Write { name: String, file: String },
    /// Delete a policy
    Delete { name: String },
    /// Rewrite a policy file in canonical form (after checking it parses)
    Fmt { file: String },
}

pub fn run(ctx: &Ctx, cmd: PolicyCommand) -> CliResult {
    ctx.reject_raw()?;
    match cmd {
        PolicyCommand::List => {
            let resp = ctx.call(&Request::list("sys/policies/acl"), "listing policies")?;
            let keys = resp
                .value()
                .ok()
                .and_then(|v| v.pointer("/data/keys").cloned())
                .unwrap_or(json!([]));
            if ctx.format == Format::Table && ctx.flags.field.is_none() {
                for k in keys.as_array().into_iter().flatten() {
                    outln(&super::table::cell(k));
                }
                return Ok(());
            }
            ctx.print_data(&keys)
        }
        PolicyCommand::Read { name } => {
            let name = name.trim().to_lowercase();
            let path = format!("sys/policies/acl/{name}");
            let resp = ctx
                .read(
                    &Request::get(&path),
                    &format!("reading policy named {name}"),
                )?
                .ok_or_else(|| CliError::Server {
                    message: format!("No policy named: {name}"),
                    hint: Some("Hint: `arca policy list` shows the policies that exist.".into()),
                })?;
            let rules = resp
                .value()
                .ok()
                .and_then(|v| {
                    v.pointer("/data/policy")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .unwrap_or_default();
            if ctx.format == Format::Table && ctx.flags.field.is_none() {
                outln(rules.trim());
                return Ok(());
            }
            ctx.print_data(&json!({"policy": rules}))
        }
        PolicyCommand::Write { name, file } => {
            let rules = if file == "-" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut *ctx.stdin(), &mut s).map_err(|e| {
                    CliError::Local(format!("Error reading policy from stdin: {e}"))
                })?;
                s
            } else {
                std::fs::read_to_string(&file).map_err(|e| {
                    CliError::Local(format!("Error opening policy file {file}: {e}"))
                })?
            };
            let name = name.trim().to_lowercase();
            let req =
                Request::put(format!("sys/policies/acl/{name}")).json(&json!({"policy": rules}));
            ctx.call(&req, "uploading policy")?;
            outln(&format!("Success! Uploaded policy: {name}"));
            Ok(())
        }
        PolicyCommand::Delete { name } => {
            let name = name.trim().to_string();
            ctx.call(
                &Request::delete(format!("sys/policies/acl/{name}")),
                &format!("deleting {name}"),
            )?;
            outln(&format!("Success! Deleted policy: {name}"));
            Ok(())
        }
        PolicyCommand::Fmt { file } => fmt(&file),
    }
}

fn fmt(file: &str) -> CliResult {
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::Local(format!("Error opening policy file {file}: {e}")))?;
    arca_core::policy::Policy::parse("", &text)
        .map_err(|e| CliError::Local(format!("Error parsing policy {file}: {e}")))?;
    let formatted = super::policy_fmt::format(&text)
        .map_err(|e| CliError::Local(format!("Error formatting policy {file}: {e}")))?;
    if formatted != text {
        write_atomically(file, &formatted)?;
    }
    outln(&format!("Success! Formatted policy: {file}"));
    Ok(())
}

fn write_atomically(file: &str, text: &str) -> CliResult {
    let path = std::path::Path::new(file);
    let tmp = path.with_extension("arca-fmt.tmp");
    let err = |e: std::io::Error| CliError::Local(format!("Error writing policy file {file}: {e}"));
    let perms = std::fs::metadata(path).map_err(err)?.permissions();
    std::fs::write(&tmp, text).map_err(err)?;
    std::fs::set_permissions(&tmp, perms).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })
}
