//! Enterprise-Managed Authorization against a real identity provider: `oidc-provider` (OpenID
//! Certified) signs people in and, by token exchange, issues Identity Assertion JWT Authorization
//! Grants (ID-JAGs) for our authorization server. The MCP client (Claude, by its metadata
//! document) signs the person in at the provider, trades the ID token there for an ID-JAG, trades
//! that at our `/token` (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`) and calls a
//! tool: no consent page. Then each rule the grant must meet, refused on its own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth_function::federation::config::{AllowList, Kind, ProviderConfig};
use remote_mcp_core::{Clock, Config, Store, UnixTime};
use remote_mcp_local::states_with_clock;
use remote_mcp_testkit::{LocalProcess, Pkce, form, openid_provider_issuing_id_jags};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use support::{http, query_param, whoami};

/// Claude's client id at our server (its pinned metadata document; a public client).
const CLAUDE: &str = "https://claude.ai/oauth/mcp-oauth-client-metadata";
/// Claude's client at the organisation's identity provider.
const IDP_CLIENT: &str = "claude-enterprise";
const IDP_SECRET: &str = "enterprise-test-secret";
const IDP_REDIRECT: &str = "http://127.0.0.1:9/callback";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ALICE: &str = "alice@corp.example";

/// Our server trusting the provider's ID-JAGs (or not), on a stepped clock.
struct World {
    origin: String,
    idp: LocalProcess,
    store: Arc<dyn Store>,
    clock: Clock,
}

impl World {
    async fn new(store: Arc<dyn Store>) -> Self {
        Self::trusting(store, true).await
    }

