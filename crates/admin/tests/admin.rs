//! The admin CLI round-trips users, clients and grants on both stores.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use clap::Parser;
use remote_mcp_admin::{Cli, LinePasswords, run};
use remote_mcp_core::model::{
    Client, ClientCredential, ClientId, ClientMetadata, Grant, GrantId, RefreshState, Registration,
};
use remote_mcp_core::secret::Secret;
use remote_mcp_core::{DynamoStore, MemoryStore, Store, UnixTime, password};
use std::sync::Arc;
use std::time::Duration;

async fn admin(store: &dyn Store, args: &str, input: &str) -> anyhow::Result<String> {
    let cli =
        Cli::try_parse_from(std::iter::once("remote-mcp-admin").chain(args.split_whitespace()))?;
    let mut out = Vec::new();
    run(&cli, store, &mut LinePasswords(input.as_bytes()), &mut out).await?;
    Ok(String::from_utf8(out).unwrap())
}

async fn round_trip(store: Arc<dyn Store>) {
    let s = store.as_ref();
    assert!(
        admin(s, "user add Alice@Example.com", "a long enough password\n")
            .await
            .unwrap()
            .starts_with("created alice@example.com")
    );
    assert!(
        admin(s, "user add alice@example.com", "another long password\n")
            .await
            .is_err(),
        "emails are unique"
    );
    assert!(
        admin(s, "user add bob@example.com", "short\n")
            .await
            .is_err(),
        "weak passwords are refused"
    );
    admin(s, "user add bob@example.com", "bob's long password\n")
        .await
        .unwrap();

    let listed = admin(s, "user list", "").await.unwrap();
    assert!(listed.starts_with("EMAIL"));
    let created = listed
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .nth(2)
        .unwrap();
    assert!(
        created.len() == 20 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "tables show ISO 8601 times, not {created}"
    );
    assert!(listed.contains("alice@example.com") && listed.contains("active"));
    let json: serde_json::Value =
        serde_json::from_str(&admin(s, "user list --json", "").await.unwrap()).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);

    admin(s, "user disable alice@example.com", "")
        .await
        .unwrap();
    let alice = s.user_by_email("alice@example.com").await.unwrap().unwrap();
    assert!(!alice.is_enabled());
    assert!(
        admin(s, "user list", "")
            .await
            .unwrap()
            .contains("disabled")
    );
    assert_eq!(
        admin(s, "user enable alice@example.com", "").await.unwrap(),
        "enabled alice@example.com\n"
    );
    let alice = s.user_by_email("alice@example.com").await.unwrap().unwrap();
    assert!(alice.is_enabled());
    admin(s, "user disable alice@example.com", "")
        .await
        .unwrap();
    admin(
        s,
        "user reset-password bob@example.com",
        "a brand new password\n",
    )
    .await
    .unwrap();
    let bob = s.user_by_email("bob@example.com").await.unwrap().unwrap();
    assert!(password::verify(&bob.password_hash, "a brand new password"));
    assert!(
        admin(s, "user disable nobody@example.com", "")
            .await
            .is_err()
    );

    let now = UnixTime::now();
    let client = Client {
        id: ClientId::new("client-1"),
        registered_by: Registration::Dynamic,
        credential: ClientCredential::None,
        metadata: ClientMetadata {
            redirect_uris: vec!["https://claude.ai/api/mcp/auth_callback".into()],
            client_name: Some("Claude".into()),
            ..ClientMetadata::default()
        },
        registration_token_hash: None,
        issued_at: now,
        expires_at: now + Duration::from_secs(3600),
    };
    s.save_client(&client).await.unwrap();
    let clients = admin(s, "client list", "").await.unwrap();
    assert!(clients.contains("client-1") && clients.contains("Claude"));

    let grant = Grant {
        id: GrantId::generate(),
        client_id: client.id.clone(),
        subject: bob.id.clone(),
        scope: "mcp".into(),
        resource: "https://mcp.example.com/mcp".into(),
        created_at: now,
        expires_at: now + Duration::from_secs(3600),
        refresh: RefreshState::new(Secret::generate().hash()),
        last_used_at: None,
        approved_by: Default::default(),
        person: None,
    };
    s.create_grant(&grant).await.unwrap();
    assert!(
        admin(s, "grant list --user bob@example.com", "")
            .await
            .unwrap()
            .contains(grant.id.as_str())
    );
    assert!(
        !admin(s, "grant list --user alice@example.com", "")
            .await
            .unwrap()
            .contains(grant.id.as_str())
    );
    let grants: serde_json::Value =
        serde_json::from_str(&admin(s, "grant list --json", "").await.unwrap()).unwrap();
    assert_eq!(grants[0]["user_id"], bob.id.as_str());
    assert_eq!(grants[0]["last_used_at"], serde_json::Value::Null);
    // Last used, once the MCP function has recorded a use.
    s.touch_grant(&grant.id, now).await.unwrap();
    let listed = admin(s, "grant list", "").await.unwrap();
    assert!(listed.contains("LAST USED"), "{listed}");
    assert!(
        listed.contains(&remote_mcp_core::time::iso8601(now)),
        "{listed}"
    );
    let grants: serde_json::Value =
        serde_json::from_str(&admin(s, "grant list --json", "").await.unwrap()).unwrap();
    assert_eq!(grants[0]["last_used_at"], now.seconds());
    admin(s, &format!("grant revoke {}", grant.id), "")
        .await
        .unwrap();
    assert!(s.grant(&grant.id, now).await.unwrap().is_none());
    assert!(
        admin(s, &format!("grant revoke {}", grant.id), "")
            .await
            .is_err()
    );

    admin(s, "client delete client-1", "").await.unwrap();
    assert!(s.client(&client.id, now).await.unwrap().is_none());

    // Identity provider links: made by an operator, shown in the listing, unique, removable.
    assert_eq!(
        admin(
            s,
            "user link bob@example.com --issuer https://idp.example --subject bob-42",
            ""
        )
        .await
        .unwrap(),
        "linked https://idp.example bob-42 to bob@example.com\n"
    );
    let linked = s
        .user_by_identity("https://idp.example", "bob-42")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(linked.id, bob.id);
    assert!(
        admin(s, "user list", "")
            .await
            .unwrap()
            .contains("https://idp.example bob-42")
    );
    let listed: serde_json::Value =
        serde_json::from_str(&admin(s, "user list --json", "").await.unwrap()).unwrap();
    let bob_row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "bob@example.com")
        .unwrap();
    assert_eq!(bob_row["identities"][0]["subject"], "bob-42");
    let taken = admin(
        s,
        "user link alice@example.com --issuer https://idp.example --subject bob-42",
        "",
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(taken.contains("linked already"), "{taken}");
    admin(
        s,
        "user unlink bob@example.com --issuer https://idp.example --subject bob-42",
        "",
    )
    .await
    .unwrap();
    assert!(
        s.user_by_identity("https://idp.example", "bob-42")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        admin(
            s,
            "user unlink bob@example.com --issuer https://idp.example --subject bob-42",
            ""
        )
        .await
        .is_err()
    );
}

