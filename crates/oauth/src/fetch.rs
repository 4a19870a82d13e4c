//! Fetching JSON documents that clients name by URL (client metadata documents, clients' key
//! sets), without letting a client aim us at anything else (SSRF).
//!
//! https only; every address the host resolves to must be public; the connection is pinned to the
//! address we checked (a second DNS answer cannot redirect it); no redirects; a size cap; a
//! timeout; JSON only. The answer comes with how long it may be cached (`Cache-Control`, bounded).
//!
//! [`Fetcher::serving_from_loopback`] is the one exception, for tests: it maps a named origin to a
//! local server, which is how the tests serve a ChatGPT-shaped document from this machine. Nothing
//! in the configuration reaches it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;
use url::Url;

/// Whole-fetch timeout.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Cache lifetime when the document does not say.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// The longest we cache anything.
pub const MAX_TTL: Duration = Duration::from_secs(24 * 3600);

/// Why a document could not be fetched.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    #[error("not an https URL")]
    NotAUrl,
    #[error("refusing to fetch {0}")]
    Refused(String),
    #[error("fetch failed: {0}")]
    Failed(String),
    #[error("invalid document: {0}")]
    Invalid(String),
}

/// A fetched document and how long it may be kept.
#[derive(Debug, PartialEq, Eq)]
pub struct Fetched {
    pub body: Vec<u8>,
    pub ttl: Duration,
}

/// Fetches documents from public https URLs.
#[derive(Clone, Debug, Default)]
pub struct Fetcher {
    /// Tests only: `(host, local address)` pairs served over plain HTTP from loopback.
    loopback: Vec<(String, SocketAddr)>,
}

impl Fetcher {
    /// Fetches from the public internet only.
    pub fn public() -> Self {
        Self::default()
    }

    /// Tests: requests for `https://<host>/…` go to `address` over plain HTTP, with every other
    /// guard in place. The rest of the world is still public-only.
    pub fn serving_from_loopback(mut self, host: &str, address: SocketAddr) -> Self {
        self.loopback.push((host.to_owned(), address));
        self
    }

    /// GETs the JSON document at `url`, at most `max_bytes` of it.
    pub async fn get_json(&self, url: &str, max_bytes: usize) -> Result<Fetched, FetchError> {
        let mut parsed = Url::parse(url).map_err(|_| FetchError::NotAUrl)?;
        if parsed.scheme() != "https" {
            return Err(FetchError::NotAUrl);
        }
        let (host, addresses) = match self.loopback_for(&parsed) {
            Some((host, address)) => {
                let (host, address) = (host.to_owned(), *address);
                parsed
                    .set_scheme("http")
                    .and_then(|()| parsed.set_port(Some(address.port())))
                    .map_err(|()| FetchError::NotAUrl)?;
                (host, vec![address])
            }
            None => resolve_public(&parsed).await?,
        };
        download(parsed, &host, &addresses, FETCH_TIMEOUT, max_bytes).await
    }

    fn loopback_for(&self, url: &Url) -> Option<&(String, SocketAddr)> {
        let host = url.host_str()?;
        self.loopback.iter().find(|(h, _)| h == host)
    }
}

/// The addresses `url`'s host resolves to, all of them public, or a refusal.
async fn resolve_public(url: &Url) -> Result<(String, Vec<SocketAddr>), FetchError> {
    let port = url.port_or_known_default().unwrap_or(443);
    let (host, addresses): (String, Vec<SocketAddr>) = match url.host() {
        Some(url::Host::Ipv4(ip)) => (ip.to_string(), vec![SocketAddr::new(ip.into(), port)]),
        Some(url::Host::Ipv6(ip)) => (ip.to_string(), vec![SocketAddr::new(ip.into(), port)]),
        Some(url::Host::Domain(name)) => {
            let resolved =
                tokio::time::timeout(FETCH_TIMEOUT, tokio::net::lookup_host((name, port)))
                    .await
                    .map_err(|_| FetchError::Failed("DNS timeout".into()))?
                    .map_err(|e| FetchError::Failed(e.to_string()))?
                    .collect();
            (name.to_owned(), resolved)
        }
        None => return Err(FetchError::NotAUrl),
    };
    if addresses.is_empty() || addresses.iter().any(|a| !is_public(a.ip())) {
        return Err(FetchError::Refused(format!(
            "{host} resolves to a non-public address"
        )));
    }
    Ok((host, addresses))
}

