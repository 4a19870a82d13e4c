//! The token vault, end to end over HTTP: tools calling another API as the person.
//!
//! The OpenID provider is the real `oidc-provider` (refresh tokens with rotation, `userinfo`,
//! revocation); GitHub is a stand-in speaking GitHub's documented shapes (expiring user tokens with
//! refresh tokens, `Link` pagination, grant deletion). Two MCP functions share the store and the
//! vault's key, as two Lambda containers share DynamoDB and KMS.
//!
//! - Alice signs in with the OpenID provider (`"vault": true`): `provider_profile` answers with her
//!   profile, read by the provider with the upstream token we kept (never ours). Her upstream
//!   token expires: concurrent calls on both functions refresh it once. She removes the app at the
//!   provider: the next call answers with the connect link (and, to a client that declared URL
//!   elicitation, `-32042`).
//! - A person with a password connects GitHub from `/account`: `github_repositories` pages through
//!   their repositories; GitHub expires the token and the call still succeeds (refreshed);
//!   disconnecting deletes the record and the grant at GitHub.
//! - A record copied to another person does not open for them.
//! - No log line of the whole journey holds an upstream token; the audit trail has connect,
//!   refresh, refresh failure and disconnect.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use oauth_function::federation::config::{AllowList, Kind, ProviderConfig};
use remote_mcp_core::token::LocalSigner;
use remote_mcp_core::upstream::Upstreams;
use remote_mcp_core::vault::{LocalDataKeys, Vault};
use remote_mcp_core::{Clock, Config, Store, UnixTime};
use remote_mcp_local::dev_user;
use remote_mcp_testkit::{LocalProcess, Pkce, form, hidden_field, openid_provider};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{EMAIL, PASSWORD, query_param};
use tower::ServiceExt;

const CLIENT_REDIRECT: &str = "http://127.0.0.1:9/callback";
const ALICE: &str = "alice@corp.example";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Our two functions (the MCP function twice), the OpenID provider and the GitHub stand-in.
struct World {
    origin: String,
    store: Arc<dyn Store>,
    corp: LocalProcess,
    github: GitHub,
    /// The clock the vault reads (apart from ours, so our own tokens outlive upstream ones).
    upstream_clock: Clock,
    /// A second MCP function over the same store and vault key: another container.
    second: axum::Router,
    /// The first MCP function's vault.
    upstreams: Arc<Upstreams>,
}

