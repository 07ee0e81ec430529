//! The flags every client command accepts (Vault's HTTP and output flag sets). They are
//! declared once and flattened into each command group as global flags, so they may
//! appear anywhere after the group's name and show in every `--help`.

use clap::{Args, ValueEnum};

#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "HTTP Options")]
pub struct ClientFlags {
    /// Address of the server [env: ARCA_ADDR, BAO_ADDR, VAULT_ADDR; default https://127.0.0.1:8200]
    #[arg(long, global = true, value_name = "URL")]
    pub address: Option<String>,

    /// PEM file of CA certificates to verify the server's certificate [env: VAULT_CACERT]
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_cert: Option<String>,

    /// Directory of PEM CA certificates [env: VAULT_CAPATH]
    #[arg(long, global = true, value_name = "DIR")]
    pub ca_path: Option<String>,

    /// PEM client certificate for TLS authentication [env: VAULT_CLIENT_CERT]
    #[arg(long, global = true, value_name = "FILE")]
    pub client_cert: Option<String>,

    /// PEM private key of the client certificate [env: VAULT_CLIENT_KEY]
    #[arg(long, global = true, value_name = "FILE")]
    pub client_key: Option<String>,

    /// Name to use as SNI and to verify the certificate [env: VAULT_TLS_SERVER_NAME]
    #[arg(long, global = true, value_name = "NAME")]
    pub tls_server_name: Option<String>,

    /// Do not verify the server's certificate (insecure; testing only) [env: VAULT_SKIP_VERIFY]
    #[arg(long, global = true)]
    pub tls_skip_verify: bool,

    /// Namespace of the request [env: VAULT_NAMESPACE]
    #[arg(long, visible_alias = "ns", global = true, value_name = "NS")]
    pub namespace: Option<String>,

    /// Wrap the response in a cubbyhole token with this TTL (e.g. 5m) [env: VAULT_WRAP_TTL]
    #[arg(long, global = true, value_name = "TTL")]
    pub wrap_ttl: Option<String>,

    /// Output format: table, json or yaml [env: VAULT_FORMAT]
    #[arg(
        long,
        global = true,
        value_name = "FORMAT",
        help_heading = "Output Options"
    )]
    pub format: Option<Format>,

    /// Print only this field of the response, raw (no trailing newline when piped)
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        help_heading = "Output Options"
    )]
    pub field: Option<String>,

    /// Never prompt for input (passwords, tokens)
    #[arg(long, global = true)]
    pub non_interactive: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    #[value(alias = "yml")]
    Yaml,
    /// The response body unchanged (`arca read` only)
    Raw,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Format::from_str(s, true).ok()
    }
}
