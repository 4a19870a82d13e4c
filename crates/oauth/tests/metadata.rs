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
/// Asymmetric only: never `none`, never an HMAC.
const ALGORITHMS: [&str; 8] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
];

fn state() -> AppState {
    AppState::new(
        Config::local(ISSUER).unwrap(),
        Arc::new(MemoryStore::new()),
        Arc::new(MemoryStore::new()),
        Arc::new(LocalSigner::generate()),
    )
}

async fn get(path: &str) -> (StatusCode, Value) {
    get_from(state(), path).await
}

async fn get_from(state: AppState, path: &str) -> (StatusCode, Value) {
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
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic", "private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ALGORITHMS,
            "revocation_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic", "private_key_jwt"],
            "revocation_endpoint_auth_signing_alg_values_supported": ALGORITHMS,
            "introspection_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "private_key_jwt"],
            "introspection_endpoint_auth_signing_alg_values_supported": ALGORITHMS,
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

#[tokio::test]
async fn cimd_stays_advertised_with_none_beside_private_key_jwt() {
    // claude.ai uses its metadata document only when both are there; ChatGPT's needs the third.
    let (_, body) = get("/.well-known/oauth-authorization-server").await;
    assert_eq!(body["client_id_metadata_document_supported"], true);
    let methods = body["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    assert!(methods.contains(&json!("none")));
    assert!(methods.contains(&json!("private_key_jwt")));
}

#[tokio::test]
async fn id_jag_profile_is_advertised_only_with_a_trusted_provider() {
    let (_, without) = get("/.well-known/oauth-authorization-server").await;
    assert!(
        without
            .get("authorization_grant_profiles_supported")
            .is_none()
    );
    let providers = oauth_function::federation::config::parse(Some(
        r#"[{"id":"okta","name":"Okta","issuer":"https://corp.okta.example","client_id":"c",
             "client_secret":"s","id_jag":true,"allowed_domains":["corp.example"]}]"#,
    ))
    .unwrap();
    let (_, with) = get_from(
        state().with_identity_providers(providers, None),
        "/.well-known/oauth-authorization-server",
    )
    .await;
    assert_eq!(
        with["authorization_grant_profiles_supported"],
        json!(["urn:ietf:params:oauth:grant-profile:id-jag"])
    );
    assert_eq!(
        with["grant_types_supported"],
        json!([
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:jwt-bearer"
        ])
    );
}
