//! remote-mcp's MCP resource server.
//!
//! [`router`] is the whole function: Lambda (`src/bin/mcp-function.rs`), the local development
//! server and the tests all serve this same router.
//!
//! | module | endpoint or concern | specification |
//! |---|---|---|
//! | [`protected_resource`] | `GET /.well-known/oauth-protected-resource[/mcp]` | RFC 9728 |
//! | [`transport`] | `POST /mcp`, `POST /` (Streamable HTTP, stateless JSON) | MCP transports, both eras |
//! | [`envelope`] | the JSON-RPC body, read once for the layers | JSON-RPC 2.0 |
//! | [`compat`] | what deployed Claude clients send differently (`Accept`, version header) | MCP transports |
//! | [`origin`] | `Origin` validation | MCP Streamable HTTP security |
//! | [`bearer`] | access-token verification and challenges | RFC 6750, RFC 8707, MCP authorization |
//! | [`revocation`] | revoked grants, tokens and clients, within a bound | RFC 7009 at the resource server |
//! | [`step_up`] | per-tool scopes, 403 `insufficient_scope` | MCP authorization "Step-Up" |
//! | [`tool_audit`] | each tool call in the audit trail and the metrics | — |
//! | [`direct`] | `tools/list` and `tools/call` answered without rmcp's per-request service | MCP transports |
//! | [`server`], [`tools`] | tools, resources, prompts | MCP server features |
//! | [`result_limit`] | tool results cut to what the client takes, with a marker | Claude's result limit |
//! | [`elsewhere`] | tools calling another API as the person (the token vault) | MCP security: no token passthrough; URL-mode elicitation |

pub mod bearer;
pub mod compat;
pub mod direct;
pub mod elsewhere;
pub mod envelope;
pub mod long_running;
pub mod origin;
pub mod principal;
pub mod protected_resource;
pub mod result_limit;
pub mod revocation;
pub mod server;
pub mod step_up;
pub mod tasks;
pub mod tool_audit;
pub mod tools;
pub mod transport;
pub mod worker;

use axum::Router;
use remote_mcp_core::config::{LOOPBACK_HOSTS, is_loopback_host};
use remote_mcp_core::token::{LazyVerifier, PublicKey};
use remote_mcp_core::{Clock, Config, GrantReader, NoteStore};
use server::McpServer;
use std::sync::Arc;

pub use principal::Principal;
use revocation::Revocations;

/// The scopes a 401 challenge names: what a client should ask for to use every tool (MCP "Scope
/// Selection Strategy"); the person may grant less on the consent page.
pub const CHALLENGE_SCOPES: [&str; 2] = remote_mcp_core::scopes::SUPPORTED;

/// Everything a request handler may use, built once at cold start. One `Arc`: every layer gets a
/// copy per request, so a copy is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares.
#[derive(Clone)]
pub struct Shared {
    pub config: Arc<Config>,
    /// The tools' data: all this function writes (its IAM policy says the same).
    pub notes: Arc<dyn NoteStore>,
    /// Verifies access tokens in memory against the authorization server's public key (fetched on
    /// first use, then kept).
    pub verifier: Arc<LazyVerifier>,
    /// Whether verified tokens still stand (revocation), read from the store at most once per
    /// token per `revocation_check`.
    pub revocations: Arc<Revocations>,
    /// `Host` values accepted on the MCP endpoint.
    pub allowed_hosts: Arc<[String]>,
    /// Absolute URL of our RFC 9728 document, for challenges.
    pub protected_resource_metadata_url: Arc<str>,
    /// The MCP server with its tools, built once per container; each request gets a clone.
    pub server: McpServer,
    /// Where handlers read the time.
    pub clock: Clock,
    /// Whether [`direct`] answers the requests it can (the default); `false` sends every request
    /// through rmcp (tests compare the two).
    pub answer_directly: bool,
}

impl AppState {
    /// Builds the state: tokens must be signed by `keys`, come from our issuer and name our MCP
    /// resource, and still stand in `grants` (read only); the tools keep their data in `notes`.
    pub fn new(
        config: Config,
        notes: Arc<dyn NoteStore>,
        grants: Arc<dyn GrantReader>,
        keys: Arc<dyn PublicKey>,
    ) -> Self {
        let verifier = LazyVerifier::new(keys, config.issuer(), &config.mcp_resource());
        let allowed_hosts = allowed_hosts(config.issuer());
        let revocations = Revocations::new(grants, config.lifetimes.revocation_check);
        let result_limit = config.max_tool_result_chars;
        Self(Arc::new(Shared {
            revocations: Arc::new(revocations),
            protected_resource_metadata_url: config.url(protected_resource::MCP_PATH).into(),
            config: Arc::new(config),
            server: McpServer::new(notes.clone()).with_result_limit(result_limit),
            notes,
            verifier: Arc::new(verifier),
            allowed_hosts: allowed_hosts.into(),
            clock: Clock::System,
            answer_directly: true,
        }))
    }

