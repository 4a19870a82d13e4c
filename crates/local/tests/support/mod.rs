//! Real HTTP against the app `make run` serves: a server on a free port and an OAuth client that
//! plays the user on the consent page.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use remote_mcp_core::{Config, Store};
use remote_mcp_local::app;
use remote_mcp_local::dev_user;
use remote_mcp_testkit::headless::{Credentials, SignIn, sign_in_with};
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use std::sync::Arc;

pub const CLAUDE_CALLBACK: &str = "https://claude.ai/api/mcp/auth_callback";
pub const EMAIL: &str = "e2e@example.com";
pub const PASSWORD: &str = "end to end password";

/// Serves the local app over `store` on a free port; returns its origin.
pub async fn serve(store: Arc<dyn Store>) -> String {
    serve_over(store, |_| {}).await
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

/// Discovery, registration, authorization with approval on the consent page, and the code exchange,
/// by the headless client (which checks `state`, `iss` and the redirect target on the way).
pub async fn authorize(
    origin: &str,
    registered_redirect: &str,
    used_redirect: &str,
    scope: &str,
) -> Session {
    authorize_choosing(origin, registered_redirect, used_redirect, scope, None).await
}

/// [`authorize`], with the person choosing `access` on the consent page (`Some("read")`:
/// read-only).
pub async fn authorize_choosing(
    origin: &str,
    registered_redirect: &str,
    used_redirect: &str,
    scope: &str,
    access: Option<&str>,
) -> Session {
    let metadata: Value = http()
        .get(format!("{origin}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], origin);
    let credentials = Credentials {
        email: EMAIL.into(),
        password: PASSWORD.into(),
    };
    let request = SignIn {
        credentials: &credentials,
        scope,
        registered_redirect,
        used_redirect,
        access,
    };
    let mcp = url::Url::parse(&format!("{origin}/mcp")).unwrap();
    let tokens = sign_in_with(&mcp, &request)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(tokens.token_type, "Bearer");
    Session {
        origin: origin.to_owned(),
        metadata,
        client_id: tokens.client_id.clone(),
        tokens: serde_json::to_value(&tokens).unwrap(),
    }
}

/// `tools/call whoami` at `/mcp` with `token`: the HTTP status and, on success, the subject.
pub async fn whoami(origin: &str, token: &str) -> (u16, Option<String>) {
    let reply = http()
        .post(format!("{origin}/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": "whoami", "arguments": {}}}))
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    let body: Value = reply.json().await.unwrap_or(Value::Null);
    let subject = body["result"]["structuredContent"]["subject"]
        .as_str()
        .map(str::to_owned);
    (status, subject)
}
