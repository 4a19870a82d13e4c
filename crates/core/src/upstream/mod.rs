//! Calling another API as the person: the token vault's runtime.
//!
//! When a person signs in with (or connects) a provider configured with `"vault": true`, the OAuth
//! function [keeps](Upstreams::keep) what the provider's token endpoint gave, sealed in the
//! [`crate::vault`] under a fresh KMS data key bound to the person and the provider. A tool asks
//! for [a fresh access token](Upstreams::access_token): the record is read (one `GetItem`) and
//! opened (one KMS `Decrypt`, only the first time the container sees that revision of it),
//! and when the access token is about to expire it is refreshed at the provider's token endpoint,
//! one refresh at a time per person and provider across containers: the refresh first takes the
//! record by compare-and-swap ([`crate::ConnectionStore::replace_connection`]), the others wait
//! for its result. A rotated refresh token is stored sealed again.
//!
//! Our own tokens never go upstream: the only token sent to a provider is the one it issued.
//! Nothing here logs a token; the audit trail records connect, disconnect, refresh and refresh
//! failure.

mod at_provider;
mod opened;

use crate::audit::Audit;
use crate::model::{Connection, RefreshLock, UpstreamTokens};
use crate::providers::{ProviderConfig, SecretSource};
use crate::vault::Vault;
use crate::{Clock, ConnectionStore, StoreError, UnixTime};
use at_provider::{Endpoints, Refreshed};
pub use at_provider::{TokenAnswer, read_limited};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::OnceCell;
use zeroize::Zeroizing;

/// An access token is refreshed when it expires within this margin.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// How long a refresh may hold the record before another may take over.
const REFRESH_LOCK: Duration = Duration::from_secs(30);
/// How often a caller waiting for another's refresh looks again, and for how long in all.
const WAIT_STEP: Duration = Duration::from_millis(100);
const WAIT_STEPS: u32 = 100;
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// GitHub's REST API requires a `User-Agent`.
pub const USER_AGENT: &str = concat!("remote-mcp/", env!("CARGO_PKG_VERSION"));

/// An upstream access token, wiped when dropped.
pub type AccessToken = Zeroizing<String>;

/// Why no upstream token could be had.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The person has not connected the provider, or the provider no longer honours the
    /// connection (refresh refused): they must connect it (again).
    #[error("not connected")]
    NotConnected,
    /// No provider with this id keeps tokens here.
    #[error("no provider {0} keeps tokens here")]
    UnknownProvider(String),
    /// The store, the key service or the provider failed; worth trying again.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl From<StoreError> for UpstreamError {
    fn from(err: StoreError) -> Self {
        Self::Unavailable(err.to_string())
    }
}

/// A provider that keeps tokens, with its endpoints once discovered.
struct Provider {
    config: ProviderConfig,
    endpoints: OnceCell<Endpoints>,
}

/// The vault's runtime: keeps, refreshes, hands out and forgets people's upstream tokens.
pub struct Upstreams {
    providers: Vec<Provider>,
    store: Arc<dyn ConnectionStore>,
    vault: Vault,
    secrets: Option<Arc<dyn SecretSource>>,
    clock: Clock,
    http: OnceLock<reqwest::Client>,
    /// Records opened in this container, by (person, provider), with the revision they were
    /// opened at: a record read again at the same revision needs no KMS `Decrypt`.
    opened: std::sync::Mutex<HashMap<(String, String), (u64, UpstreamTokens)>>,
}

impl Upstreams {
    /// The providers of `providers` configured with `"vault": true`, their records in `store`,
    /// sealed by `vault`.
    pub fn new(
        providers: &[ProviderConfig],
        store: Arc<dyn ConnectionStore>,
        vault: Vault,
        secrets: Option<Arc<dyn SecretSource>>,
    ) -> Self {
        Self {
            providers: providers
                .iter()
                .filter(|p| p.vault)
                .map(|config| Provider {
                    config: config.clone(),
                    endpoints: OnceCell::new(),
                })
                .collect(),
            store,
            vault,
            secrets,
            clock: Clock::System,
            http: OnceLock::new(),
            opened: std::sync::Mutex::default(),
        }
    }

