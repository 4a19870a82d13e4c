//! Tools, resources and the prompt: schemas and annotations, valid and invalid calls, and per-user
//! isolation of notes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use serde_json::{Value, json};
use support::*;

fn is_error(result: &Value) -> bool {
    result["isError"] == json!(true)
}

#[tokio::test]
async fn every_tool_is_described_with_schemas_and_annotations() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let tools = s.rpc(&token, "tools/list", json!({})).await.result()["tools"].clone();
    let names: Vec<&str> = tools
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for expected in [
        "whoami",
        "add_note",
        "list_notes",
        "search_notes",
        "delete_note",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    for tool in tools.as_array().unwrap() {
        let name = tool["name"].as_str().unwrap();
        assert!(
            tool["description"].as_str().is_some_and(|d| d.len() > 10),
            "{name}"
        );
        assert_eq!(tool["inputSchema"]["type"], "object", "{name}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{name}");
        assert_annotations_consistent(name, &tool["annotations"]);
    }
    let delete = tools
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "delete_note")
        .unwrap();
    assert_eq!(delete["annotations"]["destructiveHint"], true);
}

/// What clients show users and what our scopes promise must agree: every tool says whether it only
/// reads and whether it reaches beyond this server (either answer is fine: a tool that calls an
/// API says `openWorldHint: true`); a read-only tool does not destroy; and the tool's row in the
/// one tool → scope table (`remote_mcp_core::scopes::TOOLS`) has its title and read-only-ness, so
/// a read-only tool needs `mcp` alone and any other needs `mcp:write` too.
fn assert_annotations_consistent(name: &str, annotations: &serde_json::Value) {
    use mcp_function::tools::{WRITE, required_scopes};
    let title = annotations["title"].as_str().unwrap_or_default();
    assert!(!title.is_empty(), "{name}: a title");
    let read_only = annotations["readOnlyHint"]
        .as_bool()
        .unwrap_or_else(|| panic!("{name}: readOnlyHint must be stated"));
    assert!(
        annotations["openWorldHint"].is_boolean(),
        "{name}: openWorldHint must be stated"
    );
    let row = remote_mcp_core::scopes::TOOLS
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("{name}: a row in remote_mcp_core::scopes::TOOLS"));
    assert_eq!(
        row.title, title,
        "{name}: the table's title is the annotation's"
    );
    assert_eq!(
        row.read_only, read_only,
        "{name}: the table says whether it only reads"
    );
    let needs_write = required_scopes(name).contains(&WRITE);
    if read_only {
        assert!(
            annotations["destructiveHint"].as_bool() != Some(true),
            "{name}: read-only yet destructive"
        );
        assert!(!needs_write, "{name}: read-only yet needs {WRITE}");
    } else {
        assert!(
            annotations["destructiveHint"].is_boolean(),
            "{name}: a tool that writes must say whether it destroys"
        );
        assert!(needs_write, "{name}: it changes data, so it needs {WRITE}");
    }
}

#[tokio::test]
async fn whoami_reports_the_verified_caller() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let result = s.call(&token, "whoami", json!({})).await;
    assert!(!is_error(&result));
    assert_eq!(result["structuredContent"]["subject"], "alice");
    assert_eq!(result["structuredContent"]["client_id"], "client-1");
    assert_eq!(
        result["structuredContent"]["scopes"],
        json!(["mcp", "mcp:write"])
    );
    let text = result["content"][0]["text"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(text).unwrap(),
        result["structuredContent"],
        "text fallback"
    );
}

