//! The token fields every auth method shares (`token_policies`, `token_ttl`, ...), declared
//! once, with Vault's legacy aliases (`policies`, `ttl`, `max_ttl`, `period`, `bound_cidrs`).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::framework::{Field, FieldData, FieldType};
use crate::{Auth, Error, Result};

/// Token settings of a role or user, stored by the auth method.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenParams {
    pub token_policies: Vec<String>,
    pub token_ttl: u64,
    pub token_max_ttl: u64,
    pub token_period: u64,
    pub token_explicit_max_ttl: u64,
    pub token_num_uses: u64,
    pub token_no_default_policy: bool,
    pub token_bound_cidrs: Vec<String>,
    /// "default", "service", "batch", "default-service" or "default-batch".
    pub token_type: String,
    /// Bind issued tokens to the login's source address (auth methods only).
    pub token_strictly_bind_ip: bool,
    /// Values last set through the legacy aliases, shown back on reads as Vault does.
    #[serde(skip_serializing_if = "LegacyTokenParams::is_empty")]
    pub legacy: LegacyTokenParams,
}

/// The legacy spellings (`policies`, `ttl`, `max_ttl`, `period`, `bound_cidrs`) a role or
/// user was last written with. Vault keeps them beside the `token_*` values and shows them
/// on reads while they are set; writing the `token_*` name alone clears them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LegacyTokenParams {
    pub policies: Vec<String>,
    pub ttl: u64,
    pub max_ttl: u64,
    pub period: u64,
    pub bound_cidrs: Vec<String>,
}

impl LegacyTokenParams {
    pub fn is_empty(&self) -> bool {
        self == &LegacyTokenParams::default()
    }
}

/// A legacy alias of a `token_*` field that an auth method accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyAlias {
    Policies,
    Ttl,
    MaxTtl,
    Period,
    BoundCidrs,
}

impl LegacyAlias {
    fn names(self) -> (&'static str, &'static str) {
        match self {
            LegacyAlias::Policies => ("policies", "token_policies"),
            LegacyAlias::Ttl => ("ttl", "token_ttl"),
            LegacyAlias::MaxTtl => ("max_ttl", "token_max_ttl"),
            LegacyAlias::Period => ("period", "token_period"),
            LegacyAlias::BoundCidrs => ("bound_cidrs", "token_bound_cidrs"),
        }
    }
}

fn field(name: &'static str, ty: FieldType, description: &'static str) -> Field {
    Field {
        name,
        ty,
        description,
        default: None,
        required: false,
    }
}

/// The declarations to add to every role/user path of an auth method.
pub fn token_fields() -> Vec<Field> {
    vec![
        field("token_policies", FieldType::CommaStringSlice, "Comma-separated list of policies"),
        field("token_ttl", FieldType::Duration, "The initial ttl of the token to generate"),
        field("token_max_ttl", FieldType::Duration, "The maximum lifetime of the generated token"),
        field("token_period", FieldType::Duration, "If set, tokens created via this role will have no max lifetime; instead, their renewal period will be fixed to this value."),
        field("token_explicit_max_ttl", FieldType::Duration, "If set, tokens created via this role carry an explicit maximum TTL."),
        field("token_num_uses", FieldType::Int, "The maximum number of times a token may be used, a value of zero means unlimited"),
        field("token_no_default_policy", FieldType::Bool, "If true, the 'default' policy will not automatically be added to generated tokens"),
        field("token_bound_cidrs", FieldType::CommaStringSlice, "Comma separated string or JSON list of CIDR blocks. If set, specifies the blocks of IP addresses which are allowed to use the generated token."),
        field("token_type", FieldType::String, "The type of token to generate, service or batch"),
        field("policies", FieldType::CommaStringSlice, "Use \"token_policies\" instead. If this and \"token_policies\" are both specified, only \"token_policies\" will be used."),
        field("ttl", FieldType::Duration, "Use \"token_ttl\" instead. If this and \"token_ttl\" are both specified, only \"token_ttl\" will be used."),
        field("max_ttl", FieldType::Duration, "Use \"token_max_ttl\" instead. If this and \"token_max_ttl\" are both specified, only \"token_max_ttl\" will be used."),
        field("period", FieldType::Duration, "Use \"token_period\" instead. If this and \"token_period\" are both specified, only \"token_period\" will be used."),
        field("bound_cidrs", FieldType::CommaStringSlice, "Use \"token_bound_cidrs\" instead. If this and \"token_bound_cidrs\" are both specified, only \"token_bound_cidrs\" will be used."),
    ]
}

