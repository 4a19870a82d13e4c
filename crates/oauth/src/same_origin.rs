//! Cross-site form posts refused (CSRF, RFC 9700 §4.7): every state-changing POST of ours (the
//! consent decision, sign-in, sign-out and disconnecting on `/account`) must come from one of our
//! own pages.
//!
//! Browsers send `Sec-Fetch-Site` (and `Origin`) on every POST: `same-origin` (or `none`, typed by
//! the person) passes; `cross-site` and `same-site` (another origin under the same registrable
//! domain) do not. Without `Sec-Fetch-Site`, `Origin` must be ours. A request with neither comes
//! from a program, not a browser: it carries no victim's cookies, and passes. This check is on
//! top of the forms' own bindings (a transaction or token tied to a cookie), not instead of them.

use axum::http::HeaderMap;

/// Whether a POST came from one of our own pages (or from a program, not a browser).
pub fn is_same_origin(headers: &HeaderMap, issuer: &str) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    match header("origin") {
        Some(origin) => origin.trim_end_matches('/') == origin_of(issuer),
        None => true,
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_our_own_pages_and_programs_pass() {
        let issuer = "https://mcp.example.com";
        assert!(is_same_origin(&headers(&[]), issuer), "a program");
        assert!(is_same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            issuer
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            issuer
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            issuer
        ));
        assert!(is_same_origin(
            &headers(&[("origin", "https://mcp.example.com")]),
            issuer
        ));
        assert!(!is_same_origin(
            &headers(&[("origin", "https://evil.example")]),
            issuer
        ));
        assert!(!is_same_origin(&headers(&[("origin", "null")]), issuer));
        assert!(is_same_origin(
            &headers(&[("origin", "http://127.0.0.1:8787")]),
            "http://127.0.0.1:8787/base"
        ));
    }
}
