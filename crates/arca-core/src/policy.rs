//! ACL policies: parsing Vault policy documents (HCL1 or JSON) and compiling a set of policies
//! into an ACL that answers "may this request proceed" with Vault's exact matching rules.
//!
//! Matching, as Vault's `acl.go`: an exact path rule wins outright; otherwise the longest
//! prefix (`*`) rule and every matching segment-wildcard (`+`) rule compete, ranked by
//! (1) position of the first `+` or `*` (later is better), (2) not ending in `*`, (3) fewer
//! `+` segments, (4) longer pattern, (5) lexicographically greater. Rules for the same
//! pattern from several policies are merged; `deny` in any of them makes that pattern deny.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::hcl::{self, Node};
use arca_sdk::duration::parse_duration;
use arca_sdk::Operation;

pub const CAP_DENY: u32 = 1;
pub const CAP_CREATE: u32 = 1 << 1;
pub const CAP_READ: u32 = 1 << 2;
pub const CAP_UPDATE: u32 = 1 << 3;
pub const CAP_DELETE: u32 = 1 << 4;
pub const CAP_LIST: u32 = 1 << 5;
pub const CAP_SUDO: u32 = 1 << 6;
pub const CAP_PATCH: u32 = 1 << 7;

const CAPABILITY_NAMES: [(&str, u32); 8] = [
    ("create", CAP_CREATE),
    ("delete", CAP_DELETE),
    ("deny", CAP_DENY),
    ("list", CAP_LIST),
    ("patch", CAP_PATCH),
    ("read", CAP_READ),
    ("sudo", CAP_SUDO),
    ("update", CAP_UPDATE),
];

/// Capability names of a bitmap, sorted as Vault lists them.
pub fn capability_names(bits: u32) -> Vec<String> {
    if bits & CAP_DENY != 0 || bits == 0 {
        return vec!["deny".into()];
    }
    CAPABILITY_NAMES
        .iter()
        .filter(|(_, b)| bits & b != 0)
        .map(|(n, _)| n.to_string())
        .collect()
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("failed to parse policy: {0}")]
    Syntax(#[from] hcl::ParseError),
    #[error("failed to parse policy: line {line}: {message}")]
    Invalid { line: usize, message: String },
}

fn invalid(line: usize, message: impl Into<String>) -> PolicyError {
    PolicyError::Invalid {
        line,
        message: message.into(),
    }
}

/// The permissions one path rule grants.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Permissions {
    pub capabilities: u32,
    pub min_wrapping_ttl: Duration,
    pub max_wrapping_ttl: Duration,
    /// Lowercased parameter name to allowed values (empty list: any value).
    pub allowed_parameters: BTreeMap<String, Vec<Value>>,
    pub denied_parameters: BTreeMap<String, Vec<Value>>,
    pub required_parameters: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PathRule {
    /// The pattern as written (with a trailing `*` for prefixes).
    pub path: String,
    pub permissions: Permissions,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub name: String,
    pub raw: String,
    pub rules: Vec<PathRule>,
}

const VALID_PATH_KEYS: [&str; 8] = [
    "capabilities",
    "policy",
    "allowed_parameters",
    "denied_parameters",
    "required_parameters",
    "min_wrapping_ttl",
    "max_wrapping_ttl",
    "comment",
];

impl Policy {
    /// Parses a policy document as Vault accepts it.
    pub fn parse(name: &str, raw: &str) -> Result<Policy, PolicyError> {
        let items = hcl::parse(raw)?;
        for it in &items {
            if it.key != "path" && it.key != "name" {
                return Err(invalid(it.line, format!("invalid key {:?}", it.key)));
            }
        }
        let mut rules = Vec::new();
        for (path, body, line) in hcl::labelled_blocks(&items, "path") {
            rules.push(parse_rule(path, body, line)?);
        }
        Ok(Policy {
            name: name.to_string(),
            raw: raw.to_string(),
            rules,
        })
    }
}

