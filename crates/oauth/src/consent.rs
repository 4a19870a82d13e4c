//! The consent page: HTML, escaped, unframeable, uncached, without referrers, and with a CSP that
//! lets its one form post here and the browser follow the redirect to the client.
//!
//! It names the client *and* the host that will receive the code (client names are chosen by
//! whoever registered them), warns when that host is this machine, and says what will be granted.

use crate::no_store::NoStore;
use crate::redirect_uri::VerifiedRedirectUri;
use crate::scope::Scopes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use remote_mcp_core::scopes;

/// What the page shows.
pub struct ConsentPage<'a> {
    pub resource_name: &'a str,
    pub client_name: Option<&'a str>,
    pub client_id: &'a str,
    pub redirect: &'a VerifiedRedirectUri,
    pub scopes: &'a Scopes,
    pub transaction: &'a str,
    /// The browser-binding cookie to set (on first display only).
    pub browser_cookie: Option<String>,
    /// The user already signed in on this browser; otherwise the form asks for credentials.
    pub signed_in: Option<&'a str>,
    /// With `signed_in`: the form that signs them out ("not you?").
    pub sign_out: Option<String>,
    /// Why the last submission did not go through.
    pub error: Option<&'a str>,
    /// Identity providers to sign in with instead: (name, link).
    pub sign_in_with: Vec<(String, String)>,
}

