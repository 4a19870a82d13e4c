//! [`Throttle`] in memory: attempt counters per fixed window.

#[allow(clippy::wildcard_imports)]
use super::*;

#[async_trait]
impl Throttle for MemoryStore {
    async fn count_attempt(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let mut tables = self.lock();
        let count = tables
            .attempts
            .entry((key.to_owned(), window_start(now, window)))
            .or_insert(0);
        *count += 1;
        Ok(*count)
    }

    async fn attempts(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
    ) -> Result<u32, StoreError> {
        Ok(self
            .lock()
            .attempts
            .get(&(key.to_owned(), window_start(now, window)))
            .copied()
            .unwrap_or(0))
    }

    async fn reserve_attempt(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
        limit: u32,
    ) -> Result<bool, StoreError> {
        let mut tables = self.lock();
        let count = tables
            .attempts
            .entry((key.to_owned(), window_start(now, window)))
            .or_insert(0);
        if *count >= limit {
            return Ok(false);
        }
        *count += 1;
        Ok(true)
    }

    async fn release_attempt(
        &self,
        key: &str,
        now: UnixTime,
        window: Duration,
    ) -> Result<(), StoreError> {
        if let Some(count) = self
            .lock()
            .attempts
            .get_mut(&(key.to_owned(), window_start(now, window)))
        {
            *count = count.saturating_sub(1);
        }
        Ok(())
    }
}
