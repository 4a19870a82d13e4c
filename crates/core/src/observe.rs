//! What each request leaves behind for operators: the caller's address and API Gateway's request
//! id on every audit line written while it runs, and one CloudWatch Embedded Metric Format (EMF)
//! record when it ends (README: Metrics).
//!
//! Both functions put [`layer`] in front of their routes. It runs the request inside a [`Scope`]
//! (a task-local), which [`crate::audit::Audit::log`] reads for the source and request id and
//! counts its event in, and [`tool_call`] notes a tool call in. At the end one JSON line goes to
//! the log, which CloudWatch turns into metrics without an API call (nothing on the hot path, no
//! cost while idle):
//!
//! ```text
//! {"_aws":{"Timestamp":…,"CloudWatchMetrics":[
//!    {"Namespace":"remote-mcp/<stack>","Dimensions":[["Function","Route","Status"]],
//!     "Metrics":[{"Name":"Requests","Unit":"Count"},{"Name":"Latency","Unit":"Milliseconds"}]},
//!    {"Namespace":…,"Dimensions":[["Tool","Outcome"]],"Metrics":[ToolCalls, ToolLatency]},
//!    {"Namespace":…,"Dimensions":[[]],"Metrics":[TokensIssued, …]}]},
//!  "Function":"mcp","Route":"/mcp","Status":"200","Requests":1,"Latency":4.1,
//!  "Tool":"add_note","Outcome":"ok","ToolCalls":1,"ToolLatency":3.2,"request":"…"}
//! ```

use serde_json::{Map, Value, json};
use std::cell::RefCell;
use std::time::Duration;

/// The tracing target of EMF records: [`crate::telemetry`] writes their text as it is.
pub const EMF_TARGET: &str = "emf";
/// The environment variable naming the metrics' namespace (the template sets
/// `remote-mcp/<stack name>`).
pub const NAMESPACE_VARIABLE: &str = "METRICS_NAMESPACE";
/// The namespace when none is set.
pub const DEFAULT_NAMESPACE: &str = "remote-mcp";

/// The audit events counted as metrics of their own, and their names: the alarms and the
/// dashboard read these.
pub const COUNTED_EVENTS: [(&str, &str); 5] = [
    ("token.issued", "TokensIssued"),
    ("token.refreshed", "TokensRefreshed"),
    ("replay.detected", "RefreshReplays"),
    ("signin.failed", "SignInFailures"),
    ("signin.throttled", "SignInThrottled"),
];

/// The request being served: who sent it, and what it did worth counting.
#[derive(Debug, Default)]
pub struct Scope {
    /// The caller's network address.
    pub source: String,
    /// API Gateway's request id, when there is one.
    pub request: Option<String>,
    counted: RefCell<Vec<&'static str>>,
    tool: RefCell<Option<ToolCall>>,
}

#[derive(Debug)]
struct ToolCall {
    tool: String,
    outcome: &'static str,
    latency: Duration,
}

tokio::task_local! {
    static SCOPE: Scope;
}

impl Scope {
    /// A request from `source`, with API Gateway's id `request`.
    pub fn new(source: String, request: Option<String>) -> Self {
        Self {
            source,
            request,
            ..Self::default()
        }
    }

    /// Runs `request` inside this scope; gives the scope back with what was noted in it.
    pub async fn run<F: Future>(self, request: F) -> (F::Output, Scope) {
        SCOPE
            .scope(self, async move {
                let output = request.await;
                let scope = SCOPE.with(Scope::take);
                (output, scope)
            })
            .await
    }

    fn take(&self) -> Scope {
        Scope {
            source: self.source.clone(),
            request: self.request.clone(),
            counted: RefCell::new(self.counted.take()),
            tool: RefCell::new(self.tool.take()),
        }
    }

    /// The EMF record of this request, answered with `status` after `latency` on `route`.
    pub fn record(
        &self,
        namespace: &str,
        function: &str,
        route: &str,
        status: u16,
        latency: Duration,
        timestamp_ms: u128,
    ) -> Value {
        let metric = |name: &str, unit: &str| json!({"Name": name, "Unit": unit});
        let mut directives = vec![json!({
            "Namespace": namespace,
            "Dimensions": [["Function", "Route", "Status"]],
            "Metrics": [metric("Requests", "Count"), metric("Latency", "Milliseconds")],
        })];
        let mut fields = Map::new();
        fields.insert("Function".into(), function.into());
        fields.insert("Route".into(), route.into());
        fields.insert("Status".into(), status.to_string().into());
        fields.insert("Requests".into(), 1.into());
        fields.insert("Latency".into(), milliseconds(latency).into());
        if let Some(call) = self.tool.borrow().as_ref() {
            directives.push(json!({
                "Namespace": namespace,
                "Dimensions": [["Tool", "Outcome"]],
                "Metrics": [metric("ToolCalls", "Count"), metric("ToolLatency", "Milliseconds")],
            }));
            fields.insert("Tool".into(), call.tool.clone().into());
            fields.insert("Outcome".into(), call.outcome.into());
            fields.insert("ToolCalls".into(), 1.into());
            fields.insert("ToolLatency".into(), milliseconds(call.latency).into());
        }
        let counted = self.counted.borrow();
        if !counted.is_empty() {
            let mut names: Vec<&str> = counted.clone();
            names.sort_unstable();
            names.dedup();
            directives.push(json!({
                "Namespace": namespace,
                "Dimensions": [[]],
                "Metrics": names.iter().map(|n| metric(n, "Count")).collect::<Vec<_>>(),
            }));
            for name in names {
                let times = counted.iter().filter(|n| **n == name).count();
                fields.insert(name.into(), times.into());
            }
        }
        if let Some(request) = &self.request {
            fields.insert("request".into(), request.clone().into());
        }
        fields.insert(
            "_aws".into(),
            json!({"Timestamp": timestamp_ms, "CloudWatchMetrics": directives}),
        );
        Value::Object(fields)
    }
}