fn parse_rule(path: String, body: &Node, line: usize) -> Result<PathRule, PolicyError> {
    let path = path.trim_start_matches('/').to_string();
    if path.contains("+*") {
        return Err(invalid(
            line,
            format!("path {path:?}: invalid use of wildcards ('+*' is forbidden)"),
        ));
    }
    let mut perms = Permissions::default();
    let Node::Object(items) = body else {
        return Err(invalid(line, format!("path {path:?}: expected a block")));
    };
    let mut caps: Vec<String> = Vec::new();
    for it in items {
        if !VALID_PATH_KEYS.contains(&it.key.as_str()) {
            return Err(invalid(
                it.line,
                format!("path {path:?}: invalid key {:?}", it.key),
            ));
        }
        match it.key.as_str() {
            "capabilities" => caps.extend(string_list(&it.value, it.line, "capabilities")?),
            "policy" => {
                let legacy = it
                    .value
                    .as_str()
                    .ok_or_else(|| invalid(it.line, "policy must be a string"))?;
                let expanded: &[&str] = match legacy {
                    "deny" => &["deny"],
                    "read" => &["read", "list"],
                    "write" => &["create", "read", "update", "delete", "list"],
                    "sudo" => &["create", "read", "update", "delete", "list", "sudo"],
                    other => {
                        return Err(invalid(
                            it.line,
                            format!("path {path:?}: invalid policy {other:?}"),
                        ))
                    }
                };
                caps.extend(expanded.iter().map(|s| s.to_string()));
            }
            "allowed_parameters" => perms.allowed_parameters = parameter_map(&it.value, it.line)?,
            "denied_parameters" => perms.denied_parameters = parameter_map(&it.value, it.line)?,
            // Vault looks required parameters up lowercased.
            "required_parameters" => {
                perms.required_parameters = string_list(&it.value, it.line, "required_parameters")?
                    .into_iter()
                    .map(|p| p.to_lowercase())
                    .collect()
            }
            "min_wrapping_ttl" => perms.min_wrapping_ttl = ttl_value(&it.value, it.line)?,
            "max_wrapping_ttl" => perms.max_wrapping_ttl = ttl_value(&it.value, it.line)?,
            _ => {}
        }
    }
    for cap in &caps {
        let bit = CAPABILITY_NAMES
            .iter()
            .find(|(n, _)| n == cap)
            .map(|(_, b)| *b)
            .ok_or_else(|| invalid(line, format!("path {path:?}: invalid capability {cap:?}")))?;
        perms.capabilities |= bit;
    }
    if perms.capabilities & CAP_DENY != 0 {
        perms.capabilities = CAP_DENY;
    }
    if !perms.min_wrapping_ttl.is_zero()
        && !perms.max_wrapping_ttl.is_zero()
        && perms.max_wrapping_ttl < perms.min_wrapping_ttl
    {
        return Err(invalid(
            line,
            format!("path {path:?}: max_wrapping_ttl cannot be less than min_wrapping_ttl"),
        ));
    }
    Ok(PathRule {
        path,
        permissions: perms,
        line,
    })
}

/// A list of strings, taken as written: Vault rejects "READ" as a capability, and a bare string
/// where a list belongs.
fn string_list(node: &Node, line: usize, what: &str) -> Result<Vec<String>, PolicyError> {
    match node {
        Node::List(items) => items
            .iter()
            .map(|n| {
                n.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| invalid(line, format!("{what} must be a list of strings")))
            })
            .collect(),
        _ => Err(invalid(line, format!("{what} must be a list of strings"))),
    }
}

fn parameter_map(node: &Node, line: usize) -> Result<BTreeMap<String, Vec<Value>>, PolicyError> {
    let mut out = BTreeMap::new();
    let mut add = |key: &str, value: &Node| -> Result<(), PolicyError> {
        let values = match value {
            Node::List(items) => items.iter().map(Node::to_json).collect(),
            Node::Object(items) if items.is_empty() => Vec::new(),
            other => vec![other.to_json()],
        };
        out.entry(key.to_lowercase())
            .or_insert_with(Vec::new)
            .extend(values);
        Ok(())
    };
    match node {
        Node::Object(items) => {
            for it in items {
                add(&it.key, &it.value)?;
            }
        }
        // HCL1 decodes `allowed_parameters { ... }` written twice as a list of objects.
        Node::List(list) => {
            for n in list {
                for it in n.items() {
                    add(&it.key, &it.value)?;
                }
            }
        }
        _ => return Err(invalid(line, "parameters must be a map")),
    }
    Ok(out)
}

fn ttl_value(node: &Node, line: usize) -> Result<Duration, PolicyError> {
    match node {
        Node::Number(n) if *n >= 0.0 => Ok(Duration::from_secs(*n as u64)),
        Node::String(s) => parse_duration(s).map_err(|e| invalid(line, e.to_string())),
        _ => Err(invalid(line, "invalid wrapping TTL")),
    }
}

/// Where a decision came from, for the explain endpoint and audit entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSource {
    pub policy: String,
    pub path: String,
}

