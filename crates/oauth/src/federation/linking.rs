//! Finding the user an identity provider vouches for (a federated sign-in, or an organisation's
//! ID-JAG): by (issuer, subject), never by e-mail alone.

use remote_mcp_core::model::{LinkedIdentity, User};
use remote_mcp_core::{AccountStore, StoreError, UnixTime};

/// Someone an identity provider vouches for, to find or create as a user: by (issuer, subject),
/// never by e-mail alone.
pub struct Linking<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
    /// Normalised and allowed.
    pub email: &'a str,
    pub name: Option<&'a str>,
}

/// Whom a [`Linking`] found.
pub enum Linked {
    /// The linked user (created now, on a first sign-in).
    User(User),
    /// The e-mail belongs to an account that is not linked to this identity.
    EmailTaken,
}

impl Linking<'_> {
    /// The user linked to this identity; on a first sign-in, a new user linked to it.
    pub async fn user(
        &self,
        accounts: &dyn AccountStore,
        now: UnixTime,
    ) -> Result<Linked, StoreError> {
        if let Some(user) = accounts.user_by_identity(self.issuer, self.subject).await? {
            return Ok(Linked::User(user));
        }
        let identity = LinkedIdentity {
            issuer: self.issuer.to_owned(),
            subject: self.subject.to_owned(),
            linked_at: now,
        };
        // The provider's name for the person goes into tokens and onto pages: same rules as a
        // client's name.
        let user = User {
            name: self.name.and_then(crate::text::display_name),
            ..User::federated(self.email.to_owned(), identity, now)
        };
        match accounts.create_user(&user).await {
            Ok(()) => {
                tracing::info!(user = user.id, issuer = self.issuer, "user created");
                Ok(Linked::User(user))
            }
            // A concurrent first sign-in of the same person, or someone else's e-mail.
            Err(StoreError::AlreadyExists) => Ok(
                match accounts.user_by_identity(self.issuer, self.subject).await? {
                    Some(user) => Linked::User(user),
                    None => Linked::EmailTaken,
                },
            ),
            Err(err) => Err(err),
        }
    }
}
