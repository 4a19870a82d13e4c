//! `remote-mcp-replay`: replays the recorded Claude sequences in `fixtures/`.
//!
//! - `--url URL --email E`: against a running server (`make run`, a deployed stack); the password
//!   from `REMOTE_MCP_PASSWORD`, a no-echo prompt, or stdin;
//!   the account must exist there.
//! - `--lambda`: against the real Lambda binaries under `cargo lambda watch`, wired to DynamoDB Local
//!   and a local KMS, exactly as they run in AWS but for the endpoints.

use anyhow::{Context, bail};
use remote_mcp_testkit::workspace_root;
use remote_mcp_xtask::local_aws::{self, LocalAws};
use remote_mcp_xtask::process_group::ProcessGroup;
use remote_mcp_xtask::replay::{
    LambdaInvoke, OverHttp, Sequence, Transport, initial_vars, load, replay_all,
};
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LAMBDA_HOST: &str = "r3mc9x2k1a.execute-api.eu-west-1.amazonaws.com";

/// Replays Claude's recorded sequences.
#[derive(Debug, clap::Parser)]
#[command(name = "remote-mcp-replay")]
struct Args {
    /// Against the real Lambda binaries under `cargo lambda watch` (DynamoDB Local, a local KMS).
    #[arg(long, conflicts_with_all = ["url", "email"])]
    lambda: bool,
    /// Against a running server: its URL (`make run`, a deployed stack).
    #[arg(long, required_unless_present = "lambda", requires = "email")]
    url: Option<String>,
    /// An account on that server (the password from REMOTE_MCP_PASSWORD, a prompt, or stdin).
    #[arg(long)]
    email: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = <Args as clap::Parser>::parse();
    let sequences = load(&workspace_root().join("fixtures"))?;
    let (Some(url), Some(email)) = (args.url, args.email) else {
        return lambda(&sequences).await;
    };
    let password = password(&email)?;
    let parsed = url::Url::parse(&url)?;
    let host = match parsed.port() {
        Some(port) => format!("{}:{port}", parsed.host_str().unwrap_or_default()),
        None => parsed.host_str().unwrap_or_default().to_owned(),
    };
    let issuer = url.trim_end_matches('/').to_owned();
    let transport = OverHttp::new(&issuer)?;
    let vars = initial_vars(&host, &issuer, &email, &password);
    replay_all(&sequences, &transport, &vars, &format!("HTTP {issuer}")).await
}

/// The account's password: `REMOTE_MCP_PASSWORD`, else a no-echo prompt, else a line of stdin when
/// it is not a terminal; never an argument (arguments show in `ps` and shell history).
fn password(email: &str) -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if let Ok(password) = std::env::var("REMOTE_MCP_PASSWORD") {
        return Ok(password);
    }
    if std::io::stdin().is_terminal() {
        return Ok(rpassword::prompt_password(format!(
            "Password for {email}: "
        ))?);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn lambda(sequences: &[Sequence]) -> anyhow::Result<()> {
    let root = workspace_root();
    let cargo_lambda = root.join(".venv/bin/cargo-lambda");
    if !cargo_lambda.is_file() {
        bail!(
            "{} not found: run `make deps` (installs the pinned cargo-lambda)",
            cargo_lambda.display()
        );
    }
    // The AWS services the functions use, locally.
    let aws = LocalAws::start(IpAddr::V4(Ipv4Addr::LOCALHOST)).await?;
    let port = free_port()?;
    let issuer = format!("https://{LAMBDA_HOST}");
    // cargo lambda refuses `NAME=` with nothing after it; an unset variable reads the same.
    let env: Vec<String> = aws
        .function_env(&issuer, "127.0.0.1")
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={value}"))
        .chain([
            // Tasks go to the worker through the emulator's own Invoke API, as on Lambda.
            "TASK_WORKER_FUNCTION=task-worker".into(),
            format!("LAMBDA_ENDPOINT_URL=http://127.0.0.1:{port}"),
            "AWS_REGION=us-east-1".into(),
            "AWS_ACCESS_KEY_ID=local".into(),
            "AWS_SECRET_ACCESS_KEY=local".into(),
        ])
        .collect();
    let log_path = root.join("target/lambda-watch.log");
    let log = std::fs::File::create(&log_path)?;
    println!(
        "cargo lambda watch on 127.0.0.1:{port}, log: {}",
        log_path.display()
    );
    let mut command = Command::new(&cargo_lambda);
    command
        .args([
            "lambda",
            "watch",
            "--ignore-changes",
            "--invoke-address",
            "127.0.0.1",
            // The functions' development feature: the workspace's one build of the dependencies
            // (crates/workspace-hack), not a second one with the shipped functions' features.
            "--features",
            "oauth-function/workspace-hack,mcp-function/workspace-hack",
        ])
        .args(["--invoke-port", &port.to_string()])
        .args(env.iter().flat_map(|e| ["--env-var".to_owned(), e.clone()]))
        .current_dir(&root)
        .env(
            "PATH",
            format!(
                "{}:{}",
                root.join(".venv/bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // Killed with the function processes it started (its group): cargo-lambda ignores SIGTERM.
    let _emulator =
        ProcessGroup::spawn(&mut command, Duration::ZERO).context("starting cargo lambda watch")?;
    let transport = LambdaInvoke {
        endpoint: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(180))
            .build()?,
    };
    warm_up(&transport).await?;
    let vars = initial_vars(LAMBDA_HOST, &issuer, local_aws::EMAIL, local_aws::PASSWORD);
    replay_all(sequences, &transport, &vars, "cargo lambda watch").await
}

/// Waits until both functions answer under the emulator, which compiles each on its first
/// invocation.
async fn warm_up(transport: &LambdaInvoke) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(900);
    for function in ["oauth-function", "mcp-function"] {
        let probe = if function == "oauth-function" {
            "/.well-known/jwks.json"
        } else {
            "/.well-known/oauth-protected-resource"
        };
        let event = serde_json::json!({
            "version": "2.0", "routeKey": "$default", "rawPath": probe, "rawQueryString": "",
            "headers": {"host": LAMBDA_HOST}, "isBase64Encoded": false,
            "requestContext": {"accountId": "210987654321", "apiId": "r3mc9x2k1a", "domainName": LAMBDA_HOST,
                "domainPrefix": "r3mc9x2k1a", "requestId": "warm-up", "routeKey": "$default", "stage": "$default",
                "time": "22/Nov/2026:08:00:00 +0000", "timeEpoch": 1_795_334_400_000_i64,
                "http": {"method": "GET", "path": probe, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "warm-up"}}
        });
        loop {
            match transport.send(event.clone()).await {
                Ok(reply) if reply.status == 200 => break,
                _ if Instant::now() > deadline => {
                    bail!("{function} did not come up under cargo lambda watch")
                }
                _ => tokio::time::sleep(Duration::from_secs(2)).await,
            }
        }
    }
    Ok(())
}
