//! Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3,
//! RFC 7591 `token_endpoint_auth_method`).
//!
//! The client must authenticate exactly as it registered: `none` sends only `client_id` (and
//! proves possession with PKCE), `client_secret_post` sends the secret in the body,
//! `client_secret_basic` in HTTP Basic, `private_key_jwt` a JWT signed with one of its keys
//! ([`crate::client_assertion`], RFC 7523 §2.2). Any mismatch, unknown or deleted client is
//! `invalid_client` (401), which is also Claude's cue to register again.
//!
//! [`ClientForm`] is the one way in for the three endpoints: the form read and parsed once, then
//! the client authenticated, before the handler runs. Authentication therefore comes before any
//! reading of the request's meaning: an unauthenticated caller learns `invalid_client` and nothing
//! about which grant types or parameters we accept.

use crate::AppState;
use crate::client_assertion::{self, ASSERTION_TYPE, Expected};
use crate::clients;
use crate::error::{OAuthError, OAuthResult};
use crate::jwt;
use crate::params::Params;
use axum::body::to_bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use remote_mcp_core::UnixTime;
use remote_mcp_core::Versioned;
use remote_mcp_core::model::{
    Client, ClientCredential, ClientId, ClientKeys, Grant, GrantId, RefreshToken,
};

/// How the request presented the client's credentials.
#[derive(Debug, PartialEq, Eq)]
enum Presented {
    /// `client_id` in the body, no secret.
    IdOnly(String),
    /// `client_id` and `client_secret` in the body.
    Post { id: String, secret: String },
    /// HTTP Basic.
    Basic { id: String, secret: String },
    /// A JWT client assertion (RFC 7523 §2.2); `client_id` from the body, else the assertion's
    /// `sub`.
    Assertion { id: String, assertion: String },
}

fn presented(headers: &HeaderMap, params: &Params) -> OAuthResult<Presented> {
    let basic = match headers.get(AUTHORIZATION) {
        None => None,
        Some(value) => Some(
            parse_basic(value.to_str().unwrap_or_default())
                .ok_or_else(|| OAuthError::invalid_client("malformed HTTP Basic credentials"))?,
        ),
    };
    if let Some(assertion) = assertion(params)? {
        if basic.is_some() || params.get("client_secret").is_some() {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not two (RFC 6749 §2.3)",
            ));
        }
        let id = params
            .get("client_id")
            .map(str::to_owned)
            .or_else(|| client_assertion::claimed_client(assertion))
            .ok_or_else(|| OAuthError::invalid_client("the client assertion names no client"))?;
        return Ok(Presented::Assertion {
            id,
            assertion: assertion.to_owned(),
        });
    }
    match (basic, params.get("client_id"), params.get("client_secret")) {
        (Some(_), _, Some(_)) => Err(OAuthError::invalid_request(
            "use one client authentication method, not two (RFC 6749 §2.3)",
        )),
        (Some((id, _)), Some(body_id), None) if id != body_id => Err(OAuthError::invalid_client(
            "client_id differs between header and body",
        )),
        (Some((id, secret)), _, None) => Ok(Presented::Basic { id, secret }),
        (None, Some(id), Some(secret)) => Ok(Presented::Post {
            id: id.to_owned(),
            secret: secret.to_owned(),
        }),
        (None, Some(id), None) => Ok(Presented::IdOnly(id.to_owned())),
        (None, None, _) => Err(OAuthError::invalid_client(
            "client authentication is required",
        )),
    }
}

