//! Who may approve: sign-in on the consent page, indistinguishable failures, the throttle, and
//! sessions that identify exactly one user.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use axum::http::{HeaderMap, StatusCode};
use oauth_function::params::Params;
use oauth_function::resource_owner::{ApprovalRequest, ResourceOwner, SignInError};
use oauth_function::sign_in::{Accounts, ThrottlePolicy};
use remote_mcp_core::model::User;
use remote_mcp_core::{MemoryStore, Store, UnixTime, password};
use std::sync::Arc;
use std::time::Duration;
use support::*;

/// The alert text of a re-rendered consent page.
fn alert(page: &Reply) -> String {
    let start = page.text.find("role=\"alert\">").expect("an alert") + "role=\"alert\">".len();
    page.text[start..].split('<').next().unwrap().to_owned()
}

/// The `sub` of the access token issued after `reply`'s redirect.
async fn subject_of(s: &Server, client: &str, pkce: &Pkce, reply: &Reply) -> String {
    let code = reply.location_param("code").expect("a code");
    let tokens = s
        .exchange(client, CLAUDE_CALLBACK, &code, &pkce.verifier)
        .await
        .json();
    let token = tokens["access_token"].as_str().unwrap();
    s.state
        .verifier
        .get()
        .await
        .unwrap()
        .verify(token, UnixTime::now())
        .unwrap()
        .sub
        .clone()
}

#[tokio::test]
async fn approving_without_signing_in_is_impossible() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let page = s
        .authorize(&client, CLAUDE_CALLBACK, &Pkce::new(), &[])
        .await;
    assert!(
        page.text.contains("name=\"password\""),
        "the page asks for credentials"
    );
    let refused = s.submit(&page, "approve", &[], None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.header("location").is_none());
    assert_eq!(alert(&refused), "Sign in to approve.");
    // The failed attempt did not use up the request: signing in now completes it.
    let approved = s.decide(&page, "approve").await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn wrong_password_unknown_user_and_disabled_user_look_the_same() {
    let s = Server::memory().await;
    let disabled_id = s
        .add_user("carol@example.com", "carol's long password")
        .await;
    let mut carol = s.store.user(&disabled_id).await.unwrap().unwrap();
    carol.disabled_at = Some(UnixTime::now());
    s.store.update_user(&carol).await.unwrap();

    let client = s.public_client(CLAUDE_CALLBACK).await;
    let mut answers = Vec::new();
    for (email, password) in [
        (EMAIL, "not the password"),
        ("nobody@example.com", PASSWORD),
        ("carol@example.com", "carol's long password"),
    ] {
        let page = s
            .authorize(&client, CLAUDE_CALLBACK, &Pkce::new(), &[])
            .await;
        let reply = s
            .submit(
                &page,
                "approve",
                &[("email", email), ("password", password)],
                None,
            )
            .await;
        assert!(reply.header("location").is_none(), "{email}");
        assert!(session_cookie(&reply).is_none(), "{email}");
        answers.push((reply.status, alert(&reply)));
    }
    assert_eq!(
        answers[0],
        (
            StatusCode::UNAUTHORIZED,
            "The email or password is not right.".into()
        )
    );
    assert_eq!(answers[0], answers[1], "unknown user");
    assert_eq!(answers[0], answers[2], "disabled user");
}

#[tokio::test]
async fn tokens_carry_the_user_id_not_the_email() {
    let s = Server::memory().await;
    let alice = s.store.user_by_email(EMAIL).await.unwrap().unwrap();
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let pkce = Pkce::new();
    let page = s.authorize(&client, CLAUDE_CALLBACK, &pkce, &[]).await;
    let reply = s.decide(&page, "approve").await;
    assert_eq!(subject_of(&s, &client, &pkce, &reply).await, alice.id);
    assert_ne!(alice.id, EMAIL);
}

