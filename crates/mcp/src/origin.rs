//! `Origin` validation (MCP Streamable HTTP "Security Warning"; 403 since 2025-11-25). Browsers
//! send `Origin`; a foreign one is refused before anything else happens, which also defeats DNS
//! rebinding. Server-to-server clients (Claude's backend, SDKs) send none and pass.

use crate::AppState;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::ops::ControlFlow;

/// A [`crate::transport::Rule`]: 403 for a present `Origin` that is not allowed.
pub fn check(state: &AppState, request: &mut Request) -> ControlFlow<Response> {
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let allowed = origin
            .to_str()
            .is_ok_and(|o| state.config.allowed_origins.iter().any(|a| a == o));
        if !allowed {
            let shown = String::from_utf8_lossy(origin.as_bytes());
            tracing::info!(origin = %remote_mcp_core::audit::clip(&shown), "foreign Origin refused");
            return ControlFlow::Break(
                (StatusCode::FORBIDDEN, "Forbidden: Origin not allowed").into_response(),
            );
        }
    }
    ControlFlow::Continue(())
}
