//! The `arca` binary: `arca server` and the client commands.

mod args;

use std::process::ExitCode;

use arca_server::{DevOptions, ServerConfig};

fn main() -> ExitCode {
    let argv = args::normalize(std::env::args().collect());
    let cli = match args::parse(argv) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    match cli.command {
        args::Command::Server(s) => run_server(s),
        args::Command::Version => {
            println!(
                "Arca v{} (OpenBao {} API)",
                env!("CARGO_PKG_VERSION"),
                arca_core::core::VERSION
            );
            ExitCode::SUCCESS
        }
    }
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

fn run_server(s: args::ServerArgs) -> ExitCode {
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
