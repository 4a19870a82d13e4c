//! [`NoteStore`] on DynamoDB.

use super::{DynamoStore, decode, permanent_item};
use crate::model::Note;
use crate::store::table::{Key, NOTE_PREFIX};
use crate::store::{NoteStore, StoreError};
use async_trait::async_trait;

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
        self.query_prefix(Key::user(owner), NOTE_PREFIX)
            .await?
            .iter()
            .map(decode)
            .collect()
    }

    async fn delete_note(&self, owner: &str, id: &str) -> Result<bool, StoreError> {
        self.delete(&Key::note(owner, id)).await
    }
}
