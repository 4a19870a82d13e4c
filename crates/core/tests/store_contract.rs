//! One contract, two stores: every test below runs against [`MemoryStore`] and against
//! [`DynamoStore`] on DynamoDB Local (a fresh table per test, created from `template.yaml`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use remote_mcp_core::local::{DynamoLocal, TableDefinition};
use remote_mcp_core::model::{
    AuthorizationCode, Client, ClientCredential, ClientId, ClientMetadata, CodeRedemption,
    ConsentRequest, Grant, GrantId, Note, RefreshPolicy, RefreshState, RefreshToken, Registration,
    Rotation,
};
use remote_mcp_core::model::{Session, User};
use remote_mcp_core::secret::{Secret, SecretHash};
use remote_mcp_core::{DynamoStore, MemoryStore, Store, StoreError, UnixTime};
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
    };
    (grant, token)
}

pub async fn memory_store() -> Arc<dyn Store> {
    Arc::new(MemoryStore::new())
}

pub async fn dynamo_store() -> Arc<dyn Store> {
    let local = DynamoLocal::shared().unwrap_or_else(|e| panic!("{e}"));
    let client = local.client();
    let table = format!("contract-{}", uuid_like());
    TableDefinition::from_repository()
        .unwrap_or_else(|e| panic!("{e}"))
        .create(&client, &table)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    Arc::new(DynamoStore::new(client, table))
}

fn uuid_like() -> String {
    Secret::generate().expose()[..12].replace(['-', '_'], "x")
}

// ------------------------------------------------------------------ clients

async fn client_round_trip(store: Arc<dyn Store>) {
    let c = client("client-1");
    store.save_client(&c).await.unwrap();
    assert_eq!(store.client(&c.id, T0).await.unwrap(), Some(c));
}

async fn duplicate_client_id_is_rejected(store: Arc<dyn Store>) {
    store.save_client(&client("dup")).await.unwrap();
    assert!(matches!(
        store.save_client(&client("dup")).await,
        Err(StoreError::AlreadyExists)
    ));
}

async fn deleted_client_is_gone(store: Arc<dyn Store>) {
    let c = client("gone");
    store.save_client(&c).await.unwrap();
    assert!(store.delete_client(&c.id).await.unwrap());
    assert!(!store.delete_client(&c.id).await.unwrap());
    assert_eq!(store.client(&c.id, T0).await.unwrap(), None);
}

async fn expired_client_is_invisible(store: Arc<dyn Store>) {
    let c = client("old");
    store.save_client(&c).await.unwrap();
    assert!(
        store
            .client(&c.id, c.expires_at + secs(0))
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.client(&c.id, T0 + secs(1)).await.unwrap().is_some());
}

// ------------------------------------------------------------------ consent

fn consent() -> ConsentRequest {
    ConsentRequest {
        client_id: ClientId::new("client-1"),
        redirect_uri: "https://claude.ai/api/mcp/auth_callback".into(),
        state: Some("xyz".into()),
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        resource: "https://mcp.example.com/mcp".into(),
        scope: "mcp".into(),
        browser_binding: Secret::generate().hash(),
        expires_at: T0 + secs(600),
    }
}

async fn consent_is_taken_exactly_once(store: Arc<dyn Store>) {
    let hash = Secret::generate().hash();
    let request = consent();
    store.save_consent(&hash, &request).await.unwrap();
    assert_eq!(store.take_consent(&hash, T0).await.unwrap(), Some(request));
    assert_eq!(store.take_consent(&hash, T0).await.unwrap(), None);
}

async fn expired_consent_cannot_be_taken(store: Arc<dyn Store>) {
    let hash = Secret::generate().hash();
    let c = consent();
    store.save_consent(&hash, &c).await.unwrap();
    assert_eq!(store.take_consent(&hash, c.expires_at).await.unwrap(), None);
}

async fn concurrent_takes_of_one_consent_have_exactly_one_winner(store: Arc<dyn Store>) {
    let hash = Secret::generate().hash();
    store.save_consent(&hash, &consent()).await.unwrap();
    let takes: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (store, hash) = (store.clone(), hash.clone());
            tokio::spawn(async move { store.take_consent(&hash, T0).await.unwrap() })
        })
        .collect();
    let mut winners = 0;
    for take in takes {
        winners += usize::from(take.await.unwrap().is_some());
    }
    assert_eq!(winners, 1);
}

// ------------------------------------------------------------------ revoked access tokens

