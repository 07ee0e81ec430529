//! A blocking face of the client for the CLI: one current-thread runtime, each call
//! driven to completion.

use std::future::Future;

use crate::client::Client;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::request::{Request, Response};
use crate::types::{InitRequest, InitResponse, LeaderStatus, SealStatus};

pub struct BlockingClient {
    runtime: tokio::runtime::Runtime,
    inner: Client,
}

impl BlockingClient {
    pub fn new(config: Config) -> Result<BlockingClient> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Transport {
                address: config.address.clone(),
                message: format!("cannot start the I/O runtime: {e}"),
            })?;
        Ok(BlockingClient {
            runtime,
            inner: Client::new(config)?,
        })
    }

    pub fn inner(&self) -> &Client {
        &self.inner
    }

    pub fn inner_mut(&mut self) -> &mut Client {
        &mut self.inner
    }

    /// Runs any call of the asynchronous client to completion.
    pub fn run<'a, F: Future + 'a>(&'a self, call: impl FnOnce(&'a Client) -> F) -> F::Output {
        self.runtime.block_on(call(&self.inner))
    }

    pub fn send(&self, req: &Request) -> Result<Response> {
        self.run(|c| c.send(req))
    }

    pub fn send_ok(&self, req: &Request) -> Result<Response> {
        self.run(|c| c.send_ok(req))
    }

    pub fn seal_status(&self) -> Result<SealStatus> {
        self.send_ok(&Request::get("sys/seal-status"))?.json()
    }

    pub fn leader(&self) -> Result<LeaderStatus> {
        self.send_ok(&Request::get("sys/leader"))?.json()
    }

    pub fn init(&self, req: &InitRequest) -> Result<(Response, InitResponse)> {
        let body = serde_json::to_value(req).map_err(|e| Error::Decode {
            url: "sys/init".into(),
            message: e.to_string(),
        })?;
        let resp = self.send_ok(&Request::put("sys/init").json(&body))?;
        let parsed = resp.json()?;
        Ok((resp, parsed))
    }
}