#[tokio::test]
async fn notes_round_trip_with_structured_results() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let added = s
        .call(
            &token,
            "add_note",
            json!({"title": "Groceries", "body": "oat milk, bread"}),
        )
        .await;
    assert!(!is_error(&added), "{added}");
    let note = added["structuredContent"].clone();
    let id = note["id"].as_str().unwrap().to_owned();
    assert_eq!(note["uri"], format!("note://{id}"));

    s.call(
        &token,
        "add_note",
        json!({"title": "Ideas", "body": "a notes app for Claude"}),
    )
    .await;
    let listed = s.call(&token, "list_notes", json!({})).await["structuredContent"].clone();
    assert_eq!(listed["count"], 2);
    assert_eq!(listed["notes"][0]["title"], "Groceries");

    let found = s
        .call(&token, "search_notes", json!({"query": "MILK bread"}))
        .await["structuredContent"]
        .clone();
    assert_eq!(found["count"], 1);
    assert_eq!(found["notes"][0]["id"], id.as_str());
    let none = s
        .call(&token, "search_notes", json!({"query": "pizza"}))
        .await["structuredContent"]
        .clone();
    assert_eq!(none["count"], 0);

    let deleted = s.call(&token, "delete_note", json!({"id": id})).await;
    assert_eq!(
        deleted["structuredContent"],
        json!({"id": id, "deleted": true})
    );
    assert_eq!(
        s.call(&token, "list_notes", json!({})).await["structuredContent"]["count"],
        1
    );
}

#[tokio::test]
async fn invalid_arguments_are_tool_errors_not_protocol_errors() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    for (tool, arguments) in [
        ("add_note", json!({})),
        ("add_note", json!({"title": 42, "body": "x"})),
        ("add_note", json!({"title": "", "body": "x"})),
        ("add_note", json!({"title": "x".repeat(201), "body": "x"})),
        (
            "add_note",
            json!({"title": "t", "body": "x".repeat(10_001)}),
        ),
        ("search_notes", json!({"query": "   "})),
        ("search_notes", json!({"q": "x"})),
        ("delete_note", json!({"id": "no-such-note"})),
        ("delete_note", json!({})),
    ] {
        let reply = s
            .rpc(
                &token,
                "tools/call",
                json!({"name": tool, "arguments": arguments}),
            )
            .await;
        assert!(
            reply.json().get("error").is_none(),
            "{tool} {arguments}: {}",
            reply.text
        );
        let result = reply.result();
        assert!(is_error(&result), "{tool} {arguments}: {result}");
        assert!(
            result["content"][0]["text"]
                .as_str()
                .is_some_and(|t| !t.is_empty())
        );
    }
}

#[tokio::test]
async fn unknown_tool_is_a_protocol_error() {
    let s = Server::new();
    let token = s.token("alice", "mcp").await;
    let reply = s
        .rpc(
            &token,
            "tools/call",
            json!({"name": "rm_rf", "arguments": {}}),
        )
        .await;
    assert!(reply.json().get("error").is_some(), "{}", reply.text);
}

#[tokio::test]
async fn users_see_only_their_own_notes() {
    let s = Server::new();
    let alice = s.token("alice", "mcp mcp:write").await;
    let bob = s.token("bob", "mcp mcp:write").await;
    let secret = s
        .call(
            &alice,
            "add_note",
            json!({"title": "Alice's", "body": "private"}),
        )
        .await;
    let id = secret["structuredContent"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(
        s.call(&bob, "list_notes", json!({})).await["structuredContent"]["count"],
        0
    );
    assert_eq!(
        s.call(&bob, "search_notes", json!({"query": "private"}))
            .await["structuredContent"]["count"],
        0
    );
    assert!(is_error(
        &s.call(&bob, "delete_note", json!({"id": id})).await
    ));
    let read = s
        .rpc(
            &bob,
            "resources/read",
            json!({"uri": format!("note://{id}")}),
        )
        .await;
    assert!(read.json().get("error").is_some(), "{}", read.text);
    assert_eq!(
        s.call(&alice, "list_notes", json!({})).await["structuredContent"]["count"],
        1,
        "still there"
    );
}

#[tokio::test]
async fn notes_are_resources_with_a_template() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let added = s
        .call(
            &token,
            "add_note",
            json!({"title": "Trip", "body": "Lisbon in May"}),
        )
        .await;
    let uri = added["structuredContent"]["uri"]
        .as_str()
        .unwrap()
        .to_owned();

    let listed = s.rpc(&token, "resources/list", json!({})).await.result();
    assert_eq!(listed["resources"][0]["uri"], uri.as_str());
    assert_eq!(listed["resources"][0]["name"], "Trip");
    let templates = s
        .rpc(&token, "resources/templates/list", json!({}))
        .await
        .result();
    assert_eq!(
        templates["resourceTemplates"][0]["uriTemplate"],
        "note://{id}"
    );
    let read = s
        .rpc(&token, "resources/read", json!({"uri": uri}))
        .await
        .result();
    assert_eq!(read["contents"][0]["text"], "# Trip\n\nLisbon in May\n");
    assert_eq!(read["contents"][0]["mimeType"], "text/markdown");
}

