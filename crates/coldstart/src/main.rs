//! `make coldstart`: how long each function takes from `exec` to its first response, against a bare
//! `lambda_http` hello built with the same profile.
//!
//! Each measurement starts the binary fresh under a local Lambda Runtime API (this program), hands it
//! one API Gateway v2 event, and stops the clock when the response is posted back. The
//! binaries take turns within every round (the order rotates), so drift in the machine's load
//! affects them alike. Every request is one the function answers without the network (metadata
//! documents), so what is measured is process start, init, and one request.
//!
//! The bare hello is `lambda_http`'s minimal example as written (Tokio's default, multi-threaded
//! runtime). The functions run on a single-threaded runtime (Lambda sends one event at a time); the
//! same hello on one thread is shown for reference, so what the runtime alone is worth is visible.
//!
//! Usage: `remote-mcp-coldstart [--rounds 21] [--dir target/release] [--max-ratio 1.5]`

use anyhow::{Context, bail};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// A binary, and the request its first invocation gets.
struct Subject {
    name: &'static str,
    binary: &'static str,
    path: &'static str,
    /// Held to the goal (the functions), or shown for reference.
    measured: bool,
}

const SUBJECTS: [Subject; 4] = [
    Subject {
        name: "bare lambda_http hello",
        binary: "coldstart-hello",
        path: "/",
        measured: false,
    },
    Subject {
        name: "OAuth function",
        binary: "oauth-function",
        path: "/.well-known/oauth-authorization-server",
        measured: true,
    },
    Subject {
        name: "MCP function",
        binary: "mcp-function",
        path: "/.well-known/oauth-protected-resource",
        measured: true,
    },
    Subject {
        name: "hello, one thread (ref.)",
        binary: "coldstart-hello-single-thread",
        path: "/",
        measured: false,
    },
];

/// The emulator's state for the invocation in flight.
#[derive(Default)]
struct Invocation {
    event: Option<String>,
    done: Option<oneshot::Sender<(u16, String)>>,
}

type Shared = Arc<Mutex<Invocation>>;

async fn next(State(shared): State<Shared>) -> Response {
    let event = shared.lock().ok().and_then(|mut i| i.event.take());
    let Some(event) = event else {
        // A second `next` after the one invocation: hold it until the process is stopped.
        tokio::time::sleep(Duration::from_secs(3600)).await;
        return StatusCode::NO_CONTENT.into_response();
    };
    let mut headers = HeaderMap::new();
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        + Duration::from_secs(30);
    let header = |v: String| HeaderValue::from_str(&v).unwrap_or(HeaderValue::from_static("0"));
    headers.insert(
        "lambda-runtime-aws-request-id",
        HeaderValue::from_static("coldstart-1"),
    );
    headers.insert(
        "lambda-runtime-deadline-ms",
        header(deadline.as_millis().to_string()),
    );
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        HeaderValue::from_static("arn:aws:lambda:us-east-1:123456789012:function:coldstart"),
    );
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    (headers, event).into_response()
}

async fn respond(State(shared): State<Shared>, Path(_id): Path<String>, body: Bytes) -> StatusCode {
    finish(&shared, 200, body);
    StatusCode::ACCEPTED
}

async fn fail(State(shared): State<Shared>, body: Bytes) -> StatusCode {
    finish(&shared, 500, body);
    StatusCode::ACCEPTED
}

fn finish(shared: &Shared, status: u16, body: Bytes) {
    if let Some(done) = shared.lock().ok().and_then(|mut i| i.done.take()) {
        let _ = done.send((status, String::from_utf8_lossy(&body).into_owned()));
    }
}

/// An API Gateway HTTP API (payload 2.0) event for `GET path`.
fn event(path: &str) -> String {
    serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "coldstart.example.com", "accept": "application/json"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "coldstart", "domainName": "coldstart.example.com",
            "domainPrefix": "coldstart", "requestId": "coldstart-1", "routeKey": "$default",
            "stage": "$default", "time": "28/Nov/2026:12:00:00 +0000", "timeEpoch": 1_795_867_200_000_i64,
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.1", "userAgent": "coldstart"}
        },
        "isBase64Encoded": false
    })
    .to_string()
}

