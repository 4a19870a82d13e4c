//! Who may approve a consent request: the seam between the authorization endpoint and accounts.
//!
//! The authorization endpoint asks a [`ResourceOwner`] who is signed in on this browser (to show on
//! the consent page) and who is approving (from the submitted form or the session). The deployed
//! implementation is [`crate::sign_in::Accounts`]: users in the store, Argon2id passwords, a
//! throttle, and a short session.

use crate::params::Params;
use async_trait::async_trait;
use axum::http::HeaderMap;
use remote_mcp_core::{StoreError, UnixTime};

/// Someone signed in on this browser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedIn {
    /// Stable user id (the token `sub`).
    pub subject: String,
    /// Shown on the consent page.
    pub email: String,
}

/// An identified approver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approver {
    pub subject: String,
    /// What the approver's tokens will say about them.
    pub person: remote_mcp_core::model::Person,
    /// A session cookie to set, after a password sign-in.
    pub set_cookie: Option<String>,
}

/// Why an approval cannot be attributed to anyone. The messages are what the user sees: the same
/// for a wrong password, an unknown email and a disabled account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("Sign in to approve.")]
    Required,
    #[error("The email or password is not right.")]
    InvalidCredentials,
    #[error("Too many failed attempts. Wait a few minutes and try again.")]
    Throttled,
    #[error("Signing in is unavailable right now. Try again shortly.")]
    Unavailable,
}

/// The submitted consent form, as far as sign-in is concerned.
pub struct ApprovalRequest<'a> {
    pub headers: &'a HeaderMap,
    pub form: &'a Params,
    /// The client's network address (for the per-source throttle).
    pub source: &'a str,
    pub now: UnixTime,
}

/// Identifies the person approving a consent request.
#[async_trait]
pub trait ResourceOwner: Send + Sync + 'static {
    /// Who is signed in on this browser, if anyone; `Err` when the store cannot say.
    async fn signed_in(
        &self,
        headers: &HeaderMap,
        now: UnixTime,
    ) -> Result<Option<SignedIn>, StoreError>;
    /// Who is approving: from the form's credentials, else from the session.
    async fn approve(&self, request: &ApprovalRequest<'_>) -> Result<Approver, SignInError>;
}
