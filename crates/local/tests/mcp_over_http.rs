//! Both protocol eras over real HTTP, with tokens from the real OAuth flow: a 2025-06-18 client
//! (initialize, initialized, tools/list, tools/call) and a 2026-07-28 client (no initialize;
//! `_meta` and `Mcp-Method`/`Mcp-Name` on every request), on both stores.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use remote_mcp_local::StoreKind;
use serde_json::{Value, json};
use support::*;

async fn post(
    session: &Session,
    token: &str,
    body: Value,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = http()
        .post(format!("{}/mcp", session.origin))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .json(&body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

async fn legacy_client(kind: StoreKind) {
    let origin = serve(kind).await;
    let session = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp mcp:write").await;
    let token = session.tokens["access_token"].as_str().unwrap();

    let init = post(
        &session,
        token,
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "claude-ai", "version": "0.1.0"}}}),
        &[],
    )
    .await;
    assert_eq!(init.status(), 200);
    let init: Value = init.json().await.unwrap();
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18");

    let version = [("mcp-protocol-version", "2025-06-18")];
    let initialized = post(
        &session,
        token,
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        &version,
    )
    .await;
    assert_eq!(initialized.status(), 202);

    let list: Value = post(
        &session,
        token,
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        &version,
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(
        list["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "add_note")
    );

    let call: Value = post(
        &session,
        token,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "add_note", "arguments": {"title": "From 2025", "body": "legacy era"}}}),
        &version,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(call["result"]["isError"], false, "{call}");
    assert_eq!(call["result"]["structuredContent"]["title"], "From 2025");
}

async fn modern_client(kind: StoreKind) {
    let origin = serve(kind).await;
    let session = authorize(
        &origin,
        "http://localhost/callback",
        "http://localhost:50123/callback",
        "mcp",
    )
    .await;
    let token = session.tokens["access_token"].as_str().unwrap();
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "modern", "version": "1.0.0"},
        "io.modelcontextprotocol/clientCapabilities": {}
    });

    let list = post(
        &session,
        token,
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta}}),
        &[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/list"),
        ],
    )
    .await;
    assert_eq!(list.status(), 200);
    let list: Value = list.json().await.unwrap();
    assert!(
        list["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "whoami"),
        "{list}"
    );

    let call: Value = post(&session, token,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "whoami", "arguments": {}, "_meta": meta}}),
        &[("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/call"), ("mcp-name", "whoami")])
        .await.json().await.unwrap();
    assert_eq!(
        call["result"]["structuredContent"]["client_id"],
        session.client_id.as_str(),
        "{call}"
    );
    let subject = call["result"]["structuredContent"]["subject"]
        .as_str()
        .unwrap();
    assert!(
        !subject.is_empty() && subject != EMAIL,
        "the subject is the user id"
    );
}

#[tokio::test]
async fn legacy_2025_06_18_client_memory_store() {
    legacy_client(StoreKind::Memory).await;
}

#[tokio::test]
async fn legacy_2025_06_18_client_dynamodb_local() {
    legacy_client(StoreKind::DynamoLocal).await;
}

#[tokio::test]
async fn modern_2026_07_28_client_memory_store() {
    modern_client(StoreKind::Memory).await;
}

#[tokio::test]
async fn modern_2026_07_28_client_dynamodb_local() {
    modern_client(StoreKind::DynamoLocal).await;
}
