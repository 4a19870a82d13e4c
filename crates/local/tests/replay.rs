//! Replays every recorded Claude sequence in `fixtures/` through the routers, each event turned into
//! a request exactly as `lambda_http` does on Lambda, on the embedded store and on DynamoDB Local.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use remote_mcp_core::Config;
use remote_mcp_core::local::process::workspace_root;
use remote_mcp_local::replay::{InProcess, initial_vars, load, replay};
use remote_mcp_local::{StoreKind, app, dev_user, store};

const HOST: &str = "r3mc9x2k1a.execute-api.eu-west-1.amazonaws.com";
const EMAIL: &str = "owner@example.org";
const PASSWORD: &str = "replayed sign-in password";

async fn replay_all(kind: StoreKind) {
    let issuer = format!("https://{HOST}");
    let sequences = load(&workspace_root().join("fixtures")).unwrap();
    assert!(sequences.len() >= 5, "fixtures are missing");
    let mut failures = Vec::new();
    for seq in &sequences {
        let store = store(kind).await.unwrap();
        dev_user(store.as_ref(), EMAIL, Some(PASSWORD.into()))
            .await
            .unwrap();
        let router = app(Config::local(&issuer).unwrap(), store);
        let mut vars = initial_vars(HOST, &issuer, EMAIL, PASSWORD);
        match replay(seq, &InProcess(router), &mut vars).await {
            Ok(()) => println!(
                "replay {:<22} {kind:?} store: pass ({} steps)",
                seq.name,
                seq.steps.len()
            ),
            Err(why) => {
                println!("replay {:<22} {kind:?} store: FAIL\n  {why}", seq.name);
                failures.push(why);
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn claude_sequences_replay_in_process_memory_store() {
    replay_all(StoreKind::Memory).await;
}

#[tokio::test]
async fn claude_sequences_replay_in_process_dynamodb_local() {
    replay_all(StoreKind::DynamoLocal).await;
}
