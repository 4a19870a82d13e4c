//! The OAuth journey over real HTTP against the app `make run` serves, on both stores:
//! discover → register → authorize → approve → token → refresh (rotated) → revoke.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use remote_mcp_core::Config;
use remote_mcp_local::{StoreKind, app, store};
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CLAUDE_CALLBACK: &str = "https://claude.ai/api/mcp/auth_callback";

/// Serves the local app on a free port; returns its origin.
async fn serve(kind: StoreKind) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let app = app(Config::local(&origin).unwrap(), store(kind).await.unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    origin
}

fn query_param(location: &str, name: &str) -> Option<String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

async fn journey(kind: StoreKind, registered_redirect: &str, used_redirect: &str) {
    let origin = serve(kind).await;
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();

    let metadata: Value = http
        .get(format!("{origin}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], origin.as_str());

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
    let client_id = registration["client_id"].as_str().unwrap();

    let verifier = format!("{}-verifier-padding-to-be-long-enough", "x".repeat(10));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let resource = format!("{origin}/mcp");
    let page = http
        .get(metadata["authorization_endpoint"].as_str().unwrap())
        .query(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", used_redirect),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", "e2e-state"),
            ("resource", &resource),
            ("scope", "mcp"),
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
        .form(&[("transaction", transaction), ("decision", "approve")])
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
    assert_eq!(
        query_param(&location, "iss").as_deref(),
        Some(origin.as_str())
    );
    let code = query_param(&location, "code").unwrap();

    let token_endpoint = metadata["token_endpoint"].as_str().unwrap();
    let tokens: Value = http
        .post(token_endpoint)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", client_id),
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
    let first_refresh = tokens["refresh_token"].as_str().unwrap();

    let refreshed: Value = http
        .post(token_endpoint)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", first_refresh),
            ("client_id", client_id),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second_refresh = refreshed["refresh_token"].as_str().unwrap();
    assert_ne!(second_refresh, first_refresh, "rotated");

    let revoked = http
        .post(metadata["revocation_endpoint"].as_str().unwrap())
        .form(&[("token", second_refresh), ("client_id", client_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let after = http
        .post(token_endpoint)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", second_refresh),
            ("client_id", client_id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 400);
    assert_eq!(
        after.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn public_loopback_client_memory_store() {
    journey(
        StoreKind::Memory,
        "http://127.0.0.1/callback",
        "http://127.0.0.1:61234/callback",
    )
    .await;
}

#[tokio::test]
async fn public_loopback_client_dynamodb_local() {
    journey(
        StoreKind::DynamoLocal,
        "http://127.0.0.1/callback",
        "http://127.0.0.1:61234/callback",
    )
    .await;
}

#[tokio::test]
async fn claude_style_client_memory_store() {
    journey(StoreKind::Memory, CLAUDE_CALLBACK, CLAUDE_CALLBACK).await;
}

#[tokio::test]
async fn claude_style_client_dynamodb_local() {
    journey(StoreKind::DynamoLocal, CLAUDE_CALLBACK, CLAUDE_CALLBACK).await;
}
