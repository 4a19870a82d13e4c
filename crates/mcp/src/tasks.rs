//! Tool calls that outlive their request: the MCP Tasks extension (`io.modelcontextprotocol/tasks`,
//! 2026-07-28 era), durable in the store, worked by the task worker.
//!
//! A `tools/call` of a tool that may run as a task ([`crate::long_running::TASK_TOOLS`]) from a client that
//! declared the extension on that request is answered with a `CreateTaskResult` — only after the
//! task record is stored, so the `tasks/get` that follows finds it. The work is then handed over
//! ([`Launch`]): to the task worker function by an asynchronous `Invoke` on Lambda, to a Tokio
//! task locally ([`crate::worker::InProcess`]); both run [`crate::worker::run`]. A client that did not declare the extension
//! never sees a task: the call runs as any other if it fits a request ([`crate::long_running::SYNC_BUDGET`]), and is
//! refused with `-32021` (`data.requiredCapabilities`) if it does not.
//!
//! A task belongs to the person and the client whose token created it: it is stored under the
//! person, and a task of theirs through another client, or anyone else's, is "no such task"
//! (`-32602`), exactly like one that never existed.

use crate::long_running::TaskRef;
use crate::principal::Principal;
use remote_mcp_core::config::TaskSettings;
use remote_mcp_core::model::{Caller, TaskOutcome, TaskRecord, TaskState};
use remote_mcp_core::time::iso8601;
use remote_mcp_core::{Clock, TaskStore, UnixTime};
use rmcp::ErrorData;
use rmcp::model::{
    CallToolResult, ContentBlock, CreateTaskResult, DetailedTask, GetTaskResult, JsonObject, Task,
    TaskPayload, TaskStatus,
};
use std::sync::Arc;
use std::time::Duration;

/// Hands a stored task's work to whoever runs it.
#[async_trait::async_trait]
pub trait Launch: Send + Sync + 'static {
    /// Starts the work of `task`; `Err` if it could not be handed over (the task is then failed).
    async fn launch(&self, task: TaskRef) -> Result<(), String>;
}

/// The task worker function, invoked asynchronously: Lambda queues the event and answers at once.
pub struct Lambda(pub remote_mcp_core::aws::AsyncInvoker);

#[async_trait::async_trait]
impl Launch for Lambda {
    async fn launch(&self, task: TaskRef) -> Result<(), String> {
        let payload = serde_json::to_vec(&task).map_err(|e| e.to_string())?;
        self.0.invoke(payload).await
    }
}

/// What a server needs to run tasks.
#[derive(Clone)]
pub struct Tasks {
    pub store: Arc<dyn TaskStore>,
    pub launcher: Arc<dyn Launch>,
    pub settings: TaskSettings,
    pub clock: Clock,
}

impl Tasks {
    /// Stores a task for `caller`'s call of `tool`, hands it over, and answers with it.
    pub async fn create(
        &self,
        caller: &Principal,
        tool: &str,
        arguments: Option<JsonObject>,
    ) -> Result<Created, ErrorData> {
        let now = self.clock.now();
        let working = self
            .store
            .tasks_in_flight(&caller.subject, now)
            .await
            .map_err(store_error)?;
        if working >= self.settings.per_person {
            return Ok(Created::Refused(CallToolResult::error(vec![
                ContentBlock::text(format!(
                    "You already have {working} tasks working (the limit is {}). Wait for one \
                     to finish, or cancel one, and call again.",
                    self.settings.per_person
                )),
            ])));
        }
        let record = TaskRecord::new(
            Caller::clone(caller),
            tool,
            serde_json::Value::Object(arguments.unwrap_or_default()),
            now,
            self.settings.run_limit,
            self.settings.keep,
        );
        // Stored before anyone is told: the client's first `tasks/get` must find it.
        self.store.create_task(&record).await.map_err(store_error)?;
        remote_mcp_core::observe::task_event("created", None);
        let handle = TaskRef {
            owner: record.caller.subject.clone(),
            task_id: record.id.clone(),
        };
        if let Err(err) = self.launcher.launch(handle).await {
            tracing::error!(%err, task = record.id, "the task could not be handed over");
            // Never left working with nobody working on it.
            let failed = TaskOutcome::Failed(serde_json::json!({
                "code": -32603,
                "message": "the task could not be started",
            }));
            let at = self.clock.now();
            let finish = move |task: &mut TaskRecord| task.finish(failed.clone(), at);
            self.store
                .change_task(&record.caller.subject, &record.id, at, &finish)
                .await
                .map_err(store_error)?;
            return Err(ErrorData::internal_error(
                "the task could not be started",
                None,
            ));
        }
        Ok(Created::Task(CreateTaskResult::new(self.view(&record))))
    }

