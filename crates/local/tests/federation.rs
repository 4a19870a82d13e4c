//! Sign-in with an identity provider, against a real one: `oidc-provider` (OpenID Certified), started
//! on a free port with its development login form. An MCP client registers and asks for
//! authorization; the person chooses "Continue with", signs in at the provider, comes back to the
//! consent page, approves, and the client's token calls a tool as the linked user. Then what must
//! fail: a replayed `state`, a `nonce` from another sign-in, a response from another provider
//! (RFC 9207 `iss`), an unverified or disallowed e-mail, an existing account's e-mail, a refusal at
//! the provider, an expired ID token, and the provider being down.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use oauth_function::federation::SecretSource;
use oauth_function::federation::config::{AllowList, Kind, ProviderConfig};
use remote_mcp_core::{Clock, Config, Store, UnixTime};
use remote_mcp_local::{dev_user, states_with_clock};
use remote_mcp_testkit::{LocalProcess, Pkce, form, hidden_field, openid_provider};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use support::{EMAIL, PASSWORD, query_param};

const CLIENT_REDIRECT: &str = "http://127.0.0.1:9/callback";

/// Our server with providers `corp` (and `other`, a second provider) configured.
struct World {
    origin: String,
    store: Arc<dyn Store>,
    corp: LocalProcess,
    other: LocalProcess,
    clock: Clock,
}

impl World {
    async fn new(store: Arc<dyn Store>, allow: AllowList) -> Self {
        Self::with_id_token_life(store, allow, 3600).await
    }

    async fn with_id_token_life(store: Arc<dyn Store>, allow: AllowList, seconds: u32) -> Self {
        Self::with_extra(store, allow, seconds, Vec::new(), None).await
    }

    /// With `extra` providers configured after the two OpenID providers; with `secret`, their
    /// client secret is read from that source under that ARN.
    async fn with_extra(
        store: Arc<dyn Store>,
        allow: AllowList,
        seconds: u32,
        extra: Vec<ProviderConfig>,
        secret: Option<(String, Arc<dyn SecretSource>)>,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        // Both providers know a client `remote-mcp` whose redirect URIs are both our callbacks, so a
        // response of one can be delivered to the other's callback (the mix-up attack).
        let clients = json!([{
            "client_id": "remote-mcp",
            "client_secret": "federation-test-secret",
            "redirect_uris": [
                format!("{origin}/federation/corp/callback"),
                format!("{origin}/federation/other/callback"),
            ],
        }]);
        let corp = openid_provider(&clients, seconds).unwrap();
        let other = openid_provider(&clients, seconds).unwrap();
        let provider = |id: &str, name: &str, process: &LocalProcess| ProviderConfig {
            id: id.into(),
            name: name.into(),
            kind: Kind::Oidc,
            issuer: process.endpoint().into(),
            api_url: None,
            client_id: "remote-mcp".into(),
            client_secret: if secret.is_some() {
                String::new()
            } else {
                "federation-test-secret".into()
            },
            client_secret_arn: secret.as_ref().map(|(arn, _)| arn.clone()),
            scopes: "openid email profile".into(),
            id_jag: false,
            // `corp` keeps its tokens for tools: the account page offers to connect it.
            vault: id == "corp",
            allow: allow.clone(),
        };
        let mut providers = vec![
            provider("corp", "Corp SSO", &corp),
            provider("other", "Other IdP", &other),
        ];
        providers.extend(extra);
        dev_user(store.as_ref(), EMAIL, Some(PASSWORD.into()))
            .await
            .unwrap();
        let clock = Clock::manual(UnixTime::now());
        let (oauth, mcp) = states_with_clock(
            Config::local(&origin).unwrap(),
            store.clone(),
            clock.clone(),
        );
        let oauth = oauth.with_identity_providers(providers, secret.map(|(_, s)| s));
        let (oauth, mcp) =
            remote_mcp_local::with_token_vault(oauth, mcp, store.clone(), clock.clone());
        let app = oauth_function::router(oauth).merge(mcp_function::router(mcp));
        tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, app).await.unwrap()
        });
        Self {
            origin,
            store,
            corp,
            other,
            clock,
        }
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