/// HTML-escapes text for element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}\
h1{font-size:1.4rem}.host{font-family:ui-monospace,monospace;background:#f2f2f2;padding:.1rem .3rem;border-radius:4px}\
.warn{background:#fff4e5;border-left:4px solid #f0a020;padding:.5rem .8rem}ul{padding-left:1.2rem}\
button{font-size:1rem;padding:.6rem 1.4rem;margin-right:.6rem;border-radius:6px;border:1px solid #888;cursor:pointer}\
button.primary{background:#1a1a1a;color:#fff;border-color:#1a1a1a}\
input{font-size:1rem;padding:.4rem;width:100%;max-width:22rem}input[type=radio]{width:auto}\
fieldset{border:1px solid #ccc;border-radius:6px;margin:0 0 1rem}\
a.provider{display:inline-block;padding:.6rem 1.4rem;border:1px solid #1a1a1a;border-radius:6px;color:#1a1a1a;text-decoration:none}";

const SIGN_IN_FIELDS: &str = "<p><label>Email<br><input type=\"email\" name=\"email\" autocomplete=\"username\" required></label></p>\
<p><label>Password<br><input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label></p>";

/// What each requested scope allows, in words and by the tools it unlocks.
fn scope_descriptions(scopes: &Scopes) -> String {
    scopes
        .iter()
        .map(|scope| {
            let tools: Vec<String> = scopes::tools_unlocked_by(scope)
                .map(|tool| escape(tool.title))
                .collect();
            format!(
                "<li><strong>{}</strong>{}</li>",
                escape(scopes::describe(scope)),
                if tools.is_empty() {
                    String::new()
                } else {
                    format!(": {}", tools.join(", "))
                }
            )
        })
        .collect()
}

/// The form field that grants less than asked, and its values.
pub const ACCESS_FIELD: &str = "access";
/// Everything the client asked for.
pub const ACCESS_ALL: &str = "all";
/// The read-only part of it.
pub const ACCESS_READ_ONLY: &str = "read";

/// The choice to grant less than asked, when the request includes changing data.
fn access_choice(scopes: &Scopes) -> String {
    if scopes.read_only() == *scopes {
        return String::new();
    }
    let read: Vec<&str> = scopes::tools_unlocked_by(scopes::READ)
        .map(|t| t.title)
        .collect();
    format!(
        "<fieldset><legend>Access to grant</legend>\
<p><label><input type=\"radio\" name=\"{ACCESS_FIELD}\" value=\"{ACCESS_ALL}\" checked> Everything asked for</label></p>\
<p><label><input type=\"radio\" name=\"{ACCESS_FIELD}\" value=\"{ACCESS_READ_ONLY}\"> Read only ({})</label></p>\
</fieldset>",
        escape(&read.join(", "))
    )
}

impl ConsentPage<'_> {
    /// The page as an HTTP response with its protective headers and browser-binding cookie.
    pub fn render(self, status: StatusCode) -> Response {
        let name = self.client_name.unwrap_or("An unnamed application");
        let host = self.redirect.display_host();
        let redirect_host = self.redirect.host();
        let impersonation_warning = match self
            .client_name
            .and_then(|n| crate::text::impersonated(n, redirect_host, self.redirect.is_loopback()))
        {
            Some(known) => format!(
                "<p class=\"warn\" role=\"alert\">This application calls itself <strong>{}</strong>, \
                 but it is not {}: its codes go to <span class=\"host\">{}</span>, which is not one of \
                 {}'s. Approve only if you know who runs it.</p>",
                escape(name),
                escape(known.name),
                escape(&host),
                escape(known.name),
            ),
            None => String::new(),
        };
        let loopback_warning = if self.redirect.is_loopback() {
            "<p class=\"warn\">The code goes to a program on <strong>this computer</strong>. Approve only if you just started the connection from an app you trust.</p>"
        } else {
            ""
        };
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>Connect to {resource}</title><style>{STYLE}</style></head><body>\
<h1>Allow <strong>{name}</strong> to access {resource}?</h1>\
<p>It will receive access at <span class=\"host\">{host}</span>.</p>{impersonation_warning}{loopback_warning}\
<p>It asks to:</p><ul>{scopes}</ul>\
<p><small>Client ID: <span class=\"host\">{client_id}</span></small></p>{error}\
<form method=\"post\" action=\"/authorize\">\
<input type=\"hidden\" name=\"transaction\" value=\"{transaction}\">{choice}{identity}\
<button class=\"primary\" type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
<button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate>Deny</button>\
</form>{sign_out}<p><small><a href=\"/account\">Your connected apps</a>: see and disconnect what you approved.</small></p>\
</body></html>",
            resource = escape(self.resource_name),
            name = escape(name),
            host = escape(&host),
            scopes = scope_descriptions(self.scopes),
            choice = access_choice(self.scopes),
            client_id = escape(self.client_id),
            transaction = escape(self.transaction),
            sign_out = self.sign_out.as_deref().unwrap_or_default(),
            error = self
                .error
                .map(|e| format!("<p class=\"warn\" role=\"alert\">{}</p>", escape(e)))
                .unwrap_or_default(),
            identity = match self.signed_in {
                Some(email) => format!(
                    "<p>Signed in as <strong>{}</strong> — not you? Sign out below, then sign \
                     in as yourself.</p>",
                    escape(email)
                ),
                None => format!("{}{SIGN_IN_FIELDS}", providers(&self.sign_in_with)),
            },
        );
        let csp = format!(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' {}; frame-ancestors 'none'; base-uri 'none'",
            self.redirect.csp_source()
        );
        let mut response = NoStore((status, Html(body))).into_response();
        protect(&mut response, &csp);
        if let Some(cookie) = self
            .browser_cookie
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        response
    }
}

/// "Continue with" links, then the built-in sign-in below them.
fn providers(links: &[(String, String)]) -> String {
    if links.is_empty() {
        return String::new();
    }
    let links: String = links
        .iter()
        .map(|(name, href)| {
            format!(
                "<p><a class=\"provider\" href=\"{}\">Continue with {}</a></p>",
                escape(href),
                escape(name)
            )
        })
        .collect();
    format!("{links}<p>Or sign in with an account on this server:</p>")
}

/// An error page for the browser (never a redirect to an unverified client).
pub fn error_page(status: StatusCode, message: &str) -> Response {
    error_page_with_retry(status, message, None)
}

/// An error page that offers to start again at `again` (a path on this server), when given.
pub fn error_page_with_retry(status: StatusCode, message: &str, again: Option<&str>) -> Response {
    let next = match again {
        Some(href) => format!("<p><a href=\"{}\">Start again</a></p>", escape(href)),
        None => "<p>Return to the application you were connecting and try again.</p>".to_owned(),
    };
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Authorization error</title>\
<style>{STYLE}</style></head><body><h1>This connection cannot continue</h1><p>{}</p>\
{next}</body></html>",
        escape(message)
    );
    let mut response = NoStore((status, Html(body))).into_response();
    protect(
        &mut response,
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    );
    response
}

pub(crate) fn protect(response: &mut Response, csp: &str) {
    // A page saying "unavailable" tells browsers and monitors when to come back, as the JSON
    // endpoints do.
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(csp) = HeaderValue::from_str(csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>"x"&'y'</script>"#),
            "&lt;script&gt;&quot;x&quot;&amp;&#x27;y&#x27;&lt;/script&gt;"
        );
    }
}
