//! Which identity providers people may sign in with, and who may: `IDENTITY_PROVIDERS`, a JSON
//! array set at deploy time.
//!
//! ```json
//! [{"id": "corp", "name": "Corp SSO", "issuer": "https://login.example.com",
//!   "client_id": "…", "client_secret": "…",
//!   "allowed_domains": ["example.com"], "allowed_emails": ["contractor@gmail.com"]}]
//! ```
//!
//! `allowed_domains` and `allowed_emails` say who may sign in; with neither, nobody may, unless
//! `any_verified_email` is `true`. An e-mail the provider has not verified is always refused.
//!
//! With `"vault": true`, what the provider gives at sign-in (its access and refresh tokens) is
//! kept, encrypted, so tools can call the provider's API as the person ([`crate::upstream`]); its
//! `scopes` then also carry what those tools need (`offline_access` for a refresh token).
//!
//! The OAuth function signs people in with these providers; the MCP function and the task
//! worker read the same list to refresh and use the kept tokens.

use crate::model::normalize_email;
use serde::Deserialize;

/// The environment variable holding the providers.
pub const VARIABLE: &str = "IDENTITY_PROVIDERS";
/// One more provider, set by the template when it creates a Cognito user pool (one JSON object).
pub const COGNITO_VARIABLE: &str = "COGNITO_PROVIDER";

/// The providers the environment configures: [`VARIABLE`], then [`COGNITO_VARIABLE`].
pub fn from_env() -> Result<Vec<ProviderConfig>, String> {
    let read = |name| std::env::var(name).ok();
    from_values(read(VARIABLE).as_deref(), read(COGNITO_VARIABLE).as_deref())
}

/// As [`from_env`], from the two variables' values.
pub fn from_values(
    providers: Option<&str>,
    cognito: Option<&str>,
) -> Result<Vec<ProviderConfig>, String> {
    let mut all: Vec<serde_json::Value> = match providers.map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => serde_json::from_str(value).map_err(|e| format!("{VARIABLE}: {e}"))?,
        None => Vec::new(),
    };
    if let Some(value) = cognito.map(str::trim).filter(|v| !v.is_empty()) {
        all.push(serde_json::from_str(value).map_err(|e| format!("{COGNITO_VARIABLE}: {e}"))?);
    }
    parse(Some(&serde_json::Value::Array(all).to_string()))
}

/// What kind of provider.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Any OpenID Connect provider, by its issuer.
    #[default]
    Oidc,
    /// GitHub (OAuth 2.0 and its user API), or GitHub Enterprise Server.
    GitHub,
}

/// One identity provider.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ProviderConfig {
    /// Short name in our URLs (`/federation/<id>/callback`): lower-case letters, digits, `-`.
    pub id: String,
    /// Shown on the consent page: "Continue with <name>".
    pub name: String,
    #[serde(default)]
    pub kind: Kind,
    /// OpenID Connect: the issuer, exactly as its discovery document states it. GitHub: its
    /// origin (default `https://github.com`).
    #[serde(default)]
    pub issuer: String,
    /// GitHub Enterprise Server's API, when it is not `<issuer>/api/v3`.
    #[serde(default)]
    pub api_url: Option<String>,
    pub client_id: String,
    /// The client secret itself (local development), or
    #[serde(default)]
    pub client_secret: String,
    /// the ARN of a Secrets Manager secret holding it (deployments): read on first use, then kept.
    #[serde(default)]
    pub client_secret_arn: Option<String>,
    /// Scopes asked for. OpenID Connect: `openid` is required (default `openid email profile`);
    /// GitHub: default `read:user user:email`.
    #[serde(default)]
    pub scopes: String,
    /// Enterprise-Managed Authorization: trust this OpenID provider's Identity Assertion JWT
    /// Authorization Grants (ID-JAGs) at `/token`, verified with the keys its discovery document
    /// names. The allow-list below decides who may get a token that way too.
    #[serde(default)]
    pub id_jag: bool,
    /// Keep the provider's tokens for tools ([`crate::upstream`]), and offer "Connect" for it on
    /// the account page.
    #[serde(default)]
    pub vault: bool,
    #[serde(flatten)]
    pub allow: AllowList,
}

