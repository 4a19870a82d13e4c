//! Tools that call another API as the person: what they share.
//!
//! A tool asks [`Elsewhere::get`] for a provider's API: the person's upstream access token comes
//! from the token vault ([`remote_mcp_core::upstream`]), fresh (refreshed when about to expire),
//! and goes only to that provider; our own access token never leaves this function. A 401 from the
//! provider gets one refresh and one more try.
//!
//! When there is no token to be had (never connected, or the provider no longer honours the
//! connection), the client is told how to connect: a client that declared URL-mode elicitation on
//! this request (the 2026-07-28 era's per-request `clientCapabilities`) gets the JSON-RPC error
//! `-32042` naming the account page, which it opens for the person; any other client gets a tool
//! error whose text carries the link. (In the 2025-11-25 era capabilities are declared once, in
//! `initialize`, which a stateless server does not keep: the link in the text serves those
//! clients.)

use remote_mcp_core::providers::{Kind, ProviderConfig};
use remote_mcp_core::upstream::{AccessToken, UpstreamError, Upstreams, read_limited};
use rmcp::ErrorData;
use rmcp::handler::server::common::{AsRequestContext, FromContextPart};
use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, ErrorCode};
use std::sync::Arc;

/// The tools that call another API as the person, and the kind of provider each needs: offered
/// only when such a provider keeps tokens.
pub const TOOLS: [(&str, Kind); 2] = [
    ("provider_profile", Kind::Oidc),
    ("github_repositories", Kind::GitHub),
];

/// JSON-RPC error: the client must send the person to a URL first (URL-mode elicitation).
pub const URL_ELICITATION_REQUIRED: i32 = -32042;

/// The vault's tools' access to providers, with where people connect them.
#[derive(Clone)]
pub struct Elsewhere {
    pub upstreams: Arc<Upstreams>,
    /// The account page, where a person connects a provider.
    pub connect_url: String,
    /// Our issuer: a token it issued never goes to a provider.
    pub issuer: String,
}

/// How a tool that calls elsewhere fails: a message for the model, or a JSON-RPC error.
pub enum ToolFailure {
    Message(String),
    Protocol(ErrorData),
}

impl From<String> for ToolFailure {
    fn from(message: String) -> Self {
        Self::Message(message)
    }
}

impl IntoCallToolResult for ToolFailure {
    fn into_call_tool_result(self) -> Result<CallToolResponse, ErrorData> {
        match self {
            Self::Message(text) => Ok(CallToolResult::error(vec![ContentBlock::text(text)]).into()),
            Self::Protocol(error) => Err(error),
        }
    }
}

/// Whether the client declared URL-mode elicitation on this request.
pub struct UrlElicitation(pub bool);

impl<C: AsRequestContext> FromContextPart<C> for UrlElicitation {
    fn from_context_part(context: &mut C) -> Result<Self, ErrorData> {
        let declared = context
            .as_request_context()
            .meta
            .client_capabilities()
            .and_then(|capabilities| capabilities.elicitation)
            .is_some_and(|elicitation| elicitation.url.is_some());
        Ok(Self(declared))
    }
}

/// A provider's answer: its JSON and the `Link` header (pagination).
pub struct Answer {
    pub json: serde_json::Value,
    pub link: Option<String>,
}

impl Elsewhere {
    /// The vault provider of `kind`: the one named, else the first configured.
    pub fn provider(&self, kind: Kind, named: Option<&str>) -> Result<&ProviderConfig, String> {
        let mut candidates = self.upstreams.providers().filter(|p| p.kind == kind);
        match named {
            Some(id) => candidates
                .find(|p| p.id == id)
                .ok_or_else(|| format!("no provider {id:?} of this kind is configured")),
            None => candidates
                .next()
                .ok_or_else(|| "no such provider is configured".to_owned()),
        }
    }

    /// GETs `url` from `provider` as `person`, with their upstream token.
    pub async fn get(
        &self,
        person: &str,
        provider: &ProviderConfig,
        url: &str,
        url_elicitation: bool,
    ) -> Result<Answer, ToolFailure> {
        let failure = |err| self.failure(provider, err, url_elicitation);
        let token = self
            .upstreams
            .access_token(person, &provider.id)
            .await
            .map_err(failure)?;
        match self.send(provider, url, &token).await? {
            Sent::Answer(answer) => Ok(answer),
            Sent::Unauthorized => {
                let token = self
                    .upstreams
                    .refused(person, &provider.id, &token)
                    .await
                    .map_err(failure)?;
                match self.send(provider, url, &token).await? {
                    Sent::Answer(answer) => Ok(answer),
                    Sent::Unauthorized => Err(failure(UpstreamError::NotConnected)),
                }
            }
        }
    }

