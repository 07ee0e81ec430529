//! Environment variables in the three spellings the CLI honours: `ARCA_X` wins over
//! `BAO_X`, which wins over `VAULT_X`. A variable that is set (even to "") wins, as in
//! OpenBao, so `BAO_TOKEN=` deliberately masks a `VAULT_TOKEN`.

/// Prefixes in order of precedence.
pub const PREFIXES: [&str; 3] = ["ARCA_", "BAO_", "VAULT_"];

/// A source of environment variables (the process environment, or a map in tests).
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;

    /// The first of `ARCA_<suffix>`, `BAO_<suffix>`, `VAULT_<suffix>` that is set.
    fn lookup(&self, suffix: &str) -> Option<(String, String)> {
        PREFIXES.iter().find_map(|p| {
            let name = format!("{p}{suffix}");
            self.var(&name).map(|v| (name, v))
        })
    }

    /// Like `lookup`, without the variable's name; "" counts as unset.
    fn get(&self, suffix: &str) -> Option<String> {
        self.lookup(suffix)
            .map(|(_, v)| v)
            .filter(|v| !v.is_empty())
    }
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    }
}

impl Env for std::collections::HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// Parses a boolean the way Go's `strconv.ParseBool` does (Vault's env parsing).
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    type Vars = &'static [(&'static str, &'static str)];

    #[test]
    fn precedence_arca_bao_vault() {
        let cases: &[(Vars, Option<&str>)] = &[
            (&[("VAULT_ADDR", "v")], Some("v")),
            (&[("VAULT_ADDR", "v"), ("BAO_ADDR", "b")], Some("b")),
            (
                &[("VAULT_ADDR", "v"), ("BAO_ADDR", "b"), ("ARCA_ADDR", "a")],
                Some("a"),
            ),
            (&[("VAULT_ADDR", "v"), ("ARCA_ADDR", "a")], Some("a")),
            // Set but empty masks the lower spellings.
            (&[("VAULT_ADDR", "v"), ("BAO_ADDR", "")], None),
            (&[], None),
        ];
        for (vars, want) in cases {
            assert_eq!(Env::get(&env(vars), "ADDR").as_deref(), *want, "{vars:?}");
        }
    }

    #[test]
    fn go_bools() {
        assert_eq!(parse_bool("T"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }
}
