//! GitHub as an identity provider: OAuth 2.0 without OpenID Connect, so no ID token. The person is
//! GitHub's numeric user id (`GET /user`), and the e-mail is their primary address when GitHub has
//! verified it (`GET /user/emails`). `state` and PKCE protect the exchange; GitHub sends no `iss`.
//! GitHub Enterprise Server works the same with its own origin (`issuer`) and API (`api_url`).
//!
//! GitHub has no local stand-in that is the real thing: `crates/local/tests/federation.rs` tests
//! this adapter against GitHub's documented response shapes.

use super::config::ProviderConfig;
use super::oidc::{Person, UpstreamError, http_client, read_limited, s256};
use remote_mcp_core::UnixTime;
use remote_mcp_core::model::UpstreamTokens;
use remote_mcp_core::upstream::TokenAnswer;
use serde::Deserialize;

/// GitHub's REST API requires a `User-Agent`.
const USER_AGENT: &str = concat!("remote-mcp/", env!("CARGO_PKG_VERSION"));

/// One configured GitHub (or GitHub Enterprise Server).
pub struct GitHubProvider {
    pub config: ProviderConfig,
    /// Built on first use: building one reads the system's trust store.
    http: std::sync::OnceLock<reqwest::Client>,
}

#[derive(Deserialize)]
struct GitHubUser {
    id: u64,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct GitHubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

impl GitHubProvider {
    pub fn new(config: ProviderConfig) -> Self {
        Self {
            config,
            http: std::sync::OnceLock::new(),
        }
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| http_client(Some(USER_AGENT)))
    }

    fn origin(&self) -> &str {
        self.config.origin()
    }

    fn api(&self) -> String {
        self.config.api()
    }

    pub fn authorization_url(
        &self,
        redirect_uri: &str,
        state: &str,
        code_verifier: &str,
    ) -> Result<String, UpstreamError> {
        let mut url = url::Url::parse(&format!("{}/login/oauth/authorize", self.origin()))
            .map_err(|_| UpstreamError::Rejected("GitHub's origin is not a URL".into()))?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &self.config.scopes)
            .append_pair("state", state)
            .append_pair("allow_signup", "false")
            .append_pair("code_challenge", &s256(code_verifier))
            .append_pair("code_challenge_method", "S256");
        Ok(url.into())
    }

    /// Exchanges `code`; GitHub's user id, their primary e-mail with whether GitHub verified it,
    /// and the tokens GitHub gave.
    pub async fn finish(
        &self,
        client_secret: &str,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
        now: UnixTime,
    ) -> Result<(String, Person, Option<UpstreamTokens>), UpstreamError> {
        let unreachable = |e: reqwest::Error| UpstreamError::Unreachable(e.to_string());
        let response = self
            .http()
            .post(format!("{}/login/oauth/access_token", self.origin()))
            .header("accept", "application/json")
            .form(&[
                ("client_id", self.config.client_id.as_str()),
                ("client_secret", client_secret),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", code_verifier),
            ])
            .send()
            .await
            .map_err(unreachable)?
            .error_for_status()
            .map_err(unreachable)?;
        let answer: TokenAnswer = serde_json::from_slice(&read_limited(response).await?)
            .map_err(|_| UpstreamError::Rejected("GitHub's token answer is not JSON".into()))?;
        // GitHub answers a failed exchange with 200 and an `error` member.
        let token = match (&answer.access_token, &answer.error) {
            (Some(token), None) => token.clone(),
            (_, error) => {
                return Err(UpstreamError::Rejected(format!(
                    "GitHub refused the code: {}",
                    error.as_deref().unwrap_or("no access token")
                )));
            }
        };
        let user: GitHubUser = self.get(&format!("{}/user", self.api()), &token).await?;
        let emails: Vec<GitHubEmail> = self
            .get(&format!("{}/user/emails", self.api()), &token)
            .await?;
        let primary = emails.into_iter().find(|e| e.primary);
        let person = Person {
            email_verified: primary.as_ref().map(|e| e.verified),
            email: primary.map(|e| e.email),
            name: user.name,
            ..Person::default()
        };
        Ok((user.id.to_string(), person, answer.tokens(now, None)))
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        token: &str,
    ) -> Result<T, UpstreamError> {
        let response = self
            .http()
            .get(url)
            .bearer_auth(token)
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28")
            .send()
            .await
            .map_err(|e| UpstreamError::Unreachable(e.to_string()))?;
        if !response.status().is_success() {
            return Err(UpstreamError::Unreachable(format!(
                "{url} answered {}",
                response.status()
            )));
        }
        serde_json::from_slice(&read_limited(response).await?)
            .map_err(|e| UpstreamError::Rejected(format!("{url}: {e}")))
    }
}
