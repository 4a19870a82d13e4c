//! remote-mcp's OAuth 2.1 authorization server.
//!
//! [`router`] is the whole function: Lambda (`src/bin/oauth-function.rs`), the local development
//! server and the tests all serve this same router. Each module owns one endpoint or RFC clause:
//!
//! | module | endpoint or concern | specification |
//! |---|---|---|
//! | [`metadata`] | `GET /.well-known/oauth-authorization-server`, `/.well-known/openid-configuration` | RFC 8414, OIDC Discovery |
//! | [`register`] | `POST /register`, `GET`/`DELETE /register/{client_id}` | RFC 7591, RFC 7592 |
//! | [`cimd`] | URL client ids | Client ID Metadata Documents |
//! | [`account`] | `GET`/`POST /account`: connected apps, disconnect | RFC 7009 (by the user) |
//! | [`authorize`] | `GET`/`POST /authorize` | RFC 6749 §4.1, RFC 9207, RFC 8707 |
//! | [`consent`], [`cookies`], [`same_origin`] | the consent page; its binding and session cookies; cross-site posts refused | RFC 9700 §4.7, §4.16 |
//! | [`sign_in`], [`resource_owner`] | who may approve: accounts, sessions, throttle | — |
//! | [`federation`] | `GET /federation/{provider}/start`, `/callback`: sign-in with an identity provider | OpenID Connect Core 1.0, RFC 9207 |
//! | [`source`] | the caller's address for per-source limits | — |
//! | [`token`] | `POST /token` | RFC 6749 §4.1.3, §4.4, §6; OAuth 2.1 §4.3.1 |
//! | [`revoke`] | `POST /revoke` | RFC 7009 |
//! | [`introspect`] | `POST /introspect` | RFC 7662 |
//! | [`jwks`] | `GET /.well-known/jwks.json` | RFC 7517 |
//! | [`client_assertion`], [`client_keys`], [`jwt`] | `private_key_jwt` client authentication and clients' key sets | RFC 7523 §2.2, §3; OIDC Core §9 |
//! | [`id_jag`] | the jwt-bearer grant with an Identity Assertion JWT Authorization Grant | RFC 7523 §2.1, draft-ietf-oauth-identity-assertion-authz-grant, MCP Enterprise-Managed Authorization |
//! | [`fetch`] | documents fetched from client-named URLs, SSRF-guarded | — |
//! | [`redirect_uri`], [`pkce`], [`scope`], [`client_auth`], [`params`], [`text`] | pure policy | RFC 8252 §7, RFC 7636, RFC 6749 §2.3, §3.1–3.3 |
//! | [`error`], [`no_store`] | the error boundary; uncacheable answers | RFC 6749 §5.1, §5.2 |

pub mod account;
pub mod authorize;
pub mod cimd;
pub mod client_assertion;
pub mod client_auth;
pub mod client_keys;
pub mod clients;
pub mod consent;
pub mod cookies;
pub mod error;
pub mod federation;
pub mod fetch;
pub mod grant_type;
pub mod id_jag;
pub mod introspect;
pub mod jwks;
pub mod jwt;
pub mod metadata;
pub mod no_store;
pub mod params;
pub mod paths;
pub mod pkce;
pub mod redirect_uri;
pub mod register;
pub mod resource_owner;
pub mod revoke;
pub mod same_origin;
pub mod scope;
pub mod sign_in;
pub mod source;
pub mod text;
pub mod token;

use axum::Router;
use cimd::CimdResolver;
use client_keys::KeySets;
use fetch::Fetcher;
use remote_mcp_core::token::{LazyVerifier, PublicKey, Signer};
use remote_mcp_core::upstream::{Revoker, Upstreams};
use remote_mcp_core::vault::Vault;
use remote_mcp_core::{AccountStore, Clock, Config, ConnectionStore, GrantStore, Throttle};
use std::sync::Arc;

pub use metadata::Capabilities;
pub use resource_owner::ResourceOwner;
pub use sign_in::Accounts;

/// Everything a request handler may use, built once at cold start.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    /// Clients, consent transactions, codes and grants.
    pub grants: Arc<dyn GrantStore>,
    /// Accounts and sessions.
    pub accounts: Arc<dyn AccountStore>,
    /// Attempt counters: the limits on anonymous writes (the same table as `accounts`).
    pub throttle: Arc<dyn Throttle>,
    pub capabilities: Arc<Capabilities>,
    pub signer: Arc<dyn Signer>,
    /// Verifies our own access tokens (revocation, introspection), and lists the published keys.
    pub verifier: Arc<LazyVerifier>,
    pub cimd: Arc<CimdResolver>,
    /// `private_key_jwt` clients' key sets, fetched and kept.
    pub client_keys: Arc<KeySets>,
    pub owner: Arc<dyn ResourceOwner>,
    /// Identity providers people may sign in with (none unless configured).
    pub federation: Arc<federation::Federation>,
    /// The token vault: keeps what providers configured with `"vault": true` give (this function
    /// seals and forgets; it cannot open a record).
    pub upstreams: Option<Arc<Upstreams>>,
    /// Revokes a disconnected provider's tokens at the provider: a function that can open the
    /// vault does it (in AWS the task worker, invoked asynchronously).
    pub revoker: Option<Arc<dyn Revoker>>,
    /// Where handlers read the time.
    pub clock: Clock,
    /// Our cookies' names and attributes (`__Host-` and `Secure` on an https issuer).
    pub cookies: cookies::Cookies,
}

