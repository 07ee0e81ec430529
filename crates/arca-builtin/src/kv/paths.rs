//! The declared paths of both KV versions, for `path-help` and the OpenAPI document.
//! Requests are dispatched by `v1`/`v2` themselves (OpenBao's field conversion messages
//! and the one-get read path need that), so the handlers declared here only document which
//! operations exist and are never called.

use arca_sdk::{BoxFuture, Result};
use arca_sdk::{Error, FieldData, FieldType, Operation, Path, PathRouter, Request, Response};

use super::Kv;

fn documented<'a>(
    _b: &'a Kv,
    _r: &'a Request,
    _d: FieldData<'a>,
) -> BoxFuture<'a, Result<Option<Response>>> {
    Box::pin(async { Err(Error::UnsupportedOperation) })
}

const PATH: &str = "Location of the secret.";

pub fn v1_router() -> PathRouter<Kv> {
    PathRouter::new(vec![Path::new("{path*}")
        .field("path", FieldType::String, PATH)
        .accept_any_field()
        .op(Operation::Read, documented)
        .op(Operation::Create, documented)
        .op(Operation::Update, documented)
        .op(Operation::Delete, documented)
        .op(Operation::List, documented)
        .help(
            "Pass-through secret storage to the storage backend, allowing you to read/write arbitrary data into secret storage.",
            "The pass-through backend reads and writes arbitrary data into secret storage, encrypting it along the way.\n\nA TTL can be specified when writing with the \"ttl\" field. If given, the duration of leases returned by this backend will be set to this value. This can be used as a hint from the writer of a secret to the consumer of a secret that the consumer should re-read the value before the TTL has expired. However, any revocation must be handled by the user of this backend; the lease duration does not affect the provided data in any way.",
        )])
}

pub fn v2_router() -> PathRouter<Kv> {
    let versions = "The versions to act on, as a list or a comma-separated string.";
    PathRouter::new(vec![
        Path::new("config")
            .field("max_versions", FieldType::Int, "The number of versions to keep for each key. Defaults to 10")
            .field("cas_required", FieldType::Bool, "If true, the backend will require the cas parameter to be set for each write")
            .field("metadata_cas_required", FieldType::Bool, "If true, the backend will require the metadata_cas parameter to be set for each metadata update")
            .field("delete_version_after", FieldType::Duration, "If set, the length of time before a version is deleted. A negative duration disables the use of delete_version_after on all keys. A zero duration clears the current setting. Accepts a Go duration format string.")
            .op(Operation::Read, documented)
            .op(Operation::Update, documented)
            .help("Configures settings for the KV store", "This path configures backend level settings that are applied to every key in the key-value store."),
        Path::new("data/{path*}")
            .field("path", FieldType::String, PATH)
            .field("version", FieldType::Int, "If provided during a read, the value at the version number will be returned")
            .field("options", FieldType::Map, "Options for writing a KV entry. Set the \"cas\" value to use a Check-And-Set operation. If not set the write will be allowed. If set to 0 a write will only be allowed if the key doesn't exist. If the index is non-zero the write will only be allowed if the key's current version matches the version specified in the cas parameter.")
            .field("data", FieldType::Map, "The contents of the data map will be stored and returned on read.")
            .op(Operation::Read, documented)
            .op(Operation::Update, documented)
            .op(Operation::Patch, documented)
            .op(Operation::Delete, documented)
            .help("Write, Patch, Read, and Delete data in the Key-Value Store.", "This path takes a key name and based on the operation stores, retrieves or deletes versions of data. Each write creates a new version; a patch applies a JSON merge patch to the current version; a delete is a soft delete of the latest version that can be undone."),
        Path::new("metadata/{path*}")
            .field("path", FieldType::String, PATH)
            .field("cas_required", FieldType::Bool, "If true the key will require the cas parameter to be set on all write requests. If false, the backend's configuration will be used.")
            .field("metadata_cas_required", FieldType::Bool, "If true the key will require the cas parameter to be set on all metadata update requests. If false, the backend's configuration will be used.")
            .field("max_versions", FieldType::Int, "The number of versions to keep. If not set, the backend's configured max version is used.")
            .field("delete_version_after", FieldType::Duration, "The length of time before a version is deleted. If not set, the backend's configured delete_version_after is used. A zero duration clears the current setting.")
            .field("custom_metadata", FieldType::Map, "User-provided key-value pairs that are used to describe arbitrary and version-agnostic information about a secret.")
            .field("metadata_cas", FieldType::Int, "Check-and-set parameter for metadata updates. Must match the current metadata version for the update to succeed. Set to 0 for initial metadata creation.")
            .field("after", FieldType::String, "Optional entry to list begin listing after, not required to exist. Only used for listing.")
            .field("limit", FieldType::Int, "Optional number of entries to return; defaults to all entries. Only used for listing.")
            .op(Operation::Read, documented)
            .op(Operation::Update, documented)
            .op(Operation::Patch, documented)
            .op(Operation::Delete, documented)
            .op(Operation::List, documented)
            .help("Allows interaction with key metadata and settings in the KV store.", "This endpoint allows for reading key metadata in the key-value store, writing key settings, or permanently deleting a key and all its versions."),
        Path::new("detailed-metadata/{path*}")
            .field("path", FieldType::String, PATH)
            .field("after", FieldType::String, "Optional entry to list begin listing after, not required to exist. Only used for listing.")
            .field("limit", FieldType::Int, "Optional number of entries to return; defaults to all entries. Only used for listing.")
            .op(Operation::List, documented)
            .help("Allows listing detailed information about key metadata in the KV store.", "This endpoint allows for listing keys and their metadata in the key-value store."),
        Path::new("delete/{path*}")
            .field("path", FieldType::String, PATH)
            .field("versions", FieldType::CommaStringSlice, versions)
            .op(Operation::Update, documented)
            .help("Marks one or more versions as deleted in the KV store.", "Deletes the data for the provided version and path in the key-value store. The versioned data will not be fully removed, but marked as deleted and will no longer be returned in normal get requests. This operation can be undone."),
        Path::new("undelete/{path*}")
            .field("path", FieldType::String, PATH)
            .field("versions", FieldType::CommaStringSlice, versions)
            .op(Operation::Update, documented)
            .help("Undeletes one or more versions from the KV store.", "Undeletes the data for the provided version and path in the key-value store. This restores the data, allowing it to be returned on get requests."),
        Path::new("destroy/{path*}")
            .field("path", FieldType::String, PATH)
            .field("versions", FieldType::CommaStringSlice, versions)
            .op(Operation::Update, documented)
            .help("Permanently removes one or more versions in the KV store", "Permanently removes the specified version data for the provided key and version numbers from the key-value store."),
        Path::new("subkeys/{path*}")
            .field("path", FieldType::String, PATH)
            .field("depth", FieldType::Int, "The maximum depth to traverse. No limit will be imposed if not provided or if 0.")
            .field("version", FieldType::Int, "Specifies which version to retrieve. If not provided, the current version will be used.")
            .op(Operation::Read, documented)
            .help("Read the structure of a secret entry from the Key-Value store with the values removed.", "This endpoint provides the subkeys within a secret entry that exists at the requested path, with every leaf value replaced by null. \"depth\" limits the nesting shown (0: no limit); \"version\" selects the version."),
    ])
}
