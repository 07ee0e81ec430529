//! Two API families serve unseal-key rotation and root generation, and Arca serves both:
//! OpenBao's authenticated `sys/rotate/root/*` and `sys/generate-root-token/*`, and
//! Vault's unauthenticated `sys/rekey/*` and `sys/generate-root/*`.
//!
//! With `-api=auto` (the default) the CLI uses OpenBao's endpoints when it has a token and
//! Vault's when it has none (the case of a lost root token), and falls back to the other
//! family when the server does not have the endpoint (404 or 405), so the same command
//! works against Arca, OpenBao and Vault.

use arca_client::{Request, Response};
use clap::ValueEnum;
use serde_json::Value;

use crate::cli::context::{CliResult, Ctx};

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ApiChoice {
    /// OpenBao's endpoints with a token, Vault's without; fall back when missing
    #[default]
    Auto,
    /// sys/rotate/root/* and sys/generate-root-token/* (authenticated)
    Openbao,
    /// sys/rekey/* and sys/generate-root/* (unauthenticated)
    Vault,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    OpenBao,
    Vault,
}

impl Family {
    pub fn choose(ctx: &Ctx, choice: ApiChoice) -> CliResult<Family> {
        Ok(match choice {
            ApiChoice::Openbao => Family::OpenBao,
            ApiChoice::Vault => Family::Vault,
            ApiChoice::Auto => {
                if ctx.client()?.inner().token().is_some() {
                    Family::OpenBao
                } else {
                    Family::Vault
                }
            }
        })
    }

    fn other(self) -> Family {
        match self {
            Family::OpenBao => Family::Vault,
            Family::Vault => Family::OpenBao,
        }
    }

    /// `init`, `update`, `verify` of unseal-key rotation.
    pub fn rekey(self, leaf: &str) -> String {
        match self {
            Family::OpenBao => format!("sys/rotate/root/{leaf}"),
            Family::Vault => format!("sys/rekey/{leaf}"),
        }
    }

    /// `attempt`, `update` of root generation.
    pub fn generate_root(self, leaf: &str) -> String {
        match self {
            Family::OpenBao => format!("sys/generate-root-token/{leaf}"),
            Family::Vault => format!("sys/generate-root/{leaf}"),
        }
    }
}

/// Sends the family's request; with `auto`, a 404/405 (endpoint unknown to this server)
/// retries once with the other family. Errors carry `doing` and a hint.
pub fn call(
    ctx: &Ctx,
    family: &mut Family,
    choice: ApiChoice,
    doing: &str,
    make: impl Fn(Family) -> Request,
) -> CliResult<Response> {
    let req = make(*family);
    let mut resp = ctx.send(&req, doing)?;
    let mut path = req.path;
    if choice == ApiChoice::Auto && matches!(resp.status, 404 | 405) {
        let other = family.other();
        let retry = make(other);
        let second = ctx.send(&retry, doing)?;
        if !matches!(second.status, 404 | 405) {
            *family = other;
            resp = second;
            path = retry.path;
        }
    }
    if resp.status >= 400 {
        return Err(ctx.client_error(doing, Some(&path), resp.to_error()));
    }
    Ok(resp)
}

/// The status object of either family: OpenBao's endpoints wrap it in the envelope's
/// `data`, Vault's answer it bare.
pub fn payload(resp: &Response) -> Value {
    let v = resp.value().unwrap_or(Value::Null);
    match v.get("data") {
        Some(d) if d.is_object() && v.get("request_id").is_some() => d.clone(),
        _ => v,
    }
}
