//! A database outage under load: DynamoDB Local frozen (`SIGSTOP`) beneath the running app, then
//! thawed (`SIGCONT`). While frozen, every endpoint that needs the table answers `503` with
//! `Retry-After` (OAuth error JSON, or a JSON-RPC error at `/mcp`) within the store's deadline,
//! never a 500 or a hang; afterwards the same process serves again, without a restart.
//!
//! Its own test binary, with its own DynamoDB Local: freezing the shared one would stall others.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use remote_mcp_core::{DynamoStore, Store};
use remote_mcp_testkit::{DynamoLocal, TableDefinition};
use serde_json::{Value, json};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

/// Sends `SIGCONT` when dropped, so a failing assertion never leaves the database frozen.
struct Frozen(u32);

impl Frozen {
    fn freeze(pid: u32) -> Self {
        assert!(
            Command::new("kill")
                .args(["-STOP", &pid.to_string()])
                .status()
                .unwrap()
                .success()
        );
        Self(pid)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-CONT", &self.0.to_string()])
            .status();
    }
}

async fn refresh(origin: &str, client_id: &str, token: &str) -> reqwest::Response {
    http()
        .post(format!("{origin}/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", client_id),
        ])
        .send()
        .await
        .unwrap()
}

async fn tools_list(origin: &str, token: &str) -> reqwest::Response {
    http()
        .post(format!("{origin}/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_frozen_database_is_503_and_the_service_recovers_by_itself() {
    let dynamo = DynamoLocal::start().unwrap();
    TableDefinition::from_repository()
        .unwrap()
        .create(&dynamo.client(), "outage")
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(DynamoStore::new(dynamo.client(), "outage"));
    // Every MCP request consults the store (revocation bound zero), so the outage shows there too.
    let origin = serve_over(store, |config| {
        config.lifetimes.revocation_check = Duration::ZERO;
    })
    .await;
    let session = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let access = session.tokens["access_token"].as_str().unwrap().to_owned();
    let refresh_token = session.tokens["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(tools_list(&origin, &access).await.status(), 200);
    // A person signed in on /account before the outage.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = browser
        .get(format!("{origin}/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = remote_mcp_testkit::hidden_field(&form, "sign_in_token").unwrap();
    let signed = browser
        .post(format!("{origin}/account"))
        .form(&[
            ("sign_in_token", token.as_str()),
            ("email", support::EMAIL),
            ("password", support::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);

    let frozen = Frozen::freeze(dynamo.pid());
    let started = Instant::now();
    let load: Vec<_> = (0..4)
        .map(|i| {
            let (origin, client_id) = (origin.clone(), session.client_id.clone());
            let (access, refresh_token) = (access.clone(), refresh_token.clone());
            tokio::spawn(async move {
                if i % 2 == 0 {
                    let reply = refresh(&origin, &client_id, &refresh_token).await;
                    let status = reply.status().as_u16();
                    let retry_after = reply.headers().get("retry-after").cloned();
                    let body: Value = reply.json().await.unwrap_or(Value::Null);
                    let clear = body["error"] == "temporarily_unavailable";
                    (status, clear, retry_after.is_some(), body)
                } else {
                    let reply = tools_list(&origin, &access).await;
                    let status = reply.status().as_u16();
                    let retry_after = reply.headers().get("retry-after").cloned();
                    let body: Value = reply.json().await.unwrap_or(Value::Null);
                    let clear = body["error"]["code"] == -32603;
                    (status, clear, retry_after.is_some(), body)
                }
            })
        })
        .collect();
    for request in load {
        let (status, clear_error, retry_after, body) = request.await.unwrap();
        assert_eq!(status, 503, "{body}");
        assert!(clear_error, "a generic error body: {body}");
        assert!(retry_after, "Retry-After");
    }
    let registration = http()
        .post(format!("{origin}/register"))
        .json(&json!({"redirect_uris": [CLAUDE_CALLBACK], "token_endpoint_auth_method": "none"}))
        .send()
        .await
        .unwrap();
    assert_eq!(registration.status(), 503);
    // Pages say so too, with Retry-After; a signed-in person is told the page is unavailable,
    // not asked to sign in again.
    let account = browser
        .get(format!("{origin}/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 503);
    assert_eq!(account.headers()["retry-after"], "5");
    let page = account.text().await.unwrap();
    assert!(
        page.contains("unavailable") && !page.contains("name=\"password\""),
        "{page}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "answered within the store's deadline, not held: {:?}",
        started.elapsed()
    );
    // What needs no table is unaffected.
    let metadata = http()
        .get(format!("{origin}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(metadata.status(), 200);

    drop(frozen);
    let reply = refresh(&origin, &session.client_id, &refresh_token).await;
    assert_eq!(reply.status(), 200, "recovered without a restart");
    let tokens: Value = reply.json().await.unwrap();
    let fresh = tokens["access_token"].as_str().unwrap();
    assert_eq!(tools_list(&origin, fresh).await.status(), 200);
}
