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
use crate::consent::{ACCESS_ALL, ACCESS_FIELD, ACCESS_READ_ONLY, ConsentPage, error_page};
use crate::cookies::Cookie;
use crate::error::{ErrorCode, OAuthError};
use crate::no_store::NoStore;
use crate::params::Params;
use crate::pkce::S256Challenge;
use crate::redirect_uri::{self, VerifiedRedirectUri};
use crate::resource_owner::{ApprovalRequest, Approver, SignInError};
use crate::scope::{self, Scopes};
use crate::source::source_address;
use axum::Router;
use axum::body::to_bytes;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use remote_mcp_core::UnixTime;
use remote_mcp_core::audit::Audit;
use remote_mcp_core::model::{AuthorizationCode, Client, ConsentRequest};
use remote_mcp_core::secret::{Secret, SecretHash};
use std::time::Duration;

/// How long the user has to answer the consent page.
const CONSENT_TTL: Duration = Duration::from_secs(10 * 60);
/// The longest authorization request we read: real ones are well under 1 KB.
const MAX_QUERY_BYTES: usize = 4096;
/// The longest `state` we keep and echo back.
const MAX_STATE_CHARS: usize = 512;
/// Where this endpoint is served (at the root: Claude falls back to it without metadata).
pub const PATH: &str = crate::paths::AUTHORIZE;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route(PATH, get(show_consent).post(decide))
}