#[derive(Debug, Clone, Default)]
struct MergedRule {
    permissions: Permissions,
    sources: Vec<RuleSource>,
}

#[derive(Debug, Clone)]
struct WildcardRule {
    pattern: String,
    /// Pattern without the trailing `*`, split on `/`.
    segments: Vec<String>,
    is_prefix: bool,
    first_wildcard: usize,
    wildcards: usize,
    rule: MergedRule,
}

/// A compiled set of policies.
#[derive(Debug, Default)]
pub struct Acl {
    root: bool,
    exact: HashMap<String, MergedRule>,
    /// (prefix without `*`, pattern as written, rule)
    prefix: Vec<(String, String, MergedRule)>,
    wildcard: Vec<WildcardRule>,
    pub policy_names: Vec<String>,
}

/// The outcome of a check.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AclDecision {
    pub allowed: bool,
    /// The rule grants sudo (needed in addition on root-protected paths).
    pub sudo: bool,
    pub capabilities: Vec<String>,
    /// The pattern that decided, "" when no rule matched.
    pub matched_path: String,
    pub sources: Vec<RuleSource>,
    /// Why it was denied, in words, for the explain endpoint and the audit log.
    pub reason: String,
    pub is_root: bool,
}

/// What the check looks at besides path and operation.
pub struct AclRequest<'a> {
    pub path: &'a str,
    pub operation: Operation,
    pub data: &'a serde_json::Map<String, Value>,
    pub wrap_ttl: Option<Duration>,
}

fn merge_into(existing: &mut MergedRule, new: &Permissions, source: RuleSource) {
    existing.sources.push(source);
    let e = &mut existing.permissions;
    if e.capabilities & CAP_DENY != 0 {
        return;
    }
    if new.capabilities & CAP_DENY != 0 {
        e.capabilities = CAP_DENY;
        return;
    }
    e.capabilities |= new.capabilities;
    if !new.min_wrapping_ttl.is_zero()
        && (e.min_wrapping_ttl.is_zero() || new.min_wrapping_ttl < e.min_wrapping_ttl)
    {
        e.min_wrapping_ttl = new.min_wrapping_ttl;
    }
    if !new.max_wrapping_ttl.is_zero() && e.max_wrapping_ttl < new.max_wrapping_ttl {
        e.max_wrapping_ttl = new.max_wrapping_ttl;
    }
    merge_params(&mut e.allowed_parameters, &new.allowed_parameters);
    merge_params(&mut e.denied_parameters, &new.denied_parameters);
    for r in &new.required_parameters {
        if !e.required_parameters.contains(r) {
            e.required_parameters.push(r.clone());
        }
    }
}

/// An empty list (any value) absorbs the other side, as in Vault.
fn merge_params(existing: &mut BTreeMap<String, Vec<Value>>, new: &BTreeMap<String, Vec<Value>>) {
    for (k, v) in new {
        match existing.get_mut(k) {
            Some(cur) if cur.is_empty() || v.is_empty() => cur.clear(),
            Some(cur) => cur.extend(v.iter().cloned()),
            None => {
                existing.insert(k.clone(), v.clone());
            }
        }
    }
}

