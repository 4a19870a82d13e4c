//! An HTTP fuzz pass over every route, on both stores: thousands of requests mutated from valid
//! ones (a fixed seed, so every run sends the same), over real HTTP to the app `make run` serves.
//! Nothing may answer 5xx (no outage is injected here; `outage.rs` covers 503), nothing may panic,
//! and the server may log no error.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod support;

use remote_mcp_core::Store;
use remote_mcp_testkit::{Pkce, form};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use support::{CLAUDE_CALLBACK, EMAIL, PASSWORD, authorize, serve};

/// Requests per store.
const REQUESTS: usize = 2_500;
/// Requests in flight at once.
const CONCURRENCY: usize = 16;

/// xorshift64*: small, fast, and the same sequence for the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A request to mutate.
#[derive(Clone)]
struct Seed {
    method: &'static str,
    path: String,
    content_type: Option<&'static str>,
    body: String,
    bearer: bool,
}

fn seeds(client_id: &str, refresh: &str, pkce: &Pkce) -> Vec<Seed> {
    let get = |path: String| Seed {
        method: "GET",
        path,
        content_type: None,
        body: String::new(),
        bearer: false,
    };
    let post_form = |path: &str, body: String| Seed {
        method: "POST",
        path: path.to_owned(),
        content_type: Some("application/x-www-form-urlencoded"),
        body,
        bearer: false,
    };
    let rpc = |path: &str, body: Value| Seed {
        method: "POST",
        path: path.to_owned(),
        content_type: Some("application/json"),
        body: body.to_string(),
        bearer: true,
    };
    let authorize_query = form(&[
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", CLAUDE_CALLBACK),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
        ("state", "s"),
        ("scope", "mcp mcp:write"),
    ]);
    vec![
        get("/.well-known/oauth-authorization-server".into()),
        get("/.well-known/openid-configuration".into()),
        get("/.well-known/jwks.json".into()),
        get("/.well-known/oauth-protected-resource".into()),
        get("/.well-known/oauth-protected-resource/mcp".into()),
        get(format!("/authorize?{authorize_query}")),
        post_form(
            "/authorize",
            form(&[("transaction", "t"), ("decision", "approve"), ("email", EMAIL), ("password", PASSWORD)]),
        ),
        Seed {
            method: "POST",
            path: "/register".into(),
            content_type: Some("application/json"),
            body: json!({"client_name": "Fuzz", "redirect_uris": [CLAUDE_CALLBACK],
                         "token_endpoint_auth_method": "none", "grant_types": ["authorization_code"]})
            .to_string(),
            bearer: false,
        },
        get(format!("/register/{client_id}")),
        post_form(
            "/token",
            form(&[("grant_type", "authorization_code"), ("code", "c"), ("client_id", client_id),
                   ("redirect_uri", CLAUDE_CALLBACK), ("code_verifier", &pkce.verifier)]),
        ),
        post_form(
            "/token",
            form(&[("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", client_id)]),
        ),
        post_form(
            "/token",
            form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", "a.b.c"),
                   ("client_id", client_id),
                   ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                   ("client_assertion", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")]),
        ),
        post_form("/revoke", form(&[("token", refresh), ("client_id", client_id)])),
        post_form("/introspect", form(&[("token", refresh), ("client_id", client_id)])),
        get("/federation/corp/start?return_to=%2Faccount".into()),
        get("/federation/corp/callback?code=c&state=s".into()),
        get("/account".into()),
        post_form("/account", form(&[("sign_in_token", "t"), ("email", EMAIL), ("password", PASSWORD)])),
        post_form("/account", form(&[("disconnect", "g"), ("form_token", "t")])),
        rpc("/mcp", json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})),
        rpc("/mcp", json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                           "params": {"name": "add_note", "arguments": {"title": "t", "body": "b"}}})),
        rpc("/mcp", json!({"jsonrpc": "2.0", "id": 3, "method": "server/discover", "params": {"_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28"}}})),
        rpc("/", json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "f", "version": "1"}}})),
    ]
}

const JUNK: &[&str] = &[
    "",
    "%",
    "%zz",
    "\u{0}",
    "\u{202E}",
    "\u{212A}",
    "😀",
    "'\"<script>",
    "../..",
    "&&&",
    "==",
    "a=b=c",
    "\r\n",
    "null",
    "[]",
    "{}",
    "-1",
    "99999999999999999999",
];

