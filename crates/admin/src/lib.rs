//! `remote-mcp-admin`: users, clients and grants of a remote-mcp deployment, through the same
//! [`Store`] verbs the functions use. [`run`] is the whole program over any store, with its input
//! (passwords) and output injected, so it is tested on the in-memory store and on DynamoDB Local.

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use remote_mcp_core::model::{
    Client, ClientCredential, ClientId, ClientKeys, ClientMetadata, Grant, GrantId, LinkedIdentity,
    Registration, User, normalize_email,
};
use remote_mcp_core::secret::{Secret, random_id};
use remote_mcp_core::{Store, StoreError, UnixTime, password, scopes};
use serde_json::json;
use std::io::{BufRead, Write};
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
    /// tokens at the MCP function within the revocation bound (30 s by default).
    Disable { email: String },
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
const UNTIL_DELETED: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

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
            let text = if file == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?
            };
            import_users(store, &text, now, out).await
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
            let jwks =
                match jwks_file {
                    Some(path) => {
                        let text = std::fs::read_to_string(path)
                            .with_context(|| format!("reading {}", path.display()))?;
                        Some(serde_json::from_str(&text).with_context(|| {
                            format!("{} is not JSON (a JWK Set)", path.display())
                        })?)
                    }
                    None => None,
                };
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

async fn add_user(
    store: &dyn Store,
    email: &str,
    passwords: &mut dyn Passwords,
    now: UnixTime,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let email = normalize_email(email).map_err(anyhow::Error::msg)?;
    let hash = password::hash(&passwords.read(&email)?)?;
    let user = User::new(email, hash, now);
    match store.create_user(&user).await {
        Err(remote_mcp_core::StoreError::AlreadyExists) => {
            bail!("{} already has an account", user.email)
        }
        other => other?,
    }
    writeln!(out, "created {} ({})", user.email, user.id)?;
    Ok(())
}

async fn list_users(store: &dyn Store, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let listing = Listing {
        headers: &["EMAIL", "ID", "CREATED", "STATUS", "LINKED IDENTITIES"],
        json: |u: &User| {
            let identities: Vec<_> = u
                .identities
                .iter()
                .map(
                    |i| json!({"issuer": i.issuer, "subject": i.subject, "linked_at": i.linked_at}),
                )
                .collect();
            json!({"id": u.id, "email": u.email, "created_at": u.created_at,
                   "disabled_at": u.disabled_at, "identities": identities})
        },
        cells: |u: &User| {
            let status = if u.is_enabled() { "active" } else { "disabled" };
            let identities: Vec<String> = u
                .identities
                .iter()
                .map(|i| format!("{} {}", i.issuer, i.subject))
                .collect();
            vec![
                u.email.clone(),
                u.id.clone(),
                iso8601(u.created_at),
                status.into(),
                identities.join(", "),
            ]
        },
    };
    listing.print(&store.users().await?, json, out)
}

async fn link_identity(
    store: &dyn Store,
    email: &str,
    issuer: &str,
    subject: &str,
    now: UnixTime,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let user = find_user(store, email).await?;
    let identity = LinkedIdentity {
        issuer: issuer.to_owned(),
        subject: subject.to_owned(),
        linked_at: now,
    };
    match store.link_identity(&user.id, &identity).await {
        Err(StoreError::AlreadyExists) => {
            anyhow::bail!("{issuer} {subject} is linked already (user list shows to whom)")
        }
        other => other?,
    }
    writeln!(out, "linked {issuer} {subject} to {}", user.email)?;
    Ok(())
}

async fn unlink_identity(
    store: &dyn Store,
    email: &str,
    issuer: &str,
    subject: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let user = find_user(store, email).await?;
    if !store.unlink_identity(&user.id, issuer, subject).await? {
        anyhow::bail!("{} has no link to {issuer} {subject}", user.email);
    }
    writeln!(out, "unlinked {issuer} {subject} from {}", user.email)?;
    Ok(())
}

/// Disabling ends every grant of the user at once (refresh tokens stop; access tokens within the
/// revocation bound).
async fn disable_user(
    store: &dyn Store,
    email: &str,
    now: UnixTime,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let user = find_user(store, email).await?;
    store
        .update_user(&User {
            disabled_at: Some(now),
            ..user.clone()
        })
        .await?;
    let grants = store.grants(Some(&user.id)).await?;
    for grant in &grants {
        store.revoke_grant(&grant.id).await?;
    }
    writeln!(
        out,
        "disabled {} and revoked {} grant(s)",
        user.email,
        grants.len()
    )?;
    Ok(())
}

/// One account to create.
#[derive(Debug, PartialEq, Eq, serde::Deserialize)]
pub struct NewAccount {
    pub email: String,
    #[serde(default)]
    pub password: Option<String>,
}

