//! The DynamoDB store: one table (see [`super::table`]), strongly consistent reads, and atomicity
//! from DynamoDB itself: conditional writes for single items, `TransactWriteItems` where a code is
//! redeemed together with the grant it creates, and a revision number for refresh rotation.

use super::table::{
    COUNT, DATA, Key, NOTE_PREFIX, PARTITION_KEY, REDEEMED_BY, REVISION, SORT_KEY, TTL_ATTRIBUTE,
};
use super::window_start;
use super::{Store, StoreError};
use crate::UnixTime;
use crate::model::{
    AuthorizationCode, Client, ClientId, CodeRecord, CodeRedemption, ConsentRequest, Grant,
    GrantId, Note, RefreshDecision, RefreshPolicy, Rotation, Session, User,
};
use crate::secret::SecretHash;
use async_trait::async_trait;
use aws_sdk_dynamodb::Client as DynamoClient;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem, Update};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::time::Duration;

type Item = HashMap<String, AttributeValue>;

/// How often a verb retries after losing a race (a failed revision check or transaction conflict).
/// Each retry re-reads, so it ends as soon as the winner's write is visible.
const MAX_ATTEMPTS: u32 = 200;

/// Store backed by a DynamoDB table.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: DynamoClient,
    table: String,
}

impl DynamoStore {
    /// Uses an existing SDK client (built once at cold start).
    pub fn new(client: DynamoClient, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table this store writes to.
    pub fn table(&self) -> &str {
        &self.table
    }

    async fn read(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        Ok(out.item)
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
            .client
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

    async fn delete(&self, key: &Key) -> Result<bool, StoreError> {
        Ok(self.remove(key).await?.is_some())
    }

    /// Deletes an item and returns what it held. The existence condition is what makes this a
    /// single-use take: of several racing callers only one deletes an existing item.
    async fn remove(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let result = self
            .client
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
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("#sk = :sk")
                .expression_attribute_names("#sk", SORT_KEY)
                .expression_attribute_values(":sk", AttributeValue::S(sk.to_owned()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(backend)?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
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
        let grant_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(Self::grant_item(grant, 0)?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(code_update).build())
            .transact_items(TransactWriteItem::builder().put(grant_put).build())
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

#[async_trait]
impl Store for DynamoStore {
    async fn save_client(&self, client: &Client) -> Result<(), StoreError> {
        self.insert(record_item(
            &Key::client(client.id.as_str()),
            client.expires_at,
            client,
        )?)
        .await
    }

    async fn client(&self, id: &ClientId, now: UnixTime) -> Result<Option<Client>, StoreError> {
        self.live_record(&Key::client(id.as_str()), now).await
    }

    async fn delete_client(&self, id: &ClientId) -> Result<bool, StoreError> {
        self.delete(&Key::client(id.as_str())).await
    }

    async fn save_consent(
        &self,
        hash: &SecretHash,
        request: &ConsentRequest,
    ) -> Result<(), StoreError> {
        self.insert(record_item(
            &Key::consent(hash.as_str()),
            request.expires_at,
            request,
        )?)
        .await
    }

    async fn consent(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<ConsentRequest>, StoreError> {
        self.live_record(&Key::consent(hash.as_str()), now).await
    }

    async fn take_consent(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<ConsentRequest>, StoreError> {
        self.remove(&Key::consent(hash.as_str()))
            .await?
            .filter(|item| is_live(item, now))
            .map(|item| decode(&item))
            .transpose()
    }

    async fn save_code(
        &self,
        hash: &SecretHash,
        code: &AuthorizationCode,
    ) -> Result<(), StoreError> {
        self.insert(record_item(
            &Key::code(hash.as_str()),
            code.expires_at,
            code,
        )?)
        .await
    }

    async fn code(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<CodeRecord>, StoreError> {
        let Some(item) = self.read_live(&Key::code(hash.as_str()), now).await? else {
            return Ok(None);
        };
        let redeemed_by = match item.get(REDEEMED_BY) {
            Some(AttributeValue::S(id)) => Some(GrantId::new(id.clone())),
            _ => None,
        };
        Ok(Some(CodeRecord {
            code: decode(&item)?,
            redeemed_by,
        }))
    }

    async fn take_code(
        &self,
        hash: &SecretHash,
        grant: &Grant,
        now: UnixTime,
    ) -> Result<CodeRedemption, StoreError> {
        for attempt in 0..MAX_ATTEMPTS {
            if let Some(outcome) = self.try_take_code(hash, grant, now).await? {
                return Ok(outcome);
            }
            backoff(attempt).await;
        }
        Err(StoreError::Backend(
            "code redemption kept conflicting".into(),
        ))
    }

    async fn create_grant(&self, grant: &Grant) -> Result<(), StoreError> {
        self.insert(Self::grant_item(grant, 0)?).await
    }

    async fn grant(&self, id: &GrantId, now: UnixTime) -> Result<Option<Grant>, StoreError> {
        self.live_record(&Key::grant(id.as_str()), now).await
    }

    async fn rotate_refresh(
        &self,
        id: &GrantId,
        presented: &SecretHash,
        next: SecretHash,
        now: UnixTime,
        policy: RefreshPolicy,
    ) -> Result<Rotation, StoreError> {
        for attempt in 0..MAX_ATTEMPTS {
            let Some(item) = self.read_live(&Key::grant(id.as_str()), now).await? else {
                return Ok(Rotation::Unknown);
            };
            let mut grant: Grant = decode(&item)?;
            let rev = revision(&item)?;
            match grant.refresh.decide(presented, next.clone(), now, policy) {
                RefreshDecision::Rotate(state) => {
                    grant.refresh = state;
                    grant.expires_at = now + policy.lifetime;
                }
                RefreshDecision::Duplicate => return Ok(Rotation::Duplicate),
                RefreshDecision::Replayed => return Ok(Rotation::Replayed(grant)),
                RefreshDecision::Unknown => return Ok(Rotation::Unknown),
            }
            // Compare-and-swap on the revision we decided from.
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(Self::grant_item(&grant, rev + 1)?))
                .condition_expression("#rev = :rev")
                .expression_attribute_names("#rev", REVISION)
                .expression_attribute_values(":rev", number(rev))
                .send()
                .await;
            match result {
                Ok(_) => return Ok(Rotation::Rotated(grant)),
                Err(e) if is_condition_failure(&e) => backoff(attempt).await,
                Err(e) => return Err(backend(e)),
            }
        }
        Err(StoreError::Backend(
            "refresh rotation kept conflicting".into(),
        ))
    }

    async fn revoke_grant(&self, id: &GrantId) -> Result<bool, StoreError> {
        self.delete(&Key::grant(id.as_str())).await
    }

    async fn revoke_access_token(&self, jti: &str, expires_at: UnixTime) -> Result<(), StoreError> {
        let mut item = key_attributes(&Key::revoked_token(jti));
        item.insert(TTL_ATTRIBUTE.into(), number(expires_at.seconds()));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn is_access_token_revoked(&self, jti: &str, now: UnixTime) -> Result<bool, StoreError> {
        Ok(self
            .read_live(&Key::revoked_token(jti), now)
            .await?
            .is_some())
    }

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
                .client
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

    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        let profile = Put::builder()
            .table_name(&self.table)
            .set_item(Some(permanent_item(&Key::user_profile(&user.id), user)?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        // A second item keyed by the email makes the address unique, atomically with the profile.
        let email = Put::builder()
            .table_name(&self.table)
            .set_item(Some(permanent_item(&Key::email(&user.email), &user.id)?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(profile).build())
            .transact_items(TransactWriteItem::builder().put(email).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) => match e.into_err() {
                TransactWriteItemsError::TransactionCanceledException(_) => {
                    Err(StoreError::AlreadyExists)
                }
                other => Err(StoreError::Backend(DisplayErrorContext(other).to_string())),
            },
            Err(e) => Err(backend(e)),
        }
    }

    async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        self.read(&Key::user_profile(id))
            .await?
            .map(|item| decode(&item))
            .transpose()
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let Some(item) = self.read(&Key::email(email)).await? else {
            return Ok(None);
        };
        let id: String = decode(&item)?;
        self.user(&id).await
    }

    async fn update_user(&self, user: &User) -> Result<(), StoreError> {
        match self.user(&user.id).await? {
            Some(existing) if existing.email == user.email => {}
            Some(_) => return Err(StoreError::Corrupt("a user's email cannot change".into())),
            None => return Err(StoreError::Corrupt(format!("no user {}", user.id))),
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(permanent_item(&Key::user_profile(&user.id), user)?))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let mut users = self
            .scan_sort_key("PROFILE")
            .await?
            .iter()
            .map(decode)
            .collect::<Result<Vec<User>, _>>()?;
        users.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(users)
    }

    async fn save_session(&self, hash: &SecretHash, session: &Session) -> Result<(), StoreError> {
        self.insert(record_item(
            &Key::session(hash.as_str()),
            session.expires_at,
            session,
        )?)
        .await
    }

    async fn session(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<Session>, StoreError> {
        self.live_record(&Key::session(hash.as_str()), now).await
    }

    async fn count_attempt(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let out = self
            .throttle_update(key, now, window, 1)
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(backend)?;
        Ok(count(out.attributes.as_ref()))
    }

    async fn attempts(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let start = window_start(now, window);
        Ok(count(
            self.read(&Key::throttle(key, start.seconds()))
                .await?
                .as_ref(),
        ))
    }

    async fn reserve_attempt(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
        limit: u32,
    ) -> Result<bool, StoreError> {
        // One conditional update: counted only while under the limit, so concurrent attempts
        // cannot all pass a read taken before any of them was counted.
        let out = self
            .throttle_update(key, now, window, 1)
            .condition_expression("attribute_not_exists(#count) OR #count < :limit")
            .expression_attribute_values(":limit", number(i64::from(limit)))
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            Err(err) if is_condition_failure(&err) => Ok(false),
            Err(err) => Err(backend(err)),
        }
    }

    async fn release_attempt(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
    ) -> Result<(), StoreError> {
        let out = self
            .throttle_update(key, now, window, -1)
            .condition_expression("#count > :zero")
            .expression_attribute_values(":zero", number(0))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(err) if is_condition_failure(&err) => Ok(()),
            Err(err) => Err(backend(err)),
        }
    }

    async fn clients(&self) -> Result<Vec<Client>, StoreError> {
        let mut clients = self
            .scan_sort_key("CLIENT")
            .await?
            .iter()
            .map(decode)
            .collect::<Result<Vec<Client>, _>>()?;
        clients.sort_by(|a, b| a.issued_at.cmp(&b.issued_at).then(a.id.cmp(&b.id)));
        Ok(clients)
    }

    async fn grants(&self, subject: Option<&str>) -> Result<Vec<Grant>, StoreError> {
        let mut grants = self
            .scan_sort_key("GRANT")
            .await?
            .iter()
            .map(decode)
            .filter(|g: &Result<Grant, _>| {
                g.as_ref()
                    .map_or(true, |g| subject.is_none_or(|s| g.subject == s))
            })
            .collect::<Result<Vec<Grant>, _>>()?;
        grants.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(grants)
    }
}

fn key_attributes(key: &Key) -> Item {
    HashMap::from([
        (PARTITION_KEY.to_owned(), AttributeValue::S(key.pk.clone())),
        (SORT_KEY.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

fn number(n: impl ToString) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn record_item(
    key: &Key,
    expires_at: UnixTime,
    record: &impl Serialize,
) -> Result<Item, StoreError> {
    let json = serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut item = key_attributes(key);
    item.insert(TTL_ATTRIBUTE.into(), number(expires_at.seconds()));
    item.insert(DATA.into(), AttributeValue::S(json));
    Ok(item)
}

/// An item without expiry (users, notes).
fn permanent_item(key: &Key, record: &impl Serialize) -> Result<Item, StoreError> {
    let json = serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut item = key_attributes(key);
    item.insert(DATA.into(), AttributeValue::S(json));
    Ok(item)
}

/// The `count` attribute of a throttle item (0 when absent).
fn count(item: Option<&Item>) -> u32 {
    match item.and_then(|i| i.get(COUNT)) {
        Some(AttributeValue::N(n)) => n.parse().unwrap_or(u32::MAX),
        _ => 0,
    }
}

fn decode<T: DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    match item.get(DATA) {
        Some(AttributeValue::S(json)) => {
            serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))
        }
        _ => Err(StoreError::Corrupt(format!("item has no `{DATA}` string"))),
    }
}

fn revision(item: &Item) -> Result<u64, StoreError> {
    match item.get(REVISION) {
        Some(AttributeValue::N(n)) => n
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("bad `{REVISION}`: {n}"))),
        _ => Err(StoreError::Corrupt(format!("item has no `{REVISION}`"))),
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
        self.client
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

fn is_live(item: &Item, now: UnixTime) -> bool {
    match item.get(TTL_ATTRIBUTE) {
        Some(AttributeValue::N(n)) => n.parse::<i64>().is_ok_and(|t| now.seconds() < t),
        _ => false,
    }
}

fn is_condition_failure<E, R>(err: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

fn backend<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    StoreError::Backend(DisplayErrorContext(err).to_string())
}

/// Deadlines for every DynamoDB call, well inside the functions' timeouts (10 s and 15 s): one
/// attempt may take 2 s, a call with the SDK's retries 5 s. A frozen or unreachable database then
/// fails fast with [`StoreError::Backend`], which the endpoints answer with `503`, instead of
/// holding the request until Lambda kills it.
pub fn timeouts() -> aws_sdk_dynamodb::config::timeout::TimeoutConfig {
    aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(5))
        .build()
}

/// Short, growing, jittered pause between attempts, so racing writers spread out.
async fn backoff(attempt: u32) {
    let base = 2 + u64::from(attempt.min(20)) * 3;
    let mut jitter = [0u8; 1];
    let jitter = match getrandom::fill(&mut jitter) {
        Ok(()) => u64::from(jitter[0] % 8),
        Err(_) => 0,
    };
    tokio::time::sleep(Duration::from_millis(base + jitter)).await;
}

/// Errors that mean "another transaction holds this item right now".
fn is_conflict(err: &TransactWriteItemsError) -> bool {
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    matches!(
        err.code(),
        Some("TransactionConflictException" | "TransactionInProgressException")
    )
}