    async fn send(
        &self,
        provider: &ProviderConfig,
        url: &str,
        token: &AccessToken,
    ) -> Result<Sent, ToolFailure> {
        // No token passthrough (MCP security best practices): whatever a record holds, a token we
        // issued is never sent to another service.
        if is_ours(token, &self.issuer) {
            tracing::error!(
                provider = provider.id,
                "refused to send one of our tokens upstream"
            );
            return Err(ToolFailure::Message(format!(
                "refused to call {}: the stored access is not one {} issued",
                provider.name, provider.name
            )));
        }
        let mut request = self.upstreams.http().get(url).bearer_auth(token.as_str());
        request = match provider.kind {
            Kind::GitHub => request
                .header("accept", "application/vnd.github+json")
                .header("x-github-api-version", "2022-11-28"),
            Kind::Oidc => request.header("accept", "application/json"),
        };
        let unreachable = |why: String| {
            tracing::warn!(provider = provider.id, why, "upstream API call failed");
            ToolFailure::Message(format!(
                "{} could not be reached; try again shortly",
                provider.name
            ))
        };
        let response = request
            .send()
            .await
            .map_err(|e| unreachable(e.without_url().to_string()))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Ok(Sent::Unauthorized);
        }
        if !status.is_success() {
            return Err(ToolFailure::Message(format!(
                "{} answered {status}",
                provider.name
            )));
        }
        let link = response
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = read_limited(response)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let json = serde_json::from_slice(&body)
            .map_err(|_| unreachable(format!("{url} did not answer JSON")))?;
        Ok(Sent::Answer(Answer { json, link }))
    }

    /// What the client is told when no token can be had.
    fn failure(
        &self,
        provider: &ProviderConfig,
        err: UpstreamError,
        url_elicitation: bool,
    ) -> ToolFailure {
        match err {
            UpstreamError::NotConnected => {
                let message = format!(
                    "Connect {name} first: open {url} and choose Connect next to {name}, then \
                     try again.",
                    name = provider.name,
                    url = self.connect_url
                );
                if !url_elicitation {
                    return ToolFailure::Message(message);
                }
                ToolFailure::Protocol(ErrorData::new(
                    ErrorCode(URL_ELICITATION_REQUIRED),
                    message.clone(),
                    Some(serde_json::json!({"elicitations": [{
                        "mode": "url",
                        "elicitationId": format!("connect-{}", provider.id),
                        "url": self.connect_url,
                        "message": message,
                    }]})),
                ))
            }
            UpstreamError::UnknownProvider(_) => {
                ToolFailure::Message(format!("{} is not configured here", provider.name))
            }
            UpstreamError::Unavailable(why) => {
                tracing::error!(why, provider = provider.id, "upstream token unavailable");
                ToolFailure::Message(format!(
                    "{} cannot be used right now; try again shortly",
                    provider.name
                ))
            }
        }
    }
}

enum Sent {
    Answer(Answer),
    Unauthorized,
}

/// Whether `token` is a JWT we issued (its `iss` is ours).
fn is_ours(token: &str, issuer: &str) -> bool {
    use base64::Engine;
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok())
        .is_some_and(|claims| claims["iss"] == issuer)
}

/// The next page named in a GitHub `Link` header (`<…?page=3>; rel="next"`), if any.
pub fn next_page(link: Option<&str>) -> Option<u32> {
    link?.split(',').find_map(|part| {
        let (target, rel) = part.split_once(';')?;
        if !rel.contains("rel=\"next\"") {
            return None;
        }
        let url =
            url::Url::parse(target.trim().trim_start_matches('<').trim_end_matches('>')).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_is_read_from_a_link_header() {
        let link = r#"<https://api.github.com/user/repos?page=3&per_page=2>; rel="next", <https://api.github.com/user/repos?page=5&per_page=2>; rel="last""#;
        assert_eq!(next_page(Some(link)), Some(3));
        let last = r#"<https://api.github.com/user/repos?page=1&per_page=2>; rel="prev""#;
        assert_eq!(next_page(Some(last)), None);
        assert_eq!(next_page(None), None);
    }
}
