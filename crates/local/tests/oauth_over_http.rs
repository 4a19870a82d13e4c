//! The OAuth journey over real HTTP against the app `make run` serves, on both stores:
//! discover → register → authorize → approve → token → refresh (rotated) → revoke.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use remote_mcp_core::Store;
use serde_json::Value;
use std::sync::Arc;
use support::*;

async fn journey(store: Arc<dyn Store>, registered_redirect: &str, used_redirect: &str) {
    let origin = serve(store).await;
    let session = authorize(&origin, registered_redirect, used_redirect, "mcp").await;
    let http = http();
    let token_endpoint = session.metadata["token_endpoint"].as_str().unwrap();
    let client_id = session.client_id.as_str();
    let first_refresh = session.tokens["refresh_token"].as_str().unwrap();

    let refreshed: Value = http
        .post(token_endpoint)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", first_refresh),
            ("client_id", client_id),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second_refresh = refreshed["refresh_token"].as_str().unwrap();
    assert_ne!(second_refresh, first_refresh, "rotated");

    let revoked = http
        .post(session.metadata["revocation_endpoint"].as_str().unwrap())
        .form(&[("token", second_refresh), ("client_id", client_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let after = http
        .post(token_endpoint)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", second_refresh),
            ("client_id", client_id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 400);
    assert_eq!(
        after.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
}

remote_mcp_testkit::both_stores! {
    public_loopback_client => |store| journey(
        store,
        "http://127.0.0.1/callback",
        "http://127.0.0.1:61234/callback",
    ),
    claude_style_client => |store| journey(store, CLAUDE_CALLBACK, CLAUDE_CALLBACK),
}

/// `remote-mcp-token`'s flow: discovery from the MCP URL, registration, PKCE, sign-in, exchange; the
/// token it returns works on /mcp, and a wrong password stops it with the consent page's message.
#[tokio::test]
async fn headless_sign_in_returns_a_working_token() {
    use remote_mcp_testkit::headless::{Credentials, sign_in};
    let origin = serve(remote_mcp_testkit::memory_store()).await;
    let mcp = url::Url::parse(&format!("{origin}/mcp")).unwrap();
    let credentials = Credentials {
        email: EMAIL.into(),
        password: PASSWORD.into(),
    };
    let tokens = sign_in(&mcp, &credentials, "").await.unwrap();
    assert_eq!(tokens.scope.as_deref(), Some("mcp mcp:write"));
    assert!(tokens.refresh_token.is_some());
    let listed = http()
        .post(mcp.as_str())
        .bearer_auth(&tokens.access_token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);

    let wrong = Credentials {
        email: EMAIL.into(),
        password: "not the password".into(),
    };
    let error = sign_in(&mcp, &wrong, "").await.unwrap_err();
    assert!(
        format!("{error:#}").contains("The email or password is not right"),
        "{error:#}"
    );
}
