//! In-memory verification of access tokens, for the resource server's hot path: signature against
//! the published key(s), then `iss`, `aud` and expiry against `now`. No network, no store.
//!
//! A client sends the same token with every request for the token's lifetime, and an ECDSA check
//! is the costliest step of a request (hundreds of microseconds, more on a small Lambda). So a
//! verifier remembers the tokens whose signature, issuer and audience it has checked, keyed by the
//! exact token (a hash map with std's keyed hasher: a few hundred nanoseconds, where a SHA-256
//! of the token took over a microsecond); a hit skips only the signature, never the time checks.
//! At most [`REMEMBERED`] tokens of about 600 bytes: a few megabytes at worst.
//!
//! What is remembered is a [`VerifiedToken`]: the claims and the [`Caller`] they name, built once
//! per token, so a request with a remembered token copies nothing (two reference counts).

use super::{AccessClaims, Jwk, PublicKey, SignError};
use crate::UnixTime;
use crate::model::Caller;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Seconds of clock skew tolerated on `exp` and `iat`.
const LEEWAY: i64 = 30;
/// How many verified tokens a verifier remembers.
const REMEMBERED: usize = 4096;

/// Why a token was rejected. Every variant maps to `401 invalid_token`; the distinction is for logs.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("unknown signing key")]
    UnknownKey,
    #[error("bad signature or claims: {0}")]
    Invalid(String),
    #[error("issued by someone else")]
    WrongIssuer,
    #[error("issued for another resource")]
    WrongAudience,
    #[error("expired")]
    Expired,
    #[error("issued in the future")]
    NotYetValid,
}

/// A token whose signature, issuer and audience were checked: its claims (what [`Deref`] gives)
/// and the caller they name, shared by every request that presents the token.
#[derive(Debug, PartialEq, Eq)]
pub struct VerifiedToken {
    claims: AccessClaims,
    caller: Arc<Caller>,
}

impl VerifiedToken {
    fn new(claims: AccessClaims) -> Self {
        let caller = Arc::new(Caller::from(&claims));
        Self { claims, caller }
    }

    /// What the token says.
    pub fn claims(&self) -> &AccessClaims {
        &self.claims
    }

    /// Who the token names, shared: a copy is one reference count.
    pub fn caller(&self) -> &Arc<Caller> {
        &self.caller
    }
}

impl Deref for VerifiedToken {
    type Target = AccessClaims;

    fn deref(&self) -> &AccessClaims {
        &self.claims
    }
}

/// Verifies access tokens issued by one issuer for one resource.
pub struct Verifier {
    keys: HashMap<String, DecodingKey>,
    issuer: String,
    audience: String,
    /// Tokens whose signature, issuer and audience were checked, by the exact token.
    verified: Mutex<HashMap<Box<str>, Arc<VerifiedToken>>>,
}

