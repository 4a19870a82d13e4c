//! Identity Assertion JWT Authorization Grants (ID-JAG; draft-ietf-oauth-identity-assertion-authz-
//! grant §3, §4.4; MCP's Enterprise-Managed Authorization extension): what an ID-JAG must say
//! before `/token` trades it for an access token, checked in order as a pure function of the
//! grant, its issuer's keys, what we expect and `now`.
//!
//! An organisation's identity provider (configured with `"id_jag": true`) issues one to an MCP
//! client for a signed-in person; the client presents it with
//! `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`. No consent page: the organisation's
//! policy decided. The grant flow itself (who the person is, the scopes, the one use of `jti`,
//! the grant record) is [`crate::token`]'s.

use crate::jwt;
use jsonwebtoken::Header;
use jsonwebtoken::jwk::JwkSet;
use remote_mcp_core::UnixTime;
use serde::Deserialize;

/// The `typ` an ID-JAG's header carries (draft §3.1).
pub const TYPE: &str = "oauth-id-jag+jwt";
/// Clock difference tolerated between the identity provider and us.
const LEEWAY_SECONDS: i64 = 60;

/// The claims of an ID-JAG (draft §3.1).
#[derive(Debug, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// The person at the identity provider.
    pub sub: String,
    #[serde(deserialize_with = "jwt::one_or_many")]
    pub aud: Vec<String>,
    /// The client, as registered with us.
    pub client_id: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// The resource the token is for (MCP: our MCP endpoint, when present).
    #[serde(default)]
    pub resource: Option<String>,
    /// What the organisation's policy granted, space-separated.
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: Option<bool>,
    #[serde(default)]
    pub name: Option<String>,
}

/// Whether a header says ID-JAG (`typ`; media types compare case-insensitively and may carry
/// `application/`).
pub fn is_id_jag(header: &Header) -> bool {
    header.typ.as_deref().is_some_and(|typ| {
        let typ = typ.to_ascii_lowercase();
        typ == TYPE || typ.strip_prefix("application/") == Some(TYPE)
    })
}

/// The issuer an ID-JAG claims, unverified: whose keys to check it with.
pub fn claimed_issuer(token: &str) -> Option<String> {
    use base64::Engine;
    #[derive(Deserialize)]
    struct Iss {
        iss: String,
    }
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice::<Iss>(&bytes).ok().map(|c| c.iss)
}

/// What an ID-JAG must match.
pub struct Expected<'a> {
    /// The provider it must come from.
    pub issuer: &'a str,
    /// Our issuer identifier: the audience.
    pub audience: &'a str,
    /// The client that authenticated the token request.
    pub client_id: &'a str,
    pub now: UnixTime,
}

/// Checks an ID-JAG (draft §4.4.1, in order); `Err` names the rule it broke.
pub fn check(
    token: &str,
    header: &Header,
    keys: &JwkSet,
    expected: &Expected<'_>,
) -> Result<Claims, String> {
    if !is_id_jag(header) {
        return Err(format!(
            "the assertion is not an ID-JAG (typ must be {TYPE})"
        ));
    }
    let claims: Claims =
        jwt::verify(token, header, keys).map_err(|why| format!("ID-JAG: {why}"))?;
    if claims.iss != expected.issuer {
        return Err("ID-JAG: iss is not the provider whose key signed it".into());
    }
    if !claims.aud.iter().any(|a| a == expected.audience) {
        return Err(format!(
            "ID-JAG: aud must be this authorization server ({})",
            expected.audience
        ));
    }
    if claims.client_id != expected.client_id {
        return Err("ID-JAG: issued to another client (client_id)".into());
    }
    let now = expected.now.seconds();
    if claims.exp + LEEWAY_SECONDS <= now {
        return Err("ID-JAG: expired (exp)".into());
    }
    if claims.iat > now + LEEWAY_SECONDS {
        return Err("ID-JAG: issued in the future (iat)".into());
    }
    if claims.jti.is_empty() || claims.jti.len() > 256 {
        return Err("ID-JAG: jti is required".into());
    }
    if claims.sub.is_empty() {
        return Err("ID-JAG: sub is required".into());
    }
    Ok(claims)
}

impl Claims {
    /// Until when its `jti` must be remembered.
    pub fn remembered_until(&self) -> UnixTime {
        UnixTime(self.exp + LEEWAY_SECONDS)
    }
}
