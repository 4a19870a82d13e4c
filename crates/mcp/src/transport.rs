//! The MCP endpoint over Streamable HTTP, set up for Lambda behind API Gateway: stateless (no
//! `Mcp-Session-Id`), JSON responses, our public host allowed, POST only (GET and DELETE get 405
//! with `Allow: POST`, never 404). Both protocol eras share it: `initialize` (2024-11-05 ..
//! 2025-11-25) and the stateless 2026-07-28 requests with `server/discover`; rmcp negotiates and
//! checks `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name`, after [`crate::compat`] has
//! absorbed what deployed Claude clients send differently.
//!
//! Order of the layers on POST: `Origin` check → bearer token → body read once
//! ([`crate::envelope`]) → client tolerances ([`crate::compat`]) → per-tool scope → the common
//! requests answered directly ([`crate::direct`]) → rmcp.

use crate::{AppState, bearer, compat, direct, envelope, origin, step_up};
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{MethodRouter, post_service};
use rmcp::ServerHandler;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::sync::Arc;

/// Paths serving MCP: canonical `/mcp`, and `/` for clients given the bare origin.
pub const PATHS: [&str; 2] = ["/mcp", "/"];

/// rmcp's defaults suit a long-lived local process; these suit Lambda.
pub fn config(state: &AppState) -> StreamableHttpServerConfig {
    StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_max_request_body_bytes(envelope::MAX_BODY_BYTES)
        .with_allowed_hosts(state.allowed_hosts.iter().cloned())
}

/// `Cache-Control: no-store` and `Vary: Authorization` on every MCP response (tool lists are
/// per-user; an anonymous cached copy would be wrong for everyone).
pub async fn no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::VARY, HeaderValue::from_static("Authorization"));
    response
}

/// rmcp's Streamable HTTP service for `handler`, configured by [`config`].
pub fn service<S: ServerHandler + Send + 'static>(
    state: &AppState,
    handler: impl Fn() -> S + Send + Sync + 'static,
) -> StreamableHttpService<S, NeverSessionManager> {
    StreamableHttpService::new(
        move || Ok(handler()),
        Arc::new(NeverSessionManager::default()),
        config(state),
    )
}

/// The layers every MCP endpoint has in front of `endpoint`: the JSON-RPC body read once
/// ([`envelope::read`]), then what deployed Claude clients send differently ([`compat::tolerate`]).
pub fn read_message(endpoint: MethodRouter<AppState>) -> MethodRouter<AppState> {
    endpoint
        .route_layer(middleware::from_fn(compat::tolerate))
        .route_layer(middleware::from_fn(envelope::read))
}

/// Mounts `endpoint` (a POST-only method router) on every MCP path, with response headers.
pub fn mount(endpoint: MethodRouter<AppState>) -> Router<AppState> {
    PATHS
        .iter()
        .fold(Router::new(), |router, path| {
            router.route(path, endpoint.clone())
        })
        .layer(middleware::from_fn(no_store))
}

pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    let server = state.server.clone();
    // `route_layer`: the layers wrap POST only, so other methods get axum's 405 + `Allow: POST`
    // before any authentication.
    let endpoint = post_service(service(state, move || server.clone()))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            direct::answer,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            step_up::enforce,
        ));
    let endpoint = read_message(endpoint)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            bearer::require_token,
        ))
        .route_layer(middleware::from_fn_with_state(state.clone(), origin::check));
    mount(endpoint)
}
