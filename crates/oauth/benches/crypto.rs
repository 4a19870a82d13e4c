//! The OAuth function's CPU costs per request: signing an access token (ES256, locally; in AWS the
//! signature is KMS's), checking a PKCE verifier, and the Argon2id password check that sign-in
//! pays on purpose. Plus building the router, the part of a cold start that is ours.
//!
//! `make bench` (or `cargo bench -p oauth-function`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code

use criterion::{Criterion, criterion_group, criterion_main};
use oauth_function::pkce::S256Challenge;
use oauth_function::{AppState, router};
use remote_mcp_core::token::{AccessClaims, LocalSigner, encode};
use remote_mcp_core::{Config, MemoryStore, UnixTime, password};
use std::hint::black_box;
use std::sync::Arc;

fn oauth(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let signer = Arc::new(LocalSigner::generate());
    let now = UnixTime::now().seconds();
    let claims = AccessClaims {
        iss: "https://mcp.example.com".into(),
        sub: "user-1".into(),
        aud: "https://mcp.example.com/mcp".into(),
        client_id: "client-1".into(),
        scope: "mcp".into(),
        iat: now,
        exp: now + 3600,
        jti: "bench".into(),
        gid: None,
        email: None,
        name: None,
    };
    c.bench_function("sign ES256 access token (local key)", |b| {
        b.to_async(&runtime)
            .iter(|| async { encode(black_box(&claims), signer.as_ref()).await.unwrap() })
    });

    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = S256Challenge::parse(
        Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        Some("S256"),
    )
    .unwrap();
    c.bench_function("verify PKCE S256", |b| {
        b.iter(|| assert!(challenge.verify(black_box(verifier))))
    });

    let stored = password::hash("correct horse battery staple").unwrap();
    let mut group = c.benchmark_group("sign-in");
    group.sample_size(10);
    group.bench_function("verify Argon2id password", |b| {
        b.iter(|| {
            assert!(password::verify(
                &stored,
                black_box("correct horse battery staple")
            ))
        })
    });
    group.finish();

    let config = Config::local("https://mcp.example.com").unwrap();
    let store = Arc::new(MemoryStore::new());
    c.bench_function("build the router (cold start)", |b| {
        b.iter(|| {
            router(AppState::new(
                config.clone(),
                store.clone(),
                store.clone(),
                signer.clone(),
            ))
        })
    });
}

criterion_group!(benches, oauth);
criterion_main!(benches);
