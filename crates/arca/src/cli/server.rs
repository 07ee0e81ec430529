//! `arca server`: starts the server from a config file, or in dev mode.

use std::path::PathBuf;
use std::process::ExitCode;

use arca_server::{DevOptions, ServerConfig};
use clap::Args;

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

fn init_logging(level: &str) {
    let level = match level {
        "warning" => "warn",
        "err" => "error",
        other => other,
    };
    let filter = tracing_subscriber::EnvFilter::try_new(format!("{level},h2=warn,hyper=warn"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

pub fn run(s: ServerArgs) -> ExitCode {
    let mut cfg = match &s.config {
        Some(path) => match ServerConfig::load(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("Error loading configuration from {}: {e}", path.display());
                return ExitCode::from(1);
            }
        },
        None if s.dev => ServerConfig::default(),
        None => {
            eprintln!("Must specify at least one config path using -config");
            return ExitCode::from(1);
        }
    };
    if let Some(level) = &s.log_level {
        cfg.log_level = level.clone();
    }
    init_logging(&cfg.log_level);
    let dev = s.dev.then(|| DevOptions {
        root_token_id: s.dev_root_token_id.clone(),
        listen_address: s.dev_listen_address.clone(),
        kv_v1: s.dev_kv_v1,
        no_store_token: s.dev_no_store_token,
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error starting the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(arca_server::run(cfg, dev)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::from(1)
        }
    }
}
