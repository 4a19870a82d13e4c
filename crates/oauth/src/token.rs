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

use crate::AppState;
use crate::Capabilities;
use crate::client_auth::ClientForm;
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::federation::oidc::{OidcProvider, Person, UpstreamError};
use crate::federation::{Linked, Linking};
use crate::no_store::NoStore;
use crate::params::Params;
use crate::pkce::S256Challenge;
use crate::scope::{self, Scopes};
use crate::{id_jag, jwt};
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use remote_mcp_core::audit::{Audit, clip};
use remote_mcp_core::model::{
    Approval, Client, CodeRedemption, Grant, GrantId, RefreshPolicy, RefreshState, RefreshToken,
    Rotation, User, normalize_email,
};
use remote_mcp_core::secret::{SecretHash, random_id};
use remote_mcp_core::token::{AccessClaims, encode};
use remote_mcp_core::{AccountStore, Config, GrantStore, UnixTime};
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
    }: ClientForm,
) -> OAuthResult<NoStore<Json<TokenResponse>>> {
    let answer = match TokenRequest::parse(&params, &state.capabilities)? {
        TokenRequest::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
            resource,
        } => {
            let exchange = Exchange {
                code,
                redirect_uri,
                code_verifier,
                resource,
            };
            authorization_code(&state, &client, exchange, now).await
        }
        TokenRequest::RefreshToken {
            refresh_token: presented,
            scope,
            resource,
        } => refresh_token(&state, &client, presented, scope, resource, now).await,
        TokenRequest::ClientCredentials { scope, resource } => {
            client_credentials(&state, &client, scope, resource, now).await
        }
        TokenRequest::JwtBearer {
            assertion,
            scope,
            resource,
        } => enterprise(&state, &client, assertion, scope, resource, now).await,
    };
    answer.map(|a| NoStore(Json(a))).inspect_err(|err| {
        tracing::info!(error = err.code.as_str(), description = %clip(&err.description), "token request refused");
    })
}

/// What an `authorization_code` request presents.
struct Exchange<'a> {
    code: &'a str,
    redirect_uri: Option<&'a str>,
    code_verifier: Option<&'a str>,
    resource: Option<&'a str>,
}

/// RFC 6749 §4.1.3, in order; the code is consumed last.
async fn authorization_code(
    state: &AppState,
    client: &Client,
    exchange: Exchange<'_>,
    now: UnixTime,
) -> OAuthResult<TokenResponse> {
    let hash = SecretHash::of(exchange.code);
    let record =
        state.grants.code(&hash, now).await?.ok_or_else(|| {
            OAuthError::invalid_grant("the authorization code is invalid or expired")
        })?;
    // A code presented by another client changes nothing: that client never held it, and letting
    // it revoke the grant would let anyone who saw a used code end someone else's connection.
    let code = record.code;
    if code.client_id != client.id {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    // OAuth 2.1 §4.1.3: a used code replayed by its own client; revoke what it issued.
    if let Some(grant) = &record.redeemed_by {
        revoke_after_replay(state.grants.as_ref(), grant, "authorization code").await?;
        return Err(OAuthError::invalid_grant(
            "the authorization code was already used",
        ));
    }
    if exchange.redirect_uri != Some(code.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri must repeat the authorization request's",
        ));
    }
    let verifier = exchange
        .code_verifier
        .ok_or_else(|| OAuthError::invalid_request("code_verifier is required (PKCE)"))?;
    if !S256Challenge::from_stored(&code.code_challenge).verify(verifier) {
        return Err(OAuthError::invalid_grant(
            "the PKCE code_verifier does not match",
        ));
    }
    check_bound_resource(&state.config, exchange.resource, &code.resource)?;
    let grant_id = GrantId::generate();
    let refresh = RefreshToken::generate(&grant_id);
    let grant = Grant {
        id: grant_id,
        client_id: client.id.clone(),
        subject: code.subject.clone(),
        scope: code.scope.clone(),
        resource: code.resource.clone(),
        created_at: now,
        expires_at: now + state.config.lifetimes.refresh_token,
        refresh: RefreshState::new(refresh.hash()),
        last_used_at: None,
        approved_by: Approval::Person,
    };
    match state.grants.take_code(&hash, &grant, now).await? {
        CodeRedemption::Redeemed => {}
        CodeRedemption::AlreadyRedeemed(winner) => {
            revoke_after_replay(state.grants.as_ref(), &winner, "authorization code").await?;
            return Err(OAuthError::invalid_grant(
                "the authorization code was already used",
            ));
        }
        CodeRedemption::Missing => {
            return Err(OAuthError::invalid_grant(
                "the authorization code is invalid or expired",
            ));
        }
    }
    let scopes = Scopes::from_stored(&grant.scope);
    issue(
        state,
        &grant.subject,
        client,
        &scopes,
        &grant.resource,
        Under::Exchange(&grant.id, refresh),
        now,
    )
    .await
}

