//! `remote-mcp-sam-local`: both functions under `sam local start-api`, wired to DynamoDB Local and
//! a local KMS. `scripts/sam-local.sh` (`make sam-local`, `make sam-local-replay`) provides the
//! container engine, the base image and the `sam build` output, then runs this.
//!
//! - `serve`: prints the URL and an account to sign in with, and serves until Ctrl-C;
//! - `replay`: replays every sequence in `fixtures/` over HTTP, each step checked as the other
//!   replays check it, and exits non-zero if any fails.
//!
//! Tasks take the real hand-over: `sam local start-lambda` serves the Lambda Invoke API beside the
//! API, and the MCP function invokes the task worker through it (asynchronously, as on AWS).
//!
//! Flags: `--template` (the `sam build` output), `--architecture` (the template parameter),
//! `--bind` (the address moto's KMS listens on, reachable from containers), `--reach` (how
//! containers reach this host), `--log`, `--port`.

use anyhow::{Context, bail};
use remote_mcp_testkit::workspace_root;
use remote_mcp_xtask::local_aws::{self, LocalAws};
use remote_mcp_xtask::process_group::ProcessGroup;
use remote_mcp_xtask::replay::{OverHttp, initial_vars, load, replay_all};
use std::net::{IpAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long `sam local` may take to start both warm containers.
const START_TIMEOUT: Duration = Duration::from_secs(240);

/// What to do once `sam local` serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Mode {
    /// Print the URL and an account, and serve until Ctrl-C.
    Serve,
    /// Replay every sequence in `fixtures/` and exit non-zero if any fails.
    Replay,
}

/// Both functions under `sam local start-api` (see `scripts/sam-local.sh`).
#[derive(Debug, clap::Parser)]
#[command(name = "remote-mcp-sam-local")]
struct Args {
    #[arg(value_enum)]
    mode: Mode,
    /// The `sam build` output's template.
    #[arg(long)]
    template: PathBuf,
    /// The template's Architecture parameter.
    #[arg(long)]
    architecture: String,
    /// The address moto's KMS listens on, reachable from containers.
    #[arg(long)]
    bind: IpAddr,
    /// How containers reach this host.
    #[arg(long)]
    reach: String,
    /// Where `sam local` logs.
    #[arg(long)]
    log: PathBuf,
    /// The port to serve on (serve: 3000; replay: a free one).
    #[arg(long)]
    port: Option<u16>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = <Args as clap::Parser>::parse();
    let replay = args.mode == Mode::Replay;
    let port = match args.port {
        Some(port) => port,
        None if replay => TcpListener::bind("127.0.0.1:0")?.local_addr()?.port(),
        None => 3000,
    };
    let aws = LocalAws::start(args.bind).await?;
    let url = format!("http://127.0.0.1:{port}");
    let lambda_port = TcpListener::bind((args.bind, 0))?.local_addr()?.port();

    let env_file = write_env_file(&aws, &url, &args, lambda_port)?;

    let mut command = sam_command("start-api", &args, &env_file, &args.log)?;
    command
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        // Both containers start now and serve every request: ~0.03 s a request instead of a
        // container per request.
        .args(["--warm-containers", "EAGER"]);
    // Interrupted first, so that it removes its containers, then killed with its group.
    let mut sam = ProcessGroup::spawn(&mut command, Duration::from_secs(20))
        .context("starting sam local start-api")?;

    // The Invoke API the MCP function hands tasks to, where containers reach it.
    let lambda_log_path = args.log.with_file_name("sam-lambda.log");
    let mut command = sam_command("start-lambda", &args, &env_file, &lambda_log_path)?;
    command
        .args([
            "--host",
            &args.bind.to_string(),
            "--port",
            &lambda_port.to_string(),
        ])
        // Only the worker is invoked here: its container starts with the first task.
        .args(["--warm-containers", "LAZY"]);
    let mut invoke_api = ProcessGroup::spawn(&mut command, Duration::from_secs(20))
        .context("starting sam local start-lambda")?;
    wait_until_serving(&mut sam, &url, &args.log).await?;
    wait_until_listening(&mut invoke_api, (args.bind, lambda_port), &lambda_log_path).await?;

