//! GET /federation/<id>/callback: the provider's answer checked (the browser's one-time state, RFC
//! 9207 iss, the code exchange, the ID token or user info), then the person it vouches for found or
//! created, and signed in.

use super::keeping::{connected, keep_tokens};
use super::linking::{Linked, Linking};
use super::oidc::UpstreamError;
use super::provider::{Provider, Upstream};
use super::{Failure, callback_url, redirect, rules, upstream_failure};
use crate::AppState;
use crate::cookies::Cookie;
use crate::params::Params;
use crate::sign_in::open_session;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use remote_mcp_core::UnixTime;
use remote_mcp_core::audit::{Audit, clip};
use remote_mcp_core::model::{FederatedSignIn, User, normalize_email};
use remote_mcp_core::secret::SecretHash;
use subtle::ConstantTimeEq;

/// `GET /federation/<id>/callback?code=…&state=…[&iss=…]`, or `?error=…&state=…`.
#[tracing::instrument(name = "federation_callback", skip_all, fields(provider = %id))]
pub(super) async fn callback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let now = state.clock.now();
    match finish(
        &state,
        &id,
        query.as_deref().unwrap_or_default(),
        &headers,
        now,
    )
    .await
    {
        Ok(response) => response,
        Err(failure) => failure.render(),
    }
}

pub(super) async fn finish(
    state: &AppState,
    id: &str,
    query: &str,
    headers: &HeaderMap,
    now: UnixTime,
) -> Result<Response, Failure> {
    let cookies = state.cookies;
    let params = Params::parse(query).map_err(|_| lost())?;
    let (sign_in, provider) = take_sign_in(state, id, &params, headers, now).await?;
    let again = sign_in.return_to.clone();
    let upstream = answer(state, id, provider, &params, &sign_in, now).await?;
    if let Some(person) = &sign_in.connect_for {
        return connected(state, provider, upstream, person, headers, now).await;
    }
    let email = admitted_email(provider, &upstream).map_err(|f| f.again(&again))?;
    let user = linked_user(state, provider, &upstream, &email, now).await?;
    if !user.is_enabled() {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "This account is disabled. Ask the administrator.",
        ));
    }
    let session = open_session(state.accounts.as_ref(), cookies, &user.id, now).await?;
    Audit::new("signin.succeeded")
        .user(&user.id)
        .detail(&provider.config().id)
        .log();
    keep_tokens(state, provider, &upstream, &user.id, now).await;
    Ok(redirect(
        &again,
        &[session, cookies.clear(Cookie::Federation)],
    ))
}

/// The page for a sign-in this browser did not start, that took too long or was used already.
pub(super) fn lost() -> Failure {
    Failure::new(
        StatusCode::BAD_REQUEST,
        "This sign-in did not start in this browser, took too long, or was already used. \
         Return to the application and connect again.",
    )
}

/// The sign-in this callback finishes: its `state` is the one bound to this browser, taken once,
/// and started with this provider.
pub(super) async fn take_sign_in<'s>(
    state: &'s AppState,
    id: &str,
    params: &Params,
    headers: &HeaderMap,
    now: UnixTime,
) -> Result<(FederatedSignIn, &'s Provider), Failure> {
    let returned_state = params.get("state").ok_or_else(lost)?;
    let bound = state
        .cookies
        .get(headers, Cookie::Federation)
        .ok_or_else(lost)?;
    if !bool::from(bound.as_bytes().ct_eq(returned_state.as_bytes())) {
        return Err(lost());
    }
    let sign_in = state
        .accounts
        .take_federated_sign_in(&SecretHash::of(returned_state), now)
        .await?
        .ok_or_else(lost)?;
    let provider = state
        .federation
        .provider(id)
        .filter(|_| sign_in.provider == id)
        .ok_or_else(lost)?;
    Ok((sign_in, provider))
}

/// The provider's answer: its error, or (RFC 9207) its issuer checked, the code exchanged and the
/// person it describes.
pub(super) async fn answer(
    state: &AppState,
    id: &str,
    provider: &Provider,
    params: &Params,
    sign_in: &FederatedSignIn,
    now: UnixTime,
) -> Result<Upstream, Failure> {
    let name = &provider.config().name;
    let again = &sign_in.return_to;
    if let Some(error) = params.get("error") {
        tracing::info!(error = %clip(error), "identity provider returned an error");
        let message = if error == "access_denied" {
            format!("Signing in with {name} was cancelled or refused.")
        } else {
            format!("{name} could not sign you in.")
        };
        return Err(Failure::new(StatusCode::FORBIDDEN, message).again(again));
    }
    let unverifiable = |e| upstream_failure(provider, e).again(again);
    // RFC 9207: a response naming another issuer came from another provider (mix-up).
    if let Some((issuer, always_sent)) = provider.response_issuer().await.map_err(unverifiable)? {
        match params.get("iss") {
            Some(iss) if iss != issuer => {
                tracing::warn!(iss = %clip(iss), "authorization response from another issuer (mix-up)");
                return Err(Failure::new(
                    StatusCode::BAD_REQUEST,
                    format!("The answer came from another identity provider than {name}."),
                )
                .again(again));
            }
            None if always_sent => {
                return Err(unverifiable(UpstreamError::Rejected(
                    "authorization response without iss".into(),
                )));
            }
            _ => {}
        }
    }
    let code = params.get("code").ok_or_else(lost)?;
    provider
        .finish(
            state.federation.secrets.as_deref(),
            code,
            &callback_url(&state.config, id),
            sign_in,
            now,
        )
        .await
        .map_err(unverifiable)
}

/// The person's address, shared, verified and admitted by the provider's allow-list
/// ([`rules`]).
pub(super) fn admitted_email(provider: &Provider, upstream: &Upstream) -> Result<String, Failure> {
    let name = &provider.config().name;
    let refuse = |message: String| Failure::new(StatusCode::FORBIDDEN, message);
    let email = upstream
        .person
        .email
        .as_deref()
        .and_then(|e| normalize_email(e).ok())
        .ok_or_else(|| refuse(format!("{name} did not share an e-mail address.")))?;
    if !rules::email_verified(&upstream.issuer, &upstream.person) {
        return Err(refuse(format!(
            "{name} has not verified {email}. Verify it there, then start again."
        )));
    }
    if !rules::admits(
        &provider.config().allow,
        &upstream.issuer,
        &email,
        &upstream.person,
    ) {
        tracing::info!(email = %clip(&email), "federated sign-in not on the allow-list");
        return Err(refuse(format!(
            "{email} may not sign in here. Ask the administrator for access."
        )));
    }
    Ok(email)
}

/// The user linked to (issuer, subject); on a first sign-in, a new user linked to it. An existing
/// account with the same e-mail is not taken over: only an operator may link it.
pub(super) async fn linked_user(
    state: &AppState,
    provider: &Provider,
    upstream: &Upstream,
    email: &str,
    now: UnixTime,
) -> Result<User, Failure> {
    let person = Linking {
        issuer: &upstream.issuer,
        subject: &upstream.subject,
        email,
        name: upstream.person.name.as_deref(),
    };
    match person.user(state.accounts.as_ref(), now).await? {
        Linked::User(user) => Ok(user),
        Linked::EmailTaken => Err(Failure::new(
            StatusCode::CONFLICT,
            format!(
                "An account for {email} already exists here and is not linked to {}. \
                 Ask the administrator to link it.",
                provider.config().name
            ),
        )),
    }
}
