//! [`TaskStore`] in memory.

#[allow(clippy::wildcard_imports)]
use super::*;

#[async_trait]
impl TaskStore for MemoryStore {
    async fn create_task(&self, task: &TaskRecord) -> Result<(), StoreError> {
        let key = (task.caller.subject.clone(), task.id.clone());
        insert_new(&mut self.lock().tasks, key, task.clone())
    }

    async fn task(
        &self,
        owner: &str,
        id: &str,
        now: UnixTime,
    ) -> Result<Option<TaskRecord>, StoreError> {
        Ok(self
            .lock()
            .tasks
            .get(&(owner.to_owned(), id.to_owned()))
            .filter(|t| now < t.expires_at)
            .map(|t| t.clone().observed(now)))
    }

    async fn tasks_in_flight(&self, owner: &str, now: UnixTime) -> Result<usize, StoreError> {
        Ok(self
            .lock()
            .tasks
            .values()
            .filter(|t| t.caller.subject == owner && now < t.expires_at)
            .filter(|t| t.state_at(now) == TaskState::Working)
            .count())
    }

    async fn change_task(
        &self,
        owner: &str,
        id: &str,
        now: UnixTime,
        change: TaskChange<'_>,
    ) -> Result<Option<TaskRecord>, StoreError> {
        let mut tables = self.lock();
        let Some(task) = tables
            .tasks
            .get_mut(&(owner.to_owned(), id.to_owned()))
            .filter(|t| now < t.expires_at)
        else {
            return Ok(None);
        };
        *task = task.clone().observed(now);
        change(task);
        Ok(Some(task.clone()))
    }
}
