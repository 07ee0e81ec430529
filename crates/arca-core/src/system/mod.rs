//! The system backend (`sys/`): mounts, auth methods, policies, capabilities, leases,
//! wrapping, audit devices, keyring rotation, rekey and generate-root. Built on the same
//! path framework as every engine; it reaches the core through a weak reference.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use arca_sdk::{
    Backend, Error, ExistingLease, FieldData, FieldType, Operation, Path, PathRouter, Request,
    Response, Result, SpecialPaths,
};
use async_trait::async_trait;
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::audit::DeviceSpec;
use crate::core::Core;
use crate::mounts::{MountConfig, MountEntry, MountTable};
use crate::request::ClientRequest;

/// State of a `sys/remount` migration, answered by `sys/remount/status/<id>`.
#[derive(Debug, Clone)]
pub struct RemountStatus {
    pub source: String,
    pub target: String,
    pub status: String,
    pub start_time: String,
    pub end_time: String,
}

pub struct SystemBackend {
    core: Weak<Core>,
    router: PathRouter<SystemBackend>,
}

macro_rules! h {
    ($m:ident) => {
        |b: &SystemBackend, r: &Request, d: FieldData<'_>| Box::pin(b.$m(r, d))
    };
}

mod audit;
mod leases;
mod mounts;
mod mounts_ui;
mod paths;
mod policies;
mod seal;
mod tools;
mod wrapping;

fn ok(data: Map<String, Value>) -> Result<Option<Response>> {
    Ok(Some(Response::data(data)))
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

impl SystemBackend {
    pub fn new(core: Weak<Core>) -> Self {
        SystemBackend {
            core,
            router: PathRouter::new(Self::paths()),
        }
    }

    fn core(&self) -> Result<Arc<Core>> {
        self.core.upgrade().ok_or(Error::Sealed)
    }
}

#[async_trait]
impl Backend for SystemBackend {
    async fn handle(&self, req: &Request) -> Result<Option<Response>> {
        self.router.route(self, req).await
    }

    fn special_paths(&self) -> SpecialPaths {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        SpecialPaths {
            root: s(&[
                "auth/*",
                "remount",
                "audit",
                "audit/*",
                "raw",
                "raw/*",
                "rotate",
                "rotate/keyring",
                "rotate/root",
                "config/cors",
                "config/auditing/*",
                "config/ui/headers/*",
                "plugins/catalog/*",
                "revoke-prefix/*",
                "revoke-force/*",
                "leases/revoke-prefix/*",
                "leases/revoke-force/*",
                "leases/lookup/*",
                "leases",
                "internal/inspect/*",
                "seal",
                "step-down",
                "policies/explain",
            ]),
            unauthenticated: s(&[
                "wrapping/lookup",
                "wrapping/unwrap",
                "internal/specs/openapi",
                "internal/ui/mounts",
                "internal/ui/mounts/*",
                "decode-token",
                "rekey/init",
                "rekey/update",
                "rekey/verify",
                "generate-root/attempt",
                "generate-root/update",
            ]),
        }
    }

    fn openapi(&self, mount_point: &str) -> Map<String, Value> {
        self.router.openapi_paths(mount_point)
    }
}