impl World {
    async fn new(store: Arc<dyn Store>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let clients = json!([{
            "client_id": "remote-mcp",
            "client_secret": "vault-test-secret",
            "redirect_uris": [format!("{origin}/federation/corp/callback")],
            "grant_types": ["authorization_code", "refresh_token"],
        }]);
        let corp = openid_provider(&clients, 3600).unwrap();
        let github = GitHub::start().await;
        let providers = vec![
            ProviderConfig {
                id: "corp".into(),
                name: "Corp SSO".into(),
                kind: Kind::Oidc,
                issuer: corp.endpoint().into(),
                api_url: None,
                client_id: "remote-mcp".into(),
                client_secret: "vault-test-secret".into(),
                client_secret_arn: None,
                scopes: "openid email profile offline_access".into(),
                id_jag: false,
                vault: true,
                allow: AllowList {
                    allowed_domains: vec!["corp.example".into()],
                    ..AllowList::default()
                },
            },
            ProviderConfig {
                id: "github".into(),
                name: "GitHub".into(),
                kind: Kind::GitHub,
                issuer: github.origin.clone(),
                api_url: Some(format!("{}/api", github.origin)),
                client_id: "gh-client".into(),
                client_secret: "gh-secret".into(),
                client_secret_arn: None,
                scopes: "repo read:user".into(),
                id_jag: false,
                vault: true,
                allow: AllowList::default(),
            },
        ];
        dev_user(store.as_ref(), EMAIL, Some(PASSWORD.into()))
            .await
            .unwrap();
        let clock = Clock::manual(UnixTime::now());
        let upstream_clock = Clock::manual(UnixTime::now());
        let config = Config::local(&origin).unwrap();
        let signer = Arc::new(LocalSigner::generate());
        // One key wraps every data key, as the one KMS key does in AWS.
        let vault = Vault::new(Arc::new(LocalDataKeys::generate().unwrap()));
        let upstreams = || {
            Arc::new(
                Upstreams::new(&providers, store.clone(), vault.clone(), None)
                    .with_clock(upstream_clock.clone()),
            )
        };
        let mcp = |upstreams| {
            mcp_function::AppState::new(
                config.clone(),
                store.clone(),
                store.clone(),
                signer.clone(),
            )
            .with_clock(clock.clone())
            .with_upstreams(upstreams)
        };
        let (first, second) = (upstreams(), upstreams());
        let oauth = oauth_function::AppState::new(
            config.clone(),
            store.clone(),
            store.clone(),
            signer.clone(),
        )
        .with_clock(clock.clone())
        .with_identity_providers(providers.clone(), None)
        .with_token_vault(store.clone(), vault.clone(), Some(first.clone()));
        let app = oauth_function::router(oauth).merge(mcp_function::router(mcp(first.clone())));
        tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, app).await.unwrap()
        });
        Self {
            second: mcp_function::router(mcp(second)),
            upstreams: first,
            origin,
            store,
            corp,
            github,
            upstream_clock,
        }
    }

    /// A tool call on the first (`Some(false)`) or second (`Some(true)`) MCP function; `meta`
    /// makes it a 2026-07-28 request with those client capabilities.
    async fn call(&self, token: &str, tool: &str, arguments: Value, second: bool) -> Value {
        self.call_with(token, tool, arguments, second, None).await
    }

    async fn call_with(
        &self,
        token: &str,
        tool: &str,
        arguments: Value,
        second: bool,
        capabilities: Option<Value>,
    ) -> Value {
        let (version, params) = match capabilities {
            Some(capabilities) => (
                "2026-07-28",
                json!({"name": tool, "arguments": arguments, "_meta": {
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientInfo": {"name": "vault-test", "version": "1"},
                    "io.modelcontextprotocol/clientCapabilities": capabilities}}),
            ),
            None => ("2025-11-25", json!({"name": tool, "arguments": arguments})),
        };
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params});
        let host = self.origin.trim_start_matches("http://");
        if second {
            let request = axum::http::Request::post("/mcp")
                .header("host", host)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .header("mcp-protocol-version", version)
                .header("mcp-method", "tools/call")
                .header("mcp-name", tool)
                .body(axum::body::Body::from(body.to_string()))
                .unwrap();
            let response = self.second.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let headers = format!("{:?}", response.headers());
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            return serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{e}: {status} {headers} {bytes:?}"));
        }
        reqwest::Client::new()
            .post(format!("{}/mcp", self.origin))
            .bearer_auth(token)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", version)
            .header("mcp-method", "tools/call")
            .header("mcp-name", tool)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// How many refresh_token grants the OpenID provider served.
    async fn refreshes(&self) -> u64 {
        let counts: Value = reqwest::get(format!("{}/test/refreshes", self.corp.endpoint()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        counts["refreshes"].as_u64().unwrap()
    }
}

/// GitHub's documented answers for an OAuth app with expiring user tokens (REST API version
/// 2022-11-28): `authorize` approves at once, the token endpoint exchanges codes (PKCE checked)
/// and rotates refresh tokens (a used one answers 200 with `bad_refresh_token`), `/user` names the
/// person, `/user/repos` pages five repositories with a `Link` header, and
/// `DELETE /applications/{client_id}/grant` ends the grant.
struct GitHub {
    origin: String,
    state: Arc<Mutex<GitHubState>>,
}

#[derive(Default)]
struct GitHubState {
    challenges: std::collections::HashMap<String, String>,
    access: Option<String>,
    refresh: Option<String>,
    issued: Vec<String>,
    refreshes: u32,
    grant_deleted: bool,
}

impl GitHubState {
    fn issue(&mut self) -> Value {
        let n = self.issued.len();
        let random = remote_mcp_core::secret::random_id();
        let (access, refresh) = (format!("ghu_{n}{random}"), format!("ghr_{n}{random}"));
        self.issued.extend([access.clone(), refresh.clone()]);
        self.access = Some(access.clone());
        self.refresh = Some(refresh.clone());
        json!({"access_token": access, "expires_in": 28800, "refresh_token": refresh,
               "refresh_token_expires_in": 15_811_200, "scope": "repo,read:user",
               "token_type": "bearer"})
    }
}

impl GitHub {
    async fn start() -> Self {
        use axum::extract::{Form, Path, Query};
        use axum::http::HeaderMap;
        use axum::response::{IntoResponse, Redirect};
        use axum::routing::{delete, get, post};
        use std::collections::HashMap;
        let state: Arc<Mutex<GitHubState>> = Arc::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let authorize = {
            let state = state.clone();
            move |Query(q): Query<HashMap<String, String>>| async move {
                let code = format!("gh-code-{}", remote_mcp_core::secret::random_id());
                state
                    .lock()
                    .unwrap()
                    .challenges
                    .insert(code.clone(), q["code_challenge"].clone());
                Redirect::to(&format!(
                    "{}?code={code}&state={}",
                    q["redirect_uri"], q["state"]
                ))
            }
        };
        let token = {
            let state = state.clone();
            move |Form(f): Form<HashMap<String, String>>| async move {
                let mut state = state.lock().unwrap();
                if f.get("client_id").map(String::as_str) != Some("gh-client")
                    || f.get("client_secret").map(String::as_str) != Some("gh-secret")
                {
                    return axum::Json(json!({"error": "incorrect_client_credentials"}));
                }
                if f.get("grant_type").map(String::as_str) == Some("refresh_token") {
                    if state.refresh.as_deref() != f.get("refresh_token").map(String::as_str) {
                        return axum::Json(json!({"error": "bad_refresh_token",
                            "error_description": "The refresh token passed is incorrect or expired."}));
                    }
                    state.refreshes += 1;
                    return axum::Json(state.issue());
                }
                let challenge = state.challenges.remove(&f["code"]);
                let verified = challenge.is_some_and(|c| {
                    c == remote_mcp_testkit::Pkce::challenge_of(&f["code_verifier"])
                });
                if !verified {
                    return axum::Json(json!({"error": "bad_verification_code"}));
                }
                axum::Json(state.issue())
            }
        };
        let authorized = {
            let state = state.clone();
            move |headers: &HeaderMap| {
                let state = state.lock().unwrap();
                let presented = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "));
                presented.is_some() && presented == state.access.as_deref()
            }
        };
        let user = {
            let authorized = authorized.clone();
            move |headers: HeaderMap| async move {
                if !authorized(&headers) {
                    return StatusCode::UNAUTHORIZED.into_response();
                }
                axum::Json(json!({"login": "octocat", "id": 583231, "name": "The Octocat"}))
                    .into_response()
            }
        };
        let emails = {
            let authorized = authorized.clone();
            move |headers: HeaderMap| async move {
                if !authorized(&headers) {
                    return StatusCode::UNAUTHORIZED.into_response();
                }
                axum::Json(json!([{"email": "octocat@github.example", "verified": true,
                                   "primary": true, "visibility": "public"}]))
                .into_response()
            }
        };
        let repos = {
            let origin = origin.clone();
            move |headers: HeaderMap, Query(q): Query<HashMap<String, String>>| async move {
                if !authorized(&headers) {
                    return (
                        StatusCode::UNAUTHORIZED,
                        axum::Json(json!({"message": "Bad credentials"})),
                    )
                        .into_response();
                }
                let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
                let per_page: usize = q.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(30);
                let all: Vec<Value> = (1..=5)
                    .map(|n| {
                        json!({"id": n, "name": format!("repo-{n}"),
                        "full_name": format!("octocat/repo-{n}"), "private": n % 2 == 0,
                        "html_url": format!("https://github.com/octocat/repo-{n}"),
                        "description": null, "updated_at": "2026-12-01T10:00:00Z"})
                    })
                    .collect();
                let start = (page - 1) * per_page;
                let slice: Vec<Value> = all.iter().skip(start).take(per_page).cloned().collect();
                let last = all.len().div_ceil(per_page);
                let link = |p: usize, rel: &str| {
                    format!("<{origin}/api/user/repos?page={p}&per_page={per_page}>; rel=\"{rel}\"")
                };
                let mut links = Vec::new();
                if page < last {
                    links.push(link(page + 1, "next"));
                    links.push(link(last, "last"));
                }
                let mut response = axum::Json(slice).into_response();
                if !links.is_empty() {
                    response
                        .headers_mut()
                        .insert("link", links.join(", ").parse().unwrap());
                }
                response
            }
        };
        let delete_grant = {
            let state = state.clone();
            move |Path(client): Path<String>, headers: HeaderMap| async move {
                let basic = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let expected = format!(
                    "Basic {}",
                    base64::Engine::encode(
                        &base64::engine::general_purpose::STANDARD,
                        "gh-client:gh-secret"
                    )
                );
                if client != "gh-client" || basic != expected {
                    return StatusCode::NOT_FOUND;
                }
                let mut state = state.lock().unwrap();
                state.grant_deleted = true;
                state.access = None;
                state.refresh = None;
                StatusCode::NO_CONTENT
            }
        };
        let app = axum::Router::new()
            .route("/login/oauth/authorize", get(authorize))
            .route("/login/oauth/access_token", post(token))
            .route("/api/user", get(user))
            .route("/api/user/emails", get(emails))
            .route("/api/user/repos", get(repos))
            .route("/api/applications/{client}/grant", delete(delete_grant));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { origin, state }
    }

    /// GitHub expires the current access token (as eight hours passing would).
    fn expire_access_token(&self) {
        let mut state = self.state.lock().unwrap();
        state.access = Some("expired".into());
    }
}

/// A browser: cookies, no automatic redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .unwrap()
        .join(location)
        .unwrap()
        .into()
}

