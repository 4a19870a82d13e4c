//! [`ConnectionStore`] on DynamoDB: one item per person and provider in the person's partition,
//! changed by compare-and-swap on its revision. A saved connection starts at a random revision,
//! so a refresh that read the connection before it was deleted and saved again cannot write over
//! the new one.

use super::{DynamoStore, decode, number, permanent_item, revision};
use crate::model::Connection;
use crate::store::table::{CONNECTION_PREFIX, Key, REVISION};
use crate::store::{ConnectionStore, StoreError, Versioned};
use async_trait::async_trait;

#[async_trait]
impl ConnectionStore for DynamoStore {
    async fn save_connection(&self, connection: &Connection) -> Result<(), StoreError> {
        let mut item = permanent_item(
            &Key::connection(&connection.person, &connection.provider),
            connection,
        )?;
        let mut start = [0u8; 6];
        getrandom::fill(&mut start).map_err(|e| StoreError::Backend(e.to_string()))?;
        let start = start.iter().fold(0u64, |n, b| n << 8 | u64::from(*b));
        item.insert(REVISION.into(), number(start));
        self.put(item).await
    }

    async fn connection(
        &self,
        person: &str,
        provider: &str,
    ) -> Result<Option<Versioned<Connection>>, StoreError> {
        let Some(item) = self.read(&Key::connection(person, provider)).await? else {
            return Ok(None);
        };
        Ok(Some(Versioned {
            value: decode(&item)?,
            revision: revision(&item)?,
        }))
    }

    async fn replace_connection(
        &self,
        connection: &Connection,
        expected: u64,
    ) -> Result<Option<u64>, StoreError> {
        let mut item = permanent_item(
            &Key::connection(&connection.person, &connection.provider),
            connection,
        )?;
        let next = expected.wrapping_add(1);
        item.insert(REVISION.into(), number(next));
        let written = self.put_at_revision(item, expected).await?;
        Ok(written.then_some(next))
    }

    async fn connections(&self, person: &str) -> Result<Vec<Connection>, StoreError> {
        self.query_prefix(Key::user(person), CONNECTION_PREFIX)
            .await?
            .iter()
            .map(decode)
            .collect()
    }

    async fn delete_connection(&self, person: &str, provider: &str) -> Result<bool, StoreError> {
        self.delete(&Key::connection(person, provider)).await
    }
}
