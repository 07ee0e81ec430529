//! `arca operator generate-root`: a new root token from a quorum of unseal key shares.
//! The server returns the token XORed with a one-time password; `-decode` undoes that
//! locally.

use arca_client::Request;
use base64::Engine;
use clap::Args;
use serde_json::{json, Value};

use super::family::{self, payload, ApiChoice, Family};
use crate::cli::context::{CliResult, Ctx};
use crate::cli::error::CliError;
use crate::cli::flags::Format;
use crate::cli::output::{out, outln};
use crate::cli::table::{cell, columns};

#[derive(Args, Debug)]
pub struct GenerateRootArgs {
    /// Start a root token generation (the server creates the OTP unless -otp is given)
    #[arg(long)]
    pub init: bool,
    /// Cancel the generation in progress
    #[arg(long)]
    pub cancel: bool,
    /// Show the generation's progress
    #[arg(long)]
    pub status: bool,
    /// Print a new random OTP of the server's length, for -init -otp=...
    #[arg(long)]
    pub generate_otp: bool,
    /// Decode this encoded token (or - to read it from stdin) with -otp
    #[arg(long, value_name = "ENCODED")]
    pub decode: Option<String>,
    /// The one-time password (for -init and -decode)
    #[arg(long)]
    pub otp: Option<String>,
    /// Nonce of the generation (read from the server when absent)
    #[arg(long)]
    pub nonce: Option<String>,
    /// PGP key to encrypt the token with (not supported by Arca)
    #[arg(long, value_name = "KEY")]
    pub pgp_key: Option<String>,
    /// Generate a DR operation token (not supported by Arca)
    #[arg(long)]
    pub dr_token: bool,
    /// Generate a recovery token (not supported by Arca)
    #[arg(long)]
    pub recovery_token: bool,
    /// Endpoints to use: auto, openbao or vault
    #[arg(long, value_enum, default_value_t = ApiChoice::Auto)]
    pub api: ApiChoice,
    /// An unseal key share (prompted for when absent)
    pub key: Option<String>,
}

