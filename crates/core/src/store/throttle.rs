//! Attempt counters in fixed windows, atomic across instances: the sign-in throttle, and the
//! limits on what anonymous callers may make us store (consent transactions, sign-ins started at an
//! identity provider, registrations).

use super::StoreError;
use crate::UnixTime;
use async_trait::async_trait;
use std::time::Duration;

/// Counters of attempts per key and window.
#[async_trait]
pub trait Throttle: Send + Sync + 'static {
    /// Counts one attempt (a failed sign-in, a registration) against `key` in the fixed window
    /// containing `now`; returns the window's count so far. Atomic, so limits hold across Lambda
    /// instances.
    async fn count_attempt(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
    ) -> Result<u32, StoreError>;

    /// Attempts counted against `key` in the window containing `now`.
    async fn attempts(&self, key: &str, now: UnixTime, window: Duration)
    -> Result<u32, StoreError>;

    /// Reserves one of `limit` attempts against `key` in the window containing `now`, before the
    /// attempt is made: `true` if it was counted, `false` (nothing counted) if `limit` attempts are
    /// already counted. Atomic: of any number of concurrent callers, at most `limit` per window
    /// get `true`, on every instance.
    async fn reserve_attempt(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
        limit: u32,
    ) -> Result<bool, StoreError>;

    /// Gives back an attempt reserved in the window containing `now` (it turned out to be a
    /// success, which is not held against anyone).
    async fn release_attempt(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
    ) -> Result<(), StoreError>;
}
