//! Tasks: tool calls that outlive their request (the MCP Tasks extension). The record is written
//! before the client learns the task exists, moved on only by the transitions here (pure functions
//! of the record and `now`, so both stores apply the same rules), and forgotten at `expires_at`.
//!
//! A task belongs to the person and the client whose token created it: the store keys it by the
//! person, and [`TaskRecord::belongs_to`] checks the client, so nobody else can read, cancel or
//! even learn of it.

use crate::UnixTime;
use crate::model::Caller;
use crate::secret::random_id;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The longest status message kept (a tool's progress line, shown to the person).
pub const MAX_STATUS_MESSAGE_CHARS: usize = 500;

/// Where a task is in its life. `Completed`, `Failed` and `Cancelled` are final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Working,
    /// The tool answered: its `CallToolResult` (an `isError` result included) is the outcome.
    Completed,
    /// The tool could not answer (a JSON-RPC error, a panic, the worker's time ran out).
    Failed,
    Cancelled,
}

impl TaskState {
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Working)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Working => "working",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A task as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    pub id: String,
    pub caller: Caller,
    /// The tool called, and its arguments.
    pub tool: String,
    pub arguments: Value,
    pub state: TaskState,
    pub status_message: Option<String>,
    /// The `CallToolResult` of a completed task, or the JSON-RPC error of a failed one.
    pub outcome: Option<Value>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
    /// When the record is forgotten (DynamoDB TTL): the client's `ttlMs` counts to it.
    pub expires_at: UnixTime,
    /// When the work must have ended: the worker's own limit. A task still working after it
    /// failed without saying so (the worker was lost), and reads as failed.
    pub deadline: UnixTime,
}

/// How a task's work ended.
#[derive(Clone, Debug, PartialEq)]
pub enum TaskOutcome {
    /// The tool's `CallToolResult`.
    Completed(Value),
    /// A JSON-RPC error object (`code`, `message`).
    Failed(Value),
}

impl TaskRecord {
    /// A new working task for `caller`, created at `now`: its work must end by `now + run_limit`,
    /// and the record is kept until `now + keep`.
    pub fn new(
        caller: Caller,
        tool: &str,
        arguments: Value,
        now: UnixTime,
        run_limit: std::time::Duration,
        keep: std::time::Duration,
    ) -> Self {
        Self {
            id: random_id(),
            caller,
            tool: tool.to_owned(),
            arguments,
            state: TaskState::Working,
            status_message: None,
            outcome: None,
            created_at: now,
            updated_at: now,
            expires_at: now + keep,
            deadline: now + run_limit,
        }
    }

    /// Whether `subject` using `client_id` may see this task.
    pub fn belongs_to(&self, subject: &str, client_id: &str) -> bool {
        self.caller.subject == subject && self.caller.client_id == client_id
    }

    /// The state at `now`: a task working past its deadline was lost, and has failed.
    pub fn state_at(&self, now: UnixTime) -> TaskState {
        if self.state == TaskState::Working && now >= self.deadline {
            TaskState::Failed
        } else {
            self.state
        }
    }

    /// The task as a reader sees it at `now` ([`Self::state_at`]), with a failed task's error.
    pub fn observed(mut self, now: UnixTime) -> Self {
        if self.state == TaskState::Working && now >= self.deadline {
            self.state = TaskState::Failed;
            self.updated_at = self.deadline;
            self.outcome = Some(serde_json::json!({
                "code": -32603,
                "message": "the task's work did not finish in its time",
            }));
        }
        self
    }

    /// The tool's progress line; `false` (nothing changes) once the task is final, which tells
    /// the work to stop.
    pub fn report(&mut self, message: &str, now: UnixTime) -> bool {
        if self.state.is_final() {
            return false;
        }
        self.status_message = Some(message.chars().take(MAX_STATUS_MESSAGE_CHARS).collect());
        self.updated_at = now;
        true
    }

    /// The work's end; `false` if the task was already final (cancelled meanwhile: the result
    /// is dropped).
    pub fn finish(&mut self, outcome: TaskOutcome, now: UnixTime) -> bool {
        if self.state.is_final() {
            return false;
        }
        let (state, value) = match outcome {
            TaskOutcome::Completed(result) => (TaskState::Completed, result),
            TaskOutcome::Failed(error) => (TaskState::Failed, error),
        };
        self.state = state;
        self.outcome = Some(value);
        self.updated_at = now;
        true
    }

    /// Cancellation by the client; `false` if the task was already final.
    pub fn cancel(&mut self, now: UnixTime) -> bool {
        if self.state.is_final() {
            return false;
        }
        self.state = TaskState::Cancelled;
        self.status_message = Some("cancelled by the client".to_owned());
        self.updated_at = now;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn task(now: UnixTime) -> TaskRecord {
        let caller = Caller {
            subject: "alice".into(),
            client_id: "client".into(),
            scopes: vec!["mcp".into()],
            email: None,
            name: None,
            grant_id: None,
        };
        TaskRecord::new(
            caller,
            "long_running_operation",
            Value::Null,
            now,
            Duration::from_secs(900),
            Duration::from_secs(3600),
        )
    }

    #[test]
    fn a_final_task_never_moves_again() {
        let t0 = UnixTime(1_000);
        let mut t = task(t0);
        assert!(t.report("step 1 of 2", t0 + Duration::from_secs(1)));
        assert!(t.cancel(t0 + Duration::from_secs(2)));
        assert!(!t.report("step 2 of 2", t0 + Duration::from_secs(3)));
        assert!(!t.finish(TaskOutcome::Completed(Value::Null), t0));
        assert_eq!(t.state, TaskState::Cancelled);
        assert_eq!(t.outcome, None);
        let mut done = task(t0);
        assert!(done.finish(TaskOutcome::Failed(serde_json::json!({"code": 1})), t0));
        assert!(!done.cancel(t0));
        assert_eq!(done.state, TaskState::Failed);
    }

    #[test]
    fn a_task_working_past_its_deadline_reads_as_failed() {
        let t0 = UnixTime(1_000);
        let t = task(t0);
        let late = t.clone().observed(t0 + Duration::from_secs(900));
        assert_eq!(late.state, TaskState::Failed);
        assert_eq!(
            t.observed(t0 + Duration::from_secs(899)).state,
            TaskState::Working
        );
    }

    #[test]
    fn a_task_is_its_callers_only() {
        let t = task(UnixTime(0));
        assert!(t.belongs_to("alice", "client"));
        assert!(!t.belongs_to("bob", "client"));
        assert!(!t.belongs_to("alice", "other-client"));
    }
}
