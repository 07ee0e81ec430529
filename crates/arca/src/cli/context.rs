//! What every client command works with: the resolved flags and environment, the output
//! format, the API client (built on first use, with the token from the flags, the
//! environment or the token helper file) and the conversion of failures into `CliError`s.

use std::cell::OnceCell;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use arca_client::env::{Env, ProcessEnv};
use arca_client::{BlockingClient, Config, Request, Response};

use super::error::{hint, CliError, HintContext};
use super::flags::{ClientFlags, Format};

pub type CliResult<T = ()> = Result<T, CliError>;

pub struct Ctx {
    pub flags: ClientFlags,
    pub format: Format,
    client: OnceCell<BlockingClient>,
}

impl Ctx {
    pub fn new(flags: ClientFlags) -> CliResult<Ctx> {
        let format = match flags.format {
            Some(f) => f,
            None => match ProcessEnv.lookup("FORMAT").filter(|(_, v)| !v.is_empty()) {
                Some((name, v)) => Format::parse(&v).ok_or_else(|| {
                    CliError::Usage(format!(
                        "Invalid output format in {name}: {v:?} (expected table, json or yaml)"
                    ))
                })?,
                None => Format::Table,
            },
        };
        Ok(Ctx {
            flags,
            format,
            client: OnceCell::new(),
        })
    }

    /// Commands that print an API response accept `-format=raw` only for `read`.
    pub fn reject_raw(&self) -> CliResult {
        if self.format == Format::Raw {
            return Err(CliError::Usage(
                "This command does not support the -format=raw option; only `arca read` does."
                    .into(),
            ));
        }
        Ok(())
    }

    pub fn config(&self) -> CliResult<Config> {
        let mut c = Config::from_env(&ProcessEnv).map_err(|e| CliError::Usage(e.to_string()))?;
        let f = &self.flags;
        if let Some(a) = &f.address {
            c.address = a.clone();
            c.address_source = "-address".into();
        }
        if let Some(v) = &f.ca_cert {
            c.tls.ca_cert = Some(v.into());
        }
        if let Some(v) = &f.ca_path {
            c.tls.ca_path = Some(v.into());
        }
        if let Some(v) = &f.client_cert {
            c.tls.client_cert = Some(v.into());
        }
        if let Some(v) = &f.client_key {
            c.tls.client_key = Some(v.into());
        }
        if let Some(v) = &f.tls_server_name {
            c.tls.server_name = Some(v.clone());
        }
        if f.tls_skip_verify {
            c.tls.skip_verify = true;
        }
        if let Some(ns) = &f.namespace {
            c.namespace = Some(ns.trim_matches('/').to_string()).filter(|n| !n.is_empty());
        }
        if let Some(ttl) = &f.wrap_ttl {
            c.wrap_ttl = Some(ttl.clone());
        }
        if c.token.is_none() {
            c.token = read_token_helper()?;
        }
        Ok(c)
    }

    pub fn client(&self) -> CliResult<&BlockingClient> {
        if let Some(c) = self.client.get() {
            return Ok(c);
        }
        let config = self.config()?;
        let client = BlockingClient::new(config)
            .map_err(|e| self.client_error("creating the client", None, e))?;
        Ok(self.client.get_or_init(|| client))
    }

    /// A client failure as a CLI error with a hint.
    pub fn client_error(
        &self,
        doing: &str,
        path: Option<&str>,
        err: arca_client::Error,
    ) -> CliError {
        let (address, source, had_token) = match self.client.get() {
            Some(c) => (
                c.inner().config().address.clone(),
                c.inner().config().address_source.clone(),
                c.inner().token().is_some(),
            ),
            None => match self.config() {
                Ok(c) => (c.address, c.address_source, c.token.is_some()),
                Err(_) => (String::new(), "default".into(), false),
            },
        };
        let hint = hint(
            &err,
            &HintContext {
                address: &address,
                address_source: &source,
                had_token,
                path,
            },
        );
        CliError::Server {
            message: format!("Error {doing}: {err}"),
            hint,
        }
    }

