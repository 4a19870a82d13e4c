//! The routes are written once, in each function's `PATHS`: `template.yaml` must route exactly
//! those paths, each to the function that serves it, and each router must serve all of its own.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use remote_mcp_testkit::workspace_root;
use remote_mcp_xtask::replay::function_for;
use std::collections::BTreeMap;

/// `RouteKey: ANY <path>` → the integration its `Target` names, read from the template's Route
/// resources.
fn template_routes() -> BTreeMap<String, String> {
    let template = std::fs::read_to_string(workspace_root().join("template.yaml")).unwrap();
    let mut routes = BTreeMap::new();
    let mut lines = template.lines();
    while let Some(line) = lines.next() {
        let Some(path) = line.trim().strip_prefix("RouteKey: ANY ") else {
            continue;
        };
        let target = lines
            .next()
            .and_then(|l| l.trim().strip_prefix("Target: "))
            .unwrap_or_else(|| panic!("the route {path} has no Target on the next line"));
        let integration = target
            .split("${")
            .nth(1)
            .and_then(|rest| rest.split('}').next())
            .unwrap_or_else(|| panic!("the route {path} targets {target}"));
        routes.insert(path.to_owned(), integration.to_owned());
    }
    routes
}

#[test]
fn template_routes_every_path_to_the_function_that_serves_it() {
    let expected: BTreeMap<String, String> = oauth_function::PATHS
        .iter()
        .map(|p| ((*p).to_owned(), "OAuthIntegration".to_owned()))
        .chain(
            mcp_function::PATHS
                .iter()
                .map(|p| ((*p).to_owned(), "McpIntegration".to_owned())),
        )
        .collect();
    assert_eq!(template_routes(), expected);
}

#[test]
fn replays_send_each_path_to_its_function() {
    for path in oauth_function::PATHS {
        let concrete = path.replace("{client_id}", "client-1");
        assert_eq!(function_for(&concrete), "oauth-function", "{path}");
    }
    for path in mcp_function::PATHS {
        assert_eq!(function_for(path), "mcp-function", "{path}");
    }
}

#[tokio::test]
async fn each_router_serves_every_one_of_its_paths() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    let corp: oauth_function::federation::config::ProviderConfig = serde_json::from_value(
        serde_json::json!({"id": "corp", "name": "Corp", "issuer": "https://idp.example",
                           "client_id": "c", "client_secret": "s"}),
    )
    .unwrap();
    let app = remote_mcp_local::app_with_providers(
        remote_mcp_core::Config::local("http://127.0.0.1:9").unwrap(),
        remote_mcp_testkit::memory_store(),
        vec![corp],
    );
    for path in oauth_function::PATHS.iter().chain(&mcp_function::PATHS) {
        let concrete = path
            .replace("{client_id}", "client-1")
            .replace("{provider}", "corp");
        let request = Request::get(concrete.as_str())
            .header("host", "127.0.0.1:9")
            .body(Body::empty())
            .unwrap();
        let reply = remote_mcp_testkit::oneshot(app.clone(), request).await;
        assert_ne!(reply.status, StatusCode::NOT_FOUND, "{path} is not served");
    }
}
