//! What each request leaves behind for operators: the caller's address and API Gateway's request
//! id on every audit line written while it runs, and one CloudWatch Embedded Metric Format (EMF)
//! record when it ends (docs/monitoring.md).
//!
//! Both functions put `layer` in front of their routes. It runs the request inside a [`Scope`]
//! (a task-local), which [`crate::audit::Audit::log`] reads for the source and request id and
//! counts its event in, and [`tool_call`] notes a tool call in. At the end one JSON line goes to
//! the log, which CloudWatch turns into metrics without an API call (nothing on the hot path, no
//! cost while idle). In the Lambda log format the lines the request wrote (its audit line) are
//! held until then and go out with the record, in one write:
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

use std::cell::RefCell;
use std::fmt::Write as _;
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
    /// Log lines written while the request ran ([`hold`]), written with its EMF record.
    held: RefCell<String>,
}

/// Bytes reserved for an EMF record: a tool call's is about 640.
const RECORD_CAPACITY: usize = 640;
/// Bytes reserved for a request's line once it holds a log line: an audit line and the record.
const LINE_CAPACITY: usize = 1024;

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
        let mut scoped = std::pin::pin!(SCOPE.scope(self, request));
        let output = scoped.as_mut().await;
        // The future gives the scope back once its request is done: the scope moved, not copied.
        let scope = scoped.as_mut().take_value().unwrap_or_default();
        (output, scope)
    }

    /// The request's one write to the log: the lines held while it ran, then its EMF record and a
    /// newline, in the buffer that held them.
    pub fn line(&self, answered: &Answered<'_>) -> String {
        let mut out = self.held.take();
        out.reserve(RECORD_CAPACITY);
        self.write_record(&mut out, answered);
        out.push('\n');
        out
    }

    /// Appends the EMF record of this request to `out`: one line of JSON, written directly (it
    /// is built for every request).
    fn write_record(&self, out: &mut String, answered: &Answered<'_>) {
        let Answered {
            namespace,
            function,
            route,
            status,
            latency,
            timestamp_ms,
        } = *answered;
        // Written straight into one buffer: this runs for every request.
        let directive = |out: &mut String, dimensions: &str, metrics: &[(&str, &str)]| {
            out.push_str(r#"{"Namespace":"#);
            push_json_string(out, namespace);
            let _ = write!(out, r#","Dimensions":[{dimensions}],"Metrics":["#);
            for (i, (name, unit)) in metrics.iter().enumerate() {
                let comma = if i == 0 { "" } else { "," };
                let _ = write!(out, r#"{comma}{{"Name":"{name}","Unit":"{unit}"}}"#);
            }
            out.push_str("]}");
        };
        let _ = write!(
            out,
            r#"{{"_aws":{{"Timestamp":{timestamp_ms},"CloudWatchMetrics":["#
        );
        directive(
            out,
            r#"["Function","Route","Status"]"#,
            &[("Requests", "Count"), ("Latency", "Milliseconds")],
        );
        let tool = self.tool.borrow();
        if tool.is_some() {
            out.push(',');
            directive(
                out,
                r#"["Tool","Outcome"]"#,
                &[("ToolCalls", "Count"), ("ToolLatency", "Milliseconds")],
            );
        }
        let counted = self.counted.borrow();
        let mut names: Vec<&str> = counted.clone();
        names.sort_unstable();
        names.dedup();
        if !names.is_empty() {
            out.push(',');
            let metrics: Vec<(&str, &str)> = names.iter().map(|n| (*n, "Count")).collect();
            directive(out, "[]", &metrics);
        }
        out.push_str(r#"]},"Function":"#);
        push_json_string(out, function);
        out.push_str(r#","Route":"#);
        push_json_string(out, route);
        let _ = write!(
            out,
            r#","Status":"{status}","Requests":1,"Latency":{}"#,
            milliseconds(latency)
        );
        if let Some(call) = tool.as_ref() {
            out.push_str(r#","Tool":"#);
            push_json_string(out, &call.tool);
            let _ = write!(
                out,
                r#","Outcome":"{}","ToolCalls":1,"ToolLatency":{}"#,
                call.outcome,
                milliseconds(call.latency)
            );
        }
        for name in names {
            let times = counted.iter().filter(|n| **n == name).count();
            let _ = write!(out, r#","{name}":{times}"#);
        }
        if let Some(request) = &self.request {
            out.push_str(r#","request":"#);
            push_json_string(out, request);
        }
        out.push('}');
    }
}

/// How a request was answered, for its EMF record ([`Scope::line`]).
#[derive(Clone, Copy, Debug)]
pub struct Answered<'a> {
    /// The metrics' namespace ([`namespace`]).
    pub namespace: &'a str,
    /// The function that answered (the `Function` dimension).
    pub function: &'a str,
    /// The matched route, or `unmatched`.
    pub route: &'a str,
    /// The HTTP status of the answer.
    pub status: u16,
    /// From the request's arrival to its answer.
    pub latency: Duration,
    /// When, in milliseconds since the Unix epoch.
    pub timestamp_ms: u128,
}

/// Keeps a formatted log line (`bytes`, newline included) to be written with the EMF record of the
/// request being served, so a request costs one write to the log; `false` outside a request (the
/// caller writes it itself). The Lambda log format ([`crate::telemetry::json`]) writes through
/// this.
pub fn hold(bytes: &[u8]) -> bool {
    hold_with(|held| held.push_str(&String::from_utf8_lossy(bytes)))
}

/// [`hold`], for a line `write` appends itself (newline included): no buffer of its own.
pub fn hold_with(write: impl FnOnce(&mut String)) -> bool {
    SCOPE
        .try_with(|scope| {
            let mut held = scope.held.borrow_mut();
            if held.capacity() == 0 {
                // Room for an audit line and the record after it: the request's line is built
                // in this one buffer.
                held.reserve(LINE_CAPACITY);
            }
            write(&mut held);
        })
        .is_ok()
}

/// `text` as a JSON string.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    push_json_string(&mut out, text);
    out
}

/// Appends `text` to `out` as a JSON string.
pub(crate) fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    if !text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(text);
        out.push('"');
        return;
    }
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn milliseconds(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

/// Calls `f` with the source and request id of the request being served, if any (borrowed: no
/// copy on the hot path).
pub fn with_current(f: impl FnOnce(Option<(&str, Option<&str>)>)) {
    let mut f = Some(f);
    let _ = SCOPE.try_with(|s| {
        if let Some(f) = f.take() {
            f(Some((s.source.as_str(), s.request.as_deref())));
        }
    });
    if let Some(f) = f {
        f(None);
    }
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

/// The metrics of a task's life, outside any request (the worker runs on an event): `created`,
/// `completed`, `failed` or `cancelled`, counted as `Tasks<Event>`, and, when the work ended, how
/// long it took (`TaskDuration`). One EMF line each.
pub fn task_event(event: &'static str, duration: Option<Duration>) {
    if !tracing::enabled!(target: EMF_TARGET, tracing::Level::INFO) {
        return;
    }
    let metric = match event {
        "created" => "TasksCreated",
        "completed" => "TasksCompleted",
        "failed" => "TasksFailed",
        "cancelled" => "TasksCancelled",
        _ => return,
    };
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let mut metrics = format!(r#"{{"Name":"{metric}","Unit":"Count"}}"#);
    let mut values = format!(r#""{metric}":1"#);
    if let Some(duration) = duration {
        metrics.push_str(r#",{"Name":"TaskDuration","Unit":"Milliseconds"}"#);
        let _ = write!(values, r#","TaskDuration":{}"#, milliseconds(duration));
    }
    let record = format!(
        r#"{{"_aws":{{"Timestamp":{timestamp},"CloudWatchMetrics":[{{"Namespace":{},"Dimensions":[[]],"Metrics":[{metrics}]}}]}},{values}}}"#,
        json_string(namespace())
    );
    tracing::info!(target: EMF_TARGET, emf = record.as_str());
}

/// The namespace of this process's metrics, read once.
pub fn namespace() -> &'static str {
    static NAMESPACE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAMESPACE.get_or_init(|| {
        std::env::var(NAMESPACE_VARIABLE).unwrap_or_else(|_| DEFAULT_NAMESPACE.to_owned())
    })
}

#[cfg(feature = "http")]
pub use http_layer::{ObserveLayer, Observed, layer, request_id, source_address};

#[cfg(feature = "http")]
mod http_layer;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_counts_its_events_and_its_tool_call() {
        let scope = Scope::new("203.0.113.7".into(), Some("r1".into()));
        let ((), scope) = scope
            .run(async {
                with_current(|c| assert_eq!(c, Some(("203.0.113.7", Some("r1")))));
                count("token.issued");
                count("token.issued");
                count("consent.approved");
                tool_call("add_note", "ok", Duration::from_millis(3));
            })
            .await;
        let line = scope.line(&Answered {
            namespace: "n\"s",
            function: "mcp",
            route: "/mcp",
            status: 200,
            latency: Duration::from_millis(5),
            timestamp_ms: 1,
        });
        assert!(line.ends_with("}\n"), "{line}");
        let record: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(record["_aws"]["CloudWatchMetrics"][0]["Namespace"], "n\"s");
        assert_eq!(record["Requests"], 1);
        assert_eq!(record["Status"], "200");
        assert_eq!(record["TokensIssued"], 2);
        assert_eq!(record["Tool"], "add_note");
        assert_eq!(record["ToolCalls"], 1);
        assert_eq!(record["request"], "r1");
        let directives = record["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 3);
        assert_eq!(directives[2]["Metrics"][0]["Name"], "TokensIssued");
        with_current(|c| assert!(c.is_none(), "no scope outside a request"));
    }
}
