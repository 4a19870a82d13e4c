//! Every tool call, in the audit trail and the metrics: who, for whom, which tool, how it went
//! (`ok`, `error` for the model to read, `failed`), how long. The metric's dimensions and the
//! audit line's detail name only a tool the server has (or `unknown`), so a client cannot write
//! the line a query looks for; what it named otherwise goes, clipped, in a field of its own.

use crate::AppState;
use crate::envelope::Message;
use crate::principal::Principal;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use remote_mcp_core::audit::Audit;
use std::fmt::Write as _;

/// Step of the pipeline (after the scope check, around whoever answers): `answer` the request,
/// recording it when it is a `tools/call`.
pub async fn record<F>(
    state: &AppState,
    request: Request,
    answer: impl FnOnce(Request) -> F,
) -> Response
where
    F: Future<Output = Response>,
{
    let extensions = request.extensions();
    let tool = extensions
        .get::<Message>()
        .and_then(|message| message.envelope.called_tool())
        .map(str::to_owned);
    let caller = tool
        .as_ref()
        .and_then(|_| extensions.get::<Principal>().cloned());
    let started = std::time::Instant::now();
    // One await of the answer, whether or not it is recorded: a future holds each await's state.
    let response = answer(request).await;
    let Some(tool) = tool else {
        return response;
    };
    let latency = started.elapsed();
    let (response, outcome) = match response.extensions().get::<ToolOutcome>().copied() {
        Some(known) => (response, known.as_str()),
        None => Box::pin(outcome(response)).await,
    };
    let known = if state.server.has_tool(&tool) {
        tool.as_str()
    } else {
        "unknown"
    };
    remote_mcp_core::observe::tool_call(known, outcome, latency);
    if let Some(caller) = caller {
        // Sized once: `format!` would grow it from a guess, copying as it goes.
        let mut detail = String::with_capacity(known.len() + 32);
        let _ = write!(
            detail,
            "{known} {outcome} {} {}ms",
            response.status().as_u16(),
            latency.as_millis()
        );
        let mut line = Audit::new("tool.called")
            .user(&caller.subject)
            .client(&caller.client_id)
            .grant(caller.grant_id.as_deref().unwrap_or_default())
            .detail(&detail);
        if known != tool {
            line = line.named(&tool);
        }
        line.log();
    }
    response
}

/// How a tool call went, when whoever answered it says so (the direct answers do, as a response
/// extension; rmcp's service does not, and [`outcome`] reads its answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToolOutcome {
    Ok,
    /// A result with `isError: true`, for the model to read.
    Error,
    /// An HTTP or JSON-RPC error.
    Failed,
}

impl ToolOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Failed => "failed",
        }
    }
}

/// How a tool call went: `ok`, `error` (a result with `isError: true`, for the model to read) or
/// `failed` (an HTTP or JSON-RPC error). The answer is one small JSON body, already complete
/// (stateless JSON responses), so reading it back costs a parse of a few hundred bytes.
async fn outcome(response: Response) -> (Response, &'static str) {
    if !response.status().is_success() {
        return (response, "failed");
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ANSWER_BYTES).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR.into_response(), "failed");
    };
    let outcome = match serde_json::from_slice::<Answer>(&bytes) {
        Ok(Answer { error: Some(_), .. }) | Err(_) => "failed",
        Ok(Answer {
            result: Some(Head { is_error: true }),
            ..
        }) => "error",
        Ok(_) => "ok",
    };
    (Response::from_parts(parts, Body::from(bytes)), outcome)
}

/// What [`outcome`] reads of a JSON-RPC answer: nothing is kept but these two facts.
#[derive(serde::Deserialize)]
struct Answer {
    result: Option<Head>,
    error: Option<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct Head {
    #[serde(rename = "isError", default)]
    is_error: bool,
}

/// Larger than any answer a tool here gives (a note list is at most about 10 MB of text).
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    async fn of(status: StatusCode, body: &str) -> &'static str {
        let response = (status, body.to_owned()).into_response();
        let (response, outcome) = outcome(response).await;
        assert_eq!(
            response.status(),
            status,
            "the answer is passed on unchanged"
        );
        outcome
    }

    #[tokio::test]
    async fn a_tool_call_is_ok_an_error_for_the_model_or_failed() {
        let ok = r#"{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":false}}"#;
        let error = r#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"\"isError\":false"}],"isError":true}}"#;
        let rpc_error =
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"unknown tool"}}"#;
        assert_eq!(of(StatusCode::OK, ok).await, "ok");
        assert_eq!(of(StatusCode::OK, error).await, "error");
        assert_eq!(of(StatusCode::OK, rpc_error).await, "failed");
        assert_eq!(of(StatusCode::OK, "not json").await, "failed");
        assert_eq!(of(StatusCode::BAD_REQUEST, ok).await, "failed");
    }
}