pub fn run(ctx: &Ctx, a: GenerateRootArgs) -> CliResult {
    if a.pgp_key.is_some() {
        return Err(CliError::Usage(
            "PGP-encrypted root tokens are not supported by Arca; use the OTP flow (-init, then -decode with -otp)".into(),
        ));
    }
    if a.dr_token || a.recovery_token {
        return Err(CliError::Usage(
            "DR operation and recovery tokens are not supported by Arca (no DR replication, Shamir seal only)".into(),
        ));
    }
    if let Some(encoded) = &a.decode {
        return decode(ctx, encoded, a.otp.as_deref());
    }
    let mut fam = Family::choose(ctx, a.api)?;
    if a.generate_otp {
        let status = payload(&family::call(
            ctx,
            &mut fam,
            a.api,
            "reading root generation status",
            |f| Request::get(f.generate_root("attempt")),
        )?);
        let len = status
            .get("otp_length")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        if len == 0 {
            return Err(CliError::server("the server did not report an OTP length; start with -init and use the OTP it returns"));
        }
        outln(&random_otp(len)?);
        return Ok(());
    }
    if a.cancel {
        family::call(
            ctx,
            &mut fam,
            a.api,
            "canceling root token generation",
            |f| Request::delete(f.generate_root("attempt")),
        )?;
        outln("Success! Root token generation canceled (if it was started)");
        return Ok(());
    }
    if a.init {
        let body = match &a.otp {
            Some(otp) => json!({"otp": otp}),
            None => json!({}),
        };
        let resp = family::call(ctx, &mut fam, a.api, "initializing root generation", |f| {
            Request::put(f.generate_root("attempt")).json(&body)
        })?;
        let status = payload(&resp);
        print_status(ctx, &status)?;
        if ctx.format == Format::Table
            && !cell(status.get("otp").unwrap_or(&Value::Null)).is_empty()
        {
            outln("\nKeep the OTP: it decodes the new token (arca operator generate-root -decode=<encoded> -otp=<otp>).");
        }
        return Ok(());
    }
    if a.status {
        let resp = family::call(
            ctx,
            &mut fam,
            a.api,
            "reading root generation status",
            |f| Request::get(f.generate_root("attempt")),
        )?;
        return print_status(ctx, &payload(&resp));
    }
    let status = payload(&family::call(
        ctx,
        &mut fam,
        a.api,
        "reading root generation status",
        |f| Request::get(f.generate_root("attempt")),
    )?);
    if !status
        .get("started")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        return Err(CliError::Usage(
            "No root generation is in progress: start one with `arca operator generate-root -init`"
                .into(),
        ));
    }
    let nonce = a
        .nonce
        .clone()
        .or_else(|| {
            status
                .get("nonce")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_default();
    let key = match &a.key {
        Some(k) => k.trim().to_string(),
        None => ctx.prompt_secret("Unseal Key")?.trim().to_string(),
    };
    if key.is_empty() {
        return Err(CliError::Usage("an unseal key share is required".into()));
    }
    let body = json!({"key": key, "nonce": nonce});
    let resp = family::call(ctx, &mut fam, a.api, "posting unseal key", |f| {
        Request::put(f.generate_root("update")).json(&body)
    })?;
    print_status(ctx, &payload(&resp))
}

fn print_status(ctx: &Ctx, s: &Value) -> CliResult {
    if ctx.format != Format::Table || ctx.flags.field.is_some() {
        return ctx.print_data(s);
    }
    let g = |k: &str| s.get(k).map(cell).unwrap_or_default();
    let mut rows = vec![
        vec!["Nonce".to_string(), g("nonce")],
        vec!["Started".into(), g("started")],
        vec![
            "Progress".into(),
            format!("{}/{}", g("progress"), g("required")),
        ],
        vec!["Complete".into(), g("complete")],
    ];
    if !g("encoded_token").is_empty() {
        rows.push(vec!["Encoded Token".into(), g("encoded_token")]);
    } else if !g("encoded_root_token").is_empty() {
        rows.push(vec!["Encoded Root Token".into(), g("encoded_root_token")]);
    }
    if !g("otp").is_empty() {
        rows.push(vec!["OTP".into(), g("otp")]);
    }
    if !g("otp_length").is_empty() && g("otp_length") != "0" {
        rows.push(vec!["OTP Length".into(), g("otp_length")]);
    }
    out(&columns(&rows));
    Ok(())
}

fn decode(ctx: &Ctx, encoded: &str, otp: Option<&str>) -> CliResult {
    let otp = otp
        .filter(|o| !o.is_empty())
        .ok_or_else(|| CliError::Usage("Missing otp: use -otp to supply it".into()))?;
    let encoded = if encoded == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut *ctx.stdin(), &mut s)
            .map_err(|e| CliError::Local(format!("Failed to read from stdin: {e}")))?;
        s.trim().to_string()
    } else {
        encoded.trim().to_string()
    };
    if encoded.is_empty() {
        return Err(CliError::Usage(
            "Missing encoded value: use -decode=<string> to supply it".into(),
        ));
    }
    let token = decode_token(&encoded, otp)
        .map_err(|e| CliError::Local(format!("Error decoding root token: {e}")))?;
    if ctx.format == Format::Table {
        outln(&token);
        return Ok(());
    }
    ctx.print_data(&json!({"token": token}))
}

/// base64(token XOR otp) -> token.
pub fn decode_token(encoded: &str, otp: &str) -> Result<String, String> {
    let raw = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(encoded.trim_end_matches('='))
        .map_err(|e| format!("the encoded token is not base64: {e}"))?;
    if raw.len() != otp.len() {
        return Err(format!(
            "the encoded token is {} bytes long but the OTP {} bytes: check that they belong together",
            raw.len(),
            otp.len()
        ));
    }
    let bytes: Vec<u8> = raw.iter().zip(otp.bytes()).map(|(a, b)| a ^ b).collect();
    String::from_utf8(bytes).map_err(|_| "the decoded token is not text: wrong OTP?".to_string())
}

/// A random base62 string (the alphabet of Vault's OTPs and tokens).
fn random_otp(len: usize) -> CliResult<String> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf)
            .map_err(|e| CliError::Local(format!("no randomness available: {e}")))?;
        // Rejection sampling keeps the distribution uniform (248 = 4 * 62).
        for b in buf.iter().filter(|b| **b < 248) {
            if out.len() == len {
                break;
            }
            out.push(ALPHABET[(*b % 62) as usize] as char);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_round_trip() {
        let token = "s.0tX4GmUWxu1zlrsOTipPH0Iq";
        let otp = "abcdefghijklmnopqrstuvwxyz";
        let xored: Vec<u8> = token.bytes().zip(otp.bytes()).map(|(a, b)| a ^ b).collect();
        let encoded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&xored);
        assert_eq!(decode_token(&encoded, otp).unwrap(), token);
        assert!(decode_token(&encoded, "short").is_err());
        assert!(decode_token("!!!", otp).is_err());
        let otp = random_otp(26).unwrap();
        assert_eq!(otp.len(), 26);
        assert!(otp.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
