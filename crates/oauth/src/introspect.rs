//! Token introspection (RFC 7662) for authenticated confidential clients, about their own tokens.
//! Anything else, including tokens of other clients, is `{"active": false}`.

use crate::AppState;
use crate::client_auth::ClientForm;
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::no_store::NoStore;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use remote_mcp_core::model::{GrantId, RefreshToken};
use serde_json::{Value, json};

/// Where this endpoint is served (at the root: Claude falls back to it without metadata).
pub const PATH: &str = crate::paths::INTROSPECT;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route(PATH, post(introspect))
}

#[tracing::instrument(name = "introspect", skip_all)]
async fn introspect(
    State(state): State<AppState>,
    ClientForm {
        client,
        params,
        now,
        ..
    }: ClientForm,
) -> OAuthResult<NoStore<Json<Value>>> {
    answer(&state, &client, &params, now)
        .await
        .map(|a| NoStore(Json(a)))
}

/// RFC 7662 §2.2: what is known about the token, for its own client.
async fn answer(
    state: &AppState,
    client: &remote_mcp_core::model::Client,
    params: &crate::params::Params,
    now: remote_mcp_core::UnixTime,
) -> OAuthResult<Value> {
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
        let Some(grant) = state.grants.grant(&refresh.grant_id, now).await? else {
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
    let Ok(claims) = state.verifier.get().await?.verify(token, now) else {
        return Ok(inactive);
    };
    if claims.client_id != client.id.as_str()
        || state
            .grants
            .is_access_token_revoked(&claims.jti, now)
            .await?
    {
        return Ok(inactive);
    }
    // A person's token stands only while its grant does: revoked, disconnected, a disabled user
    // (whose grants are revoked) or a deleted client answer inactive at once, not at expiry.
    if let Some(gid) = &claims.gid {
        let standing = state
            .grants
            .grant(&GrantId::new(gid.as_str()), now)
            .await?
            .is_some_and(|g| g.client_id == client.id && g.subject == claims.sub);
        if !standing {
            return Ok(inactive);
        }
    }
    Ok(json!({
        "active": true, "token_type": "Bearer", "client_id": claims.client_id,
        "sub": claims.sub, "scope": claims.scope, "aud": claims.aud, "iss": claims.iss,
        "exp": claims.exp, "iat": claims.iat, "jti": claims.jti,
    }))
}
