//! An OpenID Connect provider as a relying party sees it: discovery, the authorization URL, the
//! code exchange, and the ID token's checks (OpenID Connect Core 1.0 §3.1.3.7).
//!
//! Everything the provider publishes is fetched on first use and kept for the container's life
//! (its signing keys again when a token names a key we have not seen, at most once a minute);
//! nothing is fetched at cold start. The checks are a pure function of the token, the keys, what
//! we expect, and `now`.

use super::config::ProviderConfig;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::JwkSet;
use remote_mcp_core::UnixTime;
use remote_mcp_core::model::UpstreamTokens;
use remote_mcp_core::upstream::TokenAnswer;
use serde::Deserialize;
use std::time::Duration;
use tokio::sync::{Mutex, OnceCell};

mod id_token;
pub use id_token::{Expected, IdClaims, Person, check_id_token, s256};

const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
/// Clock difference tolerated between the provider and us.
const LEEWAY_SECONDS: i64 = 60;
/// How often an unknown `kid` may send us to fetch the provider's keys again.
const JWKS_REFRESH: Duration = Duration::from_secs(60);
/// Signature algorithms accepted on ID tokens (never `none`, never HMAC with the client secret).
const ALGORITHMS: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// Why an upstream sign-in failed. `Unreachable` is the provider's fault and worth retrying;
/// `Rejected` means what came back must not be trusted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UpstreamError {
    #[error("the identity provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the identity provider's answer was refused: {0}")]
    Rejected(String),
}

fn unreachable(err: impl std::fmt::Display) -> UpstreamError {
    UpstreamError::Unreachable(err.to_string())
}

fn rejected(why: impl Into<String>) -> UpstreamError {
    UpstreamError::Rejected(why.into())
}

/// The provider's discovery document, as far as we use it.
#[derive(Clone, Debug, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    /// RFC 9207: the provider puts `iss` in its authorization responses.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

/// One configured OpenID Connect provider, with what it publishes once fetched.
pub struct OidcProvider {
    pub config: ProviderConfig,
    /// Built on first use: building one reads the system's trust store.
    http: std::sync::OnceLock<reqwest::Client>,
    discovery: OnceCell<Discovery>,
    keys: Mutex<Option<(JwkSet, std::time::Instant)>>,
}

