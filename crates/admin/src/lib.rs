//! `remote-mcp-admin`: users, clients and grants of a remote-mcp deployment, through the same
//! [`Store`] verbs the functions use. [`run`] is the whole program over any store, with its input
//! (passwords) and output injected, so it is tested on the in-memory store and on DynamoDB Local.
//!
//! | module | commands |
//! |---|---|
//! | [`cli`] | the command line itself, and where passwords come from |
//! | [`users`] | `user` add, list, disable, enable, link, unlink, import, reset-password, connections, forget-tokens |
//! | [`clients`] | `client` list, delete, add-machine |
//! | [`grants`] | `grant` list, revoke |
//! | [`output`] | tables and JSON |

pub mod cli;
pub mod clients;
pub mod grants;
pub mod output;
pub mod users;

pub use cli::{
    AuthMethod, Cli, ClientCommand, Command, GrantCommand, LinePasswords, Passwords, UserCommand,
};
pub use output::iso8601;
pub use users::{NewAccount, parse_accounts};

use anyhow::{Context, bail};
use clients::*;
use grants::*;
use remote_mcp_core::model::{ClientKeys, GrantId};
use remote_mcp_core::{Store, UnixTime};
use std::io::Write;
use users::*;

/// Runs one command against `store`.
pub async fn run(
    cli: &Cli,
    store: &dyn Store,
    passwords: &mut dyn Passwords,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let now = UnixTime::now();
    let json = cli.json;
    match &cli.command {
        Command::User(UserCommand::Add { email }) => {
            add_user(store, email, passwords, now, out).await
        }
        Command::User(UserCommand::List) => list_users(store, json, out).await,
        Command::User(UserCommand::Disable { email }) => disable_user(store, email, now, out).await,
        Command::User(UserCommand::Enable { email }) => enable_user(store, email, out).await,
        Command::User(UserCommand::Connections { email }) => {
            list_connections(store, email, json, out).await
        }
        Command::User(UserCommand::ForgetTokens { email, provider }) => {
            forget_tokens(store, email, provider.as_deref(), out).await
        }
        Command::User(UserCommand::Link {
            email,
            issuer,
            subject,
        }) => link_identity(store, email, issuer, subject, now, out).await,
        Command::User(UserCommand::Unlink {
            email,
            issuer,
            subject,
        }) => unlink_identity(store, email, issuer, subject, out).await,
        Command::User(UserCommand::Import { file }) => {
            import_users(store, &read_input(file)?, now, out).await
        }
        Command::User(UserCommand::ResetPassword { email }) => {
            reset_password(store, email, passwords, out).await
        }
        Command::Client(ClientCommand::List) => list_clients(store, json, out).await,
        Command::Client(ClientCommand::Delete { client_id }) => {
            delete_client(store, client_id, out).await
        }
        Command::Client(ClientCommand::AddMachine {
            name,
            scopes: requested,
            expires_in_days,
            auth_method,
            jwks_uri,
            jwks_file,
        }) => {
            let jwks = jwks_file.as_deref().map(read_jwks).transpose()?;
            let keys = ClientKeys::declared(jwks_uri.as_deref(), jwks.as_ref())
                .map_err(|why| anyhow::anyhow!(why))?;
            let machine = Machine {
                name,
                scopes: requested,
                expires_in_days: *expires_in_days,
                auth_method: *auth_method,
                keys,
            };
            add_machine(store, &machine, now, json, out).await
        }
        Command::Grant(GrantCommand::List { user }) => {
            list_grants(store, user.as_deref(), json, out).await
        }
        Command::Grant(GrantCommand::Revoke { grant_id }) => {
            if !store.revoke_grant(&GrantId::new(grant_id)).await? {
                bail!("no grant {grant_id}");
            }
            writeln!(out, "revoked grant {grant_id}")?;
            Ok(())
        }
    }
}

/// The text of `file`, or of standard input for `-`.
fn read_input(file: &str) -> anyhow::Result<String> {
    if file == "-" {
        Ok(std::io::read_to_string(std::io::stdin())?)
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading {file}"))
    }
}

/// A JWK Set from a file (`client add-machine --jwks-file`).
fn read_jwks(path: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON (a JWK Set)", path.display()))
}
