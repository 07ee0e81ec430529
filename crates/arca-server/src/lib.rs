//! Arca's server: configuration, listeners (plain and TLS), process hardening, dev mode, and
//! the HTTP layer in front of the core.

pub mod config;
pub mod http;
mod listener;
mod process;

use std::path::PathBuf;
use std::sync::Arc;

use arca_core::physical::{EmbeddedBackend, InmemBackend, Physical};
use arca_core::{Core, CoreConfig};
use base64::Engine;

pub use config::{ListenerConfig, ServerConfig, StorageConfig, StorageKind};

/// Options of `arca server -dev`.
#[derive(Debug, Clone, Default)]
pub struct DevOptions {
    pub root_token_id: Option<String>,
    pub listen_address: String,
    /// Mount `secret/` as KV version 1 instead of 2.
    pub kv_v1: bool,
    /// Do not write the root token to the token helper file.
    pub no_store_token: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Startup(String),
}

/// The embedded store's page cache; kept small so memory stays predictable: with 64 MiB the
/// server held 133 MiB after 50k AppRole logins, with 16 MiB (and the bounded token cache)
/// 47 MiB, with no measured loss in read or write throughput (bench/RESULTS.md).
const EMBEDDED_CACHE_BYTES: usize = 16 * 1024 * 1024;

fn open_physical(cfg: &ServerConfig) -> Result<(Arc<dyn Physical>, String), ServerError> {
    match &cfg.storage {
        None => Err(ServerError::Startup(
            "no storage stanza in the configuration: add storage \"raft\" or storage \"file\""
                .into(),
        )),
        Some(StorageConfig {
            kind: StorageKind::Inmem,
            ..
        }) => Ok((Arc::new(InmemBackend::new()), "inmem".into())),
        Some(StorageConfig {
            kind: StorageKind::Embedded { path, .. },
            stanza,
        }) => {
            let backend = EmbeddedBackend::open(path, EMBEDDED_CACHE_BYTES).map_err(|e| {
                ServerError::Startup(format!("error initializing storage of type {stanza}: {e}"))
            })?;
            Ok((Arc::new(backend), stanza.clone()))
        }
    }
}

fn core_config(cfg: &ServerConfig, storage_type: String, dev: bool) -> CoreConfig {
    CoreConfig {
        default_lease_ttl: cfg.default_lease_ttl,
        max_lease_ttl: cfg.max_lease_ttl,
        dev,
        storage_type,
        cluster_name: cfg.cluster_name.clone(),
        api_addr: cfg.api_addr.clone(),
        cluster_addr: cfg.cluster_addr.clone(),
        unsafe_allow_api_audit_creation: cfg.unsafe_allow_api_audit_creation,
        allow_audit_log_prefixing: cfg.allow_audit_log_prefixing,
        config_audit_devices: cfg.audit_devices.clone(),
    }
}

/// Runs the server until SIGINT/SIGTERM.
pub async fn run(mut cfg: ServerConfig, dev: Option<DevOptions>) -> Result<(), ServerError> {
    if let Some(d) = &dev {
        cfg.storage.get_or_insert(StorageConfig {
            stanza: "inmem".into(),
            kind: StorageKind::Inmem,
        });
        if cfg.listeners.is_empty() {
            cfg.listeners.push(ListenerConfig {
                address: d.listen_address.clone(),
                tls_disable: true,
                tls_cert_file: None,
                tls_key_file: None,
                tls_min_version: "tls12".into(),
                max_request_size: None,
            });
        }
        // Dev mode never locks memory, as Vault's.
        cfg.disable_mlock = true;
    }
    for w in &cfg.warnings {
        tracing::warn!("{w}");
    }
    process::harden(cfg.disable_mlock).map_err(ServerError::Startup)?;
    if cfg.listeners.is_empty() {
        return Err(ServerError::Startup(
            "no listener stanza in the configuration: add listener \"tcp\" { ... }".into(),
        ));
    }
    let (physical, storage_type) = open_physical(&cfg)?;
    let core = Core::new(
        physical,
        core_config(&cfg, storage_type.clone(), dev.is_some()),
        arca_builtin::backends(),
    );

    let mut servers = Vec::new();
    for l in &cfg.listeners {
        let max = l.max_request_size.unwrap_or(cfg.max_request_size);
        let bound = listener::bind(l, core.clone(), if max == 0 { usize::MAX } else { max })
            .await
            .map_err(ServerError::Startup)?;
        servers.push(bound);
    }
    if let Some(path) = &cfg.pid_file {
        std::fs::write(path, std::process::id().to_string()).map_err(|e| {
            ServerError::Startup(format!("writing pid file {}: {e}", path.display()))
        })?;
    }

    if let Some(d) = &dev {
        dev_setup(&core, d, &cfg).await?;
    } else {
        let addrs: Vec<_> = cfg.listeners.iter().map(|l| l.address.clone()).collect();
        eprintln!("==> Arca server configuration:\n");
        let store = if storage_type == "inmem" {
            "in memory, lost at exit"
        } else {
            "embedded, crash-safe"
        };
        eprintln!("             Storage: {storage_type} ({store})");
        eprintln!("            Listener: {}", addrs.join(", "));
        eprintln!(
            "               Mlock: supported: true, enabled: {}",
            !cfg.disable_mlock
        );
        eprintln!(
            "             Version: Arca {} (API of OpenBao {})",
            env!("CARGO_PKG_VERSION"),
            arca_core::core::VERSION
        );
        eprintln!("\n==> Arca server started! Log data will stream in below:\n");
    }
    tracing::info!("core: server started");
    wait_for_signals(&core).await;
    tracing::info!("core: shutting down");
    let _ = core.seal().await;
    for s in servers {
        s.abort();
    }
    Ok(())
}

