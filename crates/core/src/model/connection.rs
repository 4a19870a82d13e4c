//! A person's connection to a provider's API: the tokens the provider gave, kept sealed in the
//! [`crate::vault`] so tools can call that API as the person ([`crate::upstream`]).

use crate::UnixTime;
use crate::vault::Sealed;
use serde::{Deserialize, Serialize};
use std::fmt;
use zeroize::Zeroize;

/// One person's connection to one provider, as stored. Nothing in it is usable without the
/// vault's key: the tokens are in `sealed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// Our user id.
    pub person: String,
    /// The provider's id in `IDENTITY_PROVIDERS`.
    pub provider: String,
    /// Who the person is at the provider (its subject), shown on the account page.
    pub account: String,
    /// The [`UpstreamTokens`], sealed for this person and provider.
    pub sealed: Sealed,
    pub connected_at: UnixTime,
    /// When the tokens were last refreshed.
    #[serde(default)]
    pub refreshed_at: Option<UnixTime>,
    /// While a refresh runs somewhere: which one, and until when it may hold the connection.
    #[serde(default)]
    pub refreshing: Option<RefreshLock>,
}

/// A refresh in progress: one at a time per person and provider, across containers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshLock {
    pub holder: String,
    pub until: UnixTime,
}

impl Connection {
    /// Whether a refresh other than `holder`'s holds the connection at `now`.
    pub fn refreshing_elsewhere(&self, holder: &str, now: UnixTime) -> bool {
        self.refreshing
            .as_ref()
            .is_some_and(|lock| lock.holder != holder && now < lock.until)
    }
}

/// What a provider's token endpoint gave: the plaintext inside [`Connection::sealed`]. Wiped
/// when dropped, and never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamTokens {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// When the access token expires (epoch seconds); `None` when the provider did not say.
    #[serde(default)]
    pub expires_at: Option<UnixTime>,
    #[serde(default)]
    pub scope: Option<String>,
}

impl fmt::Debug for UpstreamTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamTokens")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish()
    }
}

impl Drop for UpstreamTokens {
    fn drop(&mut self) {
        self.access_token.zeroize();
        self.refresh_token.zeroize();
    }
}

impl UpstreamTokens {
    /// Whether the access token is still good for `margin` after `now` (a token without an
    /// expiry is taken as good until the provider refuses it).
    pub fn fresh_at(&self, now: UnixTime, margin: std::time::Duration) -> bool {
        self.expires_at.is_none_or(|at| now + margin < at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_print() {
        let tokens = UpstreamTokens {
            access_token: "ya29.secret-access".into(),
            refresh_token: Some("1//secret-refresh".into()),
            expires_at: None,
            scope: Some("openid".into()),
        };
        let printed = format!("{tokens:?}");
        assert!(!printed.contains("secret"), "{printed}");
    }

    #[test]
    fn a_lock_holds_until_it_lapses() {
        let now = UnixTime(1_000);
        let mut connection = Connection {
            person: "u".into(),
            provider: "p".into(),
            account: "a".into(),
            sealed: Sealed {
                key_id: "k".into(),
                wrapped_key: String::new(),
                nonce: String::new(),
                ciphertext: String::new(),
            },
            connected_at: now,
            refreshed_at: None,
            refreshing: Some(RefreshLock {
                holder: "one".into(),
                until: UnixTime(1_030),
            }),
        };
        assert!(connection.refreshing_elsewhere("two", now));
        assert!(!connection.refreshing_elsewhere("one", now));
        assert!(!connection.refreshing_elsewhere("two", UnixTime(1_030)));
        connection.refreshing = None;
        assert!(!connection.refreshing_elsewhere("two", now));
    }
}
