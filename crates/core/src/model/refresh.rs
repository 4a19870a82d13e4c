//! Refresh-token rotation with one step of grace and reuse detection (OAuth 2.1 §4.3.1,
//! RFC 9700 §4.14.2).
//!
//! Every successful refresh replaces the grant's token. Clients lose responses (Claude has been seen
//! retrying a refresh it already made), so the token just replaced may be presented again within a
//! short grace (`REFRESH_GRACE_SECONDS`, 2 minutes by default), as long as its successor has not been
//! used. Such a retry is idempotent: the successor is derived from the presented token with the
//! grant's own key ([`crate::model::RefreshToken::successor`]), so every retry gets the very token the
//! first answer carried and nothing changes — no new member of the token family is minted. A
//! retired token presented after that is a replay: somebody else holds a copy, and the caller
//! revokes the grant.
//!
//! [`RefreshState::decide`] is pure; both stores apply its decision atomically (a mutex in memory,
//! an optimistic-concurrency conditional write in DynamoDB), so they cannot disagree.

use crate::UnixTime;
use crate::model::Grant;
use crate::secret::SecretHash;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How many retired token hashes a grant remembers for replay detection.
const RETIRED_MEMORY: usize = 16;

/// Tunables of the rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// How long after a rotation the replaced token may be retried once.
    pub grace: Duration,
    /// How far each rotation extends the grant's life.
    pub lifetime: Duration,
}

/// The refresh-token state of a grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshState {
    /// The token the client should present next.
    pub current: SecretHash,
    /// The token `current` replaced, retryable (idempotently) until `grace_until`.
    pub previous: Option<SecretHash>,
    pub grace_until: UnixTime,
    /// Older tokens, remembered so that presenting one is recognised as a replay.
    pub retired: Vec<SecretHash>,
    /// The grant's key for deriving each successor token from the token presented. Grants stored
    /// before it existed get one the first time they rotate.
    #[serde(default = "successor_key")]
    pub successor_key: String,
}

/// A new random key for [`RefreshState::successor_key`].
pub fn successor_key() -> String {
    crate::secret::Secret::generate().expose().to_owned()
}

/// What to do with a presented refresh token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefreshDecision {
    /// Accept, and store this state (which makes `next` current).
    Rotate(RefreshState),
    /// The just-replaced token again within the grace, with a successor other than the one derived
    /// (a grant from before successor keys): refuse, keep the grant.
    Duplicate,
    /// A retired token: refuse and revoke the grant.
    Replayed,
    /// Not a token of this grant.
    Unknown,
}

/// Result of [`crate::GrantStore::rotate_refresh`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// Rotated; the grant as now stored.
    Rotated(Grant),
    /// Refused: a duplicate within the grace window that cannot be answered idempotently. The
    /// grant is intact.
    Duplicate,
    /// Refused: a retired token was replayed. The caller should revoke this grant.
    Replayed(Grant),
    /// Refused: no such grant (expired, revoked) or not one of its tokens.
    Unknown,
}

impl RefreshState {
    /// The state of a new grant whose first token hashes to `first`.
    pub fn new(first: SecretHash) -> Self {
        Self {
            current: first,
            previous: None,
            grace_until: UnixTime(0),
            retired: Vec::new(),
            successor_key: successor_key(),
        }
    }

    /// Decides what presenting `presented` means at `now`, with `next` as the would-be successor
    /// (derived from the presented token, so a retry names the successor the first attempt made).
    pub fn decide(
        &self,
        presented: &SecretHash,
        next: SecretHash,
        now: UnixTime,
        policy: RefreshPolicy,
    ) -> RefreshDecision {
        if presented.ct_eq(&self.current) {
            // The expected case: the current token rotates; it becomes `previous` with one retry.
            let mut retired = self.retired.clone();
            retired.extend(self.previous.clone());
            return RefreshDecision::Rotate(Self {
                current: next,
                previous: Some(self.current.clone()),
                grace_until: now + policy.grace,
                retired: keep_recent(retired),
                successor_key: self.successor_key.clone(),
            });
        }
        let is_previous = self.previous.as_ref().is_some_and(|p| presented.ct_eq(p));
        if is_previous && now < self.grace_until {
            // A retry after a lost response: the same successor again, the state unchanged.
            if next.ct_eq(&self.current) {
                return RefreshDecision::Rotate(self.clone());
            }
            return RefreshDecision::Duplicate;
        }
        if is_previous || self.retired.iter().any(|r| presented.ct_eq(r)) {
            return RefreshDecision::Replayed;
        }
        RefreshDecision::Unknown
    }
}

