//! `tools/list` and `tools/call`, the requests Claude sends most, answered without rmcp's
//! per-request machinery.
//!
//! In stateless mode rmcp serves every POST by re-serialising the message to check its headers,
//! then building a one-shot transport, a peer, a serve loop task with its channels and a handler
//! task, and waiting for the answer to come back through them: most of a tool call's cost
//! (`make bench`). A request that rmcp would accept without comment is answered here instead, by
//! the same handler ([`McpServer`]'s `ServerHandler`, so the same tool router, argument checks and
//! results) and serialised as rmcp serialises it. "Without comment" is deliberately narrow:
//!
//! - a `tools/list`, or a `tools/call` of a tool the server has;
//! - one `Content-Type: application/json`; one `Host`, exactly one of our hosts;
//! - either a legacy request (`MCP-Protocol-Version` absent or one of the versions that negotiate
//!   with `initialize`, no version in `_meta`), or a 2026-07-28 one (header and `_meta` both
//!   `2026-07-28`, the required `_meta` members present, one `Mcp-Method` equal to the method and,
//!   for a tool call, one plain `Mcp-Name` equal to the tool; no `Mcp-Name` on a listing);
//! - no `Mcp-Param-*` headers.
//!
//! Everything else — other methods, unknown tools, malformed or contradictory headers, anything
//! rmcp answers with an error — goes on to rmcp, which remains the authority on every rule.
//! `tests/direct.rs` sends the same requests both ways and requires the same answers.
//!
//! **When it goes.** This path exists only because rmcp 3.9's stateless Streamable HTTP service
//! has no way to answer one request without its serve loop. It is retired the day rmcp answers a
//! stateless JSON request in place (a `handle_request`-style entry that runs the handler on the
//! caller's task): then `tests/direct.rs`'s rmcp side is all that remains, the two mutations
//! that exist only for the checks here go, and `make bench` says whether anything was lost. No
//! upstream issue asks for that yet; the one to open would describe exactly the chain above.
//!
//! A handler here gets a request context whose peer leads nowhere: this server's tools answer
//! with one message and never talk to the client mid-call (progress, sampling, elicitation). A
//! tool that does must be served through rmcp (leave it out in [`direct_call`]).

use crate::AppState;
use crate::compat::{LEGACY, MODERN};
use crate::envelope::{Envelope, IN_PROCESS, Message};
use crate::server::McpServer;
use crate::tool_audit::ToolOutcome;
use axum::Extension;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use rmcp::model::{
    ClientRequest, ErrorCode, GetExtensions, GetMeta, JsonRpcRequest, ProtocolVersion,
    ServerJsonRpcMessage, ServerResult,
};
use rmcp::service::{RequestContext, Service};

const PROTOCOL_VERSION: &str = "mcp-protocol-version";
const MCP_METHOD: &str = "mcp-method";
const MCP_NAME: &str = "mcp-name";
const MCP_PARAM_PREFIX: &str = "mcp-param-";
/// Bytes reserved for an answer: a `tools/call` result is usually well under this.
const ANSWER_CAPACITY: usize = 1024;

/// The protocol revision a direct request speaks; it decides how an error maps to a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Era {
    /// `initialize`-negotiated revisions: JSON-RPC errors travel with HTTP 200.
    Legacy,
    /// 2026-07-28: some JSON-RPC errors are also HTTP errors.
    Stateless,
}

/// Step of the pipeline (last before rmcp): the answer, when the request qualifies; otherwise
/// the request back, unchanged but for its [`Message`], for rmcp. The typed request comes from
/// [`crate::envelope::read`]; the body is not read.
pub async fn answer(state: &AppState, request: Request) -> Result<Response, Request> {
    if !state.answer_directly {
        return Err(request);
    }
    let (mut parts, body) = request.into_parts();
    let call = parts
        .extensions
        .remove::<Message>()
        .and_then(|message| direct_call(state, &parts, message));
    match call {
        Some((era, request)) => Ok(respond(&state.server, era, request, parts).await),
        None => Err(Request::from_parts(parts, body)),
    }
}

