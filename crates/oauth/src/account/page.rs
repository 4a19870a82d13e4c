//! GET /account: the person's connected apps and the services their tools can use, or the sign-in
//! form; the HTML every answer of this endpoint is written in.

use super::{PATH, SIGN_IN_FORM_TTL, form_token, sign_in_token, sign_out_form, unavailable};
use crate::AppState;
use crate::consent::{STYLE, escape, protect};
use crate::cookies::Cookie;
use crate::no_store::NoStore;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use remote_mcp_core::model::{Approval, Grant, GrantId, Registration};
use remote_mcp_core::time::iso8601;
use remote_mcp_core::{GrantStore, StoreError, UnixTime};

#[tracing::instrument(name = "account", skip_all)]
pub(super) async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
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
pub(super) async fn services(
    state: &AppState,
    person: &str,
    token: &str,
) -> Result<String, StoreError> {
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
pub(super) struct Row {
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
pub(super) async fn rows(store: &dyn GrantStore, grants: &[Grant], now: UnixTime) -> Vec<Row> {
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

pub(super) fn listing(rows: &[Row], token: &str) -> String {
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

pub(super) fn sign_in_page(state: &AppState, error: Option<&str>, status: StatusCode) -> Response {
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

pub(super) fn page(title: &str, body: &str, status: StatusCode) -> Response {
    page_with_form_targets(title, body, status, "")
}

/// [`page`], whose forms may also lead (by redirect) to `form_targets` (origins, space-separated).
pub(super) fn page_with_form_targets(
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
