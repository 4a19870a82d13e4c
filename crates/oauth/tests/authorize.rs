//! The authorization endpoint and consent page: validation order, error routing, PKCE, resource,
//! scope, CSRF and framing protections.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use axum::http::StatusCode;
use support::*;

#[tokio::test]
async fn unknown_client_gets_an_error_page_never_a_redirect() {
    let s = Server::memory().await;
    let reply = s
        .authorize("no-such-client", CLAUDE_CALLBACK, &Pkce::new(), &[])
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.header("location").is_none());
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(reply.header("x-frame-options"), Some("DENY"));
}

#[tokio::test]
async fn unregistered_redirect_gets_an_error_page_never_a_redirect() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    for evil in [
        "https://evil.example/cb",
        "https://claude.ai/api/mcp/auth_callback/../../evil",
        "https://claude.ai/api/mcp/auth_callback?x=1",
        "javascript:alert(1)",
    ] {
        let reply = s.authorize(&client, evil, &Pkce::new(), &[]).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{evil}");
        assert!(reply.header("location").is_none(), "{evil}");
    }
    let reply = s
        .authorize(&client, "", &Pkce::new(), &[("redirect_uri", "")])
        .await;
    assert!(reply.header("location").is_none());
}

#[tokio::test]
async fn bad_parameters_go_back_to_the_client_with_state_and_iss() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let pkce = Pkce::new();
    for (extra, error) in [
        (vec![("response_type", "")], "invalid_request"),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![("code_challenge", "")], "invalid_request"),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("code_challenge_method", "")], "invalid_request"),
        (vec![("code_challenge_method", "S512")], "invalid_request"),
        (
            vec![("resource", "https://evil.example/mcp")],
            "invalid_target",
        ),
        (
            vec![("resource", "https://mcp.example.com/other")],
            "invalid_target",
        ),
        (vec![("scope", "admin")], "invalid_scope"),
    ] {
        let reply = s.authorize(&client, CLAUDE_CALLBACK, &pkce, &extra).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{extra:?}");
        let location = reply.location();
        assert!(location.as_str().starts_with(CLAUDE_CALLBACK), "{extra:?}");
        assert_eq!(
            reply.location_param("error").as_deref(),
            Some(error),
            "{extra:?}"
        );
        assert_eq!(
            reply.location_param("state").as_deref(),
            Some("st4te"),
            "{extra:?}"
        );
        assert_eq!(
            reply.location_param("iss").as_deref(),
            Some(ISSUER),
            "{extra:?}"
        );
        assert!(reply.location_param("code").is_none());
    }
}

#[tokio::test]
async fn resource_trailing_slash_root_and_omission_are_accepted() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    for resource in ["https://mcp.example.com/", RESOURCE, ""] {
        let reply = s
            .authorize(
                &client,
                CLAUDE_CALLBACK,
                &Pkce::new(),
                &[("resource", resource)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{resource:?}: {}", reply.text);
    }
}

#[tokio::test]
async fn claudeai_scope_and_no_scope_are_accepted() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    for scope in ["claudeai", "", "mcp", "mcp mcp:write"] {
        let reply = s
            .authorize(&client, CLAUDE_CALLBACK, &Pkce::new(), &[("scope", scope)])
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{scope:?}");
    }
}

#[tokio::test]
async fn consent_page_is_protected_and_names_client_and_host() {
    let s = Server::memory().await;
    let body = s
        .register(serde_json::json!({
            "client_name": "<script>alert('x')</script> Claude",
            "redirect_uris": [CLAUDE_CALLBACK],
            "token_endpoint_auth_method": "none"
        }))
        .await;
    let client = body["client_id"].as_str().unwrap();
    let page = s
        .authorize(client, CLAUDE_CALLBACK, &Pkce::new(), &[])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("form-action 'self' https://claude.ai"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert!(!page.text.contains("<script>"), "names are escaped");
    assert!(page.text.contains("&lt;script&gt;"));
    assert!(
        page.text.contains("claude.ai"),
        "the redirect host is shown"
    );
    let cookie = page.header("set-cookie").unwrap();
    assert!(cookie.starts_with("__Host-mcp-consent="));
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute}");
    }
}

