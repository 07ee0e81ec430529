//! The `arca` command line: the server command and the client commands an operator of
//! Vault or OpenBao knows, declared once with clap (help, parsing and completions), in
//! Vault's conventions (`-flag=value`, exit codes 0/1/2, `VAULT_*` environment).

mod args;
mod audit;
mod auth;
mod completion;
mod context;
mod error;
mod flags;
mod generic;
mod kv;
mod kvargs;
mod lease;
mod login;
mod misc;
mod mounts;
mod operator;
mod output;
mod policy;
mod policy_fmt;
mod prompt;
mod secrets;
mod server;
mod status;
mod table;
mod token;
mod yaml;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use context::{CliResult, Ctx};
use error::CliError;
use flags::ClientFlags;

#[derive(Parser, Debug)]
#[command(
    name = "arca",
    about = "Arca: a Vault/OpenBao-compatible secrets manager",
    long_about = "Arca: a Vault/OpenBao-compatible secrets manager.\n\n\
        Flags are written as in Vault (-flag=value; --flag works too). The server address\n\
        and token come from -address and VAULT_ADDR / VAULT_TOKEN (BAO_* and ARCA_* too;\n\
        ARCA_ wins over BAO_ over VAULT_), else from the token helper file ~/.vault-token.\n\
        Exit codes: 0 success, 1 usage or local error, 2 server error.",
    disable_version_flag = true,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Read data from a path
    Read(generic::ReadArgs),
    /// Write data to a path
    Write(generic::WriteArgs),
    /// List the keys under a path
    List(generic::ListArgs),
    /// Delete data at a path
    Delete(generic::DeleteArgs),
    /// Update data at a path with a JSON merge patch
    Patch(generic::WriteArgs),
    /// Authenticate and store the token
    Login(login::LoginArgs),
    /// Show the server's seal and HA status (exit 2 when sealed)
    Status(status::StatusArgs),
    /// Unwrap a response-wrapping token
    Unwrap(misc::UnwrapArgs),
    /// KV secrets (v1 and v2)
    Kv(kv::KvArgs),
    /// Tokens
    Token(token::TokenArgs),
    /// ACL policies
    Policy(policy::PolicyArgs),
    /// Secrets engines
    Secrets(secrets::SecretsArgs),
    /// Auth methods
    Auth(auth::AuthArgs),
    /// Audit devices
    Audit(audit::AuditArgs),
    /// Leases
    Lease(lease::LeaseArgs),
    /// Server operations: init, unseal, seal, rekey, generate-root, key rotation
    Operator(operator::OperatorArgs),
    /// Help text of an API path
    PathHelp(misc::PathHelpArgs),
    /// Print local values (the token in use)
    Print(misc::PrintArgs),
    /// Shell completions for bash, zsh or fish
    Completion(completion::CompletionArgs),
    /// Start an Arca server
    Server(server::ServerArgs),
    /// Print the Arca version
    Version,
}

/// The clap command tree with Vault's Go-style boolean flags.
pub fn command() -> clap::Command {
    args::go_style_bools(Cli::command())
}

pub fn main() -> ExitCode {
    let argv = args::normalize(std::env::args().collect());
    // No command, or one that does not exist: 127, as Vault's and bao's CLIs exit.
    let no_such_command = argv
        .get(1)
        .is_none_or(|a| !a.starts_with('-') && command().find_subcommand(a).is_none());
    let cli = match command()
        .try_get_matches_from(argv)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            let code = match (e.use_stderr(), no_such_command) {
                (false, _) => 0,
                (true, true) => 127,
                (true, false) => 1,
            };
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Server(s) => server::run(s),
        Command::Version => {
            println!(
                "Arca v{} (OpenBao {} API)",
                env!("CARGO_PKG_VERSION"),
                arca_core::core::VERSION
            );
            ExitCode::SUCCESS
        }
        Command::Completion(a) => {
            completion::run(a);
            ExitCode::SUCCESS
        }
        client => finish(run_client(client)),
    }
}

fn finish(result: CliResult<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            output::warn(&e.render());
            ExitCode::from(e.exit_code())
        }
    }
}

fn with<T>(flags: ClientFlags, f: impl FnOnce(&Ctx) -> CliResult<T>) -> CliResult<T> {
    let ctx = Ctx::new(flags)?;
    f(&ctx)
}

fn ok(r: CliResult) -> CliResult<u8> {
    r.map(|()| 0)
}

fn run_client(cmd: Command) -> CliResult<u8> {
    match cmd {
        Command::Read(a) => ok(with(a.flags.clone(), |c| generic::read(c, a))),
        Command::Write(a) => ok(with(a.flags.clone(), |c| generic::write(c, a))),
        Command::List(a) => ok(with(a.flags.clone(), |c| generic::list(c, a))),
        Command::Delete(a) => ok(with(a.flags.clone(), |c| generic::delete(c, a))),
        Command::Patch(a) => ok(with(a.flags.clone(), |c| generic::patch(c, a))),
        Command::Login(a) => ok(with(a.flags.clone(), |c| login::run(c, a))),
        Command::Status(a) => with(a.flags, |c| {
            status::run(c).map(|sealed| if sealed { 2 } else { 0 })
        }),
        Command::Unwrap(a) => ok(with(a.flags.clone(), |c| misc::unwrap(c, a))),
        Command::Kv(a) => ok(with(a.flags, |c| kv::run(c, a.command))),
        Command::Token(a) => ok(with(a.flags, |c| token::run(c, a.command))),
        Command::Policy(a) => ok(with(a.flags, |c| policy::run(c, a.command))),
        Command::Secrets(a) => ok(with(a.flags, |c| secrets::run(c, a.command))),
        Command::Auth(a) => ok(with(a.flags, |c| auth::run(c, a.command))),
        Command::Audit(a) => ok(with(a.flags, |c| audit::run(c, a.command))),
        Command::Lease(a) => ok(with(a.flags, |c| lease::run(c, a.command))),
        Command::Operator(a) => with(a.flags, |c| operator::run(c, a.command)),
        Command::PathHelp(a) => ok(with(a.flags.clone(), |c| misc::path_help(c, a))),
        Command::Print(a) => ok(with(a.flags.clone(), |c| misc::print(c, a))),
        Command::Server(_) | Command::Version | Command::Completion(_) => {
            Err(CliError::Usage("not a client command".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn declarations_are_consistent() {
        super::command().debug_assert();
    }
}
