//! RFC 7591 / 7592 registration, including the bodies real MCP clients send.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use support::*;

#[tokio::test]
async fn accepts_claude_2025_body_without_secret() {
    let s = Server::memory().await;
    let body = s
        .register(json!({
            "client_name": "claudeai",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "scope": "claudeai",
            "redirect_uris": [CLAUDE_CALLBACK]
        }))
        .await;
    assert!(body["client_id"].is_string());
    assert!(body["client_id_issued_at"].is_i64());
    assert!(
        body.get("client_secret").is_none(),
        "public clients get no secret"
    );
    assert_eq!(body["token_endpoint_auth_method"], "none");
    assert_eq!(body["client_name"], "claudeai");
    assert_eq!(body["scope"], "claudeai");
    assert_eq!(body["redirect_uris"], json!([CLAUDE_CALLBACK]));
    assert_eq!(
        body["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(body["response_types"], json!(["code"]));
    assert_eq!(
        body["registration_client_uri"],
        format!("{ISSUER}/register/{}", body["client_id"].as_str().unwrap())
    );
    assert!(body["registration_access_token"].is_string());
}

#[tokio::test]
async fn accepts_claude_2026_body_without_scope() {
    let s = Server::memory().await;
    let body = s
        .register(json!({
            "redirect_uris": [CLAUDE_CALLBACK],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "client_name": "Claude"
        }))
        .await;
    assert!(body.get("scope").is_none());
    assert!(body.get("client_secret").is_none());
}

#[tokio::test]
async fn secret_methods_get_a_secret_exactly_as_requested() {
    let s = Server::memory().await;
    for method in ["client_secret_post", "client_secret_basic"] {
        let body = s
            .register(
                json!({"redirect_uris": [CLAUDE_CALLBACK], "client_name": "Claude",
                             "token_endpoint_auth_method": method}),
            )
            .await;
        assert_eq!(body["token_endpoint_auth_method"], method);
        assert_eq!(body["client_secret"].as_str().unwrap().len(), 43);
        assert_eq!(body["client_secret_expires_at"], 0);
    }
}

#[tokio::test]
async fn accepts_mcp_sdk_body_with_application_type() {
    let s = Server::memory().await;
    let body = s
        .register(json!({
            "redirect_uris": ["http://localhost:6274/oauth/callback"],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "client_name": "MCP Inspector",
            "client_uri": "https://github.com/modelcontextprotocol/inspector",
            "application_type": "native"
        }))
        .await;
    assert_eq!(body["application_type"], "native");
}

#[tokio::test]
async fn rejects_unsafe_redirect_uris() {
    let s = Server::memory().await;
    for bad in [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "http://evil.example.com/cb",
        "https://claude.ai/cb#fragment",
        "https://user@claude.ai/cb",
        "https://claude.ai/c b",
        "https://claude.ai/cb\u{0000}",
        "HTTPS://claude.ai/cb",
    ] {
        let reply = s
            .post_json(
                "/register",
                &json!({"redirect_uris": [bad], "token_endpoint_auth_method": "none"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(reply.json()["error"], "invalid_redirect_uri", "{bad:?}");
    }
}

#[tokio::test]
async fn rejects_missing_and_too_many_redirect_uris() {
    let s = Server::memory().await;
    let many: Vec<String> = (0..11)
        .map(|i| format!("https://a.example/cb{i}"))
        .collect();
    for body in [
        json!({"token_endpoint_auth_method": "none"}),
        json!({"redirect_uris": many}),
    ] {
        let reply = s.post_json("/register", &body).await;
        assert_eq!(reply.json()["error"], "invalid_redirect_uri");
    }
}

#[tokio::test]
async fn rejects_bad_metadata() {
    let s = Server::memory().await;
    for (body, why) in [
        (
            json!({"redirect_uris": [CLAUDE_CALLBACK], "token_endpoint_auth_method": "private_key_jwt"}),
            "auth method",
        ),
        (
            json!({"redirect_uris": [CLAUDE_CALLBACK], "response_types": ["token"]}),
            "implicit",
        ),
        (
            json!({"redirect_uris": [CLAUDE_CALLBACK], "grant_types": ["password"]}),
            "password grant",
        ),
        (
            json!({"redirect_uris": [CLAUDE_CALLBACK], "client_uri": "javascript:alert(1)"}),
            "client_uri scheme",
        ),
        (
            json!({"redirect_uris": [CLAUDE_CALLBACK], "scope": "admin"}),
            "unknown scope",
        ),
        (
            json!({"redirect_uris": [CLAUDE_CALLBACK], "application_type": "toaster"}),
            "application_type",
        ),
        (
            json!({"redirect_uris": [CLAUDE_CALLBACK], "client_name": "x".repeat(101)}),
            "long name",
        ),
    ] {
        let reply = s.post_json("/register", &body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{why}");
        assert_eq!(reply.json()["error"], "invalid_client_metadata", "{why}");
    }
    let reply = s
        .send(
            Request::post("/register")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.json()["error"], "invalid_client_metadata");
}

#[tokio::test]
async fn rejects_oversized_bodies() {
    let s = Server::memory().await;
    let reply = s
        .post_json(
            "/register",
            &json!({"redirect_uris": [CLAUDE_CALLBACK], "client_name": "x".repeat(20_000)}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn registration_management_needs_the_registration_token() {
    let s = Server::memory().await;
    let body = s
        .register(json!({"redirect_uris": [CLAUDE_CALLBACK], "token_endpoint_auth_method": "none"}))
        .await;
    let uri = body["registration_client_uri"]
        .as_str()
        .unwrap()
        .trim_start_matches(ISSUER)
        .to_owned();
    let token = body["registration_access_token"].as_str().unwrap();
    let with = |method: &str, auth: &str| {
        Request::builder()
            .method(method)
            .uri(&uri)
            .header(header::AUTHORIZATION, auth)
            .body(Body::empty())
            .unwrap()
    };
    let read = s.send(with("GET", &format!("Bearer {token}"))).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.json()["client_id"], body["client_id"]);
    assert!(read.json().get("registration_access_token").is_none());

    for bad in ["Bearer wrong", "Basic abc", ""] {
        assert_eq!(
            s.send(with("GET", bad)).await.status,
            StatusCode::UNAUTHORIZED,
            "{bad:?}"
        );
        assert_eq!(
            s.send(with("DELETE", bad)).await.status,
            StatusCode::UNAUTHORIZED,
            "{bad:?}"
        );
    }
    assert_eq!(
        s.send(with("DELETE", &format!("bearer {token}")))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.send(with("GET", &format!("Bearer {token}"))).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn registration_responses_are_not_cached() {
    let s = Server::memory().await;
    let reply = s
        .post_json("/register", &json!({"redirect_uris": [CLAUDE_CALLBACK]}))
        .await;
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let _: Value = reply.json();
}

/// Registrations write to the table unauthenticated, so each source address gets a budget per hour
/// (60 by default); others are unaffected, and the refusal is a JSON error with 429.
#[tokio::test]
async fn registrations_are_limited_per_source_address() {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let s = Server::memory().await;
    let from = |address: &str| {
        let mut request = Request::post("/register")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"client_name": "flood", "redirect_uris": [CLAUDE_CALLBACK],
                       "token_endpoint_auth_method": "none"})
                .to_string(),
            ))
            .unwrap();
        let peer: SocketAddr = address.parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    };
    for _ in 0..remote_mcp_core::config::DEFAULT_REGISTRATIONS_PER_HOUR {
        assert_eq!(
            s.send(from("203.0.113.7:4000")).await.status,
            StatusCode::CREATED
        );
    }
    let refused = s.send(from("203.0.113.7:4001")).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.json()["error"], "temporarily_unavailable");
    assert_eq!(refused.header("cache-control"), Some("no-store"));
    assert_eq!(
        s.send(from("198.51.100.9:4000")).await.status,
        StatusCode::CREATED,
        "other addresses are unaffected"
    );
}

#[tokio::test]
async fn client_names_with_invisible_or_blank_code_points_are_rejected() {
    let s = Server::memory().await;
    // "Claude" followed by an override that would flip what comes after, or hidden joiners.
    for name in [
        "Claude\u{202E}edualC",
        "Cla\u{200B}ude",
        "Claude\u{2066}",
        "\u{FEFF}Claude",
        // Blanks that are no format characters: Hangul fillers, the Braille blank, the combining
        // grapheme joiner, a variation selector, the line separator, the ideographic space.
        "\u{3164}",
        "Claude\u{115F}",
        "\u{2800}\u{2800}",
        "Cla\u{034F}ude",
        "Claude\u{FE0F}",
        "Claude\u{2028}Code",
        "Claude\u{3000}",
    ] {
        let reply = s
            .post_json(
                "/register",
                &json!({"redirect_uris": [CLAUDE_CALLBACK], "token_endpoint_auth_method": "none",
                        "client_name": name}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name:?}");
        assert_eq!(reply.json()["error"], "invalid_client_metadata");
    }
    // Ordinary names in any script are fine.
    s.register(
        json!({"redirect_uris": [CLAUDE_CALLBACK], "token_endpoint_auth_method": "none",
                      "client_name": "Clôde — 克劳德"}),
    )
    .await;
}