/// The declarations of an auth method's role or user path: every `token_*` field,
/// `token_strictly_bind_ip`, and the legacy aliases this method accepts (userpass takes
/// `policies`, `ttl`, `max_ttl`, `bound_cidrs`; AppRole `policies` and `period`).
pub fn auth_token_fields(legacy: &[LegacyAlias]) -> Vec<Field> {
    let mut out: Vec<Field> = token_fields()
        .into_iter()
        .filter(|f| f.name.starts_with("token_"))
        .collect();
    out.push(field(
        "token_strictly_bind_ip",
        FieldType::Bool,
        "If true, CIDRs for the token will be strictly bound to the source IP address of the login request",
    ));
    out.extend(
        token_fields()
            .into_iter()
            .filter(|f| legacy.iter().any(|l| l.names().0 == f.name)),
    );
    out
}

impl TokenParams {
    /// The TTL settings a renewed token follows (Vault's login-renew callbacks).
    pub fn renew_limits(&self) -> crate::RenewLimits {
        crate::RenewLimits {
            ttl: Duration::from_secs(self.token_ttl),
            max_ttl: Duration::from_secs(self.token_max_ttl),
            period: Duration::from_secs(self.token_period),
        }
    }

    /// Applies an auth method's role or user write as Vault's `tokenutil` does: only the
    /// fields present change; a legacy alias is honoured (and remembered) only when the path
    /// declares it, and the `token_*` name wins when both are given. Policies keep their
    /// spelling unless they come through the legacy `policies`, which Vault normalises.
    pub fn update_from_auth(&mut self, d: &FieldData<'_>) -> Result<()> {
        let token_type = d.str("token_type")?;
        self.update_from_auth_with_type(d, token_type)
    }

    /// As `update_from_auth`, with the requested `token_type` given by the caller (AppRole
    /// first rewrites the meaningless "default-service" and "default-batch").
    pub fn update_from_auth_with_type(
        &mut self,
        d: &FieldData<'_>,
        token_type: Option<String>,
    ) -> Result<()> {
        if let Some(cidrs) = d.strings("token_bound_cidrs")? {
            validate_cidrs(&cidrs)?;
            self.token_bound_cidrs = cidrs;
        }
        if let Some(v) = d.duration("token_explicit_max_ttl")? {
            self.token_explicit_max_ttl = v.as_secs();
        }
        if let Some(v) = d.duration("token_max_ttl")? {
            self.token_max_ttl = v.as_secs();
        }
        if let Some(v) = d.duration("token_ttl")? {
            self.token_ttl = v.as_secs();
        }
        if let Some(v) = d.bool("token_no_default_policy")? {
            self.token_no_default_policy = v;
        }
        if let Some(v) = d.duration("token_period")? {
            self.token_period = v.as_secs();
        }
        if let Some(v) = d.strings("token_policies")? {
            self.token_policies = v;
        }
        if let Some(t) = token_type {
            self.token_type = match t.as_str() {
                "" | "default" => "default".into(),
                "service" | "batch" => t,
                other => {
                    return Err(Error::invalid(format!(
                        "invalid 'token_type' value {other:?}"
                    )))
                }
            };
        }
        if let Some(n) = d.int("token_num_uses")? {
            if n < 0 {
                return Err(Error::invalid("'token_num_uses' cannot be negative"));
            }
            self.token_num_uses = n as u64;
        }
        if let Some(v) = d.bool("token_strictly_bind_ip")? {
            self.token_strictly_bind_ip = v;
        }
        self.upgrade_legacy(d)?;
        if self.token_type == "batch" && self.token_period != 0 {
            return Err(Error::invalid(
                "'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens",
            ));
        }
        if self.token_type == "batch" && self.token_num_uses != 0 {
            return Err(Error::invalid(
                "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count",
            ));
        }
        if self.token_ttl > 0 && self.token_max_ttl > 0 && self.token_ttl > self.token_max_ttl {
            return Err(Error::invalid(
                "'token_ttl' cannot be greater than 'token_max_ttl'",
            ));
        }
        if self.token_strictly_bind_ip && !self.token_bound_cidrs.is_empty() {
            return Err(Error::invalid(
                "'token_strictly_bind_ip' conflicts with 'token_bound_cidrs'; set only one",
            ));
        }
        Ok(())
    }

