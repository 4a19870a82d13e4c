//! The token vault's side of the sign-in journey: a provider configured with `"vault": true` has
//! what it gives kept for tools ([`remote_mcp_core::upstream`]) — at sign-in, and when a signed-in
//! person connects it from the account page (the same journey, started by a form bound to their
//! session and finished only by the same person's session; nobody's sign-in changes).

use super::callback::lost;
use super::provider::{Provider, Upstream};
use super::start::to_provider;
use super::{Failure, redirect};
use crate::AppState;
use crate::cookies::Cookie;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use remote_mcp_core::UnixTime;

/// Connects provider `id` for `person` (signed in, their form checked): the provider's code flow,
/// coming back to the account page.
pub(crate) async fn connect(
    state: &AppState,
    id: &str,
    person: &str,
    source: &str,
    now: UnixTime,
) -> Response {
    if !state
        .federation
        .provider(id)
        .is_some_and(|p| p.config().vault)
    {
        return Failure::new(
            StatusCode::NOT_FOUND,
            "There is no such service to connect.",
        )
        .render();
    }
    let return_to = crate::paths::ACCOUNT.to_owned();
    to_provider(state, id, return_to, Some(person.to_owned()), source, now)
        .await
        .unwrap_or_else(Failure::render)
}

/// Finishes connecting `provider` for `person` (the account page's "Connect"): only the same
/// person's session may, and only the tokens change.
pub(super) async fn connected(
    state: &AppState,
    provider: &Provider,
    upstream: Upstream,
    person: &str,
    headers: &HeaderMap,
    now: UnixTime,
) -> Result<Response, Failure> {
    let signed_in = state.owner.signed_in(headers, now).await?;
    if signed_in.is_none_or(|p| p.subject != person) {
        return Err(lost());
    }
    let name = &provider.config().name;
    let (Some(upstreams), Some(tokens)) = (&state.upstreams, &upstream.tokens) else {
        return Err(Failure::new(
            StatusCode::BAD_GATEWAY,
            format!("{name} gave no token to keep. Try again later."),
        ));
    };
    upstreams
        .keep(
            person,
            &provider.config().id,
            &upstream.subject,
            tokens,
            now,
        )
        .await
        .map_err(|err| {
            tracing::error!(%err, "keeping upstream tokens failed");
            Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("{name} could not be connected right now. Try again shortly."),
            )
        })?;
    Ok(redirect(
        crate::paths::ACCOUNT,
        &[state.cookies.clear(Cookie::Federation)],
    ))
}

/// Keeps the tokens of a sign-in with a provider configured with `"vault": true`. The sign-in
/// stands if they cannot be kept: tools then offer to connect the provider.
pub(super) async fn keep_tokens(
    state: &AppState,
    provider: &Provider,
    upstream: &Upstream,
    person: &str,
    now: UnixTime,
) {
    let config = provider.config();
    let (true, Some(upstreams), Some(tokens)) = (config.vault, &state.upstreams, &upstream.tokens)
    else {
        return;
    };
    if let Err(err) = upstreams
        .keep(person, &config.id, &upstream.subject, tokens, now)
        .await
    {
        tracing::error!(%err, provider = config.id, "keeping upstream tokens failed");
    }
}
