//! POST /authorize: the consent page's answer, from the transaction that belongs to this browser
//! and the person who signs in, to a code or access_denied.

use super::{AuthorizeError, answer_client};
use crate::AppState;
use crate::clients;
use crate::consent::{ACCESS_ALL, ACCESS_FIELD, ACCESS_READ_ONLY, ConsentPage, error_page};
use crate::cookies::Cookie;
use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::redirect_uri::{self, VerifiedRedirectUri};
use crate::resource_owner::{ApprovalRequest, Approver, SignInError};
use crate::scope::Scopes;
use crate::source::source_address;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use remote_mcp_core::UnixTime;
use remote_mcp_core::audit::Audit;
use remote_mcp_core::model::{AuthorizationCode, Client, ConsentRequest};
use remote_mcp_core::secret::{Secret, SecretHash};

#[tracing::instrument(name = "decide", skip_all)]
pub(super) async fn decide(State(state): State<AppState>, request: Request) -> Response {
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
pub(super) async fn decision(
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
pub(super) fn chosen_scopes(
    form: &Params,
    request: &ConsentRequest,
) -> Result<Scopes, AuthorizeError> {
    let asked = Scopes::from_stored(&request.scope);
    match form.get(ACCESS_FIELD) {
        None | Some(ACCESS_ALL) => Ok(asked),
        Some(ACCESS_READ_ONLY) => Ok(asked.read_only()),
        Some(_) => Err(show(StatusCode::BAD_REQUEST, INCOMPLETE)),
    }
}

pub(super) const INCOMPLETE: &str = "The form is incomplete.";
pub(super) const EXPIRED: &str = "This authorization request has expired or was already answered.";

pub(super) fn show(status: StatusCode, message: &str) -> AuthorizeError {
    AuthorizeError::ShowToUser(status, message.to_owned())
}

pub(super) fn read_form(body: &[u8]) -> Result<Params, AuthorizeError> {
    std::str::from_utf8(body)
        .ok()
        .and_then(|b| Params::parse(b).ok())
        .ok_or_else(|| show(StatusCode::BAD_REQUEST, "The form could not be read."))
}

/// The live transaction, if this browser was shown its page (CSRF: the `SameSite=Lax` binding
/// cookie must match).
pub(super) async fn open_transaction(
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
pub(super) async fn reverify(
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

pub(super) fn sign_in_status(err: SignInError) -> StatusCode {
    match err {
        SignInError::Throttled => StatusCode::TOO_MANY_REQUESTS,
        SignInError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        SignInError::Required | SignInError::InvalidCredentials => StatusCode::UNAUTHORIZED,
    }
}

/// The consent page for `client`, with nothing set yet that depends on the moment.
pub(super) fn consent_page<'a>(
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
pub(super) async fn issue_code(
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
