//! [`GrantReader`] and [`GrantStore`] in memory: clients, consents, codes, grants, revoked tokens.

#[allow(clippy::wildcard_imports)]
use super::*;

#[async_trait]
impl GrantReader for MemoryStore {
    async fn client(&self, id: &ClientId, now: UnixTime) -> Result<Option<Client>, StoreError> {
        Ok(self
            .lock()
            .clients
            .get(id)
            .filter(|c| now < c.expires_at)
            .cloned())
    }

    async fn grant(&self, id: &GrantId, now: UnixTime) -> Result<Option<Grant>, StoreError> {
        Ok(self
            .lock()
            .grants
            .get(id)
            .filter(|g| now < g.expires_at)
            .cloned())
    }

    async fn is_access_token_revoked(&self, jti: &str, now: UnixTime) -> Result<bool, StoreError> {
        Ok(self
            .lock()
            .revoked_tokens
            .get(jti)
            .is_some_and(|until| now < *until))
    }

    async fn touch_grant(&self, id: &GrantId, now: UnixTime) -> Result<(), StoreError> {
        if let Some(grant) = self.lock().grants.get_mut(id)
            && grant.last_use_is_stale(now)
        {
            grant.last_used_at = Some(now);
        }
        Ok(())
    }
}

#[async_trait]
impl GrantStore for MemoryStore {
    async fn save_client(&self, client: &Client) -> Result<(), StoreError> {
        insert_new(&mut self.lock().clients, client.id.clone(), client.clone())
    }

    async fn delete_client(&self, id: &ClientId) -> Result<bool, StoreError> {
        Ok(self.lock().clients.remove(id).is_some())
    }

    async fn clients(&self) -> Result<Vec<Client>, StoreError> {
        let mut clients: Vec<Client> = self.lock().clients.values().cloned().collect();
        clients.sort_by(|a, b| a.issued_at.cmp(&b.issued_at).then(a.id.cmp(&b.id)));
        Ok(clients)
    }

    async fn save_consent(
        &self,
        hash: &SecretHash,
        request: &ConsentRequest,
    ) -> Result<(), StoreError> {
        insert_new(&mut self.lock().consents, hash.clone(), request.clone())
    }

    async fn consent(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<ConsentRequest>, StoreError> {
        Ok(self
            .lock()
            .consents
            .get(hash)
            .filter(|r| now < r.expires_at)
            .cloned())
    }

    async fn take_consent(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<ConsentRequest>, StoreError> {
        Ok(self
            .lock()
            .consents
            .remove(hash)
            .filter(|r| now < r.expires_at))
    }

    async fn save_code(
        &self,
        hash: &SecretHash,
        code: &AuthorizationCode,
    ) -> Result<(), StoreError> {
        let record = CodeRecord {
            code: code.clone(),
            redeemed_by: None,
        };
        insert_new(&mut self.lock().codes, hash.clone(), record)
    }

    async fn code(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<CodeRecord>, StoreError> {
        Ok(self
            .lock()
            .codes
            .get(hash)
            .filter(|r| now < r.code.expires_at)
            .cloned())
    }

    async fn take_code(
        &self,
        hash: &SecretHash,
        grant: &Grant,
        now: UnixTime,
    ) -> Result<CodeRedemption, StoreError> {
        let mut tables = self.lock();
        let Tables { codes, grants, .. } = &mut *tables;
        let Some(record) = codes.get_mut(hash).filter(|r| now < r.code.expires_at) else {
            return Ok(CodeRedemption::Missing);
        };
        if let Some(winner) = &record.redeemed_by {
            return Ok(CodeRedemption::AlreadyRedeemed(winner.clone()));
        }
        if grants.contains_key(&grant.id) {
            return Err(StoreError::AlreadyExists);
        }
        record.redeemed_by = Some(grant.id.clone());
        grants.insert(grant.id.clone(), grant.clone());
        Ok(CodeRedemption::Redeemed)
    }

    async fn create_grant(&self, grant: &Grant) -> Result<(), StoreError> {
        insert_new(&mut self.lock().grants, grant.id.clone(), grant.clone())
    }

    async fn grant_for_update(
        &self,
        id: &GrantId,
        now: UnixTime,
    ) -> Result<Option<Versioned<Grant>>, StoreError> {
        // One lock orders every rotation, so the revision is never compared.
        let grant = GrantReader::grant(self, id, now).await?;
        Ok(grant.map(|value| Versioned { value, revision: 0 }))
    }

    async fn rotate_refresh(
        &self,
        read: Versioned<Grant>,
        presented: &SecretHash,
        next: SecretHash,
        now: UnixTime,
        policy: RefreshPolicy,
    ) -> Result<Rotation, StoreError> {
        // Decided from the grant as it is now, under the lock: what a conditional write that
        // found the grant moved on would do.
        let mut tables = self.lock();
        let id = &read.value.id;
        let Some(grant) = tables.grants.get_mut(id).filter(|g| now < g.expires_at) else {
            return Ok(Rotation::Unknown);
        };
        Ok(match grant.refresh.decide(presented, next, now, policy) {
            RefreshDecision::Rotate(state) => {
                grant.refresh = state;
                grant.expires_at = now + policy.lifetime;
                grant.last_used_at = Some(now);
                Rotation::Rotated(grant.clone())
            }
            RefreshDecision::Duplicate => Rotation::Duplicate,
            RefreshDecision::Replayed => Rotation::Replayed(grant.clone()),
            RefreshDecision::Unknown => Rotation::Unknown,
        })
    }

    async fn revoke_grant(&self, id: &GrantId) -> Result<bool, StoreError> {
        Ok(self.lock().grants.remove(id).is_some())
    }

    async fn revoke_access_token(&self, jti: &str, expires_at: UnixTime) -> Result<(), StoreError> {
        self.lock()
            .revoked_tokens
            .insert(jti.to_owned(), expires_at);
        Ok(())
    }

    async fn first_use(
        &self,
        key: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        let mut tables = self.lock();
        if tables.used_once.get(key).is_some_and(|until| now < *until) {
            return Ok(false);
        }
        tables.used_once.insert(key.to_owned(), expires_at);
        Ok(true)
    }

    async fn user_grants(&self, subject: &str, now: UnixTime) -> Result<Vec<Grant>, StoreError> {
        let mut grants: Vec<Grant> = self
            .lock()
            .grants
            .values()
            .filter(|g| g.subject == subject && now < g.expires_at)
            .cloned()
            .collect();
        grants.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(grants)
    }

    async fn grants(&self, subject: Option<&str>) -> Result<Vec<Grant>, StoreError> {
        let mut grants: Vec<Grant> = self
            .lock()
            .grants
            .values()
            .filter(|g| subject.is_none_or(|s| g.subject == s))
            .cloned()
            .collect();
        grants.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(grants)
    }
}
