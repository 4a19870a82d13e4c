//! [`GrantReader`] and [`GrantStore`] on DynamoDB.

use super::items::{LAST_USED, decode_grant, versioned_grant};
use super::{
    Contention, DynamoStore, backend, decode, is_condition_failure, is_live, key_attributes,
    number, record_item,
};
use crate::UnixTime;
use crate::model::{
    AuthorizationCode, Client, ClientId, CodeRecord, CodeRedemption, ConsentRequest, Grant,
    GrantId, LAST_USED_PRECISION, RefreshDecision, RefreshPolicy, Rotation,
};
use crate::secret::SecretHash;
use crate::store::table::{
    Key, PARTITION_KEY, REDEEMED_BY, SORT_KEY, TTL_ATTRIBUTE, USER_GRANT_PREFIX,
};
use crate::store::{GrantReader, GrantStore, StoreError, Versioned};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

#[async_trait]
impl GrantReader for DynamoStore {
    async fn client(&self, id: &ClientId, now: UnixTime) -> Result<Option<Client>, StoreError> {
        self.live_record(&Key::client(id.as_str()), now).await
    }

    async fn grant(&self, id: &GrantId, now: UnixTime) -> Result<Option<Grant>, StoreError> {
        self.read_live(&Key::grant(id.as_str()), now)
            .await?
            .as_ref()
            .map(decode_grant)
            .transpose()
    }

    async fn is_access_token_revoked(&self, jti: &str, now: UnixTime) -> Result<bool, StoreError> {
        Ok(self
            .read_live(&Key::revoked_token(jti), now)
            .await?
            .is_some())
    }

    async fn touch_grant(&self, id: &GrantId, now: UnixTime) -> Result<(), StoreError> {
        // An attribute of its own beside the record, so recording a use never rewrites (or
        // races) the grant; a rotation folds it into the record.
        let precision = i64::try_from(LAST_USED_PRECISION.as_secs()).unwrap_or(i64::MAX);
        let stale_before = now.seconds().saturating_sub(precision);
        let result = self
            .client()
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(&Key::grant(id.as_str()))))
            .update_expression("SET #used = :now")
            .condition_expression(
                "attribute_exists(#pk) AND (attribute_not_exists(#used) OR #used <= :stale)",
            )
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#used", LAST_USED)
            .expression_attribute_values(":now", number(now.seconds()))
            .expression_attribute_values(":stale", number(stale_before))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(backend(e)),
        }
    }
}

#[async_trait]
impl GrantStore for DynamoStore {
    async fn save_client(&self, client: &Client) -> Result<(), StoreError> {
        self.insert(record_item(
            &Key::client(client.id.as_str()),
            client.expires_at,
            client,
        )?)
        .await
    }

    async fn delete_client(&self, id: &ClientId) -> Result<bool, StoreError> {
        self.delete(&Key::client(id.as_str())).await
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
        let mut contention = Contention::new();
        loop {
            if let Some(outcome) = self.try_take_code(hash, grant, now).await? {
                return Ok(outcome);
            }
            if !contention.backoff().await {
                break;
            }
        }
        Err(StoreError::Backend(
            "code redemption kept conflicting".into(),
        ))
    }

    async fn create_grant(&self, grant: &Grant) -> Result<(), StoreError> {
        self.insert(Self::grant_item(grant, 0)?).await?;
        // Listed in the user's partition, so their connected apps are one query.
        self.insert(key_attributes(&Key::user_grant(
            &grant.subject,
            grant.id.as_str(),
        )))
        .await
    }

    async fn grant_for_update(
        &self,
        id: &GrantId,
        now: UnixTime,
    ) -> Result<Option<Versioned<Grant>>, StoreError> {
        self.read_live(&Key::grant(id.as_str()), now)
            .await?
            .as_ref()
            .map(versioned_grant)
            .transpose()
    }

    async fn client_and_grant_for_update(
        &self,
        client: &ClientId,
        grant: &GrantId,
        now: UnixTime,
    ) -> Result<(Option<Client>, Option<Versioned<Grant>>), StoreError> {
        let client_key = Key::client(client.as_str());
        let grant_key = Key::grant(grant.as_str());
        let [client, grant] = self.read_both(&client_key, &grant_key).await?;
        let client = client
            .filter(|item| is_live(item, now))
            .as_ref()
            .map(decode)
            .transpose()?;
        let grant = grant.filter(|item| is_live(item, now));
        Ok((client, grant.as_ref().map(versioned_grant).transpose()?))
    }