async fn revoked_access_tokens_are_remembered_until_expiry(store: Arc<dyn Store>) {
    assert!(!store.is_access_token_revoked("jti-1", T0).await.unwrap());
    store
        .revoke_access_token("jti-1", T0 + secs(60))
        .await
        .unwrap();
    assert!(store.is_access_token_revoked("jti-1", T0).await.unwrap());
    assert!(
        !store
            .is_access_token_revoked("jti-1", T0 + secs(60))
            .await
            .unwrap()
    );
    assert!(!store.is_access_token_revoked("jti-2", T0).await.unwrap());
}

// ------------------------------------------------------------------ notes

async fn notes_are_per_owner_and_ordered(store: Arc<dyn Store>) {
    let first = Note::new("alice", "Groceries", "milk", at(T0));
    let second = Note::new("alice", "Ideas", "a notes app", at(T0 + secs(5)));
    let bobs = Note::new("bob", "Secret", "bob's only", at(T0));
    for n in [&second, &first, &bobs] {
        store.save_note(n).await.unwrap();
    }
    assert_eq!(
        store.notes("alice").await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    assert_eq!(store.notes("bob").await.unwrap(), vec![bobs.clone()]);
    assert_eq!(store.notes("carol").await.unwrap(), vec![]);
    assert_eq!(
        store.note("alice", &first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.note("alice", &bobs.id).await.unwrap(),
        None,
        "ids do not cross owners"
    );
    assert!(!store.delete_note("alice", &bobs.id).await.unwrap());
    assert!(store.note("bob", &bobs.id).await.unwrap().is_some());
    assert!(store.delete_note("alice", &first.id).await.unwrap());
    assert_eq!(store.notes("alice").await.unwrap(), vec![second]);
}

async fn owner_prefixes_do_not_leak(store: Arc<dyn Store>) {
    let short = Note::new("user-1", "mine", "x", at(T0));
    let long = Note::new("user-10", "theirs", "y", at(T0));
    store.save_note(&short).await.unwrap();
    store.save_note(&long).await.unwrap();
    assert_eq!(store.notes("user-1").await.unwrap(), vec![short]);
}

// ------------------------------------------------------------------ users, sessions, throttle

fn user(email: &str) -> User {
    User::new(
        email.to_owned(),
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        T0,
    )
}

async fn users_are_unique_by_email(store: Arc<dyn Store>) {
    let alice = user("alice@example.com");
    store.create_user(&alice).await.unwrap();
    assert!(matches!(
        store.create_user(&user("alice@example.com")).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(store.user(&alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(
        store.user_by_email("alice@example.com").await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(store.user_by_email("bob@example.com").await.unwrap(), None);

    let disabled = User {
        disabled_at: Some(T0 + secs(5)),
        ..alice.clone()
    };
    store.update_user(&disabled).await.unwrap();
    assert_eq!(store.user(&alice.id).await.unwrap(), Some(disabled));
    let renamed = User {
        email: "mallory@example.com".into(),
        ..alice.clone()
    };
    assert!(
        store.update_user(&renamed).await.is_err(),
        "emails do not change"
    );

    store.create_user(&user("bob@example.com")).await.unwrap();
    let emails: Vec<String> = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(emails, ["alice@example.com", "bob@example.com"]);
}

async fn sessions_expire(store: Arc<dyn Store>) {
    let hash = Secret::generate().hash();
    let session = Session {
        user_id: "u1".into(),
        expires_at: T0 + secs(600),
    };
    store.save_session(&hash, &session).await.unwrap();
    assert_eq!(store.session(&hash, T0).await.unwrap(), Some(session));
    assert_eq!(store.session(&hash, T0 + secs(600)).await.unwrap(), None);
    assert_eq!(
        store.session(&Secret::generate().hash(), T0).await.unwrap(),
        None
    );
}

async fn attempts_count_per_key_and_window(store: Arc<dyn Store>) {
    let window = secs(900);
    let start = remote_mcp_core::store::window_start(T0, window);
    for expected in 1..=3 {
        assert_eq!(
            store
                .count_attempt("account:alice", start, window)
                .await
                .unwrap(),
            expected
        );
    }
    assert_eq!(
        store
            .attempts("account:alice", start + secs(899), window)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store.attempts("account:bob", start, window).await.unwrap(),
        0
    );
    assert_eq!(
        store
            .attempts("account:alice", start + window, window)
            .await
            .unwrap(),
        0,
        "the next window starts clean"
    );
}

async fn concurrent_attempts_are_all_counted(store: Arc<dyn Store>) {
    let window = secs(900);
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .count_attempt("source:1.2.3.4", T0, window)
                    .await
                    .unwrap()
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        store.attempts("source:1.2.3.4", T0, window).await.unwrap(),
        CONCURRENCY as u32
    );
}

async fn reserved_attempts_stop_at_the_limit_and_can_be_released(store: Arc<dyn Store>) {
    let window = secs(900);
    for _ in 0..3 {
        assert!(store.reserve_attempt("acct", T0, window, 3).await.unwrap());
    }
    assert!(
        !store.reserve_attempt("acct", T0, window, 3).await.unwrap(),
        "over the limit: not counted"
    );
    assert_eq!(store.attempts("acct", T0, window).await.unwrap(), 3);
    store.release_attempt("acct", T0, window).await.unwrap();
    assert_eq!(store.attempts("acct", T0, window).await.unwrap(), 2);
    assert!(store.reserve_attempt("acct", T0, window, 3).await.unwrap());
    assert!(
        store
            .reserve_attempt("acct", T0 + window, window, 3)
            .await
            .unwrap(),
        "the next window starts clean"
    );
    // Releasing what was never reserved does not go below zero.
    store.release_attempt("other", T0, window).await.unwrap();
    assert_eq!(store.attempts("other", T0, window).await.unwrap(), 0);
}

async fn concurrent_reservations_never_exceed_the_limit(store: Arc<dyn Store>) {
    let window = secs(900);
    let limit = 5;
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .reserve_attempt("account:alice", T0, window, limit)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut granted = 0;
    for t in tasks {
        granted += u32::from(t.await.unwrap());
    }
    assert_eq!(granted, limit, "of {CONCURRENCY} concurrent attempts");
    assert_eq!(
        store.attempts("account:alice", T0, window).await.unwrap(),
        limit
    );
}

async fn administration_lists_clients_and_grants(store: Arc<dyn Store>) {
    store.save_client(&client("c1")).await.unwrap();
    store.save_client(&client("c2")).await.unwrap();
    let ids: Vec<String> = store
        .clients()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(ids, ["c1", "c2"]);
    let (mine, _) = grant();
    let (theirs, _) = grant();
    let theirs = Grant {
        subject: "user-2".into(),
        ..theirs
    };
    store.create_grant(&mine).await.unwrap();
    store.create_grant(&theirs).await.unwrap();
    assert_eq!(store.grants(None).await.unwrap().len(), 2);
    assert_eq!(store.grants(Some("user-2")).await.unwrap(), vec![theirs]);
}

// ------------------------------------------------------------------ codes

async fn code_is_redeemed_exactly_once(store: Arc<dyn Store>) {
    let hash = Secret::generate().hash();
    store.save_code(&hash, &code()).await.unwrap();
    let record = store.code(&hash, T0).await.unwrap().unwrap();
    assert_eq!(record.code, code());
    assert_eq!(record.redeemed_by, None);

    let (first, _) = grant();
    assert_eq!(
        store.take_code(&hash, &first, T0).await.unwrap(),
        CodeRedemption::Redeemed
    );
    assert_eq!(
        store.grant(&first.id, T0).await.unwrap(),
        Some(first.clone())
    );

    let (second, _) = grant();
    assert_eq!(
        store.take_code(&hash, &second, T0).await.unwrap(),
        CodeRedemption::AlreadyRedeemed(first.id.clone()),
        "a replay names the grant to revoke"
    );
    assert_eq!(store.grant(&second.id, T0).await.unwrap(), None);
    let record = store.code(&hash, T0).await.unwrap().unwrap();
    assert_eq!(record.redeemed_by, Some(first.id));
}

async fn expired_code_is_invisible_and_cannot_be_taken(store: Arc<dyn Store>) {
    let hash = Secret::generate().hash();
    let c = code();
    store.save_code(&hash, &c).await.unwrap();
    assert!(store.code(&hash, c.expires_at).await.unwrap().is_none());
    let (g, _) = grant();
    assert_eq!(
        store.take_code(&hash, &g, c.expires_at).await.unwrap(),
        CodeRedemption::Missing
    );
    assert_eq!(store.grant(&g.id, T0).await.unwrap(), None);
}

async fn unknown_code_is_missing(store: Arc<dyn Store>) {
    let hash = SecretHash::of("never issued");
    assert!(store.code(&hash, T0).await.unwrap().is_none());
    let (g, _) = grant();
    assert_eq!(
        store.take_code(&hash, &g, T0).await.unwrap(),
        CodeRedemption::Missing
    );
}

async fn concurrent_takes_of_one_code_have_exactly_one_winner(store: Arc<dyn Store>) {
    let hash = Secret::generate().hash();
    store.save_code(&hash, &code()).await.unwrap();
    let attempts: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (store, hash) = (store.clone(), hash.clone());
            let (g, _) = grant();
            tokio::spawn(async move {
                let outcome = store.take_code(&hash, &g, T0).await.unwrap();
                (g.id, outcome)
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut named = Vec::new();
    for attempt in attempts {
        match attempt.await.unwrap() {
            (id, CodeRedemption::Redeemed) => winners.push(id),
            (_, CodeRedemption::AlreadyRedeemed(winner)) => named.push(winner),
            (_, CodeRedemption::Missing) => panic!("a live code must not look missing"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one redemption succeeds");
    assert_eq!(named.len(), CONCURRENCY - 1);
    assert!(
        named.iter().all(|w| *w == winners[0]),
        "losers name the winner's grant"
    );
    assert!(store.grant(&winners[0], T0).await.unwrap().is_some());
}

// ------------------------------------------------------------------ grants

async fn grant_round_trip_and_expiry(store: Arc<dyn Store>) {
    let (g, _) = grant();
    store.create_grant(&g).await.unwrap();
    assert_eq!(store.grant(&g.id, T0).await.unwrap(), Some(g.clone()));
    assert!(matches!(
        store.create_grant(&g).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(store.grant(&g.id, g.expires_at).await.unwrap(), None);
}

async fn rotation_follows_the_grace_policy(store: Arc<dyn Store>) {
    let (g, t1) = grant();
    store.create_grant(&g).await.unwrap();
    let key = g.refresh.successor_key.clone();

    let t2 = t1.successor(&key);
    let rotated = store
        .rotate_refresh(&g.id, &t1.hash(), t2.hash(), T0 + secs(10), POLICY)
        .await
        .unwrap();
    let Rotation::Rotated(after) = rotated else {
        panic!("current token must rotate, got {rotated:?}")
    };
    assert_eq!(after.refresh.current, t2.hash());
    assert_eq!(
        after.expires_at,
        T0 + secs(10) + POLICY.lifetime,
        "rotation extends the grant"
    );
    assert_eq!(
        store.grant(&g.id, T0 + secs(10)).await.unwrap(),
        Some(after.clone())
    );

    // The response carrying t2 was lost: retrying t1 within the grace gets t2 again, as often as
    // it happens, and changes nothing.
    for at in [20, 21, 40] {
        let Rotation::Rotated(again) = store
            .rotate_refresh(
                &g.id,
                &t1.hash(),
                t1.successor(&key).hash(),
                T0 + secs(at),
                POLICY,
            )
            .await
            .unwrap()
        else {
            panic!("a retry within the grace is answered")
        };
        assert_eq!(again.refresh, after.refresh, "idempotent");
    }
    // A successor other than the derived one is refused without harm.
    assert_eq!(
        store
            .rotate_refresh(
                &g.id,
                &t1.hash(),
                RefreshToken::generate(&g.id).hash(),
                T0 + secs(41),
                POLICY
            )
            .await
            .unwrap(),
        Rotation::Duplicate
    );
    // t2 is used; t1 is retired for good.
    assert!(matches!(
        store
            .rotate_refresh(
                &g.id,
                &t2.hash(),
                t2.successor(&key).hash(),
                T0 + secs(50),
                POLICY
            )
            .await
            .unwrap(),
        Rotation::Rotated(_)
    ));
    assert!(matches!(
        store
            .rotate_refresh(
                &g.id,
                &t1.hash(),
                t1.successor(&key).hash(),
                T0 + secs(51),
                POLICY
            )
            .await
            .unwrap(),
        Rotation::Replayed(_)
    ));
    assert!(
        store.grant(&g.id, T0 + secs(51)).await.unwrap().is_some(),
        "the caller revokes, not the store"
    );
}

async fn replay_after_grace_is_reported(store: Arc<dyn Store>) {
    let (g, t1) = grant();
    store.create_grant(&g).await.unwrap();
    let t2 = RefreshToken::generate(&g.id);
    store
        .rotate_refresh(&g.id, &t1.hash(), t2.hash(), T0, POLICY)
        .await
        .unwrap();
    let t3 = RefreshToken::generate(&g.id);
    assert!(matches!(
        store
            .rotate_refresh(&g.id, &t1.hash(), t3.hash(), T0 + POLICY.grace, POLICY)
            .await
            .unwrap(),
        Rotation::Replayed(_)
    ));
}

async fn rotation_of_revoked_or_expired_grant_is_unknown(store: Arc<dyn Store>) {
    let (g, t1) = grant();
    store.create_grant(&g).await.unwrap();
    let next = RefreshToken::generate(&g.id);
    assert_eq!(
        store
            .rotate_refresh(&g.id, &t1.hash(), next.hash(), g.expires_at, POLICY)
            .await
            .unwrap(),
        Rotation::Unknown
    );
    assert!(store.revoke_grant(&g.id).await.unwrap());
    assert!(!store.revoke_grant(&g.id).await.unwrap());
    assert_eq!(
        store
            .rotate_refresh(&g.id, &t1.hash(), next.hash(), T0, POLICY)
            .await
            .unwrap(),
        Rotation::Unknown
    );
    assert_eq!(store.grant(&g.id, T0).await.unwrap(), None);
}

async fn foreign_token_is_unknown(store: Arc<dyn Store>) {
    let (g, _) = grant();
    store.create_grant(&g).await.unwrap();
    let (_, other) = grant();
    let next = RefreshToken::generate(&g.id);
    assert_eq!(
        store
            .rotate_refresh(&g.id, &other.hash(), next.hash(), T0, POLICY)
            .await
            .unwrap(),
        Rotation::Unknown
    );
}

/// 50 rotations of one token at once: one rotates, at most one more is the grace retry (which
/// replaces the first's unused successor), the rest are refused as duplicates. Afterwards exactly
/// one of the issued tokens is live, and the grant is intact.
async fn concurrent_rotations_leave_exactly_one_live_token(store: Arc<dyn Store>) {
    let (g, t1) = grant();
    store.create_grant(&g).await.unwrap();
    let attempts: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (store, id, presented) = (store.clone(), g.id.clone(), t1.hash());
            tokio::spawn(async move {
                let next = RefreshToken::generate(&id);
                let outcome = store
                    .rotate_refresh(&id, &presented, next.hash(), T0 + secs(1), POLICY)
                    .await
                    .unwrap();
                (next, outcome)
            })
        })
        .collect();
    let mut issued = Vec::new();
    for attempt in attempts {
        match attempt.await.unwrap() {
            (next, Rotation::Rotated(_)) => issued.push(next),
            (_, Rotation::Duplicate) => {}
            (_, other) => panic!("a concurrent duplicate must not be {other:?}"),
        }
    }
    assert!(
        (1..=2).contains(&issued.len()),
        "one rotation plus at most the single grace retry, got {}",
        issued.len()
    );
    let stored = store
        .grant(&g.id, T0 + secs(1))
        .await
        .unwrap()
        .expect("grant survives");
    let live: Vec<_> = issued
        .iter()
        .filter(|t| t.hash() == stored.refresh.current)
        .collect();
    assert_eq!(live.len(), 1, "exactly one issued token is live");
    let probe = RefreshToken::generate(&g.id);
    assert!(matches!(
        store
            .rotate_refresh(&g.id, &live[0].hash(), probe.hash(), T0 + secs(2), POLICY)
            .await
            .unwrap(),
        Rotation::Rotated(_)
    ));
}

/// Expands to one `#[tokio::test]` per contract item for a store factory.
macro_rules! store_contract {
    ($factory:path; $($test:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $test() {
                super::$test($factory().await).await;
            }
        )+
    };
}

macro_rules! contract_for {
    ($factory:path) => {
        store_contract!($factory;
            client_round_trip,
            duplicate_client_id_is_rejected,
            deleted_client_is_gone,
            expired_client_is_invisible,
            consent_is_taken_exactly_once,
            expired_consent_cannot_be_taken,
            concurrent_takes_of_one_consent_have_exactly_one_winner,
            revoked_access_tokens_are_remembered_until_expiry,
            notes_are_per_owner_and_ordered,
            owner_prefixes_do_not_leak,
            users_are_unique_by_email,
            sessions_expire,
            attempts_count_per_key_and_window,
            concurrent_attempts_are_all_counted,
            reserved_attempts_stop_at_the_limit_and_can_be_released,
            concurrent_reservations_never_exceed_the_limit,
            administration_lists_clients_and_grants,
            code_is_redeemed_exactly_once,
            expired_code_is_invisible_and_cannot_be_taken,
            unknown_code_is_missing,
            concurrent_takes_of_one_code_have_exactly_one_winner,
            grant_round_trip_and_expiry,
            rotation_follows_the_grace_policy,
            replay_after_grace_is_reported,
            rotation_of_revoked_or_expired_grant_is_unknown,
            foreign_token_is_unknown,
            concurrent_rotations_leave_exactly_one_live_token,
        );
    };
}

mod memory {
    contract_for!(super::memory_store);
}

mod dynamodb_local {
    contract_for!(super::dynamo_store);

    #[test]
    fn template_table_matches_the_store_layout() {
        remote_mcp_core::local::TableDefinition::from_repository()
            .and_then(|t| t.check_matches_store())
            .unwrap();
    }
}
