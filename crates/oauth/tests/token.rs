//! The token endpoint, refresh rotation, client authentication, revocation and introspection.
//! The full flows run on both stores; the races run on DynamoDB Local.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use remote_mcp_core::UnixTime;
use remote_mcp_core::model::{Client, ClientCredential, ClientId, ClientMetadata, Registration};
use remote_mcp_core::secret::Secret;
use serde_json::{Value, json};
use support::*;

/// Form fields or headers.
type Pairs<'a> = Vec<(&'a str, &'a str)>;

fn with<'a>(base: &[(&'a str, &'a str)], extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = base.to_vec();
    v.extend_from_slice(extra);
    v
}

fn assert_oauth_error(reply: &Reply, status: StatusCode, error: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.json()["error"], error, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

async fn full_flow(s: &Server, redirect: &str) {
    let client = s.public_client(redirect).await;
    let tokens = s.tokens(&client, redirect).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(
        tokens["scope"], "mcp mcp:write",
        "no scope asked: every scope"
    );
    assert_eq!(tokens["expires_in"], 3600);
    let claims = s
        .state
        .verifier
        .get()
        .await
        .unwrap()
        .verify(tokens["access_token"].as_str().unwrap(), UnixTime::now())
        .unwrap();
    assert_eq!(claims.aud, RESOURCE, "audience-bound to the MCP resource");
    assert_eq!(claims.client_id, client);
    assert_eq!(claims.iss, ISSUER);

    let first = tokens["refresh_token"].as_str().unwrap();
    let rotated = s.refresh(&client, first, &[]).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    assert_eq!(rotated.header("cache-control"), Some("no-store"));
    let second = rotated.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first, "refresh tokens rotate");

    let revoked = s
        .post_form(
            "/revoke",
            &[("token", &second), ("client_id", &client)],
            &[],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_oauth_error(
        &s.refresh(&client, &second, &[]).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
}

remote_mcp_testkit::both_stores! {
    full_flow_loopback => |store| async { full_flow(&Server::with_store(store).await, LOOPBACK).await },
    full_flow_claude_callback => |store| async {
        full_flow(&Server::with_store(store).await, CLAUDE_CALLBACK).await
    },
}

/// OAuth 2.1 §4.3.1 through HTTP, on the server's clock: once the grace has passed, presenting
/// the rotated-out token is a replay, and a replay ends the grant (its newest token too).
#[tokio::test]
async fn refresh_replay_after_grace_revokes_grant() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let r1 = s.tokens(&client, CLAUDE_CALLBACK).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r2 = s.refresh(&client, &r1, &[]).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    s.clock
        .advance(s.state.config.lifetimes.refresh_grace + std::time::Duration::from_secs(1));
    assert_oauth_error(
        &s.refresh(&client, &r1, &[]).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    assert_oauth_error(
        &s.refresh(&client, &r2, &[]).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
}

/// RFC 6749 §4.1.2: a code lives minutes; one presented after its lifetime is `invalid_grant`.
#[tokio::test]
async fn expired_code_is_invalid_grant() {
    let s = Server::memory().await;
    let client = s.public_client(LOOPBACK).await;
    let pkce = Pkce::new();
    let code = s.code(&client, LOOPBACK, &pkce).await;
    s.clock.advance(s.state.config.lifetimes.authorization_code);
    assert_oauth_error(
        &s.exchange(&client, LOOPBACK, &code, &pkce.verifier).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
}

/// Authentication comes first: an unauthenticated caller learns `invalid_client` whatever else
/// is wrong with its request; an authenticated one learns what is wrong with the request.
#[tokio::test]
async fn invalid_client_wins_over_unsupported_grant_type() {
    let s = Server::memory().await;
    let unknown = s
        .post_form(
            "/token",
            &[("grant_type", "password"), ("client_id", "nobody")],
            &[],
        )
        .await;
    assert_oauth_error(&unknown, StatusCode::UNAUTHORIZED, "invalid_client");
    let client = s.public_client(LOOPBACK).await;
    let known = s
        .post_form(
            "/token",
            &[("grant_type", "password"), ("client_id", &client)],
            &[],
        )
        .await;
    assert_oauth_error(&known, StatusCode::BAD_REQUEST, "unsupported_grant_type");
}

#[tokio::test]
async fn claude_2025_exchange_without_resource_or_secret() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let pkce = Pkce::new();
    let page = s
        .authorize(
            &client,
            CLAUDE_CALLBACK,
            &pkce,
            &[("resource", ""), ("scope", "claudeai")],
        )
        .await;
    let code = s
        .decide(&page, "approve")
        .await
        .location_param("code")
        .unwrap();
    let reply = s
        .post_form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &client),
                ("code_verifier", &pkce.verifier),
                ("redirect_uri", CLAUDE_CALLBACK),
            ],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let claims = s
        .state
        .verifier
        .get()
        .await
        .unwrap()
        .verify(
            reply.json()["access_token"].as_str().unwrap(),
            UnixTime::now(),
        )
        .unwrap();
    assert_eq!(
        claims.aud, RESOURCE,
        "an omitted resource defaults to the canonical one"
    );
}

#[tokio::test]
async fn code_checks_fail_without_consuming_the_code() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let other = s.public_client(CLAUDE_CALLBACK).await;
    let pkce = Pkce::new();
    let code = s.code(&client, CLAUDE_CALLBACK, &pkce).await;
    let wrong_verifier = Pkce::new().verifier;
    for (rule, who, redirect, verifier, resource, error) in [
        (
            "the PKCE verifier must match the challenge (RFC 7636 §4.6)",
            &client,
            CLAUDE_CALLBACK,
            wrong_verifier.as_str(),
            RESOURCE,
            "invalid_grant",
        ),
        (
            "redirect_uri must repeat the authorization request's (RFC 6749 §4.1.3)",
            &client,
            "https://claude.ai/other",
            pkce.verifier.as_str(),
            RESOURCE,
            "invalid_grant",
        ),
        (
            "only the client the code was issued to may redeem it",
            &other,
            CLAUDE_CALLBACK,
            pkce.verifier.as_str(),
            RESOURCE,
            "invalid_grant",
        ),
        (
            "the resource may only name the one the code is bound to (RFC 8707)",
            &client,
            CLAUDE_CALLBACK,
            pkce.verifier.as_str(),
            "https://evil.example/mcp",
            "invalid_target",
        ),
    ] {
        let reply = s
            .post_form(
                "/token",
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("client_id", who),
                    ("redirect_uri", redirect),
                    ("code_verifier", verifier),
                    ("resource", resource),
                ],
                &[],
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{rule}: {}",
            reply.text
        );
        assert_eq!(reply.json()["error"], error, "{rule}: {}", reply.text);
    }
    let missing_verifier = s
        .post_form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &client),
                ("redirect_uri", CLAUDE_CALLBACK),
            ],
            &[],
        )
        .await;
    assert_oauth_error(
        &missing_verifier,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    let ok = s
        .exchange(&client, CLAUDE_CALLBACK, &code, &pkce.verifier)
        .await;
    assert_eq!(
        ok.status,
        StatusCode::OK,
        "the code survived the failed attempts"
    );
}

