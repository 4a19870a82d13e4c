//! `private_key_jwt` client authentication (RFC 7523 §2.2, §3), through HTTP.
//!
//! A ChatGPT-shaped client: its metadata document and key set are served from this machine under
//! ChatGPT's own host name (the fetcher's loopback hook maps `chatgpt.com` to a local server, with
//! every other guard in place). It connects with the code flow, authenticating each token request
//! with an RS256 assertion, and calls a tool. Then every rule an assertion must meet, each refused
//! on its own; a key rotation; the same rules at `/revoke` and `/introspect`; a dynamically
//! registered client with an inline key set; and a machine client an operator created with
//! `--jwks-file`, using `client_credentials` with an ES256 assertion.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use oauth_function::fetch::Fetcher;
use remote_mcp_core::{Clock, Config, Store, UnixTime};
use remote_mcp_local::{dev_user, states_with_clock};
use remote_mcp_testkit::{Pkce, form, hidden_field, workspace_root};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{EMAIL, PASSWORD, http, query_param, whoami};

const DOCUMENT: &str = "https://chatgpt.com/oauth/app-4f2a/client.json";
const JWKS_URI: &str = "https://chatgpt.com/oauth/jwks.json";
const REDIRECT: &str = "https://chatgpt.com/connector/oauth/app-4f2a";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A signing key of the fixtures (`crates/testkit/client-keys`).
struct Key {
    kid: &'static str,
    alg: Algorithm,
    encoding: EncodingKey,
}

impl Key {
    fn load(kid: &'static str, alg: Algorithm) -> Self {
        let pem = std::fs::read_to_string(
            workspace_root().join(format!("crates/testkit/client-keys/{kid}.pem")),
        )
        .unwrap();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = STANDARD.decode(body).unwrap();
        let encoding = match alg {
            Algorithm::ES256 => EncodingKey::from_ec_der(&der),
            _ => EncodingKey::from_rsa_der(&der),
        };
        Self { kid, alg, encoding }
    }

    fn rsa_a() -> Self {
        Self::load("rsa-2026-a", Algorithm::RS256)
    }

    fn rsa_b() -> Self {
        Self::load("rsa-2026-b", Algorithm::RS256)
    }

    fn ec() -> Self {
        Self::load("ec-p256", Algorithm::ES256)
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }

    /// The key's public JWK Set, as the fixtures publish it.
    fn jwks(&self) -> Value {
        let path =
            workspace_root().join(format!("crates/testkit/client-keys/{}.jwks.json", self.kid));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }
}

/// ChatGPT's site, on loopback: its metadata document and a key set the test can change.
struct ChatGpt {
    address: SocketAddr,
    jwks: Arc<Mutex<Value>>,
    jwks_served: Arc<AtomicUsize>,
}

