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
use crate::consent::{STYLE, error_page, escape, protect};
use crate::cookies::Cookie;
use crate::no_store::NoStore;
use crate::params::Params;
use crate::resource_owner::{ApprovalRequest, SignInError};
use crate::same_origin;
use crate::source::source_address;
use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use remote_mcp_core::audit::Audit;
use remote_mcp_core::model::{Approval, Grant, GrantId, Registration};
use remote_mcp_core::secret::SecretHash;
use remote_mcp_core::time::iso8601;
use remote_mcp_core::{GrantStore, StoreError, UnixTime};
use subtle::ConstantTimeEq;

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

#[tracing::instrument(name = "account", skip_all)]
async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let now = state.clock.now();
    let person = match state.owner.signed_in(&headers, now).await {
        Ok(Some(person)) => person,
        Ok(None) => return sign_in_page(&state, None, StatusCode::OK),
        // With a session cookie the person is likely signed in: say the page is unavailable,
        // rather than asking them to sign in again into an outage.
        Err(err) => return unavailable(err),
    };
    let Some(session) = state.cookies.get(&headers, Cookie::Session) else {
        return sign_in_page(&state, None, StatusCode::OK);
    };
    let token = form_token(&session);
    let services = match services(&state, &person.subject, &token).await {
        Ok(services) => services,
        Err(err) => return unavailable(err),
    };
    // "Connect" posts here and is answered with a redirect to the provider: the page's
    // `form-action` must allow the providers' authorization endpoints.
    let connect_targets = state.federation.connect_origins().await.join(" ");
    match state.grants.user_grants(&person.subject, now).await {
        Ok(grants) => {
            let rows = rows(state.grants.as_ref(), &grants, now).await;
            page_with_form_targets(
                &format!("Connected apps of {}", person.email),
                &format!(
                    "{}<p><small>Disconnecting stops an app at once; it can connect again only \
                     if you approve it again.</small></p>{services}{}",
                    listing(&rows, &token),
                    sign_out_form(&session, PATH)
                ),
                StatusCode::OK,
                &connect_targets,
            )
        }
        Err(err) => unavailable(err),
    }
}

