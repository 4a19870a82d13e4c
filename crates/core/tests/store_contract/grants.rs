//! [`GrantStore`]: clients, consent transactions, revoked tokens, codes, grants and rotation.
//!
//! [`GrantStore`]: remote_mcp_core::GrantStore

use super::*;
use remote_mcp_core::{GrantStore, Store, Versioned};

// ------------------------------------------------------------------ clients

async fn client_round_trip(store: Arc<dyn GrantStore>) {
    let c = client("client-1");
    store.save_client(&c).await.unwrap();
    assert_eq!(store.client(&c.id, T0).await.unwrap(), Some(c));
}

async fn duplicate_client_id_is_rejected(store: Arc<dyn GrantStore>) {
    store.save_client(&client("dup")).await.unwrap();
    assert!(matches!(
        store.save_client(&client("dup")).await,
        Err(StoreError::AlreadyExists)
    ));
}

async fn deleted_client_is_gone(store: Arc<dyn GrantStore>) {
    let c = client("gone");
    store.save_client(&c).await.unwrap();
    assert!(store.delete_client(&c.id).await.unwrap());
    assert!(!store.delete_client(&c.id).await.unwrap());
    assert_eq!(store.client(&c.id, T0).await.unwrap(), None);
}

async fn expired_client_is_invisible(store: Arc<dyn GrantStore>) {
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

async fn consent_is_taken_exactly_once(store: Arc<dyn GrantStore>) {
    let hash = Secret::generate().hash();
    let request = consent();
    store.save_consent(&hash, &request).await.unwrap();
    assert_eq!(store.take_consent(&hash, T0).await.unwrap(), Some(request));
    assert_eq!(store.take_consent(&hash, T0).await.unwrap(), None);
}

async fn expired_consent_cannot_be_taken(store: Arc<dyn GrantStore>) {
    let hash = Secret::generate().hash();
    let c = consent();
    store.save_consent(&hash, &c).await.unwrap();
    assert_eq!(store.take_consent(&hash, c.expires_at).await.unwrap(), None);
}

async fn concurrent_takes_of_one_consent_have_exactly_one_winner(store: Arc<dyn GrantStore>) {
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

async fn revoked_access_tokens_are_remembered_until_expiry(store: Arc<dyn GrantStore>) {
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

async fn a_one_time_value_is_first_used_once_until_it_expires(store: Arc<dyn GrantStore>) {
    let until = T0 + secs(300);
    assert!(store.first_use("iss#jti-1", until, T0).await.unwrap());
    assert!(
        !store
            .first_use("iss#jti-1", until, T0 + secs(1))
            .await
            .unwrap()
    );
    assert!(store.first_use("iss#jti-2", until, T0).await.unwrap());
    // Forgotten once expired (DynamoDB's TTL deletion may lag; the expiry decides).
    assert!(
        store
            .first_use("iss#jti-1", until + secs(300), until)
            .await
            .unwrap()
    );
}

async fn concurrent_first_uses_have_one_winner(store: Arc<dyn GrantStore>) {
    let attempts = (0..8).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.first_use("iss#race", T0 + secs(60), T0).await })
    });
    let mut firsts = 0;
    for attempt in attempts {
        if attempt.await.unwrap().unwrap() {
            firsts += 1;
        }
    }
    assert_eq!(firsts, 1);
}

/// Listing clients scans the table, which DynamoDB answers a megabyte at a time: clients beyond
/// the first page are listed too.
async fn the_client_listing_reads_past_a_page(store: Arc<dyn Store>) {
    let body = "x".repeat(200_000);
    for i in 0..8 {
        let note = Note::new("alice", &format!("note {i}"), &body, at(T0 + secs(i)));
        store.save_note(&note).await.unwrap();
    }
    let ids: Vec<String> = (0..20).map(|i| format!("c{i:02}")).collect();
    for id in &ids {
        store.save_client(&client(id)).await.unwrap();
    }
    let listed: Vec<String> = store
        .clients()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(listed, ids);
}