    /// Sends a request; statuses of 400 and above become errors ("Error <doing>: ...").
    pub fn call(&self, req: &Request, doing: &str) -> CliResult<Response> {
        let resp = self.send(req, doing)?;
        if resp.status >= 400 {
            return Err(self.client_error(doing, Some(&req.path), resp.to_error()));
        }
        Ok(resp)
    }

    /// Sends a request; any status is returned.
    pub fn send(&self, req: &Request, doing: &str) -> CliResult<Response> {
        self.client()?
            .send(req)
            .map_err(|e| self.client_error(doing, Some(&req.path), e))
    }

    /// A read as Vault's `Logical().Read`: a 404 is "nothing here" unless its body still
    /// carries data or warnings (KV v2 answers deleted versions that way).
    pub fn read(&self, req: &Request, doing: &str) -> CliResult<Option<Response>> {
        let resp = self.send(req, doing)?;
        if resp.status == 404 {
            let meaningful = resp.secret().ok().flatten().is_some_and(|s| {
                s.data.as_ref().is_some_and(|d| !d.is_empty())
                    || s.warnings.as_ref().is_some_and(|w| !w.is_empty())
            });
            return Ok(meaningful.then_some(resp));
        }
        if resp.status >= 400 {
            return Err(self.client_error(doing, Some(&req.path), resp.to_error()));
        }
        Ok(Some(resp))
    }

    /// Standard input, or nothing with `-non-interactive`.
    pub fn stdin(&self) -> Box<dyn Read> {
        if self.flags.non_interactive {
            Box::new(std::io::empty())
        } else {
            Box::new(std::io::stdin())
        }
    }

    /// Reads a secret from the terminal without echo, or a line from piped stdin.
    pub fn prompt_secret(&self, label: &str) -> CliResult<String> {
        if self.flags.non_interactive {
            return Err(CliError::Usage(format!(
                "{label} not supplied and -non-interactive forbids prompting for it"
            )));
        }
        super::prompt::secret(label)
            .map_err(|e| CliError::Local(format!("cannot read {label}: {e}")))
    }
}

/// The token helper file: `ARCA_TOKEN_PATH`/`BAO_TOKEN_PATH`/`VAULT_TOKEN_PATH`, or
/// `~/.vault-token` (shared with `vault` and `bao`).
pub fn token_helper_path() -> CliResult<PathBuf> {
    if let Some(p) = ProcessEnv.get("TOKEN_PATH") {
        return Ok(PathBuf::from(p));
    }
    // HOME, else the user database's home directory (as Go's go-homedir, so services run
    // without HOME still find the same file as bao and vault).
    let home = std::env::home_dir()
        .filter(|h| !h.as_os_str().is_empty())
        .ok_or_else(|| {
            CliError::Local(
                "cannot find the token helper file: HOME is not set and the user has no home directory".into(),
            )
        })?;
    Ok(home.join(".vault-token"))
}

pub fn read_token_helper() -> CliResult<Option<String>> {
    let path = token_helper_path()?;
    match std::fs::read_to_string(&path) {
        Ok(s) => Ok(Some(s.trim().to_string()).filter(|t| !t.is_empty())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::Local(format!(
            "cannot read the token helper file {}: {e}",
            path.display()
        ))),
    }
}

/// Stores the token with mode 0600, through a temporary file renamed into place so a
/// failure never leaves a half-written token.
pub fn store_token_helper(token: &str) -> CliResult<PathBuf> {
    let path = token_helper_path()?;
    let tmp = path.with_extension("tmp");
    let err = |e: std::io::Error| {
        CliError::Local(format!("cannot store the token in {}: {e}", path.display()))
    };
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp).map_err(err)?;
        f.write_all(token.as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
    }
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })?;
    Ok(path)
}

pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}
