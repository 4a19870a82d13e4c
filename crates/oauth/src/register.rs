//! Dynamic client registration (RFC 7591) and its management protocol (RFC 7592: read, delete).
//!
//! Accepts what MCP clients send (Claude's 2025 and 2026 bodies, the MCP SDKs' with
//! `application_type`) and answers 201 with the registered metadata echoed, a `client_secret` only
//! when a secret-based method was requested (stored hashed), the key set of a `private_key_jwt`
//! client (`jwks_uri` or `jwks`), and `registration_client_uri` plus
//! `registration_access_token` (claude.ai requires the former). Unused registrations expire, and
//! each source address may register `REGISTRATIONS_PER_HOUR` clients an hour (429
//! `temporarily_unavailable` beyond).

use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::no_store::NoStore;
use crate::redirect_uri;
use crate::scope::Scopes;
use crate::source::{request_id, source_address};
use crate::text::is_invisible_or_blank;
use crate::{AppState, Capabilities};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use remote_mcp_core::audit::Audit;
use remote_mcp_core::model::{
    Client, ClientCredential, ClientId, ClientKeys, ClientMetadata, Registration,
};
use remote_mcp_core::secret::{Secret, random_id};
use remote_mcp_core::{Config, UnixTime};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Largest registration request body.
const MAX_BODY_BYTES: usize = 16 * 1024;
/// Longest accepted `client_name`.
const MAX_NAME_CHARS: usize = 100;
/// The window of the per-source registration limit.
const REGISTRATION_WINDOW: Duration = Duration::from_secs(3600);

/// RFC 7591 §3: the registration endpoint.
pub const PATH: &str = crate::paths::REGISTER;
/// RFC 7592 §2: one registered client, managed with its registration access token.
pub const CLIENT_PATH: &str = crate::paths::REGISTERED_CLIENT;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, post(register))
        .route(CLIENT_PATH, get(read).delete(delete))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// The registration request (RFC 7591 §2); unknown members are ignored (§3.1).
#[derive(Debug, Deserialize)]
struct RegistrationRequest {
    #[serde(default)]
    redirect_uris: Vec<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    client_name: Option<String>,
    client_uri: Option<String>,
    logo_uri: Option<String>,
    scope: Option<String>,
    application_type: Option<String>,
    software_id: Option<String>,
    software_version: Option<String>,
    jwks_uri: Option<String>,
    jwks: Option<serde_json::Value>,
}

/// The registration response (RFC 7591 §3.2.1, RFC 7592 §3).
#[derive(Debug, Serialize)]
struct RegistrationResponse {
    client_id: String,
    client_id_issued_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret_expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    registration_access_token: Option<String>,
    registration_client_uri: String,
    token_endpoint_auth_method: &'static str,
    /// `jwks_uri` or `jwks`, for `private_key_jwt`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    keys: Option<ClientKeys>,
    #[serde(flatten)]
    metadata: ClientMetadata,
}

fn invalid_metadata(description: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, description.into())
}

/// A registration request, validated: the client to store, and the secret to show it once.
struct NewClient {
    credential: ClientCredential,
    secret: Option<Secret>,
    metadata: ClientMetadata,
}

/// Validates a request into the client to store (RFC 7591 §2, one step per member, in the order of
/// its members).
fn validate(request: RegistrationRequest, capabilities: &Capabilities) -> OAuthResult<NewClient> {
    redirect_uris(&request.redirect_uris)?;
    let (credential, secret) = credential(&request, capabilities)?;
    let grant_types = grant_types(request.grant_types, capabilities)?;
    let response_types = request
        .response_types
        .unwrap_or_else(|| vec!["code".to_owned()]);
    if response_types.iter().any(|r| r != "code") {
        return Err(invalid_metadata(
            "only the \"code\" response type is supported",
        ));
    }
    let client_name = client_name(request.client_name)?;
    // client_uri, logo_uri: https only (a `javascript:` link on the consent page is XSS).
    for uri in [&request.client_uri, &request.logo_uri]
        .into_iter()
        .flatten()
    {
        if !url::Url::parse(uri).is_ok_and(|u| u.scheme() == "https") {
            return Err(invalid_metadata(
                "client_uri and logo_uri must be https URLs",
            ));
        }
    }
    if let Some(scope) = &request.scope {
        Scopes::parse(Some(scope)).map_err(invalid_metadata)?;
    }
    // application_type (OIDC Registration §2; MCP 2026-07-28 requires clients to send it)
    if let Some(kind) = &request.application_type
        && !matches!(kind.as_str(), "web" | "native")
    {
        return Err(invalid_metadata(
            "application_type must be \"web\" or \"native\"",
        ));
    }
    let metadata = ClientMetadata {
        redirect_uris: request.redirect_uris,
        client_name,
        grant_types,
        response_types,
        scope: request.scope,
        application_type: request.application_type,
        client_uri: request.client_uri,
        logo_uri: request.logo_uri,
        software_id: request.software_id,
        software_version: request.software_version,
    };
    Ok(NewClient {
        credential,
        secret,
        metadata,
    })
}

