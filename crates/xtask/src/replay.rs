//! Replays recorded client traffic: sequences of API Gateway HTTP API (payload 2.0) events with
//! the responses expected of them, carrying dynamic values (client id, code, tokens) from step to
//! step.
//!
//! A step file (`fixtures/<sequence>/<NN>-<name>.json`) holds:
//! - `event`: the API Gateway event. Bodies are stored decoded for readability; when
//!   `isBase64Encoded` is true the replay encodes them, as API Gateway delivers them.
//!   `{{name}}` placeholders anywhere are filled from the values captured so far.
//! - `expect`: `status`; `json` (members that must equal, after substitution); `json_present`;
//!   `json_differs` (members that must differ from a value, e.g. a rotated refresh token);
//!   `headers` (substrings of header values); `location` (query parameters of the redirect, `"*"` for
//!   any value) and `location_prefix`; `body_contains`; and `capture` (`json:<member>`,
//!   `location:<param>`, `form:<hidden field>`, `cookie:<name suffix>`).
//!
//! Three transports run the same sequences: [`InProcess`] turns each event into a request exactly
//! as `lambda_http` does on Lambda and calls the router; [`LambdaInvoke`] hands the event to the real
//! Lambda binaries under a runtime emulator; [`OverHttp`] sends it to a running server.

use axum::Router;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use remote_mcp_testkit::http::Reply;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;
use tower::ServiceExt;

/// One recorded request and what must come back.
#[derive(Debug, Deserialize)]
pub struct Step {
    #[serde(skip)]
    pub name: String,
    pub event: Value,
    pub expect: Expect,
}

/// What a response must look like, and what to remember from it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Expect {
    pub status: u16,
    pub json: Map<String, Value>,
    pub json_present: Vec<String>,
    pub json_differs: Map<String, Value>,
    pub headers: HashMap<String, String>,
    pub location: HashMap<String, String>,
    pub location_prefix: Option<String>,
    pub body_contains: Vec<String>,
    pub capture: HashMap<String, String>,
    /// Send the step again until the answer matches, for up to this many seconds (a task polled
    /// to its end).
    pub poll_seconds: Option<u64>,
}

/// A named, ordered list of steps.
#[derive(Debug)]
pub struct Sequence {
    pub name: String,
    pub steps: Vec<Step>,
}

/// Loads every sequence under `dir` (one sub-directory each, steps in file-name order).
pub fn load(dir: &Path) -> anyhow::Result<Vec<Sequence>> {
    let mut sequences = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for seq in dirs {
        let mut files: Vec<_> = std::fs::read_dir(&seq)?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        let mut steps = Vec::new();
        for file in files {
            let mut step: Step = serde_json::from_str(&std::fs::read_to_string(&file)?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            step.name = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            steps.push(step);
        }
        let name = seq
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        sequences.push(Sequence { name, steps });
    }
    Ok(sequences)
}

/// Delivers an event and returns the response.
pub trait Transport {
    /// Sends `event` (placeholders filled, body encoded as flagged).
    fn send(&self, event: Value) -> impl std::future::Future<Output = anyhow::Result<Reply>>;
}

/// The router, fed exactly what `lambda_http` makes of the event on Lambda.
pub struct InProcess(pub Router);

impl Transport for InProcess {
    async fn send(&self, event: Value) -> anyhow::Result<Reply> {
        let request = lambda_http::request::from_str(&event.to_string())?;
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, axum::body::Body::from(body.to_vec()));
        let response = self.0.clone().oneshot(request).await?;
        Ok(remote_mcp_testkit::http::read(response).await)
    }
}

/// A running server (`make run`, `cargo lambda watch`, or a deployed stack).
pub struct OverHttp {
    pub base: String,
    pub client: reqwest::Client,
}

impl OverHttp {
    /// Sends to `base` (e.g. `http://127.0.0.1:8787`), following no redirects.
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            client,
        })
    }
}

