//! `arca operator ...`: init, unseal, seal, key-status, rotate, rekey (also under
//! OpenBao's name `rotate-keys`) and generate-root.

mod family;
mod generate_root;
mod rekey;

use arca_client::types::InitRequest;
use arca_client::Request;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::context::{CliResult, Ctx};
use super::error::CliError;
use super::flags::{ClientFlags, Format};
use super::output::{out, outln};
use super::status;
use super::table::columns;

#[derive(Args, Debug)]
pub struct OperatorArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    #[command(subcommand)]
    pub command: OperatorCommand,
}

#[derive(Subcommand, Debug)]
pub enum OperatorCommand {
    /// Initialize a server: create the unseal key shares and the initial root token
    Init(InitArgs),
    /// Provide one unseal key share (prompted for when not given)
    Unseal(UnsealArgs),
    /// Seal the server
    Seal,
    /// Show the barrier's current encryption key term
    KeyStatus,
    /// Rotate the barrier encryption key (adds a key term; data is not rewritten)
    Rotate,
    /// Replace the unseal key shares (Vault's name; same as rotate-keys)
    Rekey(rekey::RekeyArgs),
    /// Replace the unseal key shares (OpenBao's name; same as rekey)
    RotateKeys(rekey::RekeyArgs),
    /// Create a new root token from a quorum of unseal key shares
    GenerateRoot(generate_root::GenerateRootArgs),
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Number of key shares to split the unseal key into
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub key_shares: u32,
    /// Number of shares required to unseal
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub key_threshold: u32,
    /// Only report whether the server is initialized (exit 0 yes, 2 no)
    #[arg(long)]
    pub status: bool,
    /// PGP keys to encrypt the shares with (not supported by Arca)
    #[arg(long, value_name = "KEYS")]
    pub pgp_keys: Option<String>,
    /// PGP key to encrypt the root token with (not supported by Arca)
    #[arg(long, value_name = "KEY")]
    pub root_token_pgp_key: Option<String>,
    /// Recovery shares for auto-unseal (not supported by Arca's Shamir seal)
    #[arg(long, value_name = "N")]
    pub recovery_shares: Option<u32>,
    /// Recovery threshold for auto-unseal (not supported by Arca's Shamir seal)
    #[arg(long, value_name = "N")]
    pub recovery_threshold: Option<u32>,
}

#[derive(Args, Debug)]
pub struct UnsealArgs {
    /// Discard the key shares given so far
    #[arg(long)]
    pub reset: bool,
    /// Unseal key share (hex or base64); prompted for when absent
    pub key: Option<String>,
}

/// Runs an operator command; `Ok(code)` is the exit code for commands whose success can
/// still exit non-zero (`init -status`).
pub fn run(ctx: &Ctx, cmd: OperatorCommand) -> CliResult<u8> {
    ctx.reject_raw()?;
    match cmd {
        OperatorCommand::Init(a) => init(ctx, a),
        OperatorCommand::Unseal(a) => unseal(ctx, a).map(|_| 0),
        OperatorCommand::Seal => seal(ctx).map(|_| 0),
        OperatorCommand::KeyStatus => key_status(ctx, false).map(|_| 0),
        OperatorCommand::Rotate => rotate(ctx).map(|_| 0),
        OperatorCommand::Rekey(a) | OperatorCommand::RotateKeys(a) => rekey::run(ctx, a).map(|_| 0),
        OperatorCommand::GenerateRoot(a) => generate_root::run(ctx, a).map(|_| 0),
    }
}

fn init(ctx: &Ctx, a: InitArgs) -> CliResult<u8> {
    if a.status {
        let resp = ctx.call(&Request::get("sys/init"), "checking init status")?;
        let initialized = resp
            .value()
            .ok()
            .and_then(|v| v.get("initialized").and_then(Value::as_bool));
        return Ok(match initialized {
            Some(true) => {
                outln("Vault is initialized");
                0
            }
            Some(false) => {
                outln("Vault is not initialized");
                2
            }
            None => {
                return Err(CliError::server(
                    "Error checking init status: the server's answer has no \"initialized\" field",
                ))
            }
        });
    }
    if a.pgp_keys.is_some() || a.root_token_pgp_key.is_some() {
        return Err(CliError::Usage(
            "PGP-encrypted key shares and root tokens are not supported by Arca: initialize without -pgp-keys / -root-token-pgp-key and hand the shares out over a secure channel".into(),
        ));
    }
    if a.recovery_shares.is_some_and(|n| n > 0) || a.recovery_threshold.is_some_and(|n| n > 0) {
        return Err(CliError::Usage(
            "recovery keys exist only with an auto-unseal seal; Arca's Shamir seal uses -key-shares and -key-threshold".into(),
        ));
    }
    let req = InitRequest {
        secret_shares: a.key_shares,
        secret_threshold: a.key_threshold,
        pgp_keys: None,
        recovery_shares: 0,
        recovery_threshold: 0,
        recovery_pgp_keys: None,
        root_token_pgp_key: String::new(),
    };
    let client = ctx.client()?;
    let (_, resp) = client
        .init(&req)
        .map_err(|e| ctx.client_error("initializing", Some("sys/init"), e))?;
    if ctx.format != Format::Table || ctx.flags.field.is_some() {
        let machine = json!({
            "unseal_keys_b64": resp.keys_base64,
            "unseal_keys_hex": resp.keys,
            "unseal_shares": a.key_shares,
            "unseal_threshold": a.key_threshold,
            "recovery_keys_b64": null,
            "recovery_keys_hex": null,
            "recovery_keys_shares": 0,
            "recovery_keys_threshold": 0,
            "root_token": resp.root_token,
        });
        ctx.print_data(&machine)?;
        return Ok(0);
    }
    let mut s = String::new();
    for (i, key) in resp.keys_base64.iter().enumerate() {
        s.push_str(&format!("Unseal Key {}: {key}\n", i + 1));
    }
    let t = a.key_threshold;
    s.push_str(&format!("\nInitial Root Token: {}\n\n", resp.root_token));
    s.push_str(&format!(
        "Vault initialized with {} key shares and a key threshold of {t}. Please securely\n\
         distribute the key shares printed above. When the Vault is re-sealed,\n\
         restarted, or stopped, you must supply at least {t} of these keys to unseal it\n\
         before it can start servicing requests.\n\n\
         Vault does not store the generated root key. Without at least {t} keys to\n\
         reconstruct the root key, Vault will remain permanently sealed!\n\n\
         It is possible to generate new unseal keys, provided you have a quorum\n\
         of existing unseal keys shares. See \"arca operator rekey\" for more\n\
         information.\n",
        a.key_shares
    ));
    out(&s);
    Ok(0)
}

