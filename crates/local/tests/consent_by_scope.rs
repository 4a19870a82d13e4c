//! Consent by scope, through HTTP on both stores: the consent page says what each scope allows and
//! which tools it unlocks, and lets the person grant read-only; the token carries what they chose;
//! `tools/list` shows only the tools its scopes allow; a call beyond them is the 403
//! `insufficient_scope` step-up naming every scope it needs; asking again for them works.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use remote_mcp_core::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use support::{CLAUDE_CALLBACK, authorize_choosing, http, serve};

async fn call(origin: &str, token: &str, method: &str, params: Value) -> reqwest::Response {
    http()
        .post(format!("{origin}/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .unwrap()
}

async fn tool_names(origin: &str, token: &str) -> Vec<String> {
    let listed: Value = call(origin, token, "tools/list", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let mut names: Vec<String> = listed["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

async fn add_note(origin: &str, token: &str) -> reqwest::Response {
    call(
        origin,
        token,
        "tools/call",
        json!({"name": "add_note", "arguments": {"title": "t", "body": "b"}}),
    )
    .await
}

fn access_token(tokens: &Value) -> String {
    tokens["access_token"].as_str().unwrap().to_owned()
}

async fn read_only_then_step_up(store: Arc<dyn Store>) {
    let origin = serve(store).await;
    let everything = "mcp mcp:write";

    // The client asks for everything; the person grants read-only.
    let read = authorize_choosing(
        &origin,
        CLAUDE_CALLBACK,
        CLAUDE_CALLBACK,
        everything,
        Some("read"),
    )
    .await;
    assert_eq!(read.tokens["scope"], "mcp", "the token carries the choice");
    let token = access_token(&read.tokens);
    assert_eq!(
        tool_names(&origin, &token).await,
        [
            "list_notes",
            "long_running_operation",
            "search_notes",
            "whoami"
        ],
        "a read-only connection lists only the tools that read"
    );
    let listed = call(
        &origin,
        &token,
        "tools/call",
        json!({"name": "list_notes", "arguments": {}}),
    )
    .await;
    assert_eq!(listed.status(), StatusCode::OK);

    // A write is the step-up: 403, and the challenge names every scope the call needs.
    let refused = add_note(&origin, &token).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let challenge = refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains(r#"error="insufficient_scope""#)
            && challenge.contains(r#"scope="mcp mcp:write""#),
        "{challenge}"
    );

    // A refresh keeps what was granted and cannot widen it.
    let refresh_token = read.tokens["refresh_token"].as_str().unwrap();
    let widened = http()
        .post(format!("{origin}/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", read.client_id.as_str()),
            ("scope", everything),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(widened.status(), StatusCode::BAD_REQUEST);
    let body: Value = widened.json().await.unwrap();
    assert_eq!(body["error"], "invalid_scope");

    // Step-up: the client asks again with the challenged scopes, and the person grants them.
    let full =
        authorize_choosing(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, everything, None).await;
    assert_eq!(full.tokens["scope"], everything);
    let token = access_token(&full.tokens);
    assert_eq!(
        tool_names(&origin, &token).await,
        [
            "add_note",
            "delete_note",
            "list_notes",
            "long_running_operation",
            "search_notes",
            "whoami"
        ]
    );
    let added: Value = add_note(&origin, &token).await.json().await.unwrap();
    assert_eq!(added["result"]["isError"], false, "{added}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_grant_lists_and_calls_only_read_tools_on_the_memory_store() {
    read_only_then_step_up(remote_mcp_testkit::memory_store()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_grant_lists_and_calls_only_read_tools_on_dynamodb_local() {
    read_only_then_step_up(remote_mcp_testkit::fresh_dynamo_store().await).await;
}

/// The page's words: each requested scope with the tools it unlocks, and the read-only choice
/// only when there is something to leave out. A choice the page never offered is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_page_describes_each_scope_and_offers_read_only() {
    let origin = serve(remote_mcp_testkit::memory_store()).await;
    let registered: Value = http()
        .post(format!("{origin}/register"))
        .json(
            &json!({"client_name": "Scoped", "redirect_uris": [CLAUDE_CALLBACK],
                      "token_endpoint_auth_method": "none"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = registered["client_id"].as_str().unwrap();
    let page = |scope: &'static str| {
        let url = url::Url::parse_with_params(
            &format!("{origin}/authorize"),
            &[
                ("response_type", "code"),
                ("client_id", client_id),
                ("redirect_uri", CLAUDE_CALLBACK),
                (
                    "code_challenge",
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                ),
                ("code_challenge_method", "S256"),
                ("scope", scope),
            ],
        )
        .unwrap();
        async move {
            let reply = http().get(url).send().await.unwrap();
            assert_eq!(reply.status(), StatusCode::OK);
            reply.text().await.unwrap()
        }
    };
    let everything = page("mcp mcp:write").await;
    assert!(
        everything.contains("<strong>Read your data</strong>: Who am I, List notes, Search notes")
            && everything.contains(
                "<strong>Change and delete your data</strong>: Add a note, Delete a note"
            ),
        "{everything}"
    );
    assert!(
        everything.contains(r#"name="access" value="read""#)
            && everything.contains(r#"name="access" value="all" checked"#),
        "{everything}"
    );
    let read = page("mcp").await;
    assert!(read.contains("<strong>Read your data</strong>"), "{read}");
    assert!(!read.contains("Change and delete"), "{read}");
    assert!(
        !read.contains(r#"name="access""#),
        "nothing to leave out: {read}"
    );
}