/// How an authorization request fails.
#[derive(Debug)]
pub enum AuthorizeError {
    /// Shown to the user on our own page: the client or redirect URI cannot be trusted.
    ShowToUser(StatusCode, String),
    /// Sent back to the verified redirect URI with `error`, `state` and `iss`.
    RedirectToClient {
        to: Box<VerifiedRedirectUri>,
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
    fn render(self, issuer: &str) -> Response {
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
    match open_consent(&state, &request, state.clock.now()).await {
        Ok(page) => page,
        Err(err) => err.render(state.config.issuer()),
    }
}

/// What `GET /authorize` is given.
struct Incoming<'a> {
    query: &'a str,
    headers: &'a HeaderMap,
    source: &'a str,
}

/// GET /authorize, in specification order: the client and its redirect URI (errors shown to the
/// user), then the request itself (errors sent back to the client), then the consent page.
async fn open_consent(
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
struct Asked {
    challenge: S256Challenge,
    resource: String,
    scopes: Scopes,
}

/// A verified request, ready for its consent page.
struct Page<'a> {
    client: &'a Client,
    to: &'a VerifiedRedirectUri,
    client_state: Option<String>,
    asked: Asked,
}

/// RFC 6749 §4.1.2.1: until the client and its redirect URI are known good, errors are the
/// user's to read, never redirected.
async fn verify_client(
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
fn validate_request(
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
async fn park(
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

#[tracing::instrument(name = "decide", skip_all)]
async fn decide(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if !crate::same_origin::is_same_origin(&parts.headers, state.config.issuer()) {
        return error_page(
            StatusCode::FORBIDDEN,
            "This form was sent from another site. Return to the application and connect again.",
        );
    }
    let Ok(body) = to_bytes(body, 16 * 1024).await else {
        return error_page(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.");
    };
    let source = source_address(&parts.extensions);
    match decision(&state, &parts.headers, &body, &source, state.clock.now()).await {
        Ok(response) => response,
        Err(err) => err.render(state.config.issuer()),
    }
}

/// POST /authorize: the user's answer, in steps: read the form, open the transaction (this
/// browser's), re-verify the client, identify who approves, take the transaction once, answer.
async fn decision(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    source: &str,
    now: UnixTime,
) -> Result<Response, AuthorizeError> {
    let form = read_form(body)?;
    let transaction = form
        .get("transaction")
        .ok_or_else(|| show(StatusCode::BAD_REQUEST, INCOMPLETE))?;
    let hash = SecretHash::of(transaction);
    let request = open_transaction(state, headers, &hash, now).await?;
    let (client, to) = reverify(state, &request, now).await?;
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
                    let scopes = Scopes::from_stored(&request.scope);
                    let message = err.to_string();
                    return Ok(ConsentPage {
                        error: Some(&message),
                        ..consent_page(state, &client, &to, &scopes, transaction)
                    }
                    .render(sign_in_status(err)));
                }
            }
        }
        Some("deny") => None,
        _ => return Err(show(StatusCode::BAD_REQUEST, INCOMPLETE)),
    };
    let granted = chosen_scopes(&form, &request)?;
    // One-time: of concurrent or repeated submissions only one gets here.
    if state.grants.take_consent(&hash, now).await?.is_none() {
        return Err(show(StatusCode::BAD_REQUEST, EXPIRED));
    }
    let Some(approver) = approver else {
        Audit::new("consent.denied")
            .client(client.id.as_str())
            .source(source)
            .log();
        return Err(AuthorizeError::RedirectToClient {
            to: Box::new(to),
            error: OAuthError::new(ErrorCode::AccessDenied, "the user denied the request"),
            state: request.state.clone(),
        });
    };
    issue_code(state, &client, &request, &granted, &to, approver, now).await
}

/// What the person chose to grant: everything asked for, or its read-only part; never more.
fn chosen_scopes(form: &Params, request: &ConsentRequest) -> Result<Scopes, AuthorizeError> {
    let asked = Scopes::from_stored(&request.scope);
    match form.get(ACCESS_FIELD) {
        None | Some(ACCESS_ALL) => Ok(asked),
        Some(ACCESS_READ_ONLY) => Ok(asked.read_only()),
        Some(_) => Err(show(StatusCode::BAD_REQUEST, INCOMPLETE)),
    }
}

const INCOMPLETE: &str = "The form is incomplete.";
const EXPIRED: &str = "This authorization request has expired or was already answered.";

fn show(status: StatusCode, message: &str) -> AuthorizeError {
    AuthorizeError::ShowToUser(status, message.to_owned())
}

fn read_form(body: &[u8]) -> Result<Params, AuthorizeError> {
    std::str::from_utf8(body)
        .ok()
        .and_then(|b| Params::parse(b).ok())
        .ok_or_else(|| show(StatusCode::BAD_REQUEST, "The form could not be read."))
}

/// The live transaction, if this browser was shown its page (CSRF: the `SameSite=Lax` binding
/// cookie must match).
async fn open_transaction(
    state: &AppState,
    headers: &HeaderMap,
    hash: &SecretHash,
    now: UnixTime,
) -> Result<ConsentRequest, AuthorizeError> {
    let request = state
        .grants
        .consent(hash, now)
        .await?
        .ok_or_else(|| show(StatusCode::BAD_REQUEST, EXPIRED))?;
    let bound = state
        .cookies
        .get(headers, Cookie::ConsentBinding)
        .is_some_and(|c| request.browser_binding.matches(&c));
    if !bound {
        return Err(show(
            StatusCode::FORBIDDEN,
            "This approval did not come from the browser that opened the request. Check that cookies are enabled.",
        ));
    }
    Ok(request)
}

/// The client may have been deleted, or its registration changed, since the page was shown.
async fn reverify(
    state: &AppState,
    request: &ConsentRequest,
    now: UnixTime,
) -> Result<(Client, VerifiedRedirectUri), AuthorizeError> {
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
    Ok((client, to))
}

fn sign_in_status(err: SignInError) -> StatusCode {
    match err {
        SignInError::Throttled => StatusCode::TOO_MANY_REQUESTS,
        SignInError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        SignInError::Required | SignInError::InvalidCredentials => StatusCode::UNAUTHORIZED,
    }
}

/// The consent page for `client`, with nothing set yet that depends on the moment.
fn consent_page<'a>(
    state: &'a AppState,
    client: &'a Client,
    to: &'a VerifiedRedirectUri,
    scopes: &'a Scopes,
    transaction: &'a str,
) -> ConsentPage<'a> {
    ConsentPage {
        resource_name: &state.config.resource_name,
        client_name: client.metadata.client_name.as_deref(),
        client_id: client.id.as_str(),
        redirect: to,
        scopes,
        transaction,
        browser_cookie: None,
        signed_in: None,
        sign_out: None,
        error: None,
        sign_in_with: Vec::new(),
    }
}

/// The approval: a one-time code for exactly this request, sent to the client.
async fn issue_code(
    state: &AppState,
    client: &Client,
    request: &ConsentRequest,
    granted: &Scopes,
    to: &VerifiedRedirectUri,
    approver: Approver,
    now: UnixTime,
) -> Result<Response, AuthorizeError> {
    let code = Secret::generate();
    let record = AuthorizationCode {
        client_id: client.id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge.clone(),
        resource: request.resource.clone(),
        scope: granted.to_string(),
        subject: approver.subject,
        person: Some(approver.person),
        issued_at: now,
        expires_at: now + state.config.lifetimes.authorization_code,
    };
    state.grants.save_code(&code.hash(), &record).await?;
    Audit::new("consent.approved")
        .user(&record.subject)
        .client(client.id.as_str())
        .detail(&record.scope)
        .log();
    let mut response = answer_client(
        to,
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
