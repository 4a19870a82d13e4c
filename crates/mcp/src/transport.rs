//! The MCP endpoint over Streamable HTTP, set up for Lambda behind API Gateway: stateless (no
//! `Mcp-Session-Id`), JSON responses, our public host allowed, POST only (GET and DELETE get 405
//! with `Allow: POST`, never 404). Both protocol eras share it: `initialize` (2024-11-05 ..
//! 2025-11-25) and the stateless 2026-07-28 requests with `server/discover`; rmcp negotiates and
//! checks `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name`, after [`crate::compat`] has
//! absorbed what deployed Claude clients send differently.
//!
//! A POST passes these steps in this order (one service, `Pipeline`), after the router-wide
//! request log and metrics ([`remote_mcp_core::observe`]). Each is a function that hands on what
//! it adds in the request's extensions, or answers instead of passing on; the pipeline calls
//! them in turn, so a request costs one boxed future however many steps it passes.
//!
//! | step | reads | adds, or answers |
//! |---|---|---|
//! | [`origin::check`] | `Origin` | 403 for a foreign origin |
//! | [`bearer::authenticate`] | `Authorization`; the grant, at most once per token per interval | [`Principal`]; 401, 503 |
//! | [`envelope::read`] | the body, the only step that does | [`Message`]; 400 (`-32700`, `-32600`), 413 |
//! | [`compat::tolerate`] | `Accept`, `MCP-Protocol-Version`, [`Message`] | the headers rmcp requires; 406 |
//! | [`step_up::enforce`] | [`Message`], [`Principal`] | 403 `insufficient_scope` |
//! | [`tool_audit::record`] | [`Message`], [`Principal`], the answer | the audit line and metric of a tool call |
//! | [`direct::answer`] | [`Message`], headers | the answer to a plain `tools/list` or `tools/call` |
//! | rmcp's service | the body | every other answer |
//!
//! [`Principal`]: crate::Principal
//! [`Message`]: crate::envelope::Message

use crate::server::McpServer;
use crate::{AppState, bearer, compat, direct, envelope, origin, step_up, tool_audit};
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{MethodRouter, post_service};
use rmcp::ServerHandler;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::convert::Infallible;
use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::util::MapResponseLayer;

/// A step that only looks at the request: go on (`Continue`, perhaps with a header or an
/// extension added), or answer instead (`Break`). [`origin::check`], [`compat::tolerate`],
/// [`step_up::enforce`]; plain functions, tested as such.
pub type Rule = fn(&AppState, &mut Request) -> ControlFlow<Response>;

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
pub fn no_store(mut response: Response) -> Response {
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

/// Mounts `endpoint` (a POST-only method router) on every MCP path, with response headers.
pub fn mount(endpoint: MethodRouter<AppState>) -> Router<AppState> {
    PATHS
        .iter()
        .fold(Router::new(), |router, path| {
            router.route(path, endpoint.clone())
        })
        .layer(MapResponseLayer::new(no_store as fn(Response) -> Response))
}

pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    let server = state.server.clone();
    let pipeline = Pipeline {
        state: state.clone(),
        rmcp: Arc::new(service(state, move || server.clone())),
    };
    // `post_service`: other methods get axum's 405 + `Allow: POST` before any authentication.
    mount(post_service(pipeline))
}

/// The MCP endpoint: the steps of the table above, in order, then rmcp's service for what the
/// direct answer leaves. One service and one boxed future per request; each step a function
/// that passes the request on or answers instead.
#[derive(Clone)]
struct Pipeline {
    state: AppState,
    /// rmcp's service behind one `Arc`: it clones its whole configuration (the allowed hosts
    /// among it) when cloned or called.
    rmcp: Arc<StreamableHttpService<McpServer, NeverSessionManager>>,
}

impl Pipeline {
    async fn serve(self, mut request: Request) -> Response {
        if let ControlFlow::Break(answer) = origin::check(&self.state, &mut request) {
            return answer;
        }
        let principal = match bearer::authenticate(&self.state, request.headers()).await {
            Ok(principal) => principal,
            Err(answer) => return answer,
        };
        request.extensions_mut().insert(principal);
        let mut request = match envelope::read(request).await {
            Ok(request) => request,
            Err(answer) => return answer,
        };
        for rule in [compat::tolerate as Rule, step_up::enforce] {
            if let ControlFlow::Break(answer) = rule(&self.state, &mut request) {
                return answer;
            }
        }
        let Self { state, rmcp } = &self;
        tool_audit::record(state, request, |request| async move {
            match direct::answer(state, request).await {
                Ok(answer) => answer,
                // Boxed: rmcp's future is large, and every request's future would carry it.
                Err(request) => Box::pin(rmcp.handle(request)).await.map(Body::new),
            }
        })
        .await
    }
}

impl tower::Service<Request> for Pipeline {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let pipeline = self.clone();
        Box::pin(async move { Ok(pipeline.serve(request).await) })
    }
}