impl OidcProvider {
    pub fn new(config: ProviderConfig) -> Self {
        Self {
            config,
            http: std::sync::OnceLock::new(),
            discovery: OnceCell::new(),
            keys: Mutex::new(None),
        }
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| http_client(None))
    }

    /// The discovery document, fetched once; its `issuer` must be the configured one.
    pub async fn discovery(&self) -> Result<&Discovery, UpstreamError> {
        self.discovery
            .get_or_try_init(|| async {
                let url = format!(
                    "{}/.well-known/openid-configuration",
                    self.config.issuer.trim_end_matches('/')
                );
                let document: Discovery = self.get_json(&url, None).await?;
                if document.issuer != self.config.issuer {
                    return Err(rejected(format!(
                        "discovery names issuer {}, not {}",
                        document.issuer, self.config.issuer
                    )));
                }
                Ok(document)
            })
            .await
    }

    /// Where to send the browser.
    pub async fn authorization_url(
        &self,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
        code_verifier: &str,
    ) -> Result<String, UpstreamError> {
        let discovery = self.discovery().await?;
        let mut url = url::Url::parse(&discovery.authorization_endpoint)
            .map_err(|_| rejected("authorization endpoint is not a URL"))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &self.config.scopes)
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", &s256(code_verifier))
            .append_pair("code_challenge_method", "S256");
        // OpenID Connect Core §11: a refresh token for offline use needs the person's consent.
        if self
            .config
            .scopes
            .split_whitespace()
            .any(|s| s == "offline_access")
        {
            url.query_pairs_mut().append_pair("prompt", "consent");
        }
        Ok(url.into())
    }

    /// Exchanges `code` and checks the ID token; who signed in, with their e-mail from the ID
    /// token or, when it has none, from `userinfo`, and the tokens the provider gave.
    pub async fn finish(
        &self,
        client_secret: &str,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
        nonce: &str,
        now: UnixTime,
    ) -> Result<(IdClaims, Option<UpstreamTokens>), UpstreamError> {
        let discovery = self.discovery().await?;
        let response = self
            .http()
            .post(&discovery.token_endpoint)
            .basic_auth(
                form_encode(&self.config.client_id),
                Some(form_encode(client_secret)),
            )
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", code_verifier),
            ])
            .send()
            .await
            .map_err(unreachable)?;
        if !response.status().is_success() {
            let status = response.status();
            let body = read_limited(response).await.unwrap_or_default();
            return Err(rejected(format!(
                "token endpoint answered {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            )));
        }
        let tokens: TokenAnswer = serde_json::from_slice(&read_limited(response).await?)
            .map_err(|_| rejected("token response is not JSON"))?;
        let id_token = tokens
            .id_token
            .as_deref()
            .ok_or_else(|| rejected("no ID token (is `openid` among the scopes?)"))?;
        let expected = Expected {
            issuer: &self.config.issuer,
            client_id: &self.config.client_id,
            nonce,
            now,
        };
        let mut claims = match check_id_token(id_token, &self.keys(false).await?, &expected) {
            Err(UpstreamError::Rejected(why)) if why.contains("unknown key") => {
                check_id_token(id_token, &self.keys(true).await?, &expected)?
            }
            other => other?,
        };
        if claims.person.email.is_none()
            && let (Some(endpoint), Some(access_token)) =
                (&discovery.userinfo_endpoint, &tokens.access_token)
        {
            let info: UserInfo = self.get_json(endpoint, Some(access_token)).await?;
            if info.sub != claims.sub {
                return Err(rejected("userinfo describes someone else"));
            }
            claims.person = info.person;
        }
        Ok((claims, tokens.tokens(now, None)))
    }

    /// The provider's keys: kept, or fetched again when `refresh` (an unknown key) and the last
    /// fetch is over a minute old.
    pub async fn keys(&self, refresh: bool) -> Result<JwkSet, UpstreamError> {
        let mut kept = self.keys.lock().await;
        if let Some((keys, fetched)) = kept.as_ref()
            && (!refresh || fetched.elapsed() < JWKS_REFRESH)
        {
            return Ok(keys.clone());
        }
        let uri = self.discovery().await?.jwks_uri.clone();
        let keys: JwkSet = self.get_json(&uri, None).await?;
        *kept = Some((keys.clone(), std::time::Instant::now()));
        Ok(keys)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        bearer: Option<&str>,
    ) -> Result<T, UpstreamError> {
        let mut request = self.http().get(url).header("accept", "application/json");
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(unreachable)?;
        if !response.status().is_success() {
            return Err(unreachable(format!("{url} answered {}", response.status())));
        }
        serde_json::from_slice(&read_limited(response).await?)
            .map_err(|e| rejected(format!("{url}: {e}")))
    }
}

#[derive(Deserialize)]
struct UserInfo {
    sub: String,
    #[serde(flatten)]
    person: Person,
}

/// The HTTP client for a provider: no redirects followed, a deadline on every call.
pub(super) fn http_client(user_agent: Option<&str>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FETCH_TIMEOUT);
    if let Some(agent) = user_agent {
        builder = builder.user_agent(agent);
    }
    builder.build().unwrap_or_default()
}

/// RFC 6749 §2.3.1: client credentials are form-encoded before Basic authentication.
fn form_encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A response body, refused beyond [`MAX_DOCUMENT_BYTES`].
pub(super) async fn read_limited(
    mut response: reqwest::Response,
) -> Result<Vec<u8>, UpstreamError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_DOCUMENT_BYTES {
            return Err(rejected("answer too large"));
        }
    }
    Ok(body)
}
