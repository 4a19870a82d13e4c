//! The embedded store: a mutex over hash maps, with the same semantics as DynamoDB (expiry checked
//! on read, atomic verbs). The default for `make run` and for fast tests.

mod accounts;
mod connections;
mod grants;
mod notes;
mod tasks;
mod throttle;

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
pub(super) fn insert_new<K: Eq + Hash, V>(
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
pub(super) struct Tables {
    pub(super) clients: HashMap<ClientId, Client>,
    pub(super) consents: HashMap<SecretHash, ConsentRequest>,
    pub(super) revoked_tokens: HashMap<String, UnixTime>,
    /// One-time value → remembered until.
    pub(super) used_once: HashMap<String, UnixTime>,
    /// (owner, note id) → note; ordered, so one owner's notes are a contiguous, sorted range.
    pub(super) notes: BTreeMap<(String, String), Note>,
    /// (owner, id) → task.
    pub(super) tasks: HashMap<(String, String), TaskRecord>,
    /// (person, provider) → connection and its revision; ordered, so one person's are a range.
    pub(super) connections: BTreeMap<(String, String), (Connection, u64)>,
    /// The next revision handed out (never reused, even after a delete).
    pub(super) connection_revisions: u64,
    pub(super) users: HashMap<String, User>,
    pub(super) sessions: HashMap<SecretHash, Session>,
    /// [`LinkedIdentity::key`] → user id.
    pub(super) identities: HashMap<String, String>,
    pub(super) federated_sign_ins: HashMap<SecretHash, FederatedSignIn>,
    /// (key, window start) → attempts.
    pub(super) attempts: HashMap<(String, UnixTime), u32>,
    pub(super) codes: HashMap<SecretHash, CodeRecord>,
    pub(super) grants: HashMap<GrantId, Grant>,
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

    pub(super) fn lock(&self) -> MutexGuard<'_, Tables> {
        // A panic while holding the lock cannot leave a half-applied verb behind (each verb's
        // writes are single map operations), so a poisoned lock is safe to reuse.
        self.tables.lock().unwrap_or_else(|p| p.into_inner())
    }
}
