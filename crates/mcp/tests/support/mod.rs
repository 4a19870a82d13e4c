//! A test client for the resource server: tokens signed with a local key (as the authorization
//! server would), requests through `router().oneshot`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use mcp_function::{AppState, router};
use remote_mcp_core::secret::Secret;
use remote_mcp_core::token::{AccessClaims, LocalSigner, encode};
use remote_mcp_core::{Clock, Config, MemoryStore, UnixTime};
use serde_json::{Value, json};
use std::sync::Arc;

pub const ISSUER: &str = "https://mcp.example.com";
pub const RESOURCE: &str = "https://mcp.example.com/mcp";
pub const HOST: &str = "mcp.example.com";

pub use remote_mcp_testkit::Reply;

pub struct Server {
    pub state: AppState,
    pub signer: Arc<LocalSigner>,
    /// The one table both functions share (the tests play the authorization server's part).
    pub store: Arc<MemoryStore>,
    pub clock: Clock,
}

impl Server {
    pub fn new() -> Self {
        Self::configured(|_| {})
    }

    /// A server whose configuration `configure` adjusts.
    pub fn configured(configure: impl FnOnce(&mut Config)) -> Self {
        let signer = Arc::new(LocalSigner::generate());
        let mut config = Config::local(ISSUER).unwrap();
        configure(&mut config);
        let store = Arc::new(MemoryStore::new());
        let clock = Clock::manual(UnixTime::now());
        let state = AppState::new(config, store.clone(), store.clone(), signer.clone())
            .with_clock(clock.clone());
        Self {
            state,
            signer,
            store,
            clock,
        }
    }

    /// Sends every request through rmcp, none through the direct answers.
    pub fn through_rmcp_only(mut self) -> Self {
        self.state = self.state.through_rmcp_only();
        self
    }

    /// Makes the records a token of `claims` stands on exist, as the authorization server would
    /// have left them: its client and, for a person's token, its grant.
    pub async fn back(&self, claims: &AccessClaims) {
        remote_mcp_testkit::records::back(self.store.as_ref(), claims, self.clock.now()).await;
    }

    pub fn claims(&self, sub: &str, scope: &str) -> AccessClaims {
        let now = self.clock.now().seconds();
        AccessClaims {
            iss: ISSUER.into(),
            sub: sub.into(),
            aud: RESOURCE.into(),
            client_id: "client-1".into(),
            scope: scope.into(),
            iat: now,
            exp: now + 3600,
            jti: format!("jti-{now}-{sub}-{}", Secret::generate().expose()),
            gid: Some(format!("grant-{sub}")),
            email: None,
            name: None,
        }
    }

    /// Signs `claims`, with the client and grant they name in place.
    pub async fn sign(&self, claims: &AccessClaims) -> String {
        self.back(claims).await;
        encode(claims, self.signer.as_ref()).await.unwrap()
    }

    pub async fn token(&self, sub: &str, scope: &str) -> String {
        self.sign(&self.claims(sub, scope)).await
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        remote_mcp_testkit::oneshot(router(self.state.clone()), request).await
    }

    /// POSTs a JSON-RPC message to `path` with the usual MCP headers plus `extra`.
    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut request = Request::post(path)
            .header("host", HOST)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// A legacy-era request (after `initialize`), with `MCP-Protocol-Version: 2025-06-18`.
    pub async fn rpc(&self, token: &str, method: &str, params: Value) -> Reply {
        let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
        self.post(
            "/mcp",
            Some(token),
            &body,
            &[("mcp-protocol-version", "2025-06-18")],
        )
        .await
    }

    /// Calls a tool; returns the `CallToolResult`.
    pub async fn call(&self, token: &str, tool: &str, arguments: Value) -> Value {
        let reply = self
            .rpc(
                token,
                "tools/call",
                json!({"name": tool, "arguments": arguments}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.result()
    }
}

/// Claude's September 2025 `initialize` body (empty capabilities).
pub fn initialize(version: &str) -> Value {
    json!({"method": "initialize", "params": {"protocolVersion": version, "capabilities": {},
           "clientInfo": {"name": "claude-ai", "version": "0.1.0"}}, "jsonrpc": "2.0", "id": 0})
}
