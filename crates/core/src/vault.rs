//! Envelope encryption for what a person lets tools use elsewhere (upstream access and refresh
//! tokens): each record is sealed with AES-256-GCM under a fresh data key, and only the data key's
//! wrapped form is kept beside it. In AWS the data key comes from KMS (`GenerateDataKey`) and is
//! unwrapped by KMS (`Decrypt`), so only a role allowed `kms:Decrypt` on the vault key can read a
//! record; locally a key in memory wraps it the same way.
//!
//! A record is bound to its person and provider twice: in the KMS encryption context (KMS refuses
//! to unwrap the data key under another one) and in the AEAD's associated data. A record copied to
//! another person, or to another provider of the same person, does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use zeroize::Zeroizing;

/// A sealed record, as stored. Every member is safe to store and to show (nothing decrypts
/// without the key holder).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// The wrapping key (a KMS key id or ARN).
    pub key_id: String,
    /// The data key, wrapped by the key holder (base64).
    pub wrapped_key: String,
    /// The AES-GCM nonce (base64, 96 bits, random per record).
    pub nonce: String,
    /// The record, encrypted and authenticated (base64).
    pub ciphertext: String,
}

/// Why a record could not be sealed or opened. Never says more than that: a caller answers "connect
/// again", and the details go to the operator's log.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The key holder (KMS) could not be reached or refused.
    #[error("key service: {0}")]
    Keys(String),
    /// The record does not open under this person and provider (moved, or tampered with).
    #[error("the record does not open here")]
    Refused,
}

/// A data key: its plaintext (wiped when dropped) and its wrapped form.
pub struct DataKey {
    pub plaintext: Zeroizing<[u8; 32]>,
    pub wrapped: Vec<u8>,
}

/// Who makes and unwraps data keys: KMS in AWS ([`crate::aws::KmsDataKeys`]), a key in memory
/// locally ([`LocalDataKeys`]).
#[async_trait]
pub trait DataKeys: Send + Sync + 'static {
    /// The wrapping key's id, stored with each record.
    fn key_id(&self) -> &str;

    /// A fresh data key, wrapped under `context`.
    async fn generate(&self, context: &Context) -> Result<DataKey, VaultError>;

    /// Unwraps a data key wrapped under `context`; [`VaultError::Refused`] under any other.
    async fn unwrap(
        &self,
        wrapped: &[u8],
        context: &Context,
    ) -> Result<Zeroizing<[u8; 32]>, VaultError>;
}

/// The encryption context of a record: what it is, whose, for which provider.
pub type Context = BTreeMap<String, String>;

/// Seals and opens records with data keys from a [`DataKeys`].
#[derive(Clone)]
pub struct Vault {
    keys: Arc<dyn DataKeys>,
}

impl Vault {
    pub fn new(keys: Arc<dyn DataKeys>) -> Self {
        Self { keys }
    }

    /// Seals `plaintext` for `person`'s connection to `provider`.
    pub async fn seal(
        &self,
        person: &str,
        provider: &str,
        plaintext: &[u8],
    ) -> Result<Sealed, VaultError> {
        let context = context(person, provider);
        let key = self.keys.generate(&context).await?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| VaultError::Keys(e.to_string()))?;
        let key_id = self.keys.key_id().to_owned();
        let aad = associated_data(&key_id, &context);
        let ciphertext = Aes256Gcm::new(key.plaintext.as_ref().into())
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Keys("encryption failed".into()))?;
        Ok(Sealed {
            key_id,
            wrapped_key: STANDARD.encode(&key.wrapped),
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(ciphertext),
        })
    }

    /// Opens a record sealed for `person`'s connection to `provider`.
    pub async fn open(
        &self,
        person: &str,
        provider: &str,
        sealed: &Sealed,
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let decode = |text: &str| STANDARD.decode(text).map_err(|_| VaultError::Refused);
        let (wrapped, nonce, ciphertext) = (
            decode(&sealed.wrapped_key)?,
            decode(&sealed.nonce)?,
            decode(&sealed.ciphertext)?,
        );
        if nonce.len() != 12 {
            return Err(VaultError::Refused);
        }
        let context = context(person, provider);
        let key = self.keys.unwrap(&wrapped, &context).await?;
        let aad = associated_data(&sealed.key_id, &context);
        Aes256Gcm::new(key.as_ref().into())
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Refused)
    }
}

