//! Authorization server metadata (RFC 8414 §2–3) and its OIDC Discovery twin.
//!
//! One [`Capabilities`] value describes what this server supports. It is serialised into both
//! discovery documents and the endpoints consult the same value, so what we advertise and what we
//! enforce cannot drift. The `issuer` is the configured public origin exactly (RFC 8414 §3.3).

use crate::AppState;
use crate::grant_type::GrantType;
use crate::paths;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use remote_mcp_core::Config;
use serde::Serialize;
use std::sync::Arc;

/// The authorization server's advertised (and enforced) capabilities.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub registration_endpoint: String,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    pub jwks_uri: String,
    pub response_types_supported: Vec<&'static str>,
    pub response_modes_supported: Vec<&'static str>,
    pub grant_types_supported: Vec<&'static str>,
    pub code_challenge_methods_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub token_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    pub introspection_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    pub scopes_supported: Vec<&'static str>,
    pub authorization_response_iss_parameter_supported: bool,
    pub client_id_metadata_document_supported: bool,
    /// draft-ietf-oauth-identity-assertion-authz-grant §7.2: present when an identity provider
    /// is trusted to issue ID-JAGs for us.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorization_grant_profiles_supported: Vec<&'static str>,
}

/// The ID-JAG profile of the jwt-bearer grant, as metadata names it.
pub const ID_JAG_PROFILE: &str = "urn:ietf:params:oauth:grant-profile:id-jag";

impl Capabilities {
    /// The capabilities of a deployment.
    pub fn for_config(config: &Config) -> Self {
        Self {
            issuer: config.issuer().to_owned(),
            authorization_endpoint: config.url(paths::AUTHORIZE),
            token_endpoint: config.url(paths::TOKEN),
            registration_endpoint: config.url(paths::REGISTER),
            revocation_endpoint: config.url(paths::REVOKE),
            introspection_endpoint: config.url(paths::INTROSPECT),
            jwks_uri: config.url(paths::JWKS),
            response_types_supported: vec!["code"],
            response_modes_supported: vec!["query"],
            grant_types_supported: GrantType::ALL
                .iter()
                .filter(|g| **g != GrantType::JwtBearer)
                .map(|g| g.as_str())
                .collect(),
            code_challenge_methods_supported: vec!["S256"],
            // `none` and CIMD support together are what make Claude use its metadata document.
            token_endpoint_auth_methods_supported: vec![
                "none",
                "client_secret_post",
                "client_secret_basic",
                "private_key_jwt",
            ],
            token_endpoint_auth_signing_alg_values_supported: crate::jwt::algorithm_names(),
            revocation_endpoint_auth_methods_supported: vec![
                "none",
                "client_secret_post",
                "client_secret_basic",
                "private_key_jwt",
            ],
            revocation_endpoint_auth_signing_alg_values_supported: crate::jwt::algorithm_names(),
            introspection_endpoint_auth_methods_supported: vec![
                "client_secret_post",
                "client_secret_basic",
                "private_key_jwt",
            ],
            introspection_endpoint_auth_signing_alg_values_supported: crate::jwt::algorithm_names(),
            scopes_supported: remote_mcp_core::scopes::SUPPORTED.to_vec(),
            authorization_response_iss_parameter_supported: true,
            client_id_metadata_document_supported: true,
            authorization_grant_profiles_supported: Vec::new(),
        }
    }

    /// With the jwt-bearer grant and the ID-JAG profile when `accepted` (an identity provider is
    /// configured with `"id_jag": true`).
    pub fn accepting_id_jags(mut self, accepted: bool) -> Self {
        if accepted {
            self.grant_types_supported
                .push(GrantType::JwtBearer.as_str());
            self.authorization_grant_profiles_supported = vec![ID_JAG_PROFILE];
        }
        self
    }

    /// Whether `/token` takes this grant type here.
    pub fn supports_grant(&self, grant: GrantType) -> bool {
        self.grant_types_supported.contains(&grant.as_str())
    }
}

/// RFC 8414 §3: the metadata document.
pub const PATH: &str = paths::METADATA;
/// OIDC Discovery's name for the same document.
pub const OIDC_PATH: &str = paths::OIDC_METADATA;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(document))
        .route(OIDC_PATH, get(document))
}

async fn document(State(capabilities): State<Arc<Capabilities>>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(capabilities.as_ref().clone()),
    )
}