fn milliseconds(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

/// The source and request id of the request being served, if any.
pub fn current() -> Option<(String, Option<String>)> {
    SCOPE
        .try_with(|s| (s.source.clone(), s.request.clone()))
        .ok()
}

/// Counts `event` in the request being served, when it is one of [`COUNTED_EVENTS`].
pub fn count(event: &str) {
    if let Some((_, metric)) = COUNTED_EVENTS.iter().find(|(e, _)| *e == event) {
        let _ = SCOPE.try_with(|s| s.counted.borrow_mut().push(metric));
    }
}

/// Notes the tool call the request made: `outcome` is `ok`, `error` (a tool error the model
/// reads) or `failed` (a protocol or HTTP error).
pub fn tool_call(tool: &str, outcome: &'static str, latency: Duration) {
    let _ = SCOPE.try_with(|s| {
        *s.tool.borrow_mut() = Some(ToolCall {
            tool: tool.to_owned(),
            outcome,
            latency,
        });
    });
}

/// The namespace of this process's metrics.
pub fn namespace() -> String {
    std::env::var(NAMESPACE_VARIABLE).unwrap_or_else(|_| DEFAULT_NAMESPACE.to_owned())
}

#[cfg(feature = "http")]
pub use http_layer::{layer, request_id, source_address};

#[cfg(feature = "http")]
mod http_layer {
    use super::Scope;
    use axum::extract::{ConnectInfo, MatchedPath, Request, State};
    use axum::http::Extensions;
    use axum::middleware::Next;
    use axum::response::Response;
    use std::net::SocketAddr;
    use std::time::{Instant, SystemTime, UNIX_EPOCH};

    /// Middleware (`axum::middleware::from_fn_with_state(FUNCTION_NAME, layer)`): serves the
    /// request inside a [`Scope`] and writes its EMF record.
    pub async fn layer(
        State(function): State<&'static str>,
        request: Request,
        next: Next,
    ) -> Response {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", MatchedPath::as_str)
            .to_owned();
        let scope = Scope::new(
            source_address(request.extensions()),
            request_id(request.extensions()),
        );
        let started = Instant::now();
        let (response, scope) = scope.run(next.run(request)).await;
        if !tracing::enabled!(target: super::EMF_TARGET, tracing::Level::INFO) {
            return response;
        }
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let record = scope.record(
            &super::namespace(),
            function,
            &route,
            response.status().as_u16(),
            started.elapsed(),
            timestamp,
        );
        tracing::info!(target: super::EMF_TARGET, emf = %record);
        response
    }

    /// API Gateway's view of the caller on Lambda (`requestContext.http.sourceIp`), the socket
    /// peer locally, or `"unknown"` when neither is there (all such callers then share one
    /// budget).
    pub fn source_address(extensions: &Extensions) -> String {
        if let Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) =
            extensions.get::<lambda_http::request::RequestContext>()
            && let Some(ip) = &context.http.source_ip
        {
            return ip.clone();
        }
        extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip().to_string())
            .unwrap_or_else(|| "unknown".to_owned())
    }

    /// API Gateway's id of this request (what its access log and the Lambda context name it),
    /// when there is one.
    pub fn request_id(extensions: &Extensions) -> Option<String> {
        match extensions.get::<lambda_http::request::RequestContext>() {
            Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) => {
                context.request_id.clone()
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_counts_its_events_and_its_tool_call() {
        let scope = Scope::new("203.0.113.7".into(), Some("r1".into()));
        let ((), scope) = scope
            .run(async {
                assert_eq!(current(), Some(("203.0.113.7".into(), Some("r1".into()))));
                count("token.issued");
                count("token.issued");
                count("consent.approved");
                tool_call("add_note", "ok", Duration::from_millis(3));
            })
            .await;
        let record = scope.record("ns", "mcp", "/mcp", 200, Duration::from_millis(5), 1);
        assert_eq!(record["Requests"], 1);
        assert_eq!(record["Status"], "200");
        assert_eq!(record["TokensIssued"], 2);
        assert_eq!(record["Tool"], "add_note");
        assert_eq!(record["ToolCalls"], 1);
        assert_eq!(record["request"], "r1");
        let directives = record["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 3);
        assert_eq!(directives[2]["Metrics"][0]["Name"], "TokensIssued");
        assert!(current().is_none(), "no scope outside a request");
    }
}