impl Transport for OverHttp {
    async fn send(&self, event: Value) -> anyhow::Result<Reply> {
        let method = event["requestContext"]["http"]["method"]
            .as_str()
            .unwrap_or("GET");
        let path = event["rawPath"].as_str().unwrap_or("/");
        let query = event["rawQueryString"].as_str().unwrap_or("");
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{query}", self.base)
        };
        let mut request = self.client.request(method.parse()?, url);
        if let Some(headers) = event["headers"].as_object() {
            for (name, value) in headers {
                if !matches!(name.as_str(), "host" | "content-length") {
                    request = request.header(name, value.as_str().unwrap_or_default());
                }
            }
        }
        if let Some(cookies) = event["cookies"].as_array() {
            let joined: Vec<&str> = cookies.iter().filter_map(Value::as_str).collect();
            request = request.header("cookie", joined.join("; "));
        }
        if let Some(body) = event["body"].as_str() {
            let bytes = if event["isBase64Encoded"] == Value::Bool(true) {
                STANDARD.decode(body)?
            } else {
                body.as_bytes().to_vec()
            };
            request = request.body(bytes);
        }
        let response = request.send().await?;
        Ok(Reply {
            status: response.status(),
            headers: response.headers().clone(),
            text: response.text().await?,
        })
    }
}

/// The real Lambda binaries, invoked through a Lambda runtime emulator (`cargo lambda watch`) with
/// the API Gateway event itself; each path goes to the function API Gateway routes it to.
pub struct LambdaInvoke {
    pub endpoint: String,
    pub client: reqwest::Client,
}

/// The function API Gateway sends `path` to (the routes of `template.yaml`, which a test holds to
/// each function's `PATHS`).
pub fn function_for(path: &str) -> &'static str {
    let oauth = oauth_function::PATHS.contains(&path)
        || path
            .strip_prefix("/register/")
            .is_some_and(|id| !id.is_empty() && !id.contains('/'));
    if oauth {
        "oauth-function"
    } else {
        "mcp-function"
    }
}

impl Transport for LambdaInvoke {
    async fn send(&self, event: Value) -> anyhow::Result<Reply> {
        let function = function_for(event["rawPath"].as_str().unwrap_or("/"));
        let url = format!(
            "{}/2015-03-31/functions/{function}/invocations",
            self.endpoint
        );
        let response: Value = self
            .client
            .post(url)
            .json(&event)
            .send()
            .await?
            .json()
            .await?;
        let status = response["statusCode"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .and_then(|s| StatusCode::from_u16(s).ok())
            .ok_or_else(|| anyhow::anyhow!("not an API Gateway response: {response}"))?;
        let mut headers = HeaderMap::new();
        for (name, value) in response["headers"].as_object().into_iter().flatten() {
            headers.append(
                HeaderName::try_from(name.as_str())?,
                HeaderValue::try_from(value.as_str().unwrap_or_default())?,
            );
        }
        for cookie in response["cookies"].as_array().into_iter().flatten() {
            headers.append(
                header::SET_COOKIE,
                HeaderValue::try_from(cookie.as_str().unwrap_or_default())?,
            );
        }
        let body = response["body"].as_str().unwrap_or_default();
        let body = if response["isBase64Encoded"] == Value::Bool(true) {
            String::from_utf8_lossy(&STANDARD.decode(body)?).into_owned()
        } else {
            body.to_owned()
        };
        Ok(Reply {
            status,
            headers,
            text: body,
        })
    }
}

/// Fills `{{name}}` placeholders in every string of `value`.
fn fill(value: &Value, vars: &HashMap<String, String>) -> anyhow::Result<Value> {
    Ok(match value {
        Value::String(s) => Value::String(fill_str(s, vars)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| fill(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), fill(v, vars)?)))
                .collect::<anyhow::Result<_>>()?,
        ),
        other => other.clone(),
    })
}

