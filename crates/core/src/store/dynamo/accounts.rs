//! [`AccountStore`] on DynamoDB.

use super::{
    DynamoStore, backend, count, decode, is_condition_failure, is_live, key_attributes, number,
    permanent_item, record_item,
};
use crate::UnixTime;
use crate::model::{FederatedSignIn, LinkedIdentity, Session, User};
use crate::secret::SecretHash;
use crate::store::table::{Key, PARTITION_KEY};
use crate::store::window_start;
use crate::store::{AccountStore, StoreError, Throttle};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{ReturnValue, TransactWriteItem};
use std::time::Duration;

#[async_trait]
impl AccountStore for DynamoStore {
    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        let profile = self.put_new(permanent_item(&Key::user_profile(&user.id), user)?)?;
        // A second item keyed by the email makes the address unique, atomically with the profile;
        // one per linked identity does the same for each identity.
        let email = self.put_new(permanent_item(&Key::email(&user.email), &user.id)?)?;
        let mut transaction = self
            .client()
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(profile).build())
            .transact_items(TransactWriteItem::builder().put(email).build());
        for identity in &user.identities {
            let key = Key::identity(&LinkedIdentity::key(&identity.issuer, &identity.subject));
            let link = self.put_new(permanent_item(&key, &user.id)?)?;
            transaction =
                transaction.transact_items(TransactWriteItem::builder().put(link).build());
        }
        let result = transaction.send().await;
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

    async fn user_by_identity(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<User>, StoreError> {
        let key = Key::identity(&LinkedIdentity::key(issuer, subject));
        let Some(item) = self.read(&key).await? else {
            return Ok(None);
        };
        let id: String = decode(&item)?;
        self.user(&id).await
    }

    async fn link_identity(
        &self,
        user_id: &str,
        identity: &LinkedIdentity,
    ) -> Result<(), StoreError> {
        let mut user = self
            .user(user_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("no user {user_id}")))?;
        user.identities.push(identity.clone());
        let key = Key::identity(&LinkedIdentity::key(&identity.issuer, &identity.subject));
        let link = self.put_new(permanent_item(&key, &user.id)?)?;
        self.write_profile_with(&user, TransactWriteItem::builder().put(link).build())
            .await
    }

    async fn unlink_identity(
        &self,
        user_id: &str,
        issuer: &str,
        subject: &str,
    ) -> Result<bool, StoreError> {
        let Some(mut user) = self.user(user_id).await? else {
            return Ok(false);
        };
        let before = user.identities.len();
        user.identities
            .retain(|i| !(i.issuer == issuer && i.subject == subject));
        if user.identities.len() == before {
            return Ok(false);
        }
        let key = Key::identity(&LinkedIdentity::key(issuer, subject));
        let unlink = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_attributes(&key)))
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        self.write_profile_with(&user, TransactWriteItem::builder().delete(unlink).build())
            .await?;
        Ok(true)
    }

    async fn save_federated_sign_in(
        &self,
        hash: &SecretHash,
        sign_in: &FederatedSignIn,
    ) -> Result<(), StoreError> {
        self.insert(record_item(
            &Key::federation(hash.as_str()),
            sign_in.expires_at,
            sign_in,
        )?)
        .await
    }

    async fn take_federated_sign_in(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<FederatedSignIn>, StoreError> {
        self.remove(&Key::federation(hash.as_str()))
            .await?
            .filter(|item| is_live(item, now))
            .map(|item| decode(&item))
            .transpose()
    }

    async fn update_user(&self, user: &User) -> Result<(), StoreError> {
        match self.user(&user.id).await? {
            Some(existing) if existing.email == user.email => {}
            Some(_) => return Err(StoreError::Corrupt("a user's email cannot change".into())),
            None => return Err(StoreError::Corrupt(format!("no user {}", user.id))),
        }
        self.client()
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

    async fn end_session(&self, hash: &SecretHash) -> Result<(), StoreError> {
        self.delete(&Key::session(hash.as_str())).await.map(|_| ())
    }
}

#[async_trait]
impl Throttle for DynamoStore {
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
}

impl DynamoStore {
    /// Replaces an existing user's profile together with `other`, atomically; a failed condition
    /// (the link exists already) is [`StoreError::AlreadyExists`].
    async fn write_profile_with(
        &self,
        user: &User,
        other: TransactWriteItem,
    ) -> Result<(), StoreError> {
        let profile = aws_sdk_dynamodb::types::Put::builder()
            .table_name(&self.table)
            .set_item(Some(permanent_item(&Key::user_profile(&user.id), user)?))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let result = self
            .client()
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(profile).build())
            .transact_items(other)
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
}
