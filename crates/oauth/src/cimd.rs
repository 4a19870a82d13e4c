//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; MCP 2025-11-25
//! "Client ID Metadata Documents"): a `client_id` that is an https URL with a path names a JSON
//! document describing the client.
//!
//! Claude's two documents are pinned (they sit behind bot protection that often refuses AWS
//! addresses). Any other is fetched with SSRF guards: https only, every resolved address public,
//! the connection pinned to the checked address (no DNS rebinding), no redirects, a size cap, a
//! timeout, JSON only; then cached per `Cache-Control`. A document whose `client_id` is not its own
//! URL is refused. CIMD clients are public clients: they authenticate with PKCE alone.

use crate::redirect_uri;
use remote_mcp_core::UnixTime;
use remote_mcp_core::model::{Client, ClientCredential, ClientId, ClientMetadata, Registration};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;
use url::Url;

/// Largest document we read.
const MAX_DOCUMENT_BYTES: usize = 16 * 1024;
/// Whole-fetch timeout.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Cache lifetime bounds.
const DEFAULT_TTL: Duration = Duration::from_secs(300);
const MAX_TTL: Duration = Duration::from_secs(24 * 3600);

const PINNED: &[(&str, &str)] = &[
    (
        "https://claude.ai/oauth/mcp-oauth-client-metadata",
        include_str!("../cimd/claude.json"),
    ),
    (
        "https://claude.ai/oauth/claude-code-client-metadata",
        include_str!("../cimd/claude-code.json"),
    ),
];

/// Why a document could not be used. Shown to the user as a generic failure; logged in detail.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CimdError {
    #[error("not a client metadata document URL")]
    NotAUrl,
    #[error("refusing to fetch {0}")]
    Refused(String),
    #[error("fetch failed: {0}")]
    Fetch(String),
    #[error("invalid document: {0}")]
    Invalid(String),
}

#[derive(Deserialize)]
struct Document {
    client_id: String,
    client_name: String,
    redirect_uris: Vec<String>,
    #[serde(default)]
    client_uri: Option<String>,
    #[serde(default)]
    logo_uri: Option<String>,
    #[serde(default)]
    grant_types: Vec<String>,
    #[serde(default)]
    response_types: Vec<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// Is this `client_id` a metadata document URL (https, with a path beyond `/`)?
pub fn is_document_url(client_id: &str) -> bool {
    Url::parse(client_id)
        .is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some() && u.path() != "/")
}

/// Resolves metadata document client ids: pinned copies first, then a guarded fetch, cached.
#[derive(Default)]
pub struct CimdResolver {
    cache: Mutex<HashMap<String, (Client, UnixTime)>>,
    fetch_enabled: bool,
}

impl CimdResolver {
    /// A resolver that fetches unknown documents from the internet.
    pub fn online() -> Self {
        Self {
            cache: Mutex::default(),
            fetch_enabled: true,
        }
    }

    /// A resolver limited to the pinned documents (tests, air-gapped deployments).
    pub fn pinned_only() -> Self {
        Self::default()
    }

    /// The client a document URL describes.
    pub async fn resolve(&self, client_id: &str, now: UnixTime) -> Result<Client, CimdError> {
        if !is_document_url(client_id) {
            return Err(CimdError::NotAUrl);
        }
        if let Some((_, json)) = PINNED.iter().find(|(url, _)| *url == client_id) {
            return parse(client_id, json.as_bytes(), now);
        }
        if let Some(client) = self.cached(client_id, now) {
            return Ok(client);
        }
        if !self.fetch_enabled {
            return Err(CimdError::Refused("fetching is disabled".into()));
        }
        let (body, ttl) = fetch(client_id).await?;
        let client = parse(client_id, &body, now)?;
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(client_id.to_owned(), (client.clone(), now + ttl));
        }
        Ok(client)
    }

    fn cached(&self, client_id: &str, now: UnixTime) -> Option<Client> {
        let cache = self.cache.lock().ok()?;
        cache
            .get(client_id)
            .filter(|(_, until)| now < *until)
            .map(|(c, _)| c.clone())
    }
}