    async fn rotate_refresh(
        &self,
        read: Versioned<Grant>,
        presented: &SecretHash,
        next: SecretHash,
        now: UnixTime,
        policy: RefreshPolicy,
    ) -> Result<Rotation, StoreError> {
        let id = read.value.id.clone();
        let mut read = Some(read);
        let mut contention = Contention::new();
        loop {
            // The caller's read first; after a lost race, the grant as it is now.
            let current = match read.take() {
                Some(read) => read,
                None => match self.grant_for_update(&id, now).await? {
                    Some(current) => current,
                    None => return Ok(Rotation::Unknown),
                },
            };
            let Versioned {
                value: mut grant,
                revision: rev,
            } = current;
            if now >= grant.expires_at {
                return Ok(Rotation::Unknown);
            }
            match grant.refresh.decide(presented, next.clone(), now, policy) {
                RefreshDecision::Rotate(state) => {
                    grant.refresh = state;
                    grant.expires_at = now + policy.lifetime;
                    grant.last_used_at = Some(now);
                }
                RefreshDecision::Duplicate => return Ok(Rotation::Duplicate),
                RefreshDecision::Replayed => return Ok(Rotation::Replayed(grant)),
                RefreshDecision::Unknown => return Ok(Rotation::Unknown),
            }
            // Compare-and-swap on the revision we decided from.
            let item = Self::grant_item(&grant, rev + 1)?;
            if self.put_at_revision(item, rev).await? {
                return Ok(Rotation::Rotated(grant));
            }
            if !contention.backoff().await {
                break;
            }
        }
        Err(StoreError::Backend(
            "refresh rotation kept conflicting".into(),
        ))
    }

    async fn revoke_grant(&self, id: &GrantId) -> Result<bool, StoreError> {
        let Some(item) = self.remove(&Key::grant(id.as_str())).await? else {
            return Ok(false);
        };
        let grant: Grant = decode(&item)?;
        self.delete(&Key::user_grant(&grant.subject, id.as_str()))
            .await?;
        Ok(true)
    }

    async fn revoke_access_token(&self, jti: &str, expires_at: UnixTime) -> Result<(), StoreError> {
        let mut item = key_attributes(&Key::revoked_token(jti));
        item.insert(TTL_ATTRIBUTE.into(), number(expires_at.seconds()));
        self.put(item).await
    }

    async fn first_use(
        &self,
        key: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        let mut item = key_attributes(&Key::used(SecretHash::of(key).as_str()));
        item.insert(TTL_ATTRIBUTE.into(), number(expires_at.seconds()));
        // TTL deletion lags: an item past its expiry counts as gone.
        let result = self
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk) OR #ttl <= :now")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", number(now.seconds()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(backend(e)),
        }
    }

    async fn user_grants(&self, subject: &str, now: UnixTime) -> Result<Vec<Grant>, StoreError> {
        let entries = self
            .query_prefix(Key::user(subject), USER_GRANT_PREFIX)
            .await?;
        let ids = entries.iter().filter_map(|item| match item.get(SORT_KEY) {
            Some(AttributeValue::S(sk)) => sk.strip_prefix(USER_GRANT_PREFIX).map(GrantId::new),
            _ => None,
        });
        // Entries of grants that expired (the table's TTL removed them) are skipped.
        let mut grants = Vec::new();
        for id in ids {
            if let Some(grant) = self.grant(&id, now).await? {
                grants.push(grant);
            }
        }
        grants.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(grants)
    }

    async fn grants(&self, subject: Option<&str>) -> Result<Vec<Grant>, StoreError> {
        let mut grants = self
            .scan_sort_key("GRANT")
            .await?
            .iter()
            .map(decode_grant)
            .filter(|g: &Result<Grant, _>| {
                g.as_ref()
                    .map_or(true, |g| subject.is_none_or(|s| g.subject == s))
            })
            .collect::<Result<Vec<Grant>, _>>()?;
        grants.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(grants)
    }
}
