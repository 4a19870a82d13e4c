//! The bearer layer, step-up, Origin and method rules in front of the MCP endpoint.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use remote_mcp_core::token::{AccessClaims, LocalSigner, encode};
use serde_json::json;
use support::*;

const PRM: &str = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";

fn list() -> serde_json::Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})
}

#[tokio::test]
async fn missing_token_gets_401_with_metadata_url_and_scope() {
    let s = Server::new();
    for path in ["/mcp", "/"] {
        let reply = s.post(path, None, &initialize("2025-06-18"), &[]).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            reply.header("www-authenticate"),
            Some(format!(r#"Bearer resource_metadata="{PRM}", scope="mcp mcp:write""#).as_str())
        );
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
}

#[tokio::test]
async fn bad_tokens_get_401_invalid_token_never_403() {
    let s = Server::new();
    let now = remote_mcp_core::UnixTime::now().seconds();
    let base = s.claims("alice", "mcp");
    let expired = AccessClaims {
        iat: now - 7200,
        exp: now - 3600,
        ..base.clone()
    };
    let wrong_audience = AccessClaims {
        aud: "https://other.example.com/mcp".into(),
        ..base.clone()
    };
    let wrong_issuer = AccessClaims {
        iss: "https://evil.example.com".into(),
        ..base.clone()
    };
    let foreign_key = encode(&base, &LocalSigner::generate()).await.unwrap();
    let cases = vec![
        ("malformed", "not-a-jwt".to_owned()),
        ("expired", s.sign(&expired).await),
        ("wrong audience", s.sign(&wrong_audience).await),
        ("wrong issuer", s.sign(&wrong_issuer).await),
        ("foreign key", foreign_key),
    ];
    for (why, token) in cases {
        let reply = s
            .post("/mcp", Some(&token), &initialize("2025-06-18"), &[])
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{why}");
        let challenge = reply.header("www-authenticate").unwrap();
        assert!(
            challenge.contains(r#"error="invalid_token""#),
            "{why}: {challenge}"
        );
        assert!(
            challenge.contains(&format!(r#"resource_metadata="{PRM}""#)),
            "{why}"
        );
    }
}

#[tokio::test]
async fn token_in_query_string_is_ignored() {
    let s = Server::new();
    let token = s.token("alice", "mcp").await;
    let reply = s
        .post(&format!("/mcp?access_token={token}"), None, &list(), &[])
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive() {
    let s = Server::new();
    let token = s.token("alice", "mcp").await;
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let request = Request::post("/mcp")
            .header("host", HOST)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("authorization", format!("{scheme} {token}"))
            .body(Body::from(initialize("2025-06-18").to_string()))
            .unwrap();
        assert_eq!(s.send(request).await.status, StatusCode::OK, "{scheme}");
    }
}

#[tokio::test]
async fn insufficient_scope_gets_403_naming_every_needed_scope() {
    let s = Server::new();
    let reader = s.token("alice", "mcp").await;
    let body = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                      "params": {"name": "delete_note", "arguments": {"id": "x"}}});
    let reply = s
        .post(
            "/mcp",
            Some(&reader),
            &body,
            &[("mcp-protocol-version", "2025-06-18")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let challenge = reply.header("www-authenticate").unwrap();
    assert!(
        challenge.contains(r#"error="insufficient_scope""#),
        "{challenge}"
    );
    assert!(
        challenge.contains(r#"scope="mcp mcp:write""#),
        "{challenge}"
    );
    assert!(challenge.contains(&format!(r#"resource_metadata="{PRM}""#)));

    let writer = s.token("alice", "mcp mcp:write").await;
    let reply = s
        .post(
            "/mcp",
            Some(&writer),
            &body,
            &[("mcp-protocol-version", "2025-06-18")],
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "the step-up token passes the scope check"
    );
}

#[tokio::test]
async fn get_and_delete_are_405_with_allow_post() {
    let s = Server::new();
    let token = s.token("alice", "mcp").await;
    for method in ["GET", "DELETE"] {
        for auth in [None, Some(token.as_str())] {
            let mut request = Request::builder()
                .method(method)
                .uri("/mcp")
                .header("host", HOST)
                .header("accept", "text/event-stream");
            if let Some(t) = auth {
                request = request.header("authorization", format!("Bearer {t}"));
            }
            let reply = s.send(request.body(Body::empty()).unwrap()).await;
            assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
            assert_eq!(reply.header("allow"), Some("POST"), "{method}");
        }
    }
}

#[tokio::test]
async fn foreign_origin_is_403_and_absent_or_own_origin_pass() {
    let s = Server::new();
    let token = s.token("alice", "mcp").await;
    let body = initialize("2025-11-25");
    let foreign = s
        .post(
            "/mcp",
            Some(&token),
            &body,
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    let unauthenticated_foreign = s
        .post("/mcp", None, &body, &[("origin", "https://evil.example")])
        .await;
    assert_eq!(
        unauthenticated_foreign.status,
        StatusCode::FORBIDDEN,
        "Origin is checked first"
    );
    let own = s
        .post("/mcp", Some(&token), &body, &[("origin", ISSUER)])
        .await;
    assert_eq!(own.status, StatusCode::OK);
    let absent = s.post("/mcp", Some(&token), &body, &[]).await;
    assert_eq!(absent.status, StatusCode::OK);
}

#[tokio::test]
async fn responses_are_uncacheable_and_vary_by_authorization() {
    let s = Server::new();
    let token = s.token("alice", "mcp").await;
    let reply = s
        .post("/mcp", Some(&token), &initialize("2025-06-18"), &[])
        .await;
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("vary"), Some("Authorization"));
}

#[tokio::test]
async fn foreign_host_is_refused() {
    let s = Server::new();
    let token = s.token("alice", "mcp").await;
    let request = Request::post("/mcp")
        .header("host", "attacker.example")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(initialize("2025-06-18").to_string()))
        .unwrap();
    let reply = s.send(request).await;
    assert!(reply.status.is_client_error(), "{}", reply.status);
}
