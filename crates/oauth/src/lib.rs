//! remote-mcp's OAuth 2.1 authorization server.
//!
//! [`router`] is the whole function: Lambda (`src/bin/oauth-function.rs`), the local development
//! server and the tests all serve this same router. Each module owns one endpoint or RFC clause:
//!
//! | module | endpoint | specification |
//! |---|---|---|
//! | [`metadata`] | `GET /.well-known/oauth-authorization-server`, `/.well-known/openid-configuration` | RFC 8414, OIDC Discovery |

pub mod metadata;

use axum::Router;
use remote_mcp_core::{Config, Store};
use std::sync::Arc;

pub use metadata::Capabilities;

/// Everything a request handler may use, built once at cold start.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub capabilities: Arc<Capabilities>,
}

impl AppState {
    /// Builds the state from a parsed configuration and a store.
    pub fn new(config: Config, store: Arc<dyn Store>) -> Self {
        let capabilities = Arc::new(Capabilities::for_config(&config));
        Self {
            config: Arc::new(config),
            store,
            capabilities,
        }
    }
}

/// The authorization server's routes.
pub fn router(state: AppState) -> Router {
    Router::new().merge(metadata::routes()).with_state(state)
}
