//! The token endpoint (RFC 6749 §3.2, §4.1.3, §4.4, §6; OAuth 2.1 §4.1.3, §4.3).
//!
//! - `authorization_code`: client authenticated as registered; the code read, checked against the
//!   client, redirect URI, PKCE verifier and resource, and only then redeemed exactly once together
//!   with the new grant. A replayed code revokes the grant it created.
//! - `refresh_token`: checked against the grant before anything changes (a failed refresh never
//!   consumes the token); `scope` and `resource` default to the grant's and may only narrow; then
//!   rotated with one step of grace; a replay revokes the grant.
//! - `client_credentials`: machine clients an operator created (never dynamically registered or
//!   CIMD clients); the token's subject is `client:<client_id>`; no refresh token.
//! - `urn:ietf:params:oauth:grant-type:jwt-bearer` with an ID-JAG ([`crate::id_jag`]): where an
//!   identity provider is trusted to issue them; a grant approved by the organisation, for the
//!   person the provider names; no refresh token.
//!
//! One file per grant type ([`code`], [`refresh`], [`machine`], [`enterprise`]); this one parses
//! the request once and issues every token ([`issue`]).

mod code;
mod enterprise;
mod machine;
mod refresh;

use crate::AppState;
use crate::Capabilities;
use crate::client_auth::ClientForm;
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::no_store::NoStore;
use crate::params::Params;
use crate::scope::{self, Scopes};
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use remote_mcp_core::audit::{Audit, clip};
use remote_mcp_core::model::{Client, GrantId, Person, RefreshToken};
use remote_mcp_core::secret::random_id;
use remote_mcp_core::token::{AccessClaims, encode};
use remote_mcp_core::{Config, GrantStore, UnixTime};
use serde::Serialize;

/// Where this endpoint is served (at the root: Claude falls back to it without metadata).
pub const PATH: &str = crate::paths::TOKEN;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route(PATH, post(token))
}

pub use crate::grant_type::GrantType;

/// A token request, parsed once from the form: one variant per grant type, each holding the
/// parameters its grant reads (RFC 6749 §4.1.3, §6, §4.4; RFC 8707 `resource`).
#[derive(Debug, PartialEq, Eq)]
pub enum TokenRequest<'a> {
    AuthorizationCode {
        code: &'a str,
        redirect_uri: Option<&'a str>,
        code_verifier: Option<&'a str>,
        resource: Option<&'a str>,
    },
    RefreshToken {
        refresh_token: &'a str,
        scope: Option<&'a str>,
        resource: Option<&'a str>,
    },
    ClientCredentials {
        scope: Option<&'a str>,
        resource: Option<&'a str>,
    },
    JwtBearer {
        assertion: &'a str,
        scope: Option<&'a str>,
        resource: Option<&'a str>,
    },
}

impl<'a> TokenRequest<'a> {
    /// `unsupported_grant_type` for anything `capabilities` does not offer; `invalid_request`
    /// when the grant's own credential (code, refresh token, assertion) is missing.
    pub fn parse(params: &'a Params, capabilities: &Capabilities) -> OAuthResult<Self> {
        let grant_type = params
            .get("grant_type")
            .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
        let grant_type = GrantType::parse(grant_type)
            .filter(|g| capabilities.supports_grant(*g))
            .ok_or_else(|| {
                OAuthError::new(
                    ErrorCode::UnsupportedGrantType,
                    format!("grant_type {grant_type:?} is not supported"),
                )
            })?;
        let required = |name: &'static str| {
            params
                .get(name)
                .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
        };
        let resource = params.get("resource");
        Ok(match grant_type {
            GrantType::AuthorizationCode => Self::AuthorizationCode {
                code: required("code")?,
                redirect_uri: params.get("redirect_uri"),
                code_verifier: params.get("code_verifier"),
                resource,
            },
            GrantType::RefreshToken => Self::RefreshToken {
                refresh_token: required("refresh_token")?,
                scope: params.get("scope"),
                resource,
            },
            GrantType::ClientCredentials => Self::ClientCredentials {
                scope: params.get("scope"),
                resource,
            },
            GrantType::JwtBearer => Self::JwtBearer {
                assertion: required("assertion")?,
                scope: params.get("scope"),
                resource,
            },
        })
    }
}

/// RFC 6749 §5.1.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    scope: String,
}