/// The encryption context of `person`'s connection to `provider`.
pub fn context(person: &str, provider: &str) -> Context {
    BTreeMap::from([
        ("purpose".to_owned(), "remote-mcp upstream token".to_owned()),
        ("person".to_owned(), person.to_owned()),
        ("provider".to_owned(), provider.to_owned()),
    ])
}

/// The AEAD's associated data: the format, the wrapping key and the context, unambiguously joined.
fn associated_data(key_id: &str, context: &Context) -> Vec<u8> {
    let mut aad = b"remote-mcp vault v1".to_vec();
    for part in std::iter::once(key_id).chain(context.iter().flat_map(|(k, v)| [k.as_str(), v])) {
        aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

/// Data keys wrapped by a key in memory: the local server and the tests, never a deployment.
pub struct LocalDataKeys {
    key: Zeroizing<[u8; 32]>,
}

impl LocalDataKeys {
    /// A fresh wrapping key, for this process's life.
    pub fn generate() -> Result<Self, VaultError> {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::fill(key.as_mut()).map_err(|e| VaultError::Keys(e.to_string()))?;
        Ok(Self { key })
    }
}

#[async_trait]
impl DataKeys for LocalDataKeys {
    fn key_id(&self) -> &str {
        "local"
    }

    async fn generate(&self, context: &Context) -> Result<DataKey, VaultError> {
        let mut plaintext = Zeroizing::new([0u8; 32]);
        getrandom::fill(plaintext.as_mut()).map_err(|e| VaultError::Keys(e.to_string()))?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| VaultError::Keys(e.to_string()))?;
        let aad = associated_data("local-wrap", context);
        let mut wrapped = nonce.to_vec();
        wrapped.extend(
            Aes256Gcm::new(self.key.as_ref().into())
                .encrypt(
                    Nonce::from_slice(&nonce),
                    Payload {
                        msg: plaintext.as_ref(),
                        aad: &aad,
                    },
                )
                .map_err(|_| VaultError::Keys("wrapping failed".into()))?,
        );
        Ok(DataKey { plaintext, wrapped })
    }

    async fn unwrap(
        &self,
        wrapped: &[u8],
        context: &Context,
    ) -> Result<Zeroizing<[u8; 32]>, VaultError> {
        if wrapped.len() < 12 {
            return Err(VaultError::Refused);
        }
        let (nonce, sealed) = wrapped.split_at(12);
        let aad = associated_data("local-wrap", context);
        let plaintext = Zeroizing::new(
            Aes256Gcm::new(self.key.as_ref().into())
                .decrypt(
                    Nonce::from_slice(nonce),
                    Payload {
                        msg: sealed,
                        aad: &aad,
                    },
                )
                .map_err(|_| VaultError::Refused)?,
        );
        let mut key = Zeroizing::new([0u8; 32]);
        if plaintext.len() != 32 {
            return Err(VaultError::Refused);
        }
        key.copy_from_slice(&plaintext);
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> Vault {
        Vault::new(Arc::new(LocalDataKeys::generate().unwrap()))
    }

    #[tokio::test]
    async fn a_sealed_record_opens_for_its_person_and_provider_only() {
        let vault = vault();
        let sealed = vault
            .seal("alice", "github", b"gho_upstream")
            .await
            .unwrap();
        assert!(!sealed.ciphertext.contains("gho_upstream"));
        let opened = vault.open("alice", "github", &sealed).await.unwrap();
        assert_eq!(opened.as_slice(), b"gho_upstream");
        for (person, provider) in [("bob", "github"), ("alice", "google"), ("alice ", "github")] {
            assert!(
                matches!(
                    vault.open(person, provider, &sealed).await,
                    Err(VaultError::Refused)
                ),
                "{person} {provider}"
            );
        }
    }

    #[tokio::test]
    async fn a_tampered_record_does_not_open() {
        let vault = vault();
        let sealed = vault.seal("alice", "github", b"token").await.unwrap();
        let mut bytes = STANDARD.decode(&sealed.ciphertext).unwrap();
        bytes[0] ^= 1;
        let tampered = Sealed {
            ciphertext: STANDARD.encode(bytes),
            ..sealed.clone()
        };
        assert!(vault.open("alice", "github", &tampered).await.is_err());
        let other_key = Sealed {
            key_id: "another-key".into(),
            ..sealed
        };
        assert!(vault.open("alice", "github", &other_key).await.is_err());
    }

    #[test]
    fn associated_data_cannot_be_shifted_between_fields() {
        let one = associated_data("k", &context("ab", "c"));
        let two = associated_data("k", &context("a", "bc"));
        assert_ne!(one, two);
    }
}