impl ProviderConfig {
    /// GitHub: its origin, without a trailing `/`.
    pub fn origin(&self) -> &str {
        self.issuer.trim_end_matches('/')
    }

    /// GitHub: its REST API.
    pub fn api(&self) -> String {
        match &self.api_url {
            Some(api) => api.trim_end_matches('/').to_owned(),
            None if self.origin() == "https://github.com" => "https://api.github.com".to_owned(),
            None => format!("{}/api/v3", self.origin()),
        }
    }
}

/// Who may sign in through a provider.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct AllowList {
    /// Any verified address at these domains.
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    /// These verified addresses.
    #[serde(default)]
    pub allowed_emails: Vec<String>,
    /// Any verified address at all.
    #[serde(default)]
    pub any_verified_email: bool,
}

impl AllowList {
    /// Whether `email` (normalised) is listed in `allowed_emails`.
    pub fn lists_email(&self, email: &str) -> bool {
        self.allowed_emails
            .iter()
            .any(|allowed| normalize_email(allowed).is_ok_and(|a| a == email))
    }

    /// The `allowed_domains` entry `email` (normalised) is at, if any.
    pub fn listed_domain_of(&self, email: &str) -> Option<&str> {
        let domain = email.rsplit_once('@').map(|(_, d)| d)?;
        self.allowed_domains
            .iter()
            .map(|d| d.trim())
            .find(|allowed| allowed.eq_ignore_ascii_case(domain))
    }

    /// Whether `email` (normalised) may sign in, whatever the provider (see
    /// the OAuth function's `federation::rules::admits` for the provider-specific rule).
    pub fn admits(&self, email: &str) -> bool {
        self.any_verified_email || self.lists_email(email) || self.listed_domain_of(email).is_some()
    }
}

/// Where client secrets given by ARN are read: Secrets Manager in AWS.
#[async_trait::async_trait]
pub trait SecretSource: Send + Sync + 'static {
    /// The secret's value.
    async fn read(&self, arn: &str) -> Result<String, String>;
}

impl ProviderConfig {
    /// The client secret: configured, or read from `secrets` by its ARN.
    pub async fn client_secret(
        &self,
        secrets: Option<&dyn SecretSource>,
    ) -> Result<String, String> {
        let Some(arn) = &self.client_secret_arn else {
            return Ok(self.client_secret.clone());
        };
        let secrets = secrets.ok_or_else(|| format!("no secret store to read {arn}"))?;
        secrets
            .read(arn)
            .await
            .map_err(|e| format!("reading {arn}: {e}"))
    }
}

