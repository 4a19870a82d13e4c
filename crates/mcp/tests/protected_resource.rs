//! RFC 9728 protected-resource metadata at the root and path-aware URLs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use support::*;

#[tokio::test]
async fn root_and_path_aware_documents_agree_and_are_pinned() {
    let s = Server::new();
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
        let reply = s
            .send(Request::get(path).body(Body::empty()).unwrap())
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.json(), expected, "{path}");
        assert!(!reply.text.contains("offline_access"));
    }
}
