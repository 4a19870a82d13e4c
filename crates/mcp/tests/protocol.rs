//! Both protocol eras on one endpoint: `initialize` (2025-03-26, 2025-06-18, 2025-11-25) and
//! stateless 2026-07-28 requests with `_meta`, `Mcp-Method`/`Mcp-Name` and `server/discover`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use support::*;

#[tokio::test]
async fn initialize_for_each_legacy_version_on_both_paths() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    for path in ["/mcp", "/"] {
        for version in ["2025-03-26", "2025-06-18", "2025-11-25"] {
            let reply = s.post(path, Some(&token), &initialize(version), &[]).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{path} {version}: {}",
                reply.text
            );
            assert!(
                reply
                    .header("content-type")
                    .unwrap()
                    .starts_with("application/json")
            );
            assert!(
                reply.header("mcp-session-id").is_none(),
                "stateless: no session"
            );
            let result = reply.result();
            assert_eq!(result["protocolVersion"], version);
            assert_eq!(result["serverInfo"]["name"], "remote-mcp");
            assert!(result["capabilities"]["tools"].is_object());
        }
    }
}

#[tokio::test]
async fn initialized_notification_is_accepted_with_202() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let reply = s
        .post(
            "/mcp",
            Some(&token),
            &note,
            &[("mcp-protocol-version", "2025-06-18")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert!(reply.text.is_empty());
}

#[tokio::test]
async fn ping_answers_empty_object() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let reply = s.rpc(&token, "ping", json!({})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["result"], json!({}));
}

fn modern(method: &str, params: Value) -> Value {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "modern-client", "version": "1.0.0"},
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    json!({"jsonrpc": "2.0", "id": 11, "method": method, "params": params})
}

#[tokio::test]
async fn modern_requests_need_no_initialize() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let headers = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/list"),
    ];
    let reply = s
        .post(
            "/mcp",
            Some(&token),
            &modern("tools/list", json!({})),
            &headers,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let result = reply.result();
    assert!(result["tools"].as_array().unwrap().len() >= 5);
    assert_eq!(result["resultType"], "complete");

    let headers = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
        ("mcp-name", "whoami"),
    ];
    let call = modern("tools/call", json!({"name": "whoami", "arguments": {}}));
    let reply = s.post("/mcp", Some(&token), &call, &headers).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.result()["structuredContent"]["subject"], "alice");
}

#[tokio::test]
async fn server_discover_describes_the_server() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let headers = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "server/discover"),
    ];
    let reply = s
        .post(
            "/mcp",
            Some(&token),
            &modern("server/discover", json!({})),
            &headers,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let result = reply.result();
    assert!(
        result["supportedVersions"]
            .as_array()
            .unwrap()
            .contains(&json!("2026-07-28"))
    );
    assert!(
        result["supportedVersions"]
            .as_array()
            .unwrap()
            .contains(&json!("2025-06-18"))
    );
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "remote-mcp"
    );
}

#[tokio::test]
async fn header_body_mismatch_is_400() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let headers = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
    ];
    let reply = s
        .post(
            "/mcp",
            Some(&token),
            &modern("tools/list", json!({})),
            &headers,
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(reply.json()["error"]["code"], -32020);
}

#[tokio::test]
async fn unsupported_protocol_version_header_is_400() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
    let reply = s
        .post(
            "/mcp",
            Some(&token),
            &body,
            &[("mcp-protocol-version", "1999-01-01")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
}

#[tokio::test]
async fn unknown_method_is_a_json_rpc_error() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let reply = s.rpc(&token, "no/such/method", json!({})).await;
    assert_eq!(reply.json()["error"]["code"], -32601, "{}", reply.text);
}
