//! What an OAuth client does by hand: PKCE, reading a page's form, encoding a form body.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use remote_mcp_core::secret::Secret;
use sha2::{Digest, Sha256};

/// A PKCE verifier and its S256 challenge (RFC 7636).
#[derive(Clone, Debug)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    /// A fresh pair; the verifier uses every unreserved character class.
    pub fn new() -> Self {
        let verifier = format!("{}{}", Secret::generate().expose(), "-._~x");
        let challenge = Self::challenge_of(&verifier);
        Self {
            verifier,
            challenge,
        }
    }
}

impl Pkce {
    /// The S256 challenge of `verifier` (RFC 7636 §4.2).
    pub fn challenge_of(verifier: &str) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

/// The value of a hidden form field in a page, if it has one.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    html[start..].split('"').next().map(str::to_owned)
}

/// An `application/x-www-form-urlencoded` body.
pub fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}
