//! The OAuth function on AWS Lambda: configure once at cold start, then serve [`oauth_function::router`].

use oauth_function::federation::config;
use oauth_function::{AppState, router};
use remote_mcp_core::aws::{AsyncInvoker, Deployment, RevokeElsewhere, SecretReader};
use remote_mcp_core::telemetry::{self, LogFormat};
use remote_mcp_core::upstream::Revoker;
use remote_mcp_core::vault::Vault;
use std::sync::Arc;

// Lambda sends a container one event at a time: one thread serves it without cross-thread
// wake-ups (a multi-threaded runtime costs ~80 µs more per MCP request, see `make bench`).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init(LogFormat::Json);
    let Deployment {
        config,
        store,
        signing_key,
        previous_signing_key,
        vault_keys,
    } = Deployment::from_env()?;
    let providers = config::from_env()?;
    if providers.iter().any(|p| p.vault) && vault_keys.is_none() {
        return Err(
            "IDENTITY_PROVIDERS: a provider keeps tokens (\"vault\": true) but VAULT_KEY_ID is \
             empty: deploy with TokenVault=true"
                .into(),
        );
    }
    let store = Arc::new(store);
    let mut state = AppState::new(config, store.clone(), store.clone(), Arc::new(signing_key))
        .with_identity_providers(providers, Some(Arc::new(SecretReader::from_env())));
    if let Some(keys) = vault_keys {
        // This function seals and forgets; revoking at the provider needs the vault opened, which
        // only the MCP function and the task worker may do: the worker is invoked for it.
        let revoker: Option<Arc<dyn Revoker>> = match std::env::var("TASK_WORKER_FUNCTION") {
            Ok(worker) if !worker.is_empty() => {
                Some(Arc::new(RevokeElsewhere(AsyncInvoker::from_env(worker))))
            }
            _ => None,
        };
        state = state.with_token_vault(store.clone(), Vault::new(Arc::new(keys)), revoker);
    }
    if let Some(previous) = previous_signing_key {
        state = state.with_previous_key(Arc::new(previous));
    }
    lambda_http::run(router(state)).await
}
