//! The work of a task ([`crate::tasks`]): one code path, whoever runs it — the task worker function
//! on Lambda (`src/bin/task-worker.rs`), or a Tokio task in the local server and the tests.
//!
//! The tool runs with the identity and scopes of the call that created the task, and reports
//! progress through its [`Progress`]. However the work ends, the task ends with it: `completed`
//! with the tool's result (an `isError` result too), `failed` with a JSON-RPC error when the tool
//! returned one, panicked, or ran out of time. A task cancelled meanwhile keeps `cancelled`, and
//! its late result is dropped. A worker lost altogether (its process killed) leaves a task that
//! reads as `failed` once its deadline has passed: no task is left `working` for ever.

use crate::long_running::{Progress, TaskRef};
use crate::principal::Principal;
use crate::server::McpServer;
use crate::tasks::{Launch, Tasks};
use remote_mcp_core::model::{TaskOutcome, TaskRecord};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Kept back from the worker's own deadline to record how the task ended (one write).
const MARGIN: Duration = Duration::from_secs(1);

/// Runs `task`'s work to its end. `deadline` is the invocation's own (Lambda's), if any.
pub async fn run(server: McpServer, task: TaskRef, deadline: Option<Instant>) {
    let Some(tasks) = server.tasks().cloned() else {
        tracing::error!("a task arrived at a server without tasks");
        return;
    };
    let started = Instant::now();
    let now = tasks.clock.now();
    let record = match tasks.store.task(&task.owner, &task.task_id, now).await {
        Ok(Some(record)) => record,
        Ok(None) => {
            tracing::warn!(task = task.task_id, "no such task (expired?)");
            return;
        }
        Err(err) => {
            // Nothing can be recorded either: the task reads as failed at its deadline.
            tracing::error!(%err, task = task.task_id, "the task could not be read");
            return;
        }
    };
    if record.state.is_final() {
        tracing::info!(
            task = record.id,
            state = record.state.as_str(),
            "task already ended"
        );
        return;
    }
    let mut budget =
        Duration::from_secs(u64::try_from(record.deadline.seconds() - now.seconds()).unwrap_or(0));
    if let Some(deadline) = deadline {
        budget = budget.min(
            deadline
                .saturating_duration_since(Instant::now())
                .saturating_sub(MARGIN),
        );
    }
    let progress = Progress::of(tasks.store.clone(), tasks.clock.clone(), task.clone());
    let work = tokio::spawn({
        let server = server.clone();
        let caller = Principal::from(record.caller.clone());
        let arguments = match &record.arguments {
            serde_json::Value::Object(arguments) => Some(arguments.clone()),
            _ => None,
        };
        let tool = record.tool.clone();
        async move { server.run_tool(caller, tool, arguments, progress).await }
    });
    let abort = work.abort_handle();
    let outcome = match tokio::time::timeout(budget, work).await {
        Err(_) => {
            abort.abort();
            tracing::warn!(task = record.id, "the task ran out of time");
            failure("the task ran out of time")
        }
        Ok(Err(panicked)) => {
            tracing::error!(task = record.id, %panicked, "the tool panicked");
            failure("the tool failed")
        }
        Ok(Ok(Err(error))) => TaskOutcome::Failed(to_value(&error)),
        Ok(Ok(Ok(result))) => TaskOutcome::Completed(to_value(&result)),
    };
    finish(&tasks, &record, outcome, started.elapsed()).await;
}

async fn finish(tasks: &Tasks, record: &TaskRecord, outcome: TaskOutcome, took: Duration) {
    let now = tasks.clock.now();
    // Whether this outcome was taken (the last attempt decides: a lost race is tried again).
    let taken = AtomicBool::new(false);
    let end = |task: &mut TaskRecord| {
        let ended = task.finish(outcome.clone(), now);
        taken.store(ended, Ordering::SeqCst);
        ended
    };
    match tasks
        .store
        .change_task(&record.caller.subject, &record.id, now, &end)
        .await
    {
        Ok(Some(task)) if taken.load(Ordering::SeqCst) => {
            remote_mcp_core::observe::task_event(task.state.as_str(), Some(took));
            tracing::info!(task = task.id, state = task.state.as_str(), "task ended");
        }
        Ok(Some(task)) => {
            tracing::info!(
                task = task.id,
                state = task.state.as_str(),
                "result dropped"
            );
        }
        Ok(None) => tracing::warn!(task = record.id, "the task expired while it worked"),
        Err(err) => tracing::error!(%err, task = record.id, "the task's end was not recorded"),
    }
}

fn failure(message: &str) -> TaskOutcome {
    TaskOutcome::Failed(serde_json::json!({"code": -32603, "message": message}))
}

fn to_value(value: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_else(
        |err| serde_json::json!({"code": -32603, "message": format!("unreadable result: {err}")}),
    )
}

/// Runs tasks in this process, on Tokio tasks, through [`run`]: the local server and the tests
/// ([`crate::AppState::with_tasks_in_process`] introduces it to the server it runs for).
#[derive(Default)]
pub struct InProcess {
    server: OnceLock<McpServer>,
}

impl InProcess {
    /// The server whose tools this runs.
    pub fn serve(&self, server: McpServer) {
        let _ = self.server.set(server);
    }
}

#[async_trait::async_trait]
impl Launch for InProcess {
    async fn launch(&self, task: TaskRef) -> Result<(), String> {
        let server = self
            .server
            .get()
            .ok_or("no server to run tasks in this process")?
            .clone();
        tokio::spawn(run(server, task, None));
        Ok(())
    }
}
