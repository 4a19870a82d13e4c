//! remote-mcp's MCP resource server.
//!
//! [`router`] is the whole function: Lambda (`src/bin/mcp-function.rs`), the local development
//! server and the tests all serve this same router.
//!
//! | module | endpoint or concern | specification |
//! |---|---|---|
//! | [`protected_resource`] | `GET /.well-known/oauth-protected-resource[/mcp]` | RFC 9728 |
//! | [`transport`] | `POST /mcp`, `POST /` (Streamable HTTP, stateless JSON) | MCP transports, both eras |
//! | [`origin`] | `Origin` validation | MCP Streamable HTTP security |
//! | [`bearer`] | access-token verification and challenges | RFC 6750, RFC 8707, MCP authorization |
//! | [`step_up`] | per-tool scopes, 403 `insufficient_scope` | MCP authorization "Step-Up" |
//! | [`server`], [`tools`] | tools, resources, prompts | MCP server features |

pub mod bearer;
pub mod origin;
pub mod principal;
pub mod protected_resource;
pub mod server;
pub mod step_up;
pub mod tools;
pub mod transport;

use axum::Router;
use remote_mcp_core::token::Verifier;
use remote_mcp_core::{Config, Store};
use std::sync::Arc;

pub use principal::Principal;

/// The scope a token needs for any MCP request (and the one named in 401 challenges).
pub const DEFAULT_SCOPE: &str = tools::READ;

/// Everything a request handler may use, built once at cold start.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    /// Verifies access tokens in memory against the authorization server's public key.
    pub verifier: Arc<Verifier>,
    /// `Host` values accepted on the MCP endpoint.
    pub allowed_hosts: Vec<String>,
    /// Absolute URL of our RFC 9728 document, for challenges.
    pub protected_resource_metadata_url: String,
}

impl AppState {
    /// Builds the state: tokens must come from our issuer and name our MCP resource.
    pub fn new(config: Config, store: Arc<dyn Store>, verifier: Verifier) -> Self {
        let host = url::Url::parse(config.issuer())
            .ok()
            .and_then(|u| {
                let host = u.host_str()?.to_owned();
                Some(match u.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host,
                })
            })
            .unwrap_or_default();
        Self {
            protected_resource_metadata_url: config.url(protected_resource::MCP_PATH),
            config: Arc::new(config),
            store,
            verifier: Arc::new(verifier),
            allowed_hosts: vec![host],
        }
    }
}

/// The resource server's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(protected_resource::routes())
        .merge(transport::routes(&state))
        .with_state(state)
}