    async fn trusting(store: Arc<dyn Store>, id_jag: bool) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let clients = json!([
            {"client_id": IDP_CLIENT, "client_secret": IDP_SECRET, "redirect_uris": [IDP_REDIRECT],
             "grant_types": ["authorization_code", "urn:ietf:params:oauth:grant-type:token-exchange"]},
            {"client_id": "remote-mcp", "client_secret": "federation-test-secret",
             "redirect_uris": [format!("{origin}/federation/corp/callback")]},
        ]);
        let idp = openid_provider_issuing_id_jags(&clients, 3600, &json!({ IDP_CLIENT: CLAUDE }))
            .unwrap();
        let corp = ProviderConfig {
            id: "corp".into(),
            name: "Corp SSO".into(),
            kind: Kind::Oidc,
            issuer: idp.endpoint().into(),
            api_url: None,
            client_id: "remote-mcp".into(),
            client_secret: "federation-test-secret".into(),
            client_secret_arn: None,
            scopes: "openid email profile".into(),
            id_jag,
            vault: false,
            allow: AllowList {
                allowed_domains: vec!["corp.example".into()],
                ..AllowList::default()
            },
        };
        let clock = Clock::manual(UnixTime::now());
        let (oauth, mcp) = states_with_clock(
            Config::local(&origin).unwrap(),
            store.clone(),
            clock.clone(),
        );
        let app = oauth_function::router(oauth.with_identity_providers(vec![corp], None))
            .merge(mcp_function::router(mcp));
        tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(listener, app).await.unwrap()
        });
        Self {
            origin,
            idp,
            store,
            clock,
        }
    }

    fn mcp(&self) -> String {
        format!("{}/mcp", self.origin)
    }

    /// `login` signs in to Claude through the organisation's provider: the ID token Claude gets.
    async fn id_token(&self, login: &str) -> String {
        let idp = self.idp.endpoint();
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let pkce = Pkce::new();
        let mut url = format!(
            "{idp}/auth?{}",
            form(&[
                ("response_type", "code"),
                ("client_id", IDP_CLIENT),
                ("redirect_uri", IDP_REDIRECT),
                ("scope", "openid email"),
                ("state", "st"),
                ("nonce", "n-0S6"),
                ("code_challenge", &pkce.challenge),
                ("code_challenge_method", "S256"),
            ])
        );
        // The provider's login form and consent prompt, until it redirects to the client.
        let code = loop {
            let response = browser.get(&url).send().await.unwrap();
            let next = if response.status().is_redirection() {
                location(&url, &response)
            } else {
                let html = response.text().await.unwrap();
                let fields: &[(&str, &str)] = if html.contains("name=\"login\"") {
                    &[("prompt", "login"), ("login", login), ("password", "any")]
                } else {
                    &[("prompt", "consent")]
                };
                let submitted = browser
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form(fields))
                    .send()
                    .await
                    .unwrap();
                location(&url, &submitted)
            };
            if next.starts_with(IDP_REDIRECT) {
                break query_param(&next, "code").unwrap();
            }
            url = next;
        };
        let tokens: Value = http()
            .post(format!("{idp}/token"))
            .basic_auth(IDP_CLIENT, Some(IDP_SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", IDP_REDIRECT),
                ("code_verifier", &pkce.verifier),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens["id_token"]
            .as_str()
            .unwrap_or_else(|| panic!("{tokens}"))
            .to_owned()
    }

    /// Claude trades the ID token at the provider for an ID-JAG for `audience` (our issuer, in
    /// the good case), `resource` and `scope`.
    async fn id_jag_for(
        &self,
        id_token: &str,
        audience: &str,
        resource: &str,
        scope: &str,
    ) -> String {
        let reply: Value = http()
            .post(format!("{}/token", self.idp.endpoint()))
            .basic_auth(IDP_CLIENT, Some(IDP_SECRET))
            .form(&[
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:token-exchange",
                ),
                (
                    "requested_token_type",
                    "urn:ietf:params:oauth:token-type:id-jag",
                ),
                ("subject_token", id_token),
                (
                    "subject_token_type",
                    "urn:ietf:params:oauth:token-type:id_token",
                ),
                ("audience", audience),
                ("resource", resource),
                ("scope", scope),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            reply["issued_token_type"], "urn:ietf:params:oauth:token-type:id-jag",
            "{reply}"
        );
        reply["access_token"].as_str().unwrap().to_owned()
    }

    /// An ID-JAG for `login`, for us, granting `scope`.
    async fn id_jag(&self, login: &str, scope: &str) -> String {
        let id_token = self.id_token(login).await;
        self.id_jag_for(&id_token, &self.origin, &self.mcp(), scope)
            .await
    }

    /// Our `/token` with the jwt-bearer grant, as `client_id` (a public client): (status, body).
    async fn exchange(
        &self,
        client_id: &str,
        assertion: &str,
        scope: Option<&str>,
    ) -> (u16, Value) {
        let mut body = vec![
            ("grant_type", JWT_BEARER),
            ("assertion", assertion),
            ("client_id", client_id),
        ];
        body.extend(scope.map(|s| ("scope", s)));
        let reply = http()
            .post(format!("{}/token", self.origin))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&body))
            .send()
            .await
            .unwrap();
        let status = reply.status().as_u16();
        (status, reply.json().await.unwrap_or(Value::Null))
    }

    /// Expects the exchange refused with `error` and a description containing `rule`.
    async fn refused(&self, client_id: &str, assertion: &str, error: &str, rule: &str) {
        let (status, body) = self.exchange(client_id, assertion, None).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], error, "{body}");
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains(rule), "{description:?} lacks {rule:?}");
    }

    async fn admin(&self, args: &str) -> String {
        let cli = <remote_mcp_admin::Cli as clap::Parser>::try_parse_from(
            std::iter::once("remote-mcp-admin").chain(args.split_whitespace()),
        )
        .unwrap();
        let mut out = Vec::new();
        remote_mcp_admin::run(
            &cli,
            self.store.as_ref(),
            &mut remote_mcp_admin::LinePasswords(&b""[..]),
            &mut out,
        )
        .await
        .unwrap();
        String::from_utf8(out).unwrap()
    }
}

fn location(base: &str, response: &reqwest::Response) -> String {
    let location = response.headers()["location"].to_str().unwrap();
    url::Url::parse(base)
        .unwrap()
        .join(location)
        .unwrap()
        .into()
}

