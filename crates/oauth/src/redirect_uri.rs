//! Redirect URIs: what may be registered (RFC 7591 §2, RFC 8252 §7, RFC 9700 §4.1) and how an
//! authorization request's URI is matched against the registration (exact; loopback port free,
//! RFC 8252 §7.3).
//!
//! A [`VerifiedRedirectUri`] can only be made by [`verify`], so the authorization endpoint cannot
//! redirect anywhere that was not registered: unsafe redirects are unrepresentable.

use remote_mcp_core::config::is_loopback_host;
use url::Url;

/// Longest redirect URI we accept.
pub const MAX_LENGTH: usize = 2000;
/// Most redirect URIs one client may register.
pub const MAX_PER_CLIENT: usize = 10;

/// Schemes that must never be redirect targets, whatever else they look like.
const FORBIDDEN_SCHEMES: &[&str] = &[
    "javascript",
    "data",
    "file",
    "vbscript",
    "blob",
    "about",
    "filesystem",
    "view-source",
    "ftp",
    "ws",
    "wss",
    "mailto",
    "tel",
    "sms",
    "intent",
    "chrome",
    "chrome-extension",
    "moz-extension",
];

/// Checks a redirect URI offered at registration (or in a client metadata document).
pub fn validate_for_registration(raw: &str) -> Result<(), String> {
    let reject = |why: &str| Err(format!("redirect URI {raw:?} {why}"));
    if raw.is_empty() || raw.len() > MAX_LENGTH {
        return reject("is empty or too long");
    }
    // Whitespace and control characters hide tricks from humans and from other parsers.
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return reject("contains whitespace or control characters");
    }
    if raw.contains('#') {
        return reject("must not contain a fragment (RFC 6749 §3.1.2)");
    }
    let Ok(url) = Url::parse(raw) else {
        return reject("is not an absolute URI");
    };
    let scheme = url.scheme();
    // The parser lower-cases the scheme; demand the registered text already was (no `JavaScript:`).
    if !raw.starts_with(&format!("{scheme}:")) {
        return reject("must spell its scheme in lower case");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return reject("must not carry user information");
    }
    match scheme {
        "https" if url.host_str().is_none_or(str::is_empty) => reject("has no host"),
        "https" => Ok(()),
        "http" if !url.host_str().is_some_and(is_loopback_host) => {
            reject("uses http on a host other than localhost, 127.0.0.1 or [::1]")
        }
        "http" => Ok(()),
        other if FORBIDDEN_SCHEMES.contains(&other) => reject("uses a forbidden scheme"),
        // RFC 8252 §7.1 private-use schemes (`com.example.app:/cb`, `cursor://…`).
        _ => Ok(()),
    }
}

/// A redirect URI proven to belong to the client: the only value redirects may target. It keeps
/// the URI exactly as requested (what the code is bound to) and parsed (what responses are built on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedRedirectUri {
    text: String,
    url: Url,
}

impl VerifiedRedirectUri {
    fn new(requested: &str) -> Option<Self> {
        Some(Self {
            url: Url::parse(requested).ok()?,
            text: requested.to_owned(),
        })
    }

    /// The URI as requested (and matched).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// This URI with response parameters appended to its query (RFC 6749 §4.1.2).
    pub fn with_params(&self, params: &[(&str, &str)]) -> String {
        let mut url = self.url.clone();
        url.query_pairs_mut().extend_pairs(params);
        url.to_string()
    }

    /// The origin shown to the user and allowed as a form target (`scheme://host[:port]`, or
    /// `scheme:` for private-use schemes).
    pub fn display_host(&self) -> String {
        match self.url.host_str() {
            Some(host) => host.to_owned(),
            None => format!("{}:", self.url.scheme()),
        }
    }

    /// The host, for http(s) redirects (`None` for a private-use scheme).
    pub fn host(&self) -> Option<&str> {
        matches!(self.url.scheme(), "http" | "https")
            .then(|| self.url.host_str())
            .flatten()
    }

    /// The CSP `form-action` source for this URI (browsers apply it to the redirect after the post).
    pub fn csp_source(&self) -> String {
        if matches!(self.url.scheme(), "http" | "https") {
            self.url.origin().ascii_serialization()
        } else {
            format!("{}:", self.url.scheme())
        }
    }

