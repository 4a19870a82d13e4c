//! Who can get a token, and how revocation reaches the tools: over real HTTP against the app
//! `make run` serves, with the operator's side done by the admin CLI's own code on the same store.
//!
//! The revocation bound is set to zero here, so each revocation must show on the very next MCP
//! request; that the default bound (30 s) is honoured to the second is tested with a stepped clock
//! in `crates/mcp/src/revocation.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use clap::Parser;
use remote_mcp_admin::{Cli, LinePasswords, run};
use remote_mcp_core::Store;
use serde_json::{Value, json};
use std::time::Duration;
use support::*;

/// The app with revocation visible on the next request.
async fn serve_strict(store: std::sync::Arc<dyn Store>) -> (String, std::sync::Arc<dyn Store>) {
    let origin = serve_over(store.clone(), |config| {
        config.lifetimes.revocation_check = Duration::ZERO;
    })
    .await;
    (origin, store)
}

/// Runs `remote-mcp-admin <args>` (whitespace-separated) against `store`.
async fn admin(store: &dyn Store, args: &str) -> String {
    let cli =
        Cli::try_parse_from(std::iter::once("remote-mcp-admin").chain(args.split_whitespace()))
            .unwrap();
    let mut out = Vec::new();
    run(&cli, store, &mut LinePasswords(&b""[..]), &mut out)
        .await
        .unwrap();
    String::from_utf8(out).unwrap()
}

async fn token_request(origin: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let reply = http()
        .post(format!("{origin}/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    (reply.status().as_u16(), reply.json().await.unwrap())
}

fn access_token(session: &Session) -> String {
    session.tokens["access_token"].as_str().unwrap().to_owned()
}

fn refresh_token(session: &Session) -> String {
    session.tokens["refresh_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn open_registration_cannot_use_client_credentials() {
    let (origin, _) = serve_strict(remote_mcp_testkit::memory_store()).await;
    let register = |body: Value| http().post(format!("{origin}/register")).json(&body).send();
    let only_machine = register(json!({
        "client_name": "anyone", "redirect_uris": [CLAUDE_CALLBACK],
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["client_credentials"]
    }))
    .await
    .unwrap();
    assert_eq!(only_machine.status(), 400);
    let body: Value = only_machine.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client_metadata");

    let mixed: Value = register(json!({
        "client_name": "anyone", "redirect_uris": [CLAUDE_CALLBACK],
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["authorization_code", "client_credentials"]
    }))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        mixed["grant_types"],
        json!(["authorization_code"]),
        "{mixed}"
    );
    let (status, body) = token_request(
        &origin,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", mixed["client_id"].as_str().unwrap()),
            ("client_secret", mixed["client_secret"].as_str().unwrap()),
            ("scope", "mcp mcp:write"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "unauthorized_client");
}

async fn machine_clients_act_as_themselves_until_deleted(store: std::sync::Arc<dyn Store>) {
    let (origin, store) = serve_strict(store).await;
    let created: Value = serde_json::from_str(
        &admin(
            store.as_ref(),
            "--json client add-machine nightly-report --scope mcp --auth-method post",
        )
        .await,
    )
    .unwrap();
    let client_id = created["client_id"].as_str().unwrap();
    let secret = created["client_secret"].as_str().unwrap();
    let credentials = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
    ];

    let (status, body) = token_request(&origin, &credentials).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "mcp");
    assert!(body.get("refresh_token").is_none(), "no refresh token");
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        whoami(&origin, &token).await,
        (200, Some(format!("client:{client_id}"))),
        "its own subject, never a user's"
    );

    let mut wider = credentials.to_vec();
    wider.push(("scope", "mcp mcp:write"));
    let (status, body) = token_request(&origin, &wider).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );

    assert!(
        admin(store.as_ref(), &format!("client delete {client_id}"))
            .await
            .starts_with("deleted client")
    );
    assert_eq!(
        whoami(&origin, &token).await.0,
        401,
        "deleted: its token stops"
    );
    let (status, body) = token_request(&origin, &credentials).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

