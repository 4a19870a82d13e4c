//! The DynamoDB store: one table (see [`super::table`]), strongly consistent reads, and atomicity
//! from DynamoDB itself: conditional writes for single items, `TransactWriteItems` where a code is
//! redeemed together with the grant it creates, and a revision number for refresh rotation.
//!
//! This file holds the table access shared by every context; [`grants`], [`accounts`] and [`notes`]
//! implement one trait each.

mod accounts;
mod connections;
mod grants;
mod notes;
mod tasks;

use super::table::{COUNT, Key, PARTITION_KEY, REDEEMED_BY, REVISION, SORT_KEY, TTL_ATTRIBUTE};
use super::{GrantStore, StoreError, window_start};
use crate::UnixTime;
use crate::deferred::Deferred;
use crate::model::{CodeRecord, CodeRedemption, Grant};
use crate::secret::SecretHash;
use aws_sdk_dynamodb::Client as DynamoClient;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, Put, ReturnValue, TransactWriteItem, Update,
};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::time::Duration;

mod items;
use items::{
    count, decode, is_live, key_attributes, number, permanent_item, record_item, revision,
};
mod failures;
pub use failures::timeouts;
use failures::{Contention, backend, is_condition_failure, is_conflict};

type Item = HashMap<String, AttributeValue>;

/// How long a verb keeps retrying after losing races (a failed revision check or a transaction
/// conflict). Each retry re-reads, so it ends as soon as the winner's write is visible; the bound
/// keeps a pathological pile-up well inside the functions' timeouts (10 s and 15 s), so the
/// client gets a `503` it can retry rather than a killed invocation.
const CONTENTION_DEADLINE: Duration = Duration::from_secs(3);

/// Store backed by a DynamoDB table.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Deferred<DynamoClient>,
    table: String,
}

impl DynamoStore {
    /// Uses an existing SDK client.
    pub fn new(client: DynamoClient, table: impl Into<String>) -> Self {
        Self::deferred(Deferred::ready(client), table)
    }

    /// Builds its client (and its configuration, with `config`) when the first call needs it.
    pub fn lazy(
        config: impl FnOnce() -> aws_sdk_dynamodb::Config + Send + 'static,
        table: impl Into<String>,
    ) -> Self {
        Self::deferred(Deferred::new(|| DynamoClient::from_conf(config())), table)
    }

