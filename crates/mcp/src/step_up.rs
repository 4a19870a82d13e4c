//! Step-up authorization (MCP 2025-11-25 / 2026-07-28 "Runtime Insufficient Scope Errors"): a
//! `tools/call` of a tool that needs more than the token grants is answered with HTTP 403 and a
//! `WWW-Authenticate: Bearer error="insufficient_scope"` challenge naming every scope the call
//! needs, so the client can re-authorize once with all of them.

use crate::envelope::Message;
use crate::principal::Principal;
use crate::tools::required_scopes;
use crate::{AppState, bearer};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::ops::ControlFlow;

/// A [`crate::transport::Rule`] (after the bearer layer and [`crate::envelope::read`]): enforce
/// per-tool scopes.
pub fn enforce(state: &AppState, request: &mut Request) -> ControlFlow<Response> {
    let extensions = request.extensions();
    let Some(tool) = extensions
        .get::<Message>()
        .and_then(|message| message.envelope.called_tool())
    else {
        return ControlFlow::Continue(());
    };
    let needed = required_scopes(tool);
    let granted = extensions
        .get::<Principal>()
        .is_some_and(|p| p.has_all(needed));
    if granted {
        return ControlFlow::Continue(());
    }
    let mut response = StatusCode::FORBIDDEN.into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        bearer::challenge(
            state,
            Some((
                "insufficient_scope",
                &format!("{tool} needs the scopes: {}", needed.join(" ")),
            )),
            needed,
        ),
    );
    ControlFlow::Break(response)
}