/// `token` with one claim of its payload changed, signature kept (a forgery).
fn tampered(token: &str, claim: &str, value: Value) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    claims[claim] = value;
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    parts.join(".")
}

// ------------------------------------------------------------------ the journey

async fn enterprise_journey(store: Arc<dyn Store>) {
    let world = World::new(store).await;
    // The organisation's policy grants read-only; Claude asks us for everything.
    let grant = world.id_jag(ALICE, "mcp").await;
    let (status, tokens) = world.exchange(CLAUDE, &grant, Some("mcp mcp:write")).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        tokens["scope"], "mcp",
        "the intersection of asked and granted"
    );
    assert_eq!(
        tokens["refresh_token"],
        Value::Null,
        "the client comes back with a new ID-JAG"
    );
    let access = tokens["access_token"].as_str().unwrap();
    let (status, subject) = whoami(&world.origin, access).await;
    assert_eq!(status, 200);
    let user = subject.unwrap();

    // The person is the one the provider names, linked by issuer and subject: the same next time.
    let again = world.id_jag(ALICE, "mcp").await;
    let (status, tokens) = world.exchange(CLAUDE, &again, None).await;
    assert_eq!(status, 200, "{tokens}");
    let second = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        whoami(&world.origin, second).await.1.as_deref(),
        Some(user.as_str())
    );

    // A real grant: listed for operators as approved by the organisation, and revocable.
    let listed: Value = serde_json::from_str(
        &world
            .admin(&format!("--json grant list --user {ALICE}"))
            .await,
    )
    .unwrap();
    let grants = listed.as_array().unwrap();
    assert_eq!(grants.len(), 2, "{listed}");
    assert!(
        grants.iter().all(|g| g["approved_by"] == "enterprise"),
        "{listed}"
    );
    assert!(grants.iter().all(|g| g["client_id"] == CLAUDE));
    for grant in grants {
        world
            .admin(&format!(
                "grant revoke {}",
                grant["grant_id"].as_str().unwrap()
            ))
            .await;
    }
    world.clock.advance(Duration::from_secs(31));
    assert_eq!(
        whoami(&world.origin, access).await.0,
        401,
        "revocation reaches /mcp"
    );
    assert_eq!(whoami(&world.origin, second).await.0, 401);
}

remote_mcp_testkit::both_stores! {
    enterprise_managed_authorization => |store| enterprise_journey(store),
}

// ------------------------------------------------------------------ each rule

async fn world() -> World {
    World::new(remote_mcp_testkit::memory_store()).await
}

#[tokio::test]
async fn id_jag_replayed_jti_is_invalid_grant() {
    let world = world().await;
    let grant = world.id_jag(ALICE, "mcp").await;
    assert_eq!(world.exchange(CLAUDE, &grant, None).await.0, 200);
    world
        .refused(CLAUDE, &grant, "invalid_grant", "jti was already used")
        .await;
}

