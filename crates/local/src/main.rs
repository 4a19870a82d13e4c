//! `make run`: serves the OAuth and MCP routers on 127.0.0.1.
//!
//! Usage: `remote-mcp-local [--port 8787] [--store memory|dynamodb-local] [--public-url URL]
//! [--conformance] [--json-logs]`
//!
//! `--public-url` is the https origin of a tunnel to this port (so Claude on the web, which cannot
//! reach a loopback address, can connect): it becomes the OAuth issuer and the MCP URL's origin.
//!
//! `--conformance` serves the MCP conformance suite's fixtures without OAuth (for `make
//! conformance`); never expose that mode.

use anyhow::Context;
use oauth_function::federation::config as providers;
use remote_mcp_core::Config;
use remote_mcp_core::telemetry::{self, LogFormat};
use remote_mcp_local::{StoreKind, app_with_providers, conformance_app, dev_user, store};

/// Both functions on 127.0.0.1, as `make run` serves them.
#[derive(Debug, clap::Parser)]
#[command(name = "remote-mcp-local")]
struct Args {
    /// The port to serve on.
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// memory or dynamodb-local.
    #[arg(long, default_value = "memory", value_parser = |s: &str| s.parse::<StoreKind>())]
    store: StoreKind,
    /// The https origin of a tunnel to this port: the OAuth issuer and the MCP URL's origin.
    #[arg(long)]
    public_url: Option<String>,
    /// Serve the MCP conformance suite's fixtures without OAuth (`make conformance` only).
    #[arg(long)]
    conformance: bool,
    /// Log as the Lambda functions do (JSON lines, the audit trail and the metrics records, one
    /// write per request) instead of the terminal's format: what `make load` measures.
    #[arg(long)]
    json_logs: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Args {
        port,
        store: kind,
        public_url,
        conformance,
        json_logs,
    } = <Args as clap::Parser>::parse();
    telemetry::init(if json_logs {
        LogFormat::Json
    } else {
        LogFormat::Pretty
    });
    let origin = public_url
        .filter(|u| !u.trim().is_empty())
        .map(|u| u.trim().trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("http://127.0.0.1:{port}"));
    let config = Config::local(&origin).context("--public-url must be an https origin")?;
    let store = store(kind).await?;
    // A development account, so a client can be connected at once. DEV_EMAIL / DEV_PASSWORD pin it.
    let email = std::env::var("DEV_EMAIL").unwrap_or_else(|_| "dev@localhost.test".into());
    let password = dev_user(store.as_ref(), &email, std::env::var("DEV_PASSWORD").ok()).await?;
    let app = if conformance {
        println!("CONFORMANCE MODE: /mcp serves test fixtures without authentication");
        conformance_app(config, store)
    } else {
        // Sign-in with identity providers, configured as in a deployment (docs/identity-providers.md).
        let providers = providers::from_env().map_err(anyhow::Error::msg)?;
        app_with_providers(config, store, providers)
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("binding 127.0.0.1:{port}"))?;
    println!("remote-mcp is running ({kind:?} store)");
    println!("  MCP endpoint (paste into a client): {origin}/mcp");
    println!("  OAuth issuer:                       {origin}");
    println!("  AS metadata:  {origin}/.well-known/oauth-authorization-server");
    println!("  PRM:          {origin}/.well-known/oauth-protected-resource");
    println!("  Sign in on the consent page as: {email} / {password}");
    println!("  Connected apps: {origin}/account");
    if let Some((endpoint, table)) = remote_mcp_local::dynamo_local_table() {
        println!(
            "  Admin: cargo run -p remote-mcp-admin -- --endpoint-url {endpoint} --table {table} user list"
        );
    }
    println!();
    println!("Next:");
    println!("  MCP Inspector:  make inspect URL={origin}/mcp EMAIL={email}");
    println!("  Claude Code:    claude mcp add --transport http remote-mcp {origin}/mcp");
    println!("                  (then /mcp in Claude Code; sign in on the page it opens)");
    if origin.starts_with("http://") {
        println!(
            "  Claude on the web cannot reach 127.0.0.1: deploy (make deploy), or run a tunnel"
        );
        println!(
            "                  to port {port} and restart with make run PUBLIC_URL=https://<tunnel>"
        );
    }
    // The peer address feeds the sign-in throttle's per-source limit, as API Gateway's sourceIp does on Lambda.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
