//! Access tokens: ES256-signed JWTs (RFC 7519, RFC 9068 profile), audience-bound to one resource.
//!
//! - [`AccessClaims`]: what a token says (`iss`, `sub`, `aud`, `client_id`, `scope`, `iat`, `exp`, `jti`,
//!   and `gid`, the grant it belongs to).
//! - [`Signer`]: signs with a P-256 key that lives in KMS ([`kms`], in AWS) or in memory
//!   ([`LocalSigner`], for development and tests). [`encode`] builds the compact JWS around it.
//! - [`Jwk`]: the public key as published at `/.well-known/jwks.json`, with an RFC 7638 thumbprint `kid`.
//! - [`Verifier`]: checks signature, `iss`, `aud` and expiry in memory, with `now` as a parameter.

mod jwk;
#[cfg(feature = "kms")]
pub mod kms;
mod signer;
mod verify;

pub use jwk::{Jwk, JwkSet};
pub use signer::{LocalSigner, PublicKey, SignError, Signer, der_to_jose, encode};
pub use verify::{LazyVerifier, TokenError, VerifiedToken, Verifier};

use crate::UnixTime;
use crate::model::Caller;
use serde::{Deserialize, Serialize};

/// The claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The issuer (our public origin).
    pub iss: String,
    /// The user, or the client itself for `client_credentials`.
    pub sub: String,
    /// The one resource this token is for (RFC 8707).
    pub aud: String,
    /// The client the token was issued to (RFC 9068 §2.2).
    pub client_id: String,
    /// Space-separated scopes.
    pub scope: String,
    pub iat: i64,
    pub exp: i64,
    /// Unique token id.
    pub jti: String,
    /// The grant the token was issued under (absent on a machine client's own tokens): what the
    /// resource server checks to honour revocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
    /// The person's e-mail address (absent on a machine client's tokens): verified by the identity
    /// provider for a federated sign-in, as the operator entered it for an account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The person's name, when an identity provider gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl AccessClaims {
    /// Scopes as a list.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split_ascii_whitespace()
    }

    /// Expiry as a time.
    pub fn expires_at(&self) -> UnixTime {
        UnixTime(self.exp)
    }
}

impl From<&AccessClaims> for Caller {
    fn from(claims: &AccessClaims) -> Self {
        Self {
            subject: claims.sub.clone(),
            client_id: claims.client_id.clone(),
            scopes: claims.scopes().map(str::to_owned).collect(),
            email: claims.email.clone(),
            name: claims.name.clone(),
            grant_id: claims.gid.clone(),
        }
    }
}
