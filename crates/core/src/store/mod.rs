//! Persistence as domain verbs.
//!
//! [`Store`] speaks the language of the authorization server (save a client, take a code exactly
//! once, rotate a refresh token), not CRUD, so each verb can be made atomic by the backend that
//! implements it. Every read takes `now` and hides expired records itself: DynamoDB's TTL deletes
//! lag by up to two days, and the in-memory store never deletes on its own.
//!
//! Two implementations pass one contract suite (`crates/core/tests/store_contract.rs`):
//! [`MemoryStore`] for local development and fast tests, [`DynamoStore`] for AWS.

mod dynamo;
mod memory;
pub mod table;

pub use dynamo::{DynamoStore, timeouts};
pub use memory::MemoryStore;

use crate::UnixTime;
use crate::model::{
    AuthorizationCode, Client, ClientId, CodeRecord, CodeRedemption, ConsentRequest, Grant,
    GrantId, Note, RefreshPolicy, Rotation, Session, User,
};
use crate::secret::SecretHash;
use async_trait::async_trait;
use std::time::Duration;

/// A store failure that is not a domain outcome: the backend is unreachable, throttled, or holds
/// data we cannot read. Callers answer `server_error` and log it; it is never shown to clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage backend: {0}")]
    Backend(String),
    #[error("stored record is unreadable: {0}")]
    Corrupt(String),
    #[error("a record with this key already exists")]
    AlreadyExists,
}

/// The persistence verbs of remote-mcp.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Registers a new client. Fails with [`StoreError::AlreadyExists`] if the id is taken.
    async fn save_client(&self, client: &Client) -> Result<(), StoreError>;
    /// A registered, unexpired client.
    async fn client(&self, id: &ClientId, now: UnixTime) -> Result<Option<Client>, StoreError>;
    /// Deletes a client; `true` if it existed.
    async fn delete_client(&self, id: &ClientId) -> Result<bool, StoreError>;

    /// Parks a consent request under the hash of its one-time transaction id.
    async fn save_consent(
        &self,
        hash: &SecretHash,
        request: &ConsentRequest,
    ) -> Result<(), StoreError>;
    /// Reads a consent request without taking it (unexpired only).
    async fn consent(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<ConsentRequest>, StoreError>;
    /// Takes a consent request **exactly once** (unexpired only); later calls get `None`.
    async fn take_consent(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<ConsentRequest>, StoreError>;

    /// Stores an authorization code under the hash of its value.
    async fn save_code(
        &self,
        hash: &SecretHash,
        code: &AuthorizationCode,
    ) -> Result<(), StoreError>;
    /// Reads a code without consuming it (unexpired only), to validate a token request first.
    async fn code(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<CodeRecord>, StoreError>;
    /// Redeems a code **exactly once**, atomically creating `grant` with it. Concurrent callers
    /// see one [`CodeRedemption::Redeemed`]; every other sees the winner's grant id.
    async fn take_code(
        &self,
        hash: &SecretHash,
        grant: &Grant,
        now: UnixTime,
    ) -> Result<CodeRedemption, StoreError>;

    /// Creates a grant. Fails with [`StoreError::AlreadyExists`] if the id is taken.
    async fn create_grant(&self, grant: &Grant) -> Result<(), StoreError>;
    /// An unexpired grant.
    async fn grant(&self, id: &GrantId, now: UnixTime) -> Result<Option<Grant>, StoreError>;
    /// Applies [`crate::model::RefreshState::decide`] to the stored grant atomically: concurrent
    /// rotations of one token serialise, so exactly one live token remains.
    async fn rotate_refresh(
        &self,
        id: &GrantId,
        presented: &SecretHash,
        next: SecretHash,
        now: UnixTime,
        policy: RefreshPolicy,
    ) -> Result<Rotation, StoreError>;
    /// Revokes a grant and with it its refresh tokens; `true` if it existed.
    async fn revoke_grant(&self, id: &GrantId) -> Result<bool, StoreError>;

    /// Records that the access token `jti` is revoked (RFC 7009) until it would have expired.
    async fn revoke_access_token(&self, jti: &str, expires_at: UnixTime) -> Result<(), StoreError>;
    /// Whether `jti` was revoked (consulted by introspection; the resource server's hot path
    /// verifies tokens in memory and relies on their short lifetime instead).
    async fn is_access_token_revoked(&self, jti: &str, now: UnixTime) -> Result<bool, StoreError>;

    /// Stores a new note.
    async fn save_note(&self, note: &Note) -> Result<(), StoreError>;
    /// One of `owner`'s notes.
    async fn note(&self, owner: &str, id: &str) -> Result<Option<Note>, StoreError>;
    /// All of `owner`'s notes, oldest first.
    async fn notes(&self, owner: &str) -> Result<Vec<Note>, StoreError>;
    /// Deletes one of `owner`'s notes; `true` if it existed.
    async fn delete_note(&self, owner: &str, id: &str) -> Result<bool, StoreError>;

    /// Creates a user. Fails with [`StoreError::AlreadyExists`] if the email is taken.
    async fn create_user(&self, user: &User) -> Result<(), StoreError>;
    /// A user by id.
    async fn user(&self, id: &str) -> Result<Option<User>, StoreError>;
    /// A user by normalised email.
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;
    /// Replaces an existing user's record (password reset, disabling); the email cannot change.
    async fn update_user(&self, user: &User) -> Result<(), StoreError>;
    /// Every user (administration).
    async fn users(&self) -> Result<Vec<User>, StoreError>;

    /// Stores a sign-in session under the hash of its cookie value.
    async fn save_session(&self, hash: &SecretHash, session: &Session) -> Result<(), StoreError>;
    /// An unexpired session.
    async fn session(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<Session>, StoreError>;

    /// Counts one attempt (a failed sign-in, a registration) against `key` in the fixed window
    /// containing `now`; returns the window's count so far. Atomic, so limits hold across Lambda
    /// instances.
    async fn count_attempt(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
    ) -> Result<u32, StoreError>;
    /// Attempts counted against `key` in the window containing `now`.
    async fn attempts(&self, key: &str, now: UnixTime, window: Duration)
    -> Result<u32, StoreError>;
    /// Reserves one of `limit` attempts against `key` in the window containing `now`, before the
    /// attempt is made: `true` if it was counted, `false` (nothing counted) if `limit` attempts are
    /// already counted. Atomic: of any number of concurrent callers, at most `limit` per window
    /// get `true`, on every instance.
    async fn reserve_attempt(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
        limit: u32,
    ) -> Result<bool, StoreError>;
    /// Gives back an attempt reserved in the window containing `now` (it turned out to be a
    /// success, which is not held against anyone).
    async fn release_attempt(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
    ) -> Result<(), StoreError>;

    /// Every registered client (administration).
    async fn clients(&self) -> Result<Vec<Client>, StoreError>;
    /// Every grant, or those of one user (administration).
    async fn grants(&self, subject: Option<&str>) -> Result<Vec<Grant>, StoreError>;
}

/// The start of the fixed throttle window containing `now`.
pub fn window_start(now: UnixTime, window: Duration) -> UnixTime {
    let length = i64::try_from(window.as_secs().max(1)).unwrap_or(i64::MAX);
    UnixTime(now.seconds() - now.seconds().rem_euclid(length))
}
