//! RFC 8414 metadata, pinned: a change to what we advertise must be deliberate.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use oauth_function::{AppState, router};
use remote_mcp_core::token::LocalSigner;
use remote_mcp_core::{Config, MemoryStore};
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

const ISSUER: &str = "https://mcp.example.com";

async fn get(path: &str) -> (StatusCode, Value) {
    let state = AppState::new(
        Config::local(ISSUER).unwrap(),
        Arc::new(MemoryStore::new()),
        Arc::new(MemoryStore::new()),
        Arc::new(LocalSigner::generate()),
    );
    let response = router(state)
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn authorization_server_metadata_is_pinned() {
    let (status, body) = get("/.well-known/oauth-authorization-server").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({
            "issuer": "https://mcp.example.com",
            "authorization_endpoint": "https://mcp.example.com/authorize",
            "token_endpoint": "https://mcp.example.com/token",
            "registration_endpoint": "https://mcp.example.com/register",
            "revocation_endpoint": "https://mcp.example.com/revoke",
            "introspection_endpoint": "https://mcp.example.com/introspect",
            "jwks_uri": "https://mcp.example.com/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
            "revocation_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "scopes_supported": ["mcp", "mcp:write"],
            "authorization_response_iss_parameter_supported": true,
            "client_id_metadata_document_supported": true
        })
    );
}

#[tokio::test]
async fn openid_configuration_is_the_same_document() {
    let (_, oauth) = get("/.well-known/oauth-authorization-server").await;
    let (status, oidc) = get("/.well-known/openid-configuration").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(oauth, oidc);
}

#[tokio::test]
async fn issuer_equals_the_origin_it_is_served_from() {
    let (_, body) = get("/.well-known/oauth-authorization-server").await;
    assert_eq!(body["issuer"], ISSUER, "RFC 8414 §3.3");
}

#[tokio::test]
async fn path_inserted_discovery_variants_are_clean_404s() {
    let state = AppState::new(
        Config::local(ISSUER).unwrap(),
        Arc::new(MemoryStore::new()),
        Arc::new(MemoryStore::new()),
        Arc::new(LocalSigner::generate()),
    );
    for path in [
        "/.well-known/oauth-authorization-server/mcp",
        "/.well-known/openid-configuration/mcp",
        "/mcp/.well-known/openid-configuration",
    ] {
        let response = router(state.clone())
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let is_html = response
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap_or_default().contains("html"));
        assert!(!is_html, "{path}");
    }
}

#[tokio::test]
async fn advertised_endpoints_are_absolute_urls_on_the_issuer() {
    let (_, body) = get("/.well-known/oauth-authorization-server").await;
    for field in [
        "authorization_endpoint",
        "token_endpoint",
        "registration_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
        "jwks_uri",
    ] {
        assert!(
            body[field]
                .as_str()
                .unwrap()
                .starts_with(&format!("{ISSUER}/")),
            "{field}"
        );
    }
}
