//! Local development host: both function routers merged on one loopback origin, exactly as API
//! Gateway routes them in AWS, over an embedded store or DynamoDB Local (`make run`); with
//! [`conformance`], the endpoint the official MCP conformance suite runs against. The tools that
//! drive it from outside (replays, `sam local`, `make token`) are in `crates/xtask`.

pub mod conformance;

use axum::Router;
use remote_mcp_core::model::{User, normalize_email};
use remote_mcp_core::secret::Secret;
use remote_mcp_core::token::LocalSigner;
use remote_mcp_core::{AccountStore, Clock, Config, DynamoStore, MemoryStore, Store, UnixTime};
use remote_mcp_testkit::{DynamoLocal, TableDefinition};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Tables created on DynamoDB Local by this process.
static TABLES: AtomicUsize = AtomicUsize::new(0);

/// Which store backs the local server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// In-process maps; nothing to install, nothing persists.
    Memory,
    /// DynamoDB Local (in memory), with the table created from `template.yaml`.
    DynamoLocal,
}

impl std::str::FromStr for StoreKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "memory" => Ok(Self::Memory),
            "dynamodb-local" => Ok(Self::DynamoLocal),
            other => Err(format!(
                "unknown store {other:?} (expected memory or dynamodb-local)"
            )),
        }
    }
}

/// Builds the chosen store. DynamoDB Local keeps running while the process lives.
pub async fn store(kind: StoreKind) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match kind {
        StoreKind::Memory => Arc::new(MemoryStore::new()),
        StoreKind::DynamoLocal => {
            // One DynamoDB Local per process; every store gets a table of its own.
            let table = match TABLES.fetch_add(1, Ordering::Relaxed) {
                0 => "remote-mcp".to_owned(),
                n => format!("remote-mcp-{n}"),
            };
            let local = DynamoLocal::shared().map_err(anyhow::Error::msg)?;
            let client = local.client();
            TableDefinition::from_repository()?
                .create(&client, &table)
                .await?;
            tracing::info!(endpoint = local.endpoint(), table, "DynamoDB Local is up");
            Arc::new(DynamoStore::new(client, table))
        }
    })
}

/// The DynamoDB Local endpoint and the first table of this process, if that store is in use.
pub fn dynamo_local_table() -> Option<(String, &'static str)> {
    (TABLES.load(Ordering::Relaxed) > 0)
        .then(|| {
            DynamoLocal::shared()
                .ok()
                .map(|l| (l.endpoint().to_owned(), "remote-mcp"))
        })
        .flatten()
}

/// Creates (or resets) a development account; returns its password.
pub async fn dev_user(
    store: &dyn AccountStore,
    email: &str,
    password: Option<String>,
) -> anyhow::Result<String> {
    let password = password.unwrap_or_else(|| Secret::generate().expose()[..20].to_owned());
    let email = normalize_email(email).map_err(anyhow::Error::msg)?;
    let hash = remote_mcp_core::password::hash(&password)?;
    match store.user_by_email(&email).await? {
        Some(user) => {
            store
                .update_user(&User {
                    password_hash: hash,
                    disabled_at: None,
                    ..user
                })
                .await?
        }
        None => {
            store
                .create_user(&User::new(email, hash, UnixTime::now()))
                .await?
        }
    }
    Ok(password)
}

/// Both routers on one origin, sharing a signing key generated for this process.
pub fn app(config: Config, store: Arc<dyn Store>) -> Router {
    let (oauth, mcp) = states(config, store);
    oauth_function::router(oauth).merge(mcp_function::router(mcp))
}

/// Both routers on one origin, signing with `signer` and also trusting `previous` (a deployment
/// in the overlap of a signing-key rotation).
pub fn app_with_keys(
    config: Config,
    store: Arc<dyn Store>,
    signer: Arc<LocalSigner>,
    previous: Option<Arc<LocalSigner>>,
) -> Router {
    let mut oauth =
        oauth_function::AppState::new(config.clone(), store.clone(), store.clone(), signer.clone());
    let mut mcp = mcp_state(config, store, signer, Clock::System);
    if let Some(previous) = previous {
        oauth = oauth.with_previous_key(previous.clone());
        mcp = mcp.with_previous_key(previous);
    }
    oauth_function::router(oauth).merge(mcp_function::router(mcp))
}

/// The OAuth router plus the conformance fixture endpoint in place of the MCP endpoint.
pub fn conformance_app(config: Config, store: Arc<dyn Store>) -> Router {
    let (oauth, mcp) = states(config, store);
    oauth_function::router(oauth).merge(conformance::router(mcp))
}

fn states(
    config: Config,
    store: Arc<dyn Store>,
) -> (oauth_function::AppState, mcp_function::AppState) {
    states_with_clock(config, store, Clock::System)
}

/// The two functions' states over one store and a fresh signing key, reading the time from
/// `clock`.
pub fn states_with_clock(
    config: Config,
    store: Arc<dyn Store>,
    clock: Clock,
) -> (oauth_function::AppState, mcp_function::AppState) {
    let signer = Arc::new(LocalSigner::generate());
    (
        oauth_function::AppState::new(config.clone(), store.clone(), store.clone(), signer.clone())
            .with_clock(clock.clone()),
        mcp_state(config, store, signer, clock),
    )
}

/// The MCP function's state over `store`, with tasks worked in this process through the task
/// worker's code path.
fn mcp_state(
    config: Config,
    store: Arc<dyn Store>,
    signer: Arc<LocalSigner>,
    clock: Clock,
) -> mcp_function::AppState {
    mcp_function::AppState::new(config, store.clone(), store.clone(), signer)
        .with_clock(clock)
        .with_tasks_in_process(store)
}

/// Both routers on one origin, offering sign-in with `providers` on the consent page; those
/// configured with `"vault": true` keep their tokens for tools ([`with_token_vault`]).
pub fn app_with_providers(
    config: Config,
    store: Arc<dyn Store>,
    providers: Vec<oauth_function::federation::config::ProviderConfig>,
) -> Router {
    let (oauth, mcp) = states(config, store.clone());
    let oauth = oauth.with_identity_providers(providers, None);
    let (oauth, mcp) = with_token_vault(oauth, mcp, store, Clock::System);
    oauth_function::router(oauth).merge(mcp_function::router(mcp))
}

/// The token vault for both functions, sealing with a key in memory (this process's life): the
/// OAuth function keeps tokens at sign-in (set its identity providers first), the MCP function's
/// tools use and refresh them and revoke a disconnected provider's.
pub fn with_token_vault(
    oauth: oauth_function::AppState,
    mcp: mcp_function::AppState,
    store: Arc<dyn Store>,
    clock: Clock,
) -> (oauth_function::AppState, mcp_function::AppState) {
    let Ok(keys) = remote_mcp_core::vault::LocalDataKeys::generate() else {
        tracing::error!("no random numbers for the vault's key: providers keep no tokens");
        return (oauth, mcp);
    };
    let vault = remote_mcp_core::vault::Vault::new(Arc::new(keys));
    let providers: Vec<_> = oauth.federation.configs().cloned().collect();
    if !providers.iter().any(|p| p.vault) {
        return (oauth, mcp);
    }
    let upstreams = Arc::new(
        remote_mcp_core::upstream::Upstreams::new(
            &providers,
            store.clone(),
            vault.clone(),
            oauth.federation.secrets(),
        )
        .with_clock(clock),
    );
    let oauth = oauth.with_token_vault(store, vault, Some(upstreams.clone()));
    (oauth, mcp.with_upstreams(upstreams))
}
