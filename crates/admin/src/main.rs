//! `remote-mcp-admin`: see `remote-mcp-admin --help`. Uses your AWS credentials (or
//! `--endpoint-url` for DynamoDB Local). Passwords are read from a no-echo prompt, or from stdin
//! when it is not a terminal; never from arguments.

use anyhow::Context;
use clap::Parser;
use remote_mcp_admin::{Cli, LinePasswords, Passwords, run};
use remote_mcp_core::DynamoStore;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Asks twice on the terminal, without echo.
struct Prompt;

impl Passwords for Prompt {
    fn read(&mut self, email: &str) -> anyhow::Result<String> {
        let first = rpassword::prompt_password(format!("Password for {email}: "))?;
        let again = rpassword::prompt_password("Repeat it: ")?;
        anyhow::ensure!(first == again, "the passwords differ");
        Ok(first)
    }
}

/// Errors are one line (`error: …` with its causes), whatever `RUST_BACKTRACE` says: they are
/// the operator's mistakes or AWS's answers, not crashes.
#[tokio::main]
async fn main() -> ExitCode {
    match admin().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn admin() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let table = cli
        .table
        .clone()
        .or_else(|| std::env::var("TABLE_NAME").ok())
        .context("name the table with --table (the stack output TableName) or TABLE_NAME")?;
    let store = match &cli.endpoint_url {
        Some(endpoint) => DynamoStore::with_endpoint(endpoint, table),
        None => {
            let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table)
        }
    };
    let mut passwords: Box<dyn Passwords> = if std::io::stdin().is_terminal() {
        Box::new(Prompt)
    } else {
        Box::new(LinePasswords(std::io::stdin().lock()))
    };
    run(&cli, &store, passwords.as_mut(), &mut std::io::stdout()).await
}