#[tracing::instrument(name = "token", skip_all)]
async fn token(
    State(state): State<AppState>,
    ClientForm {
        client,
        params,
        now,
        refreshed,
    }: ClientForm,
) -> OAuthResult<NoStore<Json<TokenResponse>>> {
    let answer = match TokenRequest::parse(&params, &state.capabilities)? {
        TokenRequest::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
            resource,
        } => {
            let exchange = code::Exchange {
                code,
                redirect_uri,
                code_verifier,
                resource,
            };
            code::authorization_code(&state, &client, exchange, now).await
        }
        TokenRequest::RefreshToken {
            refresh_token: presented,
            scope,
            resource,
        } => {
            let refresh = refresh::Refresh {
                presented,
                scope,
                resource,
                refreshed,
            };
            refresh::refresh_token(&state, &client, refresh, now).await
        }
        TokenRequest::ClientCredentials { scope, resource } => {
            machine::client_credentials(&state, &client, scope, resource, now).await
        }
        TokenRequest::JwtBearer {
            assertion,
            scope,
            resource,
        } => enterprise::enterprise(&state, &client, assertion, scope, resource, now).await,
    };
    answer.map(|a| NoStore(Json(a))).inspect_err(|err| {
        tracing::info!(error = err.code.as_str(), description = %clip(&err.description), "token request refused");
    })
}

/// RFC 8707 on a token request: a `resource`, if sent, may only name the one the code or grant is
/// bound to (in any spelling [`scope::resource`] accepts). Omitted means that one.
fn check_bound_resource(config: &Config, requested: Option<&str>, bound: &str) -> OAuthResult<()> {
    let Some(requested) = requested else {
        return Ok(());
    };
    let resource = scope::resource(Some(requested), &config.mcp_resource(), config.issuer())
        .map_err(|e| OAuthError::new(ErrorCode::InvalidTarget, e))?;
    if resource != bound {
        return Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            "resource differs from the one this grant is bound to",
        ));
    }
    Ok(())
}

async fn revoke_after_replay(
    grants: &dyn GrantStore,
    grant: &GrantId,
    what: &str,
) -> OAuthResult<()> {
    let revoked = grants.revoke_grant(grant).await?;
    let detail = format!("{what} replayed; grant revoked: {revoked}");
    Audit::new("replay.detected")
        .grant(grant.as_str())
        .detail(&detail)
        .log();
    Ok(())
}

/// What a token is issued under.
enum Under<'a> {
    /// A person's approval, its code just exchanged: the grant and its first refresh token.
    Exchange(&'a GrantId, RefreshToken),
    /// A person's approval, refreshed: the grant and its next refresh token.
    Refresh(&'a GrantId, RefreshToken),
    /// An organisation's approval (an ID-JAG): the grant, no refresh token.
    Enterprise(&'a GrantId),
    /// A machine client acting for itself.
    Machine,
}

impl<'a> Under<'a> {
    /// Its name in the audit trail.
    fn event(&self) -> &'static str {
        match self {
            Self::Refresh(..) => "token.refreshed",
            Self::Exchange(..) | Self::Enterprise(..) | Self::Machine => "token.issued",
        }
    }

    fn into_parts(self) -> (Option<&'a GrantId>, Option<RefreshToken>) {
        match self {
            Self::Exchange(id, refresh) | Self::Refresh(id, refresh) => (Some(id), Some(refresh)),
            Self::Enterprise(id) => (Some(id), None),
            Self::Machine => (None, None),
        }
    }
}

/// Signs an access token and assembles the response, with a new refresh token under a person's
/// approval.
async fn issue(
    state: &AppState,
    (subject, person): (&str, Option<&Person>),
    client: &Client,
    scopes: &Scopes,
    resource: &str,
    under: Under<'_>,
    now: UnixTime,
) -> OAuthResult<TokenResponse> {
    let event = under.event();
    let (grant_id, refresh) = under.into_parts();
    let lifetime = state.config.lifetimes.access_token;
    // A person's token says who they are, for the tools (kept with the grant; read from the user
    // for a grant written before it was kept); a machine client's says nothing more.
    let read;
    let person = match (grant_id, person) {
        (Some(_), Some(person)) => Some(person),
        (Some(_), None) => {
            read = state
                .accounts
                .user(subject)
                .await?
                .map(|u| Person::from(&u));
            read.as_ref()
        }
        (None, _) => None,
    };
    let claims = AccessClaims {
        iss: state.config.issuer().to_owned(),
        sub: subject.to_owned(),
        aud: resource.to_owned(),
        client_id: client.id.to_string(),
        scope: scopes.to_string(),
        iat: now.seconds(),
        exp: (now + lifetime).seconds(),
        jti: random_id(),
        gid: grant_id.map(GrantId::to_string),
        email: person.map(|p| p.email.clone()),
        name: person.and_then(|p| p.name.clone()),
    };
    let access_token = encode(&claims, state.signer.as_ref()).await?;
    Audit::new(event)
        .user(&claims.sub)
        .client(&claims.client_id)
        .grant(claims.gid.as_deref().unwrap_or_default())
        .detail(&claims.scope)
        .log();
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: lifetime.as_secs(),
        refresh_token: refresh.map(|r| r.expose().to_owned()),
        scope: claims.scope,
    })
}
