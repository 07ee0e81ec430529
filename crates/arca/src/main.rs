//! The `arca` binary: `arca server` and the client commands (see `cli`).

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
