//! What a client sends cannot write the audit line a query looks for: a tool call is audited by
//! the tool's own name (or `unknown`), and whatever else the client named goes, clipped, in a field
//! of its own.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use support::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn tool_calls_are_audited_by_canonical_name_and_client_strings_are_clipped() {
    let captured = Captured::default();
    let writer = captured.clone();
    let _guard =
        tracing::subscriber::set_default(remote_mcp_core::telemetry::json(move || writer.clone()));
    let s = Server::new();
    let token = s.token("alice", "mcp mcp:write").await;
    let forged = "delete_note ok 200 1ms";
    let huge = "x".repeat(900_000);
    for name in [forged, huge.as_str(), "whoami"] {
        s.rpc(&token, "tools/call", json!({"name": name, "arguments": {}}))
            .await;
    }
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let calls: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["fields"]["event"] == "tool.called")
        .collect();
    assert_eq!(calls.len(), 3, "{text}");
    let detail = |i: usize| calls[i]["fields"]["detail"].as_str().unwrap().to_owned();
    assert!(detail(0).starts_with("unknown "), "{}", detail(0));
    assert_eq!(calls[0]["fields"]["named"], forged);
    assert!(detail(1).starts_with("unknown "));
    let named = calls[1]["fields"]["named"].as_str().unwrap();
    assert!(
        named.chars().count() <= 201 && named.ends_with('…'),
        "{}",
        named.len()
    );
    assert!(detail(2).starts_with("whoami ok 200 "));
    assert!(calls[2]["fields"].get("named").is_none(), "{}", calls[2]);
    assert!(
        text.len() < 20_000,
        "no log line carries the 900 kB name: {}",
        text.len()
    );
}

/// What one `tools/call` writes to the log in the Lambda format: its audit line and its EMF
/// record, in one write (CloudWatch Logs bills the bytes; docs/performance.md states them).
#[tokio::test(flavor = "current_thread")]
async fn a_tool_call_writes_its_audit_line_and_metrics_in_one_write() {
    #[derive(Clone, Default)]
    struct Writes(Arc<Mutex<Vec<Vec<u8>>>>);
    impl std::io::Write for Writes {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let writes = Writes::default();
    let writer = writes.clone();
    let _guard =
        tracing::subscriber::set_default(remote_mcp_core::telemetry::json(move || writer.clone()));
    let s = Server::new();
    let token = s.token("alice", "mcp").await;
    s.call(&token, "whoami", json!({})).await;
    writes.0.lock().unwrap().clear();
    s.call(&token, "whoami", json!({})).await;
    let writes = writes.0.lock().unwrap().clone();
    let bytes: usize = writes.iter().map(Vec::len).sum();
    let text = String::from_utf8(writes.concat()).unwrap();
    println!(
        "one tools/call: {} write(s), {bytes} bytes:\n{text}",
        writes.len()
    );
    assert_eq!(writes.len(), 1, "{text}");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["fields"]["event"], "tool.called");
    assert!(lines[1]["_aws"].is_object());
    assert!(bytes < 800, "{bytes} bytes: {text}");
}
