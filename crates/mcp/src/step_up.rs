//! Step-up authorization (MCP 2025-11-25 / 2026-07-28 "Runtime Insufficient Scope Errors"): a
//! `tools/call` of a tool that needs more than the token grants is answered with HTTP 403 and a
//! `WWW-Authenticate: Bearer error="insufficient_scope"` challenge naming every scope the call
//! needs, so the client can re-authorize once with all of them. Every tool call that passes is
//! written to the audit trail with its outcome and latency.

use crate::envelope::Envelope;
use crate::principal::Principal;
use crate::tools::required_scopes;
use crate::{AppState, bearer};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use remote_mcp_core::audit::Audit;

/// Middleware (after the bearer layer and [`crate::envelope::read`]): enforce per-tool scopes.
#[tracing::instrument(name = "step_up", level = "debug", skip_all)]
pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let tool = request
        .extensions()
        .get::<Envelope>()
        .and_then(Envelope::called_tool)
        .map(str::to_owned);
    if let Some(tool) = tool.as_deref() {
        let needed = required_scopes(tool);
        let granted = request
            .extensions()
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
    let Some(tool) = tool else {
        return next.run(request).await;
    };
    // Every tool call goes to the audit trail: who, for whom, what, how it went, how long.
    let caller = request.extensions().get::<Principal>().cloned();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    if let Some(caller) = caller {
        let detail = format!(
            "{tool} {} {}ms",
            response.status().as_u16(),
            started.elapsed().as_millis()
        );
        Audit::new("tool.called")
            .user(&caller.subject)
            .client(&caller.client_id)
            .detail(&detail)
            .log();
    }
    response
}
