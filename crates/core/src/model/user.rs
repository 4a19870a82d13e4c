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