#[tokio::test]
async fn code_replay_is_refused_and_revokes_what_it_issued() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let pkce = Pkce::new();
    let code = s.code(&client, CLAUDE_CALLBACK, &pkce).await;
    let first = s
        .exchange(&client, CLAUDE_CALLBACK, &code, &pkce.verifier)
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let replay = s
        .exchange(&client, CLAUDE_CALLBACK, &code, &pkce.verifier)
        .await;
    assert_oauth_error(&replay, StatusCode::BAD_REQUEST, "invalid_grant");
    let refresh = first.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_oauth_error(
        &s.refresh(&client, &refresh, &[]).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
}

#[tokio::test]
async fn a_used_code_presented_by_another_client_does_not_revoke_the_grant() {
    let s = Server::memory().await;
    let owner = s.public_client(CLAUDE_CALLBACK).await;
    let stranger = s.public_client(CLAUDE_CALLBACK).await;
    let pkce = Pkce::new();
    let code = s.code(&owner, CLAUDE_CALLBACK, &pkce).await;
    let first = s
        .exchange(&owner, CLAUDE_CALLBACK, &code, &pkce.verifier)
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let foreign = s
        .exchange(&stranger, CLAUDE_CALLBACK, &code, &pkce.verifier)
        .await;
    assert_oauth_error(&foreign, StatusCode::BAD_REQUEST, "invalid_grant");
    let refresh = first.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        s.refresh(&owner, &refresh, &[]).await.status,
        StatusCode::OK,
        "the owner's grant is untouched"
    );
}

