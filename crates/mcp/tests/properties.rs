//! Property tests of what the resource server reads from clients, through the router: any JSON-RPC
//! body, protocol-version header and `_meta`, `Accept`, `Origin` and `Host` get a clear answer —
//! never a panic or a 5xx — and the rules that matter hold: a foreign `Host` or `Origin` is
//! refused, a request without a valid token is a 401 whatever else it says, and the version
//! rules answer 400 with a JSON-RPC error when they refuse. Seeded and bounded in count.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use axum::body::Body;
use axum::http::Request;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{Value, json};
use support::*;

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x05EE_D3C9),
        failure_persistence: None,
        ..Config::default()
    }
}

/// JSON-RPC-ish bodies: well-formed messages with odd members, and anything else.
fn bodies() -> impl Strategy<Value = String> {
    let method = prop_oneof![
        Just("initialize"),
        Just("tools/list"),
        Just("tools/call"),
        Just("server/discover"),
        Just("resources/read"),
        Just("prompts/get"),
        Just("notifications/initialized"),
        Just("tasks/get"),
        Just("ping"),
        Just(""),
    ];
    let id = prop_oneof![
        Just(json!(1)),
        Just(json!("x")),
        Just(Value::Null),
        Just(json!([1])),
        Just(json!(1.5)),
    ];
    let meta_version = prop_oneof![
        Just(json!("2026-07-28")),
        Just(json!("2025-11-25")),
        Just(json!("1999-01-01")),
        Just(json!(7)),
        Just(Value::Null),
    ];
    let name = prop_oneof![
        Just(json!("whoami")),
        Just(json!("add_note")),
        ".{0,30}".prop_map(Value::from),
        Just(json!(42)),
    ];
    let message = (method, id, meta_version, name, any::<bool>()).prop_map(
        |(method, id, version, name, with_params)| {
            let mut message = json!({"jsonrpc": "2.0", "id": id, "method": method});
            if with_params {
                message["params"] = json!({"name": name, "arguments": {},
                    "_meta": {"io.modelcontextprotocol/protocolVersion": version}});
            }
            message.to_string()
        },
    );
    prop_oneof![
        4 => message,
        1 => ".{0,200}",
        1 => Just("[]".to_owned()),
        1 => Just(r#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]"#.to_owned()),
    ]
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("2026-07-28".to_owned()),
        Just("2025-11-25".to_owned()),
        Just("application/json".to_owned()),
        Just("text/event-stream".to_owned()),
        Just("*/*".to_owned()),
        Just("https://mcp.example.com".to_owned()),
        Just("https://evil.example".to_owned()),
        "[ -~]{0,40}",
    ]
}

proptest! {
    #![proptest_config(config(1_500))]

    #[test]
    fn any_request_gets_a_clear_answer_and_never_a_5xx(
        body in bodies(),
        version in header_value(),
        accept in header_value(),
        origin in prop::option::of(header_value()),
        host in prop_oneof![Just(HOST.to_owned()), Just("evil.example".to_owned()), "[a-z.:0-9]{1,20}"],
        method_header in prop::option::of(header_value()),
        authenticated in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let s = Server::new();
            let token = s.token("alice", "mcp mcp:write").await;
            let mut request = Request::post("/mcp")
                .header("host", host.as_str())
                .header("content-type", "application/json");
            for (name, value) in [("mcp-protocol-version", Some(&version)), ("accept", Some(&accept)),
                                  ("origin", origin.as_ref()), ("mcp-method", method_header.as_ref())] {
                if let Some(value) = value.filter(|v| !v.is_empty()) {
                    request = request.header(name, value.as_str());
                }
            }
            if authenticated {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            let reply = s.send(request.body(Body::from(body.clone())).unwrap()).await;
            let status = reply.status.as_u16();
            prop_assert!(status < 500, "{status} for {body}: {}", reply.text);
            if host != HOST {
                prop_assert!(status >= 400, "a foreign Host was served: {status}");
            }
            if origin.as_deref().is_some_and(|o| !o.is_empty() && o != "https://mcp.example.com") && status < 300 {
                prop_assert!(false, "a foreign Origin was served: {origin:?}");
            }
            if !authenticated && host == HOST && status < 300 {
                prop_assert!(false, "served without a token: {body}");
            }
            if status == 400 && reply.header("content-type").is_some_and(|c| c.contains("json")) {
                prop_assert!(reply.json().get("error").is_some() || reply.json().get("jsonrpc").is_some(),
                    "a 400 without an error: {}", reply.text);
            }
            Ok(())
        })?;
    }
}
