//! Command-line declarations. Vault's CLI uses Go-style single-dash long flags
//! (`-dev-root-token-id=X`); `normalize` rewrites them to clap's `--` form first.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "arca",
    about = "Arca: a Vault/OpenBao-compatible secrets manager",
    disable_version_flag = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start an Arca server
    Server(ServerArgs),
    /// Print the Arca version
    Version,
}

#[derive(Args, Debug)]
pub struct ServerArgs {
    /// Path to a configuration file or directory of configuration files
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Enable development mode: in-memory, unsealed, with a root token
    #[arg(long)]
    pub dev: bool,
    /// Root token to use in dev mode
    #[arg(long, env = "VAULT_DEV_ROOT_TOKEN_ID")]
    pub dev_root_token_id: Option<String>,
    /// Address to bind to in dev mode
    #[arg(
        long,
        env = "VAULT_DEV_LISTEN_ADDRESS",
        default_value = "127.0.0.1:8200"
    )]
    pub dev_listen_address: String,
    /// Mount secret/ as KV version 1 in dev mode
    #[arg(long)]
    pub dev_kv_v1: bool,
    /// Do not write the dev root token to ~/.vault-token
    #[arg(long)]
    pub dev_no_store_token: bool,
    /// Log verbosity: trace, debug, info, warn, error
    #[arg(long, env = "VAULT_LOG_LEVEL")]
    pub log_level: Option<String>,
}

pub fn parse(argv: Vec<String>) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(argv)
}

/// Rewrites `-flag` / `-flag=value` (Go style) into `--flag` / `--flag=value`.
pub fn normalize(argv: Vec<String>) -> Vec<String> {
    argv.into_iter()
        .enumerate()
        .map(|(i, a)| {
            let single = a.starts_with('-') && !a.starts_with("--") && a.len() > 2;
            if i > 0 && single && a.as_bytes()[1].is_ascii_alphabetic() {
                format!("-{a}")
            } else {
                a
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_style_flags() {
        let argv = normalize(
            [
                "arca",
                "server",
                "-dev",
                "-dev-root-token-id=root",
                "-dev-listen-address",
                "127.0.0.1:1",
                "-h",
            ]
            .map(String::from)
            .to_vec(),
        );
        assert_eq!(argv[2], "--dev");
        assert_eq!(argv[3], "--dev-root-token-id=root");
        assert_eq!(argv[6], "-h");
    }
}