#[tokio::test]
async fn round_trip_memory_store() {
    round_trip(Arc::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn round_trip_dynamodb_local() {
    // Through a plain endpoint URL, as `remote-mcp-admin --endpoint-url` reaches it.
    let (table, local) = remote_mcp_testkit::fresh_table("admin").await;
    round_trip(Arc::new(DynamoStore::with_endpoint(
        local.endpoint(),
        table,
    )))
    .await;
}

#[test]
fn passwords_are_never_arguments() {
    let err = Cli::try_parse_from([
        "remote-mcp-admin",
        "user",
        "add",
        "a@b.c",
        "--password",
        "x",
    ])
    .unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
}

/// `user import`: CSV (with or without header) and JSON lines; given passwords used, missing
/// ones generated and shown once; existing accounts skipped; a bad line named; the run fails if
/// any account could not be created, after creating the others.
#[tokio::test]
async fn users_are_imported_in_bulk() {
    let store = MemoryStore::new();
    let s: &dyn Store = &store;
    admin(s, "user add carol@example.com", "carol's long password\n")
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("remote-mcp-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("team.csv");
    std::fs::write(
        &csv,
        "email,password\nalice@example.com,alice's long password\nbob@example.com\n# a comment\n\ncarol@example.com\n",
    )
    .unwrap();
    let report = admin(s, &format!("user import {}", csv.display()), "")
        .await
        .unwrap();
    assert!(report.contains("created  alice@example.com\n"), "{report}");
    let bob_line = report
        .lines()
        .find(|l| l.contains("bob@example.com"))
        .unwrap();
    let generated = bob_line.split_whitespace().nth(3).unwrap();
    assert_eq!(generated.len(), 20, "{bob_line}");
    assert!(report.contains("skipped  carol@example.com"), "{report}");
    assert!(
        report.ends_with("2 created, 1 skipped, 0 failed\n"),
        "{report}"
    );
    let alice = s.user_by_email("alice@example.com").await.unwrap().unwrap();
    assert!(password::verify(
        &alice.password_hash,
        "alice's long password"
    ));
    let bob = s.user_by_email("bob@example.com").await.unwrap().unwrap();
    assert!(password::verify(&bob.password_hash, generated));

    let jsonl = dir.join("more.jsonl");
    std::fs::write(
        &jsonl,
        "{\"email\": \"dave@example.com\"}\n{\"email\": \"not an address\"}\n",
    )
    .unwrap();
    let err = admin(s, &format!("user import {}", jsonl.display()), "")
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "1 account(s) could not be created");
    assert!(s.user_by_email("dave@example.com").await.unwrap().is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_machine_client_that_expires_at_once_is_refused() {
    let store = MemoryStore::new();
    let refused = admin(
        &store,
        "client add-machine nightly --scope mcp --expires-in-days 0",
        "",
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("expires-in-days"), "{refused}");
    assert!(
        remote_mcp_core::GrantStore::clients(&store)
            .await
            .unwrap()
            .is_empty(),
        "nothing was created"
    );
    admin(
        &store,
        "client add-machine nightly --scope mcp --expires-in-days 1",
        "",
    )
    .await
    .unwrap();
}

/// `user connections` shows which providers keep tokens for a person (never the tokens);
/// `user forget-tokens` and `user disable` delete them.
async fn upstream_connections(store: Arc<dyn Store>) {
    use remote_mcp_core::model::UpstreamTokens;
    use remote_mcp_core::upstream::Upstreams;
    use remote_mcp_core::vault::{LocalDataKeys, Vault};
    let s = store.as_ref();
    admin(s, "user add carol@example.com", "carol's long password\n")
        .await
        .unwrap();
    let carol = s.user_by_email("carol@example.com").await.unwrap().unwrap();
    let providers: Vec<remote_mcp_core::providers::ProviderConfig> =
        serde_json::from_value(serde_json::json!([
            {"id": "corp", "name": "Corp", "issuer": "https://idp.example", "client_id": "c",
             "client_secret": "s", "vault": true},
            {"id": "github", "name": "GitHub", "kind": "github", "client_id": "c",
             "client_secret": "s", "vault": true}
        ]))
        .unwrap();
    let vault = Vault::new(Arc::new(LocalDataKeys::generate().unwrap()));
    let upstreams = Upstreams::new(&providers, store.clone(), vault, None);
    for (provider, account) in [("corp", "carol@corp.example"), ("github", "4242")] {
        let tokens = UpstreamTokens {
            access_token: format!("secret-access-{provider}"),
            refresh_token: Some(format!("secret-refresh-{provider}")),
            expires_at: None,
            scope: None,
        };
        upstreams
            .keep(&carol.id, provider, account, &tokens, UnixTime::now())
            .await
            .unwrap();
    }
    let listed = admin(s, "user connections carol@example.com", "")
        .await
        .unwrap();
    assert!(listed.starts_with("PROVIDER"), "{listed}");
    assert!(
        listed.contains("corp") && listed.contains("4242"),
        "{listed}"
    );
    let as_json = admin(s, "user connections carol@example.com --json", "")
        .await
        .unwrap();
    for shown in [&listed, &as_json] {
        assert!(
            !shown.contains("secret-"),
            "tokens are never shown: {shown}"
        );
    }
    assert_eq!(
        admin(
            s,
            "user forget-tokens carol@example.com --provider github",
            ""
        )
        .await
        .unwrap(),
        "deleted 1 provider connection(s) of carol@example.com\n"
    );
    assert_eq!(s.connections(&carol.id).await.unwrap().len(), 1);
    let disabled = admin(s, "user disable carol@example.com", "")
        .await
        .unwrap();
    assert!(
        disabled.contains("deleted 1 provider connection(s)"),
        "{disabled}"
    );
    assert!(s.connections(&carol.id).await.unwrap().is_empty());
}

mod connections {
    #[tokio::test]
    async fn on_the_memory_store() {
        super::upstream_connections(remote_mcp_testkit::memory_store()).await;
    }

    #[tokio::test]
    async fn on_dynamodb_local() {
        super::upstream_connections(remote_mcp_testkit::fresh_dynamo_store().await).await;
    }
}
