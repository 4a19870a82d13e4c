//! Signing access tokens. The private key never needs to be in our memory: [`Signer`] is satisfied
//! by KMS in AWS and by [`LocalSigner`] in development. [`encode`] builds the compact JWS itself, so
//! both signers share one codec.

use super::{AccessClaims, Jwk};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};

/// Why a token could not be signed. Always a server-side fault.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("signing service: {0}")]
    Service(String),
    #[error("malformed signature: {0}")]
    Malformed(String),
}

/// Something that holds a P-256 private key and signs with ES256.
#[async_trait]
pub trait PublicKey: Send + Sync + 'static {
    /// The public key, as published in the JWKS. May be fetched on first use (KMS) and cached.
    async fn public_jwk(&self) -> Result<Jwk, SignError>;
}

/// The power to sign access tokens: the authorization server's alone. The resource server holds
/// only a [`PublicKey`].
#[async_trait]
pub trait Signer: PublicKey {
    /// ES256 signature of `message` (SHA-256, then ECDSA P-256), as JOSE raw `r || s`.
    async fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignError>;
}

/// Encodes `claims` as a compact JWS (`typ: at+jwt`, RFC 9068 §2.1).
pub async fn encode(claims: &AccessClaims, signer: &dyn Signer) -> Result<String, SignError> {
    let header = serde_json::json!({
        "alg": "ES256",
        "typ": "at+jwt",
        "kid": signer.public_jwk().await?.kid,
    });
    let payload = serde_json::to_vec(claims).map_err(|e| SignError::Malformed(e.to_string()))?;
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = signer.sign(signing_input.as_bytes()).await?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// Converts an ASN.1 DER `ECDSA-Sig-Value` (what KMS returns) into JOSE's fixed-width `r || s`
/// (RFC 7518 §3.4).
pub fn der_to_jose(der: &[u8]) -> Result<[u8; 64], SignError> {
    let signature = Signature::from_der(der).map_err(|e| SignError::Malformed(e.to_string()))?;
    let mut raw = [0u8; 64];
    raw.copy_from_slice(&signature.to_bytes());
    Ok(raw)
}

/// An in-memory P-256 key: generated at start for `make run` and tests.
pub struct LocalSigner {
    key: SigningKey,
    jwk: Jwk,
}

impl LocalSigner {
    /// A fresh random key from the OS RNG.
    ///
    /// # Panics
    /// Only if the operating system cannot supply randomness.
    pub fn generate() -> Self {
        loop {
            let mut bytes = [0u8; 32];
            #[allow(clippy::expect_used)] // no RNG means no safe way to continue
            getrandom::fill(&mut bytes).expect("the operating system RNG is unavailable");
            // Fails only for the zero scalar or one above the group order (probability ~2^-128).
            if let Ok(key) = SigningKey::from_slice(&bytes) {
                return Self::from_key(key);
            }
        }
    }

    /// Wraps an existing key.
    pub fn from_key(key: SigningKey) -> Self {
        let jwk = Jwk::from_public_key(&key.verifying_key().into());
        Self { key, jwk }
    }

    /// The public key (known without I/O for a local key).
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }
}

#[async_trait]
impl PublicKey for LocalSigner {
    async fn public_jwk(&self) -> Result<Jwk, SignError> {
        Ok(self.jwk.clone())
    }
}

#[async_trait]
impl Signer for LocalSigner {
    async fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignError> {
        let signature: Signature = self.key.sign(message);
        let mut raw = [0u8; 64];
        raw.copy_from_slice(&signature.to_bytes());
        Ok(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// r has its top bit set (DER adds a 0x00 pad byte); s is short (DER drops leading zeros).
    /// JOSE needs both left-padded to exactly 32 bytes.
    #[test]
    fn der_signature_with_padded_r_and_short_s_becomes_fixed_width() {
        let r = "8f1a3c5e7b9d0f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a";
        let s = "00003d5e7f9a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b12";
        let der = hex(&format!(
            "3043022100{r}021e{}", // 0x43 = (2 + 33) + (2 + 30)
            &s[4..]                // s without its two leading zero bytes
        ));
        let raw = der_to_jose(&der).unwrap();
        assert_eq!(raw[..32], hex(r)[..]);
        assert_eq!(raw[32..], hex(s)[..]);
    }

    #[test]
    fn der_and_raw_agree_for_real_signatures() {
        let signer = LocalSigner::generate();
        let signature: Signature = signer.key.sign(b"payload");
        let der = signature.to_der();
        assert_eq!(
            der_to_jose(der.as_bytes()).unwrap()[..],
            signature.to_bytes()[..]
        );
    }

    #[test]
    fn malformed_der_is_an_error_not_a_panic() {
        for bad in [&b""[..], b"\x30\x02\x02\x00", b"\x30\x45\x02\x21"] {
            assert!(der_to_jose(bad).is_err());
        }
    }
}
