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

/// What an access token says about its person (`email`, `name`): kept with the code and the grant
/// when a person approves, so issuing a token needs no read of the user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl From<&User> for Person {
    fn from(user: &User) -> Self {
        Self {
            email: user.email.clone(),
            name: user.name.clone(),
        }
    }
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
    /// Set when a signed-in person connects the provider for tools (the token vault) rather than
    /// signs in with it: their user id. The callback then needs the same person's session.
    #[serde(default)]
    pub connect_for: Option<String>,
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

/// An e-mail address in the one form every comparison uses: trimmed, ASCII letters lower-cased,
/// and nothing but ASCII. Unicode case folding would make look-alikes equal (the Kelvin sign `\u{212A}`
/// folds to `k`, so `\u{212A}ate@corp.example` would pass for `kate@corp.example`), so no other
/// character is folded, and addresses with non-ASCII characters are refused: internationalised
/// domains arrive in their `xn--` form, and non-ASCII local parts are not accepted.
pub fn normalize_email(raw: &str) -> Result<String, &'static str> {
    let trimmed = raw.trim();
    if !trimmed.is_ascii() {
        return Err("only ASCII e-mail addresses are accepted (domains in their xn-- form)");
    }
    let email = trimmed.to_ascii_lowercase();
    let valid = email.len() <= 254
        && !email
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
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

    #[test]
    fn unicode_case_folding_cannot_squat_an_address() {
        // The Kelvin sign folds to "k" under Unicode lower-casing; here it is refused instead.
        assert!(normalize_email("\u{212A}ate@corp.example").is_err());
        assert!(normalize_email("kate@corp.\u{212A}.example").is_err());
        assert!(
            normalize_email("k\u{0430}te@corp.example").is_err(),
            "Cyrillic a"
        );
        assert_eq!(
            normalize_email("KATE@Corp.Example").unwrap(),
            "kate@corp.example"
        );
        assert_eq!(
            normalize_email("kate@xn--bcher-kva.example").unwrap(),
            "kate@xn--bcher-kva.example"
        );
    }
}
