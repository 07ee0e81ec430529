//! The cubbyhole engine: private storage per token. Every path is prefixed with the calling
//! token's opaque reference, so tokens never see each other's data; the core deletes a
//! token's prefix when the token is revoked.

use std::sync::Arc;

use arca_sdk::{
    Backend, BackendContext, BackendKind, BackendType, Error, FieldData, Operation, Path,
    PathRouter, Request, Response, Result, Storage, StorageView,
};
use async_trait::async_trait;
use serde_json::{Map, Value};

pub struct Cubbyhole {
    storage: StorageView,
    router: PathRouter<Cubbyhole>,
}

macro_rules! h {
    ($m:ident) => {
        |b: &Cubbyhole, r: &Request, d: FieldData<'_>| Box::pin(b.$m(r, d))
    };
}

pub fn backend_type() -> BackendType {
    BackendType {
        name: "cubbyhole",
        kind: BackendKind::Secrets,
        version: "",
        factory: Arc::new(|ctx: BackendContext| {
            Box::pin(async move { Ok(Arc::new(Cubbyhole::new(ctx.storage)) as Arc<dyn Backend>) })
        }),
    }
}

impl Cubbyhole {
    pub fn new(storage: StorageView) -> Self {
        Cubbyhole {
            storage,
            router: PathRouter::new(vec![Path::new("{path*}")
                .accept_any_field()
                .op(Operation::Read, h!(read))
                .op(Operation::Create, h!(write))
                .op(Operation::Update, h!(write))
                .op(Operation::Delete, h!(delete))
                .op(Operation::List, h!(list))
                .help(
                    "Pass-through secret storage to a token-specific cubbyhole in the storage backend, allowing you to read/write arbitrary data into secret storage.",
                    "The cubbyhole backend reads and writes arbitrary data into secret storage, scoping all paths to the calling token's ID.",
                )]),
        }
    }

    fn key(req: &Request) -> Result<String> {
        let auth = req.auth.as_ref().ok_or(Error::PermissionDenied)?;
        if auth.token_ref.is_empty() {
            return Err(Error::invalid("client token empty"));
        }
        Ok(format!("{}/{}", auth.token_ref, req.path))
    }

    async fn read(&self, req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        if req.path.is_empty() {
            return Err(Error::invalid("missing path"));
        }
        let Some(raw) = self.storage.get(&Self::key(req)?).await? else {
            return Ok(None);
        };
        let data: Map<String, Value> = serde_json::from_slice(&raw)
            .map_err(|e| Error::internal(format!("json decoding failed: {e}")))?;
        Ok(Some(Response::data(data)))
    }

    async fn write(&self, req: &Request, d: FieldData<'_>) -> Result<Option<Response>> {
        if req.path.is_empty() || req.path.ends_with('/') {
            return Err(Error::invalid("missing path"));
        }
        if d.body().is_empty() {
            return Err(Error::invalid("missing data fields"));
        }
        let bytes = serde_json::to_vec(d.body()).map_err(Error::internal)?;
        self.storage.put(&Self::key(req)?, bytes).await?;
        Ok(None)
    }

    async fn delete(&self, req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        if req.path.is_empty() {
            return Err(Error::invalid("missing path"));
        }
        self.storage.delete(&Self::key(req)?).await?;
        Ok(None)
    }

    async fn list(&self, req: &Request, _d: FieldData<'_>) -> Result<Option<Response>> {
        let mut prefix = Self::key(req)?;
        if !prefix.ends_with('/') {
            prefix.push('/');
        }
        let keys = self.storage.list_page(&prefix, "", 0).await?;
        if keys.is_empty() {
            return Ok(None);
        }
        Ok(Some(Response::list(keys)))
    }
}

#[async_trait]
impl Backend for Cubbyhole {
    async fn handle(&self, req: &Request) -> Result<Option<Response>> {
        self.router.route(self, req).await
    }

    fn openapi(&self, mount_point: &str) -> Map<String, Value> {
        self.router.openapi_paths(mount_point)
    }
}
