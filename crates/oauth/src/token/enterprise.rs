//! `urn:ietf:params:oauth:grant-type:jwt-bearer` with an ID-JAG (RFC 7523 §2.1; Enterprise-Managed
//! Authorization): the organisation's identity provider vouches for the person.

use super::{TokenResponse, Under, issue};
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::federation::oidc::{OidcProvider, Person, UpstreamError};
use crate::federation::{Linked, Linking};
use crate::scope::Scopes;
use crate::{AppState, id_jag, jwt, scope};
use remote_mcp_core::audit::{Audit, clip};
use remote_mcp_core::model::{
    Approval, Client, Grant, GrantId, RefreshState, User, normalize_email,
};
use remote_mcp_core::secret::{SecretHash, random_id};
use remote_mcp_core::{AccountStore, UnixTime};

/// RFC 7523 §2.1 with an ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant §4.4; MCP
/// Enterprise-Managed Authorization §5): the organisation's identity provider vouches for the
/// person and decided the scopes; no consent page. The token is audience-bound to our MCP
/// resource as every token is. No refresh token: the client comes back with a fresh ID-JAG, so
/// the organisation's policy is asked again each time.
pub(super) async fn enterprise(
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
    let person = Some((&user).into());
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
        person,
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
        (&grant.subject, grant.person.as_ref()),
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