/// RFC 6749 §6 with OAuth 2.1 §4.3.1 rotation.
async fn refresh_token(
    state: &AppState,
    client: &Client,
    presented: &str,
    scope: Option<&str>,
    resource: Option<&str>,
    now: UnixTime,
) -> OAuthResult<TokenResponse> {
    let invalid = || OAuthError::invalid_grant("the refresh token is invalid, expired or revoked");
    let token = RefreshToken::parse(presented).ok_or_else(invalid)?;
    // One read: the rotation below writes against it.
    let read = state
        .grants
        .grant_for_update(&token.grant_id, now)
        .await?
        .ok_or_else(invalid)?;
    let grant = &read.value;
    // Everything that can fail is checked before the token is touched.
    if grant.client_id != client.id {
        return Err(invalid());
    }
    let granted = Scopes::from_stored(&grant.scope);
    let scopes = match scope {
        None => granted.clone(),
        Some(requested) => Scopes::narrowing(requested, &granted)
            .map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e))?,
    };
    check_bound_resource(&state.config, resource, &grant.resource)?;
    // The token just replaced, presented again: within the grace this is answered (a lost
    // response, or concurrent sessions sharing the token) with the same successor. A thief
    // replaying inside the window would be answered too, so every such use is audited with its
    // source address, for comparison with the client's usual one.
    let grace_retry = grant
        .refresh
        .previous
        .as_ref()
        .is_some_and(|previous| previous.ct_eq(&token.hash()));
    // Derived, not random: a retry within the grace gets the same successor (idempotent).
    let next = token.successor(&grant.refresh.successor_key);
    let policy = RefreshPolicy {
        grace: state.config.lifetimes.refresh_grace,
        lifetime: state.config.lifetimes.refresh_token,
    };
    match state
        .grants
        .rotate_refresh(read, &token.hash(), next.hash(), now, policy)
        .await?
    {
        Rotation::Rotated(grant) => {
            if grace_retry {
                Audit::new("refresh.grace_used")
                    .user(&grant.subject)
                    .client(client.id.as_str())
                    .grant(grant.id.as_str())
                    .log();
            }
            issue(
                state,
                &grant.subject,
                client,
                &scopes,
                &grant.resource,
                Under::Refresh(&grant.id, next),
                now,
            )
            .await
        }
        Rotation::Duplicate => Err(OAuthError::invalid_grant(
            "this refresh token was just used; use the newest one",
        )),
        Rotation::Replayed(grant) => {
            revoke_after_replay(state.grants.as_ref(), &grant.id, "refresh token").await?;
            Err(invalid())
        }
        Rotation::Unknown => Err(invalid()),
    }
}

/// RFC 6749 §4.4: a machine client acting for itself. Only clients an operator created may (see
/// [`Client::may_act_for_itself`]); their tokens name the client as the subject, never a user, and
/// carry at most the scopes the operator gave it.
async fn client_credentials(
    state: &AppState,
    client: &Client,
    scope: Option<&str>,
    resource: Option<&str>,
    now: UnixTime,
) -> OAuthResult<TokenResponse> {
    if !client.may_act_for_itself() {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "client_credentials is only for machine clients an operator created",
        ));
    }
    let allowed = Scopes::from_stored(client.metadata.scope.as_deref().unwrap_or_default());
    let scopes = match scope {
        None => allowed.clone(),
        Some(requested) => Scopes::parse(Some(requested))
            .map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e))?,
    };
    if !scopes.is_subset_of(&allowed) {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "this machine client may not have that scope",
        ));
    }
    let resource = scope::resource(
        resource,
        &state.config.mcp_resource(),
        state.config.issuer(),
    )
    .map_err(|e| OAuthError::new(ErrorCode::InvalidTarget, e))?;
    issue(
        state,
        &client.machine_subject(),
        client,
        &scopes,
        &resource,
        Under::Machine,
        now,
    )
    .await
}