/// Resolves `location` against `base` (the provider answers with relative paths).
fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .unwrap()
        .join(location)
        .unwrap()
        .into()
}

/// A registered MCP client and its authorization request.
struct Client {
    id: String,
    pkce: Pkce,
    authorize: String,
}

async fn register(world: &World) -> Client {
    let registered: Value = reqwest::Client::new()
        .post(format!("{}/register", world.origin))
        .json(
            &json!({"client_name": "Federation test client", "redirect_uris": [CLIENT_REDIRECT],
                      "token_endpoint_auth_method": "none"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = registered["client_id"].as_str().unwrap().to_owned();
    let pkce = Pkce::new();
    let query = form(&[
        ("response_type", "code"),
        ("client_id", &id),
        ("redirect_uri", CLIENT_REDIRECT),
        ("scope", "mcp"),
        ("state", "client-state-1"),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
        ("resource", &format!("{}/mcp", world.origin)),
    ]);
    Client {
        authorize: format!("{}/authorize?{query}", world.origin),
        id,
        pkce,
    }
}

/// Opens the consent page and follows "Continue with <name>": the provider's authorization URL.
async fn continue_with(
    browser: &reqwest::Client,
    client: &Client,
    world: &World,
    name: &str,
) -> String {
    let page = browser.get(&client.authorize).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let marker = format!(">Continue with {name}</a>");
    let end = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} link in {html}"));
    let start = html[..end].rfind("href=\"").unwrap() + "href=\"".len();
    let href = html[start..end].trim_end_matches('"').replace("&amp;", "&");
    let started = browser
        .get(format!("{}{href}", world.origin))
        .send()
        .await
        .unwrap();
    assert_eq!(
        started.status(),
        StatusCode::SEE_OTHER,
        "{}",
        started.text().await.unwrap()
    );
    location(&started)
}

/// Signs in as `login` at the provider (its login form, then its consent prompt), starting from
/// its authorization URL; the redirect back to us (not followed).
async fn sign_in_upstream(
    browser: &reqwest::Client,
    authorization_url: &str,
    login: &str,
) -> String {
    let mut url = authorization_url.to_owned();
    loop {
        let response = browser.get(&url).send().await.unwrap();
        if response.status().is_redirection() {
            let next = absolute(&url, &location(&response));
            if !next.contains("/interaction/") && !next.contains("/auth") {
                return next;
            }
            url = next;
            continue;
        }
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let html = response.text().await.unwrap();
        let fields: &[(&str, &str)] = if html.contains("name=\"login\"") {
            &[
                ("prompt", "login"),
                ("login", login),
                ("password", "anything"),
            ]
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
        let next = absolute(&url, &location(&submitted));
        if !next.contains("/interaction/") && !next.contains("/auth") {
            return next;
        }
        url = next;
    }
}

/// Delivers the provider's answer to our callback; the response.
async fn back_to_us(browser: &reqwest::Client, callback: &str) -> reqwest::Response {
    browser.get(callback).send().await.unwrap()
}

/// From the consent page after sign-in: approve, exchange the code; the access token.
async fn approve_and_exchange(
    browser: &reqwest::Client,
    world: &World,
    client: &Client,
    back: reqwest::Response,
) -> String {
    assert_eq!(
        back.status(),
        StatusCode::SEE_OTHER,
        "{}",
        back.text().await.unwrap()
    );
    let consent_url = absolute(&world.origin, &location(&back));
    assert!(
        consent_url.starts_with(&format!("{}/authorize?", world.origin)),
        "{consent_url}"
    );
    let page = browser
        .get(&consent_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Signed in as"), "{page}");
    let transaction = hidden_field(&page, "transaction").unwrap();
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
    assert!(decided.status().is_redirection());
    let to_client = location(&decided);
    assert!(to_client.starts_with(CLIENT_REDIRECT), "{to_client}");
    let code = query_param(&to_client, "code").unwrap();
    let tokens: Value = reqwest::Client::new()
        .post(format!("{}/token", world.origin))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CLIENT_REDIRECT),
            ("client_id", &client.id),
            ("code_verifier", &client.pkce.verifier),
            ("resource", &format!("{}/mcp", world.origin)),
        ]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokens["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{tokens}"))
        .to_owned()
}

async fn whoami(world: &World, token: &str) -> Value {
    let reply: Value = reqwest::Client::new()
        .post(format!("{}/mcp", world.origin))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": "whoami", "arguments": {}}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["result"]["structuredContent"].clone()
}

fn corp_only() -> AllowList {
    AllowList {
        allowed_domains: vec!["corp.example".into()],
        ..AllowList::default()
    }
}

/// The page a failed step shows: (status, text).
async fn page(response: reqwest::Response) -> (StatusCode, String) {
    (response.status(), response.text().await.unwrap())
}

async fn the_journey(store: Arc<dyn Store>) {
    let world = World::new(store, corp_only()).await;
    let client = register(&world).await;
    let browser = browser();
    let upstream = continue_with(&browser, &client, &world, "Corp SSO").await;
    assert!(upstream.starts_with(world.corp.endpoint()), "{upstream}");
    let callback = sign_in_upstream(&browser, &upstream, "alice@corp.example").await;
    assert!(callback.starts_with(&format!("{}/federation/corp/callback?", world.origin)));
    let back = back_to_us(&browser, &callback).await;
    let token = approve_and_exchange(&browser, &world, &client, back).await;

    let user = world
        .store
        .user_by_identity(world.corp.endpoint(), "alice@corp.example")
        .await
        .unwrap()
        .expect("the first sign-in creates a user linked to the provider's subject");
    assert_eq!(user.email, "alice@corp.example");
    let caller = whoami(&world, &token).await;
    assert_eq!(caller["subject"], user.id.as_str());
    // Tools read the person's verified e-mail and name from the caller, not from the provider.
    assert_eq!(caller["email"], "alice@corp.example");
    assert_eq!(caller["name"], "alice");

    // The same callback again: the state was used.
    let (status, text) = page(back_to_us(&browser, &callback).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("already used"), "{text}");

    // A second sign-in finds the same user by the link.
    let second = register(&world).await;
    let fresh = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let upstream = continue_with(&fresh, &second, &world, "Corp SSO").await;
    let callback = sign_in_upstream(&fresh, &upstream, "alice@corp.example").await;
    let token =
        approve_and_exchange(&fresh, &world, &second, back_to_us(&fresh, &callback).await).await;
    assert_eq!(whoami(&world, &token).await["subject"], user.id.as_str());
}

mod journey {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_the_memory_store() {
        super::the_journey(remote_mcp_testkit::memory_store()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_dynamodb_local() {
        super::the_journey(remote_mcp_testkit::fresh_dynamo_store().await).await;
    }
}

/// Signs in upstream as `login` and delivers the answer to us: our response.
async fn attempt(world: &World, login: &str) -> (StatusCode, String) {
    let client = register(world).await;
    let browser = browser();
    let upstream = continue_with(&browser, &client, world, "Corp SSO").await;
    let callback = sign_in_upstream(&browser, &upstream, login).await;
    page(back_to_us(&browser, &callback).await).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unverified_email_is_refused() {
    let world = World::new(remote_mcp_testkit::memory_store(), corp_only()).await;
    let (status, text) = attempt(&world, "unverified:bob@corp.example").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.contains("has not verified bob@corp.example"), "{text}");
    assert!(text.contains("Start again"), "{text}");
    assert!(
        world
            .store
            .user_by_email("bob@corp.example")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_off_the_allow_list_is_refused() {
    let world = World::new(remote_mcp_testkit::memory_store(), corp_only()).await;
    let (status, text) = attempt(&world, "mallory@gmail.example").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        text.contains("mallory@gmail.example may not sign in here"),
        "{text}"
    );
    assert!(
        world
            .store
            .user_by_email("mallory@gmail.example")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_account_is_never_linked_by_email() {
    let anyone = AllowList {
        any_verified_email: true,
        ..AllowList::default()
    };
    let world = World::new(remote_mcp_testkit::memory_store(), anyone).await;
    // The built-in account's address, claimed at the provider.
    let (status, text) = attempt(&world, EMAIL).await;
    assert_eq!(status, StatusCode::CONFLICT, "{text}");
    assert!(text.contains("not linked to Corp SSO"), "{text}");
    assert!(
        world
            .store
            .user_by_identity(world.corp.endpoint(), EMAIL)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_at_the_provider_says_so_and_offers_to_start_again() {
    let world = World::new(remote_mcp_testkit::memory_store(), corp_only()).await;
    let client = register(&world).await;
    let browser = browser();
    let upstream = continue_with(&browser, &client, &world, "Corp SSO").await;
    // The provider's own "Cancel": its abort URL answers access_denied.
    let interaction = browser.get(&upstream).send().await.unwrap();
    let interaction = absolute(&upstream, &location(&interaction));
    let aborted = browser
        .get(format!("{interaction}/abort"))
        .send()
        .await
        .unwrap();
    let mut url = absolute(&interaction, &location(&aborted));
    while url.starts_with(world.corp.endpoint()) {
        let response = browser.get(&url).send().await.unwrap();
        url = absolute(&url, &location(&response));
    }
    assert!(url.contains("error=access_denied"), "{url}");
    let (status, text) = page(back_to_us(&browser, &url).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.contains("cancelled or refused"), "{text}");
    assert!(text.contains("href=\"/authorize?"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_token_for_another_nonce_is_refused() {
    let world = World::new(remote_mcp_testkit::memory_store(), corp_only()).await;
    let client = register(&world).await;
    let browser = browser();
    // The request reaches the provider with another nonce (everything else, PKCE included, is
    // this sign-in's): only the nonce check can tell.
    let upstream = continue_with(&browser, &client, &world, "Corp SSO").await;
    let nonce = query_param(&upstream, "nonce").unwrap();
    let altered = upstream.replace(&format!("nonce={nonce}"), "nonce=someone-elses-nonce");
    assert_ne!(altered, upstream);
    let answer = sign_in_upstream(&browser, &altered, "alice@corp.example").await;
    let (status, text) = page(back_to_us(&browser, &answer).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("could not be verified"), "{text}");
    assert!(
        world
            .store
            .user_by_email("alice@corp.example")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_from_another_provider_is_refused() {
    let world = World::new(remote_mcp_testkit::memory_store(), corp_only()).await;
    let client = register(&world).await;
    let browser = browser();
    // Mix-up: the sign-in started for Corp, but the browser is sent to the other provider with
    // Corp's request; its answer (naming itself in `iss`) arrives at Corp's callback.
    let upstream = continue_with(&browser, &client, &world, "Corp SSO").await;
    let diverted = upstream.replacen(world.corp.endpoint(), world.other.endpoint(), 1);
    let answer = sign_in_upstream(&browser, &diverted, "alice@corp.example").await;
    assert_eq!(
        query_param(&answer, "iss").as_deref(),
        Some(world.other.endpoint())
    );
    let (status, text) = page(back_to_us(&browser, &answer).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(
        text.contains("came from another identity provider than Corp SSO"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_id_token_is_refused() {
    let world =
        World::with_id_token_life(remote_mcp_testkit::memory_store(), corp_only(), 60).await;
    let client = register(&world).await;
    let browser = browser();
    let upstream = continue_with(&browser, &client, &world, "Corp SSO").await;
    let answer = sign_in_upstream(&browser, &upstream, "alice@corp.example").await;
    // Three minutes later by our clock, the ID token (a minute's life, a minute's leeway) has
    // expired; the sign-in itself (ten minutes) has not.
    world.clock.advance(std::time::Duration::from_secs(3 * 60));
    let (status, text) = page(back_to_us(&browser, &answer).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("could not be verified"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_is_down_is_a_page_not_a_crash() {
    let world = World::new(remote_mcp_testkit::memory_store(), corp_only()).await;
    let client = register(&world).await;
    let browser = browser();
    std::process::Command::new("kill")
        .arg(world.corp.pid().to_string())
        .status()
        .unwrap();
    let page_html = browser
        .get(&client.authorize)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = ">Continue with Corp SSO</a>";
    let end = page_html.find(marker).unwrap();
    let start = page_html[..end].rfind("href=\"").unwrap() + "href=\"".len();
    let href = page_html[start..end]
        .trim_end_matches('"')
        .replace("&amp;", "&");
    let (status, text) = page(
        browser
            .get(format!("{}{href}", world.origin))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{text}");
    assert!(text.contains("Corp SSO could not be reached"), "{text}");
    assert!(text.contains("Start again"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_link_signs_in_as_the_existing_account_until_it_is_disabled() {
    let world = World::new(remote_mcp_testkit::memory_store(), corp_only()).await;
    let account = world.store.user_by_email(EMAIL).await.unwrap().unwrap();
    let link = remote_mcp_core::model::LinkedIdentity {
        issuer: world.corp.endpoint().into(),
        subject: "alice@corp.example".into(),
        linked_at: UnixTime::now(),
    };
    world.store.link_identity(&account.id, &link).await.unwrap();

    let client = register(&world).await;
    let browser = browser();
    let upstream = continue_with(&browser, &client, &world, "Corp SSO").await;
    let callback = sign_in_upstream(&browser, &upstream, "alice@corp.example").await;
    let token = approve_and_exchange(
        &browser,
        &world,
        &client,
        back_to_us(&browser, &callback).await,
    )
    .await;
    assert_eq!(whoami(&world, &token).await["subject"], account.id.as_str());

    world
        .store
        .update_user(&remote_mcp_core::model::User {
            disabled_at: Some(UnixTime::now()),
            ..account
        })
        .await
        .unwrap();
    let (status, text) = attempt(&world, "alice@corp.example").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.contains("disabled"), "{text}");
}

/// The consent page in headless Chromium (`scripts/browser-journeys.mjs`): an account here
/// approves and denies, and a person signs in with the identity provider and approves. Needs
/// Debian's `chromium`; `make browser` (part of `make test`) installs it and runs these.
async fn in_a_real_browser(store: Arc<dyn Store>, label: &str) {
    let world = World::new(store, corp_only()).await;
    let root = remote_mcp_testkit::workspace_root();
    let node = std::process::Command::new(root.join("scripts/node.sh"))
        .output()
        .unwrap();
    let node = String::from_utf8_lossy(&node.stdout).trim().to_owned();
    let journeys = json!({"origin": world.origin, "email": EMAIL, "password": PASSWORD,
                          "provider": "Corp SSO", "login": "carol@corp.example",
                          "connectLogin": "dave@corp.example"});
    let origin = world.origin.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(node)
            .arg(root.join("scripts/browser-journeys.mjs"))
            .arg(journeys.to_string())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!();
    for line in stdout.lines() {
        println!("{line} — {label}, {origin}");
    }
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.matches(": pass").count(), 4, "{stdout}");
    assert!(
        stdout.contains("connected as dave@corp.example, then disconnected"),
        "{stdout}"
    );
    let carol = world
        .store
        .user_by_identity(world.corp.endpoint(), "carol@corp.example")
        .await
        .unwrap()
        .expect("the browser's federated sign-in linked a user");
    assert!(
        stdout.contains(&format!("whoami as {}", carol.id)),
        "{stdout}"
    );
}

mod browser {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs Chromium: make browser"]
    async fn on_the_memory_store() {
        super::in_a_real_browser(remote_mcp_testkit::memory_store(), "memory store").await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs Chromium: make browser"]
    async fn on_dynamodb_local() {
        super::in_a_real_browser(
            remote_mcp_testkit::fresh_dynamo_store().await,
            "DynamoDB Local",
        )
        .await;
    }
}

// ------------------------------------------------------------------ GitHub

/// GitHub's documented answers (OAuth web application flow; REST API version 2022-11-28), served on
/// a loopback port, since GitHub has no local stand-in: `authorize` approves at once (as a person
/// pressing "Authorize" would), the token endpoint checks the client, the code and the PKCE
/// verifier (answering a bad code with 200 and an `error`, as GitHub does), and `/user` and
/// `/user/emails` describe the person.
async fn fake_github(primary_verified: bool) -> String {
    use axum::extract::{Form, Query};
    use axum::http::HeaderMap;
    use axum::response::{IntoResponse, Redirect};
    use axum::routing::{get, post};
    use std::collections::HashMap;
    use std::sync::Mutex;
    let challenges: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let authorize = {
        let challenges = challenges.clone();
        move |Query(q): Query<HashMap<String, String>>| async move {
            assert_eq!(q["client_id"], "gh-client");
            assert!(q["redirect_uri"].ends_with("/federation/github/callback"));
            assert_eq!(q["code_challenge_method"], "S256");
            let code = format!("gh-code-{}", challenges.lock().unwrap().len());
            challenges
                .lock()
                .unwrap()
                .insert(code.clone(), q["code_challenge"].clone());
            let state = &q["state"];
            Redirect::to(&format!("{}?code={code}&state={state}", q["redirect_uri"]))
        }
    };
    let token = move |Form(f): Form<HashMap<String, String>>| async move {
        let challenge = challenges.lock().unwrap().remove(&f["code"]);
        let verified = challenge
            .is_some_and(|c| c == remote_mcp_testkit::Pkce::challenge_of(&f["code_verifier"]));
        if f["client_id"] != "gh-client" || f["client_secret"] != "gh-secret" || !verified {
            return axum::Json(json!({"error": "bad_verification_code",
                "error_description": "The code passed is incorrect or expired.",
                "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code"}));
        }
        axum::Json(
            json!({"access_token": "gho_16C7e42F292c6912E7710c838347Ae178B4a",
                          "scope": "read:user,user:email", "token_type": "bearer"}),
        )
    };
    let authorized = |headers: &HeaderMap| {
        headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some("Bearer gho_16C7e42F292c6912E7710c838347Ae178B4a")
            && headers.contains_key("user-agent")
    };
    let user = move |headers: HeaderMap| async move {
        if !authorized(&headers) {
            return axum::http::StatusCode::UNAUTHORIZED.into_response();
        }
        axum::Json(
            json!({"login": "octocat", "id": 583231, "node_id": "MDQ6VXNlcjE=",
                          "type": "User", "name": "The Octocat", "email": null}),
        )
        .into_response()
    };
    let emails = move |headers: HeaderMap| async move {
        if !authorized(&headers) {
            return axum::http::StatusCode::UNAUTHORIZED.into_response();
        }
        axum::Json(json!([
            {"email": "octo@other.example", "verified": true, "primary": false, "visibility": null},
            {"email": "octocat@github.example", "verified": primary_verified, "primary": true,
             "visibility": "public"}
        ]))
        .into_response()
    };
    let app = axum::Router::new()
        .route("/login/oauth/authorize", get(authorize))
        .route("/login/oauth/access_token", post(token))
        .route("/api/user", get(user))
        .route("/api/user/emails", get(emails));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    origin
}

async fn github_world(primary_verified: bool) -> (World, String) {
    let github = fake_github(primary_verified).await;
    let config = ProviderConfig {
        id: "github".into(),
        name: "GitHub".into(),
        kind: Kind::GitHub,
        issuer: github.clone(),
        api_url: Some(format!("{github}/api")),
        client_id: "gh-client".into(),
        client_secret: "gh-secret".into(),
        client_secret_arn: None,
        scopes: "read:user user:email".into(),
        id_jag: false,
        vault: false,
        allow: AllowList {
            any_verified_email: true,
            ..AllowList::default()
        },
    };
    let world = World::with_extra(
        remote_mcp_testkit::memory_store(),
        corp_only(),
        3600,
        vec![config],
        None,
    )
    .await;
    (world, github)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_sign_in_links_the_numeric_user_id() {
    let (world, github) = github_world(true).await;
    let client = register(&world).await;
    let browser = browser();
    let upstream = continue_with(&browser, &client, &world, "GitHub").await;
    assert!(upstream.starts_with(&format!("{github}/login/oauth/authorize?")));
    let at_github = browser.get(&upstream).send().await.unwrap();
    let callback = location(&at_github);
    let token = approve_and_exchange(
        &browser,
        &world,
        &client,
        back_to_us(&browser, &callback).await,
    )
    .await;
    let user = world
        .store
        .user_by_identity(&github, "583231")
        .await
        .unwrap()
        .expect("linked by GitHub's user id");
    assert_eq!(user.email, "octocat@github.example", "the primary address");
    assert_eq!(whoami(&world, &token).await["subject"], user.id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_sign_in_needs_a_verified_primary_email() {
    let (world, _github) = github_world(false).await;
    let client = register(&world).await;
    let browser = browser();
    let upstream = continue_with(&browser, &client, &world, "GitHub").await;
    let callback = location(&browser.get(&upstream).send().await.unwrap());
    let (status, text) = page(back_to_us(&browser, &callback).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        text.contains("has not verified octocat@github.example"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_github_code_with_the_wrong_verifier_is_refused() {
    let (world, github) = github_world(true).await;
    let client = register(&world).await;
    let browser = browser();
    // The authorization request reaches GitHub with another PKCE challenge.
    let upstream = continue_with(&browser, &client, &world, "GitHub").await;
    let challenge = query_param(&upstream, "code_challenge").unwrap();
    let altered = upstream.replace(&challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    let callback = location(&browser.get(&altered).send().await.unwrap());
    let (status, text) = page(back_to_us(&browser, &callback).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("could not be verified"), "{text}");
    assert!(
        world
            .store
            .user_by_identity(&github, "583231")
            .await
            .unwrap()
            .is_none()
    );
}

// ------------------------------------------------------------------ Secrets Manager

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_secret_is_read_from_secrets_manager() {
    use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
    // moto's Secrets Manager (the server the KMS tests use).
    let moto = remote_mcp_testkit::LocalKms::start().unwrap();
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(moto.endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "moto"))
        .build();
    let arn = aws_sdk_secretsmanager::Client::from_conf(config.clone())
        .create_secret()
        .name("remote-mcp/corp")
        .secret_string("federation-test-secret")
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let reader: Arc<dyn SecretSource> = Arc::new(remote_mcp_core::aws::SecretReader::new(
        aws_sdk_secretsmanager::Client::from_conf(config),
    ));
    let world = World::with_extra(
        remote_mcp_testkit::memory_store(),
        corp_only(),
        3600,
        Vec::new(),
        Some((arn, reader)),
    )
    .await;
    let client = register(&world).await;
    let browser = browser();
    let upstream = continue_with(&browser, &client, &world, "Corp SSO").await;
    let callback = sign_in_upstream(&browser, &upstream, "alice@corp.example").await;
    let token = approve_and_exchange(
        &browser,
        &world,
        &client,
        back_to_us(&browser, &callback).await,
    )
    .await;
    assert_eq!(whoami(&world, &token).await["email"], "alice@corp.example");
}

/// Each start stores a sign-in for an anonymous caller: the same per-source limit as consent
/// pages, so nobody can fill the table through it.
#[tokio::test]
async fn starting_sign_ins_is_limited_per_source_like_consent_pages() {
    let world = World::new(remote_mcp_testkit::memory_store(), corp_only()).await;
    let start = format!(
        "{}/federation/corp/start?return_to=%2Faccount",
        world.origin
    );
    let http = browser();
    let limit = oauth_function::source::ANONYMOUS_WRITES_PER_SOURCE;
    for _ in 0..limit {
        let started = http.get(&start).send().await.unwrap();
        assert_eq!(started.status(), StatusCode::SEE_OTHER);
    }
    let over = http.get(&start).send().await.unwrap();
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(over.text().await.unwrap().contains("Too many sign-ins"));
}