async fn wait_for_signals(core: &Arc<Core>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) else {
        // Without signal handlers, run until the process is killed.
        std::future::pending::<()>().await;
        return;
    };
    loop {
        tokio::select! {
            _ = term.recv() => return,
            _ = int.recv() => return,
            _ = hup.recv() => {
                tracing::info!("core: SIGHUP received, reopening audit files");
                if let Ok(active) = core.active() {
                    // Opening files can block (a stalled mount): never on a runtime thread.
                    let reopened = tokio::task::spawn_blocking(move || active.audit.reopen());
                    if let Err(e) = reopened.await {
                        tracing::error!(error = %e, "audit: reopen task failed");
                    }
                }
            }
        }
    }
}

async fn dev_setup(
    core: &Arc<Core>,
    d: &DevOptions,
    cfg: &ServerConfig,
) -> Result<(), ServerError> {
    let err = |e: arca_sdk::Error| ServerError::Startup(format!("dev mode setup failed: {e}"));
    let init = core.initialize(1, 1).await.map_err(err)?;
    let unseal_key = init.shares[0].clone();
    core.unseal_with_key(&unseal_key).await.map_err(err)?;
    let root_token = match &d.root_token_id {
        Some(id) if !id.is_empty() => {
            let token = core.create_root_token(Some(id)).await.map_err(err)?;
            // Only the requested token remains valid, as Vault's dev mode does.
            let active = core.active().map_err(err)?;
            if let Some(entry) = active.tokens.lookup(&init.root_token).await.map_err(err)? {
                core.revoke_token_tree(&entry.hash).await.map_err(err)?;
            }
            token
        }
        _ => init.root_token.clone(),
    };
    if core.backend_type("kv").is_some() {
        let mut entry = Core::new_entry(arca_core::mounts::MountTable::Secrets, "secret/", "kv");
        entry.description = "key/value secret storage".into();
        entry.options.insert(
            "version".into(),
            if d.kv_v1 { "1".into() } else { "2".into() },
        );
        core.mount(entry).await.map_err(err)?;
    }
    if !d.no_store_token {
        if let Some(home) = std::env::var_os("HOME") {
            let path = PathBuf::from(home).join(".vault-token");
            if let Err(e) = write_private(&path, &root_token) {
                tracing::warn!(error = %e, "could not write the root token to ~/.vault-token");
            }
        }
    }
    let addr = &cfg.listeners[0].address;
    let key_b64 = base64::engine::general_purpose::STANDARD.encode(&unseal_key[..]);
    println!(
        "==> Arca server configuration:\n\n             Storage: inmem\n            Listener: {addr} (tls: disabled)\n             Version: Arca {} (API of OpenBao {})\n\n==> Arca server started! Log data will stream in below:\n",
        env!("CARGO_PKG_VERSION"),
        arca_core::core::VERSION
    );
    println!(
        "WARNING! dev mode is enabled! In this mode, Arca runs entirely in-memory\nand starts unsealed with a single unseal key. The root token is already\nauthenticated to the CLI, so you can immediately begin using Arca.\n\nYou may need to set the following environment variables:\n\n    $ export VAULT_ADDR='http://{addr}'\n\nThe unseal key and root token are displayed below in case you want to\nseal/unseal the Vault or re-authenticate.\n\nUnseal Key: {key_b64}\nRoot Token: {root_token}\n\nDevelopment mode should NOT be used in production installations!\n"
    );
    Ok(())
}

fn write_private(path: &std::path::Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(content.as_bytes())
}
