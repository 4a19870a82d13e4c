//! The production signer: a KMS `ECC_NIST_P256` / `SIGN_VERIFY` key. The private key never leaves
//! KMS; the OAuth function may call `kms:Sign`, the MCP function only `kms:GetPublicKey`. The public
//! key is fetched on first use and kept for the life of the container, so neither cold start nor
//! later requests wait for it again.

use super::{Jwk, PublicKey, SignError, Signer, der_to_jose};
use crate::deferred::Deferred;
use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::error::DisplayErrorContext;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use p256::pkcs8::DecodePublicKey;
use tokio::sync::OnceCell;

/// Largest message KMS signs with `MessageType::Raw`.
const MAX_RAW_MESSAGE: usize = 4096;

/// Signs with a KMS key.
pub struct KmsSigner {
    client: Deferred<Client>,
    key_id: String,
    jwk: OnceCell<Jwk>,
}

impl KmsSigner {
    /// A signer for `key_id`; makes no request until a key or signature is needed.
    pub fn new(client: Client, key_id: impl Into<String>) -> Self {
        Self::lazy(Deferred::ready(client), key_id)
    }

    /// The same, with a client built when the first call needs it (shared with its clones).
    pub fn lazy(client: Deferred<Client>, key_id: impl Into<String>) -> Self {
        Self {
            client,
            key_id: key_id.into(),
            jwk: OnceCell::new(),
        }
    }

    fn client(&self) -> &Client {
        self.client.get()
    }
}

/// The JWK of a KMS key's public half (`GetPublicKey` returns an X.509 SubjectPublicKeyInfo).
pub async fn public_jwk(client: &Client, key_id: &str) -> Result<Jwk, SignError> {
    let out = client
        .get_public_key()
        .key_id(key_id)
        .send()
        .await
        .map_err(|e| SignError::Service(DisplayErrorContext(e).to_string()))?;
    let spki = out
        .public_key
        .ok_or_else(|| SignError::Malformed("GetPublicKey returned no key".into()))?;
    let key = p256::PublicKey::from_public_key_der(spki.as_ref())
        .map_err(|e| SignError::Malformed(format!("not a P-256 public key: {e}")))?;
    Ok(Jwk::from_public_key(&key))
}

#[async_trait]
impl PublicKey for KmsSigner {
    async fn public_jwk(&self) -> Result<Jwk, SignError> {
        self.jwk
            .get_or_try_init(|| public_jwk(self.client(), &self.key_id))
            .await
            .cloned()
    }
}

#[async_trait]
impl Signer for KmsSigner {
    async fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignError> {
        // KMS hashes RAW messages itself (SHA-256 for ECDSA_SHA_256). A JWS signing input of our
        // claims is a few hundred bytes, far below the RAW limit.
        if message.len() > MAX_RAW_MESSAGE {
            return Err(SignError::Malformed(format!(
                "signing input of {} bytes exceeds KMS's {MAX_RAW_MESSAGE}",
                message.len()
            )));
        }
        let out = self
            .client()
            .sign()
            .key_id(&self.key_id)
            .message(Blob::new(message))
            .message_type(MessageType::Raw)
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .send()
            .await
            .map_err(|e| SignError::Service(DisplayErrorContext(e).to_string()))?;
        let der = out
            .signature
            .ok_or_else(|| SignError::Malformed("Sign returned no signature".into()))?;
        der_to_jose(der.as_ref())
    }
}
