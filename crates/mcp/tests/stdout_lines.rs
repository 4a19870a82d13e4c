//! The Lambda log format on the process's real standard output, as the deployed function writes
//! it: under concurrent tool calls on several threads every line stays whole, and each call's
//! audit line is followed at once by its own metrics record (the two leave in one write; the
//! writer takes no lock, so a line split across writes could interleave with another request's).
//!
//! The test runs itself again as a child process whose standard output is a pipe, the child
//! installing the log setup the functions install (`telemetry::init(LogFormat::Json)`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use serde_json::{Value, json};
use std::process::Command;
use support::*;

/// Set in the child: serve the calls and log, instead of checking a child's output.
const CHILD: &str = "REMOTE_MCP_STDOUT_LINES_CHILD";
const CALLS: usize = 64;

#[test]
fn concurrent_tool_calls_leave_whole_lines_each_audit_line_beside_its_record() {
    if std::env::var_os(CHILD).is_some() {
        return serve_and_log();
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "concurrent_tool_calls_leave_whole_lines_each_audit_line_beside_its_record",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "the child failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The test harness's own text ("running 1 test", "test … ... " before the first log line)
    // holds no `{`; every log line is one JSON object.
    let lines: Vec<Value> = stdout
        .lines()
        .filter_map(|line| line.find('{').map(|start| &line[start..]))
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a whole line ({e}): {line}"))
        })
        .collect();
    let mut calls = 0;
    for (i, line) in lines.iter().enumerate() {
        if line["fields"]["event"] != "tool.called" {
            continue;
        }
        calls += 1;
        let record = lines.get(i + 1).unwrap_or(&Value::Null);
        assert_eq!(record["Tool"], "whoami", "line {i}'s record: {record}");
        assert!(record["_aws"].is_object(), "{record}");
        assert!(
            line["fields"]["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("whoami ok 200")),
            "{line}"
        );
    }
    assert_eq!(calls, CALLS, "{stdout}");
}

/// The child: `CALLS` concurrent `tools/call`s on a four-thread runtime, logging as on Lambda.
fn serve_and_log() {
    remote_mcp_core::telemetry::init(remote_mcp_core::telemetry::LogFormat::Json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = std::sync::Arc::new(Server::new());
        let token = server.token("alice", "mcp").await;
        let calls: Vec<_> = (0..CALLS)
            .map(|_| {
                let (server, token) = (server.clone(), token.clone());
                tokio::spawn(async move { server.call(&token, "whoami", json!({})).await })
            })
            .collect();
        for call in calls {
            let result = call.await.unwrap();
            assert_eq!(result["structuredContent"]["subject"], "alice");
        }
    });
}
