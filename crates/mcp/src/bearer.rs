//! The bearer-token layer (RFC 6750 §2.1, §3; MCP authorization "Token Handling").
//!
//! Every MCP request needs `Authorization: Bearer <token>` (scheme case-insensitive; tokens in the
//! query string are ignored). The token is verified in memory: signature, issuer, audience (this
//! resource, RFC 8707) and expiry; then [`crate::revocation`] says whether it still stands (a
//! store read at most once per token per interval). No token → 401 with the protected-resource
//! metadata URL and every scope; a bad or revoked one → 401 `invalid_token` (never 403:
//! clients refresh only on 401); the store unreachable → 503 with `Retry-After`.

use crate::AppState;
use crate::principal::Principal;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `WWW-Authenticate` for a challenge; `error` and `description` as RFC 6750 §3 defines them.
pub fn challenge(state: &AppState, error: Option<(&str, &str)>, scopes: &[&str]) -> HeaderValue {
    let mut value = format!(
        r#"Bearer resource_metadata="{}", scope="{}""#,
        state.protected_resource_metadata_url,
        scopes.join(" ")
    );
    if let Some((code, description)) = error {
        value.push_str(&format!(
            r#", error="{code}", error_description="{description}""#
        ));
    }
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

fn unauthorized(state: &AppState, error: Option<(&str, &str)>) -> Response {
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        challenge(state, error, &crate::CHALLENGE_SCOPES),
    );
    response
}

/// The token of an `Authorization: Bearer` header, if that is what the request carries.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    // UTF-8 validation rather than `HeaderValue::to_str`'s byte-by-byte check: a token is most
    // of a request's headers, and anything it lets through fails the signature check anyway.
    let value = std::str::from_utf8(headers.get(header::AUTHORIZATION)?.as_bytes()).ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Step of the pipeline: the [`Principal`] of a request whose token is ours and still stands,
/// or the answer (401, 503) for one that is not.
#[tracing::instrument(name = "bearer", level = "debug", skip_all)]
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Principal, Response> {
    let Some(token) = bearer_token(headers) else {
        return Err(unauthorized(state, None));
    };
    let verifier = match state.verifier.get().await {
        Ok(verifier) => verifier,
        Err(err) => {
            tracing::error!(%err, "token verification key unavailable");
            return Err(unavailable());
        }
    };
    let now = state.clock.now();
    let claims = match verifier.verify(token, now) {
        Ok(claims) => claims,
        Err(err) => {
            tracing::info!(%err, "bearer token rejected");
            return Err(unauthorized(
                state,
                Some(("invalid_token", "the access token is invalid or expired")),
            ));
        }
    };
    match state.revocations.stands(&claims, now).await {
        Ok(true) => Ok(Principal::from(&*claims)),
        Ok(false) => {
            tracing::info!(client = claims.client_id, "revoked token refused");
            Err(unauthorized(
                state,
                Some(("invalid_token", "the access token was revoked")),
            ))
        }
        Err(err) => {
            tracing::error!(%err, "revocation check failed");
            Err(unavailable())
        }
    }
}

/// 503 with `Retry-After`, as a JSON-RPC error (the body is what MCP clients read).
fn unavailable() -> Response {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": -32603, "message": "temporarily unavailable, retry shortly"},
    });
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "5")],
        axum::Json(body),
    )
        .into_response()
}