#[tokio::test]
async fn summarize_prompt_uses_the_callers_notes() {
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    s.call(
        &token,
        "add_note",
        json!({"title": "Trip", "body": "Lisbon in May"}),
    )
    .await;
    s.call(
        &token,
        "add_note",
        json!({"title": "Work", "body": "ship the connector"}),
    )
    .await;
    let prompts = s.rpc(&token, "prompts/list", json!({})).await.result();
    assert_eq!(prompts["prompts"][0]["name"], "summarize_notes");
    let prompt = s
        .rpc(
            &token,
            "prompts/get",
            json!({"name": "summarize_notes", "arguments": {"topic": "lisbon"}}),
        )
        .await
        .result();
    let text = prompt["messages"][0]["content"]["text"].as_str().unwrap();
    assert!(text.contains("Lisbon in May"));
    assert!(!text.contains("ship the connector"));
}

/// A server offering every tool: with a token vault holding an OpenID provider and GitHub.
fn server_with_every_tool() -> mcp_function::server::McpServer {
    use remote_mcp_core::providers::ProviderConfig;
    use std::sync::Arc;
    let store = Arc::new(remote_mcp_core::MemoryStore::new());
    let providers: Vec<ProviderConfig> = serde_json::from_value(json!([
        {"id": "corp", "name": "Corp", "issuer": "https://idp.example", "client_id": "c",
         "client_secret": "s", "vault": true},
        {"id": "github", "name": "GitHub", "kind": "github", "issuer": "https://github.com",
         "client_id": "c", "client_secret": "s", "vault": true},
    ]))
    .unwrap();
    let vault = remote_mcp_core::vault::Vault::new(Arc::new(
        remote_mcp_core::vault::LocalDataKeys::generate().unwrap(),
    ));
    let upstreams =
        remote_mcp_core::upstream::Upstreams::new(&providers, store.clone(), vault, None);
    mcp_function::server::McpServer::new(store).with_elsewhere(mcp_function::elsewhere::Elsewhere {
        upstreams: Arc::new(upstreams),
        connect_url: "https://mcp.example/account".into(),
        issuer: "https://mcp.example".into(),
    })
}

/// The tools that call a provider are offered only with a provider of their kind keeping tokens.
#[test]
fn tools_calling_providers_are_offered_only_with_a_vault() {
    let names = |server: mcp_function::server::McpServer| -> Vec<String> {
        server
            .tools()
            .into_iter()
            .map(|t| t.name.to_string())
            .collect()
    };
    let plain = names(mcp_function::server::McpServer::new(std::sync::Arc::new(
        remote_mcp_core::MemoryStore::new(),
    )));
    assert!(
        !plain
            .iter()
            .any(|n| n == "provider_profile" || n == "github_repositories")
    );
    let every = names(server_with_every_tool());
    assert!(every.iter().any(|n| n == "provider_profile"));
    assert!(every.iter().any(|n| n == "github_repositories"));
}

/// The tool → scope table names only tools that exist.
#[test]
fn every_tool_in_the_scope_table_exists() {
    let tools = server_with_every_tool().tools();
    for row in remote_mcp_core::scopes::TOOLS {
        assert!(
            tools.iter().any(|t| t.name == row.name),
            "remote_mcp_core::scopes::TOOLS names {}, which is not a tool",
            row.name
        );
    }
}
