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

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;

mod transport;
pub use transport::{InProcess, LambdaInvoke, OverHttp, Transport, function_for};
mod check;
use check::{check, truncate};

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
