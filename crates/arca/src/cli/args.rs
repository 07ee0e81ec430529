//! Vault's command-line conventions on top of clap: Go-style single-dash long flags
//! (`-dev-root-token-id=X`) are rewritten to clap's `--` form, and boolean flags accept
//! Go's `-flag=true|false` as well as the bare `-flag`.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{ArgAction, Command};

/// Rewrites `-flag` / `-flag=value` (Go style) into `--flag` / `--flag=value`. Single
/// letters (`-f`, `-h`), `-` (stdin) and everything after `--` are left alone.
pub fn normalize(argv: Vec<String>) -> Vec<String> {
    let mut after_separator = false;
    argv.into_iter()
        .enumerate()
        .map(|(i, a)| {
            if a == "--" {
                after_separator = true;
                return a;
            }
            let single = a.starts_with('-') && !a.starts_with("--") && a.len() > 2;
            let letter_flag = single && a.as_bytes()[1].is_ascii_alphabetic();
            // `-f=true`-style short bool with a value stays short.
            let short_with_value = single && a.as_bytes()[2] == b'=';
            if i > 0 && !after_separator && letter_flag && !short_with_value {
                format!("-{a}")
            } else {
                a
            }
        })
        .collect()
}

/// Makes every boolean flag of the tree accept Go's forms: `-flag`, `-flag=true`,
/// `-flag=false`, `-flag=1`, `-flag=0`, `-flag=t`, `-flag=F`...
pub fn go_style_bools(cmd: Command) -> Command {
    cmd.mut_args(|arg| {
        if matches!(arg.get_action(), ArgAction::SetTrue) {
            arg.action(ArgAction::Set)
                .num_args(0..=1)
                .require_equals(true)
                .default_missing_value("true")
                .default_value("false")
                .hide_default_value(true)
                .hide_possible_values(true)
                .value_parser(go_bool_parser())
        } else {
            arg
        }
    })
    .mut_subcommands(go_style_bools)
}

/// A Go-style boolean value, for flags declared `Option<bool>` (set or not set).
pub fn bool_value(s: &str) -> Result<bool, String> {
    arca_client::env::parse_bool(s).ok_or_else(|| format!("{s:?} is not a boolean (true or false)"))
}

/// A duration flag (`30m`, `1h`, `3600`), checked locally as bao does: a typo is a usage error
/// (exit 1) before anything is sent. The text goes to the server as given.
pub fn duration_value(s: &str) -> Result<String, String> {
    arca_sdk::duration::parse_duration(s)
        .map(|_| s.to_string())
        .map_err(|e| format!("{s:?} is not a duration (e.g. 30m, 1h): {e}"))
}

fn go_bool_parser() -> impl TypedValueParser<Value = bool> {
    PossibleValuesParser::new([
        "1", "t", "T", "true", "TRUE", "True", "0", "f", "F", "false", "FALSE", "False",
    ])
    .map(|s| arca_client::env::parse_bool(&s).unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn go_style_flags() {
        let out = normalize(argv(&[
            "arca",
            "server",
            "-dev",
            "-dev-root-token-id=root",
            "-dev-listen-address",
            "127.0.0.1:1",
            "-h",
            "-",
            "-f=true",
            "--",
            "-literal",
        ]));
        assert_eq!(
            out,
            argv(&[
                "arca",
                "server",
                "--dev",
                "--dev-root-token-id=root",
                "--dev-listen-address",
                "127.0.0.1:1",
                "-h",
                "-",
                "-f=true",
                "--",
                "-literal",
            ])
        );
    }

    #[test]
    fn bools_take_go_values() {
        let cmd = go_style_bools(
            Command::new("t")
                .arg(
                    clap::Arg::new("force")
                        .long("force")
                        .short('f')
                        .action(ArgAction::SetTrue),
                )
                .arg(clap::Arg::new("path")),
        );
        let cases: &[(&[&str], bool, Option<&str>)] = &[
            (&["t"], false, None),
            (&["t", "--force"], true, None),
            (&["t", "--force=false"], false, None),
            (&["t", "--force=T", "p"], true, Some("p")),
            (&["t", "--force", "p"], true, Some("p")),
            (&["t", "-f", "p"], true, Some("p")),
        ];
        for (args, force, path) in cases {
            let m = cmd.clone().try_get_matches_from(*args).unwrap();
            assert_eq!(m.get_one::<bool>("force"), Some(force), "{args:?}");
            assert_eq!(
                m.get_one::<String>("path").map(String::as_str),
                *path,
                "{args:?}"
            );
        }
        assert!(cmd.try_get_matches_from(["t", "--force=maybe"]).is_err());
    }
}
