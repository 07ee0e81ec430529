//! A revoked token's cubbyhole is deleted from storage, not just made unreachable.

use std::sync::Arc;

use arca_core::physical::{InmemBackend, Physical};
use arca_core::{ClientRequest, Core, CoreConfig};
use arca_sdk::Operation;
use serde_json::json;

async fn call(
    core: &Core,
    op: Operation,
    path: &str,
    token: &str,
    data: serde_json::Value,
) -> arca_core::ApiResponse {
    let mut req = ClientRequest::new(op, path);
    req.token = token.into();
    if let serde_json::Value::Object(m) = data {
        req.data = m;
    }
    core.handle(req).await.unwrap()
}

async fn keys_below(physical: &dyn Physical, prefix: &str) -> usize {
    let mut n = 0;
    let mut pending = vec![prefix.to_string()];
    while let Some(p) = pending.pop() {
        for k in physical.list_page(&p, "", 0).await.unwrap() {
            if k.ends_with('/') {
                pending.push(format!("{p}{k}"));
            } else {
                n += 1;
            }
        }
    }
    n
}

#[tokio::test]
async fn revoking_a_token_deletes_its_cubbyhole() {
    let physical = Arc::new(InmemBackend::new());
    let core = Core::new(
        physical.clone(),
        CoreConfig::default(),
        arca_builtin::backends(),
    );
    let init = core.initialize(1, 1).await.unwrap();
    core.unseal_with_key(&init.shares[0]).await.unwrap();
    let created = call(
        &core,
        Operation::Update,
        "auth/token/create",
        &init.root_token,
        json!({}),
    )
    .await;
    let token = created.auth.unwrap().client_token;
    let before = keys_below(&*physical, "logical/").await;
    call(
        &core,
        Operation::Update,
        "cubbyhole/a",
        &token,
        json!({"v": 1}),
    )
    .await;
    call(
        &core,
        Operation::Update,
        "cubbyhole/b/c",
        &token,
        json!({"v": 2}),
    )
    .await;
    assert_eq!(keys_below(&*physical, "logical/").await, before + 2);
    call(
        &core,
        Operation::Update,
        "auth/token/revoke-self",
        &token,
        json!({}),
    )
    .await;
    assert_eq!(
        keys_below(&*physical, "logical/").await,
        before,
        "cubbyhole entries survived their token"
    );
}
