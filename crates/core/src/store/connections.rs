//! The token vault's records ([`crate::model::Connection`]): one per person and provider, in the
//! person's partition. The OAuth function writes them (sign-in, connect, disconnect); the MCP
//! function and the task worker read them and write refreshed tokens back, one refresh at a time
//! through the revision ([`ConnectionStore::replace_connection`]).

use super::{StoreError, Versioned};
use crate::model::Connection;
use async_trait::async_trait;

/// Connections, per person.
#[async_trait]
pub trait ConnectionStore: Send + Sync + 'static {
    /// Stores `connection`, replacing any the person had with that provider (a new revision).
    async fn save_connection(&self, connection: &Connection) -> Result<(), StoreError>;

    /// The person's connection to `provider`, with its revision; read strongly consistent.
    async fn connection(
        &self,
        person: &str,
        provider: &str,
    ) -> Result<Option<Versioned<Connection>>, StoreError>;

    /// Replaces the connection if it is still at `revision` (compare-and-swap): its new
    /// revision, or `None` when another write came first or it is gone.
    async fn replace_connection(
        &self,
        connection: &Connection,
        revision: u64,
    ) -> Result<Option<u64>, StoreError>;

    /// Every connection of the person's.
    async fn connections(&self, person: &str) -> Result<Vec<Connection>, StoreError>;

    /// Deletes the person's connection to `provider`; `true` if there was one.
    async fn delete_connection(&self, person: &str, provider: &str) -> Result<bool, StoreError>;
}
