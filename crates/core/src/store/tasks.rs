//! Tasks ([`crate::model::TaskRecord`]): the MCP function creates and reads them, the task worker
//! moves them on. Every verb takes the owner, so one person's tasks are unreachable with another's
//! identity.

use super::StoreError;
use crate::UnixTime;
use crate::model::TaskRecord;
use async_trait::async_trait;

/// A change to a task: applied to the record as stored; `false` leaves it as it is.
pub type TaskChange<'a> = &'a (dyn Fn(&mut TaskRecord) -> bool + Send + Sync);

/// Tasks, per owner.
#[async_trait]
pub trait TaskStore: Send + Sync + 'static {
    /// Stores a new task, durably: a read that follows finds it. [`StoreError::AlreadyExists`]
    /// if the id is taken.
    async fn create_task(&self, task: &TaskRecord) -> Result<(), StoreError>;

    /// One of `owner`'s tasks, unless it has expired; read strongly consistent.
    async fn task(
        &self,
        owner: &str,
        id: &str,
        now: UnixTime,
    ) -> Result<Option<TaskRecord>, StoreError>;

    /// How many of `owner`'s unexpired tasks are still working at `now`.
    async fn tasks_in_flight(&self, owner: &str, now: UnixTime) -> Result<usize, StoreError>;

    /// Applies `change` to the stored task atomically (concurrent changes serialise) and returns
    /// the task as it then is; `None` if there is no such unexpired task.
    async fn change_task(
        &self,
        owner: &str,
        id: &str,
        now: UnixTime,
        change: TaskChange<'_>,
    ) -> Result<Option<TaskRecord>, StoreError>;
}
