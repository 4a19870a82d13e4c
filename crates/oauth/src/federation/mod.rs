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
use keeping::{connected, keep_tokens};
pub use linking::{Linked, Linking};
use provider::{Provider, Upstream};
pub use remote_mcp_core::providers::SecretSource;

use crate::AppState;
use crate::consent::error_page_with_retry;
use crate::cookies::Cookie;
use crate::params::Params;
use crate::sign_in::open_session;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use config::ProviderConfig;
use oidc::{OidcProvider, UpstreamError};
use remote_mcp_core::audit::{Audit, clip};
use remote_mcp_core::model::{FederatedSignIn, User, normalize_email};
use remote_mcp_core::secret::{Secret, SecretHash};
use remote_mcp_core::{Config, StoreError, UnixTime};
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;

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

/// `GET /federation/<id>/start?return_to=<authorization request>`.
#[tracing::instrument(name = "federation_start", skip_all, fields(provider = %id))]
async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    extensions: axum::http::Extensions,
) -> Response {
    let source = crate::source::source_address(&extensions);
    match begin(
        &state,
        &id,
        query.as_deref().unwrap_or_default(),
        &source,
        state.clock.now(),
    )
    .await
    {
        Ok(response) => response,
        Err(failure) => failure.render(),
    }
}

async fn begin(
    state: &AppState,
    id: &str,
    query: &str,
    source: &str,
    now: UnixTime,
) -> Result<Response, Failure> {
    let return_to = Params::parse(query)
        .ok()
        .and_then(|p| p.get("return_to").map(str::to_owned))
        .filter(|r| r.len() <= MAX_RETURN_BYTES && is_ours(r))
        .ok_or_else(|| {
            Failure::new(
                StatusCode::BAD_REQUEST,
                "This sign-in link is incomplete. Return to the application and connect again.",
            )
        })?;
    to_provider(state, id, return_to, None, source, now).await
}

/// Keeps a one-time sign-in bound to this browser and sends the browser to provider `id`.
async fn to_provider(
    state: &AppState,
    id: &str,
    return_to: String,
    connect_for: Option<String>,
    source: &str,
    now: UnixTime,
) -> Result<Response, Failure> {
    let provider = state
        .federation
        .provider(id)
        .ok_or_else(|| Failure::new(StatusCode::NOT_FOUND, "There is no such sign-in option."))?;
    let again = return_to.clone();
    let browser_state = Secret::generate();
    let nonce = Secret::generate();
    let code_verifier = format!(
        "{}{}",
        Secret::generate().expose(),
        Secret::generate().expose()
    );
    // Each start stores a sign-in for an anonymous caller: the consent page's limit applies.
    if !crate::source::anonymous_write_allowed(state.throttle.as_ref(), source, now).await? {
        return Err(Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-ins from your network. Please wait a few minutes.",
        ));
    }
    let url = provider
        .authorization_url(
            &callback_url(&state.config, id),
            browser_state.expose(),
            nonce.expose(),
            &code_verifier,
        )
        .await
        .map_err(|e| upstream_failure(provider, e).again(&again))?;
    let sign_in = FederatedSignIn {
        provider: id.to_owned(),
        nonce: nonce.expose().to_owned(),
        code_verifier,
        return_to,
        expires_at: now + SIGN_IN_TTL,
        connect_for,
    };
    state
        .accounts
        .save_federated_sign_in(&browser_state.hash(), &sign_in)
        .await?;
    let cookie = state
        .cookies
        .set(Cookie::Federation, browser_state.expose(), SIGN_IN_TTL);
    Ok(redirect(&url, &[cookie]))
}

/// `GET /federation/<id>/callback?code=…&state=…[&iss=…]`, or `?error=…&state=…`.
#[tracing::instrument(name = "federation_callback", skip_all, fields(provider = %id))]
async fn callback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let now = state.clock.now();
    match finish(
        &state,
        &id,
        query.as_deref().unwrap_or_default(),
        &headers,
        now,
    )
    .await
    {
        Ok(response) => response,
        Err(failure) => failure.render(),
    }
}

async fn finish(
    state: &AppState,
    id: &str,
    query: &str,
    headers: &HeaderMap,
    now: UnixTime,
) -> Result<Response, Failure> {
    let cookies = state.cookies;
    let params = Params::parse(query).map_err(|_| lost())?;
    let (sign_in, provider) = take_sign_in(state, id, &params, headers, now).await?;
    let again = sign_in.return_to.clone();
    let upstream = answer(state, id, provider, &params, &sign_in, now).await?;
    if let Some(person) = &sign_in.connect_for {
        return connected(state, provider, upstream, person, headers, now).await;
    }
    let email = admitted_email(provider, &upstream).map_err(|f| f.again(&again))?;
    let user = linked_user(state, provider, &upstream, &email, now).await?;
    if !user.is_enabled() {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "This account is disabled. Ask the administrator.",
        ));
    }
    let session = open_session(state.accounts.as_ref(), cookies, &user.id, now).await?;
    Audit::new("signin.succeeded")
        .user(&user.id)
        .detail(&provider.config().id)
        .log();
    keep_tokens(state, provider, &upstream, &user.id, now).await;
    Ok(redirect(
        &again,
        &[session, cookies.clear(Cookie::Federation)],
    ))
}