impl Acl {
    pub fn new(policies: &[Arc<Policy>]) -> Acl {
        let mut acl = Acl {
            policy_names: policies.iter().map(|p| p.name.clone()).collect(),
            ..Default::default()
        };
        if policies.iter().any(|p| p.name == "root") {
            acl.root = true;
            return acl;
        }
        let mut by_pattern: BTreeMap<String, MergedRule> = BTreeMap::new();
        for policy in policies {
            for rule in &policy.rules {
                let entry = by_pattern
                    .entry(rule.path.clone())
                    .or_insert_with(|| MergedRule {
                        permissions: Permissions {
                            capabilities: 0,
                            ..Default::default()
                        },
                        sources: Vec::new(),
                    });
                let first = entry.sources.is_empty();
                if first {
                    entry.permissions = rule.permissions.clone();
                    entry.sources.push(RuleSource {
                        policy: policy.name.clone(),
                        path: rule.path.clone(),
                    });
                } else {
                    merge_into(
                        entry,
                        &rule.permissions,
                        RuleSource {
                            policy: policy.name.clone(),
                            path: rule.path.clone(),
                        },
                    );
                }
            }
        }
        for (pattern, rule) in by_pattern {
            if pattern.contains('+') {
                let is_prefix = pattern.ends_with('*');
                let body = pattern.strip_suffix('*').unwrap_or(&pattern).to_string();
                let segments: Vec<String> = body.split('/').map(str::to_string).collect();
                acl.wildcard.push(WildcardRule {
                    first_wildcard: pattern.find('+').unwrap_or(0),
                    wildcards: segments.iter().filter(|s| *s == "+").count(),
                    is_prefix,
                    segments,
                    pattern,
                    rule,
                });
            } else if let Some(prefix) = pattern.strip_suffix('*') {
                acl.prefix.push((prefix.to_string(), pattern.clone(), rule));
            } else {
                acl.exact.insert(pattern, rule);
            }
        }
        // Longest first, so the first prefix that matches is the longest.
        acl.prefix
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(b.0.cmp(&a.0)));
        acl
    }

    pub fn is_root(&self) -> bool {
        self.root
    }

    /// The rule that governs `path`, as Vault picks it.
    fn find(&self, path: &str, list: bool) -> Option<(&str, &MergedRule)> {
        if let Some((k, r)) = self.exact.get_key_value(path) {
            return Some((k, r));
        }
        if list {
            if let Some((k, r)) = path
                .strip_suffix('/')
                .and_then(|p| self.exact.get_key_value(p))
            {
                return Some((k, r));
            }
        }
        // (first wildcard position, is_prefix, wildcards, pattern length, pattern)
        type Rank<'a> = (usize, bool, usize, usize, &'a str);
        let mut best: Option<(Rank<'_>, &str, &MergedRule)> = None;
        let better = |a: &Rank<'_>, b: &Rank<'_>| -> bool {
            // true when a has higher priority than b
            if a.0 != b.0 {
                return a.0 > b.0;
            }
            if a.1 != b.1 {
                return !a.1;
            }
            if a.2 != b.2 {
                return a.2 < b.2;
            }
            if a.3 != b.3 {
                return a.3 > b.3;
            }
            a.4 > b.4
        };
        if let Some((prefix, pattern, rule)) = self
            .prefix
            .iter()
            .find(|(p, _, _)| path.starts_with(p.as_str()))
        {
            let rank = (prefix.len(), true, 0, prefix.len(), prefix.as_str());
            best = Some((rank, pattern.as_str(), rule));
        }
        if !self.wildcard.is_empty() {
            let parts: Vec<&str> = path.split('/').collect();
            'rules: for w in &self.wildcard {
                if parts.len() < w.segments.len()
                    || (!w.is_prefix && parts.len() != w.segments.len())
                {
                    continue;
                }
                for (i, seg) in w.segments.iter().enumerate() {
                    let ok = seg == "+"
                        || seg == parts[i]
                        || (w.is_prefix
                            && i + 1 == w.segments.len()
                            && parts[i].starts_with(seg.as_str()));
                    if !ok {
                        continue 'rules;
                    }
                }
                let body_len = w.pattern.len() - usize::from(w.is_prefix);
                let rank = (
                    w.first_wildcard,
                    w.is_prefix,
                    w.wildcards,
                    body_len,
                    &w.pattern[..body_len],
                );
                if best.as_ref().is_none_or(|(b, _, _)| better(&rank, b)) {
                    best = Some((rank, w.pattern.as_str(), &w.rule));
                }
            }
        }
        best.map(|(_, p, r)| (p, r))
    }

    /// Whether any rule grants something inside `mount` ("secret/"), as Vault decides who
    /// may see a mount in `sys/internal/ui/mounts`.
    pub fn has_mount_access(&self, mount: &str) -> bool {
        if self.root {
            return true;
        }
        let grants = |r: &MergedRule| {
            r.permissions.capabilities != 0 && r.permissions.capabilities & CAP_DENY == 0
        };
        let mount_bare = mount.trim_end_matches('/');
        self.exact
            .iter()
            .any(|(p, r)| (p.starts_with(mount) || p == mount_bare) && grants(r))
            || self.prefix.iter().any(|(p, _, r)| {
                (p.starts_with(mount) || mount.starts_with(p.as_str())) && grants(r)
            })
            || self.wildcard.iter().any(|w| {
                grants(&w.rule)
                    && mount_bare.split('/').zip(w.segments.iter()).all(|(m, s)| {
                        s == "+" || s == m || (w.is_prefix && m.starts_with(s.as_str()))
                    })
            })
    }

    /// The capabilities a token has on `path` (`sys/capabilities`).
    pub fn capabilities(&self, path: &str) -> Vec<String> {
        if self.root {
            return vec!["root".into()];
        }
        // Vault evaluates capabilities as a list request, so "dir/" also finds an exact "dir".
        match self.find(path, true) {
            Some((_, rule)) => capability_names(rule.permissions.capabilities),
            None => vec!["deny".into()],
        }
    }

    pub fn check(&self, req: &AclRequest<'_>) -> AclDecision {
        if self.root {
            return AclDecision {
                allowed: true,
                sudo: true,
                capabilities: vec!["root".into()],
                is_root: true,
                ..Default::default()
            };
        }
        let mut d = AclDecision::default();
        // Help describes a path, never its data: any valid token may ask, as in Vault.
        if req.operation == Operation::Help {
            d.allowed = true;
            return d;
        }
        let Some((pattern, rule)) = self.find(req.path, req.operation == Operation::List) else {
            d.capabilities = vec!["deny".into()];
            d.reason = format!(
                "no rule of policies [{}] matches the path",
                self.policy_names.join(", ")
            );
            return d;
        };
        let perms = &rule.permissions;
        d.matched_path = pattern.to_string();
        d.sources = rule.sources.clone();
        d.capabilities = capability_names(perms.capabilities);
        if perms.capabilities & CAP_DENY != 0 {
            d.reason = format!("rule {pattern:?} denies the path");
            return d;
        }
        d.sudo = perms.capabilities & CAP_SUDO != 0;
        let needed = match req.operation {
            Operation::Read => CAP_READ,
            Operation::List => CAP_LIST,
            Operation::Update | Operation::Renew | Operation::Revoke | Operation::Rollback => {
                CAP_UPDATE
            }
            Operation::Create => CAP_CREATE,
            Operation::Delete => CAP_DELETE,
            Operation::Patch => CAP_PATCH,
            Operation::Help => CAP_READ,
            _ => {
                d.reason = format!(
                    "operation {:?} is not subject to policies",
                    req.operation.as_str()
                );
                return d;
            }
        };
        if perms.capabilities & needed == 0 {
            d.reason = format!(
                "rule {pattern:?} grants [{}], not {:?}",
                d.capabilities.join(", "),
                req.operation.as_str()
            );
            return d;
        }
        if !perms.max_wrapping_ttl.is_zero()
            && req.wrap_ttl.is_none_or(|t| t > perms.max_wrapping_ttl)
        {
            d.reason = format!(
                "rule {pattern:?} requires a wrapping TTL of at most {}s",
                perms.max_wrapping_ttl.as_secs()
            );
            return d;
        }
        if !perms.min_wrapping_ttl.is_zero()
            && req.wrap_ttl.is_none_or(|t| t < perms.min_wrapping_ttl)
        {
            d.reason = format!(
                "rule {pattern:?} requires a wrapping TTL of at least {}s",
                perms.min_wrapping_ttl.as_secs()
            );
            return d;
        }
        if matches!(
            req.operation,
            Operation::Read | Operation::Update | Operation::Create | Operation::Patch
        ) {
            if let Some(reason) = check_parameters(perms, req.data) {
                d.reason = format!("rule {pattern:?}: {reason}");
                return d;
            }
        }
        d.allowed = true;
        d
    }
}