impl ChatGpt {
    async fn start(jwks: Value) -> Self {
        use axum::http::header::CONTENT_TYPE;
        use axum::routing::get;
        // Shaped as ChatGPT's document is (SPEC-NOTES §3.5): private_key_jwt with RS256 and a
        // jwks_uri, code and refresh grants.
        let document = json!({
            "client_id": DOCUMENT,
            "client_name": "ChatGPT",
            "client_uri": "https://chatgpt.com",
            "logo_uri": "https://chatgpt.com/favicon.ico",
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "RS256",
            "jwks_uri": JWKS_URI,
        })
        .to_string();
        let jwks = Arc::new(Mutex::new(jwks));
        let jwks_served = Arc::new(AtomicUsize::new(0));
        let (keys, served) = (jwks.clone(), jwks_served.clone());
        let app = axum::Router::new()
            .route(
                "/oauth/app-4f2a/client.json",
                get(move || async move { ([(CONTENT_TYPE, "application/json")], document) }),
            )
            .route(
                "/oauth/jwks.json",
                get(move || {
                    served.fetch_add(1, Ordering::SeqCst);
                    let body = keys.lock().unwrap().to_string();
                    async move { ([(CONTENT_TYPE, "application/json")], body) }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            address,
            jwks,
            jwks_served,
        }
    }
}

/// Our server (both functions) fetching from ChatGPT's loopback site, on a stepped clock.
struct World {
    origin: String,
    clock: Clock,
    chatgpt: ChatGpt,
}

impl World {
    async fn new(store: Arc<dyn Store>) -> Self {
        Self::with_keys(store, Key::rsa_a().jwks()).await
    }

    async fn with_keys(store: Arc<dyn Store>, jwks: Value) -> Self {
        let chatgpt = ChatGpt::start(jwks).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        dev_user(store.as_ref(), EMAIL, Some(PASSWORD.into()))
            .await
            .unwrap();
        let clock = Clock::manual(UnixTime::now());
        let (oauth, mcp) = states_with_clock(
            Config::local(&origin).unwrap(),
            store.clone(),
            clock.clone(),
        );
        let fetcher = Fetcher::public().serving_from_loopback("chatgpt.com", chatgpt.address);
        let app =
            oauth_function::router(oauth.with_fetcher(fetcher)).merge(mcp_function::router(mcp));
        tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(listener, app).await.unwrap()
        });
        Self {
            origin,
            clock,
            chatgpt,
        }
    }

    fn now(&self) -> i64 {
        self.clock.now().seconds()
    }

    fn token_endpoint(&self) -> String {
        format!("{}/token", self.origin)
    }

    /// The claims of a good assertion by `client_id` for our token endpoint.
    fn claims(&self, client_id: &str) -> Value {
        json!({
            "iss": client_id,
            "sub": client_id,
            "aud": self.token_endpoint(),
            "iat": self.now(),
            "exp": self.now() + 300,
            "jti": uuid(),
        })
    }

    /// A token request authenticated with `assertion`: (status, body).
    async fn token(&self, assertion: &str, grant: &[(&str, &str)]) -> (u16, Value) {
        let mut body = vec![
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion),
        ];
        body.extend_from_slice(grant);
        self.post("/token", &body).await
    }

    async fn post(&self, path: &str, body: &[(&str, &str)]) -> (u16, Value) {
        let reply = http()
            .post(format!("{}{path}", self.origin))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(body))
            .send()
            .await
            .unwrap();
        let status = reply.status().as_u16();
        (status, reply.json().await.unwrap_or(Value::Null))
    }

    /// The code flow up to the code, the person approving on the consent page.
    async fn code(&self, client_id: &str, redirect: &str, pkce: &Pkce) -> String {
        let query = form(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("state", "s-1"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
            ("resource", &format!("{}/mcp", self.origin)),
        ]);
        let page = http()
            .get(format!("{}/authorize?{query}", self.origin))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let cookies: Vec<String> = page
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
            .collect();
        let html = page.text().await.unwrap();
        let transaction = hidden_field(&html, "transaction").unwrap();
        let decided = http()
            .post(format!("{}/authorize", self.origin))
            .header("cookie", cookies.join("; "))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("transaction", &transaction),
                ("decision", "approve"),
                ("email", EMAIL),
                ("password", PASSWORD),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(decided.status(), 303);
        let location = decided.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(redirect), "{location}");
        query_param(&location, "code").unwrap()
    }

    /// A token request whose client authentication is all that can succeed: with a good
    /// assertion the answer is `invalid_grant` (the code is unknown), so the status says whether
    /// the assertion was accepted.
    async fn authenticate(&self, assertion: &str) -> (u16, Value) {
        self.token(
            assertion,
            &[
                ("grant_type", "authorization_code"),
                ("code", "no-such-code"),
                ("redirect_uri", REDIRECT),
                ("code_verifier", "v"),
            ],
        )
        .await
    }

    /// Expects `assertion` refused as `invalid_client` with a description containing `rule`.
    async fn refused(&self, assertion: &str, rule: &str) {
        self.refused_as(assertion, None, rule).await;
    }

    /// As [`World::refused`], with `client_id` in the body too.
    async fn refused_as(&self, assertion: &str, client_id: Option<&str>, rule: &str) {
        let (status, body) = match client_id {
            None => self.authenticate(assertion).await,
            Some(id) => {
                self.token(
                    assertion,
                    &[
                        ("client_id", id),
                        ("grant_type", "authorization_code"),
                        ("code", "no-such-code"),
                    ],
                )
                .await
            }
        };
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"], "invalid_client", "{body}");
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains(rule), "{description:?} lacks {rule:?}");
    }
}

