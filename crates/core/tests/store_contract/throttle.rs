//! [`Throttle`]: attempt counters in fixed windows, atomic across instances.
//!
//! [`Throttle`]: remote_mcp_core::Throttle

use super::*;
use remote_mcp_core::Throttle;

async fn attempts_count_per_key_and_window(store: Arc<dyn Throttle>) {
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

async fn concurrent_attempts_are_all_counted(store: Arc<dyn Throttle>) {
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

async fn reserved_attempts_stop_at_the_limit_and_can_be_released(store: Arc<dyn Throttle>) {
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

async fn concurrent_reservations_never_exceed_the_limit(store: Arc<dyn Throttle>) {
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

super::contract!(
    attempts_count_per_key_and_window,
    concurrent_attempts_are_all_counted,
    reserved_attempts_stop_at_the_limit_and_can_be_released,
    concurrent_reservations_never_exceed_the_limit,
);
