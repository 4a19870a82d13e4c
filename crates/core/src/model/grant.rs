//! Grants: a user's approval of one client for one resource and scope, with its refresh token.

use crate::UnixTime;
use crate::model::{ClientId, RefreshState};
use crate::secret::{Secret, SecretHash, random_id};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Identifies a grant. Random, and part of the refresh token so a refresh needs one key lookup.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(transparent)]
pub struct GrantId(String);

impl GrantId {
    /// A fresh random id.
    pub fn generate() -> Self {
        Self(random_id())
    }

    /// Wraps a stored id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// A grant id a client or a browser sent, if it could be one (at most 64 characters of
    /// `[A-Za-z0-9_-]`): anything else is no grant, answered before the store is asked.
    pub fn parse(presented: &str) -> Option<Self> {
        is_identifier(presented).then(|| Self(presented.to_owned()))
    }

    /// The id as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A grant as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: GrantId,
    pub client_id: ClientId,
    /// The user (token `sub`).
    pub subject: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// RFC 8707 resource the grant's tokens are bound to.
    pub resource: String,
    pub created_at: UnixTime,
    /// The grant (and its refresh token) is gone from this instant; rotation extends it.
    pub expires_at: UnixTime,
    pub refresh: RefreshState,
    /// When its tokens were last used, to within [`LAST_USED_PRECISION`]: at the MCP function
    /// (once per that interval at most) or at a refresh. `None` until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<UnixTime>,
    /// Who approved it. Records written before this field existed were approved by their person.
    #[serde(default)]
    pub approved_by: Approval,
    /// What its tokens say about the person (absent on grants written before it was kept: their
    /// user is read instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<super::Person>,
}

/// Who approved a grant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// The person, on the consent page.
    #[default]
    Person,
    /// The person's organisation: its identity provider issued an Identity Assertion JWT
    /// Authorization Grant (Enterprise-Managed Authorization). Such a grant has no refresh token;
    /// the client comes back with a fresh assertion, so the organisation's policy is asked again.
    Enterprise,
}

impl Approval {
    /// The name shown on `/account` and to operators.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "consent",
            Self::Enterprise => "enterprise",
        }
    }
}

/// How stale a grant's "last used" may get: the resource server records a use only when the one
/// recorded is older, so a busy connection costs one write per grant per this interval, not one
/// per call.
pub const LAST_USED_PRECISION: std::time::Duration = std::time::Duration::from_secs(5 * 60);

impl Grant {
    /// Whether a use at `now` is worth recording (the recorded one is older than the precision).
    pub fn last_use_is_stale(&self, now: UnixTime) -> bool {
        self.last_used_at
            .is_none_or(|at| at + LAST_USED_PRECISION <= now)
    }
}

/// Whether `s` has the shape of the ids and secrets we issue: 1 to 64 URL-safe characters.
pub fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An opaque refresh token as the client sees it: `<grant id>.<secret>`. Only its hash is stored.
#[derive(Clone, Debug)]
pub struct RefreshToken {
    pub grant_id: GrantId,
    value: Secret,
}

impl RefreshToken {
    /// A new token for `grant_id`.
    pub fn generate(grant_id: &GrantId) -> Self {
        let secret = Secret::generate();
        Self {
            grant_id: grant_id.clone(),
            value: Secret::from_presented(format!("{grant_id}.{}", secret.expose())),
        }
    }

    /// The token that replaces this one: HMAC-SHA256 of this token under the grant's successor key.
    /// Deterministic, so a client retrying a refresh whose answer it lost gets the same successor
    /// (an idempotent retry); unpredictable without the key, which never leaves the table.
    pub fn successor(&self, key: &str) -> Self {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(self.expose().as_bytes());
        let secret = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        Self {
            grant_id: self.grant_id.clone(),
            value: Secret::from_presented(format!("{}.{secret}", self.grant_id)),
        }
    }

    /// Parses a presented token; `None` if it does not have our shape.
    pub fn parse(presented: &str) -> Option<Self> {
        let (grant, secret) = presented.split_once('.')?;
        (is_identifier(grant) && is_identifier(secret)).then(|| Self {
            grant_id: GrantId::new(grant),
            value: Secret::from_presented(presented),
        })
    }

    /// The value to hand to the client.
    pub fn expose(&self) -> &str {
        self.value.expose()
    }

    /// The stored form.
    pub fn hash(&self) -> SecretHash {
        self.value.hash()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_round_trip_and_carry_their_grant() {
        let grant = GrantId::generate();
        let token = RefreshToken::generate(&grant);
        let parsed = RefreshToken::parse(token.expose()).unwrap();
        assert_eq!(parsed.grant_id, grant);
        assert_eq!(parsed.hash(), token.hash());
    }

    #[test]
    fn successors_are_deterministic_per_key_and_well_formed() {
        let grant = GrantId::generate();
        let token = RefreshToken::generate(&grant);
        let next = token.successor("key one");
        assert_eq!(next.expose(), token.successor("key one").expose());
        assert_ne!(next.expose(), token.successor("key two").expose());
        assert_ne!(next.expose(), next.successor("key one").expose());
        let parsed = RefreshToken::parse(next.expose()).unwrap();
        assert_eq!(parsed.grant_id, grant);
    }

    #[test]
    fn malformed_refresh_tokens_are_rejected() {
        for bad in ["", "nodot", ".x", "x.", "a.b.c", "a b.c", &"a".repeat(200)] {
            assert!(RefreshToken::parse(bad).is_none(), "{bad:?}");
        }
    }
}
