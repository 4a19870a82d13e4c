//! `remote-mcp-token`: signs in to a remote-mcp server through its own OAuth flow and prints an
//! access token, for tools that take a bearer token (the MCP Inspector CLI, curl).
//!
//! ```text
//! remote-mcp-token --email you@example.com https://abc123.execute-api.eu-west-1.amazonaws.com/mcp
//! ```
//!
//! The password comes from a no-echo prompt, or from stdin when it is not a terminal; never from
//! an argument. The token is printed alone on stdout; `--json` prints the whole token response.

use anyhow::Context;
use clap::Parser;
use remote_mcp_testkit::headless::{Credentials, sign_in};
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    version,
    about = "Sign in to a remote-mcp server and print an access token"
)]
struct Cli {
    /// The MCP endpoint, as pasted into Claude (e.g. https://…/mcp).
    url: url::Url,
    /// The account that approves (see `remote-mcp-admin user add`).
    #[arg(long)]
    email: String,
    /// Scopes to ask for, space-separated (default: the server's default scope).
    #[arg(long, default_value = "")]
    scope: String,
    /// Print the whole token response (access and refresh token, expiry, scope, client id) as JSON.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Password for {}: ", cli.email))?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    let credentials = Credentials {
        email: cli.email,
        password,
    };
    let tokens = sign_in(&cli.url, &credentials, &cli.scope)
        .await
        .context("signing in")?;
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&tokens)?);
    } else {
        println!("{}", tokens.access_token);
    }
    Ok(())
}
