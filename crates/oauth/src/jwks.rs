//! The signing keys (RFC 7517 JWK Set) at `/.well-known/jwks.json`, each with its `kid`, so keys
//! can be rotated by publishing the next one beside the current.

use crate::AppState;
use crate::error::OAuthError;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use remote_mcp_core::token::{JwkSet, LazyVerifier};
use std::sync::Arc;

/// Where the key set is published.
pub const PATH: &str = crate::paths::JWKS;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route(PATH, get(jwks))
}

/// The signing key first, then the previous one during a rotation's overlap.
async fn jwks(State(verifier): State<Arc<LazyVerifier>>) -> Result<impl IntoResponse, OAuthError> {
    let keys = verifier.jwks().await?;
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(JwkSet { keys }),
    ))
}
