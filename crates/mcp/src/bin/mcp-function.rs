//! The MCP function on AWS Lambda: configure once at cold start, then serve
//! [`mcp_function::router`]. The token-signing public key is read from KMS on the first request and
//! kept, so authentication needs no network call after that.

use mcp_function::{AppState, router};
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
    // Only `public_jwk` is ever called here; IAM grants this function kms:GetPublicKey alone.
    let keys = KmsSigner::new(aws_sdk_kms::Client::new(&aws), key_id);
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table);
    lambda_http::run(router(AppState::new(
        config,
        Arc::new(store),
        Arc::new(keys),
    )))
    .await
}