#[tokio::test]
async fn id_jag_for_another_client_is_invalid_grant() {
    let world = world().await;
    let registered: Value = http()
        .post(format!("{}/register", world.origin))
        .json(
            &json!({"client_name": "Another app", "redirect_uris": ["https://another.example/cb"],
                      "token_endpoint_auth_method": "none"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let other = registered["client_id"].as_str().unwrap();
    let grant = world.id_jag(ALICE, "mcp").await;
    world
        .refused(other, &grant, "invalid_grant", "issued to another client")
        .await;
}

#[tokio::test]
async fn id_jag_for_another_audience_is_invalid_grant() {
    let world = world().await;
    let id_token = world.id_token(ALICE).await;
    let grant = world
        .id_jag_for(
            &id_token,
            "https://other-server.example",
            &world.mcp(),
            "mcp",
        )
        .await;
    world
        .refused(
            CLAUDE,
            &grant,
            "invalid_grant",
            "aud must be this authorization server",
        )
        .await;
}

#[tokio::test]
async fn id_jag_for_another_resource_is_invalid_target() {
    let world = world().await;
    let id_token = world.id_token(ALICE).await;
    let grant = world
        .id_jag_for(
            &id_token,
            &world.origin,
            "https://other-server.example/mcp",
            "mcp",
        )
        .await;
    world
        .refused(CLAUDE, &grant, "invalid_target", "only issues tokens for")
        .await;
}

#[tokio::test]
async fn id_jag_signature_that_does_not_verify_is_invalid_grant() {
    let world = world().await;
    let grant = world.id_jag(ALICE, "mcp").await;
    let forged = tampered(&grant, "scope", json!("mcp mcp:write"));
    world
        .refused(
            CLAUDE,
            &forged,
            "invalid_grant",
            "signature does not verify",
        )
        .await;
}

#[tokio::test]
async fn id_jag_from_an_untrusted_issuer_is_invalid_grant() {
    let world = world().await;
    let grant = world.id_jag(ALICE, "mcp").await;
    let foreign = tampered(&grant, "iss", json!("https://evil.example"));
    world
        .refused(
            CLAUDE,
            &foreign,
            "invalid_grant",
            "not an identity provider trusted",
        )
        .await;
}

#[tokio::test]
async fn an_id_token_is_not_an_id_jag() {
    let world = world().await;
    let id_token = world.id_token(ALICE).await;
    world
        .refused(
            CLAUDE,
            &id_token,
            "invalid_grant",
            "typ must be oauth-id-jag+jwt",
        )
        .await;
}

#[tokio::test]
async fn expired_id_jag_is_invalid_grant() {
    let world = world().await;
    let grant = world.id_jag(ALICE, "mcp").await;
    world.clock.advance(Duration::from_secs(10 * 60));
    world
        .refused(CLAUDE, &grant, "invalid_grant", "expired")
        .await;
}

#[tokio::test]
async fn id_jag_granting_none_of_the_requested_scopes_is_invalid_grant() {
    let world = world().await;
    let grant = world.id_jag(ALICE, "openid profile").await;
    world
        .refused(
            CLAUDE,
            &grant,
            "invalid_grant",
            "grants none of the requested scopes",
        )
        .await;
}

#[tokio::test]
async fn id_jag_scopes_are_intersected_with_the_request() {
    let world = world().await;
    let grant = world.id_jag(ALICE, "mcp mcp:write").await;
    let (status, tokens) = world.exchange(CLAUDE, &grant, Some("mcp")).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "mcp", "never more than asked");
}

#[tokio::test]
async fn id_jag_for_an_email_outside_the_allow_list_is_invalid_grant() {
    let world = world().await;
    let grant = world.id_jag("mallory@elsewhere.example", "mcp").await;
    world
        .refused(CLAUDE, &grant, "invalid_grant", "is not allowed here")
        .await;
}

#[tokio::test]
async fn id_jag_with_an_unverified_email_is_invalid_grant() {
    let world = world().await;
    let grant = world.id_jag(&format!("unverified:{ALICE}"), "mcp").await;
    world
        .refused(
            CLAUDE,
            &grant,
            "invalid_grant",
            "has not verified the email",
        )
        .await;
}

#[tokio::test]
async fn id_jag_for_a_disabled_user_is_invalid_grant() {
    let world = world().await;
    let first = world.id_jag(ALICE, "mcp").await;
    assert_eq!(world.exchange(CLAUDE, &first, None).await.0, 200);
    world.admin(&format!("user disable {ALICE}")).await;
    let grant = world.id_jag(ALICE, "mcp").await;
    world
        .refused(CLAUDE, &grant, "invalid_grant", "the user is disabled")
        .await;
}

#[tokio::test]
async fn jwt_bearer_is_unsupported_without_a_trusted_provider() {
    let world = World::trusting(remote_mcp_testkit::memory_store(), false).await;
    let grant = world.id_jag(ALICE, "mcp").await;
    let (status, body) = world.exchange(CLAUDE, &grant, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
}
