//! The authorization endpoint (RFC 6749 §4.1.1–4.1.2, OAuth 2.1 §4.1, RFC 9207, RFC 8707).
//!
//! `GET /authorize` validates the request in the order the specifications require and parks it as a
//! one-time [`ConsentRequest`] behind the consent page. `POST /authorize` checks the transaction
//! belongs to this browser, asks the [`crate::ResourceOwner`] who is approving (sign-in), and only
//! then takes the transaction (once) and redirects to the client with a code, or with
//! `access_denied`. A failed sign-in shows the page again for the same transaction.
//!
//! Until the client and its redirect URI are verified, errors are shown to the user and never
//! redirected (RFC 6749 §4.1.2.1): [`AuthorizeError::RedirectToClient`] needs a
//! [`VerifiedRedirectUri`], which only [`redirect_uri::verify`] can make.

use crate::AppState;
use crate::clients;
use crate::consent::{ConsentPage, error_page};
use crate::cookies::{Cookie, Cookies};
use crate::error::{ErrorCode, OAuthError};
use crate::no_store::NoStore;
use crate::params::Params;
use crate::pkce::S256Challenge;
use crate::redirect_uri::{self, VerifiedRedirectUri};
use crate::resource_owner::{ApprovalRequest, SignInError};
use crate::scope::{self, Scopes};
use crate::source::source_address;
use axum::Router;
use axum::body::to_bytes;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use remote_mcp_core::UnixTime;
use remote_mcp_core::model::{AuthorizationCode, ConsentRequest};
use remote_mcp_core::secret::{Secret, SecretHash};
use std::time::Duration;

/// How long the user has to answer the consent page.
const CONSENT_TTL: Duration = Duration::from_secs(10 * 60);
/// The longest authorization request we read: real ones are well under 1 KB.
const MAX_QUERY_BYTES: usize = 4096;
/// The longest `state` we keep and echo back.
const MAX_STATE_CHARS: usize = 512;
/// Consent pages (each a stored transaction) per source address and window, before sign-in.
const CONSENTS_PER_SOURCE: u32 = 120;
const CONSENT_WINDOW: Duration = Duration::from_secs(10 * 60);

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/authorize", get(show_consent).post(decide))
}

/// How an authorization request fails.
#[derive(Debug)]
pub enum AuthorizeError {
    /// Shown to the user on our own page: the client or redirect URI cannot be trusted.
    ShowToUser(StatusCode, String),
    /// Sent back to the verified redirect URI with `error`, `state` and `iss`.
    RedirectToClient {
        to: VerifiedRedirectUri,
        error: OAuthError,
        state: Option<String>,
    },
}

impl From<remote_mcp_core::StoreError> for AuthorizeError {
    fn from(err: remote_mcp_core::StoreError) -> Self {
        tracing::error!(%err, "store failure during authorization");
        match err {
            remote_mcp_core::StoreError::Backend(_) => Self::ShowToUser(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service is temporarily unavailable. Please try again in a moment.".into(),
            ),
            _ => Self::ShowToUser(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The server could not complete the request.".into(),
            ),
        }
    }
}

impl AuthorizeError {
    fn into_response(self, issuer: &str) -> Response {
        match self {
            Self::ShowToUser(status, message) => error_page(status, &message),
            Self::RedirectToClient { to, error, state } => answer_client(
                &to,
                &[
                    ("error", error.code.as_str()),
                    ("error_description", &error.description),
                ],
                state.as_deref(),
                issuer,
            ),
        }
    }
}

/// Every answer to the client, success or error, in one place: `params`, then the client's
/// `state` echoed (RFC 6749 §4.1.2) and our `iss` (RFC 9207, the mix-up defence), as a 303 to
/// the verified redirect URI.
fn answer_client(
    to: &VerifiedRedirectUri,
    params: &[(&str, &str)],
    state: Option<&str>,
    issuer: &str,
) -> Response {
    let mut all = params.to_vec();
    if let Some(state) = state {
        all.push(("state", state));
    }
    all.push(("iss", issuer));
    redirect(&to.with_params(&all))
}

