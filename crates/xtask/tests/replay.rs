//! Replays every recorded Claude sequence in `fixtures/` through the routers, each event turned into
//! a request exactly as `lambda_http` does on Lambda, on the embedded store and on DynamoDB Local.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use remote_mcp_core::Config;
use remote_mcp_local::{StoreKind, app, dev_user, store};
use remote_mcp_testkit::workspace_root;
use remote_mcp_xtask::replay::{InProcess, initial_vars, load, replay};

const HOST: &str = "r3mc9x2k1a.execute-api.eu-west-1.amazonaws.com";
const EMAIL: &str = "owner@example.org";
const PASSWORD: &str = "replayed sign-in password";

/// The sequences in `fixtures/`, each with its test module below.
const SEQUENCES: [&str; 8] = [
    "claude-2025-06",
    "claude-2025-09",
    "claude-2026-06",
    "claude-2026-06-cimd",
    "claude-2026-09-connector",
    "claude-code",
    "claude-code-2026-09",
    "claude-code-2026-12-tasks",
];

async fn replay_sequence(name: &str, kind: StoreKind) {
    let issuer = format!("https://{HOST}");
    let sequences = load(&workspace_root().join("fixtures")).unwrap();
    let seq = sequences
        .iter()
        .find(|seq| seq.name == name)
        .unwrap_or_else(|| panic!("fixtures/{name} is missing"));
    let store = store(kind).await.unwrap();
    dev_user(store.as_ref(), EMAIL, Some(PASSWORD.into()))
        .await
        .unwrap();
    let router = app(Config::local(&issuer).unwrap(), store);
    let mut vars = initial_vars(HOST, &issuer, EMAIL, PASSWORD);
    if let Err(why) = replay(seq, &InProcess(router), &mut vars).await {
        panic!("replay {name} on the {kind:?} store failed: {why}");
    }
}

/// A test per sequence and store, so `cargo test` names each with its result.
macro_rules! sequences {
    ($($module:ident => $name:literal),* $(,)?) => {$(
        mod $module {
            use super::*;

            #[tokio::test]
            async fn memory_store() {
                replay_sequence($name, StoreKind::Memory).await;
            }

            #[tokio::test]
            async fn dynamodb_local() {
                replay_sequence($name, StoreKind::DynamoLocal).await;
            }
        }
    )*};
}

sequences! {
    claude_2025_06 => "claude-2025-06",
    claude_2025_09 => "claude-2025-09",
    claude_2026_06 => "claude-2026-06",
    claude_2026_06_cimd => "claude-2026-06-cimd",
    claude_2026_09_connector => "claude-2026-09-connector",
    claude_code => "claude-code",
    claude_code_2026_09 => "claude-code-2026-09",
    claude_code_2026_12_tasks => "claude-code-2026-12-tasks",
}

/// A sequence added to `fixtures/` must get its test module here.
#[test]
fn every_fixture_sequence_is_replayed() {
    let mut found: Vec<String> = load(&workspace_root().join("fixtures"))
        .unwrap()
        .into_iter()
        .map(|seq| seq.name)
        .collect();
    found.sort();
    assert_eq!(found, SEQUENCES);
}
