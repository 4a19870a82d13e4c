//! The authorization server's records: clients, consent transactions, codes, grants and revoked
//! access tokens. The resource server sees only [`GrantReader`], the reads revocation needs.

use super::StoreError;
use crate::UnixTime;
use crate::model::{
    AuthorizationCode, Client, ClientId, CodeRecord, CodeRedemption, ConsentRequest, Grant,
    GrantId, RefreshPolicy, Rotation,
};
use crate::secret::SecretHash;
use async_trait::async_trait;

/// A record as read, with the revision a conditional write compares against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    pub value: T,
    pub revision: u64,
}

/// What the resource server may read: whether a token's grant, client and id still stand.
#[async_trait]
pub trait GrantReader: Send + Sync + 'static {
    /// A registered, unexpired client.
    async fn client(&self, id: &ClientId, now: UnixTime) -> Result<Option<Client>, StoreError>;

    /// An unexpired grant.
    async fn grant(&self, id: &GrantId, now: UnixTime) -> Result<Option<Grant>, StoreError>;

    /// Whether `jti` was revoked (RFC 7009), until it would have expired.
    async fn is_access_token_revoked(&self, jti: &str, now: UnixTime) -> Result<bool, StoreError>;

    /// Records that the grant's tokens were used at `now`, unless a use within
    /// [`crate::model::LAST_USED_PRECISION`] is already recorded (or the grant is gone): the one
    /// write the resource server makes about grants.
    async fn touch_grant(&self, id: &GrantId, now: UnixTime) -> Result<(), StoreError>;
}

/// The authorization server's verbs.
#[async_trait]
pub trait GrantStore: GrantReader + Send + Sync + 'static {
    /// Registers a new client. Fails with [`StoreError::AlreadyExists`] if the id is taken.
    async fn save_client(&self, client: &Client) -> Result<(), StoreError>;

    /// Deletes a client; `true` if it existed.
    async fn delete_client(&self, id: &ClientId) -> Result<bool, StoreError>;

    /// Every registered client (administration).
    async fn clients(&self) -> Result<Vec<Client>, StoreError>;

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

    /// An unexpired grant with the revision [`Self::rotate_refresh`] writes against.
    async fn grant_for_update(
        &self,
        id: &GrantId,
        now: UnixTime,
    ) -> Result<Option<Versioned<Grant>>, StoreError>;

    /// A client and an unexpired grant with its revision, read together: what a refresh needs
    /// (the client to authenticate the request, the grant to rotate). One round trip where the
    /// store can batch reads (DynamoDB's `BatchGetItem`).
    async fn client_and_grant_for_update(
        &self,
        client: &ClientId,
        grant: &GrantId,
        now: UnixTime,
    ) -> Result<(Option<Client>, Option<Versioned<Grant>>), StoreError> {
        Ok((
            self.client(client, now).await?,
            self.grant_for_update(grant, now).await?,
        ))
    }

    /// Applies [`crate::model::RefreshState::decide`] to `read` (the grant as
    /// [`Self::grant_for_update`] returned it for this request: a refusal — duplicate, replay,
    /// unknown token — is decided from it without another read) and writes a rotation only if the
    /// grant is still at that revision; if it moved on (a concurrent rotation, a revocation), reads
    /// it again and decides again.
    /// Concurrent rotations of one token serialise, so exactly one live token remains; with no
    /// contention a refresh costs the one read and one conditional write.
    async fn rotate_refresh(
        &self,
        read: Versioned<Grant>,
        presented: &SecretHash,
        next: SecretHash,
        now: UnixTime,
        policy: RefreshPolicy,
    ) -> Result<Rotation, StoreError>;

    /// Revokes a grant and with it its refresh tokens; `true` if it existed.
    async fn revoke_grant(&self, id: &GrantId) -> Result<bool, StoreError>;

    /// Records that the access token `jti` is revoked (RFC 7009) until it would have expired.
    async fn revoke_access_token(&self, jti: &str, expires_at: UnixTime) -> Result<(), StoreError>;

    /// Marks the one-time value `key` (a client assertion's or an ID-JAG's `jti`, namespaced by
    /// its issuer) used until `expires_at`: `true` on its first use, `false` while an earlier use
    /// is remembered. A conditional write, so of any number of concurrent or later presentations,
    /// on any instance, exactly one is first.
    async fn first_use(
        &self,
        key: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<bool, StoreError>;

    /// Every grant, or those of one user (administration: a scan).
    async fn grants(&self, subject: Option<&str>) -> Result<Vec<Grant>, StoreError>;

    /// The live grants of one user, oldest first (their connected apps: read by key, never a
    /// scan).
    async fn user_grants(&self, subject: &str, now: UnixTime) -> Result<Vec<Grant>, StoreError>;
}
