//! remote-mcp's MCP resource server.
//!
//! [`router`] is the whole function: Lambda (`src/bin/mcp-function.rs`), the local development
//! server and the tests all serve this same router.
//!
//! | module | endpoint | specification |
//! |---|---|---|
//! | [`protected_resource`] | `GET /.well-known/oauth-protected-resource[/mcp]` | RFC 9728 |

pub mod protected_resource;

use axum::Router;
use remote_mcp_core::{Config, Store};
use std::sync::Arc;

/// Everything a request handler may use, built once at cold start.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
}

impl AppState {
    /// Builds the state from a parsed configuration and a store.
    pub fn new(config: Config, store: Arc<dyn Store>) -> Self {
        Self {
            config: Arc::new(config),
            store,
        }
    }
}

/// The resource server's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(protected_resource::routes())
        .with_state(state)
}