/// The accounts in an import file: JSON lines if the first entry starts with `{`, CSV otherwise.
/// Blank lines and `#` comments are skipped; the error names the line.
pub fn parse_accounts(text: &str) -> anyhow::Result<Vec<NewAccount>> {
    let mut accounts = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let number = index + 1;
        if line.starts_with('{') {
            accounts.push(
                serde_json::from_str(line)
                    .with_context(|| format!("line {number}: not an account"))?,
            );
            continue;
        }
        let mut fields = line.splitn(2, ',').map(str::trim);
        let email = fields.next().unwrap_or_default();
        if accounts.is_empty() && email.eq_ignore_ascii_case("email") {
            continue; // the header
        }
        anyhow::ensure!(!email.is_empty(), "line {number}: no email");
        accounts.push(NewAccount {
            email: email.to_owned(),
            password: fields.next().filter(|p| !p.is_empty()).map(str::to_owned),
        });
    }
    Ok(accounts)
}

async fn import_users(
    store: &dyn Store,
    text: &str,
    now: UnixTime,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let accounts = parse_accounts(text)?;
    let (mut created, mut skipped, mut failed) = (0, 0, 0);
    for account in accounts {
        let email = match normalize_email(&account.email) {
            Ok(email) => email,
            Err(why) => {
                writeln!(out, "failed   {}: {why}", account.email)?;
                failed += 1;
                continue;
            }
        };
        let generated = account.password.is_none();
        let password = account
            .password
            .unwrap_or_else(|| Secret::generate().expose()[..20].to_owned());
        let hash = match password::hash(&password) {
            Ok(hash) => hash,
            Err(why) => {
                writeln!(out, "failed   {email}: {why}")?;
                failed += 1;
                continue;
            }
        };
        match store
            .create_user(&User::new(email.clone(), hash, now))
            .await
        {
            Ok(()) if generated => {
                writeln!(out, "created  {email}  password {password}  (shown once)")?;
                created += 1;
            }
            Ok(()) => {
                writeln!(out, "created  {email}")?;
                created += 1;
            }
            Err(remote_mcp_core::StoreError::AlreadyExists) => {
                writeln!(out, "skipped  {email}: already has an account")?;
                skipped += 1;
            }
            Err(other) => return Err(other.into()),
        }
    }
    writeln!(out, "{created} created, {skipped} skipped, {failed} failed")?;
    anyhow::ensure!(failed == 0, "{failed} account(s) could not be created");
    Ok(())
}

async fn enable_user(store: &dyn Store, email: &str, out: &mut dyn Write) -> anyhow::Result<()> {
    let user = find_user(store, email).await?;
    if user.is_enabled() {
        writeln!(out, "{} is already enabled", user.email)?;
        return Ok(());
    }
    store
        .update_user(&User {
            disabled_at: None,
            ..user.clone()
        })
        .await?;
    writeln!(out, "enabled {}", user.email)?;
    Ok(())
}

async fn reset_password(
    store: &dyn Store,
    email: &str,
    passwords: &mut dyn Passwords,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let user = find_user(store, email).await?;
    let hash = password::hash(&passwords.read(&user.email)?)?;
    store
        .update_user(&User {
            password_hash: hash,
            ..user.clone()
        })
        .await?;
    writeln!(out, "password reset for {}", user.email)?;
    Ok(())
}

async fn list_clients(store: &dyn Store, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let listing = Listing {
        headers: &[
            "CLIENT ID",
            "NAME",
            "REGISTERED BY",
            "AUTH",
            "REDIRECT URIS",
        ],
        json: |c: &Client| {
            json!({"client_id": c.id, "client_name": c.metadata.client_name,
                   "registered_by": c.registered_by.as_str(),
                   "scope": c.metadata.scope,
                   "redirect_uris": c.metadata.redirect_uris,
                   "token_endpoint_auth_method": c.credential.method(),
                   "issued_at": c.issued_at, "expires_at": c.expires_at})
        },
        cells: |c: &Client| {
            vec![
                c.id.to_string(),
                c.metadata.client_name.clone().unwrap_or_default(),
                c.registered_by.as_str().to_owned(),
                c.credential.method().to_owned(),
                c.metadata.redirect_uris.join(" "),
            ]
        },
    };
    listing.print(&store.clients().await?, json, out)
}

/// Deleting a client revokes its grants too.
async fn delete_client(
    store: &dyn Store,
    client_id: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let id = ClientId::new(client_id);
    if !store.delete_client(&id).await? {
        bail!("no client {client_id}");
    }
    let mut revoked = 0;
    for grant in store.grants(None).await? {
        if grant.client_id == id {
            store.revoke_grant(&grant.id).await?;
            revoked += 1;
        }
    }
    writeln!(
        out,
        "deleted client {client_id} and revoked {revoked} grant(s)"
    )?;
    Ok(())
}

/// What `client add-machine` asks for.
struct Machine<'a> {
    name: &'a str,
    scopes: &'a [String],
    expires_in_days: Option<u32>,
    auth_method: AuthMethod,
    /// Its public keys, for private_key_jwt instead of a secret.
    keys: Option<ClientKeys>,
}

