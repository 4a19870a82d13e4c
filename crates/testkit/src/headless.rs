//! A headless OAuth client: what an MCP client and its user's browser do together, with the user's
//! credentials given up front. Discovery from the MCP URL (RFC 9728, then RFC 8414), dynamic
//! registration of a public client with a loopback redirect (RFC 7591, RFC 8252 §7.3), PKCE S256
//! (RFC 7636), sign-in and approval on the consent page, the `state` and `iss` checks on the
//! redirect (RFC 9207), and the code exchange bound to the MCP resource (RFC 8707).
//!
//! It backs `remote-mcp-token`, which prints a token for tools such as the MCP Inspector CLI.

use crate::hidden_field;
use anyhow::{Context, bail, ensure};
use remote_mcp_core::secret::Secret;
use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};
use serde::{Deserialize, Serialize};
use url::Url;

/// Where the authorization response would be delivered. Nothing listens there: the redirect is read
/// from the consent page's answer, never followed.
const REDIRECT_URI: &str = "http://127.0.0.1/callback";
const CLIENT_NAME: &str = "remote-mcp-token";

/// The account that approves the request on the consent page.
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// What the token endpoint issued, and to which registered client.
#[derive(Debug, Serialize, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub client_id: String,
}

#[derive(Deserialize)]
struct ResourceMetadata {
    resource: String,
    authorization_servers: Vec<String>,
}

#[derive(Deserialize)]
struct ServerMetadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    registration_endpoint: String,
}

#[derive(Deserialize)]
struct Registration {
    client_id: String,
}

/// An authorization to run.
pub struct SignIn<'a> {
    pub credentials: &'a Credentials,
    /// Empty means the server's default scope.
    pub scope: &'a str,
    /// The redirect URI the client registers.
    pub registered_redirect: &'a str,
    /// The one the authorization request names: the registered one, or for a loopback one the
    /// same with any port (RFC 8252 §7.3).
    pub used_redirect: &'a str,
    /// The consent page's choice of access (`access=read` grants read-only); `None` leaves the
    /// page's default, everything asked for.
    pub access: Option<&'a str>,
}

/// Runs the whole authorization for the MCP server at `mcp_url` as `remote-mcp-token` does (a
/// loopback redirect) and returns its tokens. `scope` empty means the server's default scope.
pub async fn sign_in(
    mcp_url: &Url,
    credentials: &Credentials,
    scope: &str,
) -> anyhow::Result<Tokens> {
    let request = SignIn {
        credentials,
        scope,
        registered_redirect: REDIRECT_URI,
        used_redirect: REDIRECT_URI,
        access: None,
    };
    sign_in_with(mcp_url, &request).await
}

/// Runs the whole authorization described by `request`.
pub async fn sign_in_with(mcp_url: &Url, request: &SignIn<'_>) -> anyhow::Result<Tokens> {
    let SignIn {
        credentials,
        scope,
        registered_redirect,
        used_redirect,
        access,
    } = *request;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("remote-mcp-token/", env!("CARGO_PKG_VERSION")))
        .build()?;

    let prm: ResourceMetadata =
        get_json(&http, well_known(mcp_url, "oauth-protected-resource")).await?;
    let issuer = prm
        .authorization_servers
        .first()
        .context("the protected resource metadata names no authorization server")?;
    let issuer_url = Url::parse(issuer).context("authorization server")?;
    let metadata: ServerMetadata =
        get_json(&http, well_known(&issuer_url, "oauth-authorization-server")).await?;
    ensure!(
        metadata.issuer == *issuer,
        "the authorization server metadata names issuer {} instead of {issuer}",
        metadata.issuer
    );

    let registered = http
        .post(&metadata.registration_endpoint)
        .json(&serde_json::json!({
            "client_name": CLIENT_NAME,
            "redirect_uris": [registered_redirect],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }))
        .send()
        .await?;
    let registration: Registration = json_or_error(registered, "registration").await?;

    let pkce = crate::Pkce::new();
    let state = Secret::generate();
    let mut authorize = Url::parse(&metadata.authorization_endpoint)?;
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &registration.client_id)
        .append_pair("redirect_uri", used_redirect)
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", state.expose())
        .append_pair("resource", &prm.resource);
    if !scope.is_empty() {
        authorize.query_pairs_mut().append_pair("scope", scope);
    }
    let expected = Expected {
        redirect: used_redirect,
        state: state.expose(),
        issuer,
    };
    let code = approve(&http, authorize, credentials, access, &expected).await?;

    let exchanged = http
        .post(&metadata.token_endpoint)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &registration.client_id),
            ("redirect_uri", used_redirect),
            ("code_verifier", pkce.verifier.as_str()),
            ("resource", &prm.resource),
        ])
        .send()
        .await?;
    let mut tokens: Tokens = json_or_error(exchanged, "token exchange").await?;
    tokens.client_id = registration.client_id;
    Ok(tokens)
}

