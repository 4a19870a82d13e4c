//! What Claude's clients send since their 2026-07-28 rollout, through the router, and the header
//! rules that must hold around it (`crate::compat`; SPEC-NOTES §3.4).
//!
//! - anthropics/claude-code#93290: `MCP-Protocol-Version: 2025-11-25` with a 2026-07-28 `_meta`;
//! - NateBJones-Projects/OB1#33: `Accept` without `text/event-stream`, or none at all;
//! - sakost/zenmoney-mcp#16: Claude Code 2.1.233 needs `ttlMs` and `cacheScope` on a modern
//!   `tools/list`;
//! - a client refused for an unfamiliar `MCP-Protocol-Version` before authenticating: the 401
//!   comes first;
//! - Claude's result limit (about 150,000 characters): a longer tool result is cut with a marker.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use support::*;

/// A 2026-07-28 request body, `_meta` naming `version`.
fn modern(id: u32, method: &str, params: Value, version: &str) -> Value {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientInfo": {"name": "Anthropic/ClaudeAI", "version": "1.0.0"},
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

/// POST /mcp with exactly these headers (besides host, content type and the token).
async fn post_exact(s: &Server, token: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
    let mut request = Request::post("/mcp")
        .header("host", HOST)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    s.send(request.body(Body::from(body.to_string())).unwrap())
        .await
}

const CLAUDE_ACCEPT: (&str, &str) = ("accept", "application/json, text/event-stream");
const LEGACY_HEADER: (&str, &str) = ("mcp-protocol-version", "2025-11-25");

fn error_code(reply: &Reply) -> Value {
    reply.json()["error"]["code"].clone()
}

#[tokio::test]
async fn legacy_header_with_2026_07_28_meta_is_served_as_2026_07_28() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let discover = modern(1, "server/discover", json!({}), "2026-07-28");
    let reply = post_exact(&s, &token, &discover, &[CLAUDE_ACCEPT, LEGACY_HEADER]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(
        reply.result()["supportedVersions"]
            .as_array()
            .unwrap()
            .contains(&json!("2026-07-28"))
    );

    // Claude sends no Mcp-Method / Mcp-Name with the legacy header.
    let list = modern(2, "tools/list", json!({}), "2026-07-28");
    let reply = post_exact(&s, &token, &list, &[CLAUDE_ACCEPT, LEGACY_HEADER]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let result = reply.result();
    assert_eq!(result["resultType"], "complete", "served as 2026-07-28");
    assert!(result["tools"].as_array().unwrap().len() >= 5);

    let call = modern(
        3,
        "tools/call",
        json!({"name": "whoami", "arguments": {}}),
        "2026-07-28",
    );
    let reply = post_exact(&s, &token, &call, &[CLAUDE_ACCEPT, LEGACY_HEADER]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let result = reply.result();
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["structuredContent"]["subject"], "alice");

    // Every legacy header version, and with the SEP-2243 headers Claude might add later.
    for version in ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"] {
        let headers = [
            CLAUDE_ACCEPT,
            ("mcp-protocol-version", version),
            ("mcp-method", "tools/call"),
            ("mcp-name", "whoami"),
        ];
        let reply = post_exact(&s, &token, &call, &headers).await;
        assert_eq!(reply.status, StatusCode::OK, "{version}: {}", reply.text);
    }
}

#[tokio::test]
async fn tolerated_requests_still_need_matching_mcp_method_and_name() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let call = modern(
        4,
        "tools/call",
        json!({"name": "whoami", "arguments": {}}),
        "2026-07-28",
    );
    for (name, value) in [("mcp-method", "tools/list"), ("mcp-name", "delete_note")] {
        let headers = [CLAUDE_ACCEPT, LEGACY_HEADER, (name, value)];
        let reply = post_exact(&s, &token, &call, &headers).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{name}: {}",
            reply.text
        );
        assert_eq!(error_code(&reply), -32020, "{name}: {}", reply.text);
    }
}

#[tokio::test]
async fn modern_header_disagreeing_with_meta_is_still_header_mismatch() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let list = modern(5, "tools/list", json!({}), "2025-11-25");
    let headers = [
        CLAUDE_ACCEPT,
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/list"),
    ];
    let reply = post_exact(&s, &token, &list, &headers).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(error_code(&reply), -32020, "{}", reply.text);

    // An unknown modern version in the header against 2026-07-28 in `_meta` is no Claude quirk.
    let list = modern(6, "tools/list", json!({}), "2026-07-28");
    let headers = [
        CLAUDE_ACCEPT,
        ("mcp-protocol-version", "2027-01-01"),
        ("mcp-method", "tools/list"),
    ];
    let reply = post_exact(&s, &token, &list, &headers).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(error_code(&reply), -32020, "{}", reply.text);
}

