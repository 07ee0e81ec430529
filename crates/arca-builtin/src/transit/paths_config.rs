//! cache-config (size of the key cache) and config/keys (whether encrypt may create keys).

use arca_sdk::{Error, FieldData, Request, Response, Result, StorageExt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map};

use super::Transit;

pub const CACHE_CONFIG_KEY: &str = "config/cache";
pub const KEYS_CONFIG_KEY: &str = "config/keys";
/// Vault's `minCacheSize`: smaller non-zero sizes are refused (or raised when stored).
const MIN_CACHE_SIZE: i64 = 10;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CacheConfig {
    pub size: i64,
}

impl CacheConfig {
    /// The size to apply: Vault raises a stored size below the minimum to the minimum.
    pub fn effective_size(&self) -> usize {
        match self.size {
            s if s <= 0 => 0,
            s => s.max(MIN_CACHE_SIZE) as usize,
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct KeysConfig {
    pub disable_upsert: bool,
}

impl Transit {
    pub(super) async fn read_cache_config(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let config: CacheConfig = self.read_config(CACHE_CONFIG_KEY).await?;
        if self.cache.limit() != config.effective_size() {
            self.cache.set_limit(config.effective_size());
        }
        let mut data = Map::new();
        data.insert("size".into(), json!(config.size));
        Ok(Some(Response::data(data)))
    }

    pub(super) async fn write_cache_config(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let size = d.int("size")?.unwrap_or(0);
        if size != 0 && size < MIN_CACHE_SIZE {
            return Err(Error::invalid(format!(
                "size must be 0 or a value greater or equal to {MIN_CACHE_SIZE}"
            )));
        }
        let config = CacheConfig { size };
        self.storage.put_json(CACHE_CONFIG_KEY, &config).await?;
        self.cache.set_limit(config.effective_size());
        let mut data = Map::new();
        data.insert("size".into(), json!(size));
        Ok(Some(Response::data(data)))
    }

    pub(super) async fn read_keys_config(
        &self,
        _req: &Request,
        _d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let config: KeysConfig = self.read_config(KEYS_CONFIG_KEY).await?;
        let mut data = Map::new();
        data.insert("disable_upsert".into(), json!(config.disable_upsert));
        Ok(Some(Response::data(data)))
    }

    pub(super) async fn write_keys_config(
        &self,
        _req: &Request,
        d: FieldData<'_>,
    ) -> Result<Option<Response>> {
        let disable_upsert = d.bool("disable_upsert")?.unwrap_or(false);
        let mut config: KeysConfig = self.read_config(KEYS_CONFIG_KEY).await?;
        if config.disable_upsert != disable_upsert {
            config.disable_upsert = disable_upsert;
            self.storage.put_json(KEYS_CONFIG_KEY, &config).await?;
        }
        let mut data = Map::new();
        data.insert("disable_upsert".into(), json!(config.disable_upsert));
        Ok(Some(Response::data(data)))
    }
}
