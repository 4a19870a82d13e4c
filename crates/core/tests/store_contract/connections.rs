//! [`ConnectionStore`]: the token vault's records, per person and provider, changed one refresh
//! at a time.
//!
//! [`ConnectionStore`]: remote_mcp_core::ConnectionStore

use super::*;
use remote_mcp_core::ConnectionStore;
use remote_mcp_core::model::{Connection, RefreshLock};
use remote_mcp_core::vault::Sealed;

fn connection(person: &str, provider: &str, ciphertext: &str) -> Connection {
    Connection {
        person: person.into(),
        provider: provider.into(),
        account: format!("{person}@{provider}"),
        sealed: Sealed {
            key_id: "local".into(),
            wrapped_key: "d3JhcHBlZA==".into(),
            nonce: "bm9uY2U=".into(),
            ciphertext: ciphertext.into(),
        },
        connected_at: T0,
        refreshed_at: None,
        refreshing: None,
    }
}

async fn connections_are_per_person_and_provider(store: Arc<dyn ConnectionStore>) {
    store
        .save_connection(&connection("user-1", "github", "a"))
        .await
        .unwrap();
    store
        .save_connection(&connection("user-1", "corp", "b"))
        .await
        .unwrap();
    store
        .save_connection(&connection("user-10", "github", "c"))
        .await
        .unwrap();
    let mut providers: Vec<String> = store
        .connections("user-1")
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.provider)
        .collect();
    providers.sort();
    assert_eq!(providers, ["corp", "github"]);
    let read = store.connection("user-1", "github").await.unwrap().unwrap();
    assert_eq!(read.value, connection("user-1", "github", "a"));
    assert!(
        store
            .connection("user-2", "github")
            .await
            .unwrap()
            .is_none()
    );
    // Saving again replaces it.
    store
        .save_connection(&connection("user-1", "github", "a2"))
        .await
        .unwrap();
    let read = store.connection("user-1", "github").await.unwrap().unwrap();
    assert_eq!(read.value.sealed.ciphertext, "a2");
    assert!(store.delete_connection("user-1", "github").await.unwrap());
    assert!(!store.delete_connection("user-1", "github").await.unwrap());
    assert!(
        store
            .connection("user-1", "github")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.connections("user-10").await.unwrap().len(), 1);
}

async fn one_of_racing_replacements_wins(store: Arc<dyn ConnectionStore>) {
    store
        .save_connection(&connection("user-1", "corp", "first"))
        .await
        .unwrap();
    let read = store.connection("user-1", "corp").await.unwrap().unwrap();
    let mut tasks = Vec::new();
    for i in 0..CONCURRENCY {
        let store = store.clone();
        let mut locked = read.value.clone();
        locked.refreshing = Some(RefreshLock {
            holder: format!("holder-{i}"),
            until: T0 + secs(30),
        });
        let revision = read.revision;
        tasks.push(tokio::spawn(async move {
            store
                .replace_connection(&locked, revision)
                .await
                .unwrap()
                .is_some()
        }));
    }
    let mut won = 0;
    for task in tasks {
        won += usize::from(task.await.unwrap());
    }
    assert_eq!(won, 1, "exactly one refresh takes the connection");
    let now = store.connection("user-1", "corp").await.unwrap().unwrap();
    assert_ne!(now.revision, read.revision);
    assert!(now.value.refreshing.is_some());
    // A replacement of a deleted connection, or of one saved again since, does not land.
    store.delete_connection("user-1", "corp").await.unwrap();
    assert!(
        store
            .replace_connection(&read.value, now.revision)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.connection("user-1", "corp").await.unwrap().is_none());
    store
        .save_connection(&connection("user-1", "corp", "again"))
        .await
        .unwrap();
    assert!(
        store
            .replace_connection(&read.value, read.revision)
            .await
            .unwrap()
            .is_none(),
        "a stale revision does not overwrite a newer save"
    );
    assert_eq!(
        store
            .connection("user-1", "corp")
            .await
            .unwrap()
            .unwrap()
            .value
            .sealed
            .ciphertext,
        "again"
    );
}

super::contract!(
    connections_are_per_person_and_provider,
    one_of_racing_replacements_wins,
);
