//! `refresh_token` (RFC 6749 §6, OAuth 2.1 §4.3.1): checked against the grant before anything
//! changes, then rotated with one step of grace; a replay revokes the grant.

use super::{TokenResponse, Under, check_bound_resource, issue, revoke_after_replay};
use crate::AppState;
use crate::client_auth::Refreshed;
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::scope::Scopes;
use remote_mcp_core::UnixTime;
use remote_mcp_core::Versioned;
use remote_mcp_core::audit::Audit;
use remote_mcp_core::model::{Client, Grant, RefreshPolicy, RefreshToken, Rotation};

/// A refresh request: its parameters, and the grant read with the client, when it was.
pub(super) struct Refresh<'a> {
    pub presented: &'a str,
    pub scope: Option<&'a str>,
    pub resource: Option<&'a str>,
    pub refreshed: Option<Refreshed>,
}

/// RFC 6749 §6 with OAuth 2.1 §4.3.1 rotation.
pub(super) async fn refresh_token(
    state: &AppState,
    client: &Client,
    request: Refresh<'_>,
    now: UnixTime,
) -> OAuthResult<TokenResponse> {
    let Refresh {
        presented,
        scope,
        resource,
        refreshed,
    } = request;
    let invalid = || OAuthError::invalid_grant("the refresh token is invalid, expired or revoked");
    let token = RefreshToken::parse(presented).ok_or_else(invalid)?;
    let read = grant_read(state, &token, refreshed, now)
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
                (&grant.subject, grant.person.as_ref()),
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

/// The grant `token` names, read once: with the client's record when it was, here otherwise. The
/// rotation writes against this read.
async fn grant_read(
    state: &AppState,
    token: &RefreshToken,
    refreshed: Option<Refreshed>,
    now: UnixTime,
) -> OAuthResult<Option<Versioned<Grant>>> {
    Ok(
        match refreshed.filter(|refreshed| refreshed.grant_id == token.grant_id) {
            Some(refreshed) => refreshed.read,
            None => state.grants.grant_for_update(&token.grant_id, now).await?,
        },
    )
}