/// Starts `binary` under the emulator and waits for its first response: the elapsed time.
async fn once(dir: &std::path::Path, subject: &Subject) -> anyhow::Result<Duration> {
    let shared: Shared = Arc::default();
    let (done, finished) = oneshot::channel();
    {
        let mut invocation = shared.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        invocation.event = Some(event(subject.path));
        invocation.done = Some(done);
    }
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(respond),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
        .route("/2018-06-01/runtime/init/error", post(fail))
        .with_state(shared);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let api = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let binary = dir.join(subject.binary);
    let started = Instant::now();
    let mut child = tokio::process::Command::new(&binary)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", subject.binary)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/coldstart")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "coldstart")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "coldstart")
        .env("AWS_SECRET_ACCESS_KEY", "coldstart")
        .env("AWS_SESSION_TOKEN", "coldstart")
        .env("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true")
        .env("PUBLIC_BASE_URL", "https://coldstart.example.com")
        .env("TABLE_NAME", "coldstart")
        .env(
            "SIGNING_KEY_ID",
            "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
        )
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| {
            format!(
                "starting {} (run `make coldstart`, which builds it)",
                binary.display()
            )
        })?;
    let outcome = tokio::time::timeout(Duration::from_secs(30), finished).await;
    let elapsed = started.elapsed();
    let _ = child.kill().await;
    server.abort();
    let (status, body) = outcome
        .with_context(|| format!("{} did not answer within 30 s", subject.name))?
        .context("the emulator stopped")?;
    if status != 200 || !body.contains("\"statusCode\":200") {
        bail!("{} answered {status}: {body}", subject.name);
    }
    Ok(elapsed)
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match measure().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Cold start of both functions against a bare `lambda_http` hello.
#[derive(Debug, clap::Parser)]
#[command(name = "remote-mcp-coldstart")]
struct Args {
    /// Cold starts of each binary; the median is reported.
    #[arg(long, default_value_t = 21, value_parser = clap::value_parser!(u16).range(1..))]
    rounds: u16,
    /// Where the release binaries are.
    #[arg(long, default_value = "target/release")]
    dir: PathBuf,
    /// Fails when a function takes more than this many times the bare hello.
    #[arg(long, default_value_t = 1.5)]
    max_ratio: f64,
}

async fn measure() -> anyhow::Result<()> {
    let args = <Args as clap::Parser>::parse();
    let (rounds, dir, max_ratio) = (usize::from(args.rounds), args.dir, args.max_ratio);
    // One untimed round first: the page cache then holds every binary, as on a warm Lambda host.
    for subject in &SUBJECTS {
        once(&dir, subject).await?;
    }
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); SUBJECTS.len()];
    for round in 0..rounds {
        for offset in 0..SUBJECTS.len() {
            let index = (round + offset) % SUBJECTS.len();
            samples[index].push(once(&dir, &SUBJECTS[index]).await?);
        }
    }
    let medians: Vec<Duration> = samples.iter_mut().map(|s| median(s)).collect();
    let bare = medians[0].as_secs_f64();
    println!(
        "cold start, exec → first response, median of {rounds} ({} built with the same profile)",
        dir.display()
    );
    let mut worst: f64 = 0.0;
    for (subject, median) in SUBJECTS.iter().zip(&medians) {
        let ratio = median.as_secs_f64() / bare;
        if subject.measured {
            worst = worst.max(ratio);
        }
        println!(
            "  {:<24} {:>7.2} ms   {:>4.2}× the bare hello",
            subject.name,
            median.as_secs_f64() * 1000.0,
            ratio
        );
    }
    if worst > max_ratio {
        bail!("a function takes {worst:.2}× the bare hello (goal ≤ {max_ratio})");
    }
    Ok(())
}