#[tokio::test]
async fn concurrent_double_redemption_has_one_winner_on_dynamodb_local() {
    let s = Server::dynamo().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let pkce = Pkce::new();
    let code = s.code(&client, CLAUDE_CALLBACK, &pkce).await;
    let attempts: Vec<_> = (0..10)
        .map(|_| {
            let (s, client, code, verifier) = (
                s.clone(),
                client.clone(),
                code.clone(),
                pkce.verifier.clone(),
            );
            tokio::spawn(async move {
                s.exchange(&client, CLAUDE_CALLBACK, &code, &verifier)
                    .await
                    .status
            })
        })
        .collect();
    let mut ok = 0;
    for a in attempts {
        ok += usize::from(a.await.unwrap() == StatusCode::OK);
    }
    assert_eq!(ok, 1, "exactly one exchange of a code succeeds");
}

#[tokio::test]
async fn parallel_refreshes_leave_one_live_token_on_dynamodb_local() {
    let s = Server::dynamo().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let tokens = s.tokens(&client, CLAUDE_CALLBACK).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let attempts: Vec<_> = (0..10)
        .map(|_| {
            let (s, client, refresh) = (s.clone(), client.clone(), refresh.clone());
            tokio::spawn(async move { s.refresh(&client, &refresh, &[]).await })
        })
        .collect();
    let mut issued = Vec::new();
    for a in attempts {
        let reply = a.await.unwrap();
        match reply.status {
            StatusCode::OK => {
                issued.push(reply.json()["refresh_token"].as_str().unwrap().to_owned())
            }
            _ => assert_eq!(reply.json()["error"], "invalid_grant"),
        }
    }
    issued.sort();
    issued.dedup();
    assert_eq!(
        issued.len(),
        1,
        "one rotation; every concurrent retry within the grace got the same successor"
    );
    let grant_id = remote_mcp_core::model::RefreshToken::parse(&refresh)
        .unwrap()
        .grant_id;
    let grant = s
        .store
        .grant(&grant_id, UnixTime::now())
        .await
        .unwrap()
        .expect("grant survives");
    assert!(
        remote_mcp_core::secret::SecretHash::of(&issued[0]).ct_eq(&grant.refresh.current),
        "and it is the live one"
    );
    assert_eq!(
        s.refresh(&client, &issued[0], &[]).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn refresh_grace_retry_is_idempotent_then_replay_revokes_the_grant() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let r1 = s.tokens(&client, CLAUDE_CALLBACK).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r2 = s.refresh(&client, &r1, &[]).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The client lost the response carrying r2 and retries with r1: it gets r2 again, every time.
    for _ in 0..3 {
        let retry = s.refresh(&client, &r1, &[]).await;
        assert_eq!(retry.status, StatusCode::OK, "{}", retry.text);
        assert_eq!(
            retry.json()["refresh_token"].as_str(),
            Some(r2.as_str()),
            "the same successor: no new member of the family"
        );
    }
    // r2 is used; from now on r1 is a replay, and a replay revokes the grant.
    let r3 = s.refresh(&client, &r2, &[]).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_oauth_error(
        &s.refresh(&client, &r1, &[]).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    assert_oauth_error(
        &s.refresh(&client, &r3, &[]).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
}

#[tokio::test]
async fn refresh_scope_and_resource_default_to_the_grant_and_only_narrow() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let pkce = Pkce::new();
    let page = s
        .authorize(
            &client,
            CLAUDE_CALLBACK,
            &pkce,
            &[("scope", "mcp mcp:write")],
        )
        .await;
    let code = s
        .decide(&page, "approve")
        .await
        .location_param("code")
        .unwrap();
    let tokens = s
        .exchange(&client, CLAUDE_CALLBACK, &code, &pkce.verifier)
        .await
        .json();
    assert_eq!(tokens["scope"], "mcp mcp:write");
    let r1 = tokens["refresh_token"].as_str().unwrap().to_owned();

    let widened = s
        .refresh(&client, &r1, &[("scope", "mcp mcp:write admin")])
        .await;
    assert_oauth_error(&widened, StatusCode::BAD_REQUEST, "invalid_scope");
    let foreign = s
        .refresh(&client, &r1, &[("resource", "https://evil.example/mcp")])
        .await;
    assert_oauth_error(&foreign, StatusCode::BAD_REQUEST, "invalid_target");
    let wrong_client = s
        .refresh(&s.public_client(CLAUDE_CALLBACK).await, &r1, &[])
        .await;
    assert_oauth_error(&wrong_client, StatusCode::BAD_REQUEST, "invalid_grant");

    // None of the failures consumed r1.
    let narrowed = s
        .refresh(
            &client,
            &r1,
            &[("scope", "mcp"), ("resource", "https://mcp.example.com/")],
        )
        .await;
    assert_eq!(narrowed.status, StatusCode::OK, "{}", narrowed.text);
    assert_eq!(narrowed.json()["scope"], "mcp");
    let r2 = narrowed.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let defaulted = s.refresh(&client, &r2, &[]).await;
    assert_eq!(
        defaulted.json()["scope"],
        "mcp mcp:write",
        "the grant keeps its scope"
    );
}

#[tokio::test]
async fn confidential_clients_authenticate_exactly_as_registered() {
    let s = Server::memory().await;
    for method in ["client_secret_post", "client_secret_basic"] {
        let body = s
            .register(
                json!({"redirect_uris": [CLAUDE_CALLBACK], "token_endpoint_auth_method": method,
                             "grant_types": ["authorization_code", "refresh_token"]}),
            )
            .await;
        let id = body["client_id"].as_str().unwrap();
        let secret = body["client_secret"].as_str().unwrap();
        let basic = format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
        let pkce = Pkce::new();
        let code = s.code(id, CLAUDE_CALLBACK, &pkce).await;
        let base = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CLAUDE_CALLBACK),
            ("code_verifier", pkce.verifier.as_str()),
        ];
        let attempts: Vec<(Pairs, Pairs, bool)> = vec![
            (with(&base, &[("client_id", id)]), vec![], false),
            (
                with(&base, &[("client_id", id), ("client_secret", "wrong")]),
                vec![],
                false,
            ),
            (
                with(&base, &[("client_id", id), ("client_secret", secret)]),
                vec![],
                method == "client_secret_post",
            ),
            (
                with(&base, &[]),
                vec![("authorization", basic.as_str())],
                method == "client_secret_basic",
            ),
        ];
        for (form, headers, ok) in attempts {
            let reply = s.post_form("/token", &form, &headers).await;
            if ok {
                assert_eq!(reply.status, StatusCode::OK, "{method}: {}", reply.text);
                break;
            }
            assert_oauth_error(&reply, StatusCode::UNAUTHORIZED, "invalid_client");
            assert!(reply.header("www-authenticate").is_some());
        }
    }
}