/// Signs in as `login` at the OpenID provider (its login form, then its consent prompt); the
/// redirect back to us (not followed).
async fn sign_in_upstream(
    browser: &reqwest::Client,
    authorization_url: &str,
    login: &str,
) -> String {
    let mut url = authorization_url.to_owned();
    loop {
        let response = browser.get(&url).send().await.unwrap();
        let next = if response.status().is_redirection() {
            absolute(&url, &location(&response))
        } else {
            let html = response.text().await.unwrap();
            let fields: &[(&str, &str)] = if html.contains("name=\"login\"") {
                &[("prompt", "login"), ("login", login), ("password", "x")]
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
            assert!(
                submitted.status().is_redirection(),
                "{}",
                submitted.status()
            );
            absolute(&url, &location(&submitted))
        };
        if !next.contains("/interaction/") && !next.contains("/auth") {
            return next;
        }
        url = next;
    }
}

/// Alice signs in with the OpenID provider on the consent page and approves; her MCP token.
async fn alice_connects_a_client(world: &World) -> String {
    let registered: Value = reqwest::Client::new()
        .post(format!("{}/register", world.origin))
        .json(
            &json!({"client_name": "Vault test client", "redirect_uris": [CLIENT_REDIRECT],
                      "token_endpoint_auth_method": "none"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = registered["client_id"].as_str().unwrap();
    let pkce = Pkce::new();
    let resource = format!("{}/mcp", world.origin);
    let authorize = format!(
        "{}/authorize?{}",
        world.origin,
        form(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", CLIENT_REDIRECT),
            ("scope", "mcp"),
            ("state", "s1"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
            ("resource", &resource),
        ])
    );
    let browser = browser();
    let html = browser
        .get(&authorize)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let end = html.find(">Continue with Corp SSO</a>").unwrap();
    let start = html[..end].rfind("href=\"").unwrap() + "href=\"".len();
    let href = html[start..end].trim_end_matches('"').replace("&amp;", "&");
    let started = browser
        .get(format!("{}{href}", world.origin))
        .send()
        .await
        .unwrap();
    let upstream = location(&started);
    assert!(
        upstream.contains("prompt=consent"),
        "offline_access asks for consent: {upstream}"
    );
    let callback = sign_in_upstream(&browser, &upstream, ALICE).await;
    let back = browser.get(&callback).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    let consent = browser
        .get(absolute(&world.origin, &location(&back)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let transaction = hidden_field(&consent, "transaction").unwrap();
    let decided = browser
        .post(format!("{}/authorize", world.origin))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("transaction", &transaction),
            ("decision", "approve"),
        ]))
        .send()
        .await
        .unwrap();
    let code = query_param(&location(&decided), "code").unwrap();
    let tokens: Value = reqwest::Client::new()
        .post(format!("{}/token", world.origin))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CLIENT_REDIRECT),
            ("client_id", client_id),
            ("code_verifier", &pkce.verifier),
            ("resource", &resource),
        ]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// The text of a tool error, or the structured result.
fn outcome(reply: &Value) -> Result<&Value, String> {
    let result = &reply["result"];
    if result["isError"] == true {
        return Err(result["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned());
    }
    assert!(result["structuredContent"].is_object(), "{reply}");
    Ok(&result["structuredContent"])
}

async fn alices_journey(world: &Arc<World>) {
    let token = alice_connects_a_client(world).await;
    let user = world
        .store
        .user_by_identity(world.corp.endpoint(), ALICE)
        .await
        .unwrap()
        .unwrap();
    let kept = world
        .store
        .connection(&user.id, "corp")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.value.account, ALICE);

    // The provider answers with her profile: it accepted the upstream token we kept.
    let reply = world
        .call(&token, "provider_profile", json!({}), false)
        .await;
    let profile = outcome(&reply).unwrap();
    assert_eq!(profile["provider"], "corp");
    assert_eq!(profile["claims"]["sub"], ALICE, "{reply}");
    assert_eq!(profile["claims"]["email"], ALICE);
    assert_eq!(world.refreshes().await, 0);

    // Two hours later her upstream access token has expired: calls on both functions at once
    // refresh it once (a second refresh with the rotated token would be refused, and end the
    // grant at the provider).
    world.upstream_clock.advance(Duration::from_secs(2 * 3600));
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (world, token) = (world.clone(), token.clone());
        calls.spawn(async move {
            world
                .call(&token, "provider_profile", json!({}), i % 2 == 1)
                .await
        });
    }
    while let Some(reply) = calls.join_next().await {
        let reply = reply.unwrap();
        assert_eq!(outcome(&reply).unwrap()["claims"]["sub"], ALICE, "{reply}");
    }
    assert_eq!(
        world.refreshes().await,
        1,
        "one refresh for all concurrent callers"
    );
    let after = world
        .store
        .connection(&user.id, "corp")
        .await
        .unwrap()
        .unwrap();
    assert!(after.value.refreshing.is_none());
    assert!(after.value.refreshed_at.is_some());
    assert_ne!(
        after.value.sealed, kept.value.sealed,
        "the rotated tokens are stored"
    );

    // No token passthrough: a record holding one of our own tokens is never sent upstream.
    let ours = remote_mcp_core::model::UpstreamTokens {
        access_token: token.clone(),
        refresh_token: None,
        expires_at: None,
        scope: None,
    };
    world
        .upstreams
        .keep(&user.id, "corp", ALICE, &ours, UnixTime::now())
        .await
        .unwrap();
    let reply = world
        .call(&token, "provider_profile", json!({}), false)
        .await;
    let text = outcome(&reply).unwrap_err();
    assert!(text.contains("refused to call Corp SSO"), "{text}");
    world.store.save_connection(&after.value).await.unwrap();

    // A record copied to another person does not open for them.
    let bob = world.store.user_by_email(EMAIL).await.unwrap().unwrap();
    let mut copied = after.value.clone();
    copied.person = bob.id.clone();
    world.store.save_connection(&copied).await.unwrap();
    let bobs_token =
        support::authorize(&world.origin, CLIENT_REDIRECT, CLIENT_REDIRECT, "mcp").await;
    let bobs_token = bobs_token.tokens["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = world
        .call(&bobs_token, "provider_profile", json!({}), false)
        .await;
    let text = outcome(&reply).unwrap_err();
    assert!(text.contains("Connect Corp SSO first"), "{text}");
    world
        .store
        .delete_connection(&bob.id, "corp")
        .await
        .unwrap();

    // Alice removes the app at the provider: the next call says where to connect again.
    let revoked = reqwest::Client::new()
        .post(format!("{}/test/revoke/{}", world.corp.endpoint(), ALICE))
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success());
    let reply = world
        .call(&token, "provider_profile", json!({}), true)
        .await;
    let text = outcome(&reply).unwrap_err();
    assert!(
        text.contains(&format!("{}/account", world.origin)),
        "{text}"
    );
    assert!(
        world
            .store
            .connection(&user.id, "corp")
            .await
            .unwrap()
            .is_none()
    );

    // A 2026-07-28 client that declared URL elicitation is asked to open the page.
    let reply = world
        .call_with(
            &token,
            "provider_profile",
            json!({}),
            false,
            Some(json!({"elicitation": {"url": {}}})),
        )
        .await;
    assert_eq!(reply["error"]["code"], -32042, "{reply}");
    let elicitation = &reply["error"]["data"]["elicitations"][0];
    assert_eq!(elicitation["mode"], "url");
    assert_eq!(elicitation["url"], format!("{}/account", world.origin));
}

/// Signs the password account in on `/account`; the browser holding the session.
async fn account_session(world: &World) -> reqwest::Client {
    let browser = browser();
    let page = browser
        .get(format!("{}/account", world.origin))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden_field(&page, "sign_in_token").unwrap();
    let signed_in = browser
        .post(format!("{}/account", world.origin))
        .header("origin", &world.origin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("sign_in_token", &token),
            ("email", EMAIL),
            ("password", PASSWORD),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    browser
}

/// Posts one of the account page's service forms (`connect_provider` or `disconnect_provider`).
async fn service_form(
    world: &World,
    browser: &reqwest::Client,
    action: &str,
    provider: &str,
) -> reqwest::Response {
    let page = browser
        .get(format!("{}/account", world.origin))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Services your tools can use"), "{page}");
    let token = hidden_field(&page, "form_token").unwrap();
    browser
        .post(format!("{}/account", world.origin))
        .header("origin", &world.origin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("form_token", &token), (action, provider)]))
        .send()
        .await
        .unwrap()
}

async fn github_journey(world: &World) {
    let session = support::authorize(&world.origin, CLIENT_REDIRECT, CLIENT_REDIRECT, "mcp").await;
    let token = session.tokens["access_token"].as_str().unwrap().to_owned();
    // Not connected yet: the answer says where to connect.
    let reply = world
        .call(&token, "github_repositories", json!({}), false)
        .await;
    assert!(
        outcome(&reply)
            .unwrap_err()
            .contains("Connect GitHub first"),
        "{reply}"
    );

    // Connect GitHub from the account page.
    let browser = account_session(world).await;
    let started = service_form(world, &browser, "connect_provider", "github").await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let to_github = location(&started);
    assert!(to_github.starts_with(&world.github.origin), "{to_github}");
    let approved = browser.get(&to_github).send().await.unwrap();
    let callback = location(&approved);
    let back = browser.get(&callback).send().await.unwrap();
    assert_eq!(
        back.status(),
        StatusCode::SEE_OTHER,
        "{}",
        back.text().await.unwrap()
    );
    assert_eq!(location(&back), "/account");
    let page = browser
        .get(format!("{}/account", world.origin))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Connected as 583231"), "{page}");

    // Page through the repositories.
    let first = world
        .call(&token, "github_repositories", json!({"per_page": 2}), false)
        .await;
    let first = outcome(&first).unwrap().clone();
    assert_eq!(first["repositories"].as_array().unwrap().len(), 2);
    assert_eq!(first["repositories"][0]["full_name"], "octocat/repo-1");
    assert_eq!(first["next_page"], 2);
    let last = world
        .call(
            &token,
            "github_repositories",
            json!({"page": 3, "per_page": 2}),
            true,
        )
        .await;
    let last = outcome(&last).unwrap().clone();
    assert_eq!(last["repositories"].as_array().unwrap().len(), 1);
    assert!(last.get("next_page").is_none(), "{last}");

    // GitHub expires the token before we expected: the 401 gets one refresh, and the call succeeds.
    world.github.expire_access_token();
    let reply = world
        .call(
            &token,
            "github_repositories",
            json!({"page": 2, "per_page": 2}),
            false,
        )
        .await;
    assert_eq!(
        outcome(&reply).unwrap()["repositories"][0]["full_name"],
        "octocat/repo-3"
    );
    assert_eq!(world.github.state.lock().unwrap().refreshes, 1);

    // Disconnect: the record is gone here, the grant is gone at GitHub.
    let disconnected = service_form(world, &browser, "disconnect_provider", "github").await;
    assert_eq!(disconnected.status(), StatusCode::SEE_OTHER);
    assert!(world.github.state.lock().unwrap().grant_deleted);
    let reply = world
        .call(&token, "github_repositories", json!({}), false)
        .await;
    assert!(
        outcome(&reply)
            .unwrap_err()
            .contains("Connect GitHub first")
    );
}

async fn the_vault(store: Arc<dyn Store>) {
    let captured = Captured::default();
    let writer = captured.clone();
    let _guard =
        tracing::subscriber::set_default(remote_mcp_core::telemetry::json(move || writer.clone()));
    let world = Arc::new(World::new(store).await);
    alices_journey(&world).await;
    github_journey(&world).await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let issued: Value = reqwest::get(format!("{}/test/tokens/{ALICE}", world.corp.endpoint()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut upstream_tokens: Vec<String> = issued["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    assert!(upstream_tokens.len() >= 4, "{issued}");
    upstream_tokens.extend(world.github.state.lock().unwrap().issued.clone());
    for token in &upstream_tokens {
        assert!(
            !logs.contains(token.as_str()),
            "a log line holds an upstream token"
        );
    }
    for event in [
        "upstream.connected",
        "upstream.refreshed",
        "upstream.refresh_failed",
        "upstream.disconnected",
    ] {
        assert!(
            logs.contains(&format!("\"event\":\"{event}\"")),
            "no {event} in the audit trail"
        );
    }
}

// One thread: the servers' tasks run where the capturing subscriber is installed; concurrent
// calls still interleave at every await.
mod journey {
    #[tokio::test(flavor = "current_thread")]
    async fn on_the_memory_store() {
        super::the_vault(remote_mcp_testkit::memory_store()).await;
    }

    #[tokio::test(flavor = "current_thread")]
    async fn on_dynamodb_local() {
        super::the_vault(remote_mcp_testkit::fresh_dynamo_store().await).await;
    }
}