    /// Vault's `UpgradeValue`: a legacy alias given alone sets both values; given with the
    /// new name it mirrors it; the new name alone clears the legacy copy.
    fn upgrade_legacy(&mut self, d: &FieldData<'_>) -> Result<()> {
        for alias in [
            LegacyAlias::Policies,
            LegacyAlias::Ttl,
            LegacyAlias::MaxTtl,
            LegacyAlias::Period,
            LegacyAlias::BoundCidrs,
        ] {
            let (old, new) = alias.names();
            if !d.declares(old) {
                continue;
            }
            let old_set = d.is_set(old);
            if !d.is_set(new) {
                if !old_set {
                    continue;
                }
                match alias {
                    LegacyAlias::Policies => {
                        let p = normalize_policies(d.strings(old)?.unwrap_or_default());
                        self.legacy.policies = p.clone();
                        self.token_policies = p;
                    }
                    LegacyAlias::BoundCidrs => {
                        let c = d.strings(old)?.unwrap_or_default();
                        validate_cidrs(&c)?;
                        self.legacy.bound_cidrs = c.clone();
                        self.token_bound_cidrs = c;
                    }
                    LegacyAlias::Ttl | LegacyAlias::MaxTtl | LegacyAlias::Period => {
                        let secs = d.duration(old)?.unwrap_or_default().as_secs();
                        *self.legacy_secs(alias) = secs;
                        *self.token_secs(alias) = secs;
                    }
                }
            } else {
                match alias {
                    LegacyAlias::Policies => {
                        self.legacy.policies = if old_set {
                            self.token_policies.clone()
                        } else {
                            Vec::new()
                        }
                    }
                    LegacyAlias::BoundCidrs => {
                        self.legacy.bound_cidrs = if old_set {
                            self.token_bound_cidrs.clone()
                        } else {
                            Vec::new()
                        }
                    }
                    LegacyAlias::Ttl | LegacyAlias::MaxTtl | LegacyAlias::Period => {
                        let v = if old_set { *self.token_secs(alias) } else { 0 };
                        *self.legacy_secs(alias) = v;
                    }
                }
            }
        }
        Ok(())
    }

    fn legacy_secs(&mut self, alias: LegacyAlias) -> &mut u64 {
        match alias {
            LegacyAlias::Ttl => &mut self.legacy.ttl,
            LegacyAlias::MaxTtl => &mut self.legacy.max_ttl,
            _ => &mut self.legacy.period,
        }
    }

    fn token_secs(&mut self, alias: LegacyAlias) -> &mut u64 {
        match alias {
            LegacyAlias::Ttl => &mut self.token_ttl,
            LegacyAlias::MaxTtl => &mut self.token_max_ttl,
            _ => &mut self.token_period,
        }
    }

