//! The deployment as a Lambda function sees it: configuration from the environment and the AWS
//! clients built from it, once, at cold start (no request is made until one is needed).
//!
//! Two variables exist for running the real functions off AWS (`make sam-local`):
//! `DYNAMODB_ENDPOINT_URL` and `KMS_ENDPOINT_URL` point the clients at DynamoDB Local and a local
//! KMS. The template declares them empty, which means AWS's own endpoints: `sam local` only lets
//! `--env-vars` set variables the template declares, and the SDK's own `AWS_ENDPOINT_URL_*` would
//! read an empty declaration as an (invalid) endpoint.

use crate::config::ConfigError;
use crate::deferred::Deferred;
use crate::token::kms::KmsSigner;
use crate::{Config, DynamoStore};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use std::sync::OnceLock;

/// Everything a function's `main` needs before serving.
pub struct Deployment {
    pub config: Config,
    pub store: DynamoStore,
    /// The access-token key; the MCP function only reads its public half.
    pub signing_key: KmsSigner,
    /// The key that signed before the last rotation, trusted (never used to sign) while its
    /// tokens may be live: `PREVIOUS_SIGNING_KEY_ID`, empty outside a rotation.
    pub previous_signing_key: Option<KmsSigner>,
    /// The token vault's data keys: `VAULT_KEY_ID`, empty when no provider keeps tokens.
    pub vault_keys: Option<KmsDataKeys>,
}

impl Deployment {
    /// Reads the environment: [`Config::from_env`], plus `TABLE_NAME` (the DynamoDB table),
    /// `SIGNING_KEY_ID` (the KMS key signing access tokens), `VAULT_KEY_ID` (the token vault's
    /// key, when set) and, during a key rotation, `PREVIOUS_SIGNING_KEY_ID`. The error names the variable and
    /// what is wrong with it.
    pub fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let table = required("TABLE_NAME")?;
        let key_id = required("SIGNING_KEY_ID")?;
        let aws = sdk_config();
        // The service clients are configured and built by the first call that needs one.
        let dynamodb = {
            let aws = aws.clone();
            move || {
                let mut dynamodb = aws_sdk_dynamodb::config::Builder::from(&aws)
                    .timeout_config(crate::store::timeouts());
                if let Some(url) = endpoint_override("DYNAMODB_ENDPOINT_URL") {
                    dynamodb = dynamodb.endpoint_url(url);
                }
                dynamodb.build()
            }
        };
        let kms = Deferred::new(move || {
            let mut kms = aws_sdk_kms::config::Builder::from(&aws);
            if let Some(url) = endpoint_override("KMS_ENDPOINT_URL") {
                kms = kms.endpoint_url(url);
            }
            aws_sdk_kms::Client::from_conf(kms.build())
        });
        Ok(Self {
            store: DynamoStore::lazy(dynamodb, table),
            previous_signing_key: endpoint_override("PREVIOUS_SIGNING_KEY_ID")
                .map(|id| KmsSigner::lazy(kms.clone(), id)),
            vault_keys: endpoint_override("VAULT_KEY_ID")
                .map(|id| KmsDataKeys::lazy(kms.clone(), id)),
            signing_key: KmsSigner::lazy(kms, key_id),
            config,
        })
    }
}

/// Secrets Manager, for secrets read at run time (an identity provider's client secret): each by
/// its ARN on first use, then kept for the container's life. `SECRETSMANAGER_ENDPOINT_URL` points
/// it at a local stand-in (tests).
#[cfg(feature = "secrets")]
pub struct SecretReader {
    client: Deferred<aws_sdk_secretsmanager::Client>,
    kept: tokio::sync::Mutex<std::collections::HashMap<String, String>>,
}

#[cfg(feature = "secrets")]
impl SecretReader {
    /// A reader configured from the environment, as [`Deployment::from_env`] configures its clients.
    pub fn from_env() -> Self {
        let aws = sdk_config();
        Self::lazy(Deferred::new(move || {
            let mut config = aws_sdk_secretsmanager::config::Builder::from(&aws);
            if let Some(url) = endpoint_override("SECRETSMANAGER_ENDPOINT_URL") {
                config = config.endpoint_url(url);
            }
            aws_sdk_secretsmanager::Client::from_conf(config.build())
        }))
    }

    /// A reader with this client.
    pub fn new(client: aws_sdk_secretsmanager::Client) -> Self {
        Self::lazy(Deferred::ready(client))
    }

    fn lazy(client: Deferred<aws_sdk_secretsmanager::Client>) -> Self {
        Self {
            client,
            kept: Default::default(),
        }
    }

