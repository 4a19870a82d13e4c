//! The least work per request, counted: every DynamoDB call (on DynamoDB Local, by operation) and
//! every signature each operation costs, through HTTP. The README's table ("Work per request")
//! lists the same counts; a change that adds a call fails here first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use remote_mcp_core::{Config, Store};
use remote_mcp_local::dev_user;
use remote_mcp_testkit::{CountingSigner, Counts, Pkce, counted_dynamo_store, form, hidden_field};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use support::{EMAIL, PASSWORD, query_param};

const REDIRECT: &str = "https://claude.ai/api/mcp/auth_callback";

fn counted(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

async fn serve(store: Arc<dyn Store>, counts: &Counts) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let config = Config::local(&origin).unwrap();
    let signer = Arc::new(CountingSigner::new(counts));
    let oauth =
        oauth_function::AppState::new(config.clone(), store.clone(), store.clone(), signer.clone());
    let mcp = mcp_function::AppState::new(config, store.clone(), store, signer);
    let app = oauth_function::router(oauth).merge(mcp_function::router(mcp));
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, app).await.unwrap()
    });
    origin
}

async fn whoami(origin: &str, token: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{origin}/mcp"))
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
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_operation_costs_the_calls_the_readme_lists() {
    let counts = Counts::default();
    let store: Arc<dyn Store> = Arc::new(counted_dynamo_store(&counts).await);
    dev_user(store.as_ref(), EMAIL, Some(PASSWORD.into()))
        .await
        .unwrap();
    let origin = serve(store, &counts).await;
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    counts.take();

    let registered: Value = http
        .post(format!("{origin}/register"))
        .json(
            &json!({"client_name": "Counted", "redirect_uris": [REDIRECT],
                      "token_endpoint_auth_method": "none"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = registered["client_id"].as_str().unwrap().to_owned();
    let register = counts.take();

    let pkce = Pkce::new();
    let resource = format!("{origin}/mcp");
    let page = http
        .get(format!(
            "{origin}/authorize?{}",
            form(&[
                ("response_type", "code"),
                ("client_id", &client_id),
                ("redirect_uri", REDIRECT),
                ("scope", "mcp"),
                ("state", "s"),
                ("code_challenge", &pkce.challenge),
                ("code_challenge_method", "S256"),
                ("resource", &resource),
            ])
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let consent_page = counts.take();
    let transaction = hidden_field(&page, "transaction").unwrap();
    let approved = http
        .post(format!("{origin}/authorize"))
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
    let code = query_param(approved.headers()["location"].to_str().unwrap(), "code").unwrap();
    let approve = counts.take();

    let tokens: Value = http
        .post(format!("{origin}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &client_id),
            ("code_verifier", &pkce.verifier),
            ("resource", &resource),
        ]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let exchange = counts.take();
    let refreshed: Value = http
        .post(format!("{origin}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", &client_id),
            ("resource", &resource),
        ]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = counts.take();
    let token = refreshed["access_token"].as_str().unwrap();

    assert!(whoami(&origin, token).await["result"].is_object());
    let first_sight = counts.take();
    assert!(whoami(&origin, token).await["result"].is_object());
    let cached = counts.take();

    let report = [
        ("register", &register),
        ("consent page", &consent_page),
        ("approve", &approve),
        ("code exchange", &exchange),
        ("refresh", &refresh),
        ("tools/call, first sight", &first_sight),
        ("tools/call, cached", &cached),
    ];
    for (operation, counts) in &report {
        println!("{operation}: {counts:?}");
    }
    let expected = [
        // The client's record, and the per-source registration counter.
        ("register", counted(&[("PutItem", 1), ("UpdateItem", 1)])),
        // The client; the consent transaction; the anonymous-write counter.
        (
            "consent page",
            counted(&[("GetItem", 1), ("PutItem", 1), ("UpdateItem", 1)]),
        ),
        // Sign-in (user, throttle counters, session), the consent taken once, the code written.
        (
            "approve",
            counted(&[
                ("DeleteItem", 1),
                ("GetItem", 4),
                ("PutItem", 2),
                ("UpdateItem", 6),
            ]),
        ),
        // The client (its authentication), the code; the code taken and the grant written in one
        // transaction; one signature. The person's e-mail and name come with the code.
        (
            "code exchange",
            counted(&[("GetItem", 2), ("Sign", 1), ("TransactWriteItems", 1)]),
        ),
        // The client (its authentication) and the grant in one read, the grant rotated by one
        // conditional write against it, one signature. The person comes with the grant.
        (
            "refresh",
            counted(&[("BatchGetItem", 1), ("PutItem", 1), ("Sign", 1)]),
        ),
        // The revocation check: the grant, the client, the token's id.
        ("tools/call, first sight", counted(&[("GetItem", 3)])),
        ("tools/call, cached", counted(&[])),
    ];
    for ((operation, measured), (named, expected)) in report.iter().zip(&expected) {
        assert_eq!(operation, named);
        assert_eq!(*measured, expected, "{operation}");
    }
}