async fn add_machine(
    store: &dyn Store,
    machine: &Machine<'_>,
    now: UnixTime,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if let Some(unknown) = machine
        .scopes
        .iter()
        .find(|s| !scopes::SUPPORTED.contains(&s.as_str()))
    {
        bail!(
            "unknown scope {unknown:?} (known: {})",
            scopes::SUPPORTED.join(", ")
        );
    }
    let secret = machine.keys.is_none().then(Secret::generate);
    let credential = match (&machine.keys, &secret, machine.auth_method) {
        (Some(keys), ..) => ClientCredential::PrivateKeyJwt { keys: keys.clone() },
        (None, Some(secret), AuthMethod::Basic) => ClientCredential::ClientSecretBasic {
            secret_hash: secret.hash(),
        },
        (None, Some(secret), AuthMethod::Post) => ClientCredential::ClientSecretPost {
            secret_hash: secret.hash(),
        },
        (None, None, _) => bail!("a machine client needs a secret or keys"),
    };
    let lifetime = machine.expires_in_days.map_or(UNTIL_DELETED, |days| {
        Duration::from_secs(u64::from(days) * 24 * 60 * 60)
    });
    let scope = machine.scopes.join(" ");
    let client = Client {
        id: ClientId::new(random_id()),
        registered_by: Registration::Operator,
        credential,
        metadata: ClientMetadata {
            client_name: Some(machine.name.to_owned()),
            grant_types: vec!["client_credentials".into()],
            scope: Some(scope.clone()),
            ..ClientMetadata::default()
        },
        registration_token_hash: None,
        issued_at: now,
        expires_at: now + lifetime,
    };
    store.save_client(&client).await?;
    if json {
        let row = json!({"client_id": client.id, "client_secret": secret.as_ref().map(Secret::expose),
                         "token_endpoint_auth_method": client.credential.method(),
                         "scope": scope, "subject": client.machine_subject(),
                         "expires_at": client.expires_at});
        writeln!(out, "{}", serde_json::to_string_pretty(&row)?)?;
        return Ok(());
    }
    writeln!(out, "created machine client {}", machine.name)?;
    writeln!(out, "  client_id      {}", client.id)?;
    match (&secret, &machine.keys) {
        (Some(secret), _) => writeln!(
            out,
            "  client_secret  {}   (shown once: store it now)",
            secret.expose()
        )?,
        (None, Some(ClientKeys::JwksUri(uri))) => writeln!(out, "  keys           {uri}")?,
        (None, _) => writeln!(out, "  keys           the JWK Set given")?,
    }
    writeln!(out, "  auth method    {}", client.credential.method())?;
    writeln!(out, "  scope          {scope}")?;
    writeln!(out, "  acts as        {}", client.machine_subject())?;
    Ok(())
}

async fn list_grants(
    store: &dyn Store,
    user: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let subject = match user {
        Some(email) => Some(find_user(store, email).await?.id),
        None => None,
    };
    let listing = Listing {
        headers: &[
            "GRANT ID",
            "USER ID",
            "CLIENT ID",
            "APPROVED BY",
            "SCOPE",
            "LAST USED",
            "EXPIRES",
        ],
        json: |g: &Grant| {
            json!({"grant_id": g.id, "user_id": g.subject, "client_id": g.client_id,
                   "approved_by": g.approved_by.as_str(),
                   "scope": g.scope, "created_at": g.created_at,
                   "last_used_at": g.last_used_at, "expires_at": g.expires_at})
        },
        cells: |g: &Grant| {
            vec![
                g.id.to_string(),
                g.subject.clone(),
                g.client_id.to_string(),
                g.approved_by.as_str().to_owned(),
                g.scope.clone(),
                g.last_used_at.map_or_else(|| "-".to_owned(), iso8601),
                iso8601(g.expires_at),
            ]
        },
    };
    listing.print(&store.grants(subject.as_deref()).await?, json, out)
}

/// How a list command shows its rows: JSON objects with `--json`, otherwise a table.
struct Listing<'a, T> {
    headers: &'a [&'a str],
    json: fn(&T) -> serde_json::Value,
    cells: fn(&T) -> Vec<String>,
}

impl<T> Listing<'_, T> {
    fn print(&self, items: &[T], json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
        if json {
            let rows: Vec<_> = items.iter().map(self.json).collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
            return Ok(());
        }
        table(out, self.headers, items.iter().map(self.cells).collect())
    }
}

async fn find_user(store: &dyn Store, email: &str) -> anyhow::Result<User> {
    let email = normalize_email(email).map_err(anyhow::Error::msg)?;
    store
        .user_by_email(&email)
        .await?
        .with_context(|| format!("no user {email}"))
}

/// A time as tables show it (JSON output keeps epoch seconds).
pub use remote_mcp_core::time::iso8601;

/// Left-aligned columns, two spaces apart.
fn table(out: &mut dyn Write, headers: &[&str], rows: Vec<Vec<String>>) -> anyhow::Result<()> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    writeln!(
        out,
        "{}",
        line(headers.iter().map(|h| (*h).to_owned()).collect())
    )?;
    for row in rows {
        writeln!(out, "{}", line(row))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_iso_8601() {
        assert_eq!(iso8601(UnixTime(0)), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(UnixTime(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(UnixTime(1_796_557_732)), "2026-12-06T11:48:52Z");
        assert_eq!(iso8601(UnixTime(-1)), "1969-12-31T23:59:59Z");
    }
}