    /// The secret's string value.
    pub async fn read(&self, arn: &str) -> Result<String, String> {
        let mut kept = self.kept.lock().await;
        if let Some(value) = kept.get(arn) {
            return Ok(value.clone());
        }
        let value = self
            .client
            .get()
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            .map_err(|e| aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string())?
            .secret_string
            .ok_or_else(|| format!("{arn} holds no string"))?;
        kept.insert(arn.to_owned(), value.clone());
        Ok(value)
    }
}

#[cfg(feature = "secrets")]
#[async_trait::async_trait]
impl crate::providers::SecretSource for SecretReader {
    async fn read(&self, arn: &str) -> Result<String, String> {
        SecretReader::read(self, arn).await
    }
}

/// Data keys from KMS for the [`crate::vault`]: `GenerateDataKey` (AES-256) and `Decrypt`, each
/// under the record's encryption context, so KMS itself refuses to unwrap a data key for another
/// person or provider (and an IAM condition on the context can narrow who may).
pub struct KmsDataKeys {
    client: Deferred<aws_sdk_kms::Client>,
    key_id: String,
}

impl KmsDataKeys {
    /// Data keys under `key_id`, with this client.
    pub fn new(client: aws_sdk_kms::Client, key_id: impl Into<String>) -> Self {
        Self::lazy(Deferred::ready(client), key_id)
    }

    /// The same, with a client built when the first call needs it (shared with its clones).
    pub fn lazy(client: Deferred<aws_sdk_kms::Client>, key_id: impl Into<String>) -> Self {
        Self {
            client,
            key_id: key_id.into(),
        }
    }

    fn client(&self) -> &aws_sdk_kms::Client {
        self.client.get()
    }
}

#[async_trait::async_trait]
impl crate::vault::DataKeys for KmsDataKeys {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    async fn generate(
        &self,
        context: &crate::vault::Context,
    ) -> Result<crate::vault::DataKey, crate::vault::VaultError> {
        use crate::vault::VaultError;
        let out = self
            .client()
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
            .set_encryption_context(Some(context.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| {
                VaultError::Keys(aws_sdk_kms::error::DisplayErrorContext(e).to_string())
            })?;
        let plaintext = out
            .plaintext
            .ok_or_else(|| VaultError::Keys("GenerateDataKey returned no key".into()))?;
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        if plaintext.as_ref().len() != 32 {
            return Err(VaultError::Keys(
                "GenerateDataKey returned a key of another size".into(),
            ));
        }
        key.copy_from_slice(plaintext.as_ref());
        let wrapped = out
            .ciphertext_blob
            .ok_or_else(|| VaultError::Keys("GenerateDataKey returned no wrapped key".into()))?;
        Ok(crate::vault::DataKey {
            plaintext: key,
            wrapped: wrapped.into_inner(),
        })
    }

    async fn unwrap(
        &self,
        wrapped: &[u8],
        context: &crate::vault::Context,
    ) -> Result<zeroize::Zeroizing<[u8; 32]>, crate::vault::VaultError> {
        use crate::vault::VaultError;
        let out = self
            .client()
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(aws_sdk_kms::primitives::Blob::new(wrapped))
            .set_encryption_context(Some(context.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(service) if service.is_invalid_ciphertext_exception() => VaultError::Refused,
                _ => VaultError::Keys(aws_sdk_kms::error::DisplayErrorContext(e).to_string()),
            })?;
        let plaintext = out.plaintext.ok_or(VaultError::Refused)?;
        if plaintext.as_ref().len() != 32 {
            return Err(VaultError::Refused);
        }
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        key.copy_from_slice(plaintext.as_ref());
        Ok(key)
    }
}

/// Hands work to another Lambda function with an asynchronous `Invoke` (`InvocationType: Event`):
/// Lambda queues the event and answers at once, then runs the function (retrying twice on an
/// error). `LAMBDA_ENDPOINT_URL` points it at a local emulator (`sam local start-lambda`).
#[cfg(feature = "tasks")]
pub struct AsyncInvoker {
    client: Deferred<aws_sdk_lambda::Client>,
    function: String,
}

#[cfg(feature = "tasks")]
impl AsyncInvoker {
    /// An invoker of `function` (a name or ARN), configured as [`Deployment::from_env`] configures
    /// its clients; the client is built on the first invocation.
    pub fn from_env(function: String) -> Self {
        let aws = sdk_config();
        let client = Deferred::new(move || {
            let mut config = aws_sdk_lambda::config::Builder::from(&aws);
            if let Some(url) = endpoint_override("LAMBDA_ENDPOINT_URL") {
                config = config.endpoint_url(url);
            }
            aws_sdk_lambda::Client::from_conf(config.build())
        });
        Self { client, function }
    }

