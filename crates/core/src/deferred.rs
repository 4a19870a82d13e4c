//! [`Deferred`]: a value built by the first call that needs it.

use std::fmt;
use std::sync::{Arc, LazyLock};

type Make<T> = Box<dyn FnOnce() -> T + Send>;

/// A value built by the first call that needs it, then kept; clones share it. The AWS SDK clients
/// are held this way: configuring one and building it sets up its runtime plugins, interceptors
/// and endpoint resolver, and pages in the code that does so, work that a cold start's first
/// request (a metadata document, a 401) does not need.
pub struct Deferred<T>(Arc<LazyLock<T, Make<T>>>);

impl<T> Deferred<T> {
    /// Built by `make`, on first use.
    pub fn new(make: impl FnOnce() -> T + Send + 'static) -> Self {
        Self(Arc::new(LazyLock::new(Box::new(make))))
    }

    /// Already built.
    pub fn ready(value: T) -> Self
    where
        T: Send + 'static,
    {
        let deferred = Self::new(move || value);
        deferred.get();
        deferred
    }

    /// The value, built now if this is the first use.
    pub fn get(&self) -> &T {
        LazyLock::force(&self.0)
    }
}

impl<T> Clone for Deferred<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> fmt::Debug for Deferred<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deferred").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_deferred_value_is_built_once_on_first_use_and_shared_by_clones() {
        let built = Arc::new(AtomicUsize::new(0));
        let counter = built.clone();
        let deferred = Deferred::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            "client"
        });
        let clone = deferred.clone();
        assert_eq!(built.load(Ordering::SeqCst), 0, "nothing is built up front");
        assert_eq!(*clone.get(), "client");
        assert_eq!(*deferred.get(), "client");
        assert_eq!(built.load(Ordering::SeqCst), 1, "built once, for both");
    }

    #[test]
    fn a_ready_value_is_there_at_once() {
        let deferred = Deferred::ready(7);
        assert_eq!(*deferred.get(), 7);
    }
}
