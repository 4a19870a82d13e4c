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
use crate::consent::error_page;
use crate::error::OAuthError;
use crate::no_store::NoStore;
use crate::redirect_uri::VerifiedRedirectUri;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use std::time::Duration;

mod request;
use request::show_consent;
mod decision;
use decision::decide;

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
