//! `private_key_jwt` client authentication (RFC 7523 §2.2 and §3; OpenID Connect Core §9): what
//! a client assertion must say, checked in the RFC's order as a pure function of the assertion,
//! the client's keys, what we expect and `now`.
//!
//! That `jti` is used only once is the caller's to enforce (a conditional write in the store,
//! [`remote_mcp_core::GrantStore::first_use`]), after everything here passed.

use crate::jwt;
use jsonwebtoken::Header;
use jsonwebtoken::jwk::JwkSet;
use remote_mcp_core::UnixTime;
use serde::Deserialize;
use std::time::Duration;

/// `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The longest an assertion may live (`exp` after `iat`, or after now when it has no `iat`).
pub const MAX_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Clock difference tolerated between the client and us.
const LEEWAY_SECONDS: i64 = 30;
/// Longest `jti` we remember.
const MAX_JTI_CHARS: usize = 256;

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    #[serde(deserialize_with = "jwt::one_or_many")]
    aud: Vec<String>,
    exp: i64,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    jti: Option<String>,
}

/// What an assertion must match.
pub struct Expected<'a> {
    /// The client it must be about.
    pub client_id: &'a str,
    /// Any one of these must be in `aud`: our issuer and our token endpoint.
    pub audiences: [&'a str; 2],
    pub now: UnixTime,
}

/// An assertion that passed: its `jti`, to be used once, until it expires.
#[derive(Debug, PartialEq, Eq)]
pub struct Accepted {
    pub jti: String,
    /// When the assertion expires; remembering its `jti` longer is pointless.
    pub expires_at: UnixTime,
}

/// Checks a client assertion; `Err` says which rule it broke, for an `invalid_client` answer.
pub fn check(
    assertion: &str,
    header: &Header,
    keys: &JwkSet,
    expected: &Expected<'_>,
) -> Result<Accepted, String> {
    let claims: Claims =
        jwt::verify(assertion, header, keys).map_err(|why| format!("client assertion: {why}"))?;
    let now = expected.now.seconds();
    // RFC 7523 §3 (A), (B): the client is both issuer and subject.
    if claims.iss != expected.client_id || claims.sub != expected.client_id {
        return Err("client assertion: iss and sub must both be the client_id".into());
    }
    // §3 (C): we are the audience.
    if !claims
        .aud
        .iter()
        .any(|a| expected.audiences.contains(&a.as_str()))
    {
        return Err(format!(
            "client assertion: aud must contain {} or {}",
            expected.audiences[1], expected.audiences[0]
        ));
    }
    // §3 (D): not expired; and not valid for long (a stolen one is of little use).
    if claims.exp + LEEWAY_SECONDS <= now {
        return Err("client assertion: expired (exp)".into());
    }
    let max = i64::try_from(MAX_LIFETIME.as_secs()).unwrap_or(i64::MAX);
    if claims.exp - claims.iat.unwrap_or(now) > max {
        return Err(format!(
            "client assertion: lives too long (exp at most {max} seconds after iat)"
        ));
    }
    // §3 (E), (F): not before its time.
    if claims.nbf.is_some_and(|nbf| nbf > now + LEEWAY_SECONDS)
        || claims.iat.is_some_and(|iat| iat > now + LEEWAY_SECONDS)
    {
        return Err("client assertion: not valid yet (iat or nbf in the future)".into());
    }
    // §3 (G): a jti, so that a replay can be recognised.
    let jti = claims
        .jti
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI_CHARS)
        .ok_or_else(|| "client assertion: jti is required (one use per assertion)".to_owned())?;
    Ok(Accepted {
        jti,
        expires_at: UnixTime(claims.exp + LEEWAY_SECONDS),
    })
}

/// The client an assertion claims to be about (its `sub`), unverified: where a request names
/// no `client_id`, this says whose keys to check it with.
pub fn claimed_client(assertion: &str) -> Option<String> {
    use base64::Engine;
    #[derive(Deserialize)]
    struct Sub {
        sub: String,
    }
    let payload = assertion.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice::<Sub>(&bytes).ok().map(|c| c.sub)
}