    /// The caller's task `id` through this client, as `tasks/get` answers it.
    pub async fn get(&self, caller: &Principal, id: &str) -> Result<GetTaskResult, ErrorData> {
        let task = self.own(caller, id).await?;
        let payload = match (task.state, task.outcome.clone()) {
            (TaskState::Working, _) => TaskPayload::Working,
            (TaskState::Cancelled, _) => TaskPayload::Cancelled,
            (TaskState::Completed, Some(serde_json::Value::Object(result))) => {
                TaskPayload::Completed { result }
            }
            (TaskState::Failed, Some(serde_json::Value::Object(error))) => {
                TaskPayload::Failed { error }
            }
            (state, _) => {
                tracing::error!(
                    task = task.id,
                    state = state.as_str(),
                    "task without outcome"
                );
                return Err(ErrorData::internal_error(
                    "the task's outcome is unreadable",
                    None,
                ));
            }
        };
        Ok(GetTaskResult::new(DetailedTask::new(
            self.view(&task),
            payload,
        )))
    }

    /// Cancels the caller's task `id` (cooperative: the tool stops at its next step).
    pub async fn cancel(&self, caller: &Principal, id: &str) -> Result<(), ErrorData> {
        self.own(caller, id).await?;
        let now = self.clock.now();
        let cancel = move |task: &mut TaskRecord| task.cancel(now);
        let after = self
            .store
            .change_task(&caller.subject, id, now, &cancel)
            .await
            .map_err(store_error)?;
        if after.is_some_and(|t| t.state == TaskState::Cancelled) {
            remote_mcp_core::observe::task_event("cancelled", None);
        }
        Ok(())
    }

    /// `tasks/update`: acknowledged for the caller's own task. No tool here asks for input
    /// mid-task, so there is nothing to deliver.
    pub async fn update(&self, caller: &Principal, id: &str) -> Result<(), ErrorData> {
        self.own(caller, id).await.map(|_| ())
    }

    /// The caller's task through the caller's client, or the same error as for no task at all.
    async fn own(&self, caller: &Principal, id: &str) -> Result<TaskRecord, ErrorData> {
        let unknown = || ErrorData::invalid_params(format!("no task {id:?}"), None);
        if id.is_empty() || id.len() > 100 {
            return Err(unknown());
        }
        self.store
            .task(&caller.subject, id, self.clock.now())
            .await
            .map_err(store_error)?
            .filter(|task| task.belongs_to(&caller.subject, &caller.client_id))
            .ok_or_else(unknown)
    }

    /// A task as the protocol shows it.
    fn view(&self, task: &TaskRecord) -> Task {
        let mut view = Task::new(
            task.id.clone(),
            status(task.state),
            iso8601(task.created_at),
            iso8601(task.updated_at),
        )
        .with_ttl_ms(millis(seconds_between(task.created_at, task.expires_at)))
        .with_poll_interval_ms(millis(self.settings.poll_interval));
        if let Some(message) = &task.status_message {
            view = view.with_status_message(message.clone());
        }
        view
    }
}

/// What a `tools/call` that may become a task got.
pub enum Created {
    Task(CreateTaskResult),
    /// Not created (the person's limit): a result the model reads.
    Refused(CallToolResult),
}

fn status(state: TaskState) -> TaskStatus {
    match state {
        TaskState::Working => TaskStatus::Working,
        TaskState::Completed => TaskStatus::Completed,
        TaskState::Failed => TaskStatus::Failed,
        TaskState::Cancelled => TaskStatus::Cancelled,
    }
}

fn seconds_between(from: UnixTime, to: UnixTime) -> Duration {
    Duration::from_secs(u64::try_from(to.seconds() - from.seconds()).unwrap_or(0))
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

pub(crate) fn store_error(err: remote_mcp_core::StoreError) -> ErrorData {
    tracing::error!(%err, "store failure in a task");
    ErrorData::internal_error("the server could not complete the request", None)
}
