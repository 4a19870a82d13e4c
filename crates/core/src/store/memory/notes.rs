//! [`NoteStore`] in memory.

#[allow(clippy::wildcard_imports)]
use super::*;

#[async_trait]
impl NoteStore for MemoryStore {
    async fn save_note(&self, note: &Note) -> Result<(), StoreError> {
        let key = (note.owner.clone(), note.id.clone());
        let mut tables = self.lock();
        if tables.notes.contains_key(&key) {
            return Err(StoreError::AlreadyExists);
        }
        tables.notes.insert(key, note.clone());
        Ok(())
    }

    async fn note(&self, owner: &str, id: &str) -> Result<Option<Note>, StoreError> {
        Ok(self
            .lock()
            .notes
            .get(&(owner.to_owned(), id.to_owned()))
            .cloned())
    }

    async fn notes(&self, owner: &str) -> Result<Vec<Note>, StoreError> {
        Ok(self
            .lock()
            .notes
            .range((owner.to_owned(), String::new())..)
            .take_while(|((o, _), _)| o == owner)
            .map(|(_, n)| n.clone())
            .collect())
    }

    async fn delete_note(&self, owner: &str, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .lock()
            .notes
            .remove(&(owner.to_owned(), id.to_owned()))
            .is_some())
    }
}
