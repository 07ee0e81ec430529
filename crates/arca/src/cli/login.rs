//! `arca login`: authenticate with a token, userpass (or the LDAP/RADIUS/Okta methods of
//! the same shape) or AppRole, and store the token in the token helper file.

use arca_client::{Request, TokenChoice};
use clap::Args;
use serde_json::{json, Map, Value};

use super::context::{store_token_helper, CliResult, Ctx};
use super::error::CliError;
use super::flags::{ClientFlags, Format};
use super::kvargs;
use super::output::{out, warn};
use arca_client::env::{Env, ProcessEnv};

#[derive(Args, Debug)]
pub struct LoginArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    /// Auth method: token, userpass, ldap, radius, okta or approle
    #[arg(long, default_value = "token")]
    pub method: String,
    /// Mount path of the auth method (default: the method's name)
    #[arg(long)]
    pub path: Option<String>,
    /// Do not store the token in the token helper file
    #[arg(long)]
    pub no_store: bool,
    /// Do not print the token information
    #[arg(long)]
    pub no_print: bool,
    /// Print only the token, and do not store it
    #[arg(long)]
    pub token_only: bool,
    /// The token (token method), or key=value credentials (username=..., role_id=...)
    pub args: Vec<String>,
}

pub fn run(ctx: &Ctx, mut a: LoginArgs) -> CliResult {
    ctx.reject_raw()?;
    if a.token_only {
        a.no_store = true;
    }
    if a.no_store && a.no_print {
        return Err(CliError::Usage(
            "-no-store and -no-print cannot be used together".into(),
        ));
    }
    let method = a.method.trim_matches('/').to_string();
    let mount = a.path.clone().unwrap_or_else(|| method.clone());
    let mount = mount.trim_matches('/').to_string();
    if method == "token" {
        if let Some(first) = a
            .args
            .first()
            .filter(|f| !f.contains('=') && f.as_str() != "-")
        {
            a.args[0] = format!("token={first}");
        }
    }
    let mut config = kvargs::parse(&a.args, &mut *ctx.stdin())?;
    let mount = match config.remove("mount") {
        Some(Value::String(m)) => m.trim_matches('/').to_string(),
        _ => mount,
    };
    let response = match method.as_str() {
        "token" => token_login(ctx, &mut config)?,
        "userpass" | "ldap" | "radius" | "okta" => userpass_login(ctx, &mount, config)?,
        "approle" => approle_login(ctx, &mount, config)?,
        other => {
            return Err(CliError::Usage(format!(
                "Unknown auth method: {other}. `arca login` handles token, userpass, ldap, radius, okta and approle;\n\
                 for other methods write to the login path directly: arca write auth/{mount}/login key=value..."
            )))
        }
    };

    // A wrapped login is unwrapped unless the token is not to be stored.
    let response = match extract(ctx, response, !a.no_store)? {
        Extracted::Auth(v) => v,
        Extracted::Wrapped(v) => {
            if a.token_only {
                let token = super::output::secret_field(&v.value, "wrapping_token");
                return ctx.print_field(token, "wrapping_token", "secret", None);
            }
            return print(ctx, &v);
        }
    };
    let token = response
        .value
        .pointer("/auth/client_token")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if token.is_empty() {
        return Err(CliError::server(
            "The server returned a response without a token; nothing was stored",
        ));
    }

    if !a.no_store {
        if let Err(e) = store_token_helper(&token) {
            warn(&e.render());
            warn("Authentication succeeded, but the token was not stored. It is shown below.\n");
            print(ctx, &response)?;
            return Err(CliError::Local("the token could not be stored".into()));
        }
        if let Some((name, _)) = ProcessEnv.lookup("TOKEN").filter(|(_, v)| !v.is_empty()) {
            warn(&format!(
                "WARNING! The {name} environment variable is set! It takes precedence over the\n\
                 stored token; unset it or update it to use the new token.\n"
            ));
        }
    } else if !a.token_only {
        warn("The token was not stored in the token helper. Set VAULT_TOKEN to it, or pass it\nwith each request to the server.\n");
    }

    if a.no_print {
        return Ok(());
    }
    if a.token_only {
        return ctx.print_field(Some(Value::String(token)), "token", "secret", None);
    }
    if ctx.flags.field.is_none() && ctx.format == Format::Table {
        out(
            "Success! You are now authenticated. The token information displayed below\n\
             is already stored in the token helper. You do NOT need to run \"arca login\"\n\
             again. Future requests will automatically use this token.\n\n",
        );
    }
    print(ctx, &response)
}

/// A login's answer: the server's bytes when there are some (printed as is for JSON),
/// else the envelope the CLI assembled (token logins).
struct LoginResult {
    value: Value,
    raw: Option<arca_client::Response>,
}

enum Extracted {
    Auth(LoginResult),
    Wrapped(LoginResult),
}

fn print(ctx: &Ctx, r: &LoginResult) -> CliResult {
    match &r.raw {
        Some(resp) => ctx.print_response(resp),
        None => ctx.print_secret_value(&r.value),
    }
}

