//! [`NoteStore`] on DynamoDB.

use super::{DynamoStore, backend, decode, permanent_item};
use crate::model::Note;
use crate::store::table::{Key, NOTE_PREFIX, PARTITION_KEY, SORT_KEY};
use crate::store::{NoteStore, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

#[async_trait]
impl NoteStore for DynamoStore {
    async fn save_note(&self, note: &Note) -> Result<(), StoreError> {
        self.insert(permanent_item(&Key::note(&note.owner, &note.id), note)?)
            .await
    }

    async fn note(&self, owner: &str, id: &str) -> Result<Option<Note>, StoreError> {
        self.read(&Key::note(owner, id))
            .await?
            .map(|item| decode(&item))
            .transpose()
    }

    async fn notes(&self, owner: &str) -> Result<Vec<Note>, StoreError> {
        let mut notes = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client()
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_names("#sk", SORT_KEY)
                .expression_attribute_values(":pk", AttributeValue::S(Key::user(owner)))
                .expression_attribute_values(":prefix", AttributeValue::S(NOTE_PREFIX.into()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(backend)?;
            for item in out.items() {
                notes.push(decode(item)?);
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(notes),
            }
        }
    }

    async fn delete_note(&self, owner: &str, id: &str) -> Result<bool, StoreError> {
        self.delete(&Key::note(owner, id)).await
    }
}
