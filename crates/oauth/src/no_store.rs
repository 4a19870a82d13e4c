//! Answers that must never be cached (RFC 6749 §5.1, RFC 7009, RFC 7662, RFC 7591 §3.2.1, the
//! consent and error pages): `Cache-Control: no-store` and `Pragma: no-cache`, set in one place.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// Wraps any response and marks it uncacheable.
#[derive(Debug)]
pub struct NoStore<T>(pub T);

impl<T: IntoResponse> IntoResponse for NoStore<T> {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        response
    }
}
