//! [`TaskStore`] on DynamoDB: each task one item in its owner's partition, changed by
//! compare-and-swap on its revision. An outcome too large for one item (DynamoDB holds 400 KB)
//! is written first in parts beside it, each under the same TTL, and joined again on read: the
//! client gets the whole result, whatever its size.

use super::{Contention, DynamoStore, Item, decode, is_live, number, record_item, revision};
use crate::UnixTime;
use crate::model::TaskRecord;
use crate::store::table::{DATA, Key, REVISION, TASK_PREFIX, TTL_ATTRIBUTE};
use crate::store::{StoreError, TaskChange, TaskStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

/// Outcomes longer than this (serialised) are stored in parts of this size.
const PART_BYTES: usize = 300 * 1024;
/// The attribute counting an outcome's parts.
const OUTCOME_PARTS: &str = "outcome_parts";

#[async_trait]
impl TaskStore for DynamoStore {
    async fn create_task(&self, task: &TaskRecord) -> Result<(), StoreError> {
        let mut item = record_item(
            &Key::task(&task.caller.subject, &task.id),
            task.expires_at,
            task,
        )?;
        item.insert(REVISION.into(), number(0));
        // A conditional put is durable when it returns: the consistent read of `task` finds it.
        self.insert(item).await
    }

    async fn task(
        &self,
        owner: &str,
        id: &str,
        now: UnixTime,
    ) -> Result<Option<TaskRecord>, StoreError> {
        let Some(item) = self.read_live(&Key::task(owner, id), now).await? else {
            return Ok(None);
        };
        Ok(Some(self.decode_task(&item).await?.observed(now)))
    }

    async fn tasks_in_flight(&self, owner: &str, now: UnixTime) -> Result<usize, StoreError> {
        let mut working = 0;
        let items = self.query_prefix(Key::user(owner), TASK_PREFIX).await?;
        for item in items.iter().filter(|item| is_live(item, now)) {
            // Parts of an outcome carry no record; the record holds everything counted.
            if item.contains_key(DATA) && !is_part(item) {
                let task: TaskRecord = decode(item)?;
                if !task.state_at(now).is_final() {
                    working += 1;
                }
            }
        }
        Ok(working)
    }

    async fn change_task(
        &self,
        owner: &str,
        id: &str,
        now: UnixTime,
        change: TaskChange<'_>,
    ) -> Result<Option<TaskRecord>, StoreError> {
        let key = Key::task(owner, id);
        let mut contention = Contention::new();
        loop {
            let Some(item) = self.read_live(&key, now).await? else {
                return Ok(None);
            };
            let rev = revision(&item)?;
            let mut task = self.decode_task(&item).await?.observed(now);
            if !change(&mut task) {
                return Ok(Some(task));
            }
            let item = self.task_item(&task, rev + 1).await?;
            if self.put_at_revision(item, rev).await? {
                return Ok(Some(task));
            }
            if !contention.backoff().await {
                return Err(StoreError::Backend("task changes kept conflicting".into()));
            }
        }
    }
}

impl DynamoStore {
    /// The item for `task` at revision `rev`, its outcome first written in parts if it is too
    /// large to travel inside.
    async fn task_item(&self, task: &TaskRecord, rev: u64) -> Result<Item, StoreError> {
        let key = Key::task(&task.caller.subject, &task.id);
        let outcome = match &task.outcome {
            Some(outcome) => {
                serde_json::to_string(outcome).map_err(|e| StoreError::Corrupt(e.to_string()))?
            }
            None => String::new(),
        };
        if outcome.len() <= PART_BYTES {
            let mut item = record_item(&key, task.expires_at, task)?;
            item.insert(REVISION.into(), number(rev));
            return Ok(item);
        }
        let parts = split(&outcome, PART_BYTES);
        for (n, part) in parts.iter().enumerate() {
            let mut item = super::key_attributes(&part_key(&key, n));
            item.insert(TTL_ATTRIBUTE.into(), number(task.expires_at.seconds()));
            item.insert("part".into(), AttributeValue::S((*part).to_owned()));
            self.put(item).await?;
        }
        let without = TaskRecord {
            outcome: None,
            ..task.clone()
        };
        let mut item = record_item(&key, task.expires_at, &without)?;
        item.insert(REVISION.into(), number(rev));
        item.insert(OUTCOME_PARTS.into(), number(parts.len()));
        Ok(item)
    }

    /// The record of a task item, its outcome joined from its parts if it was stored in parts.
    async fn decode_task(&self, item: &Item) -> Result<TaskRecord, StoreError> {
        let mut task: TaskRecord = decode(item)?;
        let parts = match item.get(OUTCOME_PARTS) {
            Some(AttributeValue::N(n)) => n
                .parse::<usize>()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            _ => return Ok(task),
        };
        let key = Key::task(&task.caller.subject, &task.id);
        let mut outcome = String::new();
        for n in 0..parts {
            let item = self
                .read(&part_key(&key, n))
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("task {} lacks part {n}", task.id)))?;
            match item.get("part") {
                Some(AttributeValue::S(part)) => outcome.push_str(part),
                _ => return Err(StoreError::Corrupt("a task part holds no text".into())),
            }
        }
        task.outcome = Some(
            serde_json::from_str::<Value>(&outcome)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
        Ok(task)
    }
}

fn part_key(task: &Key, n: usize) -> Key {
    Key {
        pk: task.pk.clone(),
        sk: format!("{}#PART#{n:04}", task.sk),
    }
}

fn is_part(item: &Item) -> bool {
    item.contains_key("part")
}

/// `text` in pieces of at most `bytes` bytes, cut between characters.
fn split(text: &str, bytes: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = rest.len().min(bytes);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let (part, tail) = rest.split_at(end);
        parts.push(part);
        rest = tail;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn parts_are_cut_between_characters() {
        let text = "aé€😀".repeat(1000);
        let parts = split(&text, 7);
        assert!(parts.iter().all(|p| p.len() <= 7 && !p.is_empty()));
        assert_eq!(parts.concat(), text);
    }
}
