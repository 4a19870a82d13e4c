//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; MCP 2025-11-25
//! "Client ID Metadata Documents"): a `client_id` that is an https URL with a path names a JSON
//! document describing the client.
//!
//! Claude's two documents are pinned (they sit behind bot protection that often refuses AWS
//! addresses). Any other is fetched by [`crate::fetch`] (SSRF guards) and cached per
//! `Cache-Control`. A document whose `client_id` is not its own URL is refused.
//!
//! How the client authenticates is negotiated from the document: `private_key_jwt` when it offers
//! it with a key set (`jwks_uri` or `jwks`; ChatGPT's document does), otherwise `none` (PKCE
//! alone, as Claude's documents ask). A document may offer several methods in
//! `token_endpoint_auth_methods_supported` (the draft's proposal for letting the server choose):
//! we take `private_key_jwt` when it is among them, else the first we support. Secret-based
//! methods cannot apply: nobody ever gave such a client a secret.

use crate::fetch::{FetchError, Fetcher, MAX_TTL};
use crate::redirect_uri;
use remote_mcp_core::UnixTime;
use remote_mcp_core::model::{
    Client, ClientCredential, ClientId, ClientKeys, ClientMetadata, Registration,
};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Mutex;
use url::Url;

/// Largest document we read.
const MAX_DOCUMENT_BYTES: usize = 16 * 1024;

const PINNED: &[(&str, &str)] = &[
    (
        "https://claude.ai/oauth/mcp-oauth-client-metadata",
        include_str!("../cimd/claude.json"),
    ),
    (
        "https://claude.ai/oauth/claude-code-client-metadata",
        include_str!("../cimd/claude-code.json"),
    ),
];

/// Why a document could not be used. Shown to the user as a generic failure; logged in detail.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CimdError {
    #[error("not a client metadata document URL")]
    NotAUrl,
    #[error("refusing to fetch {0}")]
    Refused(String),
    #[error("fetch failed: {0}")]
    Fetch(String),
    #[error("invalid document: {0}")]
    Invalid(String),
}

impl From<FetchError> for CimdError {
    fn from(err: FetchError) -> Self {
        match err {
            FetchError::NotAUrl => Self::NotAUrl,
            FetchError::Refused(why) => Self::Refused(why),
            FetchError::Failed(why) => Self::Fetch(why),
            FetchError::Invalid(why) => Self::Invalid(why),
        }
    }
}

#[derive(Deserialize)]
struct Document {
    client_id: String,
    client_name: String,
    redirect_uris: Vec<String>,
    #[serde(default)]
    client_uri: Option<String>,
    #[serde(default)]
    logo_uri: Option<String>,
    #[serde(default)]
    grant_types: Vec<String>,
    #[serde(default)]
    response_types: Vec<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
    /// The draft's proposal: the methods the client can use, for the server to choose from.
    #[serde(default)]
    token_endpoint_auth_methods_supported: Vec<String>,
    #[serde(default)]
    jwks_uri: Option<String>,
    #[serde(default)]
    jwks: Option<serde_json::Value>,
}

/// Is this `client_id` a metadata document URL (https, with a path beyond `/`)?
pub fn is_document_url(client_id: &str) -> bool {
    Url::parse(client_id)
        .is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some() && u.path() != "/")
}

/// Resolves metadata document client ids: pinned copies first, then a guarded fetch, cached.
#[derive(Default)]
pub struct CimdResolver {
    cache: Mutex<HashMap<String, (Client, UnixTime)>>,
    /// `None`: the pinned documents only.
    fetcher: Option<Fetcher>,
}

impl CimdResolver {
    /// A resolver that fetches unknown documents from the internet.
    pub fn online() -> Self {
        Self::fetching_with(Fetcher::public())
    }

    /// A resolver that fetches with `fetcher` (tests serve documents from loopback).
    pub fn fetching_with(fetcher: Fetcher) -> Self {
        Self {
            cache: Mutex::default(),
            fetcher: Some(fetcher),
        }
    }