/// RFC 7523 §2.1 with an ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant §4.4; MCP
/// Enterprise-Managed Authorization §5): the organisation's identity provider vouches for the
/// person and decided the scopes; no consent page. The token is audience-bound to our MCP
/// resource as every token is. No refresh token: the client comes back with a fresh ID-JAG, so
/// the organisation's policy is asked again each time.
async fn enterprise(
    state: &AppState,
    client: &Client,
    assertion: &str,
    scope: Option<&str>,
    resource: Option<&str>,
    now: UnixTime,
) -> OAuthResult<TokenResponse> {
    let (provider, claims) = verified_id_jag(state, client, assertion, now).await?;
    // MCP profile §4.3: the resource, when named, is our MCP server; so is any the request names.
    let canonical = state.config.mcp_resource();
    for named in [claims.resource.as_deref(), resource].into_iter().flatten() {
        scope::resource(Some(named), &canonical, state.config.issuer())
            .map_err(|e| OAuthError::new(ErrorCode::InvalidTarget, e))?;
    }
    let scopes = enterprise_scopes(&claims, scope)?;
    let email = admitted_email(provider, &claims)?;
    // One use per ID-JAG, on every instance; everything that can fail without writing is behind.
    let once = format!("id-jag#{}#{}", claims.iss, claims.jti);
    if !state
        .grants
        .first_use(&once, claims.remembered_until(), now)
        .await?
    {
        return Err(OAuthError::invalid_grant(
            "ID-JAG: this jti was already used",
        ));
    }
    let user = enterprise_user(state.accounts.as_ref(), &claims, &email, now).await?;
    let grant = Grant {
        id: GrantId::generate(),
        client_id: client.id.clone(),
        subject: user.id,
        scope: scopes.to_string(),
        resource: canonical,
        created_at: now,
        // No refresh token: the grant lasts as long as its access token.
        expires_at: now + state.config.lifetimes.access_token,
        refresh: RefreshState::new(SecretHash::of(&random_id())),
        last_used_at: None,
        approved_by: Approval::Enterprise,
    };
    state.grants.create_grant(&grant).await?;
    Audit::new("grant.enterprise")
        .user(&grant.subject)
        .client(grant.client_id.as_str())
        .grant(grant.id.as_str())
        .detail(&provider.config.id)
        .log();
    issue(
        state,
        &grant.subject,
        client,
        &scopes,
        &grant.resource,
        Under::Enterprise(&grant.id),
        now,
    )
    .await
}

/// The ID-JAG's header, its issuer a provider trusted with ID-JAGs, then [`id_jag::check`] with
/// that provider's keys (fetched again once for a key it has not seen).
async fn verified_id_jag<'s>(
    state: &'s AppState,
    client: &Client,
    assertion: &str,
    now: UnixTime,
) -> OAuthResult<(&'s OidcProvider, id_jag::Claims)> {
    let header = jwt::header(assertion)
        .map_err(|why| OAuthError::invalid_grant(format!("ID-JAG: {why}")))?;
    if !id_jag::is_id_jag(&header) {
        return Err(OAuthError::invalid_grant(format!(
            "the assertion is not an ID-JAG (typ must be {})",
            id_jag::TYPE
        )));
    }
    // The issuer must be a provider we trust with ID-JAGs; only then are its keys worth fetching.
    let issuer = id_jag::claimed_issuer(assertion).unwrap_or_default();
    let provider = state.federation.id_jag_issuer(&issuer).ok_or_else(|| {
        OAuthError::invalid_grant(format!(
            "ID-JAG: iss {issuer:?} is not an identity provider trusted to issue them here"
        ))
    })?;
    let unreachable = |e: UpstreamError| {
        tracing::warn!(%e, issuer = %clip(&issuer), "identity provider keys unavailable");
        OAuthError::new(
            ErrorCode::Unavailable,
            "the identity provider's keys could not be fetched; try again shortly",
        )
    };
    let mut keys = provider.keys(false).await.map_err(unreachable)?;
    if jwt::names_unknown_key(&header, &keys) {
        keys = provider.keys(true).await.map_err(unreachable)?;
    }
    let expected = id_jag::Expected {
        issuer: &provider.config.issuer,
        audience: state.config.issuer(),
        client_id: client.id.as_str(),
        now,
    };
    let claims =
        id_jag::check(assertion, &header, &keys, &expected).map_err(OAuthError::invalid_grant)?;
    Ok((provider, claims))
}

