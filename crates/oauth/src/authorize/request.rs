//! GET /authorize: the request checked in the order the specifications require, then parked as a
//! one-time transaction behind the consent page.

use super::decision::{consent_page, show};
use super::{AuthorizeError, CONSENT_TTL, MAX_QUERY_BYTES, MAX_STATE_CHARS};
use crate::AppState;
use crate::clients;
use crate::consent::ConsentPage;
use crate::cookies::Cookie;
use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::pkce::S256Challenge;
use crate::redirect_uri::{self, VerifiedRedirectUri};
use crate::scope::{self, Scopes};
use crate::source::source_address;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use remote_mcp_core::UnixTime;
use remote_mcp_core::audit::Audit;
use remote_mcp_core::model::{Client, ConsentRequest};
use remote_mcp_core::secret::{Secret, SecretHash};

#[tracing::instrument(name = "show_consent", skip_all)]
pub(super) async fn show_consent(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
) -> Response {
    let request = Incoming {
        query: query.as_deref().unwrap_or_default(),
        headers: &headers,
        source: &source_address(&extensions),
    };
    match open_consent(&state, &request, state.clock.now()).await {
        Ok(page) => page,
        Err(err) => err.render(state.config.issuer()),
    }
}

/// What `GET /authorize` is given.
pub(super) struct Incoming<'a> {
    query: &'a str,
    headers: &'a HeaderMap,
    source: &'a str,
}

/// GET /authorize, in specification order: the client and its redirect URI (errors shown to the
/// user), then the request itself (errors sent back to the client), then the consent page.
pub(super) async fn open_consent(
    state: &AppState,
    incoming: &Incoming<'_>,
    now: UnixTime,
) -> Result<Response, AuthorizeError> {
    // Bounded before anything is parsed or stored.
    if incoming.query.len() > MAX_QUERY_BYTES {
        return Err(show(
            StatusCode::BAD_REQUEST,
            "The authorization request is too long.",
        ));
    }
    // RFC 6749 §3.1: parameters must not repeat. Before the redirect is verified, say so here.
    let params = Params::parse(incoming.query).map_err(|e| show(StatusCode::BAD_REQUEST, &e))?;
    let (client, to) = verify_client(state, &params, now).await?;
    let client_state = params.get("state").map(str::to_owned);
    let back = |code: ErrorCode, description: String| AuthorizeError::RedirectToClient {
        to: Box::new(to.clone()),
        error: OAuthError::new(code, description),
        state: client_state.clone(),
    };
    let asked = validate_request(state, &params, &back)?;
    let page = Page {
        client: &client,
        to: &to,
        client_state,
        asked,
    };
    park(state, incoming, page, now).await
}

/// What a valid request asks for.
pub(super) struct Asked {
    challenge: S256Challenge,
    resource: String,
    scopes: Scopes,
}

/// A verified request, ready for its consent page.
pub(super) struct Page<'a> {
    client: &'a Client,
    to: &'a VerifiedRedirectUri,
    client_state: Option<String>,
    asked: Asked,
}

/// RFC 6749 §4.1.2.1: until the client and its redirect URI are known good, errors are the
/// user's to read, never redirected.
pub(super) async fn verify_client(
    state: &AppState,
    params: &Params,
    now: UnixTime,
) -> Result<(Client, VerifiedRedirectUri), AuthorizeError> {
    let bad = |m: &str| show(StatusCode::BAD_REQUEST, m);
    let client_id = params
        .get("client_id")
        .ok_or_else(|| bad("The request names no client (client_id is missing)."))?;
    let client = clients::find(state, client_id, now)
        .await?
        .ok_or_else(|| bad("The application asking for access is not registered with this server. It may need to connect again."))?;
    // RFC 6749 §3.1.2.3 / RFC 8252 §7.3: exact match against the registration (loopback port free).
    let requested = params
        .get("redirect_uri")
        .ok_or_else(|| bad("The request names no redirect_uri."))?;
    let to = redirect_uri::verify(&client.metadata.redirect_uris, requested).ok_or_else(|| {
        bad("The redirect address in this request is not registered for this application.")
    })?;
    // A `state` too long to echo is refused here rather than sent back.
    if params
        .get("state")
        .is_some_and(|s| s.chars().count() > MAX_STATE_CHARS)
    {
        return Err(bad("The request's state parameter is too long."));
    }
    Ok((client, to))
}

