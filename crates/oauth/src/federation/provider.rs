//! A configured identity provider of either kind (OpenID Connect, GitHub), behind one interface
//! for the sign-in journey in [`super`].

use super::config::{Kind, ProviderConfig};
use super::github::GitHubProvider;
use super::oidc::{OidcProvider, Person, UpstreamError};
use remote_mcp_core::UnixTime;
use remote_mcp_core::model::{FederatedSignIn, UpstreamTokens};
use remote_mcp_core::providers::SecretSource;

/// One configured provider, of either kind.
pub(super) enum Provider {
    /// Boxed, as is GitHub's: providers are built once and live in a list; the sizes differ.
    Oidc(Box<OidcProvider>),
    GitHub(Box<GitHubProvider>),
}

/// Who signed in upstream: the identity to link, and what the provider says about the person.
pub(super) struct Upstream {
    pub issuer: String,
    pub subject: String,
    pub person: Person,
    /// What the provider's token endpoint gave (kept for tools when the provider is a vault one).
    pub tokens: Option<UpstreamTokens>,
}

impl Provider {
    pub(super) fn new(config: ProviderConfig) -> Self {
        match config.kind {
            Kind::Oidc => Self::Oidc(Box::new(OidcProvider::new(config))),
            Kind::GitHub => Self::GitHub(Box::new(GitHubProvider::new(config))),
        }
    }

    pub(super) fn config(&self) -> &ProviderConfig {
        match self {
            Self::Oidc(p) => &p.config,
            Self::GitHub(p) => &p.config,
        }
    }

    pub(super) async fn authorization_url(
        &self,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
        code_verifier: &str,
    ) -> Result<String, UpstreamError> {
        match self {
            Self::Oidc(p) => {
                p.authorization_url(redirect_uri, state, nonce, code_verifier)
                    .await
            }
            Self::GitHub(p) => p.authorization_url(redirect_uri, state, code_verifier),
        }
    }

    /// RFC 9207: the issuer an authorization response's `iss` must name, and whether the provider
    /// promises to send it. GitHub sends none.
    pub(super) async fn response_issuer(&self) -> Result<Option<(String, bool)>, UpstreamError> {
        match self {
            Self::Oidc(p) => {
                let discovery = p.discovery().await?;
                Ok(Some((
                    discovery.issuer.clone(),
                    discovery.authorization_response_iss_parameter_supported,
                )))
            }
            Self::GitHub(_) => Ok(None),
        }
    }

    /// The client secret: configured, or read from Secrets Manager by its ARN (kept after).
    async fn client_secret(
        &self,
        secrets: Option<&dyn SecretSource>,
    ) -> Result<String, UpstreamError> {
        self.config()
            .client_secret(secrets)
            .await
            .map_err(UpstreamError::Unreachable)
    }

    pub(super) async fn finish(
        &self,
        secrets: Option<&dyn SecretSource>,
        code: &str,
        redirect_uri: &str,
        sign_in: &FederatedSignIn,
        now: UnixTime,
    ) -> Result<Upstream, UpstreamError> {
        let client_secret = self.client_secret(secrets).await?;
        match self {
            Self::Oidc(p) => {
                let (claims, tokens) = p
                    .finish(
                        &client_secret,
                        code,
                        redirect_uri,
                        &sign_in.code_verifier,
                        &sign_in.nonce,
                        now,
                    )
                    .await?;
                Ok(Upstream {
                    issuer: claims.iss,
                    subject: claims.sub,
                    person: claims.person,
                    tokens,
                })
            }
            Self::GitHub(p) => {
                let (subject, person, tokens) = p
                    .finish(
                        &client_secret,
                        code,
                        redirect_uri,
                        &sign_in.code_verifier,
                        now,
                    )
                    .await?;
                Ok(Upstream {
                    issuer: p.config.issuer.clone(),
                    subject,
                    person,
                    tokens,
                })
            }
        }
    }
}