#[tokio::test]
async fn unsupported_versions_are_still_unsupported_protocol_version() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let list = modern(7, "tools/list", json!({}), "2099-01-01");
    let headers = [
        CLAUDE_ACCEPT,
        ("mcp-protocol-version", "2099-01-01"),
        ("mcp-method", "tools/list"),
    ];
    let reply = post_exact(&s, &token, &list, &headers).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(error_code(&reply), -32022, "{}", reply.text);
    assert!(
        reply.json()["error"]["data"]["supported"]
            .as_array()
            .unwrap()
            .contains(&json!("2026-07-28")),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn tolerated_tool_calls_still_step_up_for_missing_scopes() {
    let s = Server::new();
    let token = s.token("alice", "mcp").await;
    let delete = modern(
        8,
        "tools/call",
        json!({"name": "delete_note", "arguments": {"id": "n1"}}),
        "2026-07-28",
    );
    let reply = post_exact(&s, &token, &delete, &[CLAUDE_ACCEPT, LEGACY_HEADER]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    assert!(
        reply
            .header("www-authenticate")
            .unwrap()
            .contains("insufficient_scope")
    );
}

#[tokio::test]
async fn accept_json_any_or_none_gets_the_json_answer() {
    // Through either answerer: rmcp requires both media types, which `compat` restates for it.
    for s in both_paths(|_| {}) {
        let token = s.token("alice", "mcp mcp:write").await;
        let modern_list = modern(9, "tools/list", json!({}), "2026-07-28");
        let legacy_list = json!({"jsonrpc": "2.0", "id": 10, "method": "tools/list", "params": {}});
        let accepts: [&[&str]; 5] = [
            &["application/json"],
            &["*/*"],
            &["text/html, application/*;q=0.8"],
            // One range per header line, as RFC 9110 allows.
            &["text/html", "application/json"],
            &[],
        ];
        for accept in accepts {
            let accept: Vec<(&str, &str)> = accept.iter().map(|a| ("accept", *a)).collect();
            let mut modern_headers = accept.clone();
            modern_headers.extend([
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/list"),
            ]);
            let mut legacy_headers = accept.clone();
            legacy_headers.push(("mcp-protocol-version", "2025-06-18"));
            for (body, headers) in [
                (&modern_list, &modern_headers),
                (&legacy_list, &legacy_headers),
            ] {
                let reply = post_exact(&s, &token, body, headers).await;
                assert_eq!(reply.status, StatusCode::OK, "{accept:?}: {}", reply.text);
                assert!(
                    reply
                        .header("content-type")
                        .unwrap()
                        .starts_with("application/json"),
                    "{accept:?}"
                );
                assert!(reply.result()["tools"].is_array(), "{accept:?}");
            }
        }
    }
}

#[tokio::test]
async fn accept_that_excludes_json_is_406() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let list = json!({"jsonrpc": "2.0", "id": 11, "method": "tools/list", "params": {}});
    for accept in [
        "text/event-stream",
        "text/html",
        "application/json;q=0, */*",
    ] {
        let headers = [("accept", accept), ("mcp-protocol-version", "2025-06-18")];
        let reply = post_exact(&s, &token, &list, &headers).await;
        assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE, "{accept}");
    }
}

#[tokio::test]
async fn a_body_that_is_not_one_json_rpc_object_is_a_json_rpc_error() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let send = |body: &'static str| {
        let request = Request::post("/mcp")
            .header("host", HOST)
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::from(body))
            .unwrap();
        s.send(request)
    };
    let reply = send("{not json").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&reply), -32700, "{}", reply.text);
    // A batch would hide a tool call from the scope check: refused whole.
    let reply = send(
        r#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_note","arguments":{"id":"n1"}}}]"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&reply), -32600, "{}", reply.text);
}

// ------------------------------------------------------------------ December 2026 (SPEC-NOTES §3.5)

/// Both answerers: the direct path and rmcp's own service.
fn both_paths(configure: fn(&mut remote_mcp_core::Config)) -> [Server; 2] {
    [
        Server::configured(configure),
        Server::configured(configure).through_rmcp_only(),
    ]
}

#[tokio::test]
async fn claude_code_2_1_233_modern_tools_list_carries_ttl_ms_cache_scope_and_result_type() {
    for s in both_paths(|_| {}) {
        let token = s.token("alice", "mcp mcp:write").await;
        let body = modern(1, "tools/list", json!({}), "2026-07-28");
        let reply = post_exact(
            &s,
            &token,
            &body,
            &[
                CLAUDE_ACCEPT,
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/list"),
            ],
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let result = reply.result();
        assert_eq!(result["resultType"], "complete", "{result}");
        assert!(result["ttlMs"].is_number(), "{result}");
        assert!(result["cacheScope"].is_string(), "{result}");
    }
}

#[tokio::test]
async fn unauthenticated_request_gets_401_before_any_version_check() {
    let s = Server::new();
    for version in ["1999-01-01", "2099-12-31", "not-a-version"] {
        let reply = s
            .post(
                "/mcp",
                None,
                &modern(1, "tools/list", json!({}), version),
                &[("mcp-protocol-version", version)],
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{version}: {}",
            reply.text
        );
        assert!(reply.header("www-authenticate").is_some());
    }
}

#[tokio::test]
async fn a_tool_result_longer_than_the_limit_is_cut_with_a_marker() {
    for s in both_paths(|config| config.max_tool_result_chars = 4_000) {
        let token = s.token("alice", "mcp mcp:write").await;
        for i in 0..6 {
            let added = s
                .call(
                    &token,
                    "add_note",
                    json!({"title": format!("note {i}"), "body": "x".repeat(1_500)}),
                )
                .await;
            assert_eq!(added["isError"], false, "{added}");
        }
        let listed = s.call(&token, "list_notes", json!({})).await;
        assert_eq!(
            listed["isError"], false,
            "a cut result is still a result: {listed}"
        );
        let text = listed["content"][0]["text"].as_str().unwrap();
        assert!(text.chars().count() <= 4_000, "{}", text.chars().count());
        let (json_part, marker) = text.split_once("\n\n[Result cut: ").expect(text);
        assert!(
            marker.contains("characters left out") && marker.contains("at most 4000 characters"),
            "{marker}"
        );
        // What is kept still fits the tool's output schema: fewer notes, whole ones.
        let kept = listed["structuredContent"]["notes"].as_array().unwrap();
        assert!((1..6).contains(&kept.len()), "{}", kept.len());
        assert_eq!(
            serde_json::from_str::<Value>(json_part).unwrap(),
            listed["structuredContent"]
        );
    }
}