fn parse(client_id: &str, body: &[u8], now: UnixTime) -> Result<Client, CimdError> {
    let doc: Document =
        serde_json::from_slice(body).map_err(|e| CimdError::Invalid(e.to_string()))?;
    if doc.client_id != client_id {
        return Err(CimdError::Invalid(
            "client_id in the document differs from its URL".into(),
        ));
    }
    if doc.redirect_uris.is_empty() || doc.redirect_uris.len() > redirect_uri::MAX_PER_CLIENT {
        return Err(CimdError::Invalid(
            "redirect_uris missing or too many".into(),
        ));
    }
    for uri in &doc.redirect_uris {
        redirect_uri::validate_for_registration(uri).map_err(CimdError::Invalid)?;
    }
    Ok(Client {
        id: ClientId::new(client_id),
        registered_by: Registration::MetadataDocument,
        credential: ClientCredential::None,
        metadata: ClientMetadata {
            redirect_uris: doc.redirect_uris,
            // Displayed on the consent page: invisible formatting characters are dropped.
            client_name: Some(
                doc.client_name
                    .chars()
                    .filter(|c| !c.is_control() && !crate::register::is_invisible_format(*c))
                    .take(100)
                    .collect(),
            ),
            grant_types: doc.grant_types,
            response_types: doc.response_types,
            scope: doc.scope,
            client_uri: doc.client_uri.filter(|u| u.starts_with("https://")),
            logo_uri: doc.logo_uri.filter(|u| u.starts_with("https://")),
            ..ClientMetadata::default()
        },
        registration_token_hash: None,
        issued_at: now,
        expires_at: now + MAX_TTL,
    })
}

/// Fetches a document: only to public addresses, pinned to the address we checked.
async fn fetch(url: &str) -> Result<(Vec<u8>, Duration), CimdError> {
    let parsed = Url::parse(url).map_err(|_| CimdError::NotAUrl)?;
    let (host, addresses) = resolve_public(&parsed).await?;
    download(parsed, &host, &addresses, FETCH_TIMEOUT).await
}

/// The addresses `url`'s host resolves to, all of them public, or a refusal.
async fn resolve_public(url: &Url) -> Result<(String, Vec<SocketAddr>), CimdError> {
    let port = url.port_or_known_default().unwrap_or(443);
    let (host, addresses): (String, Vec<SocketAddr>) = match url.host() {
        Some(url::Host::Ipv4(ip)) => (ip.to_string(), vec![SocketAddr::new(ip.into(), port)]),
        Some(url::Host::Ipv6(ip)) => (ip.to_string(), vec![SocketAddr::new(ip.into(), port)]),
        Some(url::Host::Domain(name)) => {
            let resolved =
                tokio::time::timeout(FETCH_TIMEOUT, tokio::net::lookup_host((name, port)))
                    .await
                    .map_err(|_| CimdError::Fetch("DNS timeout".into()))?
                    .map_err(|e| CimdError::Fetch(e.to_string()))?
                    .collect();
            (name.to_owned(), resolved)
        }
        None => return Err(CimdError::NotAUrl),
    };
    if addresses.is_empty() || addresses.iter().any(|a| !is_public(a.ip())) {
        return Err(CimdError::Refused(format!(
            "{host} resolves to a non-public address"
        )));
    }
    Ok((host, addresses))
}

