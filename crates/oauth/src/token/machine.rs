//! `client_credentials` (RFC 6749 §4.4): machine clients an operator created, acting for themselves.

use super::{TokenResponse, Under, issue};
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::scope::Scopes;
use crate::{AppState, scope};
use remote_mcp_core::UnixTime;
use remote_mcp_core::model::Client;

/// RFC 6749 §4.4: a machine client acting for itself. Only clients an operator created may (see
/// [`Client::may_act_for_itself`]); their tokens name the client as the subject, never a user, and
/// carry at most the scopes the operator gave it.
pub(super) async fn client_credentials(
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
        (&client.machine_subject(), None),
        client,
        &scopes,
        &resource,
        Under::Machine,
        now,
    )
    .await
}
