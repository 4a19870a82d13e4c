//! Lambda puts the function's credentials in the environment; where it does not, the functions'
//! AWS clients take them from a container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI`
//! with `AWS_CONTAINER_AUTHORIZATION_TOKEN`, as Lambda SnapStart provides them). The environment is
//! the process's own, so the reading side runs in a child process of this test binary, given only
//! the variables such a function would have.
#![cfg(feature = "secrets")]

use axum::Router;
use axum::http::{HeaderMap, header};
use axum::routing::{get, post};
use serde_json::json;
use std::sync::{Arc, Mutex};

/// The test run in the child process.
const CHILD: &str = "a_secret_is_read_with_the_container_credentials";
const SECRET_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:corp-AbCdEf";

#[tokio::test]
async fn without_credentials_in_the_environment_the_container_endpoint_provides_them() {
    // A stand-in for the container credentials endpoint and for Secrets Manager, recording the
    // `Authorization` each one is sent.
    let seen: Arc<Mutex<Vec<(&str, String)>>> = Arc::default();
    let record = |seen: &Arc<Mutex<Vec<(&'static str, String)>>>, what, headers: &HeaderMap| {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        seen.lock().unwrap().push((what, authorization));
    };
    let (credentials_seen, secrets_seen) = (seen.clone(), seen.clone());
    let app = Router::new()
        .route(
            "/credentials",
            get(move |headers: HeaderMap| async move {
                record(&credentials_seen, "credentials", &headers);
                axum::Json(json!({
                    "AccessKeyId": "ASIACONTAINERCREDS",
                    "SecretAccessKey": "container-secret",
                    "Token": "container-session-token",
                    "Expiration": "2099-01-01T00:00:00Z",
                }))
            }),
        )
        .route(
            "/",
            post(move |headers: HeaderMap| async move {
                record(&secrets_seen, "secretsmanager", &headers);
                (
                    [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
                    json!({"ARN": SECRET_ARN, "Name": "corp", "SecretString": "from the endpoint"})
                        .to_string(),
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([CHILD, "--exact", "--ignored", "--test-threads=1"])
        .env_clear()
        .env("AWS_REGION", "us-east-1")
        .env(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("http://{address}/credentials"),
        )
        .env(
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "container-authorization",
        )
        .env("SECRETSMANAGER_ENDPOINT_URL", format!("http://{address}"))
        .output()
        .await
        .unwrap();
    let output = String::from_utf8_lossy(&child.stdout);
    assert!(child.status.success(), "the child failed:\n{output}");
    assert!(
        output.contains("1 passed"),
        "the child ran nothing:\n{output}"
    );

    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.first(),
        Some(&("credentials", "container-authorization".to_owned())),
        "the credentials come from the container endpoint first, with its token: {seen:?}"
    );
    let signed = seen
        .iter()
        .find(|(what, _)| *what == "secretsmanager")
        .map(|(_, authorization)| authorization.as_str());
    assert!(
        signed.is_some_and(|a| a.contains("Credential=ASIACONTAINERCREDS/")),
        "Secrets Manager is called signed with those credentials: {seen:?}"
    );
}

#[tokio::test]
#[ignore = "run by the test above, in a process whose environment it sets"]
async fn a_secret_is_read_with_the_container_credentials() {
    assert!(std::env::var_os("AWS_ACCESS_KEY_ID").is_none());
    let reader = remote_mcp_core::aws::SecretReader::from_env();
    assert_eq!(reader.read(SECRET_ARN).await.unwrap(), "from the endpoint");
}
