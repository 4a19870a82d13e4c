//! Time as a value. Domain functions take `now: UnixTime` instead of reading the clock, so tests
//! step time (`T0`, `T0 + ttl`) rather than sleeping.

use serde::{Deserialize, Serialize};
use std::ops::Add;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch: the resolution of JWT `iat`/`exp` and of DynamoDB TTL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixTime(pub i64);

impl UnixTime {
    /// The wall clock. Called at the edge (handlers), never inside domain logic.
    pub fn now() -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self(i64::try_from(secs).unwrap_or(i64::MAX))
    }

    /// Seconds since the epoch.
    pub fn seconds(self) -> i64 {
        self.0
    }
}

impl Add<Duration> for UnixTime {
    type Output = UnixTime;

    fn add(self, rhs: Duration) -> UnixTime {
        let secs = i64::try_from(rhs.as_secs()).unwrap_or(i64::MAX);
        UnixTime(self.0.saturating_add(secs))
    }
}

/// Where handlers read the time: the system clock in every deployment, a manual clock that tests
/// step (so expiry and grace are tested through HTTP without sleeping). Held by each function's
/// state; cloning shares the manual clock.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    #[default]
    System,
    Manual(std::sync::Arc<std::sync::atomic::AtomicI64>),
}

impl Clock {
    /// A manual clock starting at `start`.
    pub fn manual(start: UnixTime) -> Self {
        Self::Manual(std::sync::Arc::new(std::sync::atomic::AtomicI64::new(
            start.seconds(),
        )))
    }

    /// The current time.
    pub fn now(&self) -> UnixTime {
        match self {
            Self::System => UnixTime::now(),
            Self::Manual(at) => UnixTime(at.load(std::sync::atomic::Ordering::SeqCst)),
        }
    }

    /// Moves a manual clock forward (the system clock moves by itself).
    pub fn advance(&self, by: Duration) {
        if let Self::Manual(at) = self {
            let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
            at.fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// A time in ISO 8601, UTC, to the second: `2026-11-28T11:48:52Z` (tables, pages).
pub fn iso8601(time: UnixTime) -> String {
    let seconds = time.seconds();
    let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days, for the proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}
