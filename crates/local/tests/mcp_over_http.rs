//! Both protocol eras over real HTTP, with tokens from the real OAuth flow: a 2025-06-18 client
//! (initialize, initialized, tools/list, tools/call) and a 2026-07-28 client (no initialize;
//! `_meta` and `Mcp-Method`/`Mcp-Name` on every request), on both stores.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use remote_mcp_core::Store;
use serde_json::{Value, json};
use std::sync::Arc;
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

async fn legacy_client(store: Arc<dyn Store>) {
    let origin = serve(store).await;
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

async fn modern_client(store: Arc<dyn Store>) {
    let origin = serve(store).await;
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

/// Claude since its 2026-07-28 rollout (SPEC-NOTES §3.4): `MCP-Protocol-Version: 2025-11-25`
/// with a 2026-07-28 `_meta` after `server/discover`, and `Accept` of `application/json`, `*/*`
/// or none; over a real socket, as `make run` serves it.
async fn claude_2026_09_client(store: Arc<dyn Store>) {
    let origin = serve(store).await;
    let session = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let token = session.tokens["access_token"].as_str().unwrap();
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "Anthropic/ClaudeAI", "version": "1.0.0"},
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    let send = |body: Value, accept: Option<&'static str>, version: &'static str| {
        let mut request = http()
            .post(format!("{}/mcp", session.origin))
            .bearer_auth(token)
            .header("mcp-protocol-version", version)
            .json(&body);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        request.send()
    };
    let discover = json!({"jsonrpc": "2.0", "id": 0, "method": "server/discover",
                          "params": {"_meta": meta}});
    let reply = http()
        .post(format!("{}/mcp", session.origin))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "server/discover")
        .json(&discover)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);

    for (id, accept) in [
        (1, Some("application/json, text/event-stream")),
        (2, Some("application/json")),
        (3, Some("*/*")),
        (4, None),
    ] {
        let list = json!({"jsonrpc": "2.0", "id": id, "method": "tools/list",
                          "params": {"_meta": meta}});
        let reply = send(list, accept, "2025-11-25").await.unwrap();
        assert_eq!(reply.status(), 200, "{accept:?}");
        assert!(
            reply.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let body: Value = reply.json().await.unwrap();
        assert_eq!(
            body["result"]["resultType"], "complete",
            "{accept:?}: {body}"
        );

        let call = json!({"jsonrpc": "2.0", "id": id + 10, "method": "tools/call",
                          "params": {"name": "whoami", "arguments": {}, "_meta": meta}});
        let body: Value = send(call, accept, "2025-11-25")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["result"]["isError"], false, "{accept:?}: {body}");
        assert!(body["result"]["structuredContent"]["subject"].is_string());
    }
    let excluded =
        json!({"jsonrpc": "2.0", "id": 9, "method": "tools/list", "params": {"_meta": meta}});
    let reply = send(excluded, Some("text/event-stream"), "2025-11-25")
        .await
        .unwrap();
    assert_eq!(reply.status(), 406);
}

remote_mcp_testkit::both_stores! {
    legacy_2025_06_18_client => |store| legacy_client(store),
    modern_2026_07_28_client => |store| modern_client(store),
    claude_2026_09 => |store| claude_2026_09_client(store),
}