#[tokio::test]
async fn revoked_grant_stops_working_at_mcp_within_the_bound() {
    let (origin, store) = serve_strict(remote_mcp_testkit::memory_store()).await;
    let session = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let token = access_token(&session);
    assert_eq!(whoami(&origin, &token).await.0, 200);
    let grants: Value =
        serde_json::from_str(&admin(store.as_ref(), "--json grant list").await).unwrap();
    let grant_id = grants[0]["grant_id"].as_str().unwrap();
    admin(store.as_ref(), &format!("grant revoke {grant_id}")).await;
    assert_eq!(whoami(&origin, &token).await.0, 401);
    let (status, body) = token_request(
        &origin,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token(&session)),
            ("client_id", &session.client_id),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn rfc7009_revocation_reaches_mcp_for_access_and_refresh_tokens() {
    let (origin, _) = serve_strict(remote_mcp_testkit::memory_store()).await;
    let revoke = |session: &Session, token: String| {
        let client_id = session.client_id.clone();
        let origin = origin.clone();
        async move {
            let reply = http()
                .post(format!("{origin}/revoke"))
                .form(&[("token", token.as_str()), ("client_id", client_id.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(reply.status(), 200);
        }
    };
    // The access token itself.
    let session = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let token = access_token(&session);
    assert_eq!(whoami(&origin, &token).await.0, 200);
    revoke(&session, token.clone()).await;
    assert_eq!(whoami(&origin, &token).await.0, 401);
    // The refresh token revokes the grant, and with it the access token.
    let session = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let token = access_token(&session);
    assert_eq!(whoami(&origin, &token).await.0, 200);
    revoke(&session, refresh_token(&session)).await;
    assert_eq!(whoami(&origin, &token).await.0, 401);
}

#[tokio::test]
async fn disabling_a_user_ends_every_grant_at_once() {
    let (origin, store) = serve_strict(remote_mcp_testkit::memory_store()).await;
    let first = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let second = authorize(
        &origin,
        "http://127.0.0.1/callback",
        "http://127.0.0.1:4242/callback",
        "mcp",
    )
    .await;
    assert!(
        admin(store.as_ref(), &format!("user disable {EMAIL}"))
            .await
            .contains("revoked 2 grant(s)")
    );
    for session in [&first, &second] {
        assert_eq!(whoami(&origin, &access_token(session)).await.0, 401);
        let (status, body) = token_request(
            &origin,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh_token(session)),
                ("client_id", &session.client_id),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
    }
}

#[tokio::test]
async fn deleting_a_client_stops_its_tokens_at_mcp() {
    let (origin, store) = serve_strict(remote_mcp_testkit::memory_store()).await;
    let session = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let token = access_token(&session);
    assert_eq!(whoami(&origin, &token).await.0, 200);
    admin(
        store.as_ref(),
        &format!("client delete {}", session.client_id),
    )
    .await;
    assert_eq!(whoami(&origin, &token).await.0, 401);
}

#[tokio::test]
async fn a_planted_consent_cookie_is_never_adopted_on_http() {
    let (origin, _) = serve_strict(remote_mcp_testkit::memory_store()).await;
    let client: Value = http()
        .post(format!("{origin}/register"))
        .json(&json!({"redirect_uris": [CLAUDE_CALLBACK], "token_endpoint_auth_method": "none"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let planted = "mcp-consent=PlantedByAnotherLoopbackPort0000000000000";
    let page = http()
        .get(format!("{origin}/authorize"))
        .header("cookie", planted)
        .query(&[
            ("response_type", "code"),
            ("client_id", client["client_id"].as_str().unwrap()),
            ("redirect_uri", CLAUDE_CALLBACK),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let issued = page.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(issued.starts_with("mcp-consent="));
    assert!(!issued.contains("PlantedByAnotherLoopbackPort"), "{issued}");
    let html = page.text().await.unwrap();
    let marker = "name=\"transaction\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let transaction = html[start..].split('"').next().unwrap();
    // Approving with the planted value (as a forged cross-site form would) is refused.
    let approved = http()
        .post(format!("{origin}/authorize"))
        .header("cookie", planted)
        .form(&[
            ("transaction", transaction),
            ("decision", "approve"),
            ("email", EMAIL),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(approved.status(), 303, "no code for a planted binding");
}

remote_mcp_testkit::both_stores! {
    machine_clients_act_as_themselves => |store| machine_clients_act_as_themselves_until_deleted(store),
}
