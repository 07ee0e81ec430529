//! `subkeys/<path>`: the structure of a version's data with every leaf value replaced by
//! `null`, down to `depth` levels (0: no limit).

use arca_sdk::{Error, Request, Response, Result, Storage};
use serde_json::Value;

use super::{body2, version_key, with_field_warnings, V2};
use crate::kv::fields::{self, field_error, Phase};
use arca_sdk::time::now_nanos;

const FIELDS: &[&str] = &["path", "depth", "version"];

/// Replaces leaves by null in place. A map that is empty, or sits at `max_depth`, is a leaf
/// too, so nothing below the requested depth survives.
pub fn remove_values(data: &mut Value, max_depth: i64) {
    fn walk(map: &mut serde_json::Map<String, Value>, depth: i64, max_depth: i64) {
        for v in map.values_mut() {
            match v {
                Value::Object(inner)
                    if (max_depth == 0 || depth < max_depth) && !inner.is_empty() =>
                {
                    walk(inner, depth + 1, max_depth)
                }
                other => *other = Value::Null,
            }
        }
    }
    if let Value::Object(m) = data {
        walk(m, 1, max_depth);
    }
}

impl V2 {
    pub(super) async fn subkeys_read(&self, req: &Request, path: &str) -> Result<Option<Response>> {
        let d = &req.data;
        let depth = match d.get("depth") {
            Some(v) => fields::int(v).map_err(|e| field_error(Phase::Validation, "depth", &e))?,
            None => 0,
        };
        let wanted = match d.get("version") {
            Some(v) => fields::int(v).map_err(|e| field_error(Phase::Validation, "version", &e))?,
            None => 0,
        };
        let Some(mut meta) = self.get_meta(path).await? else {
            return Ok(None);
        };
        let version = if wanted > 0 {
            wanted as u64
        } else {
            meta.current_version
        };
        let Some(vm) = meta.versions.get(&version).copied() else {
            return Ok(None);
        };
        let metadata = Value::Object(vm.to_json(version, &meta.custom_metadata));
        if !vm.is_live(now_nanos()) {
            let mut resp = Response::data(body2("metadata", metadata, "subkeys", Value::Null));
            resp.status = Some(404);
            return Ok(with_field_warnings(Some(resp), req, FIELDS));
        }
        let data = if version == meta.current_version {
            meta.data.take()
        } else {
            match self.storage.get(&version_key(path, version)).await? {
                Some(raw) => Some(
                    serde_json::from_slice(&raw)
                        .map_err(|e| crate::kv::decode_error("decoding version data", &e))?,
                ),
                None => None,
            }
        };
        let Some(mut data) = data else {
            return Err(Error::internal("could not find version data"));
        };
        remove_values(&mut data, depth);
        let resp = Response::data(body2("metadata", metadata, "subkeys", data));
        Ok(with_field_warnings(Some(resp), req, FIELDS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subkeys_at_each_depth() {
        // The cases observed on bao 2.7.2 for {"a":{"b":{"c":1},"e":{}},"f":[1,2],"g":null}.
        let data = json!({"a": {"b": {"c": 1}, "e": {}}, "f": [1, 2], "g": null});
        let cases = [
            (
                0,
                json!({"a": {"b": {"c": null}, "e": null}, "f": null, "g": null}),
            ),
            (1, json!({"a": null, "f": null, "g": null})),
            (
                2,
                json!({"a": {"b": null, "e": null}, "f": null, "g": null}),
            ),
        ];
        for (depth, want) in cases {
            let mut d = data.clone();
            remove_values(&mut d, depth);
            assert_eq!(d, want, "depth {depth}");
        }
    }
}