fn unseal(ctx: &Ctx, a: UnsealArgs) -> CliResult {
    let body = if a.reset {
        json!({"reset": true})
    } else {
        let key = match a.key {
            Some(k) => k,
            None => ctx.prompt_secret("Unseal Key")?,
        };
        let key = key.trim().to_string();
        if key.is_empty() {
            return Err(CliError::Usage("an unseal key share is required".into()));
        }
        json!({"key": key, "reset": false, "migrate": false})
    };
    let resp = ctx.call(&Request::put("sys/unseal").json(&body), "unsealing")?;
    let v = resp
        .value()
        .map_err(|e| CliError::server(format!("Error unsealing: {e}")))?;
    status::print_status(ctx, &v)
}

fn seal(ctx: &Ctx) -> CliResult {
    ctx.call(&Request::put("sys/seal"), "sealing")?;
    outln("Success! Vault is sealed.");
    Ok(())
}

fn key_status(ctx: &Ctx, after_rotate: bool) -> CliResult {
    let resp = ctx.call(&Request::get("sys/key-status"), "reading key status")?;
    let v = resp
        .value()
        .map_err(|e| CliError::server(format!("Error reading key status: {e}")))?;
    let data = v.get("data").filter(|d| d.is_object()).unwrap_or(&v);
    let status = json!({
        "term": data.get("term").cloned().unwrap_or(Value::Null),
        "install_time": data.get("install_time").cloned().unwrap_or(Value::Null),
        "encryptions": data.get("encryptions").cloned().unwrap_or(Value::Null),
    });
    if ctx.format != Format::Table || ctx.flags.field.is_some() {
        return ctx.print_data(&status);
    }
    if after_rotate {
        outln("Success! Rotated key\n");
    }
    let text = |k: &str| status.get(k).map(super::table::cell).unwrap_or_default();
    out(&columns(&[
        vec!["Key Term".into(), text("term")],
        vec!["Install Time".into(), rfc822(&text("install_time"))],
        vec!["Encryption Count".into(), text("encryptions")],
    ]));
    Ok(())
}

fn rotate(ctx: &Ctx) -> CliResult {
    // OpenBao's CLI posts to sys/rotate/keyring; Vault's server knows only sys/rotate.
    let resp = ctx.send(&Request::post("sys/rotate/keyring"), "rotating key")?;
    if matches!(resp.status, 404 | 405) {
        ctx.call(&Request::put("sys/rotate"), "rotating key")?;
    } else if resp.status >= 400 {
        return Err(ctx.client_error("rotating key", Some("sys/rotate/keyring"), resp.to_error()));
    }
    key_status(ctx, true)
}

/// "2026-11-28T23:10:01.6Z" as Go's RFC822 in UTC ("28 Nov 26 23:10 UTC"), as Vault prints it.
fn rfc822(rfc3339: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parse = || -> Option<String> {
        let (date, time) = rfc3339.split_once('T')?;
        let mut d = date.split('-');
        let (y, m, day) = (d.next()?, d.next()?.parse::<usize>().ok()?, d.next()?);
        let hm = time.get(..5)?;
        if !time.ends_with('Z') {
            return None;
        }
        Some(format!(
            "{day} {} {} {hm} UTC",
            MONTHS.get(m.checked_sub(1)?)?,
            y.get(2..)?
        ))
    };
    parse().unwrap_or_else(|| rfc3339.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc822() {
        assert_eq!(
            super::rfc822("2026-11-28T23:10:01.617251767Z"),
            "28 Nov 26 23:10 UTC"
        );
        assert_eq!(super::rfc822("garbage"), "garbage");
    }
}
