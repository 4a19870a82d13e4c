//! Sign-in with an identity provider people already have (OpenID Connect).
//!
//! We stay the authorization server for MCP clients: our consent page, our tokens, our audience.
//! The provider only answers "who is this person". The journey:
//!
//! 1. The consent page (`GET /authorize`) and the account page offer "Continue with <provider>",
//!    a link to `GET /federation/<id>/start` carrying the page to come back to.
//! 2. `start` keeps a one-time sign-in under the hash of a fresh `state` (with a `nonce` and a PKCE
//!    verifier), binds it to the browser with a cookie, and sends the browser to the provider.
//! 3. `GET /federation/<id>/callback` takes that sign-in once (this browser's, this provider's),
//!    checks RFC 9207 `iss`, exchanges the code, checks the ID token (signature, `iss`, `aud`,
//!    `azp`, `exp`, `iat`, `nonce`), requires a verified e-mail the provider's allow-list admits,
//!    and finds the user linked to (issuer, subject) — creating one on the first sign-in, never
//!    linking by e-mail. It starts our sign-in session and returns to the consent page, where the
//!    person still approves this client explicitly.
//!
//! Providers configured with `id_jag` are also trusted to issue Identity Assertion JWT
//! Authorization Grants ([`crate::id_jag`]); the same allow-list and the same linking apply.
//!
//! Upstream tokens are used once, here, and kept nowhere — unless the provider is configured with
//! `"vault": true`: then what its token endpoint gave is kept, sealed, for tools
//! ([`remote_mcp_core::upstream`]). A signed-in person can also *connect* such a provider from the
//! account page without signing in with it: the same journey, started by a form bound to their
//! session, and finished only by the same person's session; it keeps the tokens and changes
//! nobody's sign-in ([`keeping`]). Every failure is a page that says what happened and, when starting again can
//! help, offers to.

pub use remote_mcp_core::providers as config;
pub mod github;
mod keeping;
mod linking;
pub mod oidc;
mod provider;
pub mod rules;

pub(crate) use keeping::connect;
pub use linking::{Linked, Linking};
use provider::Provider;
pub use remote_mcp_core::providers::SecretSource;

use crate::AppState;
use crate::consent::error_page_with_retry;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use config::ProviderConfig;
use oidc::{OidcProvider, UpstreamError};
use remote_mcp_core::{Config, StoreError};
use std::sync::Arc;
use std::time::Duration;

mod start;
use start::start;
mod callback;
use callback::callback;

/// Where the consent page sends the browser to sign in with provider `{provider}`.
pub const START_PATH: &str = crate::paths::FEDERATION_START;
/// Where each provider sends the browser back (register this URL at the provider).
pub const CALLBACK_PATH: &str = crate::paths::FEDERATION_CALLBACK;

/// How long a person has to sign in at the provider.
const SIGN_IN_TTL: Duration = Duration::from_secs(10 * 60);
/// The longest authorization request we carry through a sign-in (as `GET /authorize` accepts).
const MAX_RETURN_BYTES: usize = 4096;

/// The configured providers.
#[derive(Default)]
pub struct Federation {
    providers: Vec<Provider>,
    secrets: Option<Arc<dyn SecretSource>>,
}

impl Federation {
    /// `providers`, with client secrets given by ARN read from `secrets`.
    pub fn new(providers: Vec<ProviderConfig>, secrets: Option<Arc<dyn SecretSource>>) -> Self {
        Self {
            providers: providers.into_iter().map(Provider::new).collect(),
            secrets,
        }
    }