    /// Adds the fields as an auth method's role or user read shows them (Vault's
    /// `PopulateTokenData`), plus the legacy values that are set.
    pub fn write_auth_data(&self, out: &mut Map<String, Value>) {
        let token_type = match self.token_type.as_str() {
            "" | "default-service" | "default-batch" => "default",
            t => t,
        };
        out.insert("token_bound_cidrs".into(), json!(self.token_bound_cidrs));
        out.insert(
            "token_explicit_max_ttl".into(),
            json!(self.token_explicit_max_ttl),
        );
        out.insert("token_max_ttl".into(), json!(self.token_max_ttl));
        out.insert(
            "token_no_default_policy".into(),
            json!(self.token_no_default_policy),
        );
        out.insert("token_period".into(), json!(self.token_period));
        out.insert("token_policies".into(), json!(self.token_policies));
        out.insert("token_type".into(), json!(token_type));
        out.insert("token_ttl".into(), json!(self.token_ttl));
        out.insert("token_num_uses".into(), json!(self.token_num_uses));
        out.insert(
            "token_strictly_bind_ip".into(),
            json!(self.token_strictly_bind_ip),
        );
        let legacy = &self.legacy;
        if !legacy.policies.is_empty() {
            out.insert("policies".into(), json!(self.token_policies));
        }
        if legacy.ttl > 0 {
            out.insert("ttl".into(), json!(legacy.ttl));
        }
        if legacy.max_ttl > 0 {
            out.insert("max_ttl".into(), json!(legacy.max_ttl));
        }
        if legacy.period > 0 {
            out.insert("period".into(), json!(legacy.period));
        }
        if !legacy.bound_cidrs.is_empty() {
            out.insert("bound_cidrs".into(), json!(legacy.bound_cidrs));
        }
    }

    /// Fills a login's `Auth` from an auth method's role or user (Vault's
    /// `PopulateTokenAuth`). A "default" token type is left empty so the mount's tuned
    /// `token_type` decides. With `token_strictly_bind_ip` the token is bound to the
    /// login's source address, which must then be known.
    pub fn populate_login_auth(
        &self,
        auth: &mut Auth,
        remote_addr: Option<std::net::IpAddr>,
    ) -> Result<()> {
        auth.policies = self.token_policies.clone();
        auth.ttl = Duration::from_secs(self.token_ttl);
        auth.max_ttl = Duration::from_secs(self.token_max_ttl);
        auth.period = Duration::from_secs(self.token_period);
        auth.explicit_max_ttl = Duration::from_secs(self.token_explicit_max_ttl);
        auth.num_uses = self.token_num_uses;
        auth.no_default_policy = self.token_no_default_policy;
        auth.bound_cidrs = self.token_bound_cidrs.clone();
        auth.token_type = match self.token_type.as_str() {
            "batch" => "batch".into(),
            "service" => "service".into(),
            _ => String::new(),
        };
        auth.renewable = true;
        if self.token_strictly_bind_ip {
            let ip = remote_addr.ok_or(Error::PermissionDenied)?;
            auth.bound_cidrs = vec![ip.to_string()];
        }
        Ok(())
    }

