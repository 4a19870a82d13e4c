//! Token introspection (RFC 7662) for authenticated confidential clients, about their own tokens.
//! Anything else, including tokens of other clients, is `{"active": false}`.

use crate::AppState;
use crate::client_auth;
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::token::form;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use remote_mcp_core::UnixTime;
use remote_mcp_core::model::RefreshToken;
use serde_json::{Value, json};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/introspect", post(introspect))
        .layer(DefaultBodyLimit::max(16 * 1024))
}

async fn introspect(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match run(&state, &headers, &body, UnixTime::now()).await {
        Ok(answer) => ([(header::CACHE_CONTROL, "no-store")], Json(answer)).into_response(),
        Err(err) => err.into_response(),
    }
}

async fn run(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    now: UnixTime,
) -> OAuthResult<Value> {
    let params = form(headers, body)?;
    let client = client_auth::authenticate(state, headers, &params, now).await?;
    if !client.credential.is_confidential() {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "introspection is for confidential clients",
        ));
    }
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let inactive = json!({ "active": false });
    if let Some(refresh) = RefreshToken::parse(token) {
        let Some(grant) = state.store.grant(&refresh.grant_id, now).await? else {
            return Ok(inactive);
        };
        if grant.client_id != client.id || !grant.refresh.current.ct_eq(&refresh.hash()) {
            return Ok(inactive);
        }
        return Ok(json!({
            "active": true, "token_type": "refresh_token", "client_id": grant.client_id,
            "sub": grant.subject, "scope": grant.scope, "aud": grant.resource,
            "iss": state.config.issuer(), "exp": grant.expires_at.seconds(),
        }));
    }
    match state.verifier.get().await?.verify(token, now) {
        Ok(claims)
            if claims.client_id == client.id.as_str()
                && !state
                    .store
                    .is_access_token_revoked(&claims.jti, now)
                    .await? =>
        {
            Ok(json!({
                "active": true, "token_type": "Bearer", "client_id": claims.client_id,
                "sub": claims.sub, "scope": claims.scope, "aud": claims.aud, "iss": claims.iss,
                "exp": claims.exp, "iat": claims.iat, "jti": claims.jti,
            }))
        }
        _ => Ok(inactive),
    }
}
