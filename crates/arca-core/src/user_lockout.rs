//! The `user_lockout_config` of auth mounts: parsing a tune (OpenBao's input keys
//! `lockout_threshold`, `lockout_duration`, `lockout_counter_reset_duration`,
//! `lockout_disable`), the stored form in `MountConfig.user_lockout_config`, how reads show
//! it (`user_lockout_*` keys), and the effective settings auth methods see through their
//! `SystemView`. The lockout itself is done by the auth methods (they know the alias).

use std::sync::OnceLock;
use std::time::Duration;

use arca_sdk::duration::parse_duration;
use arca_sdk::{Error, Result, UserLockoutConfig};
use serde_json::{json, Map, Value};

/// The auth method types that support user lockout, as in Vault.
pub const SUPPORTED_TYPES: [&str; 3] = ["ldap", "approle", "userpass"];

const THRESHOLD: &str = "lockout_threshold";
const DURATION: &str = "lockout_duration";
const COUNTER_RESET: &str = "lockout_counter_reset";
const DISABLE: &str = "lockout_disable";

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn unconvertible() -> Error {
    Error::invalid("unable to convert given user lockout config information")
}

fn duration_secs(v: &Value, what: &str) -> Result<u64> {
    let text = as_text(v).ok_or_else(unconvertible)?;
    if text == "system" {
        return Ok(0);
    }
    parse_duration(&text)
        .map(|d| d.as_secs())
        .map_err(|e| Error::invalid(format!("unable to parse user lockout {what}: {e}")))
}

/// Applies a tune's `user_lockout_config` to the stored config of a mount of `mount_type`.
/// Only the keys given change; an empty input changes nothing.
pub fn merge_tune(
    stored: Option<&Map<String, Value>>,
    input: &Value,
    mount_type: &str,
) -> Result<Option<Map<String, Value>>> {
    let input = match input {
        Value::Null => return Ok(stored.cloned()),
        Value::Object(m) => m,
        Value::String(s) if s.is_empty() => return Ok(stored.cloned()),
        _ => return Err(unconvertible()),
    };
    if input.is_empty() {
        return Ok(stored.cloned());
    }
    if !SUPPORTED_TYPES.contains(&mount_type.to_lowercase().as_str()) {
        return Err(Error::invalid(format!(
            "tuning of user lockout configuration for auth type {mount_type:?} not allowed"
        )));
    }
    let mut out = stored.cloned().unwrap_or_default();
    for (key, value) in input {
        match key.as_str() {
            THRESHOLD => {
                let text = as_text(value).ok_or_else(unconvertible)?;
                if text.is_empty() {
                    continue;
                }
                let n: u64 = text.trim().parse().map_err(|_| {
                    Error::invalid(format!(
                        "unable to parse user lockout threshold: invalid syntax: {text:?}"
                    ))
                })?;
                out.insert(THRESHOLD.into(), json!(n));
            }
            DURATION => {
                out.insert(DURATION.into(), json!(duration_secs(value, "duration")?));
            }
            // OpenBao's API name, and the config file's shorter spelling.
            "lockout_counter_reset_duration" | COUNTER_RESET => {
                out.insert(
                    COUNTER_RESET.into(),
                    json!(duration_secs(value, "counter reset duration")?),
                );
            }
            DISABLE => {
                let b = match value {
                    Value::Bool(b) => *b,
                    Value::String(s) => match s.to_lowercase().as_str() {
                        "true" | "1" | "t" => true,
                        "false" | "0" | "f" | "" => false,
                        _ => return Err(unconvertible()),
                    },
                    _ => return Err(unconvertible()),
                };
                out.insert(DISABLE.into(), json!(b));
            }
            other => {
                return Err(Error::invalid(format!(
                    "unrecognized user lockout config parameter {other:?}"
                )))
            }
        }
    }
    Ok(Some(out))
}