    fn deferred(client: Deferred<DynamoClient>, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn client(&self) -> &DynamoClient {
        self.client.get()
    }

    /// A store on a DynamoDB-compatible endpoint that does not check credentials, such as
    /// DynamoDB Local (the admin CLI's `--endpoint-url`, the local server, the tests).
    pub fn with_endpoint(endpoint: &str, table: impl Into<String>) -> Self {
        Self::new(Self::endpoint_client(endpoint), table)
    }

    /// An SDK client for such an endpoint: fixed dummy credentials and region, our deadlines.
    pub fn endpoint_client(endpoint: &str) -> DynamoClient {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .timeout_config(timeouts())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "local", "local", None, None, "endpoint",
            ))
            .build();
        DynamoClient::from_conf(config)
    }

    /// The table this store writes to.
    pub fn table(&self) -> &str {
        &self.table
    }

    async fn read(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        Ok(out.item)
    }

    /// Two items in one strongly consistent `BatchGetItem`. Keys DynamoDB leaves unprocessed (it
    /// may, under throttling) are read one by one.
    async fn read_both(&self, first: &Key, second: &Key) -> Result<[Option<Item>; 2], StoreError> {
        let keys = KeysAndAttributes::builder()
            .keys(key_attributes(first))
            .keys(key_attributes(second))
            .consistent_read(true)
            .build()
            .map_err(|err| StoreError::Backend(err.to_string()))?;
        let out = self
            .client()
            .batch_get_item()
            .request_items(&self.table, keys)
            .send()
            .await
            .map_err(backend)?;
        let mut found = out
            .responses
            .and_then(|mut tables| tables.remove(&self.table))
            .unwrap_or_default();
        let mut take = |key: &Key| {
            let wanted = key_attributes(key);
            let at = found.iter().position(|item| {
                wanted
                    .iter()
                    .all(|(name, value)| item.get(name) == Some(value))
            });
            at.map(|at| found.swap_remove(at))
        };
        let (first_item, second_item) = (take(first), take(second));
        let unprocessed = out.unprocessed_keys.is_some_and(|tables| {
            tables
                .get(&self.table)
                .is_some_and(|k| !k.keys().is_empty())
        });
        if unprocessed {
            return Ok([
                match first_item {
                    Some(item) => Some(item),
                    None => self.read(first).await?,
                },
                match second_item {
                    Some(item) => Some(item),
                    None => self.read(second).await?,
                },
            ]);
        }
        Ok([first_item, second_item])
    }

    /// Reads an item and hides it once expired (TTL deletion lags).
    async fn read_live(&self, key: &Key, now: UnixTime) -> Result<Option<Item>, StoreError> {
        Ok(self.read(key).await?.filter(|item| is_live(item, now)))
    }

    /// The record stored under `key`, unless it has expired.
    async fn live_record<T: DeserializeOwned>(
        &self,
        key: &Key,
        now: UnixTime,
    ) -> Result<Option<T>, StoreError> {
        self.read_live(key, now)
            .await?
            .as_ref()
            .map(decode)
            .transpose()
    }

    /// Puts an item that must not exist yet.
    async fn insert(&self, item: Item) -> Result<(), StoreError> {
        let result = self
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(StoreError::AlreadyExists),
            Err(e) => Err(backend(e)),
        }
    }

    /// Puts an item, over whatever is stored under its key.
    async fn put(&self, item: Item) -> Result<(), StoreError> {
        self.client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Puts an item over the one stored at revision `expected` (a compare-and-swap); `false`, and
    /// nothing written, when the stored revision is another or the item is gone.
    async fn put_at_revision(&self, item: Item, expected: u64) -> Result<bool, StoreError> {
        let result = self
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("#rev = :rev")
            .expression_attribute_names("#rev", REVISION)
            .expression_attribute_values(":rev", number(expected))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(backend(e)),
        }
    }

    async fn delete(&self, key: &Key) -> Result<bool, StoreError> {
        Ok(self.remove(key).await?.is_some())
    }

    /// Deletes an item and returns what it held. The existence condition is what makes this a
    /// single-use take: of several racing callers only one deletes an existing item.
    async fn remove(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let result = self
            .client()
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => Ok(out.attributes.filter(|a| !a.is_empty())),
            Err(e) if is_condition_failure(&e) => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    /// Every item whose sort key is `sk` (administration listings; never on a request path).
    async fn scan_sort_key(&self, sk: &str) -> Result<Vec<Item>, StoreError> {
        self.client()
            .scan()
            .table_name(&self.table)
            .filter_expression("#sk = :sk")
            .expression_attribute_names("#sk", SORT_KEY)
            .expression_attribute_values(":sk", AttributeValue::S(sk.to_owned()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(backend)
    }

    /// Every item of the partition `partition` whose sort key starts with `prefix`, in sort-key
    /// order, every page of it (strongly consistent).
    async fn query_prefix(&self, partition: String, prefix: &str) -> Result<Vec<Item>, StoreError> {
        self.client()
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#sk", SORT_KEY)
            .expression_attribute_values(":pk", AttributeValue::S(partition))
            .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(backend)
    }

    /// A transaction item that puts `item` only if nothing is stored under its key yet.
    fn put_new(&self, item: Item) -> Result<Put, StoreError> {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))
    }

    fn grant_item(grant: &Grant, rev: u64) -> Result<Item, StoreError> {
        let mut item = record_item(&Key::grant(grant.id.as_str()), grant.expires_at, grant)?;
        item.insert(REVISION.into(), AttributeValue::N(rev.to_string()));
        Ok(item)
    }

    /// One attempt at redeeming a code; `None` means "lost a transaction conflict, try again".
    async fn try_take_code(
        &self,
        hash: &SecretHash,
        grant: &Grant,
        now: UnixTime,
    ) -> Result<Option<CodeRedemption>, StoreError> {
        let code_update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_attributes(&Key::code(hash.as_str()))))
            .update_expression("SET #redeemed = :grant")
            .condition_expression(
                "attribute_exists(#pk) AND attribute_not_exists(#redeemed) AND #ttl > :now",
            )
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#redeemed", REDEEMED_BY)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":grant", AttributeValue::S(grant.id.to_string()))
            .expression_attribute_values(":now", number(now.seconds()))
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let grant_put = self.put_new(Self::grant_item(grant, 0)?)?;
        // The grant's entry in its user's partition (their connected apps), in the same
        // transaction.
        let user_grant = Put::builder()
            .table_name(&self.table)
            .set_item(Some(key_attributes(&Key::user_grant(
                &grant.subject,
                grant.id.as_str(),
            ))))
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let result = self
            .client()
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(code_update).build())
            .transact_items(TransactWriteItem::builder().put(grant_put).build())
            .transact_items(TransactWriteItem::builder().put(user_grant).build())
            .send()
            .await;
        let cancelled = match result {
            Ok(_) => return Ok(Some(CodeRedemption::Redeemed)),
            Err(SdkError::ServiceError(e)) => match e.into_err() {
                TransactWriteItemsError::TransactionCanceledException(c) => c,
                // TransactionInProgress and similar conflicts: another writer holds the item.
                other if is_conflict(&other) => return Ok(None),
                other => return Err(StoreError::Backend(DisplayErrorContext(other).to_string())),
            },
            Err(e) => return Err(backend(e)),
        };
        let reasons: Vec<&str> = cancelled
            .cancellation_reasons()
            .iter()
            .map(|r| r.code().unwrap_or("None"))
            .collect();
        if reasons.contains(&"TransactionConflict") {
            return Ok(None);
        }
        if reasons.get(1) == Some(&"ConditionalCheckFailed") {
            return Err(StoreError::AlreadyExists);
        }
        // The code's condition failed: it is gone, expired, or already redeemed. Find out which.
        Ok(Some(match self.code(hash, now).await? {
            Some(CodeRecord {
                redeemed_by: Some(winner),
                ..
            }) => CodeRedemption::AlreadyRedeemed(winner),
            Some(CodeRecord {
                redeemed_by: None, ..
            }) => return Ok(None), // the winner's write is not visible yet
            None => CodeRedemption::Missing,
        }))
    }
}

impl DynamoStore {
    /// Adds `delta` to `key`'s attempt counter for the window containing `now` (the item expires
    /// with the window); callers add their condition and send.
    fn throttle_update(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
        delta: i64,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        let start = window_start(now, window);
        self.client()
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(&Key::throttle(key, start.seconds()))))
            .update_expression("ADD #count :delta SET #ttl = :end")
            .expression_attribute_names("#count", COUNT)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":delta", number(delta))
            .expression_attribute_values(":end", number((start + window).seconds()))
    }
}
