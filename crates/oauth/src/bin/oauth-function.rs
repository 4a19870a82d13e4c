//! The OAuth function on AWS Lambda: configure once at cold start, then serve [`oauth_function::router`].

use oauth_function::{AppState, router};
use remote_mcp_core::aws::Deployment;
use remote_mcp_core::telemetry::{self, LogFormat};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init(LogFormat::Json);
    let Deployment {
        config,
        store,
        signing_key,
    } = Deployment::from_env().await?;
    let store = Arc::new(store);
    let state = AppState::new(config, store.clone(), store, Arc::new(signing_key));
    lambda_http::run(router(state)).await
}