fn stored_u64(m: &Map<String, Value>, key: &str) -> u64 {
    m.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// How `sys/auth/<path>/tune` shows the config (flat keys) and `sys/auth` (nested map).
pub fn display(stored: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert(
        "user_lockout_counter_reset_duration".into(),
        json!(stored_u64(stored, COUNTER_RESET)),
    );
    out.insert(
        "user_lockout_threshold".into(),
        json!(stored_u64(stored, THRESHOLD)),
    );
    out.insert(
        "user_lockout_duration".into(),
        json!(stored_u64(stored, DURATION)),
    );
    out.insert(
        "user_lockout_disable".into(),
        json!(stored
            .get(DISABLE)
            .and_then(Value::as_bool)
            .unwrap_or(false)),
    );
    out
}

/// `BAO_DISABLE_USER_LOCKOUT` (or `VAULT_DISABLE_USER_LOCKOUT`), read once: when set it
/// overrides every mount's setting, as in OpenBao.
fn env_disable() -> Option<bool> {
    static ENV: OnceLock<Option<bool>> = OnceLock::new();
    *ENV.get_or_init(|| {
        let raw = std::env::var("BAO_DISABLE_USER_LOCKOUT")
            .or_else(|_| std::env::var("VAULT_DISABLE_USER_LOCKOUT"))
            .ok()?;
        match raw.trim().to_lowercase().as_str() {
            "1" | "t" | "true" => Some(true),
            "0" | "f" | "false" => Some(false),
            other => {
                tracing::warn!(value = %other, "ignoring an unparsable BAO_DISABLE_USER_LOCKOUT");
                None
            }
        }
    })
}

/// The settings in force for a mount: the tuned values over Vault's defaults (a zero tuned
/// value means "not set"), and lockout off for types that do not support it.
pub fn effective(mount_type: &str, stored: Option<&Map<String, Value>>) -> UserLockoutConfig {
    let mut cfg = UserLockoutConfig::default();
    if !SUPPORTED_TYPES.contains(&mount_type) {
        cfg.disabled = true;
        return cfg;
    }
    if let Some(m) = stored {
        let threshold = stored_u64(m, THRESHOLD);
        if threshold != 0 {
            cfg.threshold = threshold;
        }
        let duration = stored_u64(m, DURATION);
        if duration != 0 {
            cfg.duration = Duration::from_secs(duration);
        }
        let reset = stored_u64(m, COUNTER_RESET);
        if reset != 0 {
            cfg.counter_reset = Duration::from_secs(reset);
        }
        cfg.disabled = m.get(DISABLE).and_then(Value::as_bool).unwrap_or(false);
    }
    if let Some(disabled) = env_disable() {
        cfg.disabled = disabled;
    }
    cfg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tunes_merge_and_validate() {
        let first = merge_tune(
            None,
            &json!({"lockout_threshold": "3", "lockout_duration": "10m"}),
            "userpass",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            first,
            *json!({"lockout_threshold": 3, "lockout_duration": 600})
                .as_object()
                .unwrap()
        );
        let second = merge_tune(
            Some(&first),
            &json!({"lockout_counter_reset_duration": 30, "lockout_disable": true}),
            "userpass",
        )
        .unwrap()
        .unwrap();
        let cfg = effective("userpass", Some(&second));
        assert_eq!(cfg.threshold, 3);
        assert_eq!(cfg.duration, Duration::from_secs(600));
        assert_eq!(cfg.counter_reset, Duration::from_secs(30));
        assert!(cfg.disabled);
        assert_eq!(display(&second)["user_lockout_threshold"], 3);

        for (input, ty) in [
            (json!({"lockout_threshold": "abc"}), "userpass"),
            (json!({"lockout_duration": "soon"}), "approle"),
            (json!({"lockout_threshold": "3"}), "token"),
            (json!({"bogus": 1}), "userpass"),
            (json!("x"), "userpass"),
        ] {
            assert!(merge_tune(None, &input, ty).is_err(), "{input} on {ty}");
        }
    }

    #[test]
    fn defaults_apply_to_unset_values() {
        assert_eq!(effective("userpass", None), UserLockoutConfig::default());
        assert!(effective("kubernetes", None).disabled);
    }
}