fn uuid() -> String {
    remote_mcp_core::secret::random_id()
}

/// An assertion header and claims encoded without a signature (`alg` as given).
fn unsigned(alg: &str, claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{claims}.")
}

// ------------------------------------------------------------------ the ChatGPT journey

async fn chatgpt_connects_with_rs256_assertions(store: Arc<dyn Store>) {
    let world = World::new(store).await;
    let key = Key::rsa_a();
    let pkce = Pkce::new();
    let code = world.code(DOCUMENT, REDIRECT, &pkce).await;
    let (status, tokens) = world
        .token(
            &key.sign(&world.claims(DOCUMENT)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &pkce.verifier),
                ("resource", &format!("{}/mcp", world.origin)),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    let (status, subject) = whoami(&world.origin, access).await;
    assert_eq!(status, 200);
    assert!(subject.is_some());
    // Refreshing takes a fresh assertion too.
    let (status, refreshed) = world
        .token(
            &key.sign(&world.claims(DOCUMENT)),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");
    // Without one, the refresh is refused: the document said private_key_jwt.
    let (status, body) = world
        .post(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    refreshed["refresh_token"].as_str().unwrap(),
                ),
                ("client_id", DOCUMENT),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

async fn machine_client_uses_client_credentials_with_an_es256_assertion(store: Arc<dyn Store>) {
    let world = World::new(store.clone()).await;
    let jwks_file = workspace_root().join("crates/testkit/client-keys/ec-p256.jwks.json");
    let args = format!(
        "remote-mcp-admin --json client add-machine nightly-report --scope mcp --jwks-file {}",
        jwks_file.display()
    );
    let cli =
        <remote_mcp_admin::Cli as clap::Parser>::try_parse_from(args.split_whitespace()).unwrap();
    let mut out = Vec::new();
    remote_mcp_admin::run(
        &cli,
        store.as_ref(),
        &mut remote_mcp_admin::LinePasswords(&b""[..]),
        &mut out,
    )
    .await
    .unwrap();
    let created: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(created["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(created["client_secret"], Value::Null, "no secret exists");
    let client_id = created["client_id"].as_str().unwrap();
    let key = Key::ec();
    let (status, tokens) = world
        .token(
            &key.sign(&world.claims(client_id)),
            &[("grant_type", "client_credentials"), ("scope", "mcp")],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["refresh_token"], Value::Null);
    let (status, subject) = whoami(&world.origin, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(subject, Some(format!("client:{client_id}")));
    // A secret is no way in for a client that has none.
    let (status, _) = world
        .post(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", "guess"),
            ],
        )
        .await;
    assert_eq!(status, 401);
}

async fn registered_client_with_inline_jwks_authenticates_with_private_key_jwt(
    store: Arc<dyn Store>,
) {
    let world = World::new(store).await;
    let key = Key::ec();
    let registered: Value = http()
        .post(format!("{}/register", world.origin))
        .json(&json!({
            "client_name": "Agent with keys",
            "redirect_uris": ["https://agent.example/callback"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": key.jwks(),
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(registered["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(registered["jwks"], key.jwks(), "the key set is echoed");
    assert_eq!(registered["client_secret"], Value::Null);
    let client_id = registered["client_id"].as_str().unwrap();
    let pkce = Pkce::new();
    let code = world
        .code(client_id, "https://agent.example/callback", &pkce)
        .await;
    let (status, tokens) = world
        .token(
            &key.sign(&world.claims(client_id)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://agent.example/callback"),
                ("code_verifier", &pkce.verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    // Another client's key is not this client's.
    let (status, _) = world
        .authenticate(&Key::rsa_a().sign(&world.claims(client_id)))
        .await;
    assert_eq!(status, 401);
}

remote_mcp_testkit::both_stores! {
    chatgpt_document_full_code_flow => |store| chatgpt_connects_with_rs256_assertions(store),
    machine_client_es256 => |store| machine_client_uses_client_credentials_with_an_es256_assertion(store),
    registered_client_inline_jwks => |store| registered_client_with_inline_jwks_authenticates_with_private_key_jwt(store),
}

// ------------------------------------------------------------------ the rules, one by one

async fn world() -> World {
    World::new(remote_mcp_testkit::memory_store()).await
}

#[tokio::test]
async fn a_good_assertion_is_accepted_the_baseline_of_the_rules_below() {
    let world = world().await;
    let (status, body) = world
        .authenticate(&Key::rsa_a().sign(&world.claims(DOCUMENT)))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // The issuer is an audience as good as the token endpoint.
    let mut claims = world.claims(DOCUMENT);
    claims["aud"] = json!([world.origin]);
    let (status, _) = world.authenticate(&Key::rsa_a().sign(&claims)).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn rejects_assertion_signed_by_a_key_outside_the_clients_set() {
    let world = world().await;
    let mut forged = Key::rsa_b();
    forged.kid = "rsa-2026-a"; // claims to be the registered key
    world
        .refused(
            &forged.sign(&world.claims(DOCUMENT)),
            "signature does not verify",
        )
        .await;
}

#[tokio::test]
async fn rejects_alg_none_assertion() {
    let world = world().await;
    world
        .refused(
            &unsigned("none", &world.claims(DOCUMENT)),
            "only asymmetric",
        )
        .await;
}

#[tokio::test]
async fn rejects_hmac_assertion() {
    let world = world().await;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa-2026-a".into());
    let hmac = jsonwebtoken::encode(
        &header,
        &world.claims(DOCUMENT),
        &EncodingKey::from_secret(b"the public key as a secret"),
    )
    .unwrap();
    world.refused(&hmac, "only asymmetric").await;
}

#[tokio::test]
async fn rejects_assertion_whose_iss_or_sub_is_not_the_client() {
    let world = world().await;
    for claim in ["iss", "sub"] {
        let mut claims = world.claims(DOCUMENT);
        claims[claim] = json!("https://attacker.example/client.json");
        world
            .refused_as(
                &Key::rsa_a().sign(&claims),
                Some(DOCUMENT),
                "iss and sub must both be the client_id",
            )
            .await;
    }
}

#[tokio::test]
async fn rejects_assertion_for_another_audience() {
    let world = world().await;
    let mut claims = world.claims(DOCUMENT);
    claims["aud"] = json!("https://other-server.example/token");
    world
        .refused(&Key::rsa_a().sign(&claims), "aud must contain")
        .await;
}

#[tokio::test]
async fn rejects_expired_assertion() {
    let world = world().await;
    let mut claims = world.claims(DOCUMENT);
    claims["iat"] = json!(world.now() - 400);
    claims["exp"] = json!(world.now() - 100);
    world.refused(&Key::rsa_a().sign(&claims), "expired").await;
}

#[tokio::test]
async fn rejects_assertion_living_longer_than_ten_minutes() {
    let world = world().await;
    let mut claims = world.claims(DOCUMENT);
    claims["exp"] = json!(world.now() + 3600);
    world
        .refused(&Key::rsa_a().sign(&claims), "lives too long")
        .await;
}

#[tokio::test]
async fn rejects_assertion_without_jti() {
    let world = world().await;
    let mut claims = world.claims(DOCUMENT);
    claims.as_object_mut().unwrap().remove("jti");
    world
        .refused(&Key::rsa_a().sign(&claims), "jti is required")
        .await;
}

#[tokio::test]
async fn rejects_replayed_assertion_jti() {
    let world = world().await;
    let assertion = Key::rsa_a().sign(&world.claims(DOCUMENT));
    let (status, _) = world.authenticate(&assertion).await;
    assert_eq!(status, 400, "the first use authenticates");
    world.refused(&assertion, "already used").await;
}

#[tokio::test]
async fn rejects_client_id_alone_for_a_private_key_jwt_client() {
    let world = world().await;
    let (status, body) = world
        .post(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", "c"),
                ("client_id", DOCUMENT),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

#[tokio::test]
async fn rejects_unknown_client_assertion_type() {
    let world = world().await;
    let (status, body) = world
        .post(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", "c"),
                ("client_assertion_type", "urn:example:saml"),
                ("client_assertion", "x"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

// ------------------------------------------------------------------ keys over time, other endpoints

#[tokio::test]
async fn a_rotated_key_is_fetched_on_an_unknown_kid_at_most_once_a_minute() {
    let world = world().await;
    let (old, new) = (Key::rsa_a(), Key::rsa_b());
    assert_eq!(
        world
            .authenticate(&old.sign(&world.claims(DOCUMENT)))
            .await
            .0,
        400
    );
    assert_eq!(world.chatgpt.jwks_served.load(Ordering::SeqCst), 1);
    // ChatGPT rotates: the new key is published beside the old one.
    let both = json!({"keys": [old.jwks()["keys"][0], new.jwks()["keys"][0]]});
    *world.chatgpt.jwks.lock().unwrap() = both;
    // Within the floor, an unknown kid fetches nothing, however often it comes.
    for _ in 0..3 {
        world
            .refused(&new.sign(&world.claims(DOCUMENT)), "not in the key set")
            .await;
    }
    assert_eq!(world.chatgpt.jwks_served.load(Ordering::SeqCst), 1);
    // After it, the first assertion with the new key fetches the set once, and passes.
    world.clock.advance(Duration::from_secs(61));
    assert_eq!(
        world
            .authenticate(&new.sign(&world.claims(DOCUMENT)))
            .await
            .0,
        400
    );
    assert_eq!(
        world
            .authenticate(&new.sign(&world.claims(DOCUMENT)))
            .await
            .0,
        400
    );
    assert_eq!(world.chatgpt.jwks_served.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn revoke_and_introspect_take_the_same_assertion_rules() {
    let world = world().await;
    let key = Key::rsa_a();
    let pkce = Pkce::new();
    let code = world.code(DOCUMENT, REDIRECT, &pkce).await;
    let (_, tokens) = world
        .token(
            &key.sign(&world.claims(DOCUMENT)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &pkce.verifier),
            ],
        )
        .await;
    let access = tokens["access_token"].as_str().unwrap();
    let with = |assertion: &str, path: &'static str| {
        let body = [
            ("client_assertion_type", ASSERTION_TYPE.to_owned()),
            ("client_assertion", assertion.to_owned()),
            ("token", access.to_owned()),
        ];
        let world = &world;
        async move {
            let pairs: Vec<(&str, &str)> = body.iter().map(|(k, v)| (*k, v.as_str())).collect();
            world.post(path, &pairs).await
        }
    };
    let assertion = key.sign(&world.claims(DOCUMENT));
    let (status, introspected) = with(&assertion, "/introspect").await;
    assert_eq!(status, 200, "{introspected}");
    assert_eq!(introspected["active"], true);
    // The same assertion again: replayed, at either endpoint.
    let (status, body) = with(&assertion, "/introspect").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = with(&assertion, "/revoke").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // An expired one.
    let mut expired = world.claims(DOCUMENT);
    expired["exp"] = json!(world.now() - 100);
    assert_eq!(with(&key.sign(&expired), "/revoke").await.0, 401);
    // A good one revokes.
    let (status, _) = with(&key.sign(&world.claims(DOCUMENT)), "/revoke").await;
    assert_eq!(status, 200);
    assert_eq!(whoami(&world.origin, access).await.0, 401);
}
