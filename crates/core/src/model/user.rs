//! User accounts: who may approve a client. The token `sub` is the stable [`User::id`], never the
//! email, so an address can change without orphaning grants or notes.

use crate::UnixTime;
use crate::secret::random_id;
use serde::{Deserialize, Serialize};

/// A user account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Stable random id (the token `sub`).
    pub id: String,
    /// Normalised email (see [`normalize_email`]); unique.
    pub email: String,
    /// Argon2id PHC string (salt and parameters included).
    pub password_hash: String,
    pub created_at: UnixTime,
    /// Set when an administrator disabled the account.
    pub disabled_at: Option<UnixTime>,
    /// Accounts at identity providers that sign in as this user.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<LinkedIdentity>,
    /// The person's name, as an identity provider gave it on the first sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A person's account at an identity provider, linked to a user. Found again by its issuer and
/// subject, the provider's stable identifier; never by e-mail, which a provider may let anyone
/// claim or reassign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedIdentity {
    /// The provider's issuer (an OpenID Connect `iss`, or `https://github.com`).
    pub issuer: String,
    /// The person's stable id there (`sub`, or GitHub's numeric user id).
    pub subject: String,
    pub linked_at: UnixTime,
}

impl LinkedIdentity {
    /// The one value that names this identity in the store (issuer and subject cannot run together).
    pub fn key(issuer: &str, subject: &str) -> String {
        crate::secret::SecretHash::of(&format!("{issuer}\n{subject}"))
            .as_str()
            .to_owned()
    }
}

/// A sign-in at an identity provider in progress: kept under the hash of the `state` sent there,
/// and taken (once) by the callback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederatedSignIn {
    /// The provider's id in our configuration.
    pub provider: String,
    /// The OpenID Connect `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier for the code exchange.
    pub code_verifier: String,
    /// The authorization request (our `/authorize` query) to return to.
    pub return_to: String,
    pub expires_at: UnixTime,
}

impl User {
    /// A new, enabled user.
    pub fn new(email: String, password_hash: String, now: UnixTime) -> Self {
        Self {
            id: random_id(),
            email,
            password_hash,
            created_at: now,
            disabled_at: None,
            identities: Vec::new(),
            name: None,
        }
    }

    /// A new, enabled user who signs in only through `identity` (no password).
    pub fn federated(email: String, identity: LinkedIdentity, now: UnixTime) -> Self {
        Self {
            identities: vec![identity],
            ..Self::new(email, String::new(), now)
        }
    }

    /// Whether the account may sign in.
    pub fn is_enabled(&self) -> bool {
        self.disabled_at.is_none()
    }
}

/// Trims and lower-cases an email address and checks its basic shape.
pub fn normalize_email(raw: &str) -> Result<String, &'static str> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if valid {
        Ok(email)
    } else {
        Err("not an email address")
    }
}

/// A signed-in browser: stored under the hash of its random cookie value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: String,
    pub expires_at: UnixTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            normalize_email("  Alice@Example.COM ").unwrap(),
            "alice@example.com"
        );
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "a b@example.com",
            "a@b@c",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
    }
}
