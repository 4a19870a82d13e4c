//! OAuth 2.0 Protected Resource Metadata (RFC 9728 §2–3).
//!
//! Served at the root well-known URL and at the path-aware one for `/mcp` (RFC 9728 §3.1), because
//! clients probe them in different orders (MCP 2025-11-25 "Protected Resource Metadata Discovery").

use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use remote_mcp_core::Config;
use serde::Serialize;

/// Path of the root metadata document.
pub const ROOT_PATH: &str = "/.well-known/oauth-protected-resource";
/// Path-aware metadata document for the `/mcp` endpoint.
pub const MCP_PATH: &str = "/.well-known/oauth-protected-resource/mcp";

/// The RFC 9728 document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProtectedResourceMetadata {
    pub resource: String,
    pub authorization_servers: Vec<String>,
    pub scopes_supported: Vec<&'static str>,
    pub bearer_methods_supported: Vec<&'static str>,
    pub resource_name: String,
}

impl ProtectedResourceMetadata {
    /// The document for a deployment: the canonical MCP URL, protected by our own issuer.
    pub fn for_config(config: &Config) -> Self {
        Self {
            resource: config.mcp_resource(),
            authorization_servers: vec![config.issuer().to_owned()],
            // Without `offline_access` (MCP 2026-07-28 "Refresh Tokens"): refresh tokens are issued anyway.
            scopes_supported: remote_mcp_core::scopes::SUPPORTED.to_vec(),
            bearer_methods_supported: vec!["header"],
            resource_name: config.resource_name.clone(),
        }
    }
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(ROOT_PATH, get(document))
        .route(MCP_PATH, get(document))
}

async fn document(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(ProtectedResourceMetadata::for_config(&state.config)),
    )
}