    fn provider(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.config().id == id)
    }

    /// The configured providers.
    pub fn configs(&self) -> impl Iterator<Item = &ProviderConfig> {
        self.providers.iter().map(Provider::config)
    }

    /// The origins of the authorization endpoints of the providers people may connect for tools
    /// (`"vault": true`); a provider that cannot be reached is left out.
    pub async fn connect_origins(&self) -> Vec<String> {
        let mut origins = Vec::new();
        for provider in self.providers.iter().filter(|p| p.config().vault) {
            let endpoint = match provider {
                Provider::Oidc(oidc) => match oidc.discovery().await {
                    Ok(discovery) => discovery.authorization_endpoint.clone(),
                    Err(err) => {
                        tracing::warn!(%err, provider = oidc.config.id, "no discovery document");
                        continue;
                    }
                },
                Provider::GitHub(github) => github.config.origin().to_owned(),
            };
            if let Ok(url) = url::Url::parse(&endpoint) {
                let origin = url.origin().ascii_serialization();
                if !origins.contains(&origin) {
                    origins.push(origin);
                }
            }
        }
        origins
    }

    /// Where client secrets given by ARN are read.
    pub fn secrets(&self) -> Option<Arc<dyn SecretSource>> {
        self.secrets.clone()
    }

    /// The OpenID provider trusted to issue ID-JAGs as `issuer` (configured with `id_jag`).
    pub fn id_jag_issuer(&self, issuer: &str) -> Option<&OidcProvider> {
        self.providers.iter().find_map(|p| match p {
            Provider::Oidc(oidc) if oidc.config.id_jag && oidc.config.issuer == issuer => {
                Some(oidc.as_ref())
            }
            _ => None,
        })
    }

    /// "Continue with" links that come back to `return_to` (the consent page of an authorization
    /// request, `/authorize?…`, or `/account`): (name, relative URL).
    pub fn links(&self, return_to: &str) -> Vec<(String, String)> {
        let return_to: String = form_urlencoded::byte_serialize(return_to.as_bytes()).collect();
        self.providers
            .iter()
            .map(|p| {
                let config = p.config();
                (
                    config.name.clone(),
                    format!("/federation/{}/start?return_to={return_to}", config.id),
                )
            })
            .collect()
    }
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(START_PATH, get(start))
        .route(CALLBACK_PATH, get(callback))
}

fn callback_url(config: &Config, provider: &str) -> String {
    config.url(&CALLBACK_PATH.replace("{provider}", provider))
}

/// A failed step: the page to show.
struct Failure {
    status: StatusCode,
    message: String,
    /// Where "Start again" leads, when starting again can help.
    again: Option<String>,
}

impl Failure {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            again: None,
        }
    }

    fn again(mut self, href: &str) -> Self {
        self.again = Some(href.to_owned());
        self
    }

    fn render(self) -> Response {
        error_page_with_retry(self.status, &self.message, self.again.as_deref())
    }
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Self {
        tracing::error!(%err, "store failure during federated sign-in");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Signing in is unavailable right now. Try again shortly.",
        )
    }
}

fn upstream_failure(provider: &Provider, err: UpstreamError) -> Failure {
    let config = provider.config();
    let name = &config.name;
    match err {
        UpstreamError::Unreachable(why) => {
            tracing::warn!(
                provider = provider.config().id,
                why,
                "identity provider unreachable"
            );
            Failure::new(
                StatusCode::BAD_GATEWAY,
                format!("{name} could not be reached. Try again in a moment."),
            )
        }
        UpstreamError::Rejected(why) => {
            tracing::warn!(
                provider = provider.config().id,
                why,
                "identity provider answer refused"
            );
            Failure::new(
                StatusCode::BAD_REQUEST,
                format!("The sign-in with {name} could not be verified."),
            )
        }
    }
}

/// Where a sign-in may return: an authorization request's consent page, or the account page.
/// Nothing else, so a crafted link cannot make this server redirect elsewhere.
fn is_ours(path: &str) -> bool {
    path == crate::paths::ACCOUNT || path.starts_with("/authorize?")
}

/// A 303 to `location`, setting `cookies`.
fn redirect(location: &str, cookies: &[String]) -> Response {
    let mut response = crate::no_store::NoStore(StatusCode::SEE_OTHER).into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, location);
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}
