//! The vault's envelope encryption against an API-compatible KMS (moto's server): data keys from a
//! real `GenerateDataKey`, unwrapped by `Decrypt` under the record's encryption context; a record
//! moved to another person or provider does not open.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use remote_mcp_core::aws::KmsDataKeys;
use remote_mcp_core::vault::{Vault, VaultError};
use remote_mcp_testkit::LocalKms;
use std::sync::Arc;

#[tokio::test]
async fn a_record_sealed_with_a_kms_data_key_opens_for_its_person_only() {
    let kms = LocalKms::start().unwrap_or_else(|e| panic!("{e}"));
    let client = kms.client();
    let key = client.create_key().send().await.unwrap();
    let key_id = key.key_metadata.unwrap().key_id;
    let vault = Vault::new(Arc::new(KmsDataKeys::new(client.clone(), &key_id)));

    let sealed = vault
        .seal("alice", "github", b"gho_alices_upstream_token")
        .await
        .unwrap();
    assert_eq!(sealed.key_id, key_id);
    assert!(
        !serde_json::to_string(&sealed)
            .unwrap()
            .contains("gho_alices")
    );
    let opened = vault.open("alice", "github", &sealed).await.unwrap();
    assert_eq!(opened.as_slice(), b"gho_alices_upstream_token");

    // The record copied into bob's partition, or to another of alice's providers.
    for (person, provider) in [("bob", "github"), ("alice", "google")] {
        let refused = vault.open(person, provider, &sealed).await;
        assert!(
            matches!(refused, Err(VaultError::Refused)),
            "{person}/{provider}: {refused:?}"
        );
    }
}