    /// Queues `payload` (JSON) for the function; `Ok` once Lambda has accepted it.
    pub async fn invoke(&self, payload: Vec<u8>) -> Result<(), String> {
        let out = self
            .client
            .get()
            .invoke()
            .function_name(&self.function)
            .invocation_type(aws_sdk_lambda::types::InvocationType::Event)
            .payload(aws_sdk_lambda::primitives::Blob::new(payload))
            .send()
            .await
            .map_err(|e| aws_sdk_lambda::error::DisplayErrorContext(e).to_string())?;
        // Lambda answers 202. A local emulator may run the function there and then, and answer
        // 200 when it is done: accepted too, unless the function failed.
        match (out.status_code, out.function_error) {
            (200..=299, None) => Ok(()),
            (status, error) => Err(format!(
                "Lambda answered {status} to an asynchronous invocation ({})",
                error.unwrap_or_default()
            )),
        }
    }
}

/// Revokes a disconnected provider's tokens in the task worker (which may open the vault, as the
/// OAuth function may not): the forgotten record, sealed as it was, is its event.
#[cfg(all(feature = "tasks", feature = "upstream"))]
pub struct RevokeElsewhere(pub AsyncInvoker);

/// The task worker's event asking it to revoke a connection's tokens at the provider.
#[cfg(feature = "upstream")]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct RevokeEvent {
    pub revoke_upstream: crate::model::Connection,
}

#[cfg(all(feature = "tasks", feature = "upstream"))]
#[async_trait::async_trait]
impl crate::upstream::Revoker for RevokeElsewhere {
    async fn revoke(&self, connection: crate::model::Connection) {
        let provider = connection.provider.clone();
        let event = RevokeEvent {
            revoke_upstream: connection,
        };
        let sent = match serde_json::to_vec(&event) {
            Ok(payload) => self.0.invoke(payload).await,
            Err(e) => Err(e.to_string()),
        };
        if let Err(err) = sent {
            tracing::warn!(%err, provider, "handing the upstream revocation over failed");
        }
    }
}

/// The SDK configuration, with no work at cold start that a request does not need. Lambda puts the
/// region and the function's credentials in the environment, so they are read from there and
/// nothing else is consulted: no profile files, no provider chain (which builds clients for IMDS,
/// ECS, SSO and web identity, and links STS), and the HTTPS client comes later
/// ([`LazyHttpsClient`]). Without credentials in the environment, they come from a container
/// credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI`, as Lambda SnapStart provides
/// them), on the first call.
fn sdk_config() -> aws_config::SdkConfig {
    let http = SharedHttpClient::new(LazyHttpsClient::default());
    let region = endpoint_override("AWS_REGION")
        .or_else(|| endpoint_override("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".to_owned());
    let credentials = if endpoint_override("AWS_ACCESS_KEY_ID").is_some() {
        SharedCredentialsProvider::new(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        )
    } else {
        let provider_config = aws_config::provider_config::ProviderConfig::without_region()
            .with_http_client(http.clone());
        SharedCredentialsProvider::new(
            aws_config::ecs::EcsCredentialsProvider::builder()
                .configure(&provider_config)
                .build(),
        )
    };
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region))
        .http_client(http)
        .credentials_provider(credentials)
        .build()
}

/// The AWS SDK's HTTPS client, built when the first request needs it. The SDK's own default client
/// is built when a service client is constructed, and reads the system trust store then (a bundle
/// and every file in `/etc/ssl/certs`): at cold start, before any request needs TLS. This one
/// defers that work to the first DynamoDB or KMS call, and keeps the cold start to what the first
/// request needs.
#[derive(Debug, Default)]
struct LazyHttpsClient {
    inner: OnceLock<SharedHttpClient>,
}

impl HttpClient for LazyHttpsClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.inner
            .get_or_init(|| {
                aws_smithy_http_client::Builder::new()
                    .tls_provider(tls::Provider::Rustls(
                        tls::rustls_provider::CryptoMode::AwsLc,
                    ))
                    .build_https()
            })
            .http_connector(settings, components)
    }
}

fn required(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or(ConfigError::Missing(name))
}

/// A non-empty variable (an endpoint override, an optional key); unset or empty means none.
fn endpoint_override(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}
