//! Connected apps: `/account`, where a person sees the clients they approved and disconnects them.
//!
//! Sign-in is the consent page's (an account here, or a configured identity provider; the same
//! session). The page lists the person's live grants, read by key from their partition: the
//! client's name and the host its codes go to, how it registered, the scopes granted and when.
//! "Disconnect" revokes the grant: its refresh token fails at once, its access tokens at the MCP
//! function within the revocation bound. "Sign out" ends the session on the server. Those forms
//! carry a token derived from the session; the sign-in form carries one derived from a cookie set
//! with the page (so another site cannot sign a browser into its own account: login CSRF); and
//! every POST must come from our own pages ([`crate::same_origin`]). A grant that is not the
//! signed-in person's is answered like one that does not exist. No JavaScript, never framed,
//! never cached.

use crate::AppState;
use crate::consent::{error_page, escape};
use crate::no_store::NoStore;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use remote_mcp_core::StoreError;
use remote_mcp_core::secret::SecretHash;

mod page;
use page::show;
mod act;
use act::act;

/// Where the page is served.
pub const PATH: &str = crate::paths::ACCOUNT;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route(PATH, get(show).post(act))
}

/// The form token of this browser's session: anyone can compute it from the session cookie, which
/// only this browser holds.
pub(crate) fn form_token(session: &str) -> String {
    SecretHash::of(&format!("account-form:{session}"))
        .as_str()
        .to_owned()
}

/// The sign-in form's token, from the binding cookie set with the form.
fn sign_in_token(binding: &str) -> String {
    SecretHash::of(&format!("account-sign-in:{binding}"))
        .as_str()
        .to_owned()
}

/// How long a sign-in form may be submitted.
const SIGN_IN_FORM_TTL: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// The consent page's sign-out form: posts here, then comes back to `return_to`.
pub(crate) fn sign_out_form(session: &str, return_to: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{PATH}\"><input type=\"hidden\" name=\"form_token\" value=\"{}\">\
<input type=\"hidden\" name=\"return_to\" value=\"{}\">\
<button type=\"submit\" name=\"sign_out\" value=\"1\">Sign out</button></form>",
        form_token(session),
        escape(return_to)
    )
}

fn unavailable(err: StoreError) -> Response {
    tracing::error!(%err, "store failure on /account");
    error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "This page is unavailable right now. Try again shortly.",
    )
}

fn see_account(set_cookie: Option<String>) -> Response {
    see_other(PATH, set_cookie.as_slice())
}

/// A 303 to `location` (one of our pages), setting `cookies`.
fn see_other(location: &str, cookies: &[String]) -> Response {
    let mut response = NoStore(StatusCode::SEE_OTHER).into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, location);
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Answers a POST that did not come from our own pages.
fn cross_site() -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "This form was sent from another site. Open the page here and try again.",
    )
}