impl Verifier {
    /// Trusts `keys` for tokens from `issuer` meant for `audience`.
    pub fn new(keys: &[Jwk], issuer: &str, audience: &str) -> Result<Self, TokenError> {
        let keys = keys
            .iter()
            .map(|k| {
                DecodingKey::from_ec_components(&k.x, &k.y)
                    .map(|d| (k.kid.clone(), d))
                    .map_err(|e| TokenError::Invalid(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            keys,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            verified: Mutex::default(),
        })
    }

    /// The resource tokens must be bound to.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Checks a compact JWS and returns it verified, shared with the verifier's memory of it (a
    /// remembered token costs a reference count, not a copy of its claims).
    pub fn verify(&self, token: &str, now: UnixTime) -> Result<Arc<VerifiedToken>, TokenError> {
        let remembered = self
            .verified
            .lock()
            .ok()
            .and_then(|verified| verified.get(token).cloned());
        if let Some(claims) = remembered {
            check_time(&claims, now)?;
            return Ok(claims);
        }
        let verified = Arc::new(VerifiedToken::new(self.check_signature_and_binding(token)?));
        check_time(&verified, now)?;
        self.remember(token, &verified, now);
        Ok(verified)
    }

    /// Keeps a verified token's claims, within [`REMEMBERED`] entries (expired ones go first).
    fn remember(&self, token: &str, claims: &Arc<VerifiedToken>, now: UnixTime) {
        let Ok(mut verified) = self.verified.lock() else {
            return;
        };
        if verified.len() >= REMEMBERED {
            verified.retain(|_, c| check_time(c, now).is_ok());
            if verified.len() >= REMEMBERED {
                verified.clear();
            }
        }
        verified.insert(token.into(), Arc::clone(claims));
    }

    /// Everything about a token that does not depend on the time: signature, issuer, audience.
    fn check_signature_and_binding(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::ES256 {
            return Err(TokenError::Invalid("algorithm is not ES256".into()));
        }
        let key = header
            .kid
            .and_then(|kid| self.keys.get(&kid))
            .ok_or(TokenError::UnknownKey)?;
        // Time is checked against `now` by the caller; the library would read the wall clock.
        let mut validation = Validation::new(Algorithm::ES256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<AccessClaims>(token, key, &validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?
            .claims;
        if claims.iss != self.issuer {
            return Err(TokenError::WrongIssuer);
        }
        if claims.aud != self.audience {
            return Err(TokenError::WrongAudience);
        }
        Ok(claims)
    }
}

/// Expiry and issue time against `now`, with [`LEEWAY`].
fn check_time(claims: &AccessClaims, now: UnixTime) -> Result<(), TokenError> {
    if now.seconds() >= claims.exp + LEEWAY {
        return Err(TokenError::Expired);
    }
    if claims.iat > now.seconds() + LEEWAY {
        return Err(TokenError::NotYetValid);
    }
    Ok(())
}

/// A [`Verifier`] whose keys come from [`PublicKey`] sources on first use and are then kept in
/// memory: the first request of a container fetches them, every later one verifies without I/O.
/// More than one key is trusted while signing keys rotate: the new one signs, tokens signed by the
/// previous one stay valid until they expire.
pub struct LazyVerifier {
    keys: Vec<Arc<dyn PublicKey>>,
    issuer: String,
    audience: String,
    verifier: OnceCell<Verifier>,
}

impl LazyVerifier {
    /// Trusts the public key of `keys` for tokens from `issuer` meant for `audience`.
    pub fn new(keys: Arc<dyn PublicKey>, issuer: &str, audience: &str) -> Self {
        Self {
            keys: vec![keys],
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            verifier: OnceCell::new(),
        }
    }

    /// The same, also trusting `key` (the previous signing key, during a rotation's overlap).
    pub fn also_trusting(&self, key: Arc<dyn PublicKey>) -> Self {
        let mut keys = self.keys.clone();
        keys.push(key);
        Self {
            keys,
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            verifier: OnceCell::new(),
        }
    }

    /// Every trusted public key, the signing one first.
    pub async fn jwks(&self) -> Result<Vec<Jwk>, SignError> {
        let mut jwks = Vec::with_capacity(self.keys.len());
        for key in &self.keys {
            jwks.push(key.public_jwk().await?);
        }
        Ok(jwks)
    }

    /// The verifier, loading the key if this is the first use.
    pub async fn get(&self) -> Result<&Verifier, SignError> {
        if let Some(verifier) = self.verifier.get() {
            return Ok(verifier);
        }
        // Boxed: loading the key (KMS in AWS) happens once per container; every later request's
        // future stays small.
        Box::pin(self.verifier.get_or_try_init(|| async {
            let jwks = self.jwks().await?;
            Verifier::new(&jwks, &self.issuer, &self.audience)
                .map_err(|e| SignError::Malformed(e.to_string()))
        }))
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::{LocalSigner, encode};
    use super::*;

    const NOW: UnixTime = UnixTime(1_900_000_000);

    fn claims() -> AccessClaims {
        AccessClaims {
            iss: "https://as.example".into(),
            sub: "user-1".into(),
            aud: "https://as.example/mcp".into(),
            client_id: "client-1".into(),
            scope: "mcp".into(),
            iat: NOW.0,
            exp: NOW.0 + 3600,
            jti: "t1".into(),
            gid: None,
            email: None,
            name: None,
        }
    }

    fn verifier(signer: &LocalSigner) -> Verifier {
        Verifier::new(
            &[signer.jwk().clone()],
            "https://as.example",
            "https://as.example/mcp",
        )
        .unwrap()
    }

    #[tokio::test]
    async fn round_trip() {
        let signer = LocalSigner::generate();
        let token = encode(&claims(), &signer).await.unwrap();
        assert_eq!(
            *verifier(&signer).verify(&token, NOW).unwrap().claims(),
            claims()
        );
    }

    #[tokio::test]
    async fn rejections() {
        let signer = LocalSigner::generate();
        let v = verifier(&signer);
        let sign = |c: AccessClaims| {
            let signer = &signer;
            async move { encode(&c, signer).await.unwrap() }
        };
        let expired = sign(claims()).await;
        assert_eq!(
            v.verify(&expired, UnixTime(NOW.0 + 3600 + LEEWAY)),
            Err(TokenError::Expired)
        );
        let foreign_aud = sign(AccessClaims {
            aud: "https://other.example/mcp".into(),
            ..claims()
        })
        .await;
        assert_eq!(v.verify(&foreign_aud, NOW), Err(TokenError::WrongAudience));
        let foreign_iss = sign(AccessClaims {
            iss: "https://evil.example".into(),
            ..claims()
        })
        .await;
        assert_eq!(v.verify(&foreign_iss, NOW), Err(TokenError::WrongIssuer));

        let other_key = LocalSigner::generate();
        let forged = encode(&claims(), &other_key).await.unwrap();
        assert_eq!(v.verify(&forged, NOW), Err(TokenError::UnknownKey));

        let good = sign(claims()).await;
        let (head, _) = good.rsplit_once('.').unwrap();
        let tampered = format!("{head}.{}", "A".repeat(86));
        assert!(matches!(
            v.verify(&tampered, NOW),
            Err(TokenError::Invalid(_))
        ));
        assert_eq!(v.verify("not-a-jwt", NOW), Err(TokenError::Malformed));
    }

    #[tokio::test]
    async fn a_remembered_token_still_expires_and_its_neighbours_are_checked_in_full() {
        let signer = LocalSigner::generate();
        let v = verifier(&signer);
        let token = encode(&claims(), &signer).await.unwrap();
        let first = v.verify(&token, NOW).unwrap();
        assert_eq!(*first.claims(), claims());
        assert_eq!(**first.caller(), Caller::from(&claims()));
        let remembered = v.verify(&token, NOW).unwrap();
        assert_eq!(*remembered.claims(), claims(), "the remembered path");
        assert!(
            Arc::ptr_eq(first.caller(), remembered.caller()),
            "a remembered token's caller is shared, not rebuilt"
        );
        assert_eq!(
            v.verify(&token, UnixTime(NOW.0 + 3600 + LEEWAY)),
            Err(TokenError::Expired)
        );
        assert_eq!(
            v.verify(&token, UnixTime(NOW.0 - LEEWAY - 1)),
            Err(TokenError::NotYetValid)
        );
        let (head, _) = token.rsplit_once('.').unwrap();
        let tampered = format!("{head}.{}", "A".repeat(86));
        assert!(matches!(
            v.verify(&tampered, NOW),
            Err(TokenError::Invalid(_))
        ));
        let forged = encode(&claims(), &LocalSigner::generate()).await.unwrap();
        assert_eq!(v.verify(&forged, NOW), Err(TokenError::UnknownKey));
    }

    #[tokio::test]
    async fn memory_is_bounded() {
        let signer = LocalSigner::generate();
        let v = verifier(&signer);
        for i in 0..REMEMBERED + 10 {
            let token = encode(
                &AccessClaims {
                    jti: format!("t{i}"),
                    ..claims()
                },
                &signer,
            )
            .await
            .unwrap();
            v.verify(&token, NOW).unwrap();
        }
        assert!(v.verified.lock().unwrap().len() <= REMEMBERED);
    }
}
