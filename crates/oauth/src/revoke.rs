//! Token revocation (RFC 7009). A refresh token revokes its whole grant; an access token is
//! recorded as revoked until it expires (introspection reports it inactive; the resource server
//! relies on the short access-token lifetime). A client can only revoke its own tokens, and the
//! answer is 200 whether or not the token was known (§2.2).

use crate::AppState;
use crate::client_auth::ClientForm;
use crate::error::{OAuthError, OAuthResult};
use crate::no_store::NoStore;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use remote_mcp_core::audit::Audit;
use remote_mcp_core::model::RefreshToken;

/// Where this endpoint is served (at the root: Claude falls back to it without metadata).
pub const PATH: &str = crate::paths::REVOKE;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route(PATH, post(revoke))
}

#[tracing::instrument(name = "revoke", skip_all)]
async fn revoke(
    State(state): State<AppState>,
    ClientForm {
        client,
        params,
        now,
        ..
    }: ClientForm,
) -> OAuthResult<NoStore<StatusCode>> {
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    if let Some(refresh) = RefreshToken::parse(token) {
        if let Some(grant) = state.grants.grant(&refresh.grant_id, now).await?
            && grant.client_id == client.id
            && (grant.refresh.current.ct_eq(&refresh.hash())
                || grant
                    .refresh
                    .previous
                    .as_ref()
                    .is_some_and(|p| p.ct_eq(&refresh.hash())))
        {
            state.grants.revoke_grant(&grant.id).await?;
            Audit::new("grant.revoked")
                .user(&grant.subject)
                .client(client.id.as_str())
                .grant(grant.id.as_str())
                .detail("refresh token revoked by its client")
                .log();
        }
        return Ok(NoStore(StatusCode::OK));
    }
    if let Ok(claims) = state.verifier.get().await?.verify(token, now)
        && claims.client_id == client.id.as_str()
    {
        state
            .grants
            .revoke_access_token(&claims.jti, claims.expires_at())
            .await?;
        Audit::new("token.revoked")
            .user(&claims.sub)
            .client(client.id.as_str())
            .grant(claims.gid.as_deref().unwrap_or_default())
            .detail("access token revoked by its client")
            .log();
    }
    Ok(NoStore(StatusCode::OK))
}