// Substates: a handler that needs one part of the state asks for that part
// (`State<Arc<Capabilities>>`), and its signature says what it can touch. Helpers likewise take
// the part they use (`&Config`, `&dyn GrantStore`), not the whole state.
macro_rules! substate {
    ($($field:ident: $type:ty),* $(,)?) => {$(
        impl axum::extract::FromRef<AppState> for $type {
            fn from_ref(state: &AppState) -> Self {
                state.$field.clone()
            }
        }
    )*};
}

substate!(capabilities: Arc<Capabilities>, verifier: Arc<LazyVerifier>);

impl AppState {
    /// Builds the state: metadata documents fetched from the internet when needed, and approvals by
    /// users of the store ([`Accounts`]).
    pub fn new(
        config: Config,
        grants: Arc<dyn GrantStore>,
        accounts: Arc<dyn AccountStore>,
        signer: Arc<dyn Signer>,
    ) -> Self {
        let capabilities = Arc::new(Capabilities::for_config(&config));
        let verifier = Arc::new(LazyVerifier::new(
            signer.clone(),
            config.issuer(),
            &config.mcp_resource(),
        ));
        let owner = Arc::new(Accounts::new(accounts.clone(), config.is_https()));
        let throttle: Arc<dyn Throttle> = accounts.clone();
        let cookies = cookies::Cookies {
            secure: config.is_https(),
        };
        Self {
            config: Arc::new(config),
            grants,
            accounts,
            throttle,
            capabilities,
            signer,
            verifier,
            cimd: Arc::new(CimdResolver::online()),
            client_keys: Arc::new(KeySets::new(Fetcher::public())),
            owner,
            federation: Arc::default(),
            upstreams: None,
            revoker: None,
            clock: Clock::System,
            cookies,
        }
    }

    /// Offers sign-in with these identity providers on the consent page; client secrets given by
    /// ARN are read from `secrets`.
    pub fn with_identity_providers(
        mut self,
        providers: Vec<federation::config::ProviderConfig>,
        secrets: Option<Arc<dyn federation::SecretSource>>,
    ) -> Self {
        let accepts_id_jags = providers.iter().any(|p| p.id_jag);
        self.federation = Arc::new(federation::Federation::new(providers, secrets));
        self.capabilities =
            Arc::new(Capabilities::for_config(&self.config).accepting_id_jags(accepts_id_jags));
        self
    }

    /// Keeps the tokens of the identity providers configured with `"vault": true` (set them first,
    /// [`Self::with_identity_providers`]) in `store`, sealed by `vault`; `revoker` revokes them at
    /// the provider when a person disconnects it.
    pub fn with_token_vault(
        mut self,
        store: Arc<dyn ConnectionStore>,
        vault: Vault,
        revoker: Option<Arc<dyn Revoker>>,
    ) -> Self {
        let configs: Vec<_> = self.federation.configs().cloned().collect();
        let upstreams = Upstreams::new(&configs, store, vault, self.federation.secrets())
            .with_clock(self.clock.clone());
        self.upstreams = Some(Arc::new(upstreams));
        self.revoker = revoker;
        self
    }

    /// Also publishes and trusts `key`: the previous signing key, while tokens it signed may still
    /// be live (a rotation's overlap; see docs/operations.md, *Rotating the signing key*).
    pub fn with_previous_key(mut self, key: Arc<dyn PublicKey>) -> Self {
        self.verifier = Arc::new(self.verifier.also_trusting(key));
        self
    }

    /// Reads the time from `clock` (tests step a manual one).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Uses another metadata document resolver.
    pub fn with_cimd(mut self, cimd: CimdResolver) -> Self {
        self.cimd = Arc::new(cimd);
        self
    }

    /// Fetches metadata documents and clients' key sets with `fetcher` (tests serve them from
    /// loopback).
    pub fn with_fetcher(mut self, fetcher: Fetcher) -> Self {
        self.cimd = Arc::new(CimdResolver::fetching_with(fetcher.clone()));
        self.client_keys = Arc::new(KeySets::new(fetcher));
        self
    }
}

/// Every path the authorization server serves, as its routes and API Gateway's name them (a test
/// holds `template.yaml` to this list).
pub const PATHS: [&str; 12] = paths::ALL;

/// The authorization server's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(metadata::routes())
        .merge(jwks::routes())
        .merge(register::routes())
        .merge(authorize::routes())
        .merge(token::routes())
        .merge(revoke::routes())
        .merge(introspect::routes())
        .merge(federation::routes())
        .merge(account::routes())
        .with_state(state)
        .layer(remote_mcp_core::observe::layer(FUNCTION_NAME))
}

/// This function in metrics (`Function` dimension).
pub const FUNCTION_NAME: &str = "oauth";
