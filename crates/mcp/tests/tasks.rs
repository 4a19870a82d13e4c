//! The task hand-over as the MCP function sees it: a worker that cannot be reached leaves no task
//! `working` (the call is answered with an error, the task is already `failed`), and the
//! extension is offered only by a server that can run tasks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use mcp_function::long_running::TaskRef;
use mcp_function::tasks::Launch;
use remote_mcp_core::TaskStore;
use remote_mcp_core::model::TaskState;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use support::*;

/// A hand-over that Lambda refuses (throttled, or the worker misconfigured).
struct Refused(Mutex<Vec<TaskRef>>);

#[async_trait::async_trait]
impl Launch for Refused {
    async fn launch(&self, task: TaskRef) -> Result<(), String> {
        self.0.lock().unwrap().push(task);
        Err("Rate Exceeded".into())
    }
}

fn modern_call(tool: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
    "name": tool, "arguments": arguments,
    "_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities":
            {"extensions": {"io.modelcontextprotocol/tasks": {}}},
    }}})
}

const MODERN: [(&str, &str); 3] = [
    ("mcp-protocol-version", "2026-07-28"),
    ("mcp-method", "tools/call"),
    ("mcp-name", "long_running_operation"),
];

#[tokio::test]
async fn a_refused_hand_over_leaves_the_task_failed_not_working() {
    let mut s = Server::new();
    let refused = Arc::new(Refused(Mutex::default()));
    s.state = s.state.clone().with_tasks(s.store.clone(), refused.clone());
    let token = s.token("alice", "mcp").await;
    let body = modern_call("long_running_operation", json!({"duration_seconds": 60}));
    let reply = s.post("/mcp", Some(&token), &body, &MODERN).await;
    let answer = reply.json();
    assert_eq!(answer["error"]["code"], -32603, "{answer}");
    assert!(answer.get("result").is_none(), "no task handle: {answer}");
    let handed = refused.0.lock().unwrap().clone();
    assert_eq!(handed.len(), 1);
    let task = s
        .store
        .task(&handed[0].owner, &handed[0].task_id, s.clock.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(task.state, TaskState::Failed);
    assert_eq!(
        task.outcome.unwrap()["message"],
        "the task could not be started"
    );
}

#[tokio::test]
async fn a_server_without_tasks_neither_offers_nor_makes_them() {
    let s = Server::new();
    let token = s.token("alice", "mcp").await;
    let discover = json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                  "io.modelcontextprotocol/clientCapabilities": {}}}});
    let reply = s
        .post(
            "/mcp",
            Some(&token),
            &discover,
            &[
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "server/discover"),
            ],
        )
        .await;
    assert!(
        !reply.text.contains("io.modelcontextprotocol/tasks"),
        "{}",
        reply.text
    );
    let body = modern_call(
        "long_running_operation",
        json!({"duration_seconds": 0, "steps": 1}),
    );
    let reply = s.post("/mcp", Some(&token), &body, &MODERN).await;
    assert_eq!(reply.json()["result"]["isError"], false, "{}", reply.text);
    assert!(reply.json()["result"].get("taskId").is_none());
}