    /// Applies the fields present in the request, leaving the others as they are (an
    /// update). The `token_*` name wins over its legacy alias when both are given.
    pub fn update_from(&mut self, d: &FieldData<'_>) -> Result<()> {
        if let Some(p) = pick(d, "token_policies", "policies", FieldData::strings)? {
            self.token_policies = normalize_policies(p);
        }
        if let Some(v) = pick(d, "token_ttl", "ttl", FieldData::duration)? {
            self.token_ttl = v.as_secs();
        }
        if let Some(v) = pick(d, "token_max_ttl", "max_ttl", FieldData::duration)? {
            self.token_max_ttl = v.as_secs();
        }
        if let Some(v) = pick(d, "token_period", "period", FieldData::duration)? {
            self.token_period = v.as_secs();
        }
        if let Some(v) = pick(d, "token_bound_cidrs", "bound_cidrs", FieldData::strings)? {
            for cidr in &v {
                validate_cidr(cidr)?;
            }
            self.token_bound_cidrs = v;
        }
        if d.is_set("token_explicit_max_ttl") {
            self.token_explicit_max_ttl = d
                .duration("token_explicit_max_ttl")?
                .unwrap_or_default()
                .as_secs();
        }
        if d.is_set("token_num_uses") {
            let n = d.int("token_num_uses")?.unwrap_or(0);
            if n < 0 {
                return Err(Error::invalid("token_num_uses cannot be negative"));
            }
            self.token_num_uses = n as u64;
        }
        if d.is_set("token_no_default_policy") {
            self.token_no_default_policy = d.bool("token_no_default_policy")?.unwrap_or(false);
        }
        if d.is_set("token_type") {
            let t = d.string("token_type")?;
            match t.as_str() {
                "" | "default" => self.token_type = "default-service".into(),
                "service" | "batch" | "default-service" | "default-batch" => self.token_type = t,
                other => {
                    return Err(Error::invalid(format!(
                        "invalid 'token_type' value {other:?}"
                    )))
                }
            }
        }
        if self.token_max_ttl > 0 && self.token_ttl > self.token_max_ttl {
            return Err(Error::invalid(
                "'token_ttl' cannot be greater than 'token_max_ttl'",
            ));
        }
        if self.token_type == "batch" && self.token_period > 0 {
            return Err(Error::invalid(
                "'token_type' cannot be 'batch' when set to generate periodic tokens",
            ));
        }
        if self.token_type == "batch" && self.token_num_uses > 0 {
            return Err(Error::invalid(
                "'token_type' cannot be 'batch' when set to generate tokens with limited use count",
            ));
        }
        Ok(())
    }

    /// Adds the fields as Vault shows them when a role is read.
    pub fn write_response(&self, out: &mut Map<String, Value>) {
        let token_type = if self.token_type.is_empty() {
            "default"
        } else {
            self.token_type.as_str()
        };
        out.insert("token_policies".into(), json!(self.token_policies));
        out.insert("token_ttl".into(), json!(self.token_ttl));
        out.insert("token_max_ttl".into(), json!(self.token_max_ttl));
        out.insert("token_period".into(), json!(self.token_period));
        out.insert(
            "token_explicit_max_ttl".into(),
            json!(self.token_explicit_max_ttl),
        );
        out.insert("token_num_uses".into(), json!(self.token_num_uses));
        out.insert(
            "token_no_default_policy".into(),
            json!(self.token_no_default_policy),
        );
        out.insert("token_bound_cidrs".into(), json!(self.token_bound_cidrs));
        out.insert("token_type".into(), json!(token_type));
    }

    /// Fills the token settings of a login's `Auth` from this role.
    pub fn populate_auth(&self, auth: &mut Auth) {
        auth.policies = self.token_policies.clone();
        auth.ttl = Duration::from_secs(self.token_ttl);
        auth.max_ttl = Duration::from_secs(self.token_max_ttl);
        auth.period = Duration::from_secs(self.token_period);
        auth.explicit_max_ttl = Duration::from_secs(self.token_explicit_max_ttl);
        auth.num_uses = self.token_num_uses;
        auth.no_default_policy = self.token_no_default_policy;
        auth.bound_cidrs = self.token_bound_cidrs.clone();
        auth.token_type = match self.token_type.as_str() {
            "batch" | "default-batch" => "batch".into(),
            _ => "service".into(),
        };
        auth.renewable = true;
    }
}

fn pick<'a, T>(
    d: &FieldData<'a>,
    name: &str,
    legacy: &str,
    get: impl Fn(&FieldData<'a>, &str) -> Result<Option<T>>,
) -> Result<Option<T>> {
    if d.is_set(name) {
        return get(d, name);
    }
    if d.is_set(legacy) {
        return get(d, legacy);
    }
    Ok(None)
}