#[tokio::test]
async fn deleted_or_unknown_client_gets_401_invalid_client() {
    let s = Server::memory().await;
    let body = s
        .register(json!({"redirect_uris": [CLAUDE_CALLBACK], "token_endpoint_auth_method": "none"}))
        .await;
    let id = body["client_id"].as_str().unwrap().to_owned();
    let tokens = s.tokens(&id, CLAUDE_CALLBACK).await;
    s.store
        .delete_client(&remote_mcp_core::model::ClientId::new(&id))
        .await
        .unwrap();
    let reply = s
        .refresh(&id, tokens["refresh_token"].as_str().unwrap(), &[])
        .await;
    assert_oauth_error(&reply, StatusCode::UNAUTHORIZED, "invalid_client");
    let unknown = s.refresh("never-registered", "x.y", &[]).await;
    assert_oauth_error(&unknown, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn malformed_token_requests_get_oauth_errors() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let cases: Vec<(Pairs, StatusCode, &str)> = vec![
        (
            vec![("client_id", &client)],
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            vec![("grant_type", "password"), ("client_id", &client)],
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            vec![("grant_type", "implicit"), ("client_id", &client)],
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", &client),
                ("refresh_token", "garbage"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("client_id", &client),
                ("code", "garbage"),
                ("code_verifier", "x"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("grant_type", "refresh_token"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ];
    for (form, status, error) in cases {
        assert_oauth_error(&s.post_form("/token", &form, &[]).await, status, error);
    }
    let json_body = s
        .post_json("/token", &json!({"grant_type": "authorization_code"}))
        .await;
    assert_oauth_error(&json_body, StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn client_credentials_only_for_operator_machine_clients() {
    let s = Server::memory().await;
    // What `remote-mcp-admin client add-machine` stores.
    let secret = Secret::generate();
    let now = UnixTime::now();
    let machine = Client {
        id: ClientId::new("machine-1"),
        registered_by: Registration::Operator,
        credential: ClientCredential::ClientSecretPost {
            secret_hash: secret.hash(),
        },
        metadata: ClientMetadata {
            client_name: Some("nightly".into()),
            grant_types: vec!["client_credentials".into()],
            scope: Some("mcp".into()),
            ..ClientMetadata::default()
        },
        registration_token_hash: None,
        issued_at: now,
        expires_at: now + std::time::Duration::from_secs(3600),
    };
    s.store.save_client(&machine).await.unwrap();
    let reply = s
        .post_form(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "machine-1"),
                ("client_secret", secret.expose()),
            ],
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(reply.json().get("refresh_token").is_none());
    assert_eq!(
        reply.json()["scope"],
        "mcp",
        "the scopes the operator gave it"
    );

    // A confidential client that registered itself: never, whatever it asked for.
    let body = s
        .register(json!({"redirect_uris": [CLAUDE_CALLBACK], "token_endpoint_auth_method": "client_secret_post",
                         "grant_types": ["authorization_code", "client_credentials"]}))
        .await;
    assert_eq!(body["grant_types"], json!(["authorization_code"]));
    let reply = s
        .post_form(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", body["client_id"].as_str().unwrap()),
                ("client_secret", body["client_secret"].as_str().unwrap()),
            ],
            &[],
        )
        .await;
    assert_oauth_error(&reply, StatusCode::BAD_REQUEST, "unauthorized_client");
    let public = s.public_client(CLAUDE_CALLBACK).await;
    let reply = s
        .post_form(
            "/token",
            &[("grant_type", "client_credentials"), ("client_id", &public)],
            &[],
        )
        .await;
    assert_oauth_error(&reply, StatusCode::BAD_REQUEST, "unauthorized_client");
}

#[tokio::test]
async fn revocation_is_per_client_and_always_200_for_unknown_tokens() {
    let s = Server::memory().await;
    let owner = s.public_client(CLAUDE_CALLBACK).await;
    let intruder = s.public_client(CLAUDE_CALLBACK).await;
    let tokens = s.tokens(&owner, CLAUDE_CALLBACK).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    for token in ["unknown", "a.b", refresh] {
        let reply = s
            .post_form(
                "/revoke",
                &[("token", token), ("client_id", &intruder)],
                &[],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    assert_eq!(
        s.refresh(&owner, refresh, &[]).await.status,
        StatusCode::OK,
        "another client cannot revoke"
    );
}

#[tokio::test]
async fn access_token_revocation_shows_in_introspection() {
    let s = Server::memory().await;
    let body = s
        .register(json!({"redirect_uris": [CLAUDE_CALLBACK], "token_endpoint_auth_method": "client_secret_post",
                         "grant_types": ["authorization_code", "refresh_token"]}))
        .await;
    let (id, secret) = (
        body["client_id"].as_str().unwrap(),
        body["client_secret"].as_str().unwrap(),
    );
    let pkce = Pkce::new();
    let code = s.code(id, CLAUDE_CALLBACK, &pkce).await;
    let tokens: Value = s
        .post_form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CLAUDE_CALLBACK),
                ("code_verifier", &pkce.verifier),
                ("client_id", id),
                ("client_secret", secret),
            ],
            &[],
        )
        .await
        .json();
    let access = tokens["access_token"].as_str().unwrap();
    let introspect = |token: String| {
        let s = s.clone();
        async move {
            s.post_form(
                "/introspect",
                &[
                    ("token", &token),
                    ("client_id", id),
                    ("client_secret", secret),
                ],
                &[],
            )
            .await
            .json()
        }
    };
    let active = introspect(access.to_owned()).await;
    assert_eq!(active["active"], true);
    assert_eq!(active["aud"], RESOURCE);
    assert_eq!(
        introspect(tokens["refresh_token"].as_str().unwrap().to_owned()).await["active"],
        true
    );
    let revoked = s
        .post_form(
            "/revoke",
            &[
                ("token", access),
                ("client_id", id),
                ("client_secret", secret),
            ],
            &[],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(introspect(access.to_owned()).await["active"], false);
    assert_eq!(introspect("garbage".into()).await, json!({"active": false}));

    let public = s.public_client(CLAUDE_CALLBACK).await;
    let reply = s
        .post_form(
            "/introspect",
            &[("token", access), ("client_id", &public)],
            &[],
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "public clients cannot introspect"
    );
}

#[tokio::test]
async fn introspection_is_inactive_at_once_when_the_grant_is_revoked() {
    let s = Server::memory().await;
    let body = s
        .register(json!({"redirect_uris": [CLAUDE_CALLBACK], "token_endpoint_auth_method": "client_secret_post",
                         "grant_types": ["authorization_code", "refresh_token"]}))
        .await;
    let (id, secret) = (
        body["client_id"].as_str().unwrap(),
        body["client_secret"].as_str().unwrap(),
    );
    let pkce = Pkce::new();
    let code = s.code(id, CLAUDE_CALLBACK, &pkce).await;
    let tokens: Value = s
        .post_form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CLAUDE_CALLBACK),
                ("code_verifier", &pkce.verifier),
                ("client_id", id),
                ("client_secret", secret),
            ],
            &[],
        )
        .await
        .json();
    let access = tokens["access_token"].as_str().unwrap();
    let form = [
        ("token", access),
        ("client_id", id),
        ("client_secret", secret),
    ];
    let introspect = || s.post_form("/introspect", &form, &[]);
    assert_eq!(introspect().await.json()["active"], true);
    // Revoking the refresh token ends the grant; the access token is inactive at once, as it is
    // at /mcp within the revocation bound.
    let revoked = s
        .post_form(
            "/revoke",
            &[
                ("token", tokens["refresh_token"].as_str().unwrap()),
                ("client_id", id),
                ("client_secret", secret),
            ],
            &[],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(introspect().await.json(), json!({"active": false}));
}

#[tokio::test]
async fn jwks_publishes_the_signing_key() {
    let s = Server::memory().await;
    let jwks = s.get("/.well-known/jwks.json").await.json();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "EC");
    assert_eq!(key["crv"], "P-256");
    assert_eq!(key["alg"], "ES256");
    assert_eq!(key["use"], "sig");
    assert!(key["kid"].as_str().unwrap().len() == 43);
}

/// anthropics/claude-code#91641: concurrent Claude sessions share one refresh token. Two that
/// refresh it at once both get tokens (the same successor), and a session one rotation behind
/// keeps working within the grace; only a token older than that is a replay.
async fn concurrent_sessions_sharing_a_refresh_token_keep_working(s: Server) {
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let r1 = s.tokens(&client, CLAUDE_CALLBACK).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (a, b) = tokio::join!(s.refresh(&client, &r1, &[]), s.refresh(&client, &r1, &[]));
    assert_eq!(
        (a.status, b.status),
        (StatusCode::OK, StatusCode::OK),
        "{} {}",
        a.text,
        b.text
    );
    let r2 = a.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(b.json()["refresh_token"].as_str(), Some(r2.as_str()));
    // Session A rotates on; session B, one rotation behind, refreshes the token it holds.
    let r3 = s.refresh(&client, &r2, &[]).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let behind = s.refresh(&client, &r2, &[]).await;
    assert_eq!(behind.status, StatusCode::OK, "{}", behind.text);
    assert_eq!(behind.json()["refresh_token"].as_str(), Some(r3.as_str()));
    // Both go on with r3; the grant was never revoked.
    assert_eq!(s.refresh(&client, &r3, &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn claude_code_91641_concurrent_refreshes_and_a_session_one_rotation_behind_keep_working() {
    concurrent_sessions_sharing_a_refresh_token_keep_working(Server::memory().await).await;
    concurrent_sessions_sharing_a_refresh_token_keep_working(Server::dynamo().await).await;
}
