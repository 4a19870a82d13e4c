//! `authorization_code` (RFC 6749 §4.1.3, OAuth 2.1 §4.1.3): the code checked against the client,
//! redirect URI, PKCE verifier and resource, and only then redeemed exactly once with the new grant.

use super::{TokenResponse, Under, check_bound_resource, issue, revoke_after_replay};
use crate::AppState;
use crate::error::{OAuthError, OAuthResult};
use crate::pkce::S256Challenge;
use crate::scope::Scopes;
use remote_mcp_core::UnixTime;
use remote_mcp_core::model::{
    Approval, AuthorizationCode, Client, CodeRedemption, Grant, GrantId, RefreshState, RefreshToken,
};
use remote_mcp_core::secret::SecretHash;

/// What an `authorization_code` request presents.
pub(super) struct Exchange<'a> {
    pub code: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
    pub resource: Option<&'a str>,
}

/// RFC 6749 §4.1.3, in order; the code is consumed last.
pub(super) async fn authorization_code(
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
    proven(&code, &exchange)?;
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
        person: code.person.clone(),
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
        (&grant.subject, grant.person.as_ref()),
        client,
        &scopes,
        &grant.resource,
        Under::Exchange(&grant.id, refresh),
        now,
    )
    .await
}

/// The exchange repeats the authorization request's redirect URI and proves, with the PKCE
/// verifier, that it comes from whoever made that request.
fn proven(code: &AuthorizationCode, exchange: &Exchange<'_>) -> OAuthResult<()> {
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
    Ok(())
}
