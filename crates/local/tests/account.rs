//! Connected apps at `/account`, through HTTP on both stores: a person signs in, sees the app
//! they approved, and disconnects it (its refresh token fails at once); nobody else can see or
//! disconnect it, by guessing its id or by a forged form.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use remote_mcp_core::Store;
use remote_mcp_local::dev_user;
use remote_mcp_testkit::hidden_field;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use support::{CLAUDE_CALLBACK, EMAIL, PASSWORD, authorize, serve, serve_over, whoami};

const OTHER_EMAIL: &str = "someone-else@example.com";
const OTHER_PASSWORD: &str = "another long password";

/// A browser signed in on `/account` as `email`.
async fn signed_in(origin: &str, email: &str, password: &str) -> reqwest::Client {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser
        .get(format!("{origin}/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Sign in to see your connected apps"));
    let token = hidden_field(&html, "sign_in_token").unwrap();
    let signed = browser
        .post(format!("{origin}/account"))
        .form(&[
            ("sign_in_token", token.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    browser
}

async fn account_page(browser: &reqwest::Client, origin: &str) -> String {
    let page = browser
        .get(format!("{origin}/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert!(
        page.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-store")
    );
    page.text().await.unwrap()
}

async fn disconnect(
    browser: &reqwest::Client,
    origin: &str,
    grant: &str,
    form_token: &str,
) -> StatusCode {
    browser
        .post(format!("{origin}/account"))
        .form(&[("disconnect", grant), ("form_token", form_token)])
        .send()
        .await
        .unwrap()
        .status()
}

async fn refresh(origin: &str, client_id: &str, token: &str) -> (u16, Value) {
    let reply = reqwest::Client::new()
        .post(format!("{origin}/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", client_id),
        ])
        .send()
        .await
        .unwrap();
    (reply.status().as_u16(), reply.json().await.unwrap())
}

async fn connected_apps(store: Arc<dyn Store>) {
    dev_user(store.as_ref(), OTHER_EMAIL, Some(OTHER_PASSWORD.into()))
        .await
        .unwrap();
    // Revocation checked on every request (the bound itself is `revocation.rs`'s to test).
    let origin = serve_over(store.clone(), |config| {
        config.lifetimes.revocation_check = std::time::Duration::ZERO;
    })
    .await;
    let session = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let refresh_token = session.tokens["refresh_token"].as_str().unwrap().to_owned();
    let grant = refresh_token.split('.').next().unwrap().to_owned();

    // The owner sees the app: its name, where its codes go, how it registered, its scopes.
    let owner = signed_in(&origin, EMAIL, PASSWORD).await;
    let page = account_page(&owner, &origin).await;
    assert!(
        page.contains(&format!("Connected apps of {EMAIL}")),
        "{page}"
    );
    assert!(
        page.contains("remote-mcp-token") && page.contains("claude.ai"),
        "{page}"
    );
    assert!(
        page.contains("registered itself") && page.contains(">Read your data<"),
        "{page}"
    );
    assert_eq!(
        hidden_field(&page, "disconnect").as_deref(),
        Some(grant.as_str())
    );
    let owners_token = hidden_field(&page, "form_token").unwrap();

    // "Last used": not yet, until the app's token is used at the MCP function.
    assert!(page.contains("<td>not yet</td>"), "{page}");
    let access_token = session.tokens["access_token"].as_str().unwrap();
    assert_eq!(whoami(&origin, access_token).await.0, 200);
    let page = account_page(&owner, &origin).await;
    assert!(!page.contains("<td>not yet</td>"), "{page}");
    let year = remote_mcp_core::time::iso8601(remote_mcp_core::UnixTime::now());
    assert!(
        page.matches(&year[..4]).count() >= 2,
        "connected and last used: {page}"
    );

    // Someone else sees nothing of it and cannot disconnect it, even with the id.
    let stranger = signed_in(&origin, OTHER_EMAIL, OTHER_PASSWORD).await;
    let strangers_page = account_page(&stranger, &origin).await;
    assert!(
        strangers_page.contains("No apps are connected."),
        "{strangers_page}"
    );
    assert!(!strangers_page.contains(&grant));
    assert_eq!(
        hidden_field(&strangers_page, "disconnect"),
        None,
        "nothing to disconnect"
    );
    let guessed = disconnect(&stranger, &origin, &grant, "").await;
    assert_eq!(guessed, StatusCode::FORBIDDEN, "no form token, no action");
    // A form token is the session's own: the owner's token does not work in another session...
    assert_eq!(
        disconnect(&stranger, &origin, &grant, &owners_token).await,
        StatusCode::FORBIDDEN
    );
    // ...nor does the owner's session act without its token (a forged cross-site form).
    assert_eq!(
        disconnect(&owner, &origin, &grant, "forged").await,
        StatusCode::FORBIDDEN
    );
    let (status, _) = refresh(&origin, &session.client_id, &refresh_token).await;
    assert_eq!(status, 200, "the app is still connected");

    // The owner disconnects it: the refresh token fails at once, and the page no longer lists it.
    let page = account_page(&owner, &origin).await;
    let token = hidden_field(&page, "form_token").unwrap();
    assert_eq!(
        disconnect(&owner, &origin, &grant, &token).await,
        StatusCode::SEE_OTHER
    );
    let (status, body) = refresh(&origin, &session.client_id, &refresh_token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        whoami(&origin, access_token).await.0,
        401,
        "its access token no longer works at /mcp"
    );
    assert!(
        account_page(&owner, &origin)
            .await
            .contains("No apps are connected.")
    );
    // Disconnecting it again is answered like any grant that is not yours.
    assert_eq!(
        disconnect(&owner, &origin, &grant, &token).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connected_apps_on_the_memory_store() {
    connected_apps(remote_mcp_testkit::memory_store()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connected_apps_on_dynamodb_local() {
    connected_apps(remote_mcp_testkit::fresh_dynamo_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_grant_cannot_be_disconnected_by_its_id() {
    let store = remote_mcp_testkit::memory_store();
    dev_user(store.as_ref(), OTHER_EMAIL, Some(OTHER_PASSWORD.into()))
        .await
        .unwrap();
    let origin = serve(store.clone()).await;
    let victims = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp").await;
    let victims_refresh = victims.tokens["refresh_token"].as_str().unwrap().to_owned();
    let victims_grant = victims_refresh.split('.').next().unwrap().to_owned();

    // The stranger has an app of their own, so their page carries a valid form token.
    let stranger = signed_in(&origin, OTHER_EMAIL, OTHER_PASSWORD).await;
    let grants = store.grants(None).await.unwrap();
    assert_eq!(grants.len(), 1);
    let other_user = store.user_by_email(OTHER_EMAIL).await.unwrap().unwrap();
    let mut own = grants[0].clone();
    own.id = remote_mcp_core::model::GrantId::generate();
    own.subject = other_user.id.clone();
    store.create_grant(&own).await.unwrap();
    let page = account_page(&stranger, &origin).await;
    let token = hidden_field(&page, "form_token").unwrap();
    assert!(!page.contains(&victims_grant));
    assert_eq!(
        disconnect(&stranger, &origin, &victims_grant, &token).await,
        StatusCode::NOT_FOUND,
        "someone else's grant is answered like one that does not exist"
    );
    let (status, _) = refresh(&origin, &victims.client_id, &victims_refresh).await;
    assert_eq!(status, 200, "the victim's app is still connected");
}

// ------------------------------------------------------------------ login CSRF, sign-out, ids

/// The session cookie a browser holds for `origin`.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("mcp-session=") && !c.starts_with("mcp-session=;"))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

#[tokio::test]
async fn account_sign_in_without_its_form_binding_is_refused() {
    let origin = serve(remote_mcp_testkit::memory_store()).await;
    // A page elsewhere posts the attacker's credentials into the victim's browser: no binding
    // cookie, no token from our page.
    let forged = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{origin}/account"))
        .form(&[("email", EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(session_cookie(&forged), None, "no session was started");
    // With the token of another browser's page, neither.
    let other = reqwest::Client::new()
        .get(format!("{origin}/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden_field(&other, "sign_in_token").unwrap();
    let replayed = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{origin}/account"))
        .form(&[
            ("sign_in_token", token.as_str()),
            ("email", EMAIL),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn cross_site_posts_are_refused_on_account_and_consent() {
    let origin = serve(remote_mcp_testkit::memory_store()).await;
    let browser = signed_in(&origin, EMAIL, PASSWORD).await;
    let page = account_page(&browser, &origin).await;
    let token = hidden_field(&page, "form_token").unwrap();
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        for path in ["/account", "/authorize"] {
            let reply = browser
                .post(format!("{origin}{path}"))
                .header(name, value)
                .form(&[("sign_out", "1"), ("form_token", token.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(
                reply.status(),
                StatusCode::FORBIDDEN,
                "{path} {name}: {value}"
            );
        }
    }
    // Our own page's post passes, and the session was never ended by the forged ones.
    assert!(
        account_page(&browser, &origin)
            .await
            .contains("Connected apps of")
    );
    let ours = browser
        .post(format!("{origin}/account"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", origin.as_str())
        .form(&[("sign_out", "1"), ("form_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(ours.status(), StatusCode::SEE_OTHER);
}

async fn sign_out_ends_the_session_on_the_server(store: Arc<dyn Store>) {
    let origin = serve(store).await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = browser
        .get(format!("{origin}/account"))
        .send()
        .await
        .unwrap();
    let binding = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("mcp-signin="))
        .unwrap();
    let token = hidden_field(&form.text().await.unwrap(), "sign_in_token").unwrap();
    let signed = browser
        .post(format!("{origin}/account"))
        .header("cookie", &binding)
        .form(&[
            ("sign_in_token", token.as_str()),
            ("email", EMAIL),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    let session = session_cookie(&signed).unwrap();
    let page = |cookie: String| {
        let browser = browser.clone();
        let origin = origin.clone();
        async move {
            browser
                .get(format!("{origin}/account"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let html = page(session.clone()).await;
    assert!(html.contains("Connected apps of"), "{html}");
    let form_token = hidden_field(&html, "form_token").unwrap();
    let out = browser
        .post(format!("{origin}/account"))
        .header("cookie", &session)
        .form(&[("sign_out", "1"), ("form_token", form_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0"),
        "the cookie is cleared"
    );
    // Ended on the server: the old cookie value, replayed, signs nobody in.
    let html = page(session).await;
    assert!(
        html.contains("Sign in to see your connected apps"),
        "{html}"
    );
}

async fn over_long_ids_never_reach_the_store(store: Arc<dyn Store>) {
    let origin = serve(store).await;
    let long = "a".repeat(2_100);
    let read = reqwest::Client::new()
        .get(format!("{origin}/register/{long}"))
        .bearer_auth("whatever")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::UNAUTHORIZED, "not a 503");
    let browser = signed_in(&origin, EMAIL, PASSWORD).await;
    let page = account_page(&browser, &origin).await;
    let token = hidden_field(&page, "form_token").unwrap();
    assert_eq!(
        disconnect(&browser, &origin, &"g".repeat(2_048), &token).await,
        StatusCode::NOT_FOUND
    );
}

remote_mcp_testkit::both_stores! {
    sign_out => |store| sign_out_ends_the_session_on_the_server(store),
    over_long_ids => |store| over_long_ids_never_reach_the_store(store),
}

#[tokio::test]
async fn the_consent_page_says_who_is_signed_in_and_signs_them_out() {
    let origin = serve(remote_mcp_testkit::memory_store()).await;
    let browser = signed_in(&origin, EMAIL, PASSWORD).await;
    let registered: Value = reqwest::Client::new()
        .post(format!("{origin}/register"))
        .json(&serde_json::json!({"redirect_uris": [CLAUDE_CALLBACK], "token_endpoint_auth_method": "none"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pkce = remote_mcp_testkit::Pkce::new();
    let query = remote_mcp_testkit::form(&[
        ("response_type", "code"),
        ("client_id", registered["client_id"].as_str().unwrap()),
        ("redirect_uri", CLAUDE_CALLBACK),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ]);
    let consent = format!("/authorize?{query}");
    let page = browser
        .get(format!("{origin}{consent}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("Signed in as <strong>{EMAIL}</strong> — not you?")),
        "{page}"
    );
    let form_token = hidden_field(&page, "form_token").unwrap();
    let return_to = hidden_field(&page, "return_to")
        .unwrap()
        .replace("&amp;", "&");
    assert_eq!(return_to, consent);
    let out = browser
        .post(format!("{origin}/account"))
        .form(&[
            ("sign_out", "1"),
            ("form_token", form_token.as_str()),
            ("return_to", return_to.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        out.headers()["location"],
        consent.as_str(),
        "back to the consent page"
    );
    let again = browser
        .get(format!("{origin}{consent}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!again.contains("Signed in as"), "{again}");
    assert!(again.contains("name=\"password\""), "asks to sign in again");
}
