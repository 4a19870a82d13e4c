//! Registered OAuth clients (RFC 7591 dynamic registration; RFC 7592 management).

use crate::UnixTime;
use crate::secret::SecretHash;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A client identifier: a UUID for dynamically registered clients, or an https URL for
/// Client ID Metadata Documents.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(transparent)]
pub struct ClientId(String);

impl ClientId {
    /// Wraps an identifier.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The identifier as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a client authenticates at the token endpoint. A public client has no secret at all, so
/// "public clients must use PKCE" and "confidential clients must present their secret" are
/// properties of the type, not of a flag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ClientCredential {
    /// `token_endpoint_auth_method: "none"`.
    None,
    /// `client_secret_post`: the secret in the form body.
    ClientSecretPost { secret_hash: SecretHash },
    /// `client_secret_basic`: the secret in HTTP Basic authentication.
    ClientSecretBasic { secret_hash: SecretHash },
    /// `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): a JWT signed with one of the
    /// client's private keys; we hold only the public ones, or where to find them.
    PrivateKeyJwt { keys: ClientKeys },
}

/// Where a `private_key_jwt` client's public keys are (RFC 7591 §2 `jwks_uri` or `jwks`; never
/// both).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKeys {
    /// An https URL serving the client's JWK Set, fetched when needed and again when a signature
    /// names a key we have not seen (rotation).
    JwksUri(String),
    /// The JWK Set itself, given at registration.
    Jwks(serde_json::Value),
}

/// Most keys a client's key set may hold.
const MAX_KEYS: usize = 20;

impl ClientKeys {
    /// Checks the key-set members of a registration, a metadata document or an operator's
    /// command: at most one of them; a `jwks_uri` that is an https URL; a `jwks` of 1 to 20 public
    /// keys. `None` when there is neither.
    pub fn declared(
        jwks_uri: Option<&str>,
        jwks: Option<&serde_json::Value>,
    ) -> Result<Option<Self>, String> {
        match (jwks_uri, jwks) {
            (Some(_), Some(_)) => {
                Err("jwks_uri and jwks must not both be present (RFC 7591 §2)".into())
            }
            (Some(uri), None) => {
                let ok = url::Url::parse(uri)
                    .is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some());
                if !ok {
                    return Err("jwks_uri must be an https URL".into());
                }
                Ok(Some(Self::JwksUri(uri.to_owned())))
            }
            (None, Some(value)) => {
                Self::key_set(value)?;
                Ok(Some(Self::Jwks(value.clone())))
            }
            (None, None) => Ok(None),
        }
    }

    /// A JWK Set of 1 to 20 public keys (no symmetric key: a "key" both sides know proves
    /// nothing about who signed).
    pub fn key_set(value: &serde_json::Value) -> Result<jsonwebtoken::jwk::JwkSet, String> {
        use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
        let keys: JwkSet = serde_json::from_value(value.clone())
            .map_err(|e| format!("jwks is not a JWK Set: {e}"))?;
        if keys.keys.is_empty() || keys.keys.len() > MAX_KEYS {
            return Err(format!("jwks must hold 1 to {MAX_KEYS} keys"));
        }
        if keys
            .keys
            .iter()
            .any(|k| matches!(k.algorithm, AlgorithmParameters::OctetKey(_)))
        {
            return Err("jwks must hold public keys only (no symmetric keys)".into());
        }
        Ok(keys)
    }
}

impl ClientCredential {
    /// The RFC 7591 `token_endpoint_auth_method` name.
    pub fn method(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecretPost { .. } => "client_secret_post",
            Self::ClientSecretBasic { .. } => "client_secret_basic",
            Self::PrivateKeyJwt { .. } => "private_key_jwt",
        }
    }

    /// Whether the client holds a credential of its own, a secret or a private key (RFC 6749
    /// §2.1 confidential client).
    pub fn is_confidential(&self) -> bool {
        !matches!(self, Self::None)
    }

    /// Whether the client holds a secret we issued (and so has a `client_secret_expires_at`).
    pub fn has_secret(&self) -> bool {
        matches!(
            self,
            Self::ClientSecretPost { .. } | Self::ClientSecretBasic { .. }
        )
    }

    /// The key set of a `private_key_jwt` client.
    pub fn keys(&self) -> Option<&ClientKeys> {
        match self {
            Self::PrivateKeyJwt { keys } => Some(keys),
            _ => None,
        }
    }
}

/// Metadata as registered (RFC 7591 §2), after validation, echoed back to the client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientMetadata {
    pub redirect_uris: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(default)]
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub response_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
}

/// How a client came to be known, which decides what it may do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// Through the open `/register` endpoint (RFC 7591): anyone may register, so such a client
    /// only ever acts for a person who approved it on the consent page.
    #[default]
    Dynamic,
    /// By its Client ID Metadata Document (its id is the document's URL); the same limits.
    MetadataDocument,
    /// By an operator with the admin CLI: the only clients that may use `client_credentials`
    /// (machine access, acting as themselves).
    Operator,
}

impl Registration {
    /// The name shown to operators.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dynamic => "dynamic",
            Self::MetadataDocument => "metadata-document",
            Self::Operator => "operator",
        }
    }
}

/// A registered client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: ClientId,
    /// Records written before this field existed were dynamic registrations.
    #[serde(default)]
    pub registered_by: Registration,
    pub credential: ClientCredential,
    pub metadata: ClientMetadata,
    /// RFC 7592 registration access token, hashed.
    pub registration_token_hash: Option<SecretHash>,
    pub issued_at: UnixTime,
    /// Unused registrations expire; the store hides the client from this instant on.
    pub expires_at: UnixTime,
}

impl Client {
    /// The subject of tokens a machine client gets for itself (`client_credentials`): prefixed,
    /// so that it can never equal a user's id.
    pub fn machine_subject(&self) -> String {
        format!("client:{}", self.id)
    }

    /// Whether this client may use `client_credentials`: created by an operator, holding a
    /// secret or a key, and registered for that grant.
    pub fn may_act_for_itself(&self) -> bool {
        self.registered_by == Registration::Operator
            && self.credential.is_confidential()
            && self
                .metadata
                .grant_types
                .iter()
                .any(|g| g == "client_credentials")
    }
}
