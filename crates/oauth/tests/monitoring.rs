//! The template's metric filters count security events from the functions' JSON log lines: each
//! filter's message must be one the code logs, in the shape the filter reads. This drives the
//! events (a wrong password, the throttle, a refresh-token replay) through the router with the
//! Lambda functions' own log format capturing, and matches every `FilterPattern` of
//! `template.yaml` against what was logged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::StatusCode;
use remote_mcp_testkit::{Pkce, workspace_root};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use support::*;

/// Log lines written through the Lambda format.
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

/// `{ $.fields.message = "<pattern>" }` of each metric filter in the template.
fn filter_patterns() -> Vec<String> {
    let template = std::fs::read_to_string(workspace_root().join("template.yaml")).unwrap();
    template
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("FilterPattern: '{ $.fields.message = \"")
        })
        .map(|rest| rest.trim_end_matches("\" }'").to_owned())
        .collect()
}

/// Whether `message` matches a metric filter's string, where `*` stands for any run of characters.
fn matches(pattern: &str, message: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = message;
    for (i, part) in parts.iter().enumerate() {
        match rest.find(part) {
            Some(at) if i > 0 || at == 0 => rest = &rest[at + part.len()..],
            _ => return false,
        }
    }
    parts
        .last()
        .is_none_or(|last| last.is_empty() || rest.is_empty())
}

#[tokio::test(flavor = "current_thread")]
async fn every_metric_filter_counts_a_line_the_functions_write() {
    let captured = Captured::default();
    let writer = captured.clone();
    let _guard =
        tracing::subscriber::set_default(remote_mcp_core::telemetry::json(move || writer.clone()));

    let app = Server::memory().await;
    let redirect = "https://claude.ai/api/mcp/auth_callback";
    let client = app.public_client(redirect).await;
    // A refresh token used twice, beyond the grace window: a replay.
    let tokens = app.tokens(&client, redirect).await;
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let rotated = app.refresh(&client, &first, &[]).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let second = rotated.json()["refresh_token"].as_str().unwrap().to_owned();
    app.refresh(&client, &second, &[]).await;
    app.clock.advance(std::time::Duration::from_secs(3600));
    app.refresh(&client, &first, &[]).await;

    // Wrong passwords until the throttle answers.
    for _ in 0..6 {
        let page = app.authorize(&client, redirect, &Pkce::new(), &[]).await;
        app.submit(
            &page,
            "approve",
            &[("email", EMAIL), ("password", "not the password")],
            None,
        )
        .await;
    }
    let lines: Vec<Value> = String::from_utf8(captured.0.lock().unwrap().clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is one JSON object"))
        .collect();
    let messages: Vec<&str> = lines
        .iter()
        .filter_map(|line| line["fields"]["message"].as_str())
        .collect();
    let patterns = filter_patterns();
    assert_eq!(patterns.len(), 3, "{patterns:?}");
    for pattern in &patterns {
        assert!(
            messages.iter().any(|m| matches(pattern, m)),
            "no log line matches the metric filter {pattern:?}; messages: {messages:?}"
        );
    }
}