/// `redirect_uris`: one to [`redirect_uri::MAX_PER_CLIENT`], each safe to send a code to.
fn redirect_uris(uris: &[String]) -> OAuthResult<()> {
    let invalid = |why: &str| OAuthError::new(ErrorCode::InvalidRedirectUri, why.to_owned());
    if uris.is_empty() {
        return Err(invalid("at least one redirect_uri is required"));
    }
    if uris.len() > redirect_uri::MAX_PER_CLIENT {
        return Err(invalid("too many redirect_uris"));
    }
    for uri in uris {
        redirect_uri::validate_for_registration(uri).map_err(|why| invalid(&why))?;
    }
    Ok(())
}

/// `token_endpoint_auth_method` (RFC 7591 default: `client_secret_basic`) with `jwks_uri` or
/// `jwks` (for `private_key_jwt`, and only for it): how the client will authenticate, and the
/// secret to issue when it is secret-based.
fn credential(
    request: &RegistrationRequest,
    capabilities: &Capabilities,
) -> OAuthResult<(ClientCredential, Option<Secret>)> {
    let method = request
        .token_endpoint_auth_method
        .as_deref()
        .unwrap_or("client_secret_basic");
    if !capabilities
        .token_endpoint_auth_methods_supported
        .contains(&method)
    {
        return Err(invalid_metadata(format!(
            "token_endpoint_auth_method {method:?} is not supported"
        )));
    }
    let keys = ClientKeys::declared(request.jwks_uri.as_deref(), request.jwks.as_ref())
        .map_err(invalid_metadata)?;
    let secret =
        matches!(method, "client_secret_post" | "client_secret_basic").then(Secret::generate);
    let credential = match (method, &secret, keys) {
        ("client_secret_post", Some(s), None) => ClientCredential::ClientSecretPost {
            secret_hash: s.hash(),
        },
        ("client_secret_basic", Some(s), None) => ClientCredential::ClientSecretBasic {
            secret_hash: s.hash(),
        },
        ("private_key_jwt", None, Some(keys)) => ClientCredential::PrivateKeyJwt { keys },
        ("none", None, None) => ClientCredential::None,
        ("private_key_jwt", ..) => {
            return Err(invalid_metadata(
                "private_key_jwt needs the client's public keys: jwks_uri or jwks",
            ));
        }
        _ => {
            return Err(invalid_metadata(
                "jwks_uri and jwks are only for token_endpoint_auth_method private_key_jwt",
            ));
        }
    };
    Ok((credential, secret))
}

/// `grant_types`: the ones we support are kept (others, e.g. jwt-bearer where no provider issues
/// ID-JAGs, are dropped from the echo). Never `client_credentials`: anyone may register here, and a
/// token must stand for a person who approved the client. Machine clients are created by an
/// operator (remote-mcp-admin).
fn grant_types(
    requested: Option<Vec<String>>,
    capabilities: &Capabilities,
) -> OAuthResult<Vec<String>> {
    let grant_types: Vec<String> = requested
        .unwrap_or_else(|| vec!["authorization_code".to_owned()])
        .into_iter()
        .filter(|g| {
            g != "client_credentials" && capabilities.grant_types_supported.contains(&g.as_str())
        })
        .collect();
    if grant_types.is_empty() {
        return Err(invalid_metadata(
            "none of the requested grant_types is available to registered clients \
             (client_credentials is only for machine clients an operator creates)",
        ));
    }
    Ok(grant_types)
}

/// `client_name`: shown on the consent page (escaped), so short and free of anything that does not
/// show as itself.
fn client_name(name: Option<String>) -> OAuthResult<Option<String>> {
    match name {
        Some(name) if name.chars().any(char::is_control) => {
            Err(invalid_metadata("client_name contains control characters"))
        }
        // A right-to-left override or a zero-width joiner can make "ClaudeX" display as "Claude".
        Some(name) if name.chars().any(is_invisible_or_blank) => Err(invalid_metadata(
            "client_name contains invisible or blank characters (bidirectional overrides, \
             zero-width characters, fillers, spaces other than the ASCII space)",
        )),
        Some(name) if name.chars().count() > MAX_NAME_CHARS => {
            Err(invalid_metadata("client_name is too long"))
        }
        other => Ok(other.filter(|n| !n.trim().is_empty())),
    }
}

