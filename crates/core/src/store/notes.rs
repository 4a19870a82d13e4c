//! The tools' own data: each user's notes. A tool that keeps other data gets a trait like this one,
//! beside it, with the same two implementations and its own contract tests.

use super::StoreError;
use crate::model::Note;
use async_trait::async_trait;

/// Notes, per owner.
#[async_trait]
pub trait NoteStore: Send + Sync + 'static {
    /// Stores a new note.
    async fn save_note(&self, note: &Note) -> Result<(), StoreError>;

    /// One of `owner`'s notes.
    async fn note(&self, owner: &str, id: &str) -> Result<Option<Note>, StoreError>;

    /// All of `owner`'s notes, oldest first.
    async fn notes(&self, owner: &str) -> Result<Vec<Note>, StoreError>;

    /// Deletes one of `owner`'s notes; `true` if it existed.
    async fn delete_note(&self, owner: &str, id: &str) -> Result<bool, StoreError>;
}