#[tokio::test]
async fn loopback_redirect_matches_any_port_and_warns() {
    let s = Server::memory().await;
    let client = s.public_client("http://localhost/callback").await;
    let page = s
        .authorize(
            &client,
            "http://localhost:53682/callback",
            &Pkce::new(),
            &[],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("this computer"));
    let other_host = s
        .authorize(
            &client,
            "http://127.0.0.1:53682/callback",
            &Pkce::new(),
            &[],
        )
        .await;
    assert!(
        other_host.header("location").is_none(),
        "one loopback name never stands for another"
    );
}

#[tokio::test]
async fn approve_redirects_with_code_state_and_iss() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let page = s
        .authorize(&client, CLAUDE_CALLBACK, &Pkce::new(), &[])
        .await;
    let reply = s.decide(&page, "approve").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "303, never 307");
    assert!(reply.location().as_str().starts_with(CLAUDE_CALLBACK));
    assert!(reply.location_param("code").is_some());
    assert_eq!(reply.location_param("state").as_deref(), Some("st4te"));
    assert_eq!(reply.location_param("iss").as_deref(), Some(ISSUER));
}

#[tokio::test]
async fn deny_redirects_with_access_denied_state_and_iss() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let page = s
        .authorize(&client, CLAUDE_CALLBACK, &Pkce::new(), &[])
        .await;
    let reply = s.decide(&page, "deny").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        reply.location_param("error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(reply.location_param("state").as_deref(), Some("st4te"));
    assert_eq!(reply.location_param("iss").as_deref(), Some(ISSUER));
    assert!(reply.location_param("code").is_none());
}

#[tokio::test]
async fn consent_transaction_is_single_use() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let page = s
        .authorize(&client, CLAUDE_CALLBACK, &Pkce::new(), &[])
        .await;
    assert_eq!(
        s.decide(&page, "approve").await.status,
        StatusCode::SEE_OTHER
    );
    let again = s.decide(&page, "approve").await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.header("location").is_none());
}

/// A consent transaction lives ten minutes: an answer after that is an error page (never a
/// redirect, and no code), on the server's clock.
#[tokio::test]
async fn expired_consent_shows_an_error_page() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let page = s
        .authorize(&client, CLAUDE_CALLBACK, &Pkce::new(), &[])
        .await;
    s.clock.advance(std::time::Duration::from_secs(10 * 60));
    let late = s.decide(&page, "approve").await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST, "{}", late.text);
    assert!(late.header("location").is_none());
    assert!(
        late.text.contains("has expired or was already answered"),
        "{}",
        late.text
    );
    assert_eq!(late.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn approval_without_the_browser_cookie_is_refused() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    for cookie in [
        None,
        Some("__Host-mcp-consent=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    ] {
        let page = s
            .authorize(&client, CLAUDE_CALLBACK, &Pkce::new(), &[])
            .await;
        let transaction = hidden_field(&page.text, "transaction");
        let extra: Vec<(&str, &str)> = cookie.iter().map(|c| ("cookie", *c)).collect();
        let reply = s
            .post_form(
                "/authorize",
                &[("transaction", &transaction), ("decision", "approve")],
                &extra,
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{cookie:?}");
        assert!(reply.header("location").is_none());
    }
}

#[tokio::test]
async fn forged_transaction_is_refused() {
    let s = Server::memory().await;
    let reply = s
        .post_form(
            "/authorize",
            &[("transaction", "forged"), ("decision", "approve")],
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.header("location").is_none());
}

#[tokio::test]
async fn claude_cimd_client_works_without_registration() {
    let s = Server::memory().await;
    let client = "https://claude.ai/oauth/mcp-oauth-client-metadata";
    let page = s
        .authorize(client, CLAUDE_CALLBACK, &Pkce::new(), &[])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Claude"));
    let tokens = s.tokens(client, CLAUDE_CALLBACK).await;
    assert!(tokens["access_token"].is_string());
}

#[tokio::test]
async fn claude_code_cimd_client_uses_a_random_loopback_port() {
    let s = Server::memory().await;
    let client = "https://claude.ai/oauth/claude-code-client-metadata";
    let tokens = s.tokens(client, "http://localhost:49152/callback").await;
    assert!(tokens["refresh_token"].is_string());
}

#[tokio::test]
async fn repeated_parameters_are_refused() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let reply = s
        .get(&format!("/authorize?client_id={client}&client_id=other"))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.header("location").is_none());
}

