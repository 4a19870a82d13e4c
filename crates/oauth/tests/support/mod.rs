//! A test client for the authorization server: requests go through `router().oneshot`, exactly as
//! API Gateway would deliver them, and only HTTP is asserted.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use oauth_function::cimd::CimdResolver;
use oauth_function::{AppState, router};
use remote_mcp_core::model::User;
use remote_mcp_core::token::LocalSigner;
use remote_mcp_core::{Clock, Config, MemoryStore, Store, UnixTime, password};
use serde_json::{Value, json};
use std::sync::Arc;

pub const ISSUER: &str = "https://mcp.example.com";
pub const RESOURCE: &str = "https://mcp.example.com/mcp";
pub const CLAUDE_CALLBACK: &str = "https://claude.ai/api/mcp/auth_callback";
pub const LOOPBACK: &str = "http://127.0.0.1/callback";
/// The user every flow signs in as.
pub const EMAIL: &str = "alice@example.com";
pub const PASSWORD: &str = "correct horse battery staple";

pub use remote_mcp_testkit::{Pkce, Reply};

/// The server under test.
#[derive(Clone)]
pub struct Server {
    pub state: AppState,
    /// The table behind it, for what an operator does beside the HTTP API.
    pub store: Arc<dyn Store>,
    /// The server's time; tests step it to reach expiry and grace.
    pub clock: Clock,
}

impl Server {
    pub async fn with_store(store: Arc<dyn Store>) -> Self {
        let clock = Clock::manual(UnixTime::now());
        let state = AppState::new(
            Config::local(ISSUER).unwrap(),
            store.clone(),
            store.clone(),
            Arc::new(LocalSigner::generate()),
        )
        .with_cimd(CimdResolver::pinned_only())
        .with_clock(clock.clone());
        let server = Self {
            state,
            store,
            clock,
        };
        server.add_user(EMAIL, PASSWORD).await;
        server
    }

    pub async fn memory() -> Self {
        Self::with_store(Arc::new(MemoryStore::new())).await
    }

    /// Creates an account; returns its id (the token `sub`).
    pub async fn add_user(&self, email: &str, password: &str) -> String {
        let user = User::new(
            email.to_owned(),
            password::hash(password).unwrap(),
            self.clock.now(),
        );
        self.store.create_user(&user).await.unwrap();
        user.id
    }

    pub async fn dynamo() -> Self {
        Self::with_store(remote_mcp_testkit::fresh_dynamo_store().await).await
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        remote_mcp_testkit::oneshot(router(self.state.clone()), request).await
    }

    pub async fn get(&self, path_and_query: &str) -> Reply {
        self.send(Request::get(path_and_query).body(Body::empty()).unwrap())
            .await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    pub async fn post_form(
        &self,
        path: &str,
        pairs: &[(&str, &str)],
        extra: &[(&str, &str)],
    ) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let mut request =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// Registers a client; returns the 201 body.
    pub async fn register(&self, body: Value) -> Value {
        let reply = self.post_json("/register", &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.json()
    }

    /// Registers a public client (Claude's 2026 body) with one redirect URI.
    pub async fn public_client(&self, redirect: &str) -> String {
        let body = self
            .register(json!({
                "client_name": "Claude",
                "redirect_uris": [redirect],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "none"
            }))
            .await;
        body["client_id"].as_str().unwrap().to_owned()
    }

    /// `GET /authorize` with the usual parameters plus `extra` (an empty value removes one).
    pub async fn authorize(
        &self,
        client_id: &str,
        redirect: &str,
        pkce: &Pkce,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut params: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
            ("state", "st4te"),
            ("resource", RESOURCE),
        ];
        for (k, v) in extra {
            params.retain(|(name, _)| name != k);
            if !v.is_empty() {
                params.push((k, v));
            }
        }
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        self.get(&format!("/authorize?{query}")).await
    }

    /// Submits the consent form of `page` with `decision`, from the same browser, signing in as
    /// [`EMAIL`] when approving.
    pub async fn decide(&self, page: &Reply, decision: &str) -> Reply {
        let credentials: &[(&str, &str)] = if decision == "approve" {
            &[("email", EMAIL), ("password", PASSWORD)]
        } else {
            &[]
        };
        self.submit(page, decision, credentials, None).await
    }

    /// Submits the consent form of `page` with extra form fields and, optionally, a session cookie.
    pub async fn submit(
        &self,
        page: &Reply,
        decision: &str,
        fields: &[(&str, &str)],
        session: Option<&str>,
    ) -> Reply {
        let transaction = hidden_field(&page.text, "transaction");
        let mut cookie = browser_cookie(page);
        if let Some(session) = session {
            cookie = format!("{cookie}; {session}");
        }
        let mut form = vec![
            ("transaction", transaction.as_str()),
            ("decision", decision),
        ];
        form.extend_from_slice(fields);
        self.post_form("/authorize", &form, &[("cookie", &cookie)])
            .await
    }

    /// Authorize and approve; returns the code.
    pub async fn code(&self, client_id: &str, redirect: &str, pkce: &Pkce) -> String {
        let page = self.authorize(client_id, redirect, pkce, &[]).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let reply = self.decide(&page, "approve").await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
        reply.location_param("code").expect("a code")
    }

    /// Exchanges a code at the token endpoint as a public client.
    pub async fn exchange(
        &self,
        client_id: &str,
        redirect: &str,
        code: &str,
        verifier: &str,
    ) -> Reply {
        self.post_form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("client_id", client_id),
                ("redirect_uri", redirect),
                ("code_verifier", verifier),
                ("resource", RESOURCE),
            ],
            &[],
        )
        .await
    }

    /// A full public-client flow; returns the token response.
    pub async fn tokens(&self, client_id: &str, redirect: &str) -> Value {
        let pkce = Pkce::new();
        let code = self.code(client_id, redirect, &pkce).await;
        let reply = self
            .exchange(client_id, redirect, &code, &pkce.verifier)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.json()
    }

    pub async fn refresh(
        &self,
        client_id: &str,
        refresh_token: &str,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut pairs = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ];
        pairs.extend_from_slice(extra);
        self.post_form("/token", &pairs, &[]).await
    }
}

/// The `name=value` of the browser-binding cookie a consent page set.
pub fn browser_cookie(page: &Reply) -> String {
    page.headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.contains("mcp-consent="))
        .expect("the consent page sets its binding cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The `name=value` of the session cookie a successful sign-in set.
pub fn session_cookie(reply: &Reply) -> Option<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.contains("mcp-session="))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

/// The value of a hidden form field in a page.
pub fn hidden_field(html: &str, name: &str) -> String {
    remote_mcp_testkit::hidden_field(html, name)
        .unwrap_or_else(|| panic!("no field {name} in {html}"))
}
