//! What an MCP request costs once the container is warm: the in-memory check of the bearer token
//! (ES256 the first time a container sees it, remembered after), and whole requests through the
//! router (bearer layer with its revocation memory, rmcp's stateless JSON transport, the tool).
//! Plus building the router, the part of a cold start that is ours.
//!
//! `make bench` (or `cargo bench -p mcp-function`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code

use axum::body::Body;
use axum::http::Request;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use mcp_function::{AppState, router};
use remote_mcp_core::token::{AccessClaims, LocalSigner, Verifier, encode};
use remote_mcp_core::{Config, MemoryStore, UnixTime};
use serde_json::json;
use std::hint::black_box;
use std::sync::Arc;
use tower::ServiceExt;

const ISSUER: &str = "https://mcp.example.com";

/// The resource server over a fresh memory store; the store, to create what tokens stand on.
fn state(signer: Arc<LocalSigner>) -> (AppState, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    let state = AppState::new(
        Config::local(ISSUER).unwrap(),
        store.clone(),
        store.clone(),
        signer,
    );
    (state, store)
}

fn mcp_request(token: &str, body: &serde_json::Value) -> Request<Body> {
    Request::post("/mcp")
        .header("host", "mcp.example.com")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn hot_path(c: &mut Criterion) {
    // The runtime the Lambda function runs on (one thread: Lambda sends one event at a time).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let signer = Arc::new(LocalSigner::generate());
    let (state, store) = state(signer.clone());
    let now = UnixTime::now();
    let claims = AccessClaims {
        iss: ISSUER.into(),
        sub: "user-1".into(),
        aud: format!("{ISSUER}/mcp"),
        client_id: "client-1".into(),
        scope: "mcp mcp:write".into(),
        iat: now.seconds(),
        exp: now.seconds() + 3600,
        jti: "bench".into(),
        gid: Some("grant-1".into()),
        email: None,
        name: None,
    };
    runtime.block_on(remote_mcp_testkit::records::back(
        store.as_ref(),
        &claims,
        now,
    ));
    let token = runtime.block_on(encode(&claims, signer.as_ref())).unwrap();

    let issuer_and_audience = (ISSUER, format!("{ISSUER}/mcp"));
    c.bench_function("verify access token, first sight (ES256)", |b| {
        b.iter_batched(
            || {
                let (issuer, audience) = &issuer_and_audience;
                Verifier::new(&[signer.jwk().clone()], issuer, audience).unwrap()
            },
            |verifier| verifier.verify(black_box(&token), now).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let verifier = runtime.block_on(state.verifier.get()).unwrap();
    c.bench_function("verify access token, seen before", |b| {
        b.iter(|| verifier.verify(black_box(&token), now).unwrap())
    });

    runtime
        .block_on(state.revocations.stands(&claims, now))
        .unwrap();
    c.bench_function("revocation check, remembered", |b| {
        b.to_async(&runtime).iter(|| async {
            state
                .revocations
                .stands(black_box(&claims), now)
                .await
                .unwrap()
        })
    });

    let app = router(state.clone());
    let send = |body: serde_json::Value| {
        let app = app.clone();
        let token = token.clone();
        async move {
            let response = app.oneshot(mcp_request(&token, &body)).await.unwrap();
            assert!(response.status().is_success());
            response.into_body().collect().await.unwrap().to_bytes()
        }
    };
    c.bench_function("POST /mcp tools/list", |b| {
        b.to_async(&runtime)
            .iter(|| send(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})))
    });
    c.bench_function("POST /mcp tools/call whoami", |b| {
        b.to_async(&runtime).iter(|| {
            send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                        "params": {"name": "whoami", "arguments": {}}}))
        })
    });
    // As on Lambda: the functions' JSON log format, here into a sink, with the tool call's audit
    // line and every request's metrics record.
    {
        let _logs =
            tracing::subscriber::set_default(remote_mcp_core::telemetry::json(std::io::sink));
        c.bench_function(
            "POST /mcp tools/call whoami, with its audit and metrics lines",
            |b| {
                b.to_async(&runtime).iter(|| {
                    send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                            "params": {"name": "whoami", "arguments": {}}}))
                })
            },
        );
    }
    c.bench_function("POST /mcp without a token (401)", |b| {
        b.to_async(&runtime).iter(|| async {
            let request = Request::post("/mcp")
                .header("host", "mcp.example.com")
                .body(Body::empty())
                .unwrap();
            app.clone().oneshot(request).await.unwrap()
        })
    });
    c.bench_function("build the router (cold start)", |b| {
        b.iter(|| router(black_box(state.clone())))
    });
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