/// Unwraps a wrapped login answer (unless told not to) until it carries `auth`.
fn extract(ctx: &Ctx, r: LoginResult, unwrap: bool) -> CliResult<Extracted> {
    let mut r = r;
    for _ in 0..4 {
        if r.value.get("auth").is_some_and(|a| !a.is_null()) {
            return Ok(Extracted::Auth(r));
        }
        let Some(wrap) = r.value.get("wrap_info").filter(|w| !w.is_null()) else {
            return Err(CliError::server(
                "The server's answer has neither auth nor wrapping information",
            ));
        };
        if wrap
            .get("wrapped_accessor")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
        {
            return Err(CliError::server(
                "The wrapped response does not contain a token",
            ));
        }
        if !unwrap {
            return Ok(Extracted::Wrapped(r));
        }
        let wrapping_token = wrap
            .get("token")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let req = Request::put("sys/wrapping/unwrap")
            .token(TokenChoice::Given(wrapping_token))
            .wrap_ttl("");
        let resp = ctx.call(&req, "unwrapping the login response")?;
        r = from_response(resp)?;
    }
    Err(CliError::server(
        "The login response stayed wrapped after several unwraps",
    ))
}

fn from_response(resp: arca_client::Response) -> CliResult<LoginResult> {
    let value = resp
        .value()
        .map_err(|e| CliError::server(format!("Error authenticating: {e}")))?;
    Ok(LoginResult {
        value,
        raw: Some(resp),
    })
}

fn token_login(ctx: &Ctx, config: &mut Map<String, Value>) -> CliResult<LoginResult> {
    let lookup = match config.remove("lookup") {
        Some(v) => {
            let s = super::table::cell(&v);
            arca_client::env::parse_bool(&s).ok_or_else(|| {
                CliError::Usage(format!("Failed to parse \"lookup\" as boolean: {s:?}"))
            })?
        }
        None => true,
    };
    let token = match config.remove("token") {
        Some(Value::String(t)) => t,
        Some(other) => {
            return Err(CliError::Usage(format!(
                "the token must be a string, not {other}"
            )))
        }
        None => ctx.prompt_secret("Token")?,
    };
    let token = token.trim().to_string();
    if token.is_empty() {
        return Err(CliError::Usage(
            "a token must be given: arca login <token> (or - to read it from stdin)".into(),
        ));
    }
    if !lookup {
        return Ok(LoginResult {
            value: envelope(json!({"client_token": token})),
            raw: None,
        });
    }
    let req = Request::get("auth/token/lookup-self")
        .token(TokenChoice::Given(token.clone()))
        .wrap_ttl("");
    let resp = ctx.call(&req, "authenticating")?;
    let v = resp
        .value()
        .map_err(|e| CliError::server(format!("Error looking up token: {e}")))?;
    let d = v.get("data").cloned().unwrap_or(Value::Null);
    let list = |k: &str| {
        d.get(k)
            .filter(|v| v.is_array())
            .cloned()
            .unwrap_or(json!([]))
    };
    let token_policies = list("policies");
    let identity_policies = list("identity_policies");
    let mut all: Vec<Value> = token_policies.as_array().cloned().unwrap_or_default();
    all.extend(identity_policies.as_array().cloned().unwrap_or_default());
    let auth = json!({
        "client_token": d.get("id").cloned().unwrap_or(json!(token)),
        "accessor": d.get("accessor").cloned().unwrap_or(json!("")),
        "policies": all,
        "token_policies": token_policies,
        "identity_policies": identity_policies,
        "metadata": d.get("meta").cloned().unwrap_or(Value::Null),
        "lease_duration": d.get("ttl").cloned().unwrap_or(json!(0)),
        "renewable": d.get("renewable").cloned().unwrap_or(json!(false)),
    });
    Ok(LoginResult {
        value: envelope(auth),
        raw: None,
    })
}

fn envelope(auth: Value) -> Value {
    json!({
        "request_id": "",
        "lease_id": "",
        "lease_duration": 0,
        "renewable": false,
        "data": null,
        "warnings": null,
        "auth": auth,
    })
}

fn userpass_login(ctx: &Ctx, mount: &str, config: Map<String, Value>) -> CliResult<LoginResult> {
    let mut fields: Map<String, Value> = kvargs::as_strings(config)?
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let username = match fields.remove("username") {
        Some(Value::String(u)) if !u.is_empty() => u,
        _ => {
            return Err(CliError::Usage(
                "'username' must be specified: arca login -method=userpass username=NAME".into(),
            ))
        }
    };
    if fields
        .get("password")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        fields.insert(
            "password".into(),
            Value::String(ctx.prompt_secret("Password")?),
        );
    }
    let path = format!("auth/{mount}/login/{username}");
    let req = Request::put(&path)
        .json(&Value::Object(fields))
        .token(TokenChoice::Without);
    from_response(ctx.call(&req, "authenticating")?)
}

fn approle_login(ctx: &Ctx, mount: &str, config: Map<String, Value>) -> CliResult<LoginResult> {
    if !config.contains_key("role_id") {
        return Err(CliError::Usage(
            "'role_id' must be specified: arca login -method=approle role_id=ID secret_id=SECRET"
                .into(),
        ));
    }
    let path = format!("auth/{mount}/login");
    let req = Request::put(&path)
        .json(&Value::Object(config))
        .token(TokenChoice::Without);
    from_response(ctx.call(&req, "authenticating")?)
}