/// The rest of the request, each fault sent `back` to the client: the code flow (RFC 6749
/// §4.1.1), PKCE S256 (RFC 7636 §4.4.1, OAuth 2.1 §4.1.1), the resource (RFC 8707 §2) and known
/// scopes (RFC 6749 §3.3).
pub(super) fn validate_request(
    state: &AppState,
    params: &Params,
    back: &dyn Fn(ErrorCode, String) -> AuthorizeError,
) -> Result<Asked, AuthorizeError> {
    match params.get("response_type") {
        Some("code") => {}
        Some(_) => {
            return Err(back(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported".into(),
            ));
        }
        None => {
            return Err(back(
                ErrorCode::InvalidRequest,
                "response_type is required".into(),
            ));
        }
    }
    let challenge = S256Challenge::parse(
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    )
    .map_err(|e| back(ErrorCode::InvalidRequest, e.into()))?;
    let resource = scope::resource(
        params.get("resource"),
        &state.config.mcp_resource(),
        state.config.issuer(),
    )
    .map_err(|e| back(ErrorCode::InvalidTarget, e))?;
    let scopes =
        Scopes::parse(params.get("scope")).map_err(|e| back(ErrorCode::InvalidScope, e))?;
    Ok(Asked {
        challenge,
        resource,
        scopes,
    })
}

/// Parks the request as a one-time transaction bound to this browser and shows its page. Each
/// page stores a transaction, so pages are limited per source address before anyone signs in.
pub(super) async fn park(
    state: &AppState,
    incoming: &Incoming<'_>,
    page: Page<'_>,
    now: UnixTime,
) -> Result<Response, AuthorizeError> {
    let Incoming {
        headers, source, ..
    } = *incoming;
    if !crate::source::anonymous_write_allowed(state.throttle.as_ref(), source, now).await? {
        return Err(show(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many authorization requests from your network. Please wait a few minutes.",
        ));
    }
    let cookies = state.cookies;
    // The browser binding is always a value this server issued. On https the `__Host-` cookie can
    // only have come from us, so a second tab keeps the value it already has; on http (the local
    // development server) any page on another loopback port could plant one, so every page gets
    // a fresh value.
    let binding = cookies
        .secure
        .then(|| cookies.get(headers, Cookie::ConsentBinding))
        .flatten()
        .unwrap_or_else(|| Secret::generate().expose().to_owned());
    let transaction = Secret::generate();
    let Asked {
        challenge,
        resource,
        scopes,
    } = page.asked;
    let request = ConsentRequest {
        client_id: page.client.id.clone(),
        redirect_uri: page.to.as_str().to_owned(),
        state: page.client_state,
        code_challenge: challenge.as_str().to_owned(),
        resource,
        scope: scopes.to_string(),
        browser_binding: SecretHash::of(&binding),
        expires_at: now + CONSENT_TTL,
    };
    state
        .grants
        .save_consent(&transaction.hash(), &request)
        .await?;
    let signed_in = state.owner.signed_in(headers, now).await?;
    Audit::new("consent.shown")
        .client(page.client.id.as_str())
        .detail(&request.scope)
        .log();
    let return_to = format!("/authorize?{}", incoming.query);
    let sign_out = signed_in
        .as_ref()
        .and(cookies.get(headers, Cookie::Session))
        .map(|session| crate::account::sign_out_form(&session, &return_to));
    Ok(ConsentPage {
        browser_cookie: Some(cookies.set(Cookie::ConsentBinding, &binding, CONSENT_TTL)),
        signed_in: signed_in.as_ref().map(|s| s.email.as_str()),
        sign_out,
        sign_in_with: state.federation.links(&return_to),
        ..consent_page(state, page.client, page.to, &scopes, transaction.expose())
    }
    .render(StatusCode::OK))
}