fn keep_recent(mut retired: Vec<SecretHash>) -> Vec<SecretHash> {
    let excess = retired.len().saturating_sub(RETIRED_MEMORY);
    retired.drain(..excess);
    retired
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: UnixTime = UnixTime(1_800_000_000);
    const POLICY: RefreshPolicy = RefreshPolicy {
        grace: Duration::from_secs(60),
        lifetime: Duration::from_secs(3600),
    };

    fn h(s: &str) -> SecretHash {
        SecretHash::of(s)
    }

    fn rotate(state: &RefreshState, presented: &str, next: &str, now: UnixTime) -> RefreshState {
        match state.decide(&h(presented), h(next), now, POLICY) {
            RefreshDecision::Rotate(s) => s,
            other => panic!("expected rotation, got {other:?}"),
        }
    }

    #[test]
    fn current_token_rotates() {
        let s1 = rotate(&RefreshState::new(h("a")), "a", "b", T0);
        assert_eq!(s1.current, h("b"));
        assert_eq!(s1.previous, Some(h("a")));
    }

    #[test]
    fn retries_within_grace_get_the_same_successor_and_change_nothing() {
        let s1 = rotate(&RefreshState::new(h("a")), "a", "b", T0);
        for second in [5, 30, 59] {
            let again = rotate(&s1, "a", "b", T0 + Duration::from_secs(second));
            assert_eq!(again, s1, "idempotent: no new member of the family");
        }
        assert_eq!(
            s1.decide(&h("a"), h("c"), T0 + Duration::from_secs(6), POLICY),
            RefreshDecision::Duplicate,
            "a successor other than the derived one is refused"
        );
        // Once the successor is used, the old token is a replay.
        let s2 = rotate(&s1, "b", "c", T0 + Duration::from_secs(7));
        assert_eq!(
            s2.decide(&h("a"), h("b"), T0 + Duration::from_secs(8), POLICY),
            RefreshDecision::Replayed
        );
    }

    #[test]
    fn previous_token_after_grace_is_a_replay() {
        let s1 = rotate(&RefreshState::new(h("a")), "a", "b", T0);
        assert_eq!(
            s1.decide(&h("a"), h("c"), T0 + POLICY.grace, POLICY),
            RefreshDecision::Replayed
        );
    }

    #[test]
    fn previous_token_after_successor_was_used_is_a_replay() {
        let s1 = rotate(&RefreshState::new(h("a")), "a", "b", T0);
        let s2 = rotate(&s1, "b", "c", T0 + Duration::from_secs(1));
        assert_eq!(
            s2.decide(&h("a"), h("d"), T0 + Duration::from_secs(2), POLICY),
            RefreshDecision::Replayed
        );
    }

    #[test]
    fn foreign_token_is_unknown() {
        let s0 = RefreshState::new(h("a"));
        assert_eq!(
            s0.decide(&h("zzz"), h("b"), T0, POLICY),
            RefreshDecision::Unknown
        );
    }

    #[test]
    fn retired_memory_is_bounded() {
        let mut s = RefreshState::new(h("t0"));
        for i in 0..40 {
            s = rotate(&s, &format!("t{i}"), &format!("t{}", i + 1), T0);
        }
        assert!(s.retired.len() <= RETIRED_MEMORY);
        assert_eq!(
            s.decide(&h("t38"), h("x"), T0 + POLICY.grace, POLICY),
            RefreshDecision::Replayed
        );
    }
}
