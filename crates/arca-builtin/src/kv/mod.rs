//! The KV secrets engine, mount type `kv`. The mount's `options.version` ("1" or "2")
//! chooses the behaviour: [`v1`] stores one object per path; [`v2`] keeps versions with
//! metadata. A tune that raises the version to 2 moves the v1 data into v2 ([`upgrade`]).
//!
//! Both versions answer requests themselves rather than through the SDK's generic router:
//! the hot read path is one storage get and one JSON parse, and field errors carry
//! OpenBao's exact texts ([`fields`]). The router still declares every path for help and
//! OpenAPI ([`paths`]).

pub mod fields;
mod patch;
mod paths;
pub mod upgrade;
pub mod v1;
pub mod v2;

use std::collections::HashMap;
use std::sync::Arc;

use arca_sdk::{
    Backend, BackendContext, BackendKind, BackendType, Operation, PathRouter, Request, Response,
    Result, StorageView,
};
use async_trait::async_trait;
use serde_json::{Map, Value};
use tokio::sync::RwLock;

/// A stored entry that does not decode. serde's message can quote the offending value, which
/// may be secret, so only the kind of error and its position are reported.
pub(crate) fn decode_error(what: &str, e: &serde_json::Error) -> arca_sdk::Error {
    arca_sdk::Error::internal(format!(
        "{what}: malformed stored entry ({:?} error at line {} column {})",
        e.classify(),
        e.line(),
        e.column()
    ))
}

/// Which version a mount currently serves.
enum Mode {
    V1(v1::V1),
    V2(v2::V2),
}

pub struct Kv {
    storage: StorageView,
    /// Requests hold the read side; an upgrade holds the write side while it moves the
    /// data, so no request sees a half-moved mount.
    mode: RwLock<Mode>,
    v1_paths: PathRouter<Kv>,
    v2_paths: PathRouter<Kv>,
}

pub fn backend_type() -> BackendType {
    BackendType {
        name: "kv",
        kind: BackendKind::Secrets,
        version: "",
        factory: Arc::new(|ctx: BackendContext| {
            Box::pin(async move { Ok(Arc::new(Kv::new(ctx).await?) as Arc<dyn Backend>) })
        }),
    }
}

fn wants_v2(options: &HashMap<String, String>) -> bool {
    options.get("version").map(String::as_str) == Some("2")
}

impl Kv {
    pub async fn new(ctx: BackendContext) -> Result<Kv> {
        let storage = ctx.storage.clone();
        let v2 = wants_v2(&ctx.options);
        // An upgrade interrupted by a crash is finished if its tune committed (the mount
        // is v2), undone otherwise.
        if upgrade::marker_present(&storage).await? {
            if v2 {
                upgrade::upgrade(&storage).await?;
            } else {
                upgrade::rollback(&storage).await?;
            }
        }
        let mode = if v2 {
            Mode::V2(v2::V2::load(storage.clone()).await?)
        } else {
            Mode::V1(v1::V1::new(storage.clone(), ctx.system.clone()))
        };
        Ok(Kv {
            storage,
            mode: RwLock::new(mode),
            v1_paths: paths::v1_router(),
            v2_paths: paths::v2_router(),
        })
    }

    /// The mount's version, 1 or 2.
    pub async fn version(&self) -> u8 {
        match &*self.mode.read().await {
            Mode::V1(_) => 1,
            Mode::V2(_) => 2,
        }
    }
}

#[async_trait]
impl Backend for Kv {
    async fn handle(&self, req: &Request) -> Result<Option<Response>> {
        let mode = self.mode.read().await;
        if req.operation == Operation::Help {
            let router = match &*mode {
                Mode::V1(_) => &self.v1_paths,
                Mode::V2(_) => &self.v2_paths,
            };
            return router.route(self, req).await;
        }
        match &*mode {
            Mode::V1(b) => b.handle(req).await,
            Mode::V2(b) => b.handle(req).await,
        }
    }

    async fn existence(&self, req: &Request) -> Result<Option<bool>> {
        match &*self.mode.read().await {
            Mode::V1(b) => b.existence(req).await,
            Mode::V2(b) => b.existence(req).await,
        }
    }

    fn openapi(&self, mount_point: &str) -> Map<String, Value> {
        let v2 = match self.mode.try_read() {
            Ok(m) => matches!(&*m, Mode::V2(_)),
            Err(_) => true,
        };
        if v2 {
            self.v2_paths.openapi_paths(mount_point)
        } else {
            self.v1_paths.openapi_paths(mount_point)
        }
    }

    async fn options_changed(&self, options: &HashMap<String, String>) -> Result<()> {
        if !wants_v2(options) {
            return Ok(());
        }
        let mut mode = self.mode.write().await;
        if matches!(&*mode, Mode::V1(_)) {
            upgrade::upgrade(&self.storage).await?;
            *mode = Mode::V2(v2::V2::load(self.storage.clone()).await?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