/// Vault's parameter constraints; `Some(reason)` when they refuse the request.
fn check_parameters(perms: &Permissions, data: &serde_json::Map<String, Value>) -> Option<String> {
    for required in &perms.required_parameters {
        if !data.contains_key(required) {
            return Some(format!("required parameter {required:?} is missing"));
        }
    }
    if data.is_empty() {
        return None;
    }
    if !perms.denied_parameters.is_empty() {
        if perms.denied_parameters.contains_key("*") {
            return Some("all parameters are denied".into());
        }
        for (name, value) in data {
            if let Some(denied) = perms.denied_parameters.get(&name.to_lowercase()) {
                if value_in_list(value, denied) {
                    return Some(format!("parameter {name:?} is denied"));
                }
            }
        }
    }
    if perms.allowed_parameters.is_empty() {
        return None;
    }
    let allow_all = perms.allowed_parameters.contains_key("*");
    if allow_all && perms.allowed_parameters.len() == 1 {
        return None;
    }
    for (name, value) in data {
        match perms.allowed_parameters.get(&name.to_lowercase()) {
            None if !allow_all => return Some(format!("parameter {name:?} is not allowed")),
            Some(allowed) if !value_in_list(value, allowed) => {
                return Some(format!("value of parameter {name:?} is not allowed"))
            }
            _ => {}
        }
    }
    None
}

/// Vault's `valueInParameterList`: an empty list allows any value.
fn value_in_list(value: &Value, list: &[Value]) -> bool {
    list.is_empty() || value_in_slice(value, list)
}

