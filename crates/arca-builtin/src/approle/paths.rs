//! The declared paths of the AppRole method: routing, fields and help in one place.

use arca_sdk::token_fields::{auth_token_fields, LegacyAlias};
use arca_sdk::{FieldData, FieldType, Operation, Path, Request};

use super::fields::RoleField;
use super::AppRole;

macro_rules! h {
    ($m:ident) => {
        |b: &AppRole, r: &Request, d: FieldData<'_>| Box::pin(b.$m(r, d))
    };
}

const ROLE_NAME: &str = "Name of the role. Must be less than 4096 bytes.";
const SECRET_ID_NUM_USES: &str = "Number of times a SecretID can access the role, after which the SecretID will expire. Defaults to 0 meaning that the the secret_id is of unlimited use.";
const SECRET_ID_TTL: &str = "Duration in seconds after which the issued SecretID should expire. Defaults to 0, meaning no expiration.";
const SECRET_ID_BOUND_CIDRS: &str = "Comma separated string or list of CIDR blocks. If set, specifies the blocks of IP addresses which can perform the login operation.";
const TOKEN_BOUND_CIDRS: &str = "Comma separated string or JSON list of CIDR blocks. If set, specifies the blocks of IP addresses which are allowed to use the generated token.";
const BOUND_CIDR_LIST: &str = "Use \"secret_id_bound_cidrs\" instead.";
const LIST_AFTER: &str = "Optional entry to list begin listing after, not required to exist.";
const LIST_LIMIT: &str = "Optional number of entries to return; defaults to all entries.";

/// A `role/<name>/<suffix>` path serving one role setting.
fn field_path(
    suffix: &str,
    field: RoleField,
    fields: &[(&'static str, FieldType, &'static str)],
    ops: &[Operation],
    synopsis: &'static str,
) -> Path<AppRole> {
    let mut p = Path::new(&format!("role/{{role_name}}/{suffix}")).field(
        "role_name",
        FieldType::String,
        ROLE_NAME,
    );
    for (name, ty, help) in fields {
        p = p.field(name, *ty, help);
    }
    for op in ops {
        p = match op {
            Operation::Read => p.op(*op, move |b: &AppRole, _r: &Request, d: FieldData<'_>| {
                Box::pin(b.field_read(d, field))
            }),
            Operation::Delete => p.op(*op, move |b: &AppRole, _r: &Request, d: FieldData<'_>| {
                Box::pin(b.field_delete(d, field))
            }),
            _ => p.op(*op, move |b: &AppRole, _r: &Request, d: FieldData<'_>| {
                Box::pin(b.field_update(d, field))
            }),
        };
    }
    p.help(synopsis, "")
}

const RUD: &[Operation] = &[Operation::Read, Operation::Update, Operation::Delete];

fn secret_id_issue_fields(p: Path<AppRole>) -> Path<AppRole> {
    p.field("metadata", FieldType::Any, "Metadata to be tied to the SecretID. This should be a JSON formatted string containing the metadata in key value pairs.")
        .field("cidr_list", FieldType::CommaStringSlice, "Comma separated string or list of CIDR blocks enforcing secret IDs to be used from specific set of IP addresses. If 'bound_cidr_list' is set on the role, then the list of CIDR blocks listed here should be a subset of the CIDR blocks listed on the role.")
        .field("token_bound_cidrs", FieldType::CommaStringSlice, "Comma separated string or list of CIDR blocks. If set, specifies the blocks of IP addresses which can use the returned token. Should be a subset of the token CIDR blocks listed on the role, if any.")
        .field("num_uses", FieldType::Int, "Number of times this SecretID can be used, after which the SecretID expires. Overrides secret_id_num_uses role option when supplied. May not be higher than role's secret_id_num_uses.")
        .field("ttl", FieldType::Duration, "Duration in seconds after which this SecretID expires. Overrides secret_id_ttl role option when supplied. May not be longer than role's secret_id_ttl.")
}

