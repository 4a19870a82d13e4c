//! The audit trail over a whole journey, in the functions' own log format: each security event is
//! one line under the target `audit` naming who (user), what (client, grant) and the event, and no
//! line anywhere — audit or not — holds a secret: the password, the code, a client secret, an
//! access token or a refresh token.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use remote_mcp_testkit::{Pkce, form, hidden_field};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use support::{CLAUDE_CALLBACK, EMAIL, PASSWORD, query_param, serve};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn token(origin: &str, pairs: &[(&str, &str)]) -> Value {
    reqwest::Client::new()
        .post(format!("{origin}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

// One thread: the server's tasks run where the capturing subscriber is installed.
#[tokio::test(flavor = "current_thread")]
async fn audit_lines_name_who_did_what_and_no_line_holds_a_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let _guard =
        tracing::subscriber::set_default(remote_mcp_core::telemetry::json(move || writer.clone()));
    let origin = serve(remote_mcp_testkit::memory_store()).await;
    let resource = format!("{origin}/mcp");

    // A confidential client registers; a person approves it on the consent page.
    let registered: Value = reqwest::Client::new()
        .post(format!("{origin}/register"))
        .json(
            &json!({"client_name": "Audited client", "redirect_uris": [CLAUDE_CALLBACK],
                      "token_endpoint_auth_method": "client_secret_post"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = registered["client_id"].as_str().unwrap().to_owned();
    let client_secret = registered["client_secret"].as_str().unwrap().to_owned();
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let pkce = Pkce::new();
    let query = form(&[
        ("response_type", "code"),
        ("client_id", &client_id),
        ("redirect_uri", CLAUDE_CALLBACK),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
        ("state", "audit-state"),
        ("resource", &resource),
    ]);
    let page = browser
        .get(format!("{origin}/authorize?{query}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let transaction = hidden_field(&page, "transaction").unwrap();
    // A wrong password first, then the right one.
    for password in ["not the password", PASSWORD] {
        let reply = browser
            .post(format!("{origin}/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("transaction", &transaction),
                ("decision", "approve"),
                ("email", EMAIL),
                ("password", password),
            ]))
            .send()
            .await
            .unwrap();
        if password == PASSWORD {
            assert_eq!(reply.status(), StatusCode::SEE_OTHER);
            let location = reply.headers()["location"].to_str().unwrap().to_owned();
            let code = query_param(&location, "code").unwrap();
            let tokens = token(
                &origin,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("client_id", &client_id),
                    ("client_secret", &client_secret),
                    ("redirect_uri", CLAUDE_CALLBACK),
                    ("code_verifier", &pkce.verifier),
                    ("resource", &resource),
                ],
            )
            .await;
            let access = tokens["access_token"].as_str().unwrap().to_owned();
            let first_refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
            let refreshed = token(
                &origin,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &first_refresh),
                    ("client_id", &client_id),
                    ("client_secret", &client_secret),
                ],
            )
            .await;
            let second_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
            // The replaced token again, within the grace: answered, and audited as such.
            let retried = token(
                &origin,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &first_refresh),
                    ("client_id", &client_id),
                    ("client_secret", &client_secret),
                ],
            )
            .await;
            assert_eq!(
                retried["refresh_token"].as_str(),
                Some(second_refresh.as_str())
            );
            let (status, _) = support::whoami(&origin, &access).await;
            assert_eq!(status, 200);
            let revoked = reqwest::Client::new()
                .post(format!("{origin}/revoke"))
                .form(&[
                    ("token", second_refresh.as_str()),
                    ("client_id", &client_id),
                    ("client_secret", &client_secret),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(revoked.status(), StatusCode::OK);

            let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
            for (what, secret) in [
                ("the password", PASSWORD),
                ("the code", code.as_str()),
                ("the client secret", client_secret.as_str()),
                ("the access token", access.as_str()),
                ("a refresh token", first_refresh.as_str()),
                ("a refresh token", second_refresh.as_str()),
                (
                    "a refresh token's secret",
                    first_refresh.split('.').nth(1).unwrap(),
                ),
            ] {
                assert!(!text.contains(secret), "{what} is in the logs");
            }
            let audit: Vec<Value> = text
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .filter(|l| l["target"] == "audit")
                .collect();
            let events: Vec<&str> = audit
                .iter()
                .filter_map(|l| l["fields"]["event"].as_str())
                .collect();
            for event in [
                "client.registered",
                "signin.failed",
                "signin.succeeded",
                "consent.shown",
                "consent.approved",
                "token.issued",
                "token.refreshed",
                "refresh.grace_used",
                "tool.called",
                "grant.revoked",
            ] {
                assert!(events.contains(&event), "no {event} in {events:?}");
            }
            let issued: Vec<&Value> = audit
                .iter()
                .filter(|l| {
                    ["token.issued", "token.refreshed"]
                        .contains(&l["fields"]["event"].as_str().unwrap_or_default())
                })
                .collect();
            assert_eq!(issued.len(), 3, "the exchange, the refresh and its retry");
            assert_eq!(issued[0]["fields"]["event"], "token.issued");
            assert_eq!(issued[1]["fields"]["event"], "token.refreshed");
            let grace = audit
                .iter()
                .find(|l| l["fields"]["event"] == "refresh.grace_used")
                .unwrap();
            assert_eq!(grace["fields"]["source"], "127.0.0.1", "{grace}");
            let grant = first_refresh.split('.').next().unwrap();
            for line in issued {
                let fields = &line["fields"];
                assert_eq!(fields["client"], client_id.as_str());
                assert_eq!(fields["grant"], grant);
                assert!(fields["user"].as_str().is_some_and(|u| !u.is_empty()));
                assert_eq!(fields["detail"], "mcp mcp:write");
            }
            let call = audit
                .iter()
                .find(|l| l["fields"]["event"] == "tool.called")
                .unwrap();
            assert!(
                call["fields"]["detail"]
                    .as_str()
                    .unwrap()
                    .starts_with("whoami ok 200 "),
                "{call}"
            );
            assert_eq!(call["fields"]["grant"], grant, "{call}");
            // Every line says where the request came from (the request id is API Gateway's,
            // absent locally).
            for line in &audit {
                assert_eq!(line["fields"]["source"], "127.0.0.1", "{line}");
            }
            // One metrics record per request; the tool call's names the tool and its outcome.
            let records: Vec<Value> = text
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .filter(|l| l.get("_aws").is_some())
                .collect();
            let tool = records
                .iter()
                .find(|r| r["Tool"] == "whoami")
                .expect("a metrics record of the tool call");
            assert_eq!(
                (
                    &tool["Function"],
                    &tool["Route"],
                    &tool["Outcome"],
                    &tool["ToolCalls"]
                ),
                (&json!("mcp"), &json!("/mcp"), &json!("ok"), &json!(1))
            );
            assert!(
                records
                    .iter()
                    .any(|r| r["Function"] == "oauth" && r["Route"] == "/token")
            );
            return;
        }
    }
}