    /// Reads the time from `clock` (tests step a manual one).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The providers that keep tokens.
    pub fn providers(&self) -> impl Iterator<Item = &ProviderConfig> {
        self.providers.iter().map(|p| &p.config)
    }

    /// The provider `id`, if it keeps tokens.
    pub fn provider(&self, id: &str) -> Option<&ProviderConfig> {
        self.find(id).ok().map(|p| &p.config)
    }

    fn find(&self, id: &str) -> Result<&Provider, UpstreamError> {
        self.providers
            .iter()
            .find(|p| p.config.id == id)
            .ok_or_else(|| UpstreamError::UnknownProvider(id.to_owned()))
    }

    /// The HTTP client for providers: no redirects, a deadline on every call.
    pub fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(HTTP_TIMEOUT)
                .user_agent(USER_AGENT)
                .build()
                .unwrap_or_default()
        })
    }

    /// The person's connections (for the account page and operators; never their tokens).
    pub async fn connections(&self, person: &str) -> Result<Vec<Connection>, UpstreamError> {
        Ok(self.store.connections(person).await?)
    }

    /// Keeps `tokens`, just given by `provider` for `person` (who is `account` there), replacing
    /// what was kept before.
    pub async fn keep(
        &self,
        person: &str,
        provider: &str,
        account: &str,
        tokens: &UpstreamTokens,
        now: UnixTime,
    ) -> Result<(), UpstreamError> {
        self.find(provider)?;
        let sealed = self.seal(person, provider, tokens).await?;
        self.store
            .save_connection(&Connection {
                person: person.to_owned(),
                provider: provider.to_owned(),
                account: account.to_owned(),
                sealed,
                connected_at: now,
                refreshed_at: None,
                refreshing: None,
            })
            .await?;
        Audit::new("upstream.connected")
            .user(person)
            .detail(provider)
            .log();
        Ok(())
    }

    /// Forgets the person's tokens for `provider` without asking the provider to revoke them
    /// (what a function that cannot open the vault can do); the record as it was, if any.
    pub async fn forget(
        &self,
        person: &str,
        provider: &str,
    ) -> Result<Option<Connection>, UpstreamError> {
        let Some(read) = self.store.connection(person, provider).await? else {
            return Ok(None);
        };
        self.store.delete_connection(person, provider).await?;
        Audit::new("upstream.disconnected")
            .user(person)
            .detail(provider)
            .log();
        Ok(Some(read.value))
    }

    /// Disconnects: forgets the tokens, then revokes them at the provider.
    pub async fn disconnect(&self, person: &str, provider: &str) -> Result<bool, UpstreamError> {
        let Some(connection) = self.forget(person, provider).await? else {
            return Ok(false);
        };
        if let Err(err) = self.revoke(&connection).await {
            tracing::warn!(%err, provider, "upstream revocation failed");
        }
        Ok(true)
    }

    /// A fresh access token for `person` at `provider`: the kept one, or (about to expire) a
    /// refreshed one. [`UpstreamError::NotConnected`] when there is none to be had.
    pub async fn access_token(
        &self,
        person: &str,
        provider: &str,
    ) -> Result<AccessToken, UpstreamError> {
        self.token(person, provider, None).await
    }

    /// The provider refused `refused` (401): a refreshed token, unless the kept one is already
    /// another (refreshed meanwhile), which is then handed out.
    pub async fn refused(
        &self,
        person: &str,
        provider: &str,
        refused: &str,
    ) -> Result<AccessToken, UpstreamError> {
        self.token(person, provider, Some(refused)).await
    }

    async fn token(
        &self,
        person: &str,
        provider_id: &str,
        refused: Option<&str>,
    ) -> Result<AccessToken, UpstreamError> {
        let provider = self.find(provider_id)?;
        let holder = crate::secret::random_id();
        for _ in 0..WAIT_STEPS {
            let now = self.clock.now();
            let Some(read) = self.store.connection(person, provider_id).await? else {
                return Err(UpstreamError::NotConnected);
            };
            let tokens = self.open_at(&read.value, read.revision).await?;
            let is_refused = refused.is_some_and(|r| r == tokens.access_token);
            if tokens.fresh_at(now, EXPIRY_MARGIN) && !is_refused {
                return Ok(Zeroizing::new(tokens.access_token.clone()));
            }
            if read.value.refreshing_elsewhere(&holder, now) {
                tokio::time::sleep(WAIT_STEP).await;
                continue;
            }
            let Some(refresh_token) = tokens.refresh_token.clone() else {
                self.drop_connection(person, provider_id, "no refresh token")
                    .await?;
                return Err(UpstreamError::NotConnected);
            };
            let mut locked = read.value.clone();
            locked.refreshing = Some(RefreshLock {
                holder: holder.clone(),
                until: now + REFRESH_LOCK,
            });
            let Some(revision) = self
                .store
                .replace_connection(&locked, read.revision)
                .await?
            else {
                continue;
            };
            return self
                .refresh_held(provider, locked, revision, &refresh_token, now)
                .await;
        }
        Err(UpstreamError::Unavailable(
            "another refresh did not finish in time".into(),
        ))
    }

    /// Refreshes the connection this caller holds (`locked`, at `revision`) and stores the
    /// result; the new access token.
    async fn refresh_held(
        &self,
        provider: &Provider,
        mut locked: Connection,
        revision: u64,
        refresh_token: &str,
        now: UnixTime,
    ) -> Result<AccessToken, UpstreamError> {
        let (person, provider_id) = (locked.person.clone(), locked.provider.clone());
        match self.refresh(provider, refresh_token, now).await {
            Ok(Refreshed::Tokens(tokens)) => {
                locked.sealed = self.seal(&person, &provider_id, &tokens).await?;
                locked.refreshed_at = Some(now);
                locked.refreshing = None;
                let Some(stored) = self.store.replace_connection(&locked, revision).await? else {
                    // Disconnected while refreshing: the new tokens are not kept.
                    return Err(UpstreamError::NotConnected);
                };
                self.remember(&locked, stored, &tokens);
                Audit::new("upstream.refreshed")
                    .user(&person)
                    .detail(&provider_id)
                    .log();
                Ok(Zeroizing::new(tokens.access_token.clone()))
            }
            Ok(Refreshed::Refused(why)) => {
                self.drop_connection(&person, &provider_id, &why).await?;
                Err(UpstreamError::NotConnected)
            }
            Err(err) => {
                locked.refreshing = None;
                self.store.replace_connection(&locked, revision).await?;
                Err(err)
            }
        }
    }

    /// Deletes a connection the provider no longer honours.
    async fn drop_connection(
        &self,
        person: &str,
        provider: &str,
        why: &str,
    ) -> Result<(), UpstreamError> {
        tracing::info!(provider, why, "upstream connection no longer usable");
        self.store.delete_connection(person, provider).await?;
        Audit::new("upstream.refresh_failed")
            .user(person)
            .detail(provider)
            .log();
        Ok(())
    }
}

/// Revokes a forgotten connection's tokens at its provider: a function that can open the vault.
#[async_trait::async_trait]
pub trait Revoker: Send + Sync + 'static {
    async fn revoke(&self, connection: Connection);
}

#[async_trait::async_trait]
impl Revoker for Upstreams {
    async fn revoke(&self, connection: Connection) {
        if let Err(err) = Upstreams::revoke(self, &connection).await {
            tracing::warn!(%err, provider = connection.provider, "upstream revocation failed");
        }
    }
}

#[cfg(test)]
mod tests;
