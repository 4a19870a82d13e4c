//! One contract per store trait, two stores each: every test runs against [`MemoryStore`] and
//! against [`DynamoStore`] on DynamoDB Local (a fresh table per test, created from
//! `template.yaml`). Each test takes only the trait it specifies.
//!
//! [`MemoryStore`]: remote_mcp_core::MemoryStore
//! [`DynamoStore`]: remote_mcp_core::DynamoStore

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use remote_mcp_core::model::{
    AuthorizationCode, Client, ClientCredential, ClientId, ClientMetadata, CodeRedemption,
    ConsentRequest, Grant, GrantId, Note, RefreshPolicy, RefreshState, RefreshToken, Registration,
    Rotation,
};
use remote_mcp_core::model::{Session, User};
use remote_mcp_core::secret::{Secret, SecretHash};
use remote_mcp_core::{StoreError, UnixTime};
use std::sync::Arc;
use std::time::Duration;

const T0: UnixTime = UnixTime(1_900_000_000);
const POLICY: RefreshPolicy = RefreshPolicy {
    grace: Duration::from_secs(60),
    lifetime: Duration::from_secs(30 * 24 * 3600),
};
const CONCURRENCY: usize = 50;

fn at(t: UnixTime) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + Duration::from_secs(t.seconds().unsigned_abs())
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn client(id: &str) -> Client {
    Client {
        id: ClientId::new(id),
        registered_by: Registration::Dynamic,
        credential: ClientCredential::None,
        metadata: ClientMetadata {
            redirect_uris: vec!["https://claude.ai/api/mcp/auth_callback".into()],
            client_name: Some("Claude".into()),
            ..ClientMetadata::default()
        },
        registration_token_hash: Some(Secret::generate().hash()),
        issued_at: T0,
        expires_at: T0 + secs(3600),
    }
}

fn code() -> AuthorizationCode {
    AuthorizationCode {
        client_id: ClientId::new("client-1"),
        redirect_uri: "https://claude.ai/api/mcp/auth_callback".into(),
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        resource: "https://mcp.example.com/mcp".into(),
        scope: "mcp".into(),
        subject: "user-1".into(),
        person: None,
        issued_at: T0,
        expires_at: T0 + secs(300),
    }
}

/// A grant and its first refresh token.
fn grant() -> (Grant, RefreshToken) {
    let id = GrantId::generate();
    let token = RefreshToken::generate(&id);
    let grant = Grant {
        id,
        client_id: ClientId::new("client-1"),
        subject: "user-1".into(),
        scope: "mcp".into(),
        resource: "https://mcp.example.com/mcp".into(),
        created_at: T0,
        expires_at: T0 + POLICY.lifetime,
        refresh: RefreshState::new(token.hash()),
        last_used_at: None,
        approved_by: Default::default(),
        person: None,
    };
    (grant, token)
}

mod accounts;
mod connections;
mod grants;
mod notes;
mod tasks;
mod throttle;

/// Expands to `mod memory` and `mod dynamodb_local`, each with one `#[tokio::test]` per named
/// contract item of the calling module.
macro_rules! contract {
    ($($test:ident),+ $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(remote_mcp_testkit::memory_store()).await;
                }
            )+
        }

        mod dynamodb_local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(remote_mcp_testkit::fresh_dynamo_store().await).await;
                }
            )+
        }
    };
}
pub(crate) use contract;

#[test]
fn template_table_matches_the_store_layout() {
    remote_mcp_testkit::TableDefinition::from_repository()
        .and_then(|t| t.check_matches_store())
        .unwrap();
}

/// `make run STORE=dynamodb-local` on a busy machine: the SDK retried a creation whose first
/// attempt had succeeded, and was told the table exists. Creating is idempotent.
#[tokio::test]
async fn creating_the_table_again_is_idempotent() {
    let local = remote_mcp_testkit::DynamoLocal::shared().unwrap();
    let table = format!("idempotent-{}", remote_mcp_core::secret::random_id());
    let definition = remote_mcp_testkit::TableDefinition::from_repository().unwrap();
    definition.create(&local.client(), &table).await.unwrap();
    definition.create(&local.client(), &table).await.unwrap();
}
