//! Heap allocations per request on the hot path, counted on the thread that serves it (the
//! functions run on one thread): a warm `tools/call` and `tools/list` (the token seen before, its
//! revocation check remembered), logging as on Lambda. Counted rather than timed: a count does not
//! move with the machine, and allocating is a large share of a tool call's time
//! (docs/performance.md).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::json;
use support::*;
use tower::ServiceExt;

fn request(token: &str, body: &serde_json::Value) -> Request<Body> {
    Request::post("/mcp")
        .header("host", HOST)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// Allocations of serving `body` once more, the request built beforehand and the answer read.
fn allocations(body: serde_json::Value) -> u64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _logs = tracing::subscriber::set_default(remote_mcp_core::telemetry::json(std::io::sink));
    let server = Server::new();
    let token = runtime.block_on(server.token("alice", "mcp mcp:write"));
    let app = mcp_function::router(server.state.clone());
    let serve = |request: Request<Body>| {
        let app = app.clone();
        runtime.block_on(async move {
            let response = app.oneshot(request).await.unwrap();
            assert!(response.status().is_success());
            response.into_body().collect().await.unwrap().to_bytes()
        })
    };
    for _ in 0..3 {
        serve(request(&token, &body));
    }
    let next = request(&token, &body);
    let mut answer = Default::default();
    let counted = allocation_counter::measure(|| answer = serve(next));
    println!(
        "{body}: {} allocations, {} bytes",
        counted.count_total, counted.bytes_total
    );
    assert!(!answer.is_empty());
    counted.count_total
}

/// Held to what they are; a change that allocates more per request fails here and says by how
/// much (lower the number when a change allocates less).
const TOOL_CALL: u64 = 73;
const TOOL_LIST: u64 = 55;

#[test]
fn a_warm_tool_call_allocates_at_most_its_count() {
    let counted = allocations(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                     "params": {"name": "whoami", "arguments": {}}}));
    assert!(
        counted <= TOOL_CALL,
        "a warm tools/call allocates {counted} times, over its {TOOL_CALL}"
    );
}

#[test]
fn a_warm_tool_listing_allocates_at_most_its_count() {
    let counted = allocations(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}));
    assert!(
        counted <= TOOL_LIST,
        "a warm tools/list allocates {counted} times, over its {TOOL_LIST}"
    );
}