#[tokio::test]
async fn overlong_state_and_requests_are_refused_before_anything_is_stored() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let long_state = "s".repeat(600);
    let reply = s
        .authorize(
            &client,
            CLAUDE_CALLBACK,
            &Pkce::new(),
            &[("state", long_state.as_str())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.header("location").is_none(), "never echoed back");
    assert!(reply.text.contains("too long"));
    let padding = "p".repeat(5000);
    let reply = s
        .authorize(
            &client,
            CLAUDE_CALLBACK,
            &Pkce::new(),
            &[("ui_locales", padding.as_str())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.text.contains("too long"));
}

#[tokio::test]
async fn consent_pages_are_limited_per_source_address() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    for _ in 0..120 {
        let page = s
            .authorize(&client, CLAUDE_CALLBACK, &Pkce::new(), &[])
            .await;
        assert_eq!(page.status, StatusCode::OK);
    }
    let page = s
        .authorize(&client, CLAUDE_CALLBACK, &Pkce::new(), &[])
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.text.contains("Too many authorization requests"));
}

/// The person grants less than asked: read-only, never more than the request (a form can only
/// narrow), and a choice the page never offers is refused without using the transaction.
#[tokio::test]
async fn the_person_may_grant_read_only_and_nothing_else() {
    let s = Server::memory().await;
    let client = s.public_client(CLAUDE_CALLBACK).await;
    let pkce = Pkce::new();
    let scope = [("scope", "mcp mcp:write")];
    let page = s.authorize(&client, CLAUDE_CALLBACK, &pkce, &scope).await;
    let credentials = [("email", EMAIL), ("password", PASSWORD)];

    let mut odd = credentials.to_vec();
    odd.push(("access", "admin"));
    let refused = s.submit(&page, "approve", &odd, None).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert!(refused.header("location").is_none());

    let mut read_only = credentials.to_vec();
    read_only.push(("access", "read"));
    let approved = s.submit(&page, "approve", &read_only, None).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.text);
    let code = approved.location_param("code").expect("a code");
    let tokens = s
        .exchange(&client, CLAUDE_CALLBACK, &code, &pkce.verifier)
        .await
        .json();
    assert_eq!(tokens["scope"], "mcp");

    // Asked for read-only, "everything" is still only what was asked.
    let pkce = Pkce::new();
    let page = s
        .authorize(&client, CLAUDE_CALLBACK, &pkce, &[("scope", "mcp")])
        .await;
    let mut all = credentials.to_vec();
    all.push(("access", "all"));
    let approved = s.submit(&page, "approve", &all, None).await;
    let code = approved.location_param("code").expect("a code");
    let tokens = s
        .exchange(&client, CLAUDE_CALLBACK, &code, &pkce.verifier)
        .await
        .json();
    assert_eq!(tokens["scope"], "mcp");
}

#[tokio::test]
async fn a_name_claiming_a_known_client_from_another_host_is_called_out_on_the_consent_page() {
    let s = Server::memory().await;
    let pkce = Pkce::new();
    // "Claude" in Cyrillic look-alikes, its codes going elsewhere.
    let impostor = s
        .register(serde_json::json!({"redirect_uris": ["https://evil.example/cb"], "token_endpoint_auth_method": "none",
                         "client_name": "Сlаude"}))
        .await["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = s
        .authorize(&impostor, "https://evil.example/cb", &pkce, &[])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("but it is not Claude")
            && page
                .text
                .contains("<span class=\"host\">evil.example</span>, which is not one of Claude"),
        "{}",
        page.text
    );
    // The real one, at its own host, is not.
    let claude = s
        .register(serde_json::json!({"redirect_uris": [CLAUDE_CALLBACK], "token_endpoint_auth_method": "none",
                         "client_name": "Claude"}))
        .await["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = s.authorize(&claude, CLAUDE_CALLBACK, &pkce, &[]).await;
    assert!(!page.text.contains("but it is not"), "{}", page.text);
}
