//! Fresh stores for tests: each DynamoDB Local store gets a table of its own on the one DynamoDB
//! Local of the test process, created from `template.yaml`.

use crate::{DynamoLocal, TableDefinition};
use remote_mcp_core::secret::Secret;
use remote_mcp_core::{DynamoStore, MemoryStore, Store};
use std::sync::Arc;

/// An empty in-memory store.
pub fn memory_store() -> Arc<dyn Store> {
    Arc::new(MemoryStore::new())
}

/// A new, empty table on the shared DynamoDB Local; returns its name.
pub async fn fresh_table(prefix: &str) -> (String, &'static DynamoLocal) {
    let local = DynamoLocal::shared().unwrap_or_else(|e| panic!("{e}"));
    let table = format!(
        "{prefix}-{}",
        &Secret::generate().expose()[..12].replace(['-', '_'], "x")
    );
    TableDefinition::from_repository()
        .unwrap_or_else(|e| panic!("{e}"))
        .create(&local.client(), &table)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (table, local)
}

/// A store over a new, empty table on the shared DynamoDB Local.
pub async fn fresh_dynamo_store() -> Arc<dyn Store> {
    let (table, local) = fresh_table("test").await;
    Arc::new(DynamoStore::new(local.client(), table))
}

/// One test per store kind for each body: `both_stores! { name => |store| body(store) }` expands
/// to `mod name { memory_store, dynamodb_local }`, each calling the body with a fresh
/// `Arc<dyn Store>` and awaiting it.
#[macro_export]
macro_rules! both_stores {
    ($($name:ident => |$store:ident| $body:expr),+ $(,)?) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn memory_store() {
                let $store = $crate::memory_store();
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn dynamodb_local() {
                let $store = $crate::fresh_dynamo_store().await;
                $body.await;
            }
        }
    )+};
}
