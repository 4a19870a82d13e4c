//! Step-up authorization (MCP 2025-11-25 / 2026-07-28 "Runtime Insufficient Scope Errors"): a
//! `tools/call` of a tool that needs more than the token grants is answered with HTTP 403 and a
//! `WWW-Authenticate: Bearer error="insufficient_scope"` challenge naming every scope the call
//! needs, so the client can re-authorize once with all of them.

use crate::envelope::Message;
use crate::principal::Principal;
use crate::tools::required_scopes;
use crate::{AppState, bearer};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Middleware (after the bearer layer and [`crate::envelope::read`]): enforce per-tool scopes.
#[tracing::instrument(name = "step_up", level = "debug", skip_all)]
pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let extensions = request.extensions();
    let Some(tool) = extensions
        .get::<Message>()
        .and_then(|message| message.envelope.called_tool())
    else {
        return next.run(request).await;
    };
    let needed = required_scopes(tool);
    let granted = extensions
        .get::<Principal>()
        .is_some_and(|p| p.has_all(needed));
    if granted {
        return next.run(request).await;
    }
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
    response
}
