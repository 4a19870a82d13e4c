use super::*;
use crate::MemoryStore;
use crate::vault::{Context, DataKey, DataKeys, LocalDataKeys, VaultError};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Local data keys that count what they unwrap (KMS `Decrypt` calls in AWS).
struct Counted(LocalDataKeys, AtomicUsize);

#[async_trait::async_trait]
impl DataKeys for Counted {
    fn key_id(&self) -> &str {
        self.0.key_id()
    }
    async fn generate(&self, context: &Context) -> Result<DataKey, VaultError> {
        self.0.generate(context).await
    }
    async fn unwrap(
        &self,
        wrapped: &[u8],
        context: &Context,
    ) -> Result<Zeroizing<[u8; 32]>, VaultError> {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.unwrap(wrapped, context).await
    }
}

#[tokio::test]
async fn a_container_opens_each_version_of_a_record_once() {
    let keys = Arc::new(Counted(
        LocalDataKeys::generate().unwrap_or_else(|e| panic!("{e}")),
        AtomicUsize::new(0),
    ));
    let providers: Vec<ProviderConfig> = serde_json::from_value(serde_json::json!([
        {"id": "corp", "name": "Corp", "issuer": "https://idp.example", "client_id": "c",
         "client_secret": "s", "vault": true}
    ]))
    .unwrap_or_else(|e| panic!("{e}"));
    let store = Arc::new(MemoryStore::new());
    let upstreams = Upstreams::new(&providers, store, Vault::new(keys.clone()), None);
    let tokens = UpstreamTokens {
        access_token: "first".into(),
        refresh_token: None,
        expires_at: None,
        scope: None,
    };
    let now = UnixTime(1_900_000_000);
    let keep = |tokens| upstreams.keep("alice", "corp", "alice@corp", tokens, now);
    keep(&tokens).await.unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..3 {
        let token = upstreams.access_token("alice", "corp").await;
        assert_eq!(token.map(|t| t.to_string()).ok().as_deref(), Some("first"));
    }
    assert_eq!(
        keys.1.load(Ordering::SeqCst),
        1,
        "opened once for three calls"
    );
    let next = UpstreamTokens {
        access_token: "second".into(),
        refresh_token: None,
        expires_at: None,
        scope: None,
    };
    keep(&next).await.unwrap_or_else(|e| panic!("{e}"));
    let token = upstreams.access_token("alice", "corp").await;
    assert_eq!(token.map(|t| t.to_string()).ok().as_deref(), Some("second"));
    assert_eq!(
        keys.1.load(Ordering::SeqCst),
        2,
        "a new version is opened again"
    );
}
