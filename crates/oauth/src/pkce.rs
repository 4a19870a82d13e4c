//! PKCE (RFC 7636) with S256 only, as OAuth 2.1 and the MCP authorization spec require.
//! `plain`, an omitted method (which RFC 7636 §4.3 defaults to `plain`) and unknown methods are
//! rejected.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A validated S256 code challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S256Challenge(String);

impl S256Challenge {
    /// Parses `code_challenge` and `code_challenge_method` from an authorization request.
    pub fn parse(challenge: Option<&str>, method: Option<&str>) -> Result<Self, &'static str> {
        let challenge = challenge.ok_or("code_challenge is required (PKCE)")?;
        match method {
            Some("S256") => {}
            None => return Err("code_challenge_method is required and must be S256"),
            Some(_) => return Err("code_challenge_method must be S256"),
        }
        // base64url(SHA-256) is exactly 43 characters.
        if challenge.len() != 43
            || !challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("code_challenge is not a base64url SHA-256 value");
        }
        Ok(Self(challenge.to_owned()))
    }

    /// Wraps a stored challenge.
    pub fn from_stored(challenge: &str) -> Self {
        Self(challenge.to_owned())
    }

    /// The challenge text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Does `verifier` (RFC 7636 §4.1: 43–128 unreserved characters) hash to this challenge?
    pub fn verify(&self, verifier: &str) -> bool {
        let well_formed = (43..=128).contains(&verifier.len())
            && verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        well_formed && bool::from(computed.as_bytes().ct_eq(self.0.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b_vector() {
        let c = S256Challenge::parse(Some(CHALLENGE), Some("S256")).unwrap();
        assert!(c.verify(VERIFIER));
        assert!(!c.verify(&VERIFIER.replace('d', "e")));
    }

    #[test]
    fn rejects_plain_missing_and_unknown_methods() {
        assert!(S256Challenge::parse(Some(CHALLENGE), Some("plain")).is_err());
        assert!(S256Challenge::parse(Some(CHALLENGE), None).is_err());
        assert!(S256Challenge::parse(Some(CHALLENGE), Some("s256")).is_err());
        assert!(S256Challenge::parse(None, Some("S256")).is_err());
        assert!(S256Challenge::parse(Some("short"), Some("S256")).is_err());
    }

    #[test]
    fn rejects_malformed_verifiers() {
        let c = S256Challenge::from_stored(CHALLENGE);
        assert!(!c.verify(""));
        assert!(!c.verify(&"a".repeat(129)));
        assert!(
            !c.verify(CHALLENGE),
            "the challenge is not its own verifier"
        );
    }
}
