//! Our cookies, written in one place: the consent page's and the account sign-in form's browser
//! bindings (CSRF, RFC 9700 §4.7), the sign-in session, and the binding of a sign-in at an
//! identity provider. Both are host-only, `HttpOnly`, `SameSite=Lax`, `Path=/`; on an HTTPS
//! issuer they are `Secure` and carry the `__Host-` prefix, which browsers only accept from our own
//! origin over HTTPS.

use axum::http::{HeaderMap, header};
use std::time::Duration;

/// Which cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cookie {
    /// Binds a consent transaction to the browser that was shown the page.
    ConsentBinding,
    /// A signed-in account, so a second client can be approved without the password.
    Session,
    /// Binds a sign-in at an identity provider to the browser that started it.
    Federation,
    /// Binds the `/account` sign-in form to the browser that was shown it (login CSRF).
    SignInBinding,
}

/// The cookies of one deployment: prefixed and `Secure` on HTTPS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cookies {
    pub secure: bool,
}

impl Cookies {
    /// The cookie's name.
    pub fn name(self, cookie: Cookie) -> &'static str {
        match (cookie, self.secure) {
            (Cookie::ConsentBinding, true) => "__Host-mcp-consent",
            (Cookie::ConsentBinding, false) => "mcp-consent",
            (Cookie::Session, true) => "__Host-mcp-session",
            (Cookie::Session, false) => "mcp-session",
            (Cookie::Federation, true) => "__Host-mcp-federation",
            (Cookie::Federation, false) => "mcp-federation",
            (Cookie::SignInBinding, true) => "__Host-mcp-signin",
            (Cookie::SignInBinding, false) => "mcp-signin",
        }
    }

    /// A `Set-Cookie` value for `value`, living `ttl`.
    pub fn set(self, cookie: Cookie, value: &str, ttl: Duration) -> String {
        format!(
            "{}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
            self.name(cookie),
            ttl.as_secs(),
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// A `Set-Cookie` value that removes the cookie.
    pub fn clear(self, cookie: Cookie) -> String {
        self.set(cookie, "", Duration::ZERO)
    }

    /// The cookie's value, if the request carries one of the shape we issue (at most 64
    /// URL-safe characters); anything else counts as absent.
    pub fn get(self, headers: &HeaderMap, cookie: Cookie) -> Option<String> {
        let name = self.name(cookie);
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
            .filter(|v| {
                v.len() <= 64
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
    }
}