async fn administration_lists_clients_and_grants(store: Arc<dyn GrantStore>) {
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

async fn code_is_redeemed_exactly_once(store: Arc<dyn GrantStore>) {
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

async fn expired_code_is_invisible_and_cannot_be_taken(store: Arc<dyn GrantStore>) {
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

async fn unknown_code_is_missing(store: Arc<dyn GrantStore>) {
    let hash = SecretHash::of("never issued");
    assert!(store.code(&hash, T0).await.unwrap().is_none());
    let (g, _) = grant();
    assert_eq!(
        store.take_code(&hash, &g, T0).await.unwrap(),
        CodeRedemption::Missing
    );
}

async fn concurrent_takes_of_one_code_have_exactly_one_winner(store: Arc<dyn GrantStore>) {
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

async fn grant_round_trip_and_expiry(store: Arc<dyn GrantStore>) {
    let (g, _) = grant();
    store.create_grant(&g).await.unwrap();
    assert_eq!(store.grant(&g.id, T0).await.unwrap(), Some(g.clone()));
    assert!(matches!(
        store.create_grant(&g).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(store.grant(&g.id, g.expires_at).await.unwrap(), None);
}

async fn a_users_grants_are_listed_by_key_until_revoked_or_expired(store: Arc<dyn GrantStore>) {
    let (first, _) = grant();
    let (second, _) = grant();
    let second = Grant {
        created_at: T0 + secs(1),
        ..second
    };
    let (someone_elses, _) = grant();
    let someone_elses = Grant {
        subject: "user-2".into(),
        ..someone_elses
    };
    for g in [&second, &first, &someone_elses] {
        store.create_grant(g).await.unwrap();
    }
    let ids = |grants: Vec<Grant>| grants.into_iter().map(|g| g.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.user_grants("user-1", T0).await.unwrap()),
        [first.id.clone(), second.id.clone()],
        "only the user's, oldest first"
    );
    assert!(store.revoke_grant(&first.id).await.unwrap());
    assert_eq!(
        ids(store.user_grants("user-1", T0).await.unwrap()),
        vec![second.id.clone()]
    );
    assert_eq!(
        ids(store
            .user_grants("user-1", second.expires_at)
            .await
            .unwrap()),
        Vec::<GrantId>::new(),
        "expired grants are not listed"
    );
    assert_eq!(
        ids(store.user_grants("user-2", T0).await.unwrap()),
        vec![someone_elses.id.clone()]
    );
}

/// The grant as the test created it: for a grant that is gone or expired since, a read the
/// store must find out of date.
fn as_read(g: &Grant) -> Versioned<Grant> {
    Versioned {
        value: g.clone(),
        revision: 0,
    }
}

/// The grant as a refresh at `at` reads it.
async fn read(store: &Arc<dyn GrantStore>, g: &Grant, at: UnixTime) -> Versioned<Grant> {
    store
        .grant_for_update(&g.id, at)
        .await
        .unwrap()
        .expect("a live grant")
}

/// A refresh reads the client and the grant together; it gets what the two reads apart would
/// give, each missing or expired on its own.
async fn a_client_and_a_grant_read_together_are_as_read_apart(store: Arc<dyn GrantStore>) {
    let (g, _) = grant();
    let c = client(g.client_id.as_str());
    store.save_client(&c).await.unwrap();
    store.create_grant(&g).await.unwrap();
    let both = store
        .client_and_grant_for_update(&c.id, &g.id, T0)
        .await
        .unwrap();
    assert_eq!(both, (Some(c.clone()), Some(read(&store, &g, T0).await)));
    let no_grant = store
        .client_and_grant_for_update(&c.id, &GrantId::generate(), T0)
        .await
        .unwrap();
    assert_eq!(no_grant, (Some(c.clone()), None));
    let no_client = store
        .client_and_grant_for_update(&ClientId::new("nobody"), &g.id, T0)
        .await
        .unwrap();
    assert_eq!(no_client.0, None);
    assert_eq!(no_client.1.map(|read| read.value), Some(g.clone()));
    // The client expires first (an hour), the grant later.
    let later = c.expires_at;
    let expired_client = store
        .client_and_grant_for_update(&c.id, &g.id, later)
        .await
        .unwrap();
    assert_eq!(expired_client.0, None);
    assert!(expired_client.1.is_some());
    let both_gone = store
        .client_and_grant_for_update(&c.id, &g.id, g.expires_at)
        .await
        .unwrap();
    assert_eq!(both_gone, (None, None));
}

/// With a current read, a rotation is decided from it; a read that is out of date (another
/// rotation came first) is never written over the newer grant.
async fn a_rotation_writes_only_over_the_grant_it_read(store: Arc<dyn GrantStore>) {
    let (g, t1) = grant();
    store.create_grant(&g).await.unwrap();
    let key = g.refresh.successor_key.clone();
    let read = store.grant_for_update(&g.id, T0).await.unwrap().unwrap();
    assert_eq!(read.value, g);
    let t2 = t1.successor(&key);
    let Rotation::Rotated(after) = store
        .rotate_refresh(read.clone(), &t1.hash(), t2.hash(), T0 + secs(1), POLICY)
        .await
        .unwrap()
    else {
        panic!("a current read rotates")
    };
    // t2 used (t1 retired), then the old read of t1 comes back after the grace.
    let current = store
        .grant_for_update(&g.id, T0 + secs(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.value, after);
    let t3 = t2.successor(&key);
    assert!(matches!(
        store
            .rotate_refresh(current, &t2.hash(), t3.hash(), T0 + secs(2), POLICY)
            .await
            .unwrap(),
        Rotation::Rotated(_)
    ));
    assert!(matches!(
        store
            .rotate_refresh(
                read,
                &t1.hash(),
                t1.successor(&key).hash(),
                T0 + POLICY.grace + secs(5),
                POLICY
            )
            .await
            .unwrap(),
        Rotation::Replayed(_)
    ));
    let stored = store.grant(&g.id, T0 + secs(3)).await.unwrap().unwrap();
    assert_eq!(
        stored.refresh.current,
        t3.hash(),
        "the newest token still stands"
    );
}

async fn rotation_follows_the_grace_policy(store: Arc<dyn GrantStore>) {
    let (g, t1) = grant();
    store.create_grant(&g).await.unwrap();
    let key = g.refresh.successor_key.clone();

    let t2 = t1.successor(&key);
    let rotated = store
        .rotate_refresh(
            read(&store, &g, T0 + secs(10)).await,
            &t1.hash(),
            t2.hash(),
            T0 + secs(10),
            POLICY,
        )
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
                read(&store, &g, T0 + secs(at)).await,
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
                read(&store, &g, T0 + secs(41)).await,
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
                read(&store, &g, T0 + secs(50)).await,
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
                read(&store, &g, T0 + secs(51)).await,
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

async fn replay_after_grace_is_reported(store: Arc<dyn GrantStore>) {
    let (g, t1) = grant();
    store.create_grant(&g).await.unwrap();
    let t2 = RefreshToken::generate(&g.id);
    store
        .rotate_refresh(
            read(&store, &g, T0).await,
            &t1.hash(),
            t2.hash(),
            T0,
            POLICY,
        )
        .await
        .unwrap();
    let t3 = RefreshToken::generate(&g.id);
    assert!(matches!(
        store
            .rotate_refresh(
                read(&store, &g, T0 + POLICY.grace).await,
                &t1.hash(),
                t3.hash(),
                T0 + POLICY.grace,
                POLICY
            )
            .await
            .unwrap(),
        Rotation::Replayed(_)
    ));
}

async fn rotation_of_revoked_or_expired_grant_is_unknown(store: Arc<dyn GrantStore>) {
    let (g, t1) = grant();
    store.create_grant(&g).await.unwrap();
    let next = RefreshToken::generate(&g.id);
    assert_eq!(
        store
            .rotate_refresh(as_read(&g), &t1.hash(), next.hash(), g.expires_at, POLICY)
            .await
            .unwrap(),
        Rotation::Unknown
    );
    assert!(store.revoke_grant(&g.id).await.unwrap());
    assert!(!store.revoke_grant(&g.id).await.unwrap());
    assert_eq!(store.grant_for_update(&g.id, T0).await.unwrap(), None);
    assert_eq!(
        store
            .rotate_refresh(as_read(&g), &t1.hash(), next.hash(), T0, POLICY)
            .await
            .unwrap(),
        Rotation::Unknown
    );
    assert_eq!(store.grant(&g.id, T0).await.unwrap(), None);
}

async fn foreign_token_is_unknown(store: Arc<dyn GrantStore>) {
    let (g, _) = grant();
    store.create_grant(&g).await.unwrap();
    let (_, other) = grant();
    let next = RefreshToken::generate(&g.id);
    assert_eq!(
        store
            .rotate_refresh(
                read(&store, &g, T0).await,
                &other.hash(),
                next.hash(),
                T0,
                POLICY
            )
            .await
            .unwrap(),
        Rotation::Unknown
    );
}

/// 50 rotations of one token at once: one rotates, at most one more is the grace retry (which
/// replaces the first's unused successor), the rest are refused as duplicates. Afterwards exactly
/// one of the issued tokens is live, and the grant is intact.
async fn concurrent_rotations_leave_exactly_one_live_token(store: Arc<dyn GrantStore>) {
    let (g, t1) = grant();
    store.create_grant(&g).await.unwrap();
    let attempts: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (store, g, presented) = (store.clone(), g.clone(), t1.hash());
            tokio::spawn(async move {
                let next = RefreshToken::generate(&g.id);
                let read = read(&store, &g, T0 + secs(1)).await;
                let outcome = store
                    .rotate_refresh(read, &presented, next.hash(), T0 + secs(1), POLICY)
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
            .rotate_refresh(
                read(&store, &g, T0 + secs(2)).await,
                &live[0].hash(),
                probe.hash(),
                T0 + secs(2),
                POLICY
            )
            .await
            .unwrap(),
        Rotation::Rotated(_)
    ));
}

/// A use is recorded at most once per precision interval, survives a rotation (which is a use
/// itself), and never brings back a revoked grant.
async fn last_use_is_recorded_once_per_precision(store: Arc<dyn GrantStore>) {
    use remote_mcp_core::model::LAST_USED_PRECISION;
    let (g, t1) = grant();
    store.create_grant(&g).await.unwrap();
    let seen = |at| {
        let store = store.clone();
        let id = g.id.clone();
        async move { store.grant(&id, at).await.unwrap().unwrap().last_used_at }
    };
    assert_eq!(seen(T0).await, None, "not used yet");
    store.touch_grant(&g.id, T0 + secs(5)).await.unwrap();
    assert_eq!(seen(T0 + secs(5)).await, Some(T0 + secs(5)));
    // Within the precision, later uses write nothing.
    store.touch_grant(&g.id, T0 + secs(60)).await.unwrap();
    assert_eq!(seen(T0 + secs(60)).await, Some(T0 + secs(5)));
    let later = T0 + secs(5) + LAST_USED_PRECISION;
    store.touch_grant(&g.id, later).await.unwrap();
    assert_eq!(seen(later).await, Some(later));
    // Listings show it too.
    let listed = store.grants(Some("user-1")).await.unwrap();
    assert_eq!(listed[0].last_used_at, Some(later));
    // A refresh is a use, and keeps what was recorded beside the record.
    let t2 = t1.successor(&g.refresh.successor_key);
    let refreshed = later + secs(30);
    store
        .rotate_refresh(
            read(&store, &g, refreshed).await,
            &t1.hash(),
            t2.hash(),
            refreshed,
            POLICY,
        )
        .await
        .unwrap();
    assert_eq!(seen(refreshed).await, Some(refreshed));
    // A revoked grant stays gone.
    assert!(store.revoke_grant(&g.id).await.unwrap());
    let much_later = refreshed + LAST_USED_PRECISION + secs(1);
    store.touch_grant(&g.id, much_later).await.unwrap();
    assert_eq!(store.grant(&g.id, much_later).await.unwrap(), None);
}

super::contract!(
    last_use_is_recorded_once_per_precision,
    client_round_trip,
    duplicate_client_id_is_rejected,
    deleted_client_is_gone,
    expired_client_is_invisible,
    consent_is_taken_exactly_once,
    expired_consent_cannot_be_taken,
    concurrent_takes_of_one_consent_have_exactly_one_winner,
    revoked_access_tokens_are_remembered_until_expiry,
    a_one_time_value_is_first_used_once_until_it_expires,
    concurrent_first_uses_have_one_winner,
    administration_lists_clients_and_grants,
    the_client_listing_reads_past_a_page,
    code_is_redeemed_exactly_once,
    expired_code_is_invisible_and_cannot_be_taken,
    unknown_code_is_missing,
    concurrent_takes_of_one_code_have_exactly_one_winner,
    grant_round_trip_and_expiry,
    a_users_grants_are_listed_by_key_until_revoked_or_expired,
    a_rotation_writes_only_over_the_grant_it_read,
    a_client_and_a_grant_read_together_are_as_read_apart,
    rotation_follows_the_grace_policy,
    replay_after_grace_is_reported,
    rotation_of_revoked_or_expired_grant_is_unknown,
    foreign_token_is_unknown,
    concurrent_rotations_leave_exactly_one_live_token,
);
