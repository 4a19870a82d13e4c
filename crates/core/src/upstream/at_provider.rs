//! What the vault asks of a provider over HTTP: discovery (OpenID providers), refreshing tokens at
//! its token endpoint, revoking them (RFC 7009, or GitHub's grant deletion), and the limits every
//! answer is read under.

use super::{Provider, UpstreamError, Upstreams};
use crate::UnixTime;
use crate::model::{Connection, UpstreamTokens};
use crate::providers::Kind;
use serde::Deserialize;
use std::time::Duration;

/// The longest answer read from a provider.
const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// What a token endpoint answers (RFC 6749 §5.1), and GitHub's 200-with-`error`.
#[derive(Deserialize)]
pub struct TokenAnswer {
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<i64>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

impl TokenAnswer {
    /// The tokens to keep, as of `now`; `previous_refresh` stays when the provider did not rotate
    /// it.
    pub fn tokens(&self, now: UnixTime, previous_refresh: Option<&str>) -> Option<UpstreamTokens> {
        Some(UpstreamTokens {
            access_token: self.access_token.clone()?,
            refresh_token: self
                .refresh_token
                .clone()
                .or_else(|| previous_refresh.map(str::to_owned)),
            expires_at: self
                .expires_in
                .filter(|s| *s > 0)
                .map(|s| now + Duration::from_secs(s.unsigned_abs())),
            scope: self.scope.clone(),
        })
    }
}

/// What an OpenID provider's discovery document says about its endpoints.
#[derive(Clone, Deserialize)]
pub(super) struct Endpoints {
    issuer: String,
    token_endpoint: String,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
    #[serde(default)]
    revocation_endpoint: Option<String>,
}

/// How a refresh at the provider ended.
pub(super) enum Refreshed {
    Tokens(UpstreamTokens),
    /// The provider refused the refresh token (revoked, expired, reused).
    Refused(String),
}

impl Upstreams {
    /// Revokes a forgotten connection's tokens at its provider, where the provider offers
    /// revocation (OpenID providers publishing a `revocation_endpoint`, RFC 7009; GitHub's grant
    /// deletion). Best effort: the tokens are already gone here.
    pub async fn revoke(&self, connection: &Connection) -> Result<(), UpstreamError> {
        let provider = self.find(&connection.provider)?;
        let tokens = self.open(connection).await?;
        let secret = self.client_secret(provider).await?;
        let config = &provider.config;
        let result = match config.kind {
            Kind::Oidc => {
                let Some(endpoint) = self.endpoints(provider).await?.revocation_endpoint else {
                    return Ok(());
                };
                let token = tokens
                    .refresh_token
                    .as_deref()
                    .unwrap_or(&tokens.access_token);
                self.http()
                    .post(endpoint)
                    .basic_auth(form_encode(&config.client_id), Some(form_encode(&secret)))
                    .form(&[("token", token)])
                    .send()
                    .await
            }
            Kind::GitHub => {
                self.http()
                    .delete(format!(
                        "{}/applications/{}/grant",
                        config.api(),
                        config.client_id
                    ))
                    .basic_auth(&config.client_id, Some(&secret))
                    .header("accept", "application/vnd.github+json")
                    .json(&serde_json::json!({"access_token": tokens.access_token}))
                    .send()
                    .await
            }
        };
        match result {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => Err(UpstreamError::Unavailable(format!(
                "revocation answered {}",
                response.status()
            ))),
            Err(e) => Err(UpstreamError::Unavailable(e.to_string())),
        }
    }

    /// Asks the provider's token endpoint for new tokens.
    pub(super) async fn refresh(
        &self,
        provider: &Provider,
        refresh_token: &str,
        now: UnixTime,
    ) -> Result<Refreshed, UpstreamError> {
        let config = &provider.config;
        let secret = self.client_secret(provider).await?;
        let request = match config.kind {
            Kind::Oidc => self
                .http()
                .post(self.endpoints(provider).await?.token_endpoint)
                .basic_auth(form_encode(&config.client_id), Some(form_encode(&secret)))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                ]),
            Kind::GitHub => self
                .http()
                .post(format!("{}/login/oauth/access_token", config.origin()))
                .header("accept", "application/json")
                .form(&[
                    ("client_id", config.client_id.as_str()),
                    ("client_secret", secret.as_str()),
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                ]),
        };
        let response = request.send().await.map_err(unavailable)?;
        let status = response.status();
        if status.is_server_error() {
            return Err(UpstreamError::Unavailable(format!(
                "token endpoint answered {status}"
            )));
        }
        let body = read_limited(response).await?;
        let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|_| {
            UpstreamError::Unavailable(format!("token endpoint answered {status}, not JSON"))
        })?;
        if let Some(error) = &answer.error {
            return Ok(Refreshed::Refused(format!("{status} {error}")));
        }
        match answer.tokens(now, Some(refresh_token)) {
            Some(tokens) if status.is_success() => Ok(Refreshed::Tokens(tokens)),
            _ => Ok(Refreshed::Refused(format!("{status} without a token"))),
        }
    }

    /// The OpenID provider's endpoints, discovered on first use (never at cold start).
    async fn endpoints(&self, provider: &Provider) -> Result<Endpoints, UpstreamError> {
        provider
            .endpoints
            .get_or_try_init(|| async {
                let issuer = &provider.config.issuer;
                let url = format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                );
                let response = self.http().get(url).send().await.map_err(unavailable)?;
                let endpoints: Endpoints =
                    serde_json::from_slice(&read_limited(response).await?)
                        .map_err(|e| UpstreamError::Unavailable(format!("discovery: {e}")))?;
                if &endpoints.issuer != issuer {
                    return Err(UpstreamError::Unavailable(format!(
                        "discovery names issuer {}",
                        endpoints.issuer
                    )));
                }
                Ok(endpoints)
            })
            .await
            .cloned()
    }

    /// The provider's `userinfo` endpoint (OpenID providers).
    pub async fn userinfo_endpoint(&self, provider: &str) -> Result<String, UpstreamError> {
        let provider = self.find(provider)?;
        if provider.config.kind != Kind::Oidc {
            return Err(UpstreamError::UnknownProvider(provider.config.id.clone()));
        }
        self.endpoints(provider)
            .await?
            .userinfo_endpoint
            .ok_or_else(|| UpstreamError::Unavailable("the provider has no userinfo".into()))
    }

    pub(super) async fn client_secret(&self, provider: &Provider) -> Result<String, UpstreamError> {
        provider
            .config
            .client_secret(self.secrets.as_deref())
            .await
            .map_err(UpstreamError::Unavailable)
    }
}

fn unavailable(err: reqwest::Error) -> UpstreamError {
    UpstreamError::Unavailable(err.without_url().to_string())
}

/// RFC 6749 §2.3.1: client credentials are form-encoded before Basic authentication.
fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A response body, refused beyond [`MAX_ANSWER_BYTES`].
pub async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, UpstreamError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unavailable)? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER_BYTES {
            return Err(UpstreamError::Unavailable("answer too large".into()));
        }
    }
    Ok(body)
}
