//! `arca lease lookup | renew | revoke`.

use arca_client::Request;
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};

use super::context::{CliResult, Ctx};
use super::error::CliError;
use super::flags::ClientFlags;

#[derive(Args, Debug)]
pub struct LeaseArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    #[command(subcommand)]
    pub command: LeaseCommand,
}

#[derive(Subcommand, Debug)]
pub enum LeaseCommand {
    /// Show a lease's properties
    Lookup { lease_id: String },
    /// Extend a lease
    Renew {
        /// Requested extension (e.g. 1h)
        #[arg(long, short = 'i', value_parser = super::args::duration_value)]
        increment: Option<String>,
        lease_id: String,
    },
    /// Revoke a lease, or every lease under a prefix
    Revoke {
        /// Treat the argument as a prefix
        #[arg(long)]
        prefix: bool,
        /// With -prefix: drop the leases even when the backend's revocation fails
        #[arg(long)]
        force: bool,
        /// Wait until the revocation is done
        #[arg(long)]
        sync: bool,
        lease_id: String,
    },
}

pub fn run(ctx: &Ctx, cmd: LeaseCommand) -> CliResult {
    ctx.reject_raw()?;
    match cmd {
        LeaseCommand::Lookup { lease_id } => {
            let resp = ctx.call(
                &Request::put("sys/leases/lookup").json(&json!({"lease_id": lease_id.trim()})),
                "looking up lease",
            )?;
            ctx.print_response(&resp)
        }
        LeaseCommand::Renew {
            increment,
            lease_id,
        } => {
            let mut body = Map::new();
            body.insert("lease_id".into(), json!(lease_id.trim()));
            if let Some(i) = increment {
                body.insert("increment".into(), json!(i));
            }
            let resp = ctx.call(
                &Request::put("sys/leases/renew").json(&Value::Object(body)),
                "renewing lease",
            )?;
            ctx.print_response(&resp)
        }
        LeaseCommand::Revoke {
            prefix,
            force,
            sync,
            lease_id,
        } => {
            let id = lease_id.trim().trim_start_matches('/').to_string();
            if force && !prefix {
                return Err(CliError::Usage("-force needs -prefix".into()));
            }
            if force {
                super::output::warn("Warning! Force-removing leases can leave the server out of sync with the secrets engines!");
            }
            let req = if force {
                Request::put(format!("sys/leases/revoke-force/{id}"))
            } else if prefix {
                Request::put(format!("sys/leases/revoke-prefix/{id}")).json(&json!({"sync": sync}))
            } else {
                Request::put("sys/leases/revoke").json(&json!({"lease_id": id, "sync": sync}))
            };
            let doing = if prefix {
                "revoking leases with prefix"
            } else {
                "revoking lease"
            };
            ctx.call(&req, &format!("{doing} {id}"))?;
            let msg = match (force, sync, prefix) {
                (true, ..) => format!("Success! Force revoked any leases with prefix: {id}"),
                (false, true, true) => format!("Success! Revoked any leases with prefix: {id}"),
                (false, true, false) => format!("Success! Revoked lease: {id}"),
                (false, false, _) => "All revocation operations queued successfully!".to_string(),
            };
            ctx.success(&msg);
            Ok(())
        }
    }
}
