//! `arca completion bash|zsh|fish`: shell completions generated from the same clap
//! declarations as `--help`.

use clap::{Args, ValueEnum};
use clap_complete::Shell;

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Args, Debug)]
pub struct CompletionArgs {
    /// Shell to generate completions for
    pub shell: CompletionShell,
}

pub fn run(a: CompletionArgs) {
    let shell = match a.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut cmd = super::command();
    clap_complete::generate(shell, &mut cmd, "arca", &mut std::io::stdout());
}
