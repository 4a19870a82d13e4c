//! Secrets: authorization codes, refresh tokens, client secrets and registration access tokens.
//!
//! A [`Secret`] is 256 bits from the operating system's RNG, handed to the client once and never
//! stored. What is stored is its [`SecretHash`] (SHA-256, base64url). SHA-256 without salt is the
//! right tool here: the inputs are uniformly random, so there is nothing for a dictionary to find.
//! Comparisons of presented values against stored hashes are constant-time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// Bytes of entropy in every generated secret.
const SECRET_BYTES: usize = 32;

/// A freshly generated secret value. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// 256 random bits from the OS RNG, base64url without padding (43 characters).
    ///
    /// # Panics
    /// Only if the operating system cannot supply randomness, in which case no secret may be issued.
    pub fn generate() -> Self {
        let mut bytes = [0u8; SECRET_BYTES];
        #[allow(clippy::expect_used)] // no RNG means no safe way to continue
        getrandom::fill(&mut bytes).expect("the operating system RNG is unavailable");
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Wraps a value received from a client (e.g. a presented refresh token).
    pub fn from_presented(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The plaintext, to be sent to the client exactly once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash under which this secret is stored.
    pub fn hash(&self) -> SecretHash {
        SecretHash::of(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// SHA-256 of a secret, base64url without padding: the only form in which secrets are stored.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretHash(String);

impl SecretHash {
    /// Hashes a plaintext value.
    pub fn of(plaintext: &str) -> Self {
        Self(URL_SAFE_NO_PAD.encode(Sha256::digest(plaintext.as_bytes())))
    }

    /// Does `plaintext` hash to this value? Constant-time in the compared bytes.
    pub fn matches(&self, plaintext: &str) -> bool {
        self.ct_eq(&Self::of(plaintext))
    }

    /// Constant-time equality of two hashes.
    pub fn ct_eq(&self, other: &SecretHash) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }

    /// The encoded hash, e.g. for use in a storage key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Random identifier (UUID v4) for records whose id is not itself a secret.
pub fn random_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_long_and_distinct() {
        let a = Secret::generate();
        let b = Secret::generate();
        assert_eq!(a.expose().len(), 43);
        assert_ne!(a, b);
    }

    #[test]
    fn hash_matches_only_its_plaintext() {
        let s = Secret::generate();
        let h = s.hash();
        assert!(h.matches(s.expose()));
        assert!(!h.matches("something else"));
        assert_ne!(
            h.as_str(),
            s.expose(),
            "the stored form is never the plaintext"
        );
    }

    #[test]
    fn known_sha256_vector() {
        // SHA-256("abc"), RFC 6234 test vector, in base64url.
        assert_eq!(
            SecretHash::of("abc").as_str(),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let s = Secret::generate();
        assert!(!format!("{s:?}").contains(s.expose()));
    }
}