/// The client assertion a request carries, if any (RFC 7523 §2.2: both parameters or neither).
fn assertion(params: &Params) -> OAuthResult<Option<&str>> {
    match (
        params.get("client_assertion_type"),
        params.get("client_assertion"),
    ) {
        (None, None) => Ok(None),
        (Some(ASSERTION_TYPE), Some(assertion)) => Ok(Some(assertion)),
        (Some(other), Some(_)) => Err(OAuthError::invalid_client(format!(
            "client_assertion_type {other:?} is not supported (only {ASSERTION_TYPE})"
        ))),
        _ => Err(OAuthError::invalid_request(
            "client_assertion and client_assertion_type are sent together",
        )),
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1); the scheme is
/// case-insensitive.
fn parse_basic(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// A token, revocation or introspection request: its form parameters and the client that
/// authenticated it, as of `now`.
#[derive(Debug)]
pub struct ClientForm {
    pub client: Client,
    pub params: Params,
    pub now: UnixTime,
    /// For a refresh (`grant_type=refresh_token` of a registered client): the grant its token
    /// names, read with the client in one round trip. `None` when it was not read here (the
    /// refresh then reads it) or does not exist.
    pub refreshed: Option<Refreshed>,
}

/// The grant a refresh token names, as read together with the client.
#[derive(Debug)]
pub struct Refreshed {
    pub grant_id: GrantId,
    pub read: Option<Versioned<Grant>>,
}

impl ClientForm {
    /// The largest form read: real ones are a few hundred bytes.
    pub const MAX_BYTES: usize = 16 * 1024;
}

impl FromRequest<AppState> for ClientForm {
    type Rejection = OAuthError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let now = state.clock.now();
        let (parts, body) = request.into_parts();
        let body = to_bytes(body, Self::MAX_BYTES)
            .await
            .map_err(|_| OAuthError::invalid_request("the body is too large or unreadable"))?;
        let params = read_form(&parts.headers, &body)?;
        let presented = presented(&parts.headers, &params)?;
        let (client, refreshed) = read_client(state, &presented, &params, now).await?;
        let client = client.ok_or_else(|| OAuthError::invalid_client("unknown client"))?;
        let client = authenticate(state, client, &presented, now).await?;
        Ok(Self {
            client,
            params,
            now,
            refreshed,
        })
    }
}

/// The client the request names; for a refresh by a registered client, with the grant its
/// refresh token names (one read for both).
async fn read_client(
    state: &AppState,
    presented: &Presented,
    params: &Params,
    now: UnixTime,
) -> OAuthResult<(Option<Client>, Option<Refreshed>)> {
    let id = match presented {
        Presented::IdOnly(id)
        | Presented::Post { id, .. }
        | Presented::Basic { id, .. }
        | Presented::Assertion { id, .. } => id,
    };
    let grant_id = (params.get("grant_type") == Some("refresh_token"))
        .then(|| params.get("refresh_token").and_then(RefreshToken::parse))
        .flatten()
        .map(|token| token.grant_id);
    match grant_id {
        Some(grant_id) if clients::is_registered_id(id) => {
            let (client, read) = state
                .grants
                .client_and_grant_for_update(&ClientId::new(id), &grant_id, now)
                .await?;
            Ok((client, Some(Refreshed { grant_id, read })))
        }
        _ => Ok((clients::find(state, id, now).await?, None)),
    }
}

/// Reads an `application/x-www-form-urlencoded` body into parameters.
fn read_form(headers: &HeaderMap, body: &[u8]) -> OAuthResult<Params> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| OAuthError::invalid_request("the body is not UTF-8"))?;
    Params::parse(text).map_err(OAuthError::invalid_request)
}

/// Authenticates `client`, the client a token-endpoint-style request named, by what it
/// `presented`.
async fn authenticate(
    state: &AppState,
    client: Client,
    presented: &Presented,
    now: UnixTime,
) -> OAuthResult<Client> {
    if let (ClientCredential::PrivateKeyJwt { keys }, Presented::Assertion { assertion, .. }) =
        (&client.credential, presented)
    {
        check_assertion(state, &client, keys, assertion, now).await?;
        return Ok(client);
    }
    let ok = match (&client.credential, presented) {
        (ClientCredential::None, Presented::IdOnly(_)) => true,
        (ClientCredential::ClientSecretPost { secret_hash }, Presented::Post { secret, .. })
        | (ClientCredential::ClientSecretBasic { secret_hash }, Presented::Basic { secret, .. }) => {
            secret_hash.matches(secret)
        }
        _ => false,
    };
    if !ok {
        return Err(OAuthError::invalid_client(
            "client authentication failed or used a method other than the registered one",
        ));
    }
    Ok(client)
}

/// RFC 7523 §3 for a `private_key_jwt` client, then its `jti` used once (on every instance).
async fn check_assertion(
    state: &AppState,
    client: &Client,
    keys: &ClientKeys,
    assertion: &str,
    now: UnixTime,
) -> OAuthResult<()> {
    let header = jwt::header(assertion)
        .map_err(|why| OAuthError::invalid_client(format!("client assertion: {why}")))?;
    let keys = state
        .client_keys
        .keys(keys, header.kid.as_deref(), now)
        .await
        .map_err(OAuthError::invalid_client)?;
    let expected = Expected {
        client_id: client.id.as_str(),
        audiences: [
            state.config.issuer(),
            state.capabilities.token_endpoint.as_str(),
        ],
        now,
    };
    let accepted = client_assertion::check(assertion, &header, &keys, &expected)
        .map_err(OAuthError::invalid_client)?;
    let once = format!("client-assertion#{}#{}", client.id, accepted.jti);
    if !state
        .grants
        .first_use(&once, accepted.expires_at, now)
        .await?
    {
        return Err(OAuthError::invalid_client(
            "client assertion: this jti was already used (RFC 7523 §3)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_url_decoded() {
        let header = format!("basic {}", STANDARD.encode("my%20id:s%3Acret"));
        assert_eq!(
            parse_basic(&header),
            Some(("my id".to_owned(), "s:cret".to_owned()))
        );
        assert_eq!(parse_basic("Bearer abc"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
    }
}
