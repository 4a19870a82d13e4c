//! The MCP function on AWS Lambda: configure once at cold start, then serve
//! [`mcp_function::router`]. The token-signing public key (and, during a key rotation, the previous
//! one) is read from KMS on the first request and kept, so authentication needs no network call
//! after that.

use mcp_function::{AppState, router, tasks};
use remote_mcp_core::aws::{AsyncInvoker, Deployment};
use remote_mcp_core::telemetry::{self, LogFormat};
use std::sync::Arc;

// Lambda sends a container one event at a time: one thread serves it without cross-thread
// wake-ups (a multi-threaded runtime costs ~80 µs more per MCP request, see `make bench`).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init(LogFormat::Json);
    // Only the public key is ever read here; IAM grants this function kms:GetPublicKey alone.
    let Deployment {
        config,
        store,
        signing_key,
        previous_signing_key,
        vault_keys,
    } = Deployment::from_env()?;
    // One table; this function's IAM policy allows the notes' writes and the grants' reads.
    let store = Arc::new(store);
    let mut state = AppState::new(config, store.clone(), store.clone(), Arc::new(signing_key));
    if let Some(previous) = previous_signing_key {
        state = state.with_previous_key(Arc::new(previous));
    }
    // Tools that call providers' APIs as the person: this function may open the vault.
    if let Some(upstreams) = mcp_function::upstreams_from_env(vault_keys, store.clone())? {
        state = state.with_upstreams(upstreams);
    }
    // Long tool calls become tasks, worked by the task worker function (asynchronous Invoke).
    if let Ok(worker) = std::env::var("TASK_WORKER_FUNCTION")
        && !worker.trim().is_empty()
    {
        let invoker = AsyncInvoker::from_env(worker.trim().to_owned());
        state = state.with_tasks(store, Arc::new(tasks::Lambda(invoker)));
    }
    lambda_http::run(router(state)).await
}
