//! The layer both functions put in front of their routes: each request served inside a
//! [`Scope`](super::Scope), then its EMF record written with the lines it held.

use super::Scope;
use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::Extensions;
use axum::response::Response;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The layer both functions put in front of their routes (`.layer(observe::layer("mcp"))`):
/// serves each request inside a [`Scope`] and writes its EMF record. A plain tower service,
/// so it costs one boxed future per request.
pub fn layer(function: &'static str) -> ObserveLayer {
    ObserveLayer(function)
}

/// See [`layer`].
#[derive(Clone, Copy, Debug)]
pub struct ObserveLayer(&'static str);

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observed<S>;

    fn layer(&self, inner: S) -> Observed<S> {
        Observed {
            inner,
            function: self.0,
        }
    }
}

/// A service under [`ObserveLayer`].
#[derive(Clone, Debug)]
pub struct Observed<S> {
    inner: S,
    function: &'static str,
}

impl<S> tower::Service<Request> for Observed<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let route = request.extensions().get::<MatchedPath>().cloned();
        let scope = Scope::new(
            source_address(request.extensions()),
            request_id(request.extensions()),
        );
        let function = self.function;
        let served = self.inner.call(request);
        Box::pin(async move {
            let started = Instant::now();
            let (response, scope) = scope.run(served).await;
            let response = response?;
            if tracing::enabled!(target: super::EMF_TARGET, tracing::Level::INFO) {
                let timestamp = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis());
                // The lines held while it ran, and its record: one write.
                let text = scope.line(&super::Answered {
                    namespace: super::namespace(),
                    function,
                    route: route.as_ref().map_or("unmatched", MatchedPath::as_str),
                    status: response.status().as_u16(),
                    latency: started.elapsed(),
                    timestamp_ms: timestamp,
                });
                tracing::info!(target: super::EMF_TARGET, emf = text.as_str());
            }
            Ok(response)
        })
    }
}

/// API Gateway's view of the caller on Lambda (`requestContext.http.sourceIp`), the socket
/// peer locally, or `"unknown"` when neither is there (all such callers then share one
/// budget).
pub fn source_address(extensions: &Extensions) -> String {
    if let Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) =
        extensions.get::<lambda_http::request::RequestContext>()
        && let Some(ip) = &context.http.source_ip
    {
        return ip.clone();
    }
    let Some(ConnectInfo(peer)) = extensions.get::<ConnectInfo<SocketAddr>>() else {
        return "unknown".to_owned();
    };
    // Sized for the longest address text at once (an IPv4-mapped IPv6 address), not grown as
    // `to_string` grows it, piece by piece.
    let mut address = String::with_capacity(45);
    let _ = write!(address, "{}", peer.ip());
    address
}

/// API Gateway's id of this request (what its access log and the Lambda context name it),
/// when there is one.
pub fn request_id(extensions: &Extensions) -> Option<String> {
    match extensions.get::<lambda_http::request::RequestContext>() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) => {
            context.request_id.clone()
        }
        _ => None,
    }
}
