//! RFC 9728 protected-resource metadata at the root and path-aware URLs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use mcp_function::{AppState, router};
use remote_mcp_core::{Config, MemoryStore};
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

async fn get(path: &str) -> (StatusCode, Value) {
    let config = Config::local("https://mcp.example.com").unwrap();
    let response = router(AppState::new(config, Arc::new(MemoryStore::new())))
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn root_and_path_aware_documents_agree_and_are_pinned() {
    let expected = json!({
        "resource": "https://mcp.example.com/mcp",
        "authorization_servers": ["https://mcp.example.com"],
        "scopes_supported": ["mcp", "mcp:write"],
        "bearer_methods_supported": ["header"],
        "resource_name": "remote-mcp"
    });
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let (status, body) = get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(body, expected, "{path}");
    }
}

#[tokio::test]
async fn offline_access_is_never_advertised() {
    let (_, body) = get("/.well-known/oauth-protected-resource").await;
    assert!(
        !body["scopes_supported"]
            .to_string()
            .contains("offline_access")
    );
}