#[tokio::test]
async fn a_session_approves_as_its_own_user_and_no_other() {
    let s = Server::memory().await;
    let alice = s.store.user_by_email(EMAIL).await.unwrap().unwrap().id;
    let bob = s.add_user("bob@example.com", "bob's long password").await;
    let client = s.public_client(CLAUDE_CALLBACK).await;

    // Alice signs in once; her session then approves a second request without a password.
    let page = s
        .authorize(&client, CLAUDE_CALLBACK, &Pkce::new(), &[])
        .await;
    let first = s.decide(&page, "approve").await;
    let alice_session = session_cookie(&first).expect("a session cookie");
    assert!(alice_session.starts_with("__Host-mcp-session="));
    let cookie_header = first
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.contains("mcp-session="))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie_header.contains(attribute), "{attribute}");
    }
    assert!(!cookie_header.contains("Domain"), "host-only");

    let pkce = Pkce::new();
    let page = s.authorize(&client, CLAUDE_CALLBACK, &pkce, &[]).await;
    let with_session = s.submit(&page, "approve", &[], Some(&alice_session)).await;
    assert_eq!(with_session.status, StatusCode::SEE_OTHER);
    assert_eq!(subject_of(&s, &client, &pkce, &with_session).await, alice);

    // Bob signs in on his own; Alice's session never makes anyone else the approver.
    let pkce = Pkce::new();
    let page = s.authorize(&client, CLAUDE_CALLBACK, &pkce, &[]).await;
    let as_bob = s
        .submit(
            &page,
            "approve",
            &[
                ("email", "bob@example.com"),
                ("password", "bob's long password"),
            ],
            None,
        )
        .await;
    assert_eq!(subject_of(&s, &client, &pkce, &as_bob).await, bob);

    let page = s
        .authorize(&client, CLAUDE_CALLBACK, &Pkce::new(), &[])
        .await;
    let bob_with_alice_cookie = s
        .submit(
            &page,
            "approve",
            &[("email", "bob@example.com"), ("password", "wrong")],
            Some(&alice_session),
        )
        .await;
    assert_eq!(
        bob_with_alice_cookie.status,
        StatusCode::UNAUTHORIZED,
        "credentials in the form are checked, not the cookie"
    );

    let page = s
        .authorize(&client, CLAUDE_CALLBACK, &Pkce::new(), &[])
        .await;
    let forged = s
        .submit(
            &page,
            "approve",
            &[],
            Some("__Host-mcp-session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        )
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_consent_page_shows_who_is_signed_in() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let page = s
        .authorize(&client, CLAUDE_CALLBACK, &Pkce::new(), &[])
        .await;
    let session = session_cookie(&s.decide(&page, "approve").await).unwrap();
    let query = format!(
        "/authorize?response_type=code&client_id={client}&redirect_uri={}&code_challenge={}&code_challenge_method=S256",
        "https%3A%2F%2Fclaude.ai%2Fapi%2Fmcp%2Fauth_callback",
        Pkce::new().challenge
    );
    let request = axum::http::Request::get(query)
        .header("cookie", session)
        .body(axum::body::Body::empty())
        .unwrap();
    let page = s.send(request).await;
    assert!(
        page.text
            .contains("Signed in as <strong>alice@example.com</strong>"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("name=\"password\""));
}

// ---- the throttle, with time as a parameter

const T0: UnixTime = UnixTime(1_900_000_800);

const POLICY: ThrottlePolicy = ThrottlePolicy {
    window: Duration::from_secs(900),
    per_account_and_source: 5,
    per_account: 20,
    per_source: 8,
};

async fn accounts_over(store: Arc<dyn Store>) -> Accounts {
    let user = User::new(EMAIL.into(), password::hash(PASSWORD).unwrap(), T0);
    store.create_user(&user).await.unwrap();
    Accounts::new(store, true).with_policy(POLICY)
}

async fn accounts() -> (Accounts, Arc<dyn Store>) {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    (accounts_over(store.clone()).await, store)
}

async fn attempt(
    accounts: &Accounts,
    email: &str,
    password: &str,
    source: &str,
    now: UnixTime,
) -> Result<String, SignInError> {
    let form = Params::parse(&format!(
        "email={}&password={}",
        form_urlencoded::byte_serialize(email.as_bytes()).collect::<String>(),
        form_urlencoded::byte_serialize(password.as_bytes()).collect::<String>()
    ))
    .unwrap();
    let headers = HeaderMap::new();
    let request = ApprovalRequest {
        headers: &headers,
        form: &form,
        source,
        now,
    };
    accounts.approve(&request).await.map(|a| a.subject)
}

#[tokio::test]
async fn account_throttle_engages_after_repeated_failures_and_releases_after_its_window() {
    let (accounts, _) = accounts().await;
    for _ in 0..5 {
        assert_eq!(
            attempt(&accounts, EMAIL, "guess", "10.0.0.1", T0).await,
            Err(SignInError::InvalidCredentials)
        );
    }
    // Even the right password is not checked from that address while it is throttled.
    assert_eq!(
        attempt(
            &accounts,
            EMAIL,
            PASSWORD,
            "10.0.0.1",
            T0 + Duration::from_secs(60)
        )
        .await,
        Err(SignInError::Throttled)
    );
    let next_window = UnixTime(T0.seconds() - T0.seconds() % 900 + 900);
    assert!(
        attempt(&accounts, EMAIL, PASSWORD, "10.0.0.1", next_window)
            .await
            .is_ok(),
        "released"
    );
}

#[tokio::test]
async fn a_stranger_cannot_lock_the_owner_out_from_one_address() {
    let (accounts, _) = accounts().await;
    for _ in 0..100 {
        let outcome = attempt(&accounts, EMAIL, "guess", "203.0.113.66", T0).await;
        assert!(outcome.is_err());
    }
    assert_eq!(
        attempt(&accounts, EMAIL, PASSWORD, "203.0.113.66", T0).await,
        Err(SignInError::Throttled),
        "the stranger's address is throttled"
    );
    assert!(
        attempt(&accounts, EMAIL, PASSWORD, "10.0.0.1", T0)
            .await
            .is_ok(),
        "the owner, elsewhere, still signs in"
    );
}

#[tokio::test]
async fn account_ceiling_holds_across_addresses() {
    let (accounts, _) = accounts().await;
    for source in ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4"] {
        for _ in 0..5 {
            assert_eq!(
                attempt(&accounts, EMAIL, "guess", source, T0).await,
                Err(SignInError::InvalidCredentials)
            );
        }
    }
    assert_eq!(
        attempt(&accounts, EMAIL, PASSWORD, "10.1.0.5", T0).await,
        Err(SignInError::Throttled),
        "20 failures from anywhere close the account for the window"
    );
}

#[tokio::test]
async fn successful_sign_ins_do_not_count() {
    let (accounts, _) = accounts().await;
    for _ in 0..12 {
        assert!(
            attempt(&accounts, EMAIL, PASSWORD, "10.0.0.1", T0)
                .await
                .is_ok()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_passwords_are_throttled_on_dynamodb_local() {
    // The server's store on DynamoDB Local already holds the account.
    let store = Server::dynamo().await.store.clone();
    let accounts = Arc::new(Accounts::new(store, true).with_policy(POLICY));
    let guesses: Vec<_> = (0..60)
        .map(|i| {
            let accounts = accounts.clone();
            tokio::spawn(async move {
                attempt(&accounts, EMAIL, &format!("guess {i}"), "198.51.100.9", T0).await
            })
        })
        .collect();
    let mut checked = 0;
    for guess in guesses {
        match guess.await.unwrap() {
            Err(SignInError::InvalidCredentials) => checked += 1,
            Err(SignInError::Throttled) => {}
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(
        checked, POLICY.per_account_and_source,
        "of 60 concurrent guesses, only the allowed number had their password checked"
    );
    assert_eq!(
        attempt(&accounts, EMAIL, PASSWORD, "198.51.100.9", T0).await,
        Err(SignInError::Throttled),
        "the right password, sent last, is refused"
    );
}

#[tokio::test]
async fn source_throttle_engages_across_accounts() {
    let (accounts, _) = accounts().await;
    for i in 0..8 {
        let email = format!("guess{i}@example.com");
        assert_eq!(
            attempt(&accounts, &email, "guess", "10.9.9.9", T0).await,
            Err(SignInError::InvalidCredentials)
        );
    }
    assert_eq!(
        attempt(&accounts, EMAIL, PASSWORD, "10.9.9.9", T0).await,
        Err(SignInError::Throttled)
    );
    assert!(
        attempt(&accounts, EMAIL, PASSWORD, "10.1.1.1", T0)
            .await
            .is_ok(),
        "other sources are unaffected"
    );
}

#[tokio::test]
async fn email_case_and_spaces_do_not_matter() {
    let (accounts, _) = accounts().await;
    assert!(
        attempt(&accounts, "  Alice@Example.COM ", PASSWORD, "10.0.0.1", T0)
            .await
            .is_ok()
    );
}
