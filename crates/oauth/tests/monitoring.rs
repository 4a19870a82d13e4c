//! The functions' metrics are CloudWatch Embedded Metric Format records in their logs; the
//! template's alarms and dashboard read them. This drives the events (tokens issued, a
//! refresh-token replay, wrong passwords until the throttle) through the router with the Lambda
//! functions' own log format capturing, checks every record is well-formed EMF, and that every
//! metric of our namespace the template names is one the records carry.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::StatusCode;
use remote_mcp_testkit::{Pkce, workspace_root};
use serde_json::Value;
use std::collections::BTreeSet;
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

const NAMESPACE: &str = r#""remote-mcp/${AWS::StackName}""#;

/// The metrics of our namespace the template's alarms (`Namespace:` then `MetricName:`) and
/// dashboard (`["remote-mcp/${AWS::StackName}", "Name"], [".", "Name"]`) read.
fn template_metrics() -> BTreeSet<String> {
    let template = std::fs::read_to_string(workspace_root().join("template.yaml")).unwrap();
    let lines: Vec<&str> = template.lines().map(str::trim).collect();
    let mut names = BTreeSet::new();
    for pair in lines.windows(2) {
        if pair[0] == format!("Namespace: !Sub {NAMESPACE}")
            && let Some(name) = pair[1].strip_prefix("MetricName: ")
        {
            names.insert(name.to_owned());
        }
    }
    let start = template.find(&format!("[{NAMESPACE}, ")).unwrap();
    let widget = &template[start..start + template[start..].find("]]").unwrap()];
    for cell in widget.split(']') {
        if let Some(name) = cell.rsplit(", \"").next().map(|n| n.trim_end_matches('"'))
            && !name.is_empty()
            && !name.contains('{')
        {
            names.insert(name.to_owned());
        }
    }
    names
}

/// Every directive's dimensions and metrics are fields of the record, of the right kinds.
fn assert_embedded_metric_format(record: &Value) -> Vec<String> {
    let aws = &record["_aws"];
    assert!(aws["Timestamp"].as_u64().is_some_and(|t| t > 0), "{record}");
    let mut names = Vec::new();
    for directive in aws["CloudWatchMetrics"].as_array().unwrap() {
        assert_eq!(directive["Namespace"], "remote-mcp", "{record}");
        for set in directive["Dimensions"].as_array().unwrap() {
            for key in set.as_array().unwrap() {
                assert!(
                    record[key.as_str().unwrap()].is_string(),
                    "{key} in {record}"
                );
            }
        }
        for metric in directive["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(record[name].is_number(), "{name} in {record}");
            assert!(
                ["Count", "Milliseconds"].contains(&metric["Unit"].as_str().unwrap()),
                "{record}"
            );
            names.push(name.to_owned());
        }
    }
    names
}

#[tokio::test(flavor = "current_thread")]
async fn every_metric_the_template_reads_is_one_the_functions_write() {
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
    let records: Vec<&Value> = lines.iter().filter(|l| l.get("_aws").is_some()).collect();
    let mut written = BTreeSet::new();
    for record in &records {
        written.extend(assert_embedded_metric_format(record));
        assert_eq!(record["Function"], "oauth");
    }
    let token_requests = records.iter().filter(|r| r["Route"] == "/token").count();
    assert_eq!(
        token_requests, 4,
        "one record per request: the exchange and three refreshes"
    );
    assert!(
        records
            .iter()
            .any(|r| r["Route"] == "/authorize" && r["Status"] == "429"),
        "requests by route and status"
    );
    let wanted = template_metrics();
    assert!(wanted.len() >= 4, "{wanted:?}");
    for name in &wanted {
        assert!(
            written.contains(name),
            "the template reads {name}, which no record carries; written: {written:?}"
        );
    }
}