/// The page for a sign-in this browser did not start, that took too long or was used already.
fn lost() -> Failure {
    Failure::new(
        StatusCode::BAD_REQUEST,
        "This sign-in did not start in this browser, took too long, or was already used. \
         Return to the application and connect again.",
    )
}

/// The sign-in this callback finishes: its `state` is the one bound to this browser, taken once,
/// and started with this provider.
async fn take_sign_in<'s>(
    state: &'s AppState,
    id: &str,
    params: &Params,
    headers: &HeaderMap,
    now: UnixTime,
) -> Result<(FederatedSignIn, &'s Provider), Failure> {
    let returned_state = params.get("state").ok_or_else(lost)?;
    let bound = state
        .cookies
        .get(headers, Cookie::Federation)
        .ok_or_else(lost)?;
    if !bool::from(bound.as_bytes().ct_eq(returned_state.as_bytes())) {
        return Err(lost());
    }
    let sign_in = state
        .accounts
        .take_federated_sign_in(&SecretHash::of(returned_state), now)
        .await?
        .ok_or_else(lost)?;
    let provider = state
        .federation
        .provider(id)
        .filter(|_| sign_in.provider == id)
        .ok_or_else(lost)?;
    Ok((sign_in, provider))
}

/// The provider's answer: its error, or (RFC 9207) its issuer checked, the code exchanged and the
/// person it describes.
async fn answer(
    state: &AppState,
    id: &str,
    provider: &Provider,
    params: &Params,
    sign_in: &FederatedSignIn,
    now: UnixTime,
) -> Result<Upstream, Failure> {
    let name = &provider.config().name;
    let again = &sign_in.return_to;
    if let Some(error) = params.get("error") {
        tracing::info!(error = %clip(error), "identity provider returned an error");
        let message = if error == "access_denied" {
            format!("Signing in with {name} was cancelled or refused.")
        } else {
            format!("{name} could not sign you in.")
        };
        return Err(Failure::new(StatusCode::FORBIDDEN, message).again(again));
    }
    let unverifiable = |e| upstream_failure(provider, e).again(again);
    // RFC 9207: a response naming another issuer came from another provider (mix-up).
    if let Some((issuer, always_sent)) = provider.response_issuer().await.map_err(unverifiable)? {
        match params.get("iss") {
            Some(iss) if iss != issuer => {
                tracing::warn!(iss = %clip(iss), "authorization response from another issuer (mix-up)");
                return Err(Failure::new(
                    StatusCode::BAD_REQUEST,
                    format!("The answer came from another identity provider than {name}."),
                )
                .again(again));
            }
            None if always_sent => {
                return Err(unverifiable(UpstreamError::Rejected(
                    "authorization response without iss".into(),
                )));
            }
            _ => {}
        }
    }
    let code = params.get("code").ok_or_else(lost)?;
    provider
        .finish(
            state.federation.secrets.as_deref(),
            code,
            &callback_url(&state.config, id),
            sign_in,
            now,
        )
        .await
        .map_err(unverifiable)
}

/// The person's address, shared, verified and admitted by the provider's allow-list
/// ([`rules`]).
fn admitted_email(provider: &Provider, upstream: &Upstream) -> Result<String, Failure> {
    let name = &provider.config().name;
    let refuse = |message: String| Failure::new(StatusCode::FORBIDDEN, message);
    let email = upstream
        .person
        .email
        .as_deref()
        .and_then(|e| normalize_email(e).ok())
        .ok_or_else(|| refuse(format!("{name} did not share an e-mail address.")))?;
    if !rules::email_verified(&upstream.issuer, &upstream.person) {
        return Err(refuse(format!(
            "{name} has not verified {email}. Verify it there, then start again."
        )));
    }
    if !rules::admits(
        &provider.config().allow,
        &upstream.issuer,
        &email,
        &upstream.person,
    ) {
        tracing::info!(email = %clip(&email), "federated sign-in not on the allow-list");
        return Err(refuse(format!(
            "{email} may not sign in here. Ask the administrator for access."
        )));
    }
    Ok(email)
}

/// The user linked to (issuer, subject); on a first sign-in, a new user linked to it. An existing
/// account with the same e-mail is not taken over: only an operator may link it.
async fn linked_user(
    state: &AppState,
    provider: &Provider,
    upstream: &Upstream,
    email: &str,
    now: UnixTime,
) -> Result<User, Failure> {
    let person = Linking {
        issuer: &upstream.issuer,
        subject: &upstream.subject,
        email,
        name: upstream.person.name.as_deref(),
    };
    match person.user(state.accounts.as_ref(), now).await? {
        Linked::User(user) => Ok(user),
        Linked::EmailTaken => Err(Failure::new(
            StatusCode::CONFLICT,
            format!(
                "An account for {email} already exists here and is not linked to {}. \
                 Ask the administrator to link it.",
                provider.config().name
            ),
        )),
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