/// Enterprise-Managed Authorization §7.2.1: the intersection of what the request asks (all of it
/// when it names nothing) and what the organisation granted; never empty.
fn enterprise_scopes(claims: &id_jag::Claims, requested: Option<&str>) -> OAuthResult<Scopes> {
    let granted = Scopes::known(claims.scope.as_deref().unwrap_or_default());
    let requested = match requested {
        None => granted.clone(),
        Some(requested) => Scopes::parse(Some(requested))
            .map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e))?,
    };
    let scopes = requested.intersection(&granted);
    if scopes.is_empty() {
        return Err(OAuthError::invalid_grant(
            "ID-JAG: it grants none of the requested scopes",
        ));
    }
    Ok(scopes)
}

/// The person's address, under the same rules as signing in with this provider.
fn admitted_email(provider: &OidcProvider, claims: &id_jag::Claims) -> OAuthResult<String> {
    let email = claims
        .email
        .as_deref()
        .and_then(|e| normalize_email(e).ok())
        .ok_or_else(|| OAuthError::invalid_grant("ID-JAG: no usable email claim"))?;
    if claims.email_verified == Some(false) {
        return Err(OAuthError::invalid_grant(
            "ID-JAG: the identity provider has not verified the email",
        ));
    }
    let person = Person {
        email: Some(email.clone()),
        email_verified: claims.email_verified,
        ..Person::default()
    };
    if !crate::federation::rules::admits(&provider.config.allow, &claims.iss, &email, &person) {
        return Err(OAuthError::invalid_grant(format!(
            "ID-JAG: {email} is not allowed here (allowed_domains, allowed_emails)"
        )));
    }
    Ok(email)
}

/// The user the provider names, linked by issuer and subject as federated sign-in links people
/// (created on a first ID-JAG), and enabled.
async fn enterprise_user(
    accounts: &dyn AccountStore,
    claims: &id_jag::Claims,
    email: &str,
    now: UnixTime,
) -> OAuthResult<User> {
    let person = Linking {
        issuer: &claims.iss,
        subject: &claims.sub,
        email,
        name: claims.name.as_deref(),
    };
    let user = match person.user(accounts, now).await? {
        Linked::User(user) => user,
        Linked::EmailTaken => {
            return Err(OAuthError::invalid_grant(format!(
                "ID-JAG: an account for {email} exists here and is not linked to this identity \
                 provider; an administrator may link it"
            )));
        }
    };
    if !user.is_enabled() {
        return Err(OAuthError::invalid_grant("ID-JAG: the user is disabled"));
    }
    Ok(user)
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
    subject: &str,
    client: &Client,
    scopes: &Scopes,
    resource: &str,
    under: Under<'_>,
    now: UnixTime,
) -> OAuthResult<TokenResponse> {
    let event = under.event();
    let (grant_id, refresh) = under.into_parts();
    let lifetime = state.config.lifetimes.access_token;
    // A person's token says who they are, for the tools; a machine client's says nothing more.
    let person = match grant_id {
        Some(_) => state.accounts.user(subject).await?,
        None => None,
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
        email: person.as_ref().map(|u| u.email.clone()),
        name: person.and_then(|u| u.name),
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
