//! The people who may approve connections: users and their sign-in sessions. (The attempt counters
//! that throttle sign-in and anonymous writes are [`super::Throttle`]'s.)

use super::{StoreError, Throttle};
use crate::UnixTime;
use crate::model::{FederatedSignIn, LinkedIdentity, Session, User};
use crate::secret::SecretHash;
use async_trait::async_trait;

/// Accounts and sessions. Every account store also keeps attempt counters ([`Throttle`]): sign-in
/// reserves its attempts in the same table.
#[async_trait]
pub trait AccountStore: Throttle + Send + Sync + 'static {
    /// Creates a user, with the identities it lists. Fails with [`StoreError::AlreadyExists`] if
    /// the email is taken or one of the identities is linked already.
    async fn create_user(&self, user: &User) -> Result<(), StoreError>;

    /// The user an identity provider's account is linked to.
    async fn user_by_identity(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<User>, StoreError>;

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

    /// Ends a sign-in session (sign-out): it is gone on every instance at once.
    async fn end_session(&self, hash: &SecretHash) -> Result<(), StoreError>;

    /// Links an identity provider's account to an existing user (an operator's decision). Fails
    /// with [`StoreError::AlreadyExists`] if it is linked already, to anyone.
    async fn link_identity(
        &self,
        user_id: &str,
        identity: &LinkedIdentity,
    ) -> Result<(), StoreError>;

    /// Removes a link of the user's; `false` if the user had no such link.
    async fn unlink_identity(
        &self,
        user_id: &str,
        issuer: &str,
        subject: &str,
    ) -> Result<bool, StoreError>;

    /// Keeps a sign-in at an identity provider under the hash of its `state`.
    async fn save_federated_sign_in(
        &self,
        hash: &SecretHash,
        sign_in: &FederatedSignIn,
    ) -> Result<(), StoreError>;

    /// Takes an unexpired sign-in at an identity provider: only one caller ever gets it.
    async fn take_federated_sign_in(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<FederatedSignIn>, StoreError>;
}