    if replay {
        let sequences = load(&workspace_root().join("fixtures"))?;
        let transport = OverHttp::new(&url)?;
        let host = format!("127.0.0.1:{port}");
        let vars = initial_vars(&host, &url, local_aws::EMAIL, local_aws::PASSWORD);
        return replay_all(&sequences, &transport, &vars, "sam local").await;
    }
    println!(
        "\nBoth functions under sam local start-api ({}):\n  issuer   {url}\n  MCP      {url}/mcp\n  sign in  {} / {}\n  log      {}\nCtrl-C stops sam local, its containers, DynamoDB Local and the local KMS.",
        args.architecture,
        local_aws::EMAIL,
        local_aws::PASSWORD,
        args.log.display()
    );
    tokio::select! {
        _ = tokio::signal::ctrl_c() => Ok(()),
        exited = wait_for_exit(&mut sam) => bail!("sam local stopped: {exited} (log: {})", args.log.display()),
    }
}

/// The functions' variables, for `sam local --env-vars`: `sam local` replaces the template's `!Ref`s
/// with placeholders (TABLE_NAME=Table, …), so the real values come from here, for variables the
/// template declares. Tasks go to `sam local start-lambda` on `lambda_port`.
fn write_env_file(
    aws: &LocalAws,
    url: &str,
    args: &Args,
    lambda_port: u16,
) -> anyhow::Result<PathBuf> {
    let vars: serde_json::Map<String, serde_json::Value> = aws
        .function_env(url, &args.reach)
        .into_iter()
        .chain([
            (
                "TASK_WORKER_FUNCTION".to_owned(),
                "TaskWorkerFunction".to_owned(),
            ),
            (
                "LAMBDA_ENDPOINT_URL".to_owned(),
                format!("http://{}:{lambda_port}", args.reach),
            ),
        ])
        .map(|(name, value)| (name, value.into()))
        .collect();
    let env_file = args.log.with_file_name("env-vars.json");
    std::fs::write(
        &env_file,
        serde_json::to_vec_pretty(&serde_json::json!({ "Parameters": vars }))?,
    )?;
    Ok(env_file)
}

/// `sam local <subcommand>` on the `sam build` output, with the functions' variables from
/// `env_file`, logging to `log`.
fn sam_command(
    subcommand: &str,
    args: &Args,
    env_file: &std::path::Path,
    log: &std::path::Path,
) -> anyhow::Result<Command> {
    let log = std::fs::File::create(log)?;
    let mut command = Command::new(workspace_root().join(".venv/bin/sam"));
    command
        .args(["local", subcommand, "--template"])
        .arg(&args.template)
        .arg("--env-vars")
        .arg(env_file)
        .args([
            "--parameter-overrides",
            &format!("Architecture={}", args.architecture),
        ])
        // The base image is local (pulled, or the stand-in): never pull at each start.
        .arg("--skip-pull-image")
        // DynamoDB Local keeps one database per access key and region: the table's.
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("SAM_CLI_TELEMETRY", "0")
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    Ok(command)
}

/// Waits until both functions answer through `sam local`, or fails with the end of its log.
async fn wait_until_serving(
    sam: &mut ProcessGroup,
    url: &str,
    log: &std::path::Path,
) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let deadline = Instant::now() + START_TIMEOUT;
    for probe in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/jwks.json",
    ] {
        loop {
            if let Ok(Some(status)) = sam.child().try_wait() {
                bail!("sam local exited ({status}):\n{}", tail(log));
            }
            match client.get(format!("{url}{probe}")).send().await {
                Ok(reply) if reply.status().is_success() => break,
                _ if Instant::now() > deadline => {
                    bail!(
                        "{url}{probe} did not answer through sam local:\n{}",
                        tail(log)
                    )
                }
                _ => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }
    Ok(())
}

/// Waits until `sam local start-lambda` accepts connections, or fails with the end of its log.
async fn wait_until_listening(
    sam: &mut ProcessGroup,
    address: (IpAddr, u16),
    log: &std::path::Path,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = sam.child().try_wait() {
            bail!("sam local start-lambda exited ({status}):\n{}", tail(log));
        }
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("sam local start-lambda did not listen:\n{}", tail(log));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn wait_for_exit(sam: &mut ProcessGroup) -> String {
    loop {
        if let Ok(Some(status)) = sam.child().try_wait() {
            return status.to_string();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The last lines of a log, for an error message.
fn tail(log: &std::path::Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