/// GETs `url` from exactly `addresses` (already checked): no redirects, JSON only, at most
/// `max_bytes`, within `timeout`.
async fn download(
    url: Url,
    host: &str,
    addresses: &[SocketAddr],
    timeout: Duration,
    max_bytes: usize,
) -> Result<Fetched, FetchError> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .resolve_to_addrs(host, addresses)
        .build()
        .map_err(|e| FetchError::Failed(e.to_string()))?;
    let mut response = client
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| FetchError::Failed(e.to_string()))?;
    if !response.status().is_success() {
        return Err(FetchError::Failed(format!("status {}", response.status())));
    }
    let headers = response.headers();
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if !is_json {
        return Err(FetchError::Invalid("not served as JSON".into()));
    }
    let ttl = cache_ttl(headers.get("cache-control").and_then(|v| v.to_str().ok()));
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError::Failed(e.to_string()))?
    {
        if body.len() + chunk.len() > max_bytes {
            return Err(FetchError::Invalid("document too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched { body, ttl })
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

    #[tokio::test]
    async fn private_and_loopback_hosts_are_refused_before_any_request() {
        let fetcher = Fetcher::public();
        for url in [
            "https://127.0.0.1/client.json",
            "https://localhost/client.json",
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.1/c.json",
            "https://[::1]/c.json",
            "https://[::ffff:127.0.0.1]/c.json",
        ] {
            assert!(
                matches!(
                    fetcher.get_json(url, 1024).await,
                    Err(FetchError::Refused(_))
                ),
                "{url}"
            );
        }
        assert_eq!(
            fetcher.get_json("http://example.com/c.json", 1024).await,
            Err(FetchError::NotAUrl)
        );
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

    /// A document server on loopback, reached with its address pinned, as `get_json` pins the
    /// checked public address; `doc.test` does not resolve, so only the pin can connect.
    mod download {
        use super::super::*;
        use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
        use axum::routing::get;

        const DOC: &str = r#"{"client_id":"https://doc.test/c.json","client_name":"x","redirect_uris":["https://a.example/cb"]}"#;
        const MAX: usize = 16 * 1024;

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
                    get(|| async { ([(CONTENT_TYPE, "application/json")], " ".repeat(MAX + 1)) }),
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

        async fn get_doc(path: &str) -> Result<Fetched, FetchError> {
            let address = server().await;
            let url = Url::parse(&format!("http://doc.test:{}{path}", address.port())).unwrap();
            download(url, "doc.test", &[address], Duration::from_millis(500), MAX).await
        }

        #[tokio::test]
        async fn a_document_is_read_from_the_pinned_address_with_its_cache_lifetime() {
            let fetched = get_doc("/ok").await.unwrap();
            assert_eq!(fetched.body, DOC.as_bytes());
            assert_eq!(fetched.ttl, Duration::from_secs(60));
        }

        #[tokio::test]
        async fn the_loopback_test_hook_serves_only_its_host() {
            let address = server().await;
            let fetcher = Fetcher::public().serving_from_loopback("doc.test", address);
            let fetched = fetcher.get_json("https://doc.test/ok", MAX).await.unwrap();
            assert_eq!(fetched.body, DOC.as_bytes());
            assert!(matches!(
                fetcher.get_json("https://127.0.0.1/ok", MAX).await,
                Err(FetchError::Refused(_))
            ));
        }

        #[tokio::test]
        async fn redirects_are_not_followed() {
            assert_eq!(
                get_doc("/redirect").await,
                Err(FetchError::Failed("status 302 Found".into()))
            );
        }

        #[tokio::test]
        async fn non_json_oversized_and_slow_documents_are_refused() {
            assert_eq!(
                get_doc("/html").await,
                Err(FetchError::Invalid("not served as JSON".into()))
            );
            assert_eq!(
                get_doc("/big").await,
                Err(FetchError::Invalid("document too large".into()))
            );
            assert!(matches!(get_doc("/slow").await, Err(FetchError::Failed(_))));
        }
    }
}
