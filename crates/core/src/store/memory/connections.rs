//! [`ConnectionStore`] in memory: revisions from one counter, never reused.

#[allow(clippy::wildcard_imports)]
use super::*;

#[async_trait]
impl ConnectionStore for MemoryStore {
    async fn save_connection(&self, connection: &Connection) -> Result<(), StoreError> {
        let mut tables = self.lock();
        tables.connection_revisions += 1;
        let revision = tables.connection_revisions;
        let key = (connection.person.clone(), connection.provider.clone());
        tables
            .connections
            .insert(key, (connection.clone(), revision));
        Ok(())
    }

    async fn connection(
        &self,
        person: &str,
        provider: &str,
    ) -> Result<Option<Versioned<Connection>>, StoreError> {
        Ok(self
            .lock()
            .connections
            .get(&(person.to_owned(), provider.to_owned()))
            .map(|(value, revision)| Versioned {
                value: value.clone(),
                revision: *revision,
            }))
    }

    async fn replace_connection(
        &self,
        connection: &Connection,
        revision: u64,
    ) -> Result<Option<u64>, StoreError> {
        let mut tables = self.lock();
        tables.connection_revisions += 1;
        let next = tables.connection_revisions;
        let key = (connection.person.clone(), connection.provider.clone());
        match tables.connections.get_mut(&key) {
            Some(stored) if stored.1 == revision => {
                *stored = (connection.clone(), next);
                Ok(Some(next))
            }
            _ => Ok(None),
        }
    }

    async fn connections(&self, person: &str) -> Result<Vec<Connection>, StoreError> {
        Ok(self
            .lock()
            .connections
            .range((person.to_owned(), String::new())..)
            .take_while(|((p, _), _)| p == person)
            .map(|(_, (c, _))| c.clone())
            .collect())
    }

    async fn delete_connection(&self, person: &str, provider: &str) -> Result<bool, StoreError> {
        Ok(self
            .lock()
            .connections
            .remove(&(person.to_owned(), provider.to_owned()))
            .is_some())
    }
}
