//! The OAuth error boundary (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 7009 §2.2.1), mapped to HTTP once.
//!
//! Domain code returns [`OAuthError`]; [`IntoResponse`] is the single table from error code to
//! status and headers. `server_error` logs its cause and tells the client nothing about it.

use crate::no_store::NoStore;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use remote_mcp_core::StoreError;
use remote_mcp_core::token::SignError;
use serde::Serialize;
use std::borrow::Cow;

/// Registered OAuth error codes we emit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    InvalidTarget,
    AccessDenied,
    UnsupportedResponseType,
    InvalidRedirectUri,
    InvalidClientMetadata,
    InvalidToken,
    /// RFC 6749 §4.1.2.1; answered with 429 when a rate limit is reached.
    TemporarilyUnavailable,
    /// The database could not be reached in time: `temporarily_unavailable` with 503.
    Unavailable,
    ServerError,
}

impl ErrorCode {
    /// The wire name (also what [`Serialize`] writes).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::TemporarilyUnavailable | Self::Unavailable => "temporarily_unavailable",
            Self::InvalidToken => "invalid_token",
            Self::ServerError => "server_error",
        }
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An OAuth error with a human-readable description safe to show the client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OAuthError {
    #[serde(rename = "error")]
    pub code: ErrorCode,
    #[serde(rename = "error_description")]
    pub description: Cow<'static, str>,
}

impl OAuthError {
    /// An error with a description.
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }

    /// `invalid_request`.
    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// `invalid_grant`.
    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    /// `invalid_client`: unknown client or failed authentication. Claude re-registers on it.
    pub fn invalid_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, description)
    }

    /// A fault on our side: log `cause`, tell the client only that it happened.
    pub fn server(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "server_error");
        Self::new(
            ErrorCode::ServerError,
            "the server could not complete the request",
        )
    }

    fn status(&self) -> StatusCode {
        match self.code {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
            ErrorCode::TemporarilyUnavailable => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<StoreError> for OAuthError {
    fn from(err: StoreError) -> Self {
        match err {
            // Unreachable, throttled or too slow: the client may simply retry.
            StoreError::Backend(_) => {
                tracing::error!(%err, "store unavailable");
                Self::new(
                    ErrorCode::Unavailable,
                    "the service is temporarily unavailable; retry shortly",
                )
            }
            StoreError::Corrupt(_) | StoreError::AlreadyExists => Self::server(&err),
        }
    }
}

impl From<SignError> for OAuthError {
    fn from(err: SignError) -> Self {
        Self::server(&err)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = NoStore((status, Json(&self))).into_response();
        let headers = response.headers_mut();
        match self.code {
            // RFC 6749 §5.2: a 401 names the authentication scheme the client may use.
            ErrorCode::InvalidClient => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Basic realm="remote-mcp""#),
                );
            }
            ErrorCode::InvalidToken => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer error="invalid_token""#),
                );
            }
            ErrorCode::Unavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response
    }
}

/// The outcome type of OAuth handlers.
pub type OAuthResult<T> = Result<T, OAuthError>;
