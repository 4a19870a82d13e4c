//! The command line: what each command takes (clap derive), and where passwords come from.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::time::Duration;

/// Manage users, clients and grants of a remote-mcp table.
#[derive(Debug, Parser)]
#[command(name = "remote-mcp-admin", version)]
pub struct Cli {
    /// DynamoDB table (default: $TABLE_NAME); the stack output `TableName`.
    #[arg(long, global = true)]
    pub table: Option<String>,
    /// DynamoDB endpoint, e.g. DynamoDB Local's http://127.0.0.1:8000 (default: AWS).
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Accounts that may approve clients.
    #[command(subcommand)]
    User(UserCommand),
    /// Registered OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Approvals (and their refresh tokens).
    #[command(subcommand)]
    Grant(GrantCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from a prompt, or from stdin when piped.
    Add { email: String },
    /// List users.
    List,
    /// Stop a user from signing in and end every grant of theirs: refresh tokens at once, access
    /// tokens at the MCP function within the revocation bound (30 s by default). Their upstream
    /// tokens (the token vault) are deleted too.
    Disable { email: String },
    /// The providers whose tokens are kept for this user's tools (never the tokens).
    Connections { email: String },
    /// Delete the upstream tokens kept for this user (all, or one provider's). Tools then ask the
    /// person to connect again; the tokens stay valid at the provider until it expires them or
    /// the person removes the app there.
    ForgetTokens {
        email: String,
        #[arg(long)]
        provider: Option<String>,
    },
    /// Set a new password (read like `add`).
    ResetPassword { email: String },
    /// Let a disabled user sign in again (their old grants stay revoked).
    Enable { email: String },
    /// Let a person sign in as this user through an identity provider: its issuer (as in
    /// IDENTITY_PROVIDERS) and the person's subject there (the ID token's `sub`).
    Link {
        email: String,
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        subject: String,
    },
    /// Remove a link made by `link` or by a first federated sign-in.
    Unlink {
        email: String,
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        subject: String,
    },
    /// Create many users from a file (`-` for stdin): CSV lines `email[,password]` (a header line
    /// `email,password` is allowed) or JSON lines `{"email": …, "password": …}`. A missing
    /// password is generated and printed once; existing accounts are skipped.
    Import { file: String },
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// List registered clients.
    List,
    /// Delete a client and revoke its grants; its next token request gets 401 invalid_client and
    /// its access tokens stop at the MCP function within the revocation bound.
    Delete { client_id: String },
    /// Create a machine client (OAuth client_credentials): it acts as itself, subject
    /// `client:<client_id>`, with the scopes given here. It authenticates with a secret (shown
    /// once) or, given --jwks-uri or --jwks-file, with JWTs signed by its own keys
    /// (private_key_jwt).
    AddMachine {
        /// A name for operators (shown in `client list`).
        name: String,
        /// A scope it may request (repeat for several): mcp, mcp:write.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Days until the client stops working, at least 1 (default: until deleted).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        expires_in_days: Option<u32>,
        /// How it sends its secret to the token endpoint.
        #[arg(long, value_enum, default_value_t = AuthMethod::Basic)]
        auth_method: AuthMethod,
        /// Authenticate with private_key_jwt: the https URL of its public JWK Set.
        #[arg(long, conflicts_with_all = ["jwks_file", "auth_method"])]
        jwks_uri: Option<String>,
        /// Authenticate with private_key_jwt: a file holding its public JWK Set.
        #[arg(long, conflicts_with = "auth_method")]
        jwks_file: Option<std::path::PathBuf>,
    },
}

/// Token endpoint authentication of a machine client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMethod {
    /// HTTP Basic (`client_secret_basic`).
    Basic,
    /// In the form body (`client_secret_post`).
    Post,
}

/// How long a machine client created without `--expires-in-days` lasts: until deleted.
pub(crate) const UNTIL_DELETED: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

#[derive(Debug, Subcommand)]
pub enum GrantCommand {
    /// List grants, optionally of one user (by email).
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a grant: its refresh token stops working at once.
    Revoke { grant_id: String },
}

/// Where passwords come from.
pub trait Passwords {
    /// A new password for `email`.
    fn read(&mut self, email: &str) -> anyhow::Result<String>;
}

/// Passwords from a line-oriented input (stdin when piped, or a test buffer).
pub struct LinePasswords<R: BufRead>(pub R);

impl<R: BufRead> Passwords for LinePasswords<R> {
    fn read(&mut self, _email: &str) -> anyhow::Result<String> {
        let mut line = String::new();
        self.0
            .read_line(&mut line)
            .context("reading the password")?;
        Ok(line.trim_end_matches(['\n', '\r']).to_owned())
    }
}