/// Vault's `valueInSlice`: strings glob-match strings; anything else must be equal as Go's
/// `reflect.DeepEqual` sees it. A list in the request is compared as a whole, never element by
/// element, and a number never matches: Vault decodes request numbers as `json.Number` and
/// policy numbers as Go integers or floats, which are never equal.
fn value_in_slice(value: &Value, list: &[Value]) -> bool {
    list.iter().any(|el| match (el, value) {
        (Value::String(pattern), Value::String(v)) => glob_match(pattern, v),
        (Value::Number(_), _) | (_, Value::Number(_)) => false,
        (a, b) => a == b,
    })
}

/// Vault's `GlobbedStringsMatch`: `*` at the start and/or end of the pattern.
pub fn glob_match(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let starts = pattern.starts_with('*');
    let ends = pattern.len() > 1 && pattern.ends_with('*');
    match (starts, ends) {
        (true, true) => value.contains(&pattern[1..pattern.len() - 1]),
        (true, false) => value.ends_with(&pattern[1..]),
        (false, true) => value.starts_with(&pattern[..pattern.len() - 1]),
        (false, false) => pattern == value,
    }
}

/// The `default` policy as Vault ships it.
pub const DEFAULT_POLICY: &str = include_str!("default_policy.hcl");

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn acl(docs: &[(&str, &str)]) -> Acl {
        let policies: Vec<Arc<Policy>> = docs
            .iter()
            .map(|(n, d)| Arc::new(Policy::parse(n, d).unwrap()))
            .collect();
        Acl::new(&policies)
    }

    fn allowed(acl: &Acl, op: Operation, path: &str, data: Value) -> bool {
        let Value::Object(data) = data else { panic!() };
        acl.check(&AclRequest {
            path,
            operation: op,
            data: &data,
            wrap_ttl: None,
        })
        .allowed
    }

    #[test]
    fn priority_rules_match_vault() {
        let a = acl(&[(
            "p",
            r#"
path "secret/*" { capabilities = ["read"] }
path "secret/super-secret" { capabilities = ["deny"] }
path "secret/+/team" { capabilities = ["update"] }
path "secret/a*" { capabilities = ["list"] }
path "+/b/*" { capabilities = ["delete"] }
"#,
        )]);
        let cases = [
            (Operation::Read, "secret/foo", true),
            (Operation::Read, "secret/super-secret", false),
            (Operation::Read, "secret/super-secretx", true),
            // secret/+/team ranks above secret/* (first wildcard later), below nothing else
            (Operation::Update, "secret/x/team", true),
            (Operation::Read, "secret/x/team", false),
            // secret/a* (longer prefix) beats secret/*
            (Operation::List, "secret/abc", true),
            (Operation::Read, "secret/abc", false),
            // "+/b/*" has its first wildcard at 0, so "secret/*" wins for secret/b/c
            (Operation::Read, "secret/b/c", true),
            (Operation::Delete, "other/b/c", true),
            (Operation::Read, "nothing", false),
        ];
        for (op, path, want) in cases {
            assert_eq!(allowed(&a, op, path, json!({})), want, "{op:?} {path}");
        }
    }

    #[test]
    fn deny_wins_within_a_pattern_across_policies() {
        let a = acl(&[
            ("a", r#"path "kv/x" { capabilities = ["read", "update"] }"#),
            ("b", r#"path "kv/x" { capabilities = ["deny"] }"#),
            ("c", r#"path "kv/y" { capabilities = ["read"] }"#),
            ("d", r#"path "kv/y" { capabilities = ["update"] }"#),
        ]);
        assert!(!allowed(&a, Operation::Read, "kv/x", json!({})));
        assert!(allowed(&a, Operation::Read, "kv/y", json!({})));
        assert!(allowed(&a, Operation::Update, "kv/y", json!({})));
        assert_eq!(a.capabilities("kv/y"), vec!["read", "update"]);
        assert_eq!(a.capabilities("kv/x"), vec!["deny"]);
    }

    #[test]
    fn parameter_constraints() {
        let a = acl(&[(
            "p",
            r#"
path "sys/mounts/*" {
  capabilities = ["create", "update"]
  allowed_parameters = {
    "type" = ["kv", "transit*"]
    "description" = []
  }
  denied_parameters = { "config" = [] }
}
path "need" {
  capabilities = ["update"]
  required_parameters = ["name"]
}
"#,
        )]);
        let cases = [
            (json!({"type": "kv"}), true),
            (json!({"type": "transit-x", "description": "d"}), true),
            (json!({"type": "pki"}), false),
            (json!({"other": 1}), false),
            (json!({"config": {}}), false),
            (json!({}), true),
        ];
        for (data, want) in cases {
            assert_eq!(
                allowed(&a, Operation::Update, "sys/mounts/x", data.clone()),
                want,
                "{data}"
            );
        }
        assert!(!allowed(&a, Operation::Update, "need", json!({"x": 1})));
        assert!(allowed(&a, Operation::Update, "need", json!({"name": "n"})));
    }

    /// The cases where Vault's `valueInSlice` (glob for strings, DeepEqual otherwise) is
    /// stricter or looser than a reading by element or by text would be.
    #[test]
    fn parameter_values_compare_as_vault_does() {
        let a = acl(&[(
            "p",
            r#"
path "params" {
  capabilities = ["update"]
  allowed_parameters = { "foo" = ["bar", "baz*"]  "n" = ["5"]  "m" = [5]  "b" = [true] }
}
path "denied" {
  capabilities = ["update"]
  denied_parameters = { "x" = ["no*"] }
}
"#,
        )]);
        let cases = [
            ("params", json!({"foo": "bar"}), true),
            ("params", json!({"foo": "bazooka"}), true),
            ("params", json!({"foo": ["bar"]}), false),
            ("params", json!({"n": 5}), false),
            ("params", json!({"n": "5"}), true),
            ("params", json!({"m": 5}), false),
            ("params", json!({"b": true}), true),
            ("params", json!({"b": "true"}), false),
            ("denied", json!({"x": "nope"}), false),
            ("denied", json!({"x": ["nope"]}), true),
            ("denied", json!({"x": "yes"}), true),
        ];
        for (path, data, want) in cases {
            assert_eq!(
                allowed(&a, Operation::Update, path, data.clone()),
                want,
                "{path} {data}"
            );
        }
    }

    #[test]
    fn capabilities_of_a_folder_find_the_exact_rule_as_a_list_would() {
        let a = acl(&[(
            "p",
            r#"
path "kv/dir" { capabilities = ["list"] }
path "kv/*" { capabilities = ["deny"] }
"#,
        )]);
        assert_eq!(a.capabilities("kv/dir/"), vec!["list"]);
        assert_eq!(a.capabilities("kv/other/"), vec!["deny"]);
    }

    #[test]
    fn list_matches_exact_rule_without_slash_and_root_allows_all() {
        let a = acl(&[("p", r#"path "secret/metadata" { capabilities = ["list"] }"#)]);
        assert!(allowed(&a, Operation::List, "secret/metadata/", json!({})));
        let root = acl(&[("root", "")]);
        assert!(allowed(&root, Operation::Delete, "sys/anything", json!({})));
    }

    #[test]
    fn wrapping_ttl_bounds() {
        let a = acl(&[(
            "p",
            r#"path "w" { capabilities = ["read"] min_wrapping_ttl = "10s" max_wrapping_ttl = 60 }"#,
        )]);
        let data = serde_json::Map::new();
        let check = |ttl: Option<u64>| {
            a.check(&AclRequest {
                path: "w",
                operation: Operation::Read,
                data: &data,
                wrap_ttl: ttl.map(Duration::from_secs),
            })
            .allowed
        };
        assert!(!check(None));
        assert!(!check(Some(5)));
        assert!(check(Some(30)));
        assert!(!check(Some(61)));
    }

    #[test]
    fn invalid_documents_name_the_problem() {
        let cases = [
            (
                r#"path "a" { capabilities = ["fly"] }"#,
                "invalid capability",
            ),
            (r#"path "a" { bogus = 1 }"#, "invalid key"),
            ("path \"a\" {\n capabilities = [\"read\"\n", "line 2"),
            (r#"thing "a" {}"#, "invalid key"),
            (
                r#"path "a/+*" { capabilities = ["read"] }"#,
                "'+*' is forbidden",
            ),
            (
                r#"path "a" { capabilities = ["READ"] }"#,
                "invalid capability",
            ),
            (r#"path "a" { capabilities = "read" }"#, "must be a list"),
        ];
        for (doc, want) in cases {
            let e = Policy::parse("x", doc).unwrap_err().to_string();
            assert!(e.contains(want), "{doc}: {e}");
        }
    }

    #[test]
    fn default_policy_parses() {
        let p = Policy::parse("default", DEFAULT_POLICY).unwrap();
        let a = Acl::new(&[Arc::new(p)]);
        assert!(allowed(
            &a,
            Operation::Read,
            "auth/token/lookup-self",
            json!({})
        ));
        assert!(allowed(&a, Operation::Update, "cubbyhole/x", json!({})));
        assert!(!allowed(&a, Operation::Read, "secret/x", json!({})));
    }

    #[test]
    fn globs() {
        for (p, v, want) in [
            ("*", "x", true),
            ("a*", "abc", true),
            ("*c", "abc", true),
            ("*b*", "abc", true),
            ("a", "ab", false),
        ] {
            assert_eq!(glob_match(p, v), want, "{p} {v}");
        }
    }
}

#[cfg(test)]
mod reference_model {
    //! Compares the matcher with a plain reading of Vault's documented priority rules on
    //! random policies and paths.
    use super::*;
    use proptest::prelude::*;

    /// Does `pattern` match `path`, by the documented meaning of `*` and `+`?
    fn matches(pattern: &str, path: &str) -> bool {
        let (body, glob) = match pattern.strip_suffix('*') {
            Some(b) => (b, true),
            None => (pattern, false),
        };
        if !body.contains('+') {
            return if glob {
                path.starts_with(body)
            } else {
                path == body
            };
        }
        let pat: Vec<&str> = body.split('/').collect();
        let segs: Vec<&str> = path.split('/').collect();
        if segs.len() < pat.len() || (!glob && segs.len() != pat.len()) {
            return false;
        }
        pat.iter().enumerate().all(|(i, p)| {
            *p == "+" || *p == segs[i] || (glob && i + 1 == pat.len() && segs[i].starts_with(p))
        })
    }

    /// The documented priority: higher is better.
    fn rank(pattern: &str) -> (usize, bool, usize, usize, String) {
        let first = pattern.find(['+', '*']).unwrap_or(pattern.len());
        let glob = pattern.ends_with('*');
        let body = pattern.strip_suffix('*').unwrap_or(pattern);
        let plus = body.split('/').filter(|s| *s == "+").count();
        (
            first,
            !glob,
            usize::MAX - plus,
            body.len(),
            body.to_string(),
        )
    }

    fn reference(patterns: &[(String, u32)], path: &str) -> Option<u32> {
        if let Some((_, caps)) = patterns.iter().find(|(p, _)| p == path) {
            return Some(*caps);
        }
        patterns
            .iter()
            .filter(|(p, _)| p.contains(['*', '+']) && matches(p, path))
            .max_by(|a, b| rank(&a.0).cmp(&rank(&b.0)))
            .map(|(_, c)| *c)
    }

    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("a".to_string()),
            Just("b".to_string()),
            Just("ab".to_string()),
            Just("+".to_string())
        ]
    }

    fn pattern() -> impl Strategy<Value = String> {
        (
            proptest::collection::vec(segment(), 1..4),
            prop_oneof![Just(""), Just("*"), Just("/*")],
        )
            .prop_map(|(segs, tail)| format!("{}{}", segs.join("/"), tail))
            .prop_filter("Vault forbids '+*'", |p| !p.contains("+*"))
    }

    fn path() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![Just("a"), Just("b"), Just("ab"), Just("abc")],
            1..5,
        )
        .prop_map(|s| s.join("/"))
    }

    const CAPS: [u32; 6] = [
        CAP_READ, CAP_LIST, CAP_UPDATE, CAP_DELETE, CAP_CREATE, CAP_PATCH,
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn matcher_agrees_with_documented_rules(patterns in proptest::collection::vec(pattern(), 1..7), paths in proptest::collection::vec(path(), 1..8)) {
            let mut unique: Vec<(String, u32)> = Vec::new();
            for (i, p) in patterns.iter().enumerate() {
                if !unique.iter().any(|(q, _)| q == p) {
                    unique.push((p.clone(), CAPS[i % CAPS.len()] | (1 << (8 + i))));
                }
            }
            let policy = Policy {
                name: "p".into(),
                raw: String::new(),
                rules: unique
                    .iter()
                    .map(|(p, caps)| PathRule {
                        path: p.clone(),
                        permissions: Permissions { capabilities: *caps, ..Default::default() },
                        line: 1,
                    })
                    .collect(),
            };
            let acl = Acl::new(&[Arc::new(policy)]);
            for path in &paths {
                let got = acl.find(path, false).map(|(_, r)| r.permissions.capabilities);
                prop_assert_eq!(got, reference(&unique, path), "path {} patterns {:?}", path, unique);
            }
        }
    }
}