/// The services tools can use as the person (the token vault's providers), each with "Connect"
/// or "Disconnect"; nothing when none is configured.
async fn services(state: &AppState, person: &str, token: &str) -> Result<String, StoreError> {
    let Some(upstreams) = &state.upstreams else {
        return Ok(String::new());
    };
    let connected = upstreams
        .connections(person)
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    let rows: String = upstreams
        .providers()
        .map(|provider| {
            let connection = connected.iter().find(|c| c.provider == provider.id);
            let (status, action, label) = match connection {
                Some(c) => (
                    format!("Connected as {} since {}", escape(&c.account), iso8601(c.connected_at)),
                    "disconnect_provider",
                    "Disconnect",
                ),
                None => ("Not connected".to_owned(), "connect_provider", "Connect"),
            };
            format!(
                "<tr><td><strong>{name}</strong></td><td>{status}</td><td>\
<form method=\"post\" action=\"{PATH}\"><input type=\"hidden\" name=\"form_token\" value=\"{token}\">\
<input type=\"hidden\" name=\"{action}\" value=\"{id}\">\
<button type=\"submit\">{label}</button></form></td></tr>",
                name = escape(&provider.name),
                id = escape(&provider.id),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(String::new());
    }
    Ok(format!(
        "<h2>Services your tools can use</h2><p><small>Tools call these services as you, with \
         access you gave them there; disconnecting removes it here and at the service.</small></p>\
         <table><tbody>{rows}</tbody></table>"
    ))
}

/// One grant as the page shows it.
struct Row {
    grant: GrantId,
    client: String,
    host: String,
    registered: &'static str,
    approved_by: &'static str,
    scope: String,
    connected: String,
    last_used: String,
}

/// Each grant with what the page shows of its client (`store` names the clients).
async fn rows(store: &dyn GrantStore, grants: &[Grant], now: UnixTime) -> Vec<Row> {
    let mut rows = Vec::with_capacity(grants.len());
    for grant in grants {
        let client = store.client(&grant.client_id, now).await.ok().flatten();
        let (name, host, registered) = match &client {
            Some(client) => (
                client
                    .metadata
                    .client_name
                    .clone()
                    .unwrap_or_else(|| "An unnamed application".into()),
                client
                    .metadata
                    .redirect_uris
                    .first()
                    .and_then(|u| url::Url::parse(u).ok())
                    .and_then(|u| u.host_str().map(str::to_owned))
                    .unwrap_or_default(),
                match client.registered_by {
                    Registration::Dynamic => "registered itself",
                    Registration::MetadataDocument => "client metadata document",
                    Registration::Operator => "created by an operator",
                },
            ),
            None => ("A removed application".into(), String::new(), "—"),
        };
        rows.push(Row {
            grant: grant.id.clone(),
            client: name,
            host,
            registered,
            approved_by: match grant.approved_by {
                Approval::Person => "you",
                Approval::Enterprise => "your organisation (enterprise)",
            },
            scope: grant
                .scope
                .split_ascii_whitespace()
                .map(remote_mcp_core::scopes::describe)
                .collect::<Vec<_>>()
                .join("; "),
            connected: iso8601(grant.created_at),
            last_used: grant
                .last_used_at
                .map_or_else(|| "not yet".to_owned(), iso8601),
        });
    }
    rows
}

fn listing(rows: &[Row], token: &str) -> String {
    if rows.is_empty() {
        return "<p>No apps are connected.</p>".to_owned();
    }
    let items: String = rows
        .iter()
        .map(|row| {
            format!(
                "<tr><td><strong>{client}</strong><br><span class=\"host\">{host}</span></td>\
<td>{registered}</td><td>{approved_by}</td><td>{scope}</td><td>{connected}</td><td>{last_used}</td><td>\
<form method=\"post\" action=\"{PATH}\"><input type=\"hidden\" name=\"form_token\" value=\"{token}\">\
<input type=\"hidden\" name=\"disconnect\" value=\"{grant}\">\
<button type=\"submit\">Disconnect</button></form></td></tr>",
                client = escape(&row.client),
                host = escape(&row.host),
                registered = row.registered,
                approved_by = row.approved_by,
                scope = escape(&row.scope),
                connected = row.connected,
                last_used = row.last_used,
                grant = escape(row.grant.as_str()),
            )
        })
        .collect();
    format!(
        "<table><thead><tr><th>App</th><th>How it registered</th><th>Approved by</th><th>Access</th>\
<th>Connected</th><th>Last used</th><th></th></tr></thead><tbody>{items}</tbody></table>"
    )
}

fn sign_in_page(state: &AppState, error: Option<&str>, status: StatusCode) -> Response {
    let binding = remote_mcp_core::secret::Secret::generate();
    let providers: String = state
        .federation
        .links(PATH)
        .into_iter()
        .map(|(name, href)| {
            format!(
                "<p><a class=\"provider\" href=\"{}\">Continue with {}</a></p>",
                escape(&href),
                escape(&name)
            )
        })
        .collect();
    let error = error
        .map(|e| format!("<p class=\"warn\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    let mut response = page(
        "Sign in to see your connected apps",
        &format!(
            "{error}{providers}<form method=\"post\" action=\"{PATH}\">\
<input type=\"hidden\" name=\"sign_in_token\" value=\"{token}\">\
<p><label>Email<br><input type=\"email\" name=\"email\" autocomplete=\"username\" required></label></p>\
<p><label>Password<br><input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label></p>\
<button class=\"primary\" type=\"submit\">Sign in</button></form>",
            token = sign_in_token(binding.expose()),
        ),
        status,
    );
    let cookie = state
        .cookies
        .set(Cookie::SignInBinding, binding.expose(), SIGN_IN_FORM_TTL);
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn page(title: &str, body: &str, status: StatusCode) -> Response {
    page_with_form_targets(title, body, status, "")
}

/// [`page`], whose forms may also lead (by redirect) to `form_targets` (origins, space-separated).
fn page_with_form_targets(
    title: &str,
    body: &str,
    status: StatusCode,
    form_targets: &str,
) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{title}</title><style>{STYLE}table{{border-collapse:collapse}}td,th{{text-align:left;\
padding:.4rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}}</style></head><body>\
<h1>{title}</h1>{body}</body></html>",
        title = escape(title),
    );
    let mut response = NoStore((status, Html(html))).into_response();
    let policy = format!(
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'{}{form_targets}; \
         frame-ancestors 'none'; base-uri 'none'",
        if form_targets.is_empty() { "" } else { " " }
    );
    protect(&mut response, &policy);
    response
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

/// `POST /account`: a sign-in, a sign-out, or a disconnection.
#[tracing::instrument(name = "account_action", skip_all)]
async fn act(State(state): State<AppState>, request: Request) -> Response {
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
async fn sign_out(state: &AppState, headers: &HeaderMap, form: &Params) -> Response {
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
async fn signed_in_form(
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
async fn disconnect_provider(state: &AppState, person: &str, provider: &str) -> Response {
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

async fn disconnect(
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