pub(super) fn paths() -> Vec<Path<AppRole>> {
    vec![
        Path::new("login")
            .field("role_id", FieldType::String, "Unique identifier of the Role. Required to be supplied when the 'bind_secret_id' constraint is set.")
            .field("secret_id", FieldType::String, "SecretID belong to the App role")
            .op(Operation::Update, h!(login))
            .help("Issue a token based on the credentials supplied", "While the credential 'role_id' is required at all times, other credentials required depends on the properties App role to which the 'role_id' belongs to."),
        Path::new("tidy/secret-id")
            .op(Operation::Update, h!(tidy))
            .help("Trigger the clean-up of expired SecretID entries.", "SecretIDs will have expiration time attached to them. The periodic function of the backend will look for expired entries and delete them. This happens once in a minute. Invoking this endpoint will trigger the clean-up action, without waiting for the backend's periodic function."),
        Path::new("role")
            .field("after", FieldType::String, LIST_AFTER)
            .field("limit", FieldType::Int, LIST_LIMIT)
            .op(Operation::List, h!(role_list))
            .help("Lists all the roles registered with the backend.", "The list will contain the names of the roles."),
        Path::new("role/{role_name}")
            .field("role_name", FieldType::String, ROLE_NAME)
            .field("bind_secret_id", FieldType::Bool, "Impose secret_id to be presented when logging in using this role. Defaults to 'true'.")
            .field("bound_cidr_list", FieldType::CommaStringSlice, BOUND_CIDR_LIST)
            .field("secret_id_bound_cidrs", FieldType::CommaStringSlice, SECRET_ID_BOUND_CIDRS)
            .field("secret_id_num_uses", FieldType::Int, SECRET_ID_NUM_USES)
            .field("secret_id_ttl", FieldType::Duration, SECRET_ID_TTL)
            .field("role_id", FieldType::String, "Identifier of the role. Defaults to a UUID.")
            .field("local_secret_ids", FieldType::Bool, "If set, the secret IDs generated using this role will be cluster local. This can only be set during role creation and once set, it can't be reset later.")
            .fields(auth_token_fields(&[LegacyAlias::Policies, LegacyAlias::Period]))
            .existence(|b: &AppRole, r: &Request, d: FieldData<'_>| Box::pin(b.role_exists(r, d)))
            .op(Operation::Read, h!(role_read))
            .op(Operation::Create, h!(role_write))
            .op(Operation::Update, h!(role_write))
            .op(Operation::Delete, h!(role_delete))
            .help("Register an role with the backend.", "A role can represent a service, a machine or anything that can be IDed. The set of policies on the role defines access to the role."),
        field_path("local-secret-ids", RoleField::LocalSecretIds, &[], &[Operation::Read], "Enables cluster local secret IDs"),
        field_path("policies", RoleField::Policies, &[
            ("policies", FieldType::CommaStringSlice, "Use \"token_policies\" instead. If this and \"token_policies\" are both specified, only \"token_policies\" will be used."),
            ("token_policies", FieldType::CommaStringSlice, "Comma-separated list of policies"),
        ], RUD, "Policies of the role."),
        field_path("bound-cidr-list", RoleField::BoundCidrList, &[("bound_cidr_list", FieldType::CommaStringSlice, BOUND_CIDR_LIST)], RUD, "Deprecated: Comma separated list of CIDR blocks, if set, specifies blocks of IP addresses which can perform the login operation"),
        field_path("secret-id-bound-cidrs", RoleField::SecretIdBoundCidrs, &[("secret_id_bound_cidrs", FieldType::CommaStringSlice, SECRET_ID_BOUND_CIDRS)], RUD, "Comma separated list of CIDR blocks, if set, specifies blocks of IP addresses which can perform the login operation"),
        field_path("token-bound-cidrs", RoleField::TokenBoundCidrs, &[("token_bound_cidrs", FieldType::CommaStringSlice, TOKEN_BOUND_CIDRS)], RUD, "Comma separated string or list of CIDR blocks. If set, specifies the blocks of IP addresses which can use the returned token."),
        field_path("bind-secret-id", RoleField::BindSecretId, &[("bind_secret_id", FieldType::Bool, "Impose secret_id to be presented when logging in using this role.")], RUD, "Impose secret_id to be presented during login using this role."),
        field_path("secret-id-num-uses", RoleField::SecretIdNumUses, &[("secret_id_num_uses", FieldType::Int, SECRET_ID_NUM_USES)], RUD, "Use limit of the SecretID generated against the role."),
        field_path("secret-id-ttl", RoleField::SecretIdTtl, &[("secret_id_ttl", FieldType::Duration, SECRET_ID_TTL)], RUD, "Duration in seconds of the SecretID generated against the role."),
        field_path("period", RoleField::Period, &[
            ("period", FieldType::Duration, "Use \"token_period\" instead. If this and \"token_period\" are both specified, only \"token_period\" will be used."),
            ("token_period", FieldType::Duration, "If set, tokens created via this role will have no max lifetime; instead, their renewal period will be fixed to this value."),
        ], RUD, "Updates the value of 'period' on the role"),
        field_path("token-num-uses", RoleField::TokenNumUses, &[("token_num_uses", FieldType::Int, "The maximum number of times a token may be used, a value of zero means unlimited")], RUD, "Number of times issued tokens can be used"),
        field_path("token-ttl", RoleField::TokenTtl, &[("token_ttl", FieldType::Duration, "The initial ttl of the token to generate")], RUD, "Duration in seconds, the lifetime of the token issued by using the SecretID that is generated against this role, before which the token needs to be renewed."),
        field_path("token-max-ttl", RoleField::TokenMaxTtl, &[("token_max_ttl", FieldType::Duration, "The maximum lifetime of the generated token")], RUD, "Duration in seconds, the maximum lifetime of the tokens issued by using the SecretIDs that were generated against this role, after which the tokens are not allowed to be renewed."),
        field_path("role-id", RoleField::RoleId, &[("role_id", FieldType::String, "Identifier of the role. Defaults to a UUID.")], &[Operation::Read, Operation::Update], "Returns the 'role_id' of the role."),
        secret_id_issue_fields(Path::new("role/{role_name}/secret-id"))
            .field("role_name", FieldType::String, ROLE_NAME)
            .field("after", FieldType::String, LIST_AFTER)
            .field("limit", FieldType::Int, LIST_LIMIT)
            .op(Operation::Update, h!(secret_id_generate))
            .op(Operation::List, h!(secret_id_list))
            .help("Generate a SecretID against this role.", "The SecretID generated using this endpoint will be scoped to access just this role and none else."),
        Path::new("role/{role_name}/secret-id/lookup")
            .field("role_name", FieldType::String, ROLE_NAME)
            .field("secret_id", FieldType::String, "SecretID attached to the role.")
            .op(Operation::Update, h!(secret_id_lookup))
            .help("Read the properties of an issued secret_id", ""),
        Path::new("role/{role_name}/secret-id/destroy")
            .field("role_name", FieldType::String, ROLE_NAME)
            .field("secret_id", FieldType::String, "SecretID attached to the role.")
            .op(Operation::Update, h!(secret_id_destroy))
            .op(Operation::Delete, h!(secret_id_destroy))
            .help("Invalidate an issued secret_id", ""),
        Path::new("role/{role_name}/secret-id-accessor/lookup")
            .field("role_name", FieldType::String, ROLE_NAME)
            .field("secret_id_accessor", FieldType::String, "Accessor of the SecretID")
            .op(Operation::Update, h!(accessor_lookup))
            .help("Read an issued secret_id, using its accessor", ""),
        Path::new("role/{role_name}/secret-id-accessor/destroy")
            .field("role_name", FieldType::String, ROLE_NAME)
            .field("secret_id_accessor", FieldType::String, "Accessor of the SecretID")
            .op(Operation::Update, h!(accessor_destroy))
            .op(Operation::Delete, h!(accessor_destroy))
            .help("Delete an issued secret_id, using its accessor", ""),
        secret_id_issue_fields(Path::new("role/{role_name}/custom-secret-id"))
            .field("role_name", FieldType::String, ROLE_NAME)
            .field("secret_id", FieldType::String, "SecretID to be attached to the role.")
            .op(Operation::Update, h!(secret_id_custom))
            .help("Assign a SecretID of choice against the role.", "This option is not recommended unless there is a specific need to do so."),
    ]
}
