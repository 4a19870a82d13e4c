//! The task worker on AWS Lambda: each event names a task ([`mcp_function::long_running::TaskRef`]) the
//! MCP function stored and handed over with an asynchronous `Invoke`; this runs its work to the
//! end ([`mcp_function::worker::run`]) within the invocation's own deadline, and records how it
//! ended. The event always succeeds: a failure is the task's, recorded in it, and Lambda must not
//! run the work again (the template also sets no retries).
//!
//! The OAuth function, which may seal the token vault's records but not open them, also hands the
//! worker a disconnected provider's record to revoke at the provider
//! ([`remote_mcp_core::aws::RevokeEvent`]).

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use mcp_function::elsewhere::Elsewhere;
use mcp_function::long_running::TaskRef;
use mcp_function::server::McpServer;
use mcp_function::tasks::Tasks;
use mcp_function::worker::InProcess;
use remote_mcp_core::aws::{Deployment, RevokeEvent};
use remote_mcp_core::telemetry::{self, LogFormat};
use remote_mcp_core::upstream::Revoker;
use remote_mcp_core::{Clock, TaskStore};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init(LogFormat::Json);
    let Deployment {
        config,
        store,
        vault_keys,
        ..
    } = Deployment::from_env()?;
    let store = Arc::new(store);
    let upstreams = mcp_function::upstreams_from_env(vault_keys, store.clone())?;
    let tasks = Tasks {
        store: store.clone() as Arc<dyn TaskStore>,
        // The worker hands nothing on: its tools run here.
        launcher: Arc::new(InProcess::default()),
        settings: config.tasks,
        clock: Clock::System,
    };
    let mut server = McpServer::new(store)
        .with_result_limit(config.max_tool_result_chars)
        .with_tasks(tasks);
    if let Some(upstreams) = &upstreams {
        server = server.with_elsewhere(Elsewhere {
            upstreams: upstreams.clone(),
            connect_url: config.url("/account"),
            issuer: config.issuer().to_owned(),
        });
    }
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| {
        let (server, upstreams) = (server.clone(), upstreams.clone());
        async move {
            match event.payload {
                Event::Task(task) => {
                    let deadline = instant_of(event.context.deadline);
                    mcp_function::worker::run(server, task, deadline).await;
                }
                Event::Revoke(RevokeEvent { revoke_upstream }) => {
                    if let Some(upstreams) = upstreams {
                        Revoker::revoke(upstreams.as_ref(), revoke_upstream).await;
                    }
                }
            }
            Ok::<(), lambda_runtime::Error>(())
        }
    }))
    .await
}

/// What the worker is handed.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Event {
    Revoke(RevokeEvent),
    Task(TaskRef),
}

/// Lambda's deadline (milliseconds since the epoch) as an instant of this process; `None` for one
/// already past, which no real invocation has (`cargo lambda watch` sends its timeout instead):
/// the task's own deadline then bounds the work.
fn instant_of(deadline_ms: u64) -> Option<Instant> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let left = u128::from(deadline_ms).checked_sub(now_ms)?;
    Some(Instant::now() + Duration::from_millis(u64::try_from(left).unwrap_or(u64::MAX)))
}
