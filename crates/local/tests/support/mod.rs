//! Real HTTP against the app `make run` serves: a server on a free port and an OAuth client that
//! plays the user on the consent page.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use remote_mcp_core::{Config, Store};
use remote_mcp_local::{StoreKind, app, dev_user, store};
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub const CLAUDE_CALLBACK: &str = "https://claude.ai/api/mcp/auth_callback";
pub const EMAIL: &str = "e2e@example.com";
pub const PASSWORD: &str = "end to end password";

/// Serves the local app on a free port; returns its origin.
pub async fn serve(kind: StoreKind) -> String {
    serve_with(kind, |_| {}).await.0
}

/// Serves the local app with `configure` applied to its configuration; returns its origin and
/// store (for what an operator does beside the HTTP API).
pub async fn serve_with(
    kind: StoreKind,
    configure: impl FnOnce(&mut Config),
) -> (String, Arc<dyn Store>) {
    let store = store(kind).await.unwrap();
    (serve_over(store.clone(), configure).await, store)
}

/// Serves the local app over `store` (with the end-to-end account in it); returns its origin.
pub async fn serve_over(store: Arc<dyn Store>, configure: impl FnOnce(&mut Config)) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    dev_user(store.as_ref(), EMAIL, Some(PASSWORD.into()))
        .await
        .unwrap();
    let mut config = Config::local(&origin).unwrap();
    configure(&mut config);
    let app = app(config, store);
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, app).await.unwrap()
    });
    origin
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

pub fn query_param(location: &str, name: &str) -> Option<String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The outcome of a completed authorization.
pub struct Session {
    pub origin: String,
    pub metadata: Value,
    pub client_id: String,
    pub tokens: Value,
}

/// Discovery, registration, authorization with approval on the consent page, and the code exchange.
pub async fn authorize(
    origin: &str,
    registered_redirect: &str,
    used_redirect: &str,
    scope: &str,
) -> Session {
    let http = http();
    let metadata: Value = http
        .get(format!("{origin}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], origin);

    let registration: Value = http
        .post(metadata["registration_endpoint"].as_str().unwrap())
        .json(&json!({
            "client_name": "e2e", "redirect_uris": [registered_redirect],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"]
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = registration["client_id"].as_str().unwrap().to_owned();

    let verifier = format!("{}-verifier-padding-to-be-long-enough", "x".repeat(10));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let resource = format!("{origin}/mcp");
    let page = http
        .get(metadata["authorization_endpoint"].as_str().unwrap())
        .query(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", used_redirect),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", "e2e-state"),
            ("resource", &resource),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    let marker = "name=\"transaction\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let transaction = html[start..].split('"').next().unwrap();

    let approved = http
        .post(format!("{origin}/authorize"))
        .header("cookie", cookie)
        .form(&[
            ("transaction", transaction),
            ("decision", "approve"),
            ("email", EMAIL),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 303);
    let location = approved.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(used_redirect));
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some("e2e-state")
    );
    assert_eq!(query_param(&location, "iss").as_deref(), Some(origin));
    let code = query_param(&location, "code").unwrap();

    let tokens: Value = http
        .post(metadata["token_endpoint"].as_str().unwrap())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &client_id),
            ("redirect_uri", used_redirect),
            ("code_verifier", &verifier),
            ("resource", &resource),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["token_type"], "Bearer", "{tokens}");
    Session {
        origin: origin.to_owned(),
        metadata,
        client_id,
        tokens,
    }
}
