//! GET /federation/<id>/start: a sign-in with the provider begins, bound to this browser by a one-
//! time state, with PKCE and a nonce, and limited per source like every anonymous write.

use super::{
    Failure, MAX_RETURN_BYTES, SIGN_IN_TTL, callback_url, is_ours, redirect, upstream_failure,
};
use crate::AppState;
use crate::cookies::Cookie;
use crate::params::Params;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use remote_mcp_core::UnixTime;
use remote_mcp_core::model::FederatedSignIn;
use remote_mcp_core::secret::Secret;

/// `GET /federation/<id>/start?return_to=<authorization request>`.
#[tracing::instrument(name = "federation_start", skip_all, fields(provider = %id))]
pub(super) async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    extensions: axum::http::Extensions,
) -> Response {
    let source = crate::source::source_address(&extensions);
    match begin(
        &state,
        &id,
        query.as_deref().unwrap_or_default(),
        &source,
        state.clock.now(),
    )
    .await
    {
        Ok(response) => response,
        Err(failure) => failure.render(),
    }
}

pub(super) async fn begin(
    state: &AppState,
    id: &str,
    query: &str,
    source: &str,
    now: UnixTime,
) -> Result<Response, Failure> {
    let return_to = Params::parse(query)
        .ok()
        .and_then(|p| p.get("return_to").map(str::to_owned))
        .filter(|r| r.len() <= MAX_RETURN_BYTES && is_ours(r))
        .ok_or_else(|| {
            Failure::new(
                StatusCode::BAD_REQUEST,
                "This sign-in link is incomplete. Return to the application and connect again.",
            )
        })?;
    to_provider(state, id, return_to, None, source, now).await
}

/// Keeps a one-time sign-in bound to this browser and sends the browser to provider `id`.
pub(super) async fn to_provider(
    state: &AppState,
    id: &str,
    return_to: String,
    connect_for: Option<String>,
    source: &str,
    now: UnixTime,
) -> Result<Response, Failure> {
    let provider = state
        .federation
        .provider(id)
        .ok_or_else(|| Failure::new(StatusCode::NOT_FOUND, "There is no such sign-in option."))?;
    let again = return_to.clone();
    let browser_state = Secret::generate();
    let nonce = Secret::generate();
    let code_verifier = format!(
        "{}{}",
        Secret::generate().expose(),
        Secret::generate().expose()
    );
    // Each start stores a sign-in for an anonymous caller: the consent page's limit applies.
    if !crate::source::anonymous_write_allowed(state.throttle.as_ref(), source, now).await? {
        return Err(Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-ins from your network. Please wait a few minutes.",
        ));
    }
    let url = provider
        .authorization_url(
            &callback_url(&state.config, id),
            browser_state.expose(),
            nonce.expose(),
            &code_verifier,
        )
        .await
        .map_err(|e| upstream_failure(provider, e).again(&again))?;
    let sign_in = FederatedSignIn {
        provider: id.to_owned(),
        nonce: nonce.expose().to_owned(),
        code_verifier,
        return_to,
        expires_at: now + SIGN_IN_TTL,
        connect_for,
    };
    state
        .accounts
        .save_federated_sign_in(&browser_state.hash(), &sign_in)
        .await?;
    let cookie = state
        .cookies
        .set(Cookie::Federation, browser_state.expose(), SIGN_IN_TTL);
    Ok(redirect(&url, &[cookie]))
}
