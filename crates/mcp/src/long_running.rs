//! What a tool that may take long needs, and nothing else: which tools may run as tasks and what
//! fits a request, the [`Progress`] a tool reports through, and the [`TaskRef`] that names a task's
//! work. Below [`crate::tasks`], [`crate::worker`], [`crate::server`] and [`crate::tools`], which all
//! use it.

use remote_mcp_core::model::{TaskRecord, TaskState};
use remote_mcp_core::{Clock, TaskStore};
use rmcp::ErrorData;
use rmcp::handler::server::common::{AsRequestContext, FromContextPart};
use rmcp::model::JsonObject;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// The longest a tool call may take inside a request: API Gateway ends an HTTP API integration at
/// 30 s, and the answer must still travel back.
pub const SYNC_BUDGET: Duration = Duration::from_secs(20);

/// Tools that may run as tasks ([`crate::tasks`]): a call from a client that supports tasks
/// becomes one.
pub const TASK_TOOLS: [&str; 1] = ["long_running_operation"];

/// Whether `tool` may run as a task.
pub fn may_run_as_task(tool: &str) -> bool {
    TASK_TOOLS.contains(&tool)
}

/// Whether a call of a task tool with `arguments` fits inside its request ([`SYNC_BUDGET`]), for a
/// client that does not support tasks.
pub fn fits_in_request(tool: &str, arguments: Option<&JsonObject>) -> bool {
    match tool {
        "long_running_operation" => {
            let seconds = arguments
                .and_then(|a| a.get("duration_seconds"))
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(DEFAULT_DURATION_SECONDS);
            seconds <= SYNC_BUDGET.as_secs_f64()
        }
        _ => true,
    }
}

pub const DEFAULT_DURATION_SECONDS: f64 = 10.0;
/// The default steps of `long_running_operation`.
pub const DEFAULT_STEPS: u32 = 5;

/// Which task the worker is to run: the event the MCP function sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRef {
    pub owner: String,
    pub task_id: String,
}

/// A tool's view of the task it runs in: report a step, learn of cancellation. Outside a task (a
/// call answered in its request) a report goes nowhere and nothing cancels.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<Reporter>>);

struct Reporter {
    store: Arc<dyn TaskStore>,
    clock: Clock,
    task: TaskRef,
}

/// The task was cancelled (or has otherwise ended): the tool should stop.
#[derive(Debug, PartialEq, Eq)]
pub struct Cancelled;

impl Progress {
    /// Reports of `task`'s progress, written to `store`.
    pub fn of(store: Arc<dyn TaskStore>, clock: Clock, task: TaskRef) -> Self {
        Self(Some(Arc::new(Reporter { store, clock, task })))
    }

    /// Shows `message` as the task's status; `Err` once the task was cancelled.
    pub async fn report(&self, message: &str) -> Result<(), Cancelled> {
        let Some(reporter) = &self.0 else {
            return Ok(());
        };
        let now = reporter.clock.now();
        let report = |task: &mut TaskRecord| task.report(message, now);
        let TaskRef { owner, task_id } = &reporter.task;
        match reporter
            .store
            .change_task(owner, task_id, now, &report)
            .await
        {
            Ok(Some(task)) if task.state == TaskState::Working => Ok(()),
            Ok(_) => Err(Cancelled),
            Err(err) => {
                // A lost progress line does not stop the work.
                tracing::warn!(%err, task = task_id, "progress not recorded");
                Ok(())
            }
        }
    }
}

impl<C: AsRequestContext> FromContextPart<C> for Progress {
    fn from_context_part(context: &mut C) -> Result<Self, ErrorData> {
        Ok(context
            .as_request_context()
            .extensions
            .get::<Progress>()
            .cloned()
            .unwrap_or_default())
    }
}
