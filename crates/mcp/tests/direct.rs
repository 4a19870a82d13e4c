//! The direct answers (`mcp_function::direct`) are rmcp's answers: each request here goes through
//! the router as deployed and through the same router with every request sent to rmcp, over one
//! store, and must get the same status, content type and body byte for byte. The requests cover
//! both eras, every protocol version, each read-only tool, tool errors, and the header mistakes
//! that must still reach rmcp's checks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use axum::body::Body;
use axum::http::{Request, header};
use mcp_function::router;
use remote_mcp_testkit::Reply;
use serde_json::{Value, json};
use support::*;

const LEGACY_VERSIONS: [Option<&str>; 5] = [
    None,
    Some("2024-11-05"),
    Some("2025-03-26"),
    Some("2025-06-18"),
    Some("2025-11-25"),
];

/// What each request asks: (method, params).
fn calls() -> Vec<(&'static str, Value)> {
    vec![
        ("tools/list", json!({})),
        ("tools/call", json!({"name": "whoami", "arguments": {}})),
        ("tools/call", json!({"name": "list_notes", "arguments": {}})),
        (
            "tools/call",
            json!({"name": "search_notes", "arguments": {"query": "milk"}}),
        ),
        // SEP-1303: arguments that do not fit are a tool error.
        ("tools/call", json!({"name": "add_note", "arguments": {}})),
        (
            "tools/call",
            json!({"name": "delete_note", "arguments": {"id": "no-such-note"}}),
        ),
        // Not ours to answer: rmcp's error, both ways.
        (
            "tools/call",
            json!({"name": "no_such_tool", "arguments": {}}),
        ),
        ("tools/call", json!({"arguments": {}})),
    ]
}

