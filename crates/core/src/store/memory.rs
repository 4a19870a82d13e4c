//! The embedded store: a mutex over hash maps, with the same semantics as DynamoDB (expiry checked
//! on read, atomic verbs). The default for `make run` and for fast tests.

use super::{
    AccountStore, ConnectionStore, GrantReader, GrantStore, NoteStore, StoreError, TaskChange,
    TaskStore, Throttle, Versioned, window_start,
};
use crate::UnixTime;
use crate::model::{
    AuthorizationCode, Client, ClientId, CodeRecord, CodeRedemption, Connection, ConsentRequest,
    FederatedSignIn, Grant, GrantId, LinkedIdentity, Note, RefreshDecision, RefreshPolicy,
    Rotation, Session, TaskRecord, TaskState, User,
};
use crate::secret::SecretHash;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Inserts a record that must not exist yet (a conditional put, as in DynamoDB).
fn insert_new<K: Eq + Hash, V>(
    map: &mut HashMap<K, V>,
    key: K,
    value: V,
) -> Result<(), StoreError> {
    match map.entry(key) {
        Entry::Occupied(_) => Err(StoreError::AlreadyExists),
        Entry::Vacant(v) => {
            v.insert(value);
            Ok(())
        }
    }
}

#[derive(Default)]
struct Tables {
    clients: HashMap<ClientId, Client>,
    consents: HashMap<SecretHash, ConsentRequest>,
    revoked_tokens: HashMap<String, UnixTime>,
    /// One-time value → remembered until.
    used_once: HashMap<String, UnixTime>,
    /// (owner, note id) → note; ordered, so one owner's notes are a contiguous, sorted range.
    notes: BTreeMap<(String, String), Note>,
    /// (owner, id) → task.
    tasks: HashMap<(String, String), TaskRecord>,
    /// (person, provider) → connection and its revision; ordered, so one person's are a range.
    connections: BTreeMap<(String, String), (Connection, u64)>,
    /// The next revision handed out (never reused, even after a delete).
    connection_revisions: u64,
    users: HashMap<String, User>,
    sessions: HashMap<SecretHash, Session>,
    /// [`LinkedIdentity::key`] → user id.
    identities: HashMap<String, String>,
    federated_sign_ins: HashMap<SecretHash, FederatedSignIn>,
    /// (key, window start) → attempts.
    attempts: HashMap<(String, UnixTime), u32>,
    codes: HashMap<SecretHash, CodeRecord>,
    grants: HashMap<GrantId, Grant>,
}

/// In-process store. Every verb holds the lock for its whole read-decide-write, which is what
/// makes it atomic; no verb awaits while holding it.
#[derive(Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Tables> {
        // A panic while holding the lock cannot leave a half-applied verb behind (each verb's
        // writes are single map operations), so a poisoned lock is safe to reuse.
        self.tables.lock().unwrap_or_else(|p| p.into_inner())
    }
}

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

#[async_trait]
impl Throttle for MemoryStore {
    async fn count_attempt(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let mut tables = self.lock();
        let count = tables
            .attempts
            .entry((key.to_owned(), window_start(now, window)))
            .or_insert(0);
        *count += 1;
        Ok(*count)
    }

    async fn attempts(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
    ) -> Result<u32, StoreError> {
        Ok(self
            .lock()
            .attempts
            .get(&(key.to_owned(), window_start(now, window)))
            .copied()
            .unwrap_or(0))
    }

    async fn reserve_attempt(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
        limit: u32,
    ) -> Result<bool, StoreError> {
        let mut tables = self.lock();
        let count = tables
            .attempts
            .entry((key.to_owned(), window_start(now, window)))
            .or_insert(0);
        if *count >= limit {
            return Ok(false);
        }
        *count += 1;
        Ok(true)
    }

    async fn release_attempt(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
    ) -> Result<(), StoreError> {
        if let Some(count) = self
            .lock()
            .attempts
            .get_mut(&(key.to_owned(), window_start(now, window)))
        {
            *count = count.saturating_sub(1);
        }
        Ok(())
    }
}

#[async_trait]
impl TaskStore for MemoryStore {
    async fn create_task(&self, task: &TaskRecord) -> Result<(), StoreError> {
        let key = (task.caller.subject.clone(), task.id.clone());
        insert_new(&mut self.lock().tasks, key, task.clone())
    }

    async fn task(
        &self,
        owner: &str,
        id: &str,
        now: UnixTime,
    ) -> Result<Option<TaskRecord>, StoreError> {
        Ok(self
            .lock()
            .tasks
            .get(&(owner.to_owned(), id.to_owned()))
            .filter(|t| now < t.expires_at)
            .map(|t| t.clone().observed(now)))
    }

    async fn tasks_in_flight(&self, owner: &str, now: UnixTime) -> Result<usize, StoreError> {
        Ok(self
            .lock()
            .tasks
            .values()
            .filter(|t| t.caller.subject == owner && now < t.expires_at)
            .filter(|t| t.state_at(now) == TaskState::Working)
            .count())
    }

    async fn change_task(
        &self,
        owner: &str,
        id: &str,
        now: UnixTime,
        change: TaskChange<'_>,
    ) -> Result<Option<TaskRecord>, StoreError> {
        let mut tables = self.lock();
        let Some(task) = tables
            .tasks
            .get_mut(&(owner.to_owned(), id.to_owned()))
            .filter(|t| now < t.expires_at)
        else {
            return Ok(None);
        };
        *task = task.clone().observed(now);
        change(task);
        Ok(Some(task.clone()))
    }
}

#[async_trait]
impl NoteStore for MemoryStore {
    async fn save_note(&self, note: &Note) -> Result<(), StoreError> {
        let key = (note.owner.clone(), note.id.clone());
        let mut tables = self.lock();
        if tables.notes.contains_key(&key) {
            return Err(StoreError::AlreadyExists);
        }
        tables.notes.insert(key, note.clone());
        Ok(())
    }

    async fn note(&self, owner: &str, id: &str) -> Result<Option<Note>, StoreError> {
        Ok(self
            .lock()
            .notes
            .get(&(owner.to_owned(), id.to_owned()))
            .cloned())
    }

    async fn notes(&self, owner: &str) -> Result<Vec<Note>, StoreError> {
        Ok(self
            .lock()
            .notes
            .range((owner.to_owned(), String::new())..)
            .take_while(|((o, _), _)| o == owner)
            .map(|(_, n)| n.clone())
            .collect())
    }

    async fn delete_note(&self, owner: &str, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .lock()
            .notes
            .remove(&(owner.to_owned(), id.to_owned()))
            .is_some())
    }
}

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
