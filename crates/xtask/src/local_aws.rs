//! The AWS services the Lambda functions use, run locally for the real binaries (under
//! `cargo lambda watch` or `sam local`): DynamoDB Local with the template's table, moto's KMS with
//! an ES256 signing key, and an account to sign in with on the consent page.

use anyhow::Context;
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use remote_mcp_core::DynamoStore;
use remote_mcp_local::dev_user;
use remote_mcp_testkit::{DynamoLocal, LocalKms, TableDefinition};
use std::net::IpAddr;

/// The table the functions are given.
pub const TABLE: &str = "remote-mcp";
/// The account the fixtures sign in with.
pub const EMAIL: &str = "owner@example.org";
/// Its password.
pub const PASSWORD: &str = "replayed sign-in password";

/// DynamoDB Local and a local KMS, with the table, a key and the account in place. Stopped when
/// dropped.
pub struct LocalAws {
    pub dynamo: DynamoLocal,
    pub kms: LocalKms,
    /// The signing key's id.
    pub key_id: String,
}

impl LocalAws {
    /// Starts both services (moto listening on `kms_address`; DynamoDB Local listens on every
    /// interface) and creates the table, the key and the account.
    pub async fn start(kms_address: IpAddr) -> anyhow::Result<Self> {
        let dynamo = DynamoLocal::start()?;
        TableDefinition::from_repository()?
            .create(&dynamo.client(), TABLE)
            .await?;
        let kms = LocalKms::start_on(kms_address).map_err(anyhow::Error::msg)?;
        let key_id = kms
            .client()
            .create_key()
            .key_spec(KeySpec::EccNistP256)
            .key_usage(KeyUsageType::SignVerify)
            .send()
            .await?
            .key_metadata
            .context("CreateKey returned no key")?
            .key_id;
        let store = DynamoStore::new(dynamo.client(), TABLE);
        dev_user(&store, EMAIL, Some(PASSWORD.into())).await?;
        Ok(Self {
            dynamo,
            kms,
            key_id,
        })
    }

    /// The environment both functions need, with the services reached at `reach` (the host name
    /// or address under which the functions see this machine).
    pub fn function_env(&self, public_base_url: &str, reach: &str) -> Vec<(String, String)> {
        let at = |endpoint: &str| {
            let port = endpoint.rsplit(':').next().unwrap_or_default();
            format!("http://{reach}:{port}")
        };
        [
            ("PUBLIC_BASE_URL", public_base_url.to_owned()),
            ("TABLE_NAME", TABLE.to_owned()),
            ("SIGNING_KEY_ID", self.key_id.clone()),
            // Outside a rotation (the template's default, stated so no resolver guesses).
            ("PREVIOUS_SIGNING_KEY_ID", String::new()),
            ("DYNAMODB_ENDPOINT_URL", at(self.dynamo.endpoint())),
            ("KMS_ENDPOINT_URL", at(self.kms.endpoint())),
            ("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}
