//! Sealing and opening a person's tokens, and the records a container has opened: a record read
//! again at the same revision is not opened again (no KMS `Decrypt`).

use super::{UpstreamError, Upstreams};
use crate::model::{Connection, UpstreamTokens};
use crate::vault::VaultError;
use std::collections::HashMap;
use zeroize::Zeroizing;

/// The most opened records a container keeps.
const OPENED_KEPT: usize = 1024;

impl Upstreams {
    pub(super) async fn seal(
        &self,
        person: &str,
        provider: &str,
        tokens: &UpstreamTokens,
    ) -> Result<crate::vault::Sealed, UpstreamError> {
        let plaintext = Zeroizing::new(
            serde_json::to_vec(tokens).map_err(|e| UpstreamError::Unavailable(e.to_string()))?,
        );
        self.vault
            .seal(person, provider, &plaintext)
            .await
            .map_err(vault_error)
    }

    /// The record's tokens: as opened before at this revision, else opened now (one KMS
    /// `Decrypt`) and kept.
    pub(super) async fn open_at(
        &self,
        connection: &Connection,
        revision: u64,
    ) -> Result<UpstreamTokens, UpstreamError> {
        let key = (connection.person.clone(), connection.provider.clone());
        if let Some((kept, tokens)) = self.kept().get(&key)
            && *kept == revision
        {
            return Ok(tokens.clone());
        }
        let tokens = self.open(connection).await?;
        self.remember(connection, revision, &tokens);
        Ok(tokens)
    }

    pub(super) fn remember(&self, connection: &Connection, revision: u64, tokens: &UpstreamTokens) {
        let mut kept = self.kept();
        if kept.len() >= OPENED_KEPT {
            kept.clear();
        }
        kept.insert(
            (connection.person.clone(), connection.provider.clone()),
            (revision, tokens.clone()),
        );
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), (u64, UpstreamTokens)>> {
        // A panic while holding it leaves a plain map behind: keep using it.
        self.opened.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) async fn open(
        &self,
        connection: &Connection,
    ) -> Result<UpstreamTokens, UpstreamError> {
        let plaintext = self
            .vault
            .open(&connection.person, &connection.provider, &connection.sealed)
            .await
            .map_err(vault_error)?;
        serde_json::from_slice(&plaintext).map_err(|_| {
            tracing::error!(
                provider = connection.provider,
                "a vault record holds no tokens"
            );
            UpstreamError::NotConnected
        })
    }
}

pub(super) fn vault_error(err: VaultError) -> UpstreamError {
    match err {
        VaultError::Refused => {
            tracing::error!("a vault record does not open for its person and provider");
            UpstreamError::NotConnected
        }
        VaultError::Keys(why) => UpstreamError::Unavailable(format!("key service: {why}")),
    }
}
