//! The OAuth function on AWS Lambda: configure once at cold start, then serve [`oauth_function::router`].

use oauth_function::{AppState, router};
use remote_mcp_core::telemetry::{self, LogFormat};
use remote_mcp_core::token::kms::KmsSigner;
use remote_mcp_core::{Config, DynamoStore};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init(LogFormat::Json);
    // Display, not Debug: the init error names the variable and what is wrong with it.
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let table = config.table_name.clone().ok_or("TABLE_NAME is not set")?;
    let key_id = config
        .signing_key_id
        .clone()
        .ok_or("SIGNING_KEY_ID is not set")?;
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table);
    let signer = KmsSigner::new(aws_sdk_kms::Client::new(&aws), key_id);
    let state = AppState::new(config, Arc::new(store), Arc::new(signer));
    lambda_http::run(router(state)).await
}
