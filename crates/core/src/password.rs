//! Password hashing: Argon2id with a per-user random salt and the parameters recorded in the PHC
//! string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), so they can be raised later without
//! breaking stored hashes. OWASP's Argon2id minimum: 19 MiB, 2 passes, 1 lane.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Shortest password accepted for new accounts.
pub const MIN_LENGTH: usize = 10;

/// A hash of a random password with the same parameters, verified when the user does not exist so
/// that a failed sign-in costs the same work either way (no user enumeration by timing).
const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$3Eq5ar9VMRCMOuf3AR7zIQ$eYjtkpBGMCUdE3tfTUzLvLAL6ZmBb+iuJjfRWSBkNsQ";

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("passwords need at least {MIN_LENGTH} characters")]
    TooShort,
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

fn argon2() -> Argon2<'static> {
    // Fixed, valid constants; `Params::new` only fails for out-of-range values.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a new password (random salt from the OS RNG).
pub fn hash(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PasswordError::Hashing(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hashing(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Does `password` match the stored PHC string? Uses the parameters recorded in it.
/// An account without a password (created by an identity provider's sign-in) costs the same work
/// as one with, so timing does not tell which addresses sign in elsewhere.
pub fn verify(stored: &str, password: &str) -> bool {
    // Exactly one Argon2 verification on every path: the stored hash's, or the decoy's.
    let (target, usable) = match PasswordHash::new(stored) {
        Ok(parsed) => (parsed, true),
        Err(_) => match PasswordHash::new(DECOY) {
            Ok(decoy) => (decoy, false),
            Err(_) => return false,
        },
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &target)
        .is_ok();
    matches && usable
}

/// Spends the work of one verification without a user, so unknown accounts answer no faster.
pub fn verify_decoy(password: &str) {
    let _ = verify(DECOY, password);
}

/// Whether a stored hash is one [`verify`] can check (accounts from identity providers have none).
pub fn is_usable(stored: &str) -> bool {
    PasswordHash::new(stored).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_without_a_password_never_verifies_and_costs_the_decoys_work() {
        // Accounts created by an identity provider store no hash: the decoy's Argon2 work is
        // done instead (see `verify`), and nothing matches, not even the decoy's own password.
        assert!(!verify("", "anything at all"));
        assert!(!verify("not a phc string", "anything at all"));
        assert!(!is_usable(""));
        let hashed = hash("a long enough password").unwrap();
        assert!(is_usable(&hashed) && verify(&hashed, "a long enough password"));
    }

    #[test]
    fn hashes_verify_and_record_their_parameters() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(&h, "correct horse battery"));
        assert!(!verify(&h, "correct horse battery!"));
        assert_ne!(h, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn short_passwords_are_refused() {
        assert_eq!(hash("short"), Err(PasswordError::TooShort));
    }

    #[test]
    fn decoy_is_a_valid_hash_with_the_same_parameters() {
        let parsed = PasswordHash::new(DECOY).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert!(DECOY.contains("m=19456,t=2,p=1"));
        assert!(!verify(DECOY, "anything at all"));
    }

    #[test]
    fn garbage_hashes_never_verify() {
        assert!(!verify("not a phc string", "password123"));
    }
}
