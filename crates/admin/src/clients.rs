//! `client …`: registered clients, and the machine clients an operator creates.

use crate::cli::{AuthMethod, UNTIL_DELETED};
use crate::output::Listing;
use anyhow::bail;
use remote_mcp_core::model::{
    Client, ClientCredential, ClientId, ClientKeys, ClientMetadata, Registration,
};
use remote_mcp_core::secret::{Secret, random_id};
use remote_mcp_core::{Store, UnixTime, scopes};
use serde_json::json;
use std::io::Write;
use std::time::Duration;

pub(crate) async fn list_clients(
    store: &dyn Store,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
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
pub(crate) async fn delete_client(
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
pub(crate) struct Machine<'a> {
    pub(crate) name: &'a str,
    pub(crate) scopes: &'a [String],
    pub(crate) expires_in_days: Option<u32>,
    pub(crate) auth_method: AuthMethod,
    /// Its public keys, for private_key_jwt instead of a secret.
    pub(crate) keys: Option<ClientKeys>,
}

pub(crate) async fn add_machine(
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