/// GETs the document from exactly `addresses` (already checked; a second DNS answer cannot
/// redirect the connection): no redirects, JSON only, at most [`MAX_DOCUMENT_BYTES`], within
/// `timeout`. Returns the body and how long it may be cached.
async fn download(
    url: Url,
    host: &str,
    addresses: &[SocketAddr],
    timeout: Duration,
) -> Result<(Vec<u8>, Duration), CimdError> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .resolve_to_addrs(host, addresses)
        .build()
        .map_err(|e| CimdError::Fetch(e.to_string()))?;
    let mut response = client
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| CimdError::Fetch(e.to_string()))?;
    if !response.status().is_success() {
        return Err(CimdError::Fetch(format!("status {}", response.status())));
    }
    let headers = response.headers();
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if !is_json {
        return Err(CimdError::Invalid("not served as JSON".into()));
    }
    let ttl = cache_ttl(headers.get("cache-control").and_then(|v| v.to_str().ok()));
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| CimdError::Fetch(e.to_string()))?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(CimdError::Invalid("document too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, ttl))
}

/// How long to cache a document, from its `Cache-Control` (bounded; `no-store` means not at all).
fn cache_ttl(cache_control: Option<&str>) -> Duration {
    let Some(value) = cache_control else {
        return DEFAULT_TTL;
    };
    let mut ttl = DEFAULT_TTL;
    for directive in value.split(',').map(str::trim) {
        if directive.eq_ignore_ascii_case("no-store") || directive.eq_ignore_ascii_case("no-cache")
        {
            return Duration::ZERO;
        }
        if let Some(secs) = directive.strip_prefix("max-age=") {
            ttl = secs.parse().map(Duration::from_secs).unwrap_or(DEFAULT_TTL);
        }
    }
    ttl.min(MAX_TTL)
}

/// Whether an address is on the public internet (not private, loopback, link-local incl. the
/// cloud metadata address, CGNAT, multicast, documentation or otherwise reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64 (could reach private v4)
                || s[0] == 0x2002 // 6to4 (embeds any v4)
                || (s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0 && s[4] == 0)) // v4-compatible
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254.0.0/16, including 169.254.169.254
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64.0.0/10
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixTime = UnixTime(1_900_000_000);

    #[tokio::test]
    async fn pinned_claude_documents_resolve_without_network() {
        let r = CimdResolver::pinned_only();
        let claude = r
            .resolve("https://claude.ai/oauth/mcp-oauth-client-metadata", NOW)
            .await
            .unwrap();
        assert_eq!(claude.metadata.client_name.as_deref(), Some("Claude"));
        assert_eq!(
            claude.metadata.redirect_uris,
            ["https://claude.ai/api/mcp/auth_callback"]
        );
        assert_eq!(claude.credential, ClientCredential::None);
        let code = r
            .resolve("https://claude.ai/oauth/claude-code-client-metadata", NOW)
            .await
            .unwrap();
        assert_eq!(code.metadata.client_name.as_deref(), Some("Claude Code"));
    }

    #[test]
    fn document_urls_need_https_and_a_path() {
        assert!(is_document_url("https://app.example.com/client.json"));
        assert!(!is_document_url("https://app.example.com/"));
        assert!(!is_document_url("http://app.example.com/client.json"));
        assert!(!is_document_url("3f1c0e2a-uuid"));
    }

    #[test]
    fn mismatched_client_id_is_rejected() {
        let doc = br#"{"client_id":"https://evil.example/c.json","client_name":"x","redirect_uris":["https://a.example/cb"]}"#;
        assert!(matches!(
            parse("https://good.example/c.json", doc, NOW),
            Err(CimdError::Invalid(_))
        ));
    }

    #[test]
    fn private_key_jwt_documents_are_negotiated_to_public_clients() {
        // ChatGPT-style: prefers private_key_jwt, which we do not support; PKCE alone authenticates.
        let doc = br#"{"client_id":"https://chatgpt.example/oauth/client.json","client_name":"ChatGPT",
            "redirect_uris":["https://chatgpt.com/connector_platform_oauth_redirect"],
            "token_endpoint_auth_method":"private_key_jwt","jwks_uri":"https://chatgpt.example/jwks"}"#;
        let client = parse("https://chatgpt.example/oauth/client.json", doc, NOW).unwrap();
        assert_eq!(client.credential, ClientCredential::None);
    }

    #[test]
    fn unsafe_redirects_in_documents_are_rejected() {
        let doc = br#"{"client_id":"https://a.example/c.json","client_name":"x","redirect_uris":["javascript:alert(1)"]}"#;
        assert!(parse("https://a.example/c.json", doc, NOW).is_err());
    }

    #[tokio::test]
    async fn private_and_loopback_hosts_are_refused_before_any_request() {
        let r = CimdResolver::online();
        for url in [
            "https://127.0.0.1/client.json",
            "https://localhost/client.json",
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.1/c.json",
            "https://[::1]/c.json",
            "https://[::ffff:127.0.0.1]/c.json",
        ] {
            assert!(
                matches!(r.resolve(url, NOW).await, Err(CimdError::Refused(_))),
                "{url}"
            );
        }
    }

    #[test]
    fn address_classification() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "2002:a00:1::",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["1.1.1.1", "160.79.104.10", "2606:4700:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn cache_ttl_follows_headers_within_bounds() {
        assert_eq!(cache_ttl(None), DEFAULT_TTL);
        assert_eq!(
            cache_ttl(Some("public, max-age=60")),
            Duration::from_secs(60)
        );
        assert_eq!(cache_ttl(Some("max-age=999999999")), MAX_TTL);
        assert_eq!(cache_ttl(Some("no-store")), Duration::ZERO);
    }

    /// A document server on loopback, reached through `download` with its address pinned, as
    /// `fetch` pins the checked public address; `doc.test` does not resolve, so only the pin
    /// can connect.
    mod download {
        use super::super::*;
        use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
        use axum::routing::get;

        const DOC: &str = r#"{"client_id":"https://doc.test/c.json","client_name":"x","redirect_uris":["https://a.example/cb"]}"#;

        async fn server() -> SocketAddr {
            let app = axum::Router::new()
                .route(
                    "/ok",
                    get(|| async {
                        (
                            [
                                (CONTENT_TYPE, "application/json"),
                                (CACHE_CONTROL, "max-age=60"),
                            ],
                            DOC,
                        )
                    }),
                )
                .route(
                    "/redirect",
                    get(|| async {
                        (
                            axum::http::StatusCode::FOUND,
                            [(LOCATION, "http://169.254.169.254/latest/meta-data/")],
                        )
                    }),
                )
                .route(
                    "/html",
                    get(|| async { ([(CONTENT_TYPE, "text/html")], "<html></html>") }),
                )
                .route(
                    "/big",
                    get(|| async {
                        (
                            [(CONTENT_TYPE, "application/json")],
                            " ".repeat(MAX_DOCUMENT_BYTES + 1),
                        )
                    }),
                )
                .route(
                    "/slow",
                    get(|| async {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        ([(CONTENT_TYPE, "application/json")], DOC)
                    }),
                );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            address
        }

        async fn get_doc(path: &str) -> Result<(Vec<u8>, Duration), CimdError> {
            let address = server().await;
            let url = Url::parse(&format!("http://doc.test:{}{path}", address.port())).unwrap();
            download(url, "doc.test", &[address], Duration::from_millis(500)).await
        }

        #[tokio::test]
        async fn a_document_is_read_from_the_pinned_address_with_its_cache_lifetime() {
            let (body, ttl) = get_doc("/ok").await.unwrap();
            assert_eq!(body, DOC.as_bytes());
            assert_eq!(ttl, Duration::from_secs(60));
        }

        #[tokio::test]
        async fn redirects_are_not_followed() {
            assert_eq!(
                get_doc("/redirect").await,
                Err(CimdError::Fetch("status 302 Found".into()))
            );
        }

        #[tokio::test]
        async fn non_json_oversized_and_slow_documents_are_refused() {
            assert_eq!(
                get_doc("/html").await,
                Err(CimdError::Invalid("not served as JSON".into()))
            );
            assert_eq!(
                get_doc("/big").await,
                Err(CimdError::Invalid("document too large".into()))
            );
            assert!(matches!(get_doc("/slow").await, Err(CimdError::Fetch(_))));
        }
    }
}