    /// Offers the Tasks extension: task tools' calls become tasks in `store`, their work handed
    /// over by `launcher` ([`tasks`]).
    pub fn with_tasks(
        mut self,
        store: Arc<dyn remote_mcp_core::TaskStore>,
        launcher: Arc<dyn tasks::Launch>,
    ) -> Self {
        let tasks = tasks::Tasks {
            store,
            launcher,
            settings: self.config.tasks,
            clock: self.clock.clone(),
        };
        let server = self.server.clone().with_tasks(tasks);
        Arc::make_mut(&mut self.0).server = server;
        self
    }

    /// [`Self::with_tasks`], with the work run in this process through the worker's code path (the
    /// local server and the tests).
    pub fn with_tasks_in_process(self, store: Arc<dyn remote_mcp_core::TaskStore>) -> Self {
        let launcher = Arc::new(worker::InProcess::default());
        let state = self.with_tasks(store, launcher.clone());
        launcher.serve(state.server.clone());
        state
    }

    /// Offers the tools that call providers' APIs as the person (the token vault, `upstreams`);
    /// a person connects a provider on the account page.
    pub fn with_upstreams(mut self, upstreams: Arc<remote_mcp_core::upstream::Upstreams>) -> Self {
        let elsewhere = elsewhere::Elsewhere {
            upstreams,
            connect_url: self.config.url("/account"),
            issuer: self.config.issuer().to_owned(),
        };
        let server = self.server.clone().with_elsewhere(elsewhere);
        Arc::make_mut(&mut self.0).server = server;
        self
    }

    /// Sends every request through rmcp's own service, none through [`direct`].
    pub fn through_rmcp_only(mut self) -> Self {
        Arc::make_mut(&mut self.0).answer_directly = false;
        self
    }

    /// Also trusts `key`, the previous signing key, while tokens it signed may still be live.
    pub fn with_previous_key(mut self, key: Arc<dyn PublicKey>) -> Self {
        let verifier = Arc::new(self.verifier.also_trusting(key));
        Arc::make_mut(&mut self.0).verifier = verifier;
        self
    }

    /// Reads the time from `clock` (tests step a manual one).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        Arc::make_mut(&mut self.0).clock = clock;
        self
    }
}

/// The token vault as the Lambda functions that run tools configure it: the providers of
/// `IDENTITY_PROVIDERS` that keep tokens, the vault's KMS key (`VAULT_KEY_ID`), client secrets
/// from Secrets Manager. `None` when no provider keeps tokens or no key is set.
pub fn upstreams_from_env(
    vault_keys: Option<remote_mcp_core::aws::KmsDataKeys>,
    store: Arc<dyn remote_mcp_core::ConnectionStore>,
) -> Result<Option<Arc<remote_mcp_core::upstream::Upstreams>>, String> {
    let providers = remote_mcp_core::providers::from_env()?;
    let (Some(keys), true) = (vault_keys, providers.iter().any(|p| p.vault)) else {
        return Ok(None);
    };
    let secrets = remote_mcp_core::aws::SecretReader::from_env();
    Ok(Some(Arc::new(remote_mcp_core::upstream::Upstreams::new(
        &providers,
        store,
        remote_mcp_core::vault::Vault::new(Arc::new(keys)),
        Some(Arc::new(secrets)),
    ))))
}

/// Every path the resource server serves, as its routes and API Gateway's name them (a test holds
/// `template.yaml` to this list).
pub const PATHS: [&str; 4] = [
    transport::PATHS[0],
    transport::PATHS[1],
    protected_resource::ROOT_PATH,
    protected_resource::MCP_PATH,
];

/// The resource server's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(protected_resource::routes())
        .merge(transport::routes(&state))
        .with_state(state)
        .layer(remote_mcp_core::observe::layer(FUNCTION_NAME))
}

/// This function in metrics (`Function` dimension).
pub const FUNCTION_NAME: &str = "mcp";

/// `Host` values for the MCP endpoint: the public authority; on a loopback origin, every loopback
/// name with that port (a local server is reached as localhost, 127.0.0.1 or [::1]).
fn allowed_hosts(issuer: &str) -> Vec<String> {
    let Ok(url) = url::Url::parse(issuer) else {
        return Vec::new();
    };
    let Some(host) = url.host_str() else {
        return Vec::new();
    };
    let with_port = |h: &str| match url.port() {
        Some(port) => format!("{h}:{port}"),
        None => h.to_owned(),
    };
    if is_loopback_host(host) {
        LOOPBACK_HOSTS.iter().map(|h| with_port(h)).collect()
    } else {
        vec![with_port(host)]
    }
}