/// Lowercases, trims, dedups and sorts policy names as Vault does.
pub fn normalize_policies(policies: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = policies
        .into_iter()
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Validates every block of a CIDR list.
pub fn validate_cidrs(cidrs: &[String]) -> Result<()> {
    cidrs.iter().try_for_each(|c| validate_cidr(c))
}

/// Accepts `a.b.c.d/n`, a bare address, and IPv6 forms.
pub fn validate_cidr(cidr: &str) -> Result<()> {
    parse_cidr(cidr).map(drop)
}

/// Parses a CIDR block into its network address and prefix length.
pub fn parse_cidr(cidr: &str) -> Result<(std::net::IpAddr, u8)> {
    let bad = || Error::invalid(format!("invalid CIDR block {cidr:?}"));
    let (addr, len) = match cidr.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (cidr, None),
    };
    let ip: std::net::IpAddr = addr.trim().parse().map_err(|_| bad())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => l.trim().parse::<u8>().map_err(|_| bad())?,
        None => max,
    };
    if len > max {
        return Err(bad());
    }
    Ok((ip, len))
}

/// Whether `ip` lies inside `cidr` (which was validated when stored).
pub fn cidr_contains(cidr: &str, ip: std::net::IpAddr) -> bool {
    let Ok((net, len)) = parse_cidr(cidr) else {
        return false;
    };
    match (net, ip) {
        (std::net::IpAddr::V4(n), std::net::IpAddr::V4(i)) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (std::net::IpAddr::V6(n), std::net::IpAddr::V6(i)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        (std::net::IpAddr::V6(n), std::net::IpAddr::V4(i)) => n
            .to_ipv4_mapped()
            .is_some_and(|_| cidr_contains(cidr, std::net::IpAddr::V6(i.to_ipv6_mapped()))),
        (std::net::IpAddr::V4(_), std::net::IpAddr::V6(i)) => i
            .to_ipv4_mapped()
            .is_some_and(|v4| cidr_contains(cidr, std::net::IpAddr::V4(v4))),
    }
}

/// Whether every block of `inner` lies inside some block of `outer` (Vault's
/// `cidrutil.SubsetBlocks`); an empty `outer` allows everything.
pub fn cidrs_subset(outer: &[String], inner: &[String]) -> bool {
    if outer.is_empty() {
        return true;
    }
    inner.iter().all(|block| {
        let Ok((net, len)) = parse_cidr(block) else {
            return false;
        };
        outer.iter().any(|o| match parse_cidr(o) {
            Ok((_, olen)) => olen <= len && cidr_contains(o, net),
            Err(_) => false,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_matching() {
        let cases = [
            ("10.0.0.0/8", "10.1.2.3", true),
            ("10.0.0.0/8", "11.1.2.3", false),
            ("127.0.0.1", "127.0.0.1", true),
            ("127.0.0.1/32", "127.0.0.2", false),
            ("0.0.0.0/0", "8.8.8.8", true),
            ("::1/128", "::1", true),
            ("127.0.0.0/8", "::ffff:127.0.0.1", true),
        ];
        for (cidr, ip, want) in cases {
            assert_eq!(
                cidr_contains(cidr, ip.parse().unwrap()),
                want,
                "{cidr} {ip}"
            );
        }
        assert!(validate_cidr("10.0.0.0/33").is_err());
        assert!(validate_cidr("nope").is_err());
    }

    /// Applies `bodies` in turn to fresh params through a path declaring the auth fields
    /// with the given legacy aliases.
    fn apply(legacy: &[LegacyAlias], bodies: &[Value]) -> Result<TokenParams> {
        use crate::{Operation, Path, PathRouter, Request, Response};
        use std::future::Future;
        use std::sync::Mutex;

        struct Holder(Mutex<TokenParams>);
        let router = PathRouter::new(vec![Path::new("role")
            .fields(auth_token_fields(legacy))
            .op(Operation::Update, |h: &Holder, _r, d| {
                Box::pin(async move {
                    h.0.lock().unwrap().update_from_auth(&d)?;
                    Ok(None::<Response>)
                })
            })]);
        let holder = Holder(Mutex::new(TokenParams::default()));
        for body in bodies {
            let mut req = Request::new(Operation::Update, "role");
            req.data = body.as_object().cloned().unwrap_or_default();
            let mut fut = Box::pin(router.route(&holder, &req));
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            loop {
                if let std::task::Poll::Ready(r) = fut.as_mut().poll(&mut cx) {
                    r?;
                    break;
                }
            }
        }
        Ok(holder.0.into_inner().unwrap())
    }

    #[test]
    fn auth_fields_follow_vaults_rules() {
        use LegacyAlias::*;
        let p = apply(
            &[Policies, Period],
            &[json!({"policies": "B,a", "period": "1h"})],
        )
        .unwrap();
        assert_eq!(p.token_policies, vec!["a", "b"]);
        assert_eq!(p.legacy.policies, vec!["a", "b"]);
        assert_eq!((p.token_period, p.legacy.period), (3600, 3600));
        // token_* wins over the alias and mirrors into it when both are given.
        let p = apply(
            &[Policies],
            &[json!({"policies": "x", "token_policies": "Y"})],
        )
        .unwrap();
        assert_eq!(p.token_policies, vec!["Y"]);
        assert_eq!(p.legacy.policies, vec!["Y"]);
        // The new name alone clears the legacy copy.
        let p = apply(
            &[Policies],
            &[json!({"policies": "x"}), json!({"token_policies": "z"})],
        )
        .unwrap();
        assert!(p.legacy.policies.is_empty());
        // An alias the path does not declare changes nothing.
        let p = apply(&[Policies], &[json!({"ttl": "1h"})]).unwrap();
        assert_eq!(p.token_ttl, 0);
        let p = apply(&[], &[json!({"token_type": "default"})]).unwrap();
        assert_eq!(p.token_type, "default");
        for bad in [
            json!({"token_type": "default-service"}),
            json!({"token_ttl": "2h", "token_max_ttl": "1h"}),
            json!({"token_type": "batch", "token_period": "1h"}),
            json!({"token_num_uses": -1}),
            json!({"token_strictly_bind_ip": true, "token_bound_cidrs": "10.0.0.0/8"}),
            json!({"token_bound_cidrs": "nope"}),
        ] {
            assert!(apply(&[], std::slice::from_ref(&bad)).is_err(), "{bad}");
        }
        let mut shown = Map::new();
        apply(&[Ttl], &[json!({"ttl": 60})])
            .unwrap()
            .write_auth_data(&mut shown);
        assert_eq!(shown["ttl"], 60);
        assert_eq!(shown["token_ttl"], 60);
        assert_eq!(shown["token_type"], "default");
    }

    #[test]
    fn cidr_subsets() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(cidrs_subset(&s(&[]), &s(&["10.0.0.0/8"])));
        assert!(cidrs_subset(
            &s(&["10.0.0.0/8"]),
            &s(&["10.1.0.0/16", "10.2.3.4"])
        ));
        assert!(!cidrs_subset(&s(&["10.0.0.0/16"]), &s(&["10.0.0.0/8"])));
        assert!(!cidrs_subset(&s(&["10.0.0.0/8"]), &s(&["11.0.0.1/32"])));
        assert!(cidrs_subset(&s(&["127.0.0.1"]), &s(&["127.0.0.1/32"])));
    }

    #[test]
    fn policies_are_normalized() {
        assert_eq!(
            normalize_policies(vec!["B".into(), " a ".into(), "b".into(), "".into()]),
            vec!["a", "b"]
        );
    }
}