fn fill_str(s: &str, vars: &HashMap<String, String>) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let end = rest[start..]
            .find("}}")
            .ok_or_else(|| anyhow::anyhow!("unclosed placeholder in {s:?}"))?
            + start;
        let name = &rest[start + 2..end];
        let value = vars
            .get(name)
            .ok_or_else(|| anyhow::anyhow!("no value for {{{{{name}}}}} yet"))?;
        out.push_str(&rest[..start]);
        out.push_str(value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Form-encodes a captured value that lands in a query string or form body.
fn prepare(mut event: Value) -> Value {
    if event["isBase64Encoded"] == Value::Bool(true)
        && let Some(body) = event["body"].as_str()
    {
        event["body"] = Value::String(STANDARD.encode(body));
    }
    event
}

/// The values every sequence starts from: the public host and issuer, and the account to sign in
/// with (query- and form-encoded where the fixtures need them).
pub fn initial_vars(
    host: &str,
    issuer: &str,
    email: &str,
    password: &str,
) -> HashMap<String, String> {
    let q = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    HashMap::from([
        ("host".into(), host.into()),
        ("issuer".into(), issuer.into()),
        ("issuer_q".into(), q(issuer)),
        ("email_q".into(), q(email)),
        ("password_q".into(), q(password)),
        ("port".into(), "53517".into()),
    ])
}

/// Runs every sequence from a fresh start, printing `replay <sequence> via <target>: pass (n
/// steps)` or what failed; an error if any failed.
pub async fn replay_all(
    sequences: &[Sequence],
    transport: &impl Transport,
    vars: &HashMap<String, String>,
    target: &str,
) -> anyhow::Result<()> {
    let mut failed = 0;
    for seq in sequences {
        let mut vars = vars.clone();
        match replay(seq, transport, &mut vars).await {
            Ok(()) => println!(
                "replay {:<26} via {target}: pass ({} steps)",
                seq.name,
                seq.steps.len()
            ),
            Err(why) => {
                failed += 1;
                println!("replay {:<26} via {target}: FAIL\n  {why}", seq.name);
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} sequences failed", sequences.len());
    }
    Ok(())
}

/// Runs a sequence; on failure names the step and what differed.
pub async fn replay(
    seq: &Sequence,
    transport: &impl Transport,
    vars: &mut HashMap<String, String>,
) -> Result<(), String> {
    for step in &seq.steps {
        let fail = |why: String| format!("{} / {}: {why}", seq.name, step.name);
        let event = fill(&step.event, vars).map_err(|e| fail(e.to_string()))?;
        let give_up = std::time::Instant::now()
            + std::time::Duration::from_secs(step.expect.poll_seconds.unwrap_or(0));
        loop {
            let reply = transport
                .send(prepare(event.clone()))
                .await
                .map_err(|e| fail(e.to_string()))?;
            match check(&step.expect, &reply, vars) {
                Ok(()) => break,
                Err(_) if std::time::Instant::now() < give_up => {
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                Err(why) => {
                    return Err(fail(format!(
                        "{why}\n  response {} {}",
                        reply.status.as_u16(),
                        truncate(&reply.text)
                    )));
                }
            }
        }
    }
    Ok(())
}

/// A member of the answer: a top-level name, or a JSON pointer (`/result/status`).
fn at<'a>(json: &'a Value, member: &str) -> &'a Value {
    if member.starts_with('/') {
        json.pointer(member).unwrap_or(&Value::Null)
    } else {
        &json[member]
    }
}

fn truncate(s: &str) -> &str {
    &s[..s.char_indices().nth(400).map_or(s.len(), |(i, _)| i)]
}

fn check(expect: &Expect, reply: &Reply, vars: &mut HashMap<String, String>) -> Result<(), String> {
    if reply.status.as_u16() != expect.status {
        return Err(format!(
            "status {} (expected {})",
            reply.status.as_u16(),
            expect.status
        ));
    }
    let json: Value = serde_json::from_str(&reply.text).unwrap_or(Value::Null);
    check_json(expect, &json, vars)?;
    for (name, wanted) in &expect.headers {
        let wanted = fill_str(wanted, vars).map_err(|e| e.to_string())?;
        if !reply.headers_named(name).any(|v| v.contains(&wanted)) {
            return Err(format!("header {name} lacks {wanted:?}"));
        }
    }
    let location = reply
        .header("location")
        .and_then(|l| url::Url::parse(l).ok());
    check_location(expect, location.as_ref(), vars)?;
    for text in &expect.body_contains {
        let text = fill_str(text, vars).map_err(|e| e.to_string())?;
        if !reply.text.contains(&text) {
            return Err(format!("body lacks {text:?}"));
        }
    }
    capture(expect, reply, &json, location.as_ref(), vars)
}

/// The members the answer must have, have at all, or have changed.
fn check_json(expect: &Expect, json: &Value, vars: &HashMap<String, String>) -> Result<(), String> {
    for (member, wanted) in &expect.json {
        let wanted = fill(wanted, vars).map_err(|e| e.to_string())?;
        if *at(json, member) != wanted {
            return Err(format!(
                "{member} is {} (expected {wanted})",
                at(json, member)
            ));
        }
    }
    for member in &expect.json_present {
        if at(json, member).is_null() {
            return Err(format!("{member} is missing"));
        }
    }
    for (member, previous) in &expect.json_differs {
        let previous = fill(previous, vars).map_err(|e| e.to_string())?;
        if at(json, member).is_null() || *at(json, member) == previous {
            return Err(format!("{member} did not change"));
        }
    }
    Ok(())
}

/// Where a redirect must go, and the parameters it must carry (`*`: any value).
fn check_location(
    expect: &Expect,
    location: Option<&url::Url>,
    vars: &HashMap<String, String>,
) -> Result<(), String> {
    if let Some(prefix) = &expect.location_prefix {
        let prefix = fill_str(prefix, vars).map_err(|e| e.to_string())?;
        if !location.is_some_and(|l| l.as_str().starts_with(&prefix)) {
            return Err(format!("redirect does not go to {prefix}"));
        }
    }
    for (name, wanted) in &expect.location {
        let wanted = fill_str(wanted, vars).map_err(|e| e.to_string())?;
        match param(location, name) {
            Some(v) if wanted == "*" || v == wanted => {}
            other => {
                return Err(format!(
                    "redirect parameter {name} is {other:?} (expected {wanted})"
                ));
            }
        }
    }
    Ok(())
}

fn param(location: Option<&url::Url>, name: &str) -> Option<String> {
    location.and_then(|l| {
        l.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    })
}

/// Remembers what later steps use: a member of the answer, a redirect parameter, a form field,
/// a cookie.
fn capture(
    expect: &Expect,
    reply: &Reply,
    json: &Value,
    location: Option<&url::Url>,
    vars: &mut HashMap<String, String>,
) -> Result<(), String> {
    for (var, source) in &expect.capture {
        let value = match source.split_once(':') {
            Some(("json", member)) => at(json, member).as_str().map(str::to_owned),
            Some(("location", name)) => param(location, name),
            Some(("form", field)) => {
                let marker = format!("name=\"{field}\" value=\"");
                reply.text.find(&marker).map(|i| {
                    reply.text[i + marker.len()..]
                        .split('"')
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                })
            }
            Some(("cookie", suffix)) => reply
                .headers_named("set-cookie")
                .filter_map(|c| c.split(';').next())
                .find(|c| c.split('=').next().is_some_and(|n| n.ends_with(suffix)))
                .map(str::to_owned),
            _ => return Err(format!("unknown capture {source:?}")),
        };
        let value = value.ok_or_else(|| format!("nothing to capture for {var} ({source})"))?;
        vars.insert(var.clone(), value);
    }
    Ok(())
}
