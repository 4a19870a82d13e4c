//! Property tests of every parser that reads client input on the authorization server: no input
//! makes one panic, and the properties that matter hold for all inputs — an accepted redirect URI
//! is exactly a registered one (or its loopback port variant), a scope never widens, a form never
//! yields a parameter twice, a registration never answers 5xx, foreign JWTs never pass, and a token
//! that verifies was signed by us. Seeded (the same cases every run) and bounded in count.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use axum::body::Body;
use axum::http::Request;
use oauth_function::jwt;
use oauth_function::params::Params;
use oauth_function::redirect_uri::{self, validate_for_registration};
use oauth_function::scope::Scopes;
use oauth_function::{AppState, client_assertion, id_jag, router};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use remote_mcp_core::token::{AccessClaims, LazyVerifier, LocalSigner, encode};
use remote_mcp_core::{Config as ServerConfig, MemoryStore, UnixTime};
use std::sync::Arc;

const ISSUER: &str = "https://mcp.example.com";
const NOW: UnixTime = UnixTime(1_900_000_000);

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x5EED_0A07),
        failure_persistence: None,
        ..Config::default()
    }
}

/// A registered redirect URI of the shapes clients use.
fn registered() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("https://claude.ai/api/mcp/auth_callback".to_owned()),
        Just("http://127.0.0.1/callback".to_owned()),
        Just("http://localhost:33418/cb?x=1".to_owned()),
        Just("cursor://anysphere.cursor-mcp/oauth/callback".to_owned()),
        "[a-z]{1,8}".prop_map(|h| format!("https://{h}.example/cb")),
    ]
}

/// `base` with one edit: a character inserted, replaced or removed, a port, a suffix, a case change.
fn mutated(base: String) -> impl Strategy<Value = String> {
    let len = base.chars().count();
    (0..7u8, 0..=len, any::<char>(), 1u16..65535).prop_map(move |(kind, at, c, port)| {
        let mut chars: Vec<char> = base.chars().collect();
        match kind {
            0 => chars.insert(at.min(chars.len()), c),
            1 if at < chars.len() => chars[at] = c,
            2 if at < chars.len() => {
                chars.remove(at);
            }
            3 => return base.replacen("/c", &format!(":{port}/c"), 1),
            4 => return format!("{base}/..%2f"),
            5 => return base.to_uppercase(),
            _ => {}
        }
        chars.into_iter().collect()
    })
}

