//! The deployment as a Lambda function sees it: configuration from the environment and the AWS
//! clients built from it, once, at cold start (no request is made until one is needed).

use crate::token::kms::KmsSigner;
use crate::{Config, DynamoStore};

/// Everything a function's `main` needs before serving.
pub struct Deployment {
    pub config: Config,
    pub store: DynamoStore,
    /// The access-token key; the MCP function only reads its public half.
    pub signing_key: KmsSigner,
}

impl Deployment {
    /// Reads the environment; the error names the variable and what is wrong with it.
    pub async fn from_env() -> Result<Self, String> {
        let config = Config::from_env().map_err(|e| e.to_string())?;
        let table = config.table_name.clone().ok_or("TABLE_NAME is not set")?;
        let key_id = config
            .signing_key_id
            .clone()
            .ok_or("SIGNING_KEY_ID is not set")?;
        let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Ok(Self {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table),
            signing_key: KmsSigner::new(aws_sdk_kms::Client::new(&aws), key_id),
            config,
        })
    }
}
