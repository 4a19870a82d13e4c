//! Tool calls as tasks (the MCP Tasks extension, 2026-07-28 era) over real HTTP, with tokens from
//! the real OAuth flow, on both stores: a declaring client gets a task and polls it to its result
//! with progress on the way, and cancels another; a client that did not declare the extension
//! never sees one; one person's task is nobody else's; a task whose work runs out of time ends
//! `failed`; one person's tasks in flight are limited.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use remote_mcp_core::Store;
use remote_mcp_local::dev_user;
use remote_mcp_testkit::headless::{Credentials, SignIn, sign_in_with};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

const TASKS: &str = "io.modelcontextprotocol/tasks";

/// `_meta` of a 2026-07-28 request, declaring the Tasks extension or not.
fn meta(tasks: bool) -> Value {
    let capabilities = if tasks {
        json!({"extensions": {TASKS: {}}})
    } else {
        json!({})
    };
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "claude-code", "version": "2.1.320"},
        "io.modelcontextprotocol/clientCapabilities": capabilities,
    })
}

/// A 2026-07-28 request, with the headers that mirror it; the HTTP status and the body.
async fn rpc(origin: &str, token: &str, method: &str, params: Value, name: &str) -> (u16, Value) {
    let mut request = http()
        .post(format!("{origin}/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", method)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}));
    if !name.is_empty() {
        request = request.header("mcp-name", name);
    }
    let reply = request.send().await.unwrap();
    (reply.status().as_u16(), reply.json().await.unwrap())
}

/// Calls `long_running_operation`; the whole JSON-RPC answer.
async fn start(origin: &str, token: &str, seconds: f64, steps: u32, tasks: bool) -> (u16, Value) {
    let params = json!({
        "name": "long_running_operation",
        "arguments": {"duration_seconds": seconds, "steps": steps},
        "_meta": meta(tasks),
    });
    rpc(
        origin,
        token,
        "tools/call",
        params,
        "long_running_operation",
    )
    .await
}

async fn get(origin: &str, token: &str, id: &str) -> (u16, Value) {
    let params = json!({"taskId": id, "_meta": meta(true)});
    rpc(origin, token, "tasks/get", params, id).await
}

async fn cancel(origin: &str, token: &str, id: &str) -> (u16, Value) {
    let params = json!({"taskId": id, "_meta": meta(true)});
    rpc(origin, token, "tasks/cancel", params, id).await
}

/// Polls until the task is final; its last `tasks/get` result and every status message seen.
async fn until_final(origin: &str, token: &str, id: &str) -> (Value, Vec<String>) {
    let mut messages = Vec::new();
    let give_up = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = get(origin, token, id).await;
        assert_eq!(status, 200, "{body}");
        let task = body["result"].clone();
        if let Some(message) = task["statusMessage"].as_str()
            && messages.last().is_none_or(|m| m != message)
        {
            messages.push(message.to_owned());
        }
        if task["status"] != "working" {
            return (task, messages);
        }
        assert!(Instant::now() < give_up, "still working: {task}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn task_id(answer: &Value) -> String {
    answer["result"]["taskId"].as_str().unwrap().to_owned()
}

async fn a_declaring_client_gets_a_task_polls_it_and_cancels_another(store: Arc<dyn Store>) {
    let origin = serve(store).await;
    let session = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let token = session.tokens["access_token"].as_str().unwrap();

    let began = Instant::now();
    let (status, created) = start(&origin, token, 3.0, 60, true).await;
    assert_eq!(status, 200, "{created}");
    let task = &created["result"];
    assert_eq!(task["resultType"], "task", "{created}");
    assert_eq!(task["status"], "working");
    assert!(task["ttlMs"].as_u64().unwrap() > 0);
    assert!(task["pollIntervalMs"].as_u64().unwrap() > 0);
    assert!(task["createdAt"].as_str().unwrap().ends_with('Z'));
    let id = task_id(&created);
    // Stored before the answer: the first poll finds it.
    let (status, first) = get(&origin, token, &id).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["result"]["resultType"], "complete");

    let (done, messages) = until_final(&origin, token, &id).await;
    eprintln!(
        "a 60-step task ran end to end in {:.2} s ({} progress messages seen)",
        began.elapsed().as_secs_f64(),
        messages.len()
    );
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["resultType"], "complete");
    assert_eq!(done["result"]["isError"], false, "{done}");
    let text = done["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("Steps: 60"), "{text}");
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("step ") && m.ends_with(" of 60")),
        "progress was visible: {messages:?}"
    );

    let (_, other) = start(&origin, token, 30.0, 30, true).await;
    let other = task_id(&other);
    let (status, ack) = cancel(&origin, token, &other).await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!(ack["result"]["resultType"], "complete", "{ack}");
    let (cancelled, _) = until_final(&origin, token, &other).await;
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    // The work stops at its next step and leaves the task as it is.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let (_, later) = get(&origin, token, &other).await;
    assert_eq!(later["result"]["status"], "cancelled");
    assert!(later["result"].get("result").is_none(), "{later}");
}