fn differs_only_in_loopback_port(registered: &str, requested: &str) -> bool {
    let (Ok(r), Ok(q)) = (url::Url::parse(registered), url::Url::parse(requested)) else {
        return false;
    };
    r.scheme() == "http"
        && q.scheme() == "http"
        && matches!(q.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
        && r.host_str() == q.host_str()
        && r.path() == q.path()
        && r.query() == q.query()
}

proptest! {
    #![proptest_config(config(2_000))]

    #[test]
    fn an_accepted_redirect_uri_is_exactly_a_registered_one(
        (registered, requested) in registered().prop_flat_map(|r| (Just(r.clone()), mutated(r)))
    ) {
        if let Some(verified) = redirect_uri::verify(std::slice::from_ref(&registered), &requested) {
            prop_assert_eq!(verified.as_str(), requested.as_str());
            prop_assert!(
                requested == registered || differs_only_in_loopback_port(&registered, &requested),
                "{requested} accepted for {registered}"
            );
        }
    }

    #[test]
    fn redirect_uri_validation_never_panics(raw in any::<String>()) {
        let _ = validate_for_registration(&raw);
    }

    #[test]
    fn a_scope_never_widens(requested in "[a-z:A-Z ]{0,40}|claudeai|mcp|mcp:write", granted in "mcp|mcp mcp:write") {
        let granted = Scopes::from_stored(&granted);
        if let Ok(narrowed) = Scopes::narrowing(&requested, &granted) {
            prop_assert!(narrowed.is_subset_of(&granted), "{requested} widened {granted}");
        }
        if let Ok(parsed) = Scopes::parse(Some(&requested)) {
            prop_assert!(parsed.iter().all(|s| remote_mcp_core::scopes::SUPPORTED.contains(&s)));
        }
        let known = Scopes::known(&requested);
        prop_assert!(known.intersection(&granted).is_subset_of(&granted));
    }

    #[test]
    fn a_form_never_yields_a_parameter_twice(encoded in "([a-z_]{1,6}=[a-z%0-9+]{0,6}&?){0,8}|.{0,200}") {
        if let Ok(params) = Params::parse(&encoded) {
            for name in ["grant_type", "code", "client_id", "a", "b"] {
                let occurrences = encoded
                    .split('&')
                    .filter(|pair| pair.split('=').next() == Some(name))
                    .count();
                if occurrences > 1 {
                    prop_assert!(false, "{name} twice in {encoded} was accepted");
                }
                let _ = params.get(name);
            }
        }
    }

    #[test]
    fn foreign_jwts_never_pass(header in "[A-Za-z0-9_-]{0,60}", claims in "[A-Za-z0-9_-]{0,200}", signature in "[A-Za-z0-9_-]{0,90}") {
        let token = format!("{header}.{claims}.{signature}");
        let keys: jsonwebtoken::jwk::JwkSet = serde_json::from_value(serde_json::json!({"keys": [
            {"kty": "EC", "crv": "P-256", "kid": "k", "alg": "ES256",
             "x": "-qgIXBbTmI1LnDqGXIV8G0YHr2YNFtFWCOs7a3uL1_8",
             "y": "PLO3tvadgm4N-Qv19qEglW6L0nkWbbdPki09a_ROfiI"}]})).unwrap();
        if let Ok(parsed) = jwt::header(&token) {
            let expected = client_assertion::Expected {
                client_id: "c", audiences: [ISSUER, "https://mcp.example.com/token"], now: NOW,
            };
            prop_assert!(client_assertion::check(&token, &parsed, &keys, &expected).is_err());
            let expected = id_jag::Expected { issuer: "i", audience: ISSUER, client_id: "c", now: NOW };
            prop_assert!(id_jag::check(&token, &parsed, &keys, &expected).is_err());
        }
        let _ = client_assertion::claimed_client(&token);
        let _ = id_jag::claimed_issuer(&token);
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn a_token_that_verifies_was_signed_by_us(at in 0usize..400, c in prop::char::range('-', 'z')) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let signer = Arc::new(LocalSigner::generate());
            let resource = format!("{ISSUER}/mcp");
            let claims = AccessClaims {
                iss: ISSUER.into(), sub: "alice".into(), aud: resource.clone(),
                client_id: "c".into(), scope: "mcp".into(), iat: NOW.seconds(),
                exp: NOW.seconds() + 60, jti: "j".into(), gid: None, email: None, name: None,
            };
            let token = encode(&claims, signer.as_ref()).await.unwrap();
            let verifier = LazyVerifier::new(signer, ISSUER, &resource);
            let verifier = verifier.get().await.unwrap();
            prop_assert!(verifier.verify(&token, NOW).is_ok());
            let mut forged: Vec<char> = token.chars().collect();
            let at = at % forged.len();
            forged[at] = c;
            let forged: String = forged.into_iter().collect();
            if forged != token {
                // A changed token verifies only if the change is in base64 padding bits that
                // decode to the same bytes: then it is still our signature over our claims.
                if let Ok(verified) = verifier.verify(&forged, NOW) {
                    prop_assert_eq!(&verified.sub, &claims.sub);
                    prop_assert_eq!(&verified.scope, &claims.scope);
                }
            }
            Ok(())
        })?;
    }

    #[test]
    fn a_registration_body_never_gets_a_5xx(body in registration_bodies()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let status = runtime.block_on(async {
            let state = AppState::new(
                ServerConfig::local(ISSUER).unwrap(),
                Arc::new(MemoryStore::new()),
                Arc::new(MemoryStore::new()),
                Arc::new(LocalSigner::generate()),
            );
            let request = Request::post("/register")
                .header("content-type", "application/json")
                .body(Body::from(body.clone()))
                .unwrap();
            remote_mcp_testkit::oneshot(router(state), request).await.status
        });
        prop_assert!(status.as_u16() < 500, "{status} for {body}");
    }
}

/// Registration bodies: JSON objects with the members clients send, values of any JSON type.
fn registration_bodies() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        ".{0,40}".prop_map(serde_json::Value::from),
        prop::collection::vec(".{0,40}", 0..4).prop_map(serde_json::Value::from),
        Just(serde_json::json!(["https://a.example/cb"])),
        Just(serde_json::json!({"keys": [{"kty": "oct", "k": "AA"}]})),
    ];
    let member = prop_oneof![
        Just("redirect_uris"),
        Just("token_endpoint_auth_method"),
        Just("grant_types"),
        Just("client_name"),
        Just("scope"),
        Just("jwks"),
        Just("jwks_uri"),
        Just("logo_uri"),
        Just("application_type"),
        Just("response_types"),
    ];
    prop_oneof![
        prop::collection::btree_map(member, value, 0..8)
            .prop_map(|m| serde_json::to_string(&m).unwrap()),
        ".{0,100}",
    ]
}