/// The request and its era, when it qualifies (see the module documentation).
fn direct_call(
    state: &AppState,
    parts: &Parts,
    message: Message,
) -> Option<(Era, JsonRpcRequest<ClientRequest>)> {
    let Message { envelope, request } = message;
    if !envelope.is_request() || !envelope.method().is_some_and(|m| IN_PROCESS.contains(&m)) {
        return None;
    }
    let headers = &parts.headers;
    let is_json = only(headers, header::CONTENT_TYPE.as_str())??
        .split(';')
        .next()
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    let host = only(headers, header::HOST.as_str())??;
    let our_host = state
        .allowed_hosts
        .iter()
        .any(|allowed| allowed.eq_ignore_ascii_case(host));
    let param_headers = headers
        .keys()
        .any(|name| name.as_str().starts_with(MCP_PARAM_PREFIX));
    if !is_json || !our_host || param_headers {
        return None;
    }
    let era = era(headers, &envelope)?;
    let request = request?;
    let qualifies = match &request.request {
        ClientRequest::ListToolsRequest(_) => true,
        ClientRequest::CallToolRequest(call) => state.server.has_tool(&call.params.name),
        _ => false,
    };
    let meta_complete = era == Era::Legacy
        || request
            .request
            .get_meta()
            .missing_required_keys(&ProtocolVersion::V_2026_07_28)
            .is_empty();
    (qualifies && meta_complete).then_some((era, request))
}

/// The era the version header and `_meta` agree on, with the SEP-2243 headers a 2026-07-28
/// request carries matching its body; `None` for any other combination.
fn era(headers: &HeaderMap, envelope: &Envelope) -> Option<Era> {
    let header_version = only(headers, PROTOCOL_VERSION)?;
    match (header_version, envelope.meta_protocol_version()) {
        (None, None) => Some(Era::Legacy),
        (Some(version), None) if LEGACY.contains(&version) => Some(Era::Legacy),
        (Some(MODERN), Some(MODERN)) => {
            let method_agrees = only(headers, MCP_METHOD)? == envelope.method();
            let name_agrees = only(headers, MCP_NAME)? == envelope.target_name();
            (method_agrees && name_agrees).then_some(Era::Stateless)
        }
        _ => None,
    }
}

/// A header that appears at most once, as text: `Some(None)` when absent, `None` when repeated or
/// not visible ASCII (rmcp has something to say about those).
fn only<'a>(headers: &'a HeaderMap, name: &str) -> Option<Option<&'a str>> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Some(None);
    };
    if values.next().is_some() {
        return None;
    }
    first.to_str().ok().map(Some)
}