async fn a_client_without_the_extension_never_sees_a_task(store: Arc<dyn Store>) {
    let origin = serve(store).await;
    let session = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let token = session.tokens["access_token"].as_str().unwrap();

    // Short enough for its request: answered there, as any tool call.
    let (status, answer) = start(&origin, token, 0.2, 2, false).await;
    assert_eq!(status, 200, "{answer}");
    assert_ne!(answer["result"]["resultType"], "task", "{answer}");
    assert_eq!(answer["result"]["isError"], false, "{answer}");

    // Too long for a request: refused, naming the capability that would allow it.
    let (status, refused) = start(&origin, token, 120.0, 10, false).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["code"], -32021, "{refused}");
    assert!(
        refused["error"]["data"]["requiredCapabilities"]["extensions"][TASKS].is_object(),
        "{refused}"
    );

    // tasks/* without the capability.
    let (_, created) = start(&origin, token, 5.0, 5, true).await;
    let id = task_id(&created);
    let params = json!({"taskId": id, "_meta": meta(false)});
    let (_, refused) = rpc(&origin, token, "tasks/get", params, &id).await;
    assert_eq!(refused["error"]["code"], -32021, "{refused}");

    // A 2025-era client: no tasks at all, the call answered in its request.
    let legacy = http()
        .post(format!("{origin}/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "long_running_operation",
                       "arguments": {"duration_seconds": 0.1, "steps": 1}}}))
        .send()
        .await
        .unwrap();
    let legacy: Value = legacy.json().await.unwrap();
    assert!(
        legacy["result"]["content"][0]["text"].is_string(),
        "{legacy}"
    );
    assert!(legacy["result"].get("taskId").is_none(), "{legacy}");
}

/// The rule: a task belongs to the person and the client whose token created it; to anyone else
/// it does not exist.
async fn another_persons_token_cannot_see_or_cancel_a_task(store: Arc<dyn Store>) {
    let bob = Credentials {
        email: "bob@example.com".into(),
        password: "bob's own password".into(),
    };
    dev_user(store.as_ref(), &bob.email, Some(bob.password.clone()))
        .await
        .unwrap();
    let origin = serve(store).await;
    let alice = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let alice = alice.tokens["access_token"].as_str().unwrap().to_owned();
    let mcp = url::Url::parse(&format!("{origin}/mcp")).unwrap();
    let sign_in = SignIn {
        credentials: &bob,
        scope: "mcp",
        registered_redirect: CLAUDE_CALLBACK,
        used_redirect: CLAUDE_CALLBACK,
        access: None,
    };
    let bob = sign_in_with(&mcp, &sign_in).await.unwrap().access_token;
    // Alice again, through a second client.
    let elsewhere = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let elsewhere = elsewhere.tokens["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let (_, created) = start(&origin, &alice, 20.0, 20, true).await;
    let id = task_id(&created);
    for token in [&bob, &elsewhere] {
        let (_, seen) = get(&origin, token, &id).await;
        assert_eq!(seen["error"]["code"], -32602, "{seen}");
        let (_, cancelled) = cancel(&origin, token, &id).await;
        assert_eq!(cancelled["error"]["code"], -32602, "{cancelled}");
    }
    // Someone else's task and no task at all are told apart by nothing.
    let (_, unknown) = get(&origin, &bob, "no-such-task").await;
    let (_, theirs) = get(&origin, &bob, &id).await;
    assert_eq!(unknown["error"]["code"], theirs["error"]["code"]);
    assert_eq!(unknown["error"]["message"], r#"no task "no-such-task""#);
    assert_eq!(theirs["error"]["message"], format!("no task {id:?}"));
    let (_, mine) = get(&origin, &alice, &id).await;
    assert_eq!(mine["result"]["status"], "working", "{mine}");
    cancel(&origin, &alice, &id).await;
}

async fn a_task_that_runs_out_of_time_fails(store: Arc<dyn Store>) {
    let origin = serve_over(store, |config| {
        config.tasks.run_limit = Duration::from_secs(1);
    })
    .await;
    let session = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let token = session.tokens["access_token"].as_str().unwrap();
    let (_, created) = start(&origin, token, 30.0, 3, true).await;
    let (failed, _) = until_final(&origin, token, &task_id(&created)).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["error"]["code"], -32603, "{failed}");
    assert!(failed.get("result").is_none());
}

async fn a_persons_tasks_in_flight_are_limited(store: Arc<dyn Store>) {
    let origin = serve_over(store, |config| config.tasks.per_person = 2).await;
    let session = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let token = session.tokens["access_token"].as_str().unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (_, created) = start(&origin, token, 30.0, 30, true).await;
        ids.push(task_id(&created));
    }
    let (status, refused) = start(&origin, token, 30.0, 30, true).await;
    assert_eq!(status, 200);
    assert_eq!(refused["result"]["isError"], true, "{refused}");
    let text = refused["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("limit is 2"), "{text}");
    cancel(&origin, token, &ids[0]).await;
    let (_, again) = start(&origin, token, 0.5, 1, true).await;
    assert_eq!(again["result"]["resultType"], "task", "{again}");
    cancel(&origin, token, &ids[1]).await;
}

remote_mcp_testkit::both_stores! {
    declaring_client => |store| a_declaring_client_gets_a_task_polls_it_and_cancels_another(store),
    other_clients => |store| a_client_without_the_extension_never_sees_a_task(store),
    owners_only => |store| another_persons_token_cannot_see_or_cancel_a_task(store),
    out_of_time => |store| a_task_that_runs_out_of_time_fails(store),
    per_person_limit => |store| a_persons_tasks_in_flight_are_limited(store),
}