#[tracing::instrument(name = "register", skip_all)]
async fn register(
    State(state): State<AppState>,
    extensions: Extensions,
    body: Bytes,
) -> OAuthResult<Response> {
    let now = state.clock.now();
    let request: RegistrationRequest = serde_json::from_slice(&body)
        .map_err(|e| invalid_metadata(format!("the body is not a registration request: {e}")))?;
    let NewClient {
        credential,
        secret,
        metadata,
    } = validate(request, &state.capabilities)?;
    within_limit(&state, &source_address(&extensions), now).await?;
    let registration_token = Secret::generate();
    let client = Client {
        id: ClientId::new(random_id()),
        registered_by: Registration::Dynamic,
        credential,
        metadata,
        registration_token_hash: Some(registration_token.hash()),
        issued_at: now,
        expires_at: now + state.config.lifetimes.client_registration,
    };
    state.grants.save_client(&client).await?;
    Audit::new("client.registered")
        .client(client.id.as_str())
        .source(&source_address(&extensions))
        .request(request_id(&extensions).as_deref())
        .detail(client.metadata.client_name.as_deref().unwrap_or_default())
        .log();
    let body = response(
        &state.config,
        &client,
        secret.as_ref(),
        Some(&registration_token),
    );
    Ok(NoStore((StatusCode::CREATED, Json(body))).into_response())
}

/// Each registration writes to the table, unauthenticated: a source address gets
/// [`remote_mcp_core::Config::registrations_per_hour`] of them per hour.
async fn within_limit(state: &AppState, source: &str, now: UnixTime) -> OAuthResult<()> {
    let count = state
        .throttle
        .count_attempt(&format!("register:{source}"), now, REGISTRATION_WINDOW)
        .await?;
    if count > state.config.registrations_per_hour {
        tracing::warn!(source, count, "registration rate limit reached");
        return Err(OAuthError::new(
            ErrorCode::TemporarilyUnavailable,
            "too many registrations from this address; try again later",
        ));
    }
    Ok(())
}

fn response(
    config: &Config,
    client: &Client,
    secret: Option<&Secret>,
    registration_token: Option<&Secret>,
) -> RegistrationResponse {
    RegistrationResponse {
        client_id: client.id.to_string(),
        client_id_issued_at: client.issued_at.seconds(),
        client_secret: secret.map(|s| s.expose().to_owned()),
        client_secret_expires_at: client.credential.has_secret().then_some(0),
        registration_access_token: registration_token.map(|t| t.expose().to_owned()),
        registration_client_uri: config.url(&format!("/register/{}", client.id)),
        token_endpoint_auth_method: client.credential.method(),
        keys: client.credential.keys().cloned(),
        metadata: client.metadata.clone(),
    }
}

/// The client a registration access token manages (RFC 7592 §3). Unknown clients and bad tokens
/// are indistinguishable.
async fn managed_client(state: &AppState, headers: &HeaderMap, id: &str) -> OAuthResult<Client> {
    let denied = || OAuthError::new(ErrorCode::InvalidToken, "invalid registration access token");
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(denied)?;
    // Only ids we issue (UUIDs) are managed here; anything longer never reaches the store.
    if !remote_mcp_core::model::is_identifier(id) {
        return Err(denied());
    }
    let client = state
        .grants
        .client(&ClientId::new(id), state.clock.now())
        .await?
        .ok_or_else(denied)?;
    match &client.registration_token_hash {
        Some(hash) if hash.matches(token) => Ok(client),
        _ => Err(denied()),
    }
}

#[tracing::instrument(name = "registration_read", skip_all)]
async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> OAuthResult<Response> {
    let client = managed_client(&state, &headers, &id).await?;
    Ok(NoStore(Json(response(&state.config, &client, None, None))).into_response())
}

#[tracing::instrument(name = "registration_delete", skip_all)]
async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> OAuthResult<StatusCode> {
    let client = managed_client(&state, &headers, &id).await?;
    state.grants.delete_client(&client.id).await?;
    tracing::info!(client_id = %client.id, "client deleted");
    Ok(StatusCode::NO_CONTENT)
}