    /// A resolver limited to the pinned documents (tests, air-gapped deployments).
    pub fn pinned_only() -> Self {
        Self::default()
    }

    /// The client a document URL describes.
    pub async fn resolve(&self, client_id: &str, now: UnixTime) -> Result<Client, CimdError> {
        if !is_document_url(client_id) {
            return Err(CimdError::NotAUrl);
        }
        if let Some((_, json)) = PINNED.iter().find(|(url, _)| *url == client_id) {
            return parse(client_id, json.as_bytes(), now);
        }
        if let Some(client) = self.cached(client_id, now) {
            return Ok(client);
        }
        let fetcher = self
            .fetcher
            .as_ref()
            .ok_or_else(|| CimdError::Refused("fetching is disabled".into()))?;
        let fetched = fetcher.get_json(client_id, MAX_DOCUMENT_BYTES).await?;
        let client = parse(client_id, &fetched.body, now)?;
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(client_id.to_owned(), (client.clone(), now + fetched.ttl));
        }
        Ok(client)
    }

    fn cached(&self, client_id: &str, now: UnixTime) -> Option<Client> {
        let cache = self.cache.lock().ok()?;
        cache
            .get(client_id)
            .filter(|(_, until)| now < *until)
            .map(|(c, _)| c.clone())
    }
}

fn parse(client_id: &str, body: &[u8], now: UnixTime) -> Result<Client, CimdError> {
    let doc: Document =
        serde_json::from_slice(body).map_err(|e| CimdError::Invalid(e.to_string()))?;
    if doc.client_id != client_id {
        return Err(CimdError::Invalid(
            "client_id in the document differs from its URL".into(),
        ));
    }
    if doc.redirect_uris.is_empty() || doc.redirect_uris.len() > redirect_uri::MAX_PER_CLIENT {
        return Err(CimdError::Invalid(
            "redirect_uris missing or too many".into(),
        ));
    }
    for uri in &doc.redirect_uris {
        redirect_uri::validate_for_registration(uri).map_err(CimdError::Invalid)?;
    }
    let credential = credential(&doc)?;
    Ok(Client {
        id: ClientId::new(client_id),
        registered_by: Registration::MetadataDocument,
        credential,
        metadata: ClientMetadata {
            redirect_uris: doc.redirect_uris,
            // Displayed on the consent page: invisible formatting characters are dropped.
            client_name: crate::text::display_name(&doc.client_name),
            grant_types: doc.grant_types,
            response_types: doc.response_types,
            scope: doc.scope,
            client_uri: doc.client_uri.filter(|u| u.starts_with("https://")),
            logo_uri: doc.logo_uri.filter(|u| u.starts_with("https://")),
            ..ClientMetadata::default()
        },
        registration_token_hash: None,
        issued_at: now,
        expires_at: now + MAX_TTL,
    })
}

