//! POST /account: a sign-in, a sign-out, a disconnection (of an app, or of a service the tools
//! use), each from a form of our own pages bound to this browser.

use super::page::sign_in_page;
use super::{PATH, cross_site, form_token, see_account, see_other, sign_in_token, unavailable};
use crate::AppState;
use crate::consent::error_page;
use crate::cookies::Cookie;
use crate::params::Params;
use crate::resource_owner::{ApprovalRequest, SignInError};
use crate::same_origin;
use crate::source::source_address;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use remote_mcp_core::audit::Audit;
use remote_mcp_core::model::GrantId;
use remote_mcp_core::secret::SecretHash;
use remote_mcp_core::{StoreError, UnixTime};
use subtle::ConstantTimeEq;

/// `POST /account`: a sign-in, a sign-out, or a disconnection.
#[tracing::instrument(name = "account_action", skip_all)]
pub(super) async fn act(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if !same_origin::is_same_origin(&parts.headers, state.config.issuer()) {
        return cross_site();
    }
    let Ok(body) = to_bytes(body, 16 * 1024).await else {
        return error_page(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.");
    };
    let Ok(form) = Params::parse(&String::from_utf8_lossy(&body)) else {
        return error_page(StatusCode::BAD_REQUEST, "The form could not be read.");
    };
    let now = state.clock.now();
    if let Some(grant) = form.get("disconnect") {
        return disconnect(&state, &parts.headers, &form, grant, now).await;
    }
    if let Some(provider) = form.get("connect_provider") {
        let source = source_address(&parts.extensions);
        return match signed_in_form(&state, &parts.headers, &form, now).await {
            Ok(person) => crate::federation::connect(&state, provider, &person, &source, now).await,
            Err(response) => response,
        };
    }
    if let Some(provider) = form.get("disconnect_provider") {
        return match signed_in_form(&state, &parts.headers, &form, now).await {
            Ok(person) => disconnect_provider(&state, &person, provider).await,
            Err(response) => response,
        };
    }
    if form.get("sign_out").is_some() {
        return sign_out(&state, &parts.headers, &form).await;
    }
    // Login CSRF: the form must be the one this browser was shown.
    let binding = state.cookies.get(&parts.headers, Cookie::SignInBinding);
    let presented = form.get("sign_in_token").unwrap_or_default();
    let bound = binding
        .is_some_and(|b| bool::from(presented.as_bytes().ct_eq(sign_in_token(&b).as_bytes())));
    if !bound {
        return sign_in_page(
            &state,
            Some("This sign-in form expired or did not come from this page. Sign in again."),
            StatusCode::FORBIDDEN,
        );
    }
    let source = source_address(&parts.extensions);
    let approval = ApprovalRequest {
        headers: &parts.headers,
        form: &form,
        source: &source,
        now,
    };
    match state.owner.approve(&approval).await {
        Ok(approver) => see_other(
            PATH,
            &[
                approver.set_cookie,
                Some(state.cookies.clear(Cookie::SignInBinding)),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>(),
        ),
        Err(err) => {
            let status = match err {
                SignInError::Throttled => StatusCode::TOO_MANY_REQUESTS,
                SignInError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                SignInError::Required | SignInError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            };
            sign_in_page(&state, Some(&err.to_string()), status)
        }
    }
}

/// Ends this browser's session on the server, then goes back to `return_to` (the consent page it
/// came from, or this page).
pub(super) async fn sign_out(state: &AppState, headers: &HeaderMap, form: &Params) -> Response {
    let cookies = state.cookies;
    let Some(session) = cookies.get(headers, Cookie::Session) else {
        return see_account(None);
    };
    let presented = form.get("form_token").unwrap_or_default();
    if !bool::from(presented.as_bytes().ct_eq(form_token(&session).as_bytes())) {
        return error_page(
            StatusCode::FORBIDDEN,
            "This form did not come from your account page. Open the page again.",
        );
    }
    if let Err(err) = state.accounts.end_session(&SecretHash::of(&session)).await {
        return unavailable(err);
    }
    Audit::new("signout").log();
    let back = form
        .get("return_to")
        .filter(|r| r.len() <= 4096 && (*r == PATH || r.starts_with("/authorize?")))
        .unwrap_or(PATH);
    see_other(back, &[cookies.clear(Cookie::Session)])
}

/// The signed-in person's id, when `form` is their account page's (its token matches their
/// session); otherwise the page to answer.
pub(super) async fn signed_in_form(
    state: &AppState,
    headers: &HeaderMap,
    form: &Params,
    now: UnixTime,
) -> Result<String, Response> {
    let session = state.cookies.get(headers, Cookie::Session);
    let person = state
        .owner
        .signed_in(headers, now)
        .await
        .map_err(unavailable)?;
    let (Some(session), Some(person)) = (session, person) else {
        return Err(sign_in_page(
            state,
            Some("Sign in again to continue."),
            StatusCode::UNAUTHORIZED,
        ));
    };
    let presented = form.get("form_token").unwrap_or_default();
    if !bool::from(presented.as_bytes().ct_eq(form_token(&session).as_bytes())) {
        return Err(error_page(
            StatusCode::FORBIDDEN,
            "This form did not come from your account page. Open the page again.",
        ));
    }
    Ok(person.subject)
}

/// Forgets the person's tokens for `provider` and has them revoked there.
pub(super) async fn disconnect_provider(
    state: &AppState,
    person: &str,
    provider: &str,
) -> Response {
    let Some(upstreams) = state
        .upstreams
        .as_ref()
        .filter(|u| u.provider(provider).is_some())
    else {
        return error_page(
            StatusCode::NOT_FOUND,
            "There is no such service to disconnect.",
        );
    };
    match upstreams.forget(person, provider).await {
        Ok(Some(connection)) => {
            if let Some(revoker) = &state.revoker {
                revoker.revoke(connection).await;
            }
            see_account(None)
        }
        Ok(None) => see_account(None),
        Err(err) => unavailable(StoreError::Backend(err.to_string())),
    }
}

pub(super) async fn disconnect(
    state: &AppState,
    headers: &HeaderMap,
    form: &Params,
    grant: &str,
    now: UnixTime,
) -> Response {
    let person = match signed_in_form(state, headers, form, now).await {
        Ok(person) => person,
        Err(response) => return response,
    };
    let not_connected = || {
        error_page(
            StatusCode::NOT_FOUND,
            "That app is not connected to your account.",
        )
    };
    // An id that cannot be one of ours never reaches the store.
    let Some(id) = GrantId::parse(grant) else {
        return not_connected();
    };
    // Someone else's grant is answered exactly like one that does not exist.
    let owned = match state.grants.grant(&id, now).await {
        Ok(found) => found.is_some_and(|g| g.subject == person),
        Err(err) => return unavailable(err),
    };
    if !owned {
        return not_connected();
    }
    match state.grants.revoke_grant(&id).await {
        Ok(_) => {
            Audit::new("grant.disconnected")
                .user(&person)
                .grant(id.as_str())
                .log();
            see_account(None)
        }
        Err(err) => unavailable(err),
    }
}
