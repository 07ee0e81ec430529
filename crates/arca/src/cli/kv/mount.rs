//! Where a KV path lives: the mount and its version, found (as `bao` does) with a
//! preflight `GET sys/internal/ui/mounts/<path>`, and the API paths built from them.

use arca_client::Request;
use serde_json::Value;

use crate::cli::context::{CliResult, Ctx};
use crate::cli::error::CliError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvPath {
    /// The mount with a trailing slash ("secret/"); empty when the server could not say.
    pub mount: String,
    pub v2: bool,
    /// The secret's path including the mount ("secret/app/db").
    pub path: String,
}

impl KvPath {
    /// `secret/app` -> `secret/data/app` for v2 (prefix "data", "metadata", ...); the
    /// path unchanged for v1.
    pub fn api(&self, prefix: &str) -> String {
        if !self.v2 {
            return self.path.clone();
        }
        join_prefixed(&self.path, &self.mount, prefix)
    }
}

/// Vault's `addPrefixToKVPath`.
pub fn join_prefixed(path: &str, mount: &str, prefix: &str) -> String {
    let mount_trim = mount.trim_end_matches('/');
    if path == mount || path == mount_trim {
        return format!("{mount_trim}/{prefix}");
    }
    // Like Go's path.Join: no empty segments, no trailing slash.
    let suffix = path.strip_prefix(mount).unwrap_or(path).trim_matches('/');
    [mount_trim, prefix, suffix]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/")
}

/// Resolves the path argument, with `-mount` when given (`-mount=secret app`).
pub fn resolve(ctx: &Ctx, arg: &str, mount_flag: Option<&str>) -> CliResult<KvPath> {
    let arg = arg.trim_start_matches('/');
    match mount_flag
        .map(|m| m.trim_matches('/'))
        .filter(|m| !m.is_empty())
    {
        Some(m) => {
            let (mount, v2) = preflight(ctx, m)?;
            let mount = if mount.is_empty() {
                format!("{m}/")
            } else {
                mount
            };
            let path = format!("{}{}", mount, arg);
            Ok(KvPath { mount, v2, path })
        }
        None => {
            if arg.is_empty() {
                return Err(CliError::Usage("a path is required".into()));
            }
            let (mount, v2) = preflight(ctx, arg)?;
            Ok(KvPath {
                mount,
                v2,
                path: arg.to_string(),
            })
        }
    }
}

/// (mount path, is v2) of a path; a server without the endpoint means KV v1.
fn preflight(ctx: &Ctx, path: &str) -> CliResult<(String, bool)> {
    let req = Request::get(format!("sys/internal/ui/mounts/{path}")).wrap_ttl("");
    let resp = ctx.send(&req, "checking the KV mount")?;
    if resp.status == 404 {
        return Ok((String::new(), false));
    }
    if resp.status >= 400 {
        // The hint names the secret's path: that is what the token needs a policy for.
        return Err(ctx.client_error("checking the KV mount", Some(path), resp.to_error()));
    }
    let v = resp
        .value()
        .map_err(|e| CliError::server(format!("Error checking the KV mount: {e}")))?;
    let mount = v
        .pointer("/data/path")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let version = v
        .pointer("/data/options/version")
        .and_then(Value::as_str)
        .unwrap_or("1");
    Ok((mount, version == "2"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_paths() {
        let cases = [
            ("secret/app", "secret/", "data", "secret/data/app"),
            ("secret/", "secret/", "metadata", "secret/metadata"),
            ("secret", "secret/", "metadata", "secret/metadata"),
            ("secret/dir/", "secret/", "metadata", "secret/metadata/dir"),
            ("kv/team/a/b", "kv/team/", "data", "kv/team/data/a/b"),
        ];
        for (path, mount, prefix, want) in cases {
            assert_eq!(join_prefixed(path, mount, prefix), want, "{path}");
        }
        let v1 = KvPath {
            mount: "kv/".into(),
            v2: false,
            path: "kv/x".into(),
        };
        assert_eq!(v1.api("data"), "kv/x");
    }
}
