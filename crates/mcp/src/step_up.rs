//! Step-up authorization (MCP 2025-11-25 / 2026-07-28 "Runtime Insufficient Scope Errors"): a
//! `tools/call` of a tool that needs more than the token grants is answered with HTTP 403 and a
//! `WWW-Authenticate: Bearer error="insufficient_scope"` challenge naming every scope the call
//! needs, so the client can re-authorize once with all of them.

use crate::principal::Principal;
use crate::tools::required_scopes;
use crate::{AppState, bearer};
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Largest MCP request body we read.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Middleware (after the bearer layer): enforce per-tool scopes.
pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    if let Some(tool) = called_tool(&bytes) {
        let needed = required_scopes(&tool);
        let granted = parts
            .extensions
            .get::<Principal>()
            .is_some_and(|p| p.has_all(needed));
        if !granted {
            let mut response = StatusCode::FORBIDDEN.into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                bearer::challenge(
                    &state,
                    Some((
                        "insufficient_scope",
                        &format!("{tool} needs the scopes: {}", needed.join(" ")),
                    )),
                    needed,
                ),
            );
            return response;
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The tool name of a JSON-RPC `tools/call` request, if that is what the body is.
fn called_tool(body: &[u8]) -> Option<String> {
    let message: serde_json::Value = serde_json::from_slice(body).ok()?;
    if message.get("method")?.as_str()? != "tools/call" {
        return None;
    }
    Some(message.get("params")?.get("name")?.as_str()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_tool_calls() {
        let call =
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_note"}}"#;
        assert_eq!(called_tool(call).as_deref(), Some("delete_note"));
        assert_eq!(called_tool(br#"{"method":"tools/list"}"#), None);
        assert_eq!(called_tool(b"not json"), None);
    }
}
