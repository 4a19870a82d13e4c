//! Rotating the signing key (docs/operations.md, *Rotating the signing key*), over HTTP: during the overlap
//! the new key signs, the JWKS serves both keys, and tokens signed before the rotation keep working
//! (until they expire); once the overlap ends, only the new key's tokens do.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use axum::Router;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use remote_mcp_core::Config;
use remote_mcp_core::token::LocalSigner;
use remote_mcp_local::{app_with_keys, dev_user};
use serde_json::Value;
use std::sync::{Arc, RwLock};
use support::*;
use tower::ServiceExt;

/// The `kid` in a token's header.
fn kid(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

async fn published_kids(origin: &str) -> Vec<String> {
    let jwks: Value = http()
        .get(format!("{origin}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signing_key_rotation_keeps_earlier_tokens_through_the_overlap() {
    let store = remote_mcp_testkit::memory_store();
    dev_user(store.as_ref(), EMAIL, Some(PASSWORD.into()))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let config = Config::local(&origin).unwrap();
    let (old_key, new_key) = (
        Arc::new(LocalSigner::generate()),
        Arc::new(LocalSigner::generate()),
    );
    // One origin whose deployment is replaced, as `sam deploy` replaces the functions' code and
    // configuration behind the same API.
    let deployed = Arc::new(RwLock::new(app_with_keys(
        config.clone(),
        store.clone(),
        old_key.clone(),
        None,
    )));
    let current = deployed.clone();
    let front = Router::new().fallback_service(tower::service_fn(move |request| {
        let router = current.read().unwrap().clone();
        router.oneshot(request)
    }));
    tokio::spawn(async move {
        let front = front.into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, front).await.unwrap()
    });

    let before = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let earlier = before.tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(kid(&earlier), old_key.jwk().kid);
    assert_eq!(published_kids(&origin).await, [old_key.jwk().kid.clone()]);

    // The overlap: the new key signs, the previous one is still trusted and published.
    *deployed.write().unwrap() = app_with_keys(
        config.clone(),
        store.clone(),
        new_key.clone(),
        Some(old_key.clone()),
    );
    assert_eq!(
        published_kids(&origin).await,
        [new_key.jwk().kid.clone(), old_key.jwk().kid.clone()],
        "the JWKS serves both keys, the signing one first"
    );
    assert_eq!(
        whoami(&origin, &earlier).await.0,
        200,
        "a token signed before the rotation still works"
    );
    let after = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let later = after.tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(kid(&later), new_key.jwk().kid, "new tokens use the new key");
    assert_eq!(whoami(&origin, &later).await.0, 200);
    let refreshed: Value = http()
        .post(format!("{origin}/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                before.tokens["refresh_token"].as_str().unwrap(),
            ),
            ("client_id", &before.client_id),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let renewed = refreshed["access_token"].as_str().unwrap();
    assert_eq!(
        kid(renewed),
        new_key.jwk().kid,
        "a connection made before the rotation gets new-key tokens on its next refresh"
    );

    // The overlap ends: only the new key is trusted or published.
    *deployed.write().unwrap() = app_with_keys(config, store, new_key.clone(), None);
    assert_eq!(published_kids(&origin).await, [new_key.jwk().kid.clone()]);
    assert_eq!(whoami(&origin, &earlier).await.0, 401);
    assert_eq!(whoami(&origin, &later).await.0, 200);
    assert_eq!(whoami(&origin, renewed).await.0, 200);
}