/// Runs the handler as rmcp's serve loop would (the request's `_meta` and extensions, the HTTP
/// parts among them, in its context) and answers as rmcp's JSON transport would.
async fn respond(
    server: &McpServer,
    era: Era,
    mut request: JsonRpcRequest<ClientRequest>,
    parts: Parts,
) -> Response {
    let id = request.id;
    let mut context = RequestContext::new(id.clone(), server.detached_peer());
    context.meta = std::mem::take(request.request.get_meta_mut());
    context.extensions = std::mem::take(request.request.extensions_mut());
    context.extensions.insert(parts);
    // Boxed: the handler's future is an enum of every request's, kilobytes that each enclosing
    // future would otherwise carry and copy.
    let handled = Box::pin(server.handle_request(request.request, context));
    let (message, outcome) = match handled.await {
        Ok(result) => {
            let outcome = match &result {
                ServerResult::CallToolResult(call) if call.is_error == Some(true) => {
                    ToolOutcome::Error
                }
                _ => ToolOutcome::Ok,
            };
            (ServerJsonRpcMessage::response(result, id), outcome)
        }
        Err(error) => {
            tracing::warn!(%id, ?error, "response error");
            (
                ServerJsonRpcMessage::error(error, Some(id)),
                ToolOutcome::Failed,
            )
        }
    };
    let status = match (&message, era) {
        (ServerJsonRpcMessage::Error(error), Era::Stateless) => stateless_status(error.error.code),
        _ => StatusCode::OK,
    };
    // A tool call's answer fits in this at once; `to_vec` would start at 128 bytes and grow.
    let mut body = Vec::with_capacity(ANSWER_CAPACITY);
    match serde_json::to_writer(&mut body, &message) {
        Ok(()) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            Extension(outcome),
            body,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(%err, "could not serialise an MCP response");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The HTTP status of a 2026-07-28 JSON-RPC error, as rmcp maps it.
fn stateless_status(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::UNSUPPORTED_PROTOCOL_VERSION
        | ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY
        | ErrorCode::HEADER_MISMATCH => StatusCode::BAD_REQUEST,
        ErrorCode::METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use remote_mcp_core::token::LocalSigner;
    use remote_mcp_core::{Config, MemoryStore};
    use serde_json::{Value, json};
    use std::sync::Arc;

    fn state() -> AppState {
        let store = Arc::new(MemoryStore::new());
        let config = Config::local("https://mcp.example.com").unwrap();
        AppState::new(
            config,
            store.clone(),
            store,
            Arc::new(LocalSigner::generate()),
        )
    }

    /// The era `direct_call` finds for `body` with the usual headers plus `extra`, or `None` when
    /// it leaves the request to rmcp.
    fn classify(body: &Value, extra: &[(&'static str, &str)]) -> Option<Era> {
        let mut request = axum::http::Request::post("/mcp")
            .header("host", "mcp.example.com")
            .header("content-type", "application/json; charset=utf-8");
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        let (parts, ()) = request.body(()).unwrap().into_parts();
        let message = Message::parse(body.to_string().as_bytes()).unwrap();
        direct_call(&state(), &parts, message).map(|(era, _)| era)
    }

    fn modern(method: &str, params: Value) -> Value {
        let mut params = params;
        params["_meta"] = json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {}
        });
        json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    }

    #[test]
    fn the_common_requests_are_answered_directly() {
        let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                          "params": {"name": "whoami", "arguments": {}}});
        let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
        for version in ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"] {
            let header = [("mcp-protocol-version", version)];
            assert_eq!(classify(&call, &header), Some(Era::Legacy), "{version}");
            assert_eq!(classify(&list, &header), Some(Era::Legacy), "{version}");
        }
        assert_eq!(classify(&list, &[]), Some(Era::Legacy), "no version header");

        let call = modern("tools/call", json!({"name": "whoami", "arguments": {}}));
        let headers = [
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "whoami"),
        ];
        assert_eq!(classify(&call, &headers), Some(Era::Stateless));
        let list = modern("tools/list", json!({}));
        let list_headers = [
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/list"),
        ];
        assert_eq!(classify(&list, &list_headers), Some(Era::Stateless));
    }

    #[test]
    fn anything_unusual_is_left_to_rmcp() {
        let call = modern("tools/call", json!({"name": "whoami", "arguments": {}}));
        let modern_headers = [
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "whoami"),
        ];
        let legacy_call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                 "params": {"name": "whoami", "arguments": {}}});
        let unusual: Vec<(Value, Vec<(&'static str, &str)>)> = vec![
            (
                call.clone(),
                vec![
                    ("mcp-protocol-version", "2026-07-28"),
                    ("mcp-method", "tools/call"),
                ],
            ),
            (
                call.clone(),
                vec![
                    ("mcp-protocol-version", "2026-07-28"),
                    ("mcp-method", "tools/call"),
                    ("mcp-name", "delete_note"),
                ],
            ),
            (
                call.clone(),
                vec![
                    ("mcp-protocol-version", "2026-07-28"),
                    ("mcp-method", "tools/list"),
                    ("mcp-name", "whoami"),
                ],
            ),
            (
                call.clone(),
                [&modern_headers[..], &[("mcp-name", "whoami")]].concat(),
            ),
            (
                call.clone(),
                [&modern_headers[..], &[("mcp-param-region", "eu")]].concat(),
            ),
            (
                call.clone(),
                [&modern_headers[..], &[("host", "mcp.example.com")]].concat(),
            ),
            (call.clone(), vec![("mcp-protocol-version", "2025-11-25")]),
            (legacy_call.clone(), modern_headers.to_vec()),
            (
                legacy_call.clone(),
                vec![("mcp-protocol-version", "1999-01-01")],
            ),
            (
                legacy_call.clone(),
                vec![("content-type", "application/json")],
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": {"name": "no_such_tool", "arguments": {}}}),
                vec![],
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": "resources/list"}),
                vec![],
            ),
            (
                json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
                vec![],
            ),
            (
                json!({"jsonrpc": "1.0", "id": 1, "method": "tools/list"}),
                vec![],
            ),
        ];
        for (body, headers) in unusual {
            assert_eq!(classify(&body, &headers), None, "{body} {headers:?}");
        }
        let mut without_capabilities = call;
        without_capabilities["params"]["_meta"]
            .as_object_mut()
            .unwrap()
            .remove("io.modelcontextprotocol/clientCapabilities");
        assert_eq!(classify(&without_capabilities, &modern_headers), None);
    }
}