fn message(id: u32, method: &str, params: &Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

fn with_meta(mut body: Value, version: &str, capabilities: bool) -> Value {
    let mut meta = json!({
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientInfo": {"name": "Anthropic/ClaudeAI", "version": "1.0.0"},
    });
    if capabilities {
        meta["io.modelcontextprotocol/clientCapabilities"] = json!({});
    }
    body["params"]["_meta"] = meta;
    body
}

/// A request with the token, JSON content and `headers`.
fn request(token: &str, body: &Value, headers: &[(&str, String)]) -> Request<Body> {
    let mut request = Request::post("/mcp").header("authorization", format!("Bearer {token}"));
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    request.body(Body::from(body.to_string())).unwrap()
}

/// Request headers, in order (names may repeat).
type Headers = Vec<(&'static str, String)>;

fn base_headers() -> Headers {
    vec![
        ("host", HOST.to_owned()),
        ("content-type", "application/json".to_owned()),
        ("accept", "application/json, text/event-stream".to_owned()),
    ]
}

struct Both {
    server: Server,
    token: String,
}

impl Both {
    async fn new() -> Self {
        let server = Server::new();
        let token = server.token("alice", "mcp mcp:write").await;
        for title in ["Buy milk", "Call the bank"] {
            server
                .call(&token, "add_note", json!({"title": title, "body": "today"}))
                .await;
        }
        Self { server, token }
    }

    /// Sends the same request both ways and requires the same answer; returns it.
    async fn same(&self, body: &Value, headers: &[(&str, String)]) -> Reply {
        let state = self.server.state.clone();
        let deployed = router(state.clone());
        let rmcp_only = router(state.through_rmcp_only());
        let direct =
            remote_mcp_testkit::oneshot(deployed, request(&self.token, body, headers)).await;
        let through_rmcp =
            remote_mcp_testkit::oneshot(rmcp_only, request(&self.token, body, headers)).await;
        let what = format!("{body} with {headers:?}");
        assert_eq!(direct.status, through_rmcp.status, "status of {what}");
        assert_eq!(
            direct.headers.get(header::CONTENT_TYPE),
            through_rmcp.headers.get(header::CONTENT_TYPE),
            "content type of {what}"
        );
        assert_eq!(direct.text, through_rmcp.text, "body of {what}");
        direct
    }
}

#[tokio::test]
async fn legacy_requests_get_rmcps_answers() {
    let both = Both::new().await;
    for version in LEGACY_VERSIONS {
        for (id, (method, params)) in (1..).zip(calls()) {
            let mut headers = base_headers();
            if let Some(version) = version {
                headers.push(("mcp-protocol-version", version.to_owned()));
            }
            let reply = both.same(&message(id, method, &params), &headers).await;
            assert!(reply.status.is_success(), "{}", reply.text);
        }
    }
}

#[tokio::test]
async fn stateless_requests_get_rmcps_answers() {
    let both = Both::new().await;
    for (id, (method, params)) in (1..).zip(calls()) {
        let body = with_meta(message(id, method, &params), "2026-07-28", true);
        let mut headers = base_headers();
        headers.push(("mcp-protocol-version", "2026-07-28".to_owned()));
        headers.push(("mcp-method", method.to_owned()));
        if let Some(name) = params["name"].as_str() {
            headers.push(("mcp-name", name.to_owned()));
        }
        both.same(&body, &headers).await;
        // Claude's shape since its 2026-07-28 rollout: legacy header, no Mcp-Method or Mcp-Name.
        let mut claude = base_headers();
        claude.push(("mcp-protocol-version", "2025-11-25".to_owned()));
        both.same(&body, &claude).await;
    }
}

#[tokio::test]
async fn header_mistakes_still_get_rmcps_errors() {
    let both = Both::new().await;
    let call = json!({"name": "whoami", "arguments": {}});
    let modern = with_meta(message(1, "tools/call", &call), "2026-07-28", true);
    let modern_headers = |extra: &[(&'static str, &str)]| {
        let mut headers = base_headers();
        headers.push(("mcp-protocol-version", "2026-07-28".to_owned()));
        for (name, value) in extra {
            headers.push((name, (*value).to_owned()));
        }
        headers
    };
    let cases: Vec<(Value, Headers, u16)> = vec![
        // Mcp-Name naming another tool, missing, or twice.
        (
            modern.clone(),
            modern_headers(&[("mcp-method", "tools/call"), ("mcp-name", "delete_note")]),
            400,
        ),
        (
            modern.clone(),
            modern_headers(&[("mcp-method", "tools/call")]),
            400,
        ),
        (
            modern.clone(),
            modern_headers(&[
                ("mcp-method", "tools/call"),
                ("mcp-name", "whoami"),
                ("mcp-name", "whoami"),
            ]),
            400,
        ),
        // Mcp-Method naming another method.
        (
            modern.clone(),
            modern_headers(&[("mcp-method", "tools/list"), ("mcp-name", "whoami")]),
            400,
        ),
        // `_meta` without the client's capabilities.
        (
            with_meta(message(1, "tools/call", &call), "2026-07-28", false),
            modern_headers(&[("mcp-method", "tools/call"), ("mcp-name", "whoami")]),
            400,
        ),
        // A modern header with a legacy body, and an unknown version.
        (
            message(1, "tools/call", &call),
            modern_headers(&[("mcp-method", "tools/call"), ("mcp-name", "whoami")]),
            400,
        ),
        (
            message(1, "tools/list", &json!({})),
            {
                let mut headers = base_headers();
                headers.push(("mcp-protocol-version", "1999-01-01".to_owned()));
                headers
            },
            400,
        ),
        // Not JSON by its content type; a host that is not ours.
        (
            message(1, "tools/list", &json!({})),
            vec![
                ("host", HOST.to_owned()),
                ("content-type", "text/plain".to_owned()),
                ("accept", "application/json".to_owned()),
            ],
            415,
        ),
        (
            message(1, "tools/list", &json!({})),
            vec![
                ("host", "attacker.example".to_owned()),
                ("content-type", "application/json".to_owned()),
            ],
            403,
        ),
        // Not a JSON-RPC 2.0 request.
        (
            json!({"jsonrpc": "1.0", "id": 1, "method": "tools/list"}),
            base_headers(),
            415,
        ),
    ];
    for (body, headers, status) in cases {
        let reply = both.same(&body, &headers).await;
        assert_eq!(
            reply.status.as_u16(),
            status,
            "{body} {headers:?}: {}",
            reply.text
        );
    }
}
