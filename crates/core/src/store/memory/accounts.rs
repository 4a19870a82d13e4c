//! [`AccountStore`] in memory: users, sessions, linked identities, federated sign-ins.

#[allow(clippy::wildcard_imports)]
use super::*;

#[async_trait]
impl AccountStore for MemoryStore {
    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        let mut tables = self.lock();
        let identity_keys: Vec<String> = user
            .identities
            .iter()
            .map(|i| LinkedIdentity::key(&i.issuer, &i.subject))
            .collect();
        if tables.users.contains_key(&user.id)
            || tables.users.values().any(|u| u.email == user.email)
            || identity_keys
                .iter()
                .any(|k| tables.identities.contains_key(k))
        {
            return Err(StoreError::AlreadyExists);
        }
        for key in identity_keys {
            tables.identities.insert(key, user.id.clone());
        }
        tables.users.insert(user.id.clone(), user.clone());
        Ok(())
    }

    async fn user_by_identity(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<User>, StoreError> {
        let tables = self.lock();
        Ok(tables
            .identities
            .get(&LinkedIdentity::key(issuer, subject))
            .and_then(|id| tables.users.get(id))
            .cloned())
    }

    async fn link_identity(
        &self,
        user_id: &str,
        identity: &LinkedIdentity,
    ) -> Result<(), StoreError> {
        let mut tables = self.lock();
        let key = LinkedIdentity::key(&identity.issuer, &identity.subject);
        if tables.identities.contains_key(&key) {
            return Err(StoreError::AlreadyExists);
        }
        let user = tables
            .users
            .get_mut(user_id)
            .ok_or_else(|| StoreError::Corrupt(format!("no user {user_id}")))?;
        user.identities.push(identity.clone());
        tables.identities.insert(key, user_id.to_owned());
        Ok(())
    }

    async fn unlink_identity(
        &self,
        user_id: &str,
        issuer: &str,
        subject: &str,
    ) -> Result<bool, StoreError> {
        let mut tables = self.lock();
        let Some(user) = tables.users.get_mut(user_id) else {
            return Ok(false);
        };
        let before = user.identities.len();
        user.identities
            .retain(|i| !(i.issuer == issuer && i.subject == subject));
        if user.identities.len() == before {
            return Ok(false);
        }
        tables
            .identities
            .remove(&LinkedIdentity::key(issuer, subject));
        Ok(true)
    }

    async fn save_federated_sign_in(
        &self,
        hash: &SecretHash,
        sign_in: &FederatedSignIn,
    ) -> Result<(), StoreError> {
        self.lock()
            .federated_sign_ins
            .insert(hash.clone(), sign_in.clone());
        Ok(())
    }

    async fn take_federated_sign_in(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<FederatedSignIn>, StoreError> {
        Ok(self
            .lock()
            .federated_sign_ins
            .remove(hash)
            .filter(|s| now < s.expires_at))
    }

    async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        Ok(self.lock().users.get(id).cloned())
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        Ok(self
            .lock()
            .users
            .values()
            .find(|u| u.email == email)
            .cloned())
    }

    async fn update_user(&self, user: &User) -> Result<(), StoreError> {
        match self.lock().users.get_mut(&user.id) {
            Some(existing) if existing.email == user.email => {
                *existing = user.clone();
                Ok(())
            }
            Some(_) => Err(StoreError::Corrupt("a user's email cannot change".into())),
            None => Err(StoreError::Corrupt(format!("no user {}", user.id))),
        }
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let mut users: Vec<User> = self.lock().users.values().cloned().collect();
        users.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(users)
    }

    async fn save_session(&self, hash: &SecretHash, session: &Session) -> Result<(), StoreError> {
        self.lock().sessions.insert(hash.clone(), session.clone());
        Ok(())
    }

    async fn end_session(&self, hash: &SecretHash) -> Result<(), StoreError> {
        self.lock().sessions.remove(hash);
        Ok(())
    }

    async fn session(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<Session>, StoreError> {
        Ok(self
            .lock()
            .sessions
            .get(hash)
            .filter(|s| now < s.expires_at)
            .cloned())
    }
}