/// One mutation of `seed`.
fn mutate(rng: &mut Rng, seed: &Seed) -> (String, String, Vec<(&'static str, String)>, Vec<u8>) {
    let mut method = seed.method.to_owned();
    let mut path = seed.path.clone();
    let mut body = seed.body.clone().into_bytes();
    let mut headers: Vec<(&'static str, String)> = Vec::new();
    if let Some(content_type) = seed.content_type {
        headers.push(("content-type", content_type.to_owned()));
    }
    for _ in 0..=rng.below(3) {
        match rng.below(12) {
            0 if !body.is_empty() => {
                let at = rng.below(body.len());
                body[at] = rng.next() as u8;
            }
            1 => {
                let at = rng.below(body.len() + 1);
                let junk = rng.pick(JUNK).as_bytes().to_vec();
                body.splice(at..at, junk);
            }
            2 if !body.is_empty() => body.truncate(rng.below(body.len())),
            3 => body.extend_from_slice(format!("&x={}", "A".repeat(rng.below(20_000))).as_bytes()),
            4 => {
                let junk = rng.pick(JUNK);
                path.push_str(&format!(
                    "{}{junk}",
                    if path.contains('?') { "&q=" } else { "?q=" }
                ));
            }
            5 => path.push_str(&format!("/{}", "x".repeat(rng.below(3_000)))),
            6 => {
                method = rng
                    .pick(&["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
                    .to_string()
            }
            7 => headers.retain(|(name, _)| *name != "content-type"),
            8 => headers.push((
                "content-type",
                rng.pick(&[
                    "text/plain",
                    "application/json",
                    "multipart/form-data",
                    "application/x-www-form-urlencoded; charset=latin1",
                ])
                .to_string(),
            )),
            9 => headers.push((
                *rng.pick(&[
                    "cookie",
                    "origin",
                    "sec-fetch-site",
                    "mcp-protocol-version",
                    "accept",
                    "mcp-method",
                    "mcp-name",
                    "authorization",
                ]),
                rng.pick(JUNK).replace(['\r', '\n', '\u{0}'], ""),
            )),
            10 => headers.push((
                "cookie",
                format!(
                    "mcp-session={}; mcp-consent={}; mcp-signin=x",
                    "a".repeat(rng.below(100)),
                    rng.pick(JUNK).replace(['\r', '\n', '\u{0}', ';'], "")
                ),
            )),
            _ => body.extend_from_slice(b"&grant_type=refresh_token&grant_type=client_credentials"),
        }
    }
    (method, path, headers, body)
}

/// Runs the pass: (requests answered, answers by status, the 5xx seen).
async fn fuzz(
    store: Arc<dyn Store>,
    seed: u64,
) -> (usize, std::collections::BTreeMap<u16, usize>, Vec<String>) {
    let origin = serve(store).await;
    let session = authorize(&origin, CLAUDE_CALLBACK, CLAUDE_CALLBACK, "mcp mcp:write").await;
    let token = session.tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = session.tokens["refresh_token"].as_str().unwrap().to_owned();
    let seeds = seeds(&session.client_id, &refresh, &Pkce::new());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut rng = Rng(seed);
    let failures = Arc::new(Mutex::new(Vec::new()));
    let sent = Arc::new(AtomicUsize::new(0));
    let statuses = Arc::new(Mutex::new(std::collections::BTreeMap::new()));
    for _ in 0..REQUESTS / CONCURRENCY {
        let batch: Vec<_> = (0..CONCURRENCY)
            .map(|_| {
                let seed = rng.pick(&seeds).clone();
                let (method, path, headers, body) = mutate(&mut rng, &seed);
                let mut request = http.request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    format!("{origin}{path}"),
                );
                if seed.bearer && rng.below(4) != 0 {
                    request = request.bearer_auth(&token);
                }
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                let request = request.body(body);
                let (failures, sent, statuses) = (failures.clone(), sent.clone(), statuses.clone());
                tokio::spawn(async move {
                    // A request the client library itself refuses to build is no request sent.
                    let Ok(reply) = request.send().await else {
                        return;
                    };
                    sent.fetch_add(1, Ordering::Relaxed);
                    let status = reply.status();
                    *statuses.lock().unwrap().entry(status.as_u16()).or_insert(0) += 1;
                    if status.is_server_error() {
                        let text = reply.text().await.unwrap_or_default();
                        failures.lock().unwrap().push(format!(
                            "{method} {} → {status}: {}",
                            &path[..path.len().min(120)],
                            &text[..text.len().min(200)]
                        ));
                    }
                })
            })
            .collect();
        for task in batch {
            task.await.unwrap();
        }
    }
    let failures = failures.lock().unwrap().clone();
    let statuses = statuses.lock().unwrap().clone();
    (sent.load(Ordering::Relaxed), statuses, failures)
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_route_survives_mutated_requests_on_both_stores() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing::subscriber::set_global_default(remote_mcp_core::telemetry::json(move || {
        writer.clone()
    }))
    .unwrap();
    let panics = Arc::new(AtomicUsize::new(0));
    let counted = panics.clone();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        counted.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));
    let started = std::time::Instant::now();
    let (memory_sent, memory_statuses, memory) =
        fuzz(remote_mcp_testkit::memory_store(), 0x5EED_F022).await;
    let (dynamo_sent, dynamo_statuses, dynamo) =
        fuzz(remote_mcp_testkit::fresh_dynamo_store().await, 0x5EED_F023).await;
    println!(
        "fuzz: {memory_sent} requests on the memory store {memory_statuses:?}, {dynamo_sent} on \
         DynamoDB Local {dynamo_statuses:?}, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(memory_sent > REQUESTS * 9 / 10 && dynamo_sent > REQUESTS * 9 / 10);
    assert!(memory.is_empty(), "5xx on the memory store: {memory:#?}");
    assert!(dynamo.is_empty(), "5xx on DynamoDB Local: {dynamo:#?}");
    assert_eq!(panics.load(Ordering::SeqCst), 0, "a handler panicked");
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let errors: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains(r#""level":"ERROR""#))
        .take(5)
        .collect();
    assert!(errors.is_empty(), "the server logged errors: {errors:#?}");
}