/// The authentication method a document asks for, negotiated (see the module documentation).
fn credential(doc: &Document) -> Result<ClientCredential, CimdError> {
    let offered: Vec<&str> = if doc.token_endpoint_auth_methods_supported.is_empty() {
        vec![doc.token_endpoint_auth_method.as_deref().unwrap_or("none")]
    } else {
        doc.token_endpoint_auth_methods_supported
            .iter()
            .map(String::as_str)
            .collect()
    };
    let keys = ClientKeys::declared(doc.jwks_uri.as_deref(), doc.jwks.as_ref())
        .map_err(CimdError::Invalid)?;
    let chosen = if offered.contains(&"private_key_jwt") && keys.is_some() {
        "private_key_jwt"
    } else {
        offered
            .iter()
            .copied()
            .find(|m| *m == "none")
            .ok_or_else(|| {
                CimdError::Invalid(format!(
                    "no usable token_endpoint_auth_method among {offered:?} (private_key_jwt \
                     needs jwks_uri or jwks)"
                ))
            })?
    };
    Ok(match (chosen, keys) {
        ("private_key_jwt", Some(keys)) => ClientCredential::PrivateKeyJwt { keys },
        _ => ClientCredential::None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixTime = UnixTime(1_900_000_000);

    #[tokio::test]
    async fn pinned_claude_documents_resolve_without_network() {
        let r = CimdResolver::pinned_only();
        let claude = r
            .resolve("https://claude.ai/oauth/mcp-oauth-client-metadata", NOW)
            .await
            .unwrap();
        assert_eq!(claude.metadata.client_name.as_deref(), Some("Claude"));
        assert_eq!(
            claude.metadata.redirect_uris,
            ["https://claude.ai/api/mcp/auth_callback"]
        );
        assert_eq!(claude.credential, ClientCredential::None);
        let code = r
            .resolve("https://claude.ai/oauth/claude-code-client-metadata", NOW)
            .await
            .unwrap();
        assert_eq!(code.metadata.client_name.as_deref(), Some("Claude Code"));
    }

    #[test]
    fn document_urls_need_https_and_a_path() {
        assert!(is_document_url("https://app.example.com/client.json"));
        assert!(!is_document_url("https://app.example.com/"));
        assert!(!is_document_url("http://app.example.com/client.json"));
        assert!(!is_document_url("3f1c0e2a-uuid"));
    }

    #[test]
    fn mismatched_client_id_is_rejected() {
        let doc = br#"{"client_id":"https://evil.example/c.json","client_name":"x","redirect_uris":["https://a.example/cb"]}"#;
        assert!(matches!(
            parse("https://good.example/c.json", doc, NOW),
            Err(CimdError::Invalid(_))
        ));
    }

    const CHATGPT: &str = "https://chatgpt.example/oauth/app-1/client.json";

    fn document(auth: &str) -> Vec<u8> {
        format!(
            r#"{{"client_id":"{CHATGPT}","client_name":"ChatGPT",
            "redirect_uris":["https://chatgpt.com/connector/oauth/app-1"], {auth}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn a_private_key_jwt_document_authenticates_with_its_key_set() {
        let doc = document(
            r#""token_endpoint_auth_method":"private_key_jwt","token_endpoint_auth_signing_alg":"RS256",
               "jwks_uri":"https://chatgpt.example/oauth/jwks.json""#,
        );
        let client = parse(CHATGPT, &doc, NOW).unwrap();
        assert_eq!(
            client.credential,
            ClientCredential::PrivateKeyJwt {
                keys: ClientKeys::JwksUri("https://chatgpt.example/oauth/jwks.json".into())
            }
        );
    }

    #[test]
    fn cimd_methods_list_prefers_private_key_jwt_then_the_first_supported() {
        let keys = r#""jwks_uri":"https://chatgpt.example/oauth/jwks.json""#;
        let offered = |methods: &str, keys: &str| {
            let auth = format!(r#""token_endpoint_auth_methods_supported":{methods}{keys}"#);
            parse(CHATGPT, &document(&auth), NOW).map(|c| c.credential.method())
        };
        let with_keys = format!(",{keys}");
        assert_eq!(
            offered(r#"["none","private_key_jwt"]"#, &with_keys),
            Ok("private_key_jwt")
        );
        assert_eq!(offered(r#"["client_secret_basic","none"]"#, ""), Ok("none"));
        // private_key_jwt without a key set cannot be used; none can.
        assert_eq!(offered(r#"["private_key_jwt","none"]"#, ""), Ok("none"));
        assert!(offered(r#"["client_secret_post"]"#, "").is_err());
    }

    #[test]
    fn a_document_with_both_jwks_and_jwks_uri_is_refused() {
        let doc = document(
            r#""token_endpoint_auth_method":"private_key_jwt","jwks_uri":"https://chatgpt.example/jwks",
               "jwks":{"keys":[]}"#,
        );
        assert!(matches!(
            parse(CHATGPT, &doc, NOW),
            Err(CimdError::Invalid(_))
        ));
    }

    #[test]
    fn unsafe_redirects_in_documents_are_rejected() {
        let doc = br#"{"client_id":"https://a.example/c.json","client_name":"x","redirect_uris":["javascript:alert(1)"]}"#;
        assert!(parse("https://a.example/c.json", doc, NOW).is_err());
    }
}