/// 303 See Other (never 307, which would re-post the form: RFC 9700 §4.12).
fn redirect(location: &str) -> Response {
    let mut response = NoStore(Redirect::to(location)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[tracing::instrument(name = "show_consent", skip_all)]
async fn show_consent(
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
    match validate(&state, &request, state.clock.now()).await {
        Ok(page) => page,
        Err(err) => err.into_response(state.config.issuer()),
    }
}

/// What `GET /authorize` is given.
struct Incoming<'a> {
    query: &'a str,
    headers: &'a HeaderMap,
    source: &'a str,
}

/// GET /authorize, in specification order.
async fn validate(
    state: &AppState,
    incoming: &Incoming<'_>,
    now: UnixTime,
) -> Result<Response, AuthorizeError> {
    let Incoming {
        query,
        headers,
        source,
    } = *incoming;
    let show = |m: &str| AuthorizeError::ShowToUser(StatusCode::BAD_REQUEST, m.to_owned());
    // Bounded before anything is parsed or stored.
    if query.len() > MAX_QUERY_BYTES {
        return Err(show("The authorization request is too long."));
    }
    // RFC 6749 §3.1: parameters must not repeat. Before the redirect is verified, say so here.
    let params = Params::parse(query).map_err(|e| show(&e))?;
    // RFC 6749 §4.1.2.1: an unknown client is reported to the user, not redirected.
    let client_id = params
        .get("client_id")
        .ok_or_else(|| show("The request names no client (client_id is missing)."))?;
    let client = clients::find(state, client_id, now)
        .await?
        .ok_or_else(|| show("The application asking for access is not registered with this server. It may need to connect again."))?;
    // RFC 6749 §3.1.2.3 / RFC 8252 §7.3: exact match against the registration (loopback port free).
    let requested = params
        .get("redirect_uri")
        .ok_or_else(|| show("The request names no redirect_uri."))?;
    let to = redirect_uri::verify(&client.metadata.redirect_uris, requested).ok_or_else(|| {
        show("The redirect address in this request is not registered for this application.")
    })?;
    // A `state` too long to echo is refused here rather than sent back.
    if params
        .get("state")
        .is_some_and(|s| s.chars().count() > MAX_STATE_CHARS)
    {
        return Err(show("The request's state parameter is too long."));
    }
    // From here on, errors go back to the client.
    let client_state = params.get("state").map(str::to_owned);
    let back = |code: ErrorCode, description: String| AuthorizeError::RedirectToClient {
        to: to.clone(),
        error: OAuthError::new(code, description),
        state: client_state.clone(),
    };
    // RFC 6749 §4.1.1: only the code flow.
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
    // RFC 7636 §4.4.1 + OAuth 2.1 §4.1.1: PKCE with S256 is mandatory.
    let challenge = S256Challenge::parse(
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    )
    .map_err(|e| back(ErrorCode::InvalidRequest, e.into()))?;
    // RFC 8707 §2: the resource the token will be for.
    let resource = scope::resource(
        params.get("resource"),
        &state.config.mcp_resource(),
        state.config.issuer(),
    )
    .map_err(|e| back(ErrorCode::InvalidTarget, e))?;
    // RFC 6749 §3.3: known scopes only.
    let scopes = Scopes::parse(params.get("scope"), &state.capabilities)
        .map_err(|e| back(ErrorCode::InvalidScope, e))?;

    // Each page stores a transaction: limited per source address before anyone signs in.
    let pages = state
        .accounts
        .count_attempt(&format!("consent:{source}"), now, CONSENT_WINDOW)
        .await?;
    if pages > CONSENTS_PER_SOURCE {
        tracing::warn!(source, pages, "consent page rate limit reached");
        return Err(AuthorizeError::ShowToUser(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many authorization requests from your network. Please wait a few minutes.".into(),
        ));
    }
    let secure = state.config.is_https();
    // The browser binding is always a value this server issued. On https the `__Host-` cookie can
    // only have come from us, so a second tab keeps the value it already has; on http (the local
    // development server) any page on another loopback port could plant one, so every page gets
    // a fresh value.
    let binding = secure
        .then(|| Cookies { secure }.get(headers, Cookie::ConsentBinding))
        .flatten()
        .unwrap_or_else(|| Secret::generate().expose().to_owned());
    let transaction = Secret::generate();
    let request = ConsentRequest {
        client_id: client.id.clone(),
        redirect_uri: to.as_str().to_owned(),
        state: client_state.clone(),
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
    let cookie = Cookies { secure }.set(Cookie::ConsentBinding, &binding, CONSENT_TTL);
    let signed_in = state.owner.signed_in(headers, now).await;
    Ok(ConsentPage {
        resource_name: &state.config.resource_name,
        client_name: client.metadata.client_name.as_deref(),
        client_id: client.id.as_str(),
        redirect: &to,
        scopes: &scopes,
        transaction: transaction.expose(),
        browser_cookie: Some(cookie),
        signed_in: signed_in.as_ref().map(|s| s.email.as_str()),
        error: None,
    }
    .into_response(StatusCode::OK))
}

#[tracing::instrument(name = "decide", skip_all)]
async fn decide(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, 16 * 1024).await else {
        return error_page(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.");
    };
    let source = source_address(&parts.extensions);
    match decision(&state, &parts.headers, &body, &source, state.clock.now()).await {
        Ok(response) => response,
        Err(err) => err.into_response(state.config.issuer()),
    }
}

/// POST /authorize: the user's answer.
async fn decision(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    source: &str,
    now: UnixTime,
) -> Result<Response, AuthorizeError> {
    let show = |status: StatusCode, m: &str| AuthorizeError::ShowToUser(status, m.to_owned());
    let form = std::str::from_utf8(body)
        .ok()
        .and_then(|b| Params::parse(b).ok())
        .ok_or_else(|| show(StatusCode::BAD_REQUEST, "The form could not be read."))?;
    let transaction = form
        .get("transaction")
        .ok_or_else(|| show(StatusCode::BAD_REQUEST, "The form is incomplete."))?;
    let hash = SecretHash::of(transaction);
    let expired = "This authorization request has expired or was already answered.";
    let request = state
        .grants
        .consent(&hash, now)
        .await?
        .ok_or_else(|| show(StatusCode::BAD_REQUEST, expired))?;
    // CSRF: the form must come from the browser that was shown the page (SameSite=Lax cookie).
    let secure = state.config.is_https();
    let bound = Cookies { secure }
        .get(headers, Cookie::ConsentBinding)
        .is_some_and(|c| request.browser_binding.matches(&c));
    if !bound {
        return Err(show(
            StatusCode::FORBIDDEN,
            "This approval did not come from the browser that opened the request. Check that cookies are enabled.",
        ));
    }
    // The client may have been deleted meanwhile; re-verify its redirect URI.
    let client = clients::find(state, request.client_id.as_str(), now)
        .await?
        .ok_or_else(|| {
            show(
                StatusCode::BAD_REQUEST,
                "The application is no longer registered.",
            )
        })?;
    let to = redirect_uri::verify(&client.metadata.redirect_uris, &request.redirect_uri)
        .ok_or_else(|| {
            show(
                StatusCode::BAD_REQUEST,
                "The redirect address is no longer registered.",
            )
        })?;
    let approver = match form.get("decision") {
        Some("approve") => {
            let sign_in = ApprovalRequest {
                headers,
                form: &form,
                source,
                now,
            };
            match state.owner.approve(&sign_in).await {
                Ok(approver) => Some(approver),
                // Not signed in (or wrong credentials): the same page again, same transaction.
                Err(err) => {
                    let status = match err {
                        SignInError::Throttled => StatusCode::TOO_MANY_REQUESTS,
                        SignInError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                        _ => StatusCode::UNAUTHORIZED,
                    };
                    let scopes = Scopes::from_stored(&request.scope);
                    let message = err.to_string();
                    return Ok(ConsentPage {
                        resource_name: &state.config.resource_name,
                        client_name: client.metadata.client_name.as_deref(),
                        client_id: client.id.as_str(),
                        redirect: &to,
                        scopes: &scopes,
                        transaction,
                        browser_cookie: None,
                        signed_in: None,
                        error: Some(&message),
                    }
                    .into_response(status));
                }
            }
        }
        Some("deny") => None,
        _ => return Err(show(StatusCode::BAD_REQUEST, "The form is incomplete.")),
    };
    // One-time: of concurrent or repeated submissions only one gets here.
    if state.grants.take_consent(&hash, now).await?.is_none() {
        return Err(show(StatusCode::BAD_REQUEST, expired));
    }
    let Some(approver) = approver else {
        return Err(AuthorizeError::RedirectToClient {
            to,
            error: OAuthError::new(ErrorCode::AccessDenied, "the user denied the request"),
            state: request.state.clone(),
        });
    };
    let code = Secret::generate();
    let record = AuthorizationCode {
        client_id: client.id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge.clone(),
        resource: request.resource.clone(),
        scope: request.scope.clone(),
        subject: approver.subject,
        issued_at: now,
        expires_at: now + state.config.lifetimes.authorization_code,
    };
    state.grants.save_code(&code.hash(), &record).await?;
    tracing::info!(client_id = %client.id, scope = %record.scope, "authorization approved");
    let mut response = answer_client(
        &to,
        &[("code", code.expose())],
        request.state.as_deref(),
        state.config.issuer(),
    );
    if let Some(cookie) = approver
        .set_cookie
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}
