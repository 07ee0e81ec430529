//! `arca operator rekey` / `rotate-keys`: replace the unseal key shares with a new set
//! (optionally verified before it takes effect), from a quorum of the current shares.

use arca_client::Request;
use clap::Args;
use serde_json::{json, Value};

use super::family::{self, payload, ApiChoice, Family};
use crate::cli::context::{CliResult, Ctx};
use crate::cli::error::CliError;
use crate::cli::flags::Format;
use crate::cli::output::{out, outln};
use crate::cli::table::{cell, table};

#[derive(Args, Debug)]
pub struct RekeyArgs {
    /// Start a rotation (with -key-shares, -key-threshold, -verify)
    #[arg(long)]
    pub init: bool,
    /// Cancel the rotation in progress (with -verify: restart only the verification)
    #[arg(long)]
    pub cancel: bool,
    /// Show the rotation's progress
    #[arg(long)]
    pub status: bool,
    /// Number of new key shares
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub key_shares: u32,
    /// Number of new shares required to unseal
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub key_threshold: u32,
    /// Nonce of the rotation (read from the server when absent)
    #[arg(long)]
    pub nonce: Option<String>,
    /// With -init: require the new shares to be verified before they take effect;
    /// otherwise: act on that verification
    #[arg(long)]
    pub verify: bool,
    /// Which keys to rotate: barrier (the unseal keys)
    #[arg(long, default_value = "barrier")]
    pub target: String,
    /// PGP keys to encrypt the new shares with (not supported by Arca)
    #[arg(long, value_name = "KEYS")]
    pub pgp_keys: Option<String>,
    /// Back up PGP-encrypted shares (not supported by Arca)
    #[arg(long)]
    pub backup: bool,
    /// Retrieve backed-up shares (not supported by Arca)
    #[arg(long)]
    pub backup_retrieve: bool,
    /// Delete backed-up shares (not supported by Arca)
    #[arg(long)]
    pub backup_delete: bool,
    /// Endpoints to use: auto, openbao or vault
    #[arg(long, value_enum, default_value_t = ApiChoice::Auto)]
    pub api: ApiChoice,
    /// A current unseal key share (prompted for when absent)
    pub key: Option<String>,
}

pub fn run(ctx: &Ctx, a: RekeyArgs) -> CliResult {
    match a.target.trim().to_ascii_lowercase().as_str() {
        "barrier" | "" => {}
        "recovery" => {
            return Err(CliError::Usage(
                "-target=recovery: recovery keys exist only with an auto-unseal seal; Arca uses a Shamir seal (rotate its unseal keys with -target=barrier)".into(),
            ))
        }
        other => return Err(CliError::Usage(format!("Unknown target: {other}"))),
    }
    if a.pgp_keys.is_some() || a.backup || a.backup_retrieve || a.backup_delete {
        return Err(CliError::Usage(
            "PGP-encrypted shares and their backups are not supported by Arca; rotate without -pgp-keys/-backup".into(),
        ));
    }
    let mut fam = Family::choose(ctx, a.api)?;
    if a.cancel {
        let leaf = if a.verify { "verify" } else { "init" };
        family::call(ctx, &mut fam, a.api, "canceling rotation", |f| {
            Request::delete(f.rekey(leaf))
        })?;
        outln("Success! Canceled rotation (if it was started)");
        return Ok(());
    }
    if a.init {
        let body = json!({
            "secret_shares": a.key_shares,
            "secret_threshold": a.key_threshold,
            "require_verification": a.verify,
        });
        let resp = family::call(ctx, &mut fam, a.api, "initializing rotation", |f| {
            Request::put(f.rekey("init")).json(&body)
        })?;
        let status = payload(&resp);
        print_status(ctx, &status, false)?;
        if ctx.format == Format::Table {
            outln("\nProvide a quorum of the current unseal key shares with `arca operator rekey <key>`.\nThe new key shares are printed once, when the last share is given: keep them safe.");
        }
        return Ok(());
    }
    if a.status {
        let leaf = if a.verify { "verify" } else { "init" };
        let resp = family::call(ctx, &mut fam, a.api, "reading rotation status", |f| {
            Request::get(f.rekey(leaf))
        })?;
        return print_status(ctx, &payload(&resp), a.verify);
    }
    provide(ctx, &a, fam)
}