/// Parses `IDENTITY_PROVIDERS` (empty or absent: none).
pub fn parse(value: Option<&str>) -> Result<Vec<ProviderConfig>, String> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(Vec::new());
    };
    let mut providers: Vec<ProviderConfig> =
        serde_json::from_str(value).map_err(|e| format!("{VARIABLE}: {e}"))?;
    for provider in &mut providers {
        let (issuer, scopes) = match provider.kind {
            Kind::Oidc => ("", "openid email profile"),
            Kind::GitHub => ("https://github.com", "read:user user:email"),
        };
        if provider.issuer.is_empty() {
            provider.issuer = issuer.to_owned();
        }
        if provider.scopes.is_empty() {
            provider.scopes = scopes.to_owned();
        }
    }
    for (i, provider) in providers.iter().enumerate() {
        let id_ok = !provider.id.is_empty()
            && provider.id.len() <= 32
            && provider
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(format!(
                "{VARIABLE}: provider id {:?} must be 1–32 lower-case letters, digits or -",
                provider.id
            ));
        }
        if providers[..i].iter().any(|p| p.id == provider.id) {
            return Err(format!("{VARIABLE}: provider id {:?} repeats", provider.id));
        }
        let issuer_ok = url::Url::parse(&provider.issuer).is_ok_and(|u| {
            u.scheme() == "https" || u.host_str().is_some_and(crate::config::is_loopback_host)
        });
        if !issuer_ok {
            return Err(format!(
                "{VARIABLE}: {}: issuer must be an https URL",
                provider.id
            ));
        }
        if provider.client_secret.is_empty() == provider.client_secret_arn.is_none() {
            return Err(format!(
                "{VARIABLE}: {}: give client_secret or client_secret_arn, not both",
                provider.id
            ));
        }
        if provider.id_jag && provider.kind != Kind::Oidc {
            return Err(format!(
                "{VARIABLE}: {}: id_jag needs an OpenID provider (it signs the grants)",
                provider.id
            ));
        }
        if provider.kind == Kind::Oidc && !provider.scopes.split_whitespace().any(|s| s == "openid")
        {
            return Err(format!(
                "{VARIABLE}: {}: scopes must include openid",
                provider.id
            ));
        }
    }
    Ok(providers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_addresses_are_admitted() {
        let allow = AllowList {
            allowed_domains: vec!["Corp.Example".into()],
            allowed_emails: vec!["Guest@Gmail.com".into()],
            any_verified_email: false,
        };
        assert!(allow.admits("alice@corp.example"));
        assert!(allow.admits("guest@gmail.com"));
        assert!(!allow.admits("alice@corp.example.evil"));
        assert!(!allow.admits("alice@sub.corp.example"));
        assert!(!allow.admits("mallory@gmail.com"));
        assert!(
            !AllowList::default().admits("alice@corp.example"),
            "nobody by default"
        );
        let anyone = AllowList {
            any_verified_email: true,
            ..AllowList::default()
        };
        assert!(anyone.admits("anyone@anywhere.example"));
    }

    #[test]
    fn the_templates_cognito_pool_joins_the_configured_providers() {
        let google = r#"[{"id":"google","name":"Google","issuer":"https://accounts.google.com","client_id":"c","client_secret":"s","allowed_domains":["example.com"]}]"#;
        let cognito = r#"{"id": "cognito", "name": "Team", "issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc", "client_id": "x", "client_secret": "y", "any_verified_email": true}"#;
        let providers = from_values(Some(google), Some(cognito)).unwrap();
        let ids: Vec<&str> = providers.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["google", "cognito"]);
        assert!(providers[1].allow.admits("anyone@example.org"));
        assert_eq!(from_values(None, Some("")).unwrap(), Vec::new());
        assert_eq!(from_values(None, Some(cognito)).unwrap().len(), 1);
        assert!(from_values(Some(google), Some("{not json")).is_err());
    }

    #[test]
    fn configuration_is_checked_at_start() {
        assert_eq!(parse(None), Ok(Vec::new()));
        assert_eq!(parse(Some(" ")), Ok(Vec::new()));
        let good = r#"[{"id":"corp","name":"Corp","issuer":"https://idp.example","client_id":"c","client_secret":"s","allowed_domains":["corp.example"]}]"#;
        let providers = parse(Some(good)).unwrap();
        assert_eq!(providers[0].scopes, "openid email profile");
        let github = r#"[{"id":"github","name":"GitHub","kind":"github","client_id":"c","client_secret":"s","any_verified_email":true}]"#;
        let github = &parse(Some(github)).unwrap()[0];
        assert_eq!(github.kind, Kind::GitHub);
        assert_eq!(github.issuer, "https://github.com");
        assert_eq!(github.scopes, "read:user user:email");
        assert!(providers[0].allow.admits("a@corp.example"));
        for bad in [
            r#"[{"id":"Corp!","name":"C","issuer":"https://i.example","client_id":"c","client_secret":"s"}]"#,
            r#"[{"id":"c","name":"C","issuer":"http://i.example","client_id":"c","client_secret":"s"}]"#,
            r#"[{"id":"c","name":"C","issuer":"https://i.example","client_id":"c","client_secret":"s","scopes":"email"}]"#,
            r#"[{"id":"c","name":"C","issuer":"https://i.example","client_id":"c","client_secret":"s"},{"id":"c","name":"D","issuer":"https://j.example","client_id":"c","client_secret":"s"}]"#,
            r#"[{"id":"c","name":"C","issuer":"https://i.example","client_id":"c"}]"#,
            r#"[{"id":"c","name":"C","issuer":"https://i.example","client_id":"c","client_secret":"s","client_secret_arn":"arn:aws:secretsmanager:eu-west-1:1:secret:x"}]"#,
        ] {
            assert!(parse(Some(bad)).is_err(), "{bad}");
        }
    }
}
