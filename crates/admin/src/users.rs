//! `user …`: accounts, their sign-in links to identity providers, imports and passwords.

use crate::cli::Passwords;
use crate::output::{Listing, iso8601};
use anyhow::{Context, bail};
use remote_mcp_core::model::{Connection, LinkedIdentity, User, normalize_email};
use remote_mcp_core::secret::Secret;
use remote_mcp_core::{Store, StoreError, UnixTime, password};
use serde_json::json;
use std::io::Write;

pub(crate) async fn add_user(
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

pub(crate) async fn list_users(
    store: &dyn Store,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
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

pub(crate) async fn link_identity(
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

pub(crate) async fn unlink_identity(
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
pub(crate) async fn disable_user(
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
    let forgotten = forget(store, &user.id, None).await?;
    writeln!(
        out,
        "disabled {} and revoked {} grant(s); deleted {} provider connection(s)",
        user.email,
        grants.len(),
        forgotten
    )?;
    Ok(())
}

/// Deletes the user's upstream tokens (one provider's, or all); how many connections went.
async fn forget(store: &dyn Store, person: &str, provider: Option<&str>) -> anyhow::Result<usize> {
    let mut forgotten = 0;
    for connection in store.connections(person).await? {
        if provider.is_none_or(|p| p == connection.provider)
            && store
                .delete_connection(person, &connection.provider)
                .await?
        {
            remote_mcp_core::audit::Audit::new("upstream.disconnected")
                .user(person)
                .detail(&connection.provider)
                .log();
            forgotten += 1;
        }
    }
    Ok(forgotten)
}

pub(crate) async fn list_connections(
    store: &dyn Store,
    email: &str,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let user = find_user(store, email).await?;
    let listing = Listing {
        headers: &["PROVIDER", "ACCOUNT THERE", "CONNECTED", "REFRESHED"],
        json: |c: &Connection| {
            json!({"provider": c.provider, "account": c.account,
                   "connected_at": c.connected_at, "refreshed_at": c.refreshed_at})
        },
        cells: |c: &Connection| {
            vec![
                c.provider.clone(),
                c.account.clone(),
                iso8601(c.connected_at),
                c.refreshed_at.map(iso8601).unwrap_or_default(),
            ]
        },
    };
    listing.print(&store.connections(&user.id).await?, json, out)
}

pub(crate) async fn forget_tokens(
    store: &dyn Store,
    email: &str,
    provider: Option<&str>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let user = find_user(store, email).await?;
    let forgotten = forget(store, &user.id, provider).await?;
    writeln!(
        out,
        "deleted {forgotten} provider connection(s) of {}",
        user.email
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

pub(crate) async fn import_users(
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

pub(crate) async fn enable_user(
    store: &dyn Store,
    email: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
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

pub(crate) async fn reset_password(
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

pub(crate) async fn find_user(store: &dyn Store, email: &str) -> anyhow::Result<User> {
    let email = normalize_email(email).map_err(anyhow::Error::msg)?;
    store
        .user_by_email(&email)
        .await?
        .with_context(|| format!("no user {email}"))
}