/// What the authorization response must carry.
struct Expected<'a> {
    redirect: &'a str,
    state: &'a str,
    issuer: &'a str,
}

/// The user at the consent page: signs in, approves, and reads the code from the redirect.
async fn approve(
    http: &reqwest::Client,
    authorize: Url,
    credentials: &Credentials,
    access: Option<&str>,
    expected: &Expected<'_>,
) -> anyhow::Result<String> {
    let page = http.get(authorize.clone()).send().await?;
    ensure!(
        page.status() == StatusCode::OK,
        "the consent page answered {}: {}",
        page.status(),
        alert(&page.text().await.unwrap_or_default())
    );
    let cookies: Vec<String> = page
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect();
    let html = page.text().await?;
    let transaction =
        hidden_field(&html, "transaction").context("no transaction on the consent page")?;

    let mut form = vec![
        ("transaction", transaction.as_str()),
        ("decision", "approve"),
        ("email", &credentials.email),
        ("password", &credentials.password),
    ];
    form.extend(access.map(|access| ("access", access)));
    let answer = http
        .post(authorize.join("/authorize")?)
        .header(reqwest::header::COOKIE, cookies.join("; "))
        .form(&form)
        .send()
        .await?;
    if answer.status() != StatusCode::SEE_OTHER {
        let status = answer.status();
        bail!(
            "approval answered {status}: {}",
            alert(&answer.text().await?)
        );
    }
    let location = answer
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .context("the approval redirect has no Location")?;
    ensure!(
        location.starts_with(expected.redirect),
        "the approval redirects to {location}, not to {}",
        expected.redirect
    );
    let redirect = Url::parse(location)?;
    let param = |name: &str| {
        redirect
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    if let Some(error) = param("error") {
        bail!(
            "authorization refused: {error} {}",
            param("error_description").unwrap_or_default()
        );
    }
    ensure!(
        param("state").as_deref() == Some(expected.state),
        "the redirect's state does not match"
    );
    ensure!(
        param("iss").as_deref() == Some(expected.issuer),
        "the redirect's iss is not {} (RFC 9207)",
        expected.issuer
    );
    param("code").context("the redirect carries no code")
}

/// RFC 9728 §3.1 / RFC 8414 §3.1: the well-known segment goes between the host and the path.
fn well_known(url: &Url, name: &str) -> Url {
    let path = url.path().trim_end_matches('/');
    let mut target = url.clone();
    target.set_path(&format!("/.well-known/{name}{path}"));
    target.set_query(None);
    target.set_fragment(None);
    target
}

async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: Url,
) -> anyhow::Result<T> {
    let response = http
        .get(url.clone())
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    json_or_error(response, url.as_str()).await
}

async fn json_or_error<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
    what: &str,
) -> anyhow::Result<T> {
    let status = response.status();
    let body = response.text().await?;
    ensure!(status.is_success(), "{what} answered {status}: {body}");
    serde_json::from_str(&body).with_context(|| format!("{what}: unexpected answer {body}"))
}

/// The consent page's error message, or the start of the page when it has none.
fn alert(html: &str) -> String {
    html.split_once("role=\"alert\">")
        .and_then(|(_, rest)| rest.split('<').next())
        .map_or_else(|| html.chars().take(200).collect(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_urls_insert_the_segment_before_the_path() {
        let mcp = Url::parse("https://api.example.com/mcp").unwrap();
        assert_eq!(
            well_known(&mcp, "oauth-protected-resource").as_str(),
            "https://api.example.com/.well-known/oauth-protected-resource/mcp"
        );
        let root = Url::parse("https://api.example.com/").unwrap();
        assert_eq!(
            well_known(&root, "oauth-authorization-server").as_str(),
            "https://api.example.com/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn the_consent_pages_alert_is_what_is_reported() {
        let page = r#"<p class="warn" role="alert">The email or password is not right.</p>"#;
        assert_eq!(alert(page), "The email or password is not right.");
        assert_eq!(
            hidden_field(r#"<input name="transaction" value="abc">"#, "transaction").as_deref(),
            Some("abc")
        );
    }
}
