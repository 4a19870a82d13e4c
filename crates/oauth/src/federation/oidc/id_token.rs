//! What an ID token must say (OpenID Connect Core 3.1.3.7) and the claims we read of it and of user
//! info, with the PKCE challenge the code flow sends.

use super::{ALGORITHMS, LEEWAY_SECONDS, UpstreamError, rejected};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use remote_mcp_core::UnixTime;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The ID token claims we read.
#[derive(Debug, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    #[serde(deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    #[serde(default)]
    pub azp: Option<String>,
    pub exp: i64,
    pub iat: i64,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(flatten)]
    pub person: Person,
}

/// Who signed in, as the provider describes them (ID token or `userinfo`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Person {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub email_verified: Option<bool>,
    #[serde(default)]
    pub name: Option<String>,
    /// Google: the Workspace domain of the account (absent for consumer accounts).
    #[serde(default)]
    pub hd: Option<String>,
    /// Microsoft Entra ID: the address's domain is verified by its owner.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub xms_edov: Option<bool>,
}

pub(super) fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

/// `true`/`false`, or the strings some providers send instead.
pub(super) fn lenient_bool<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lenient {
        Bool(bool),
        Text(String),
    }
    Ok(match Option::<Lenient>::deserialize(d)? {
        Some(Lenient::Bool(b)) => Some(b),
        Some(Lenient::Text(t)) => Some(t == "true"),
        None => None,
    })
}

/// What an ID token must say for this sign-in.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: UnixTime,
}

/// Checks an ID token against the provider's keys and `expected`; its claims when it passes.
pub fn check_id_token(
    token: &str,
    keys: &JwkSet,
    expected: &Expected<'_>,
) -> Result<IdClaims, UpstreamError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| rejected("malformed ID token"))?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(rejected(format!("ID token signed with {:?}", header.alg)));
    }
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        None => keys.keys.first().filter(|_| keys.keys.len() == 1),
    }
    .ok_or_else(|| rejected("ID token signed with an unknown key"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| rejected("unusable provider key"))?;
    // Time is checked below against our clock; the library checks the signature and algorithm.
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<IdClaims>(token, &key, &validation)
        .map_err(|e| rejected(format!("ID token: {e}")))?
        .claims;
    let now = expected.now.seconds();
    if claims.iss != expected.issuer {
        return Err(rejected(format!("ID token from {}", claims.iss)));
    }
    if !claims.aud.iter().any(|a| a == expected.client_id) {
        return Err(rejected("ID token for another client"));
    }
    if (claims.aud.len() > 1 || claims.azp.is_some())
        && claims.azp.as_deref() != Some(expected.client_id)
    {
        return Err(rejected("ID token authorized for another party"));
    }
    if claims.exp + LEEWAY_SECONDS <= now {
        return Err(rejected("ID token expired"));
    }
    if claims.iat > now + LEEWAY_SECONDS {
        return Err(rejected("ID token issued in the future"));
    }
    if claims.nonce.as_deref() != Some(expected.nonce) {
        return Err(rejected("ID token for another sign-in (nonce)"));
    }
    Ok(claims)
}

/// The PKCE S256 challenge of `verifier` (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}