    /// Whether the client receives the code on this machine (shown as a warning on consent).
    pub fn is_loopback(&self) -> bool {
        self.url.scheme() == "http" && self.url.host_str().is_some_and(is_loopback_host)
    }
}

/// Matches a requested redirect URI against a client's registered ones: exact string equality,
/// except that for `http` on a loopback host the port is ignored (RFC 8252 §7.3). Host, path and
/// query must still match exactly, and one loopback name never stands for another.
pub fn verify(registered: &[String], requested: &str) -> Option<VerifiedRedirectUri> {
    if registered.iter().any(|r| r == requested) {
        return VerifiedRedirectUri::new(requested);
    }
    validate_for_registration(requested).ok()?;
    let asked = Url::parse(requested).ok()?;
    if asked.scheme() != "http" || !asked.host_str().is_some_and(is_loopback_host) {
        return None;
    }
    registered
        .iter()
        .filter_map(|r| Url::parse(r).ok())
        .any(|r| {
            r.scheme() == "http"
                && r.host_str() == asked.host_str()
                && r.path() == asked.path()
                && r.query() == asked.query()
        })
        .then(|| VerifiedRedirectUri::new(requested))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_real_clients_register() {
        for ok in [
            "https://claude.ai/api/mcp/auth_callback",
            "https://claude.com/api/mcp/auth_callback",
            "http://localhost:6274/oauth/callback",
            "http://127.0.0.1:33418",
            "http://[::1]:8080/cb",
            "http://localhost/callback",
            "cursor://anysphere.cursor-mcp/oauth/callback",
            "com.example.app:/oauth2redirect",
            "https://vscode.dev/redirect",
        ] {
            assert_eq!(validate_for_registration(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_unsafe_registrations() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "vbscript:msgbox",
            "http://example.com/cb",
            "http://localhost.evil.com/cb",
            "http://127.0.0.2/cb",
            "https://claude.ai/cb#frag",
            "https://user:pw@claude.ai/cb",
            "https://claude.ai@evil.com/cb",
            "https://claude.ai/ cb",
            "https://claude.ai/\tcb",
            "https://claude.ai/cb\n",
            "HTTPS://claude.ai/cb",
            "relative/path",
            "",
        ] {
            assert!(
                validate_for_registration(bad).is_err(),
                "{bad:?} must be rejected"
            );
        }
        assert!(
            validate_for_registration(&format!("https://a.example/{}", "x".repeat(MAX_LENGTH)))
                .is_err()
        );
    }

    #[test]
    fn exact_match_is_required() {
        let registered = vec!["https://claude.ai/api/mcp/auth_callback".to_owned()];
        assert!(verify(&registered, "https://claude.ai/api/mcp/auth_callback").is_some());
        for bad in [
            "https://claude.ai/api/mcp/auth_callback/",
            "https://claude.ai/api/mcp/auth_callback?x=1",
            "https://claude.ai/api/mcp/AUTH_callback",
            "https://claude.ai.evil.com/api/mcp/auth_callback",
            "https://claude.ai:444/api/mcp/auth_callback",
            "http://claude.ai/api/mcp/auth_callback",
        ] {
            assert!(verify(&registered, bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn loopback_ignores_only_the_port() {
        let registered = vec![
            "http://localhost/callback".to_owned(),
            "http://127.0.0.1/callback".to_owned(),
        ];
        assert!(verify(&registered, "http://localhost:53219/callback").is_some());
        assert!(verify(&registered, "http://127.0.0.1:1/callback").is_some());
        for bad in [
            "http://localhost:53219/other",
            "http://localhost:53219/callback?x=1",
            "http://[::1]:53219/callback",
            "https://localhost:53219/callback",
            "http://localhost:53219/callback#x",
            "http://user@localhost:53219/callback",
        ] {
            assert!(verify(&registered, bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn params_are_appended_to_existing_queries() {
        let v = verify(
            &["https://a.example/cb?x=1".to_owned()],
            "https://a.example/cb?x=1",
        )
        .unwrap();
        assert_eq!(
            v.with_params(&[("code", "c&d"), ("state", "s")]),
            "https://a.example/cb?x=1&code=c%26d&state=s"
        );
        assert_eq!(v.display_host(), "a.example");
        assert_eq!(v.csp_source(), "https://a.example");
    }
}