fn provide(ctx: &Ctx, a: &RekeyArgs, mut fam: Family) -> CliResult {
    let leaf = if a.verify { "verify" } else { "init" };
    let status = payload(&family::call(
        ctx,
        &mut fam,
        a.api,
        "reading rotation status",
        |f| Request::get(f.rekey(leaf)),
    )?);
    if !status
        .get("started")
        .and_then(Value::as_bool)
        .unwrap_or(false)
        && !a.verify
    {
        return Err(CliError::Usage(
            "No rotation is in progress: start one with `arca operator rekey -init`".into(),
        ));
    }
    let nonce = match &a.nonce {
        Some(n) => n.clone(),
        None => status
            .get("nonce")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    };
    if nonce.is_empty() {
        return Err(CliError::Usage(
            "Missing nonce value: specify it with -nonce".into(),
        ));
    }
    let key = match &a.key {
        Some(k) => k.trim().to_string(),
        None => ctx.prompt_secret("Unseal Key")?.trim().to_string(),
    };
    if key.is_empty() {
        return Err(CliError::Usage("an unseal key share is required".into()));
    }
    let update = if a.verify { "verify" } else { "update" };
    let body = json!({"key": key, "nonce": nonce});
    let resp = family::call(ctx, &mut fam, a.api, "posting unseal key", |f| {
        Request::put(f.rekey(update)).json(&body)
    })?;
    let result = payload(&resp);
    if !result
        .get("complete")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        return print_status(ctx, &result, a.verify);
    }
    if ctx.format != Format::Table {
        return ctx.print_data(&result);
    }
    if a.verify {
        outln("Success! Rotation verified: the new unseal keys are now active.");
        return Ok(());
    }
    let mut s = String::new();
    let keys = result
        .get("keys_base64")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, k) in keys.iter().enumerate() {
        s.push_str(&format!("Key {}: {}\n", i + 1, cell(k)));
    }
    s.push_str(&format!("\nOperation nonce: {nonce}\n\n"));
    let (n, t) = (
        keys.len(),
        status.get("t").and_then(Value::as_u64).unwrap_or(0),
    );
    if result
        .get("verification_required")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        let vnonce = result
            .get("verification_nonce")
            .map(cell)
            .unwrap_or_default();
        s.push_str(&format!(
            "The new {n} key shares (threshold {t}) are NOT active yet: they must be verified.\n\
             Provide {t} of the NEW shares with `arca operator rekey -verify -nonce={vnonce} <new key>`.\n\
             Until then the current shares keep unsealing the server.\n"
        ));
    } else {
        s.push_str(&format!(
            "Vault unseal keys rotated with {n} key shares and a key threshold of {t}. Please\n\
             securely distribute the key shares printed above. When the server is re-sealed,\n\
             restarted, or stopped, you must supply at least {t} of these keys to unseal it\n\
             before it can start servicing requests.\n"
        ));
    }
    out(&s);
    Ok(())
}

fn print_status(ctx: &Ctx, s: &Value, verify: bool) -> CliResult {
    if ctx.format != Format::Table || ctx.flags.field.is_some() {
        return ctx.print_data(s);
    }
    let g = |k: &str| s.get(k).map(cell).unwrap_or_default();
    let mut rows: Vec<Vec<String>> = Vec::new();
    if verify {
        rows.push(vec!["Started".into(), g("started")]);
        rows.push(vec!["New Shares".into(), g("n")]);
        rows.push(vec!["New Threshold".into(), g("t")]);
        rows.push(vec!["Verification Nonce".into(), g("nonce")]);
        rows.push(vec![
            "Verification Progress".into(),
            format!("{}/{}", g("progress"), g("t")),
        ]);
    } else {
        rows.push(vec!["Nonce".into(), g("nonce")]);
        rows.push(vec!["Started".into(), g("started")]);
        if s.get("started").and_then(Value::as_bool).unwrap_or(false) {
            rows.push(vec![
                "Rotation Progress".into(),
                format!("{}/{}", g("progress"), g("required")),
            ]);
            rows.push(vec!["New Shares".into(), g("n")]);
            rows.push(vec!["New Threshold".into(), g("t")]);
            rows.push(vec![
                "Verification Required".into(),
                g("verification_required"),
            ]);
            if !g("verification_nonce").is_empty() {
                rows.push(vec!["Verification Nonce".into(), g("verification_nonce")]);
            }
        }
    }
    out(&table(&["Key", "Value"], &rows));
    Ok(())
}
