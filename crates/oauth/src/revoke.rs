//! Token revocation (RFC 7009). A refresh token revokes its whole grant; an access token is
//! recorded as revoked until it expires (introspection reports it inactive; the resource server
//! relies on the short access-token lifetime). A client can only revoke its own tokens, and the
//! answer is 200 whether or not the token was known (§2.2).

use crate::AppState;
use crate::client_auth;
use crate::error::OAuthResult;
use crate::token::form;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use remote_mcp_core::UnixTime;
use remote_mcp_core::model::RefreshToken;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/revoke", post(revoke))
        .layer(DefaultBodyLimit::max(16 * 1024))
}

async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match run(&state, &headers, &body, UnixTime::now()).await {
        Ok(()) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response(),
        Err(err) => err.into_response(),
    }
}

async fn run(state: &AppState, headers: &HeaderMap, body: &[u8], now: UnixTime) -> OAuthResult<()> {
    let params = form(headers, body)?;
    let client = client_auth::authenticate(state, headers, &params, now).await?;
    let Some(token) = params.get("token") else {
        return Err(crate::error::OAuthError::invalid_request(
            "token is required",
        ));
    };
    if let Some(refresh) = RefreshToken::parse(token) {
        if let Some(grant) = state.store.grant(&refresh.grant_id, now).await?
            && grant.client_id == client.id
            && (grant.refresh.current.ct_eq(&refresh.hash())
                || grant
                    .refresh
                    .previous
                    .as_ref()
                    .is_some_and(|p| p.ct_eq(&refresh.hash())))
        {
            state.store.revoke_grant(&grant.id).await?;
            tracing::info!(grant = %grant.id, "grant revoked by its client");
        }
        return Ok(());
    }
    if let Ok(claims) = state.verifier.get().await?.verify(token, now)
        && claims.client_id == client.id.as_str()
    {
        state
            .store
            .revoke_access_token(&claims.jti, claims.expires_at())
            .await?;
        tracing::info!(jti = claims.jti, "access token revoked by its client");
    }
    Ok(())
}
