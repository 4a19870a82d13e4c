//! The public keys of `private_key_jwt` clients (RFC 7591 §2 `jwks_uri` / `jwks`).
//!
//! A key set given inline is used as given. One named by URL is fetched with the metadata
//! document fetcher's SSRF guards ([`crate::fetch`]), kept for as long as its `Cache-Control`
//! allows (never less than [`REFETCH_FLOOR`]), and fetched again when an assertion names a key it
//! does not hold, which is how a client rotates. At most one fetch per key set per
//! [`REFETCH_FLOOR`], whatever the requests say, so nobody can make us fetch on every request.

use crate::fetch::Fetcher;
use jsonwebtoken::jwk::JwkSet;
use remote_mcp_core::UnixTime;
use remote_mcp_core::model::ClientKeys;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// The shortest time between two fetches of one key set.
pub const REFETCH_FLOOR: Duration = Duration::from_secs(60);
/// Largest key set we read.
const MAX_JWKS_BYTES: usize = 64 * 1024;

/// A key set's keys, checked ([`ClientKeys::key_set`]).
fn parse(value: &serde_json::Value) -> Result<JwkSet, String> {
    ClientKeys::key_set(value)
}

/// A key set fetched from a `jwks_uri`.
struct Kept {
    keys: Option<JwkSet>,
    /// Used without asking again until then.
    fresh_until: UnixTime,
    /// The last fetch began then (successful or not).
    attempted_at: UnixTime,
}

/// Clients' key sets, fetched and kept.
pub struct KeySets {
    fetcher: Fetcher,
    kept: Mutex<HashMap<String, Kept>>,
}

impl KeySets {
    /// Key sets fetched with `fetcher`.
    pub fn new(fetcher: Fetcher) -> Self {
        Self {
            fetcher,
            kept: Mutex::default(),
        }
    }

    /// The keys to check a signature naming `kid` with, as of `now`.
    pub async fn keys(
        &self,
        source: &ClientKeys,
        kid: Option<&str>,
        now: UnixTime,
    ) -> Result<JwkSet, String> {
        let uri = match source {
            ClientKeys::Jwks(value) => return parse(value),
            ClientKeys::JwksUri(uri) => uri,
        };
        match self.plan(uri, kid, now) {
            Plan::Use(keys) => Ok(keys),
            Plan::Refused => {
                Err("the client's key set could not be fetched; try again later".into())
            }
            Plan::Fetch(previous) => match self.fetch(uri).await {
                Ok((keys, ttl)) => {
                    self.keep(uri, Some(keys.clone()), now, ttl);
                    Ok(keys)
                }
                Err(why) => {
                    tracing::warn!(jwks_uri = %remote_mcp_core::audit::clip(uri), why = %remote_mcp_core::audit::clip(&why), "client key set fetch failed");
                    let kept = previous.clone();
                    self.keep(uri, previous, now, REFETCH_FLOOR);
                    kept.ok_or_else(|| format!("the client's key set could not be fetched: {why}"))
                }
            },
        }
    }

    /// Whether to use what is kept or to fetch; a fetch is claimed here, under the lock, so that
    /// concurrent requests cannot start more than one per [`REFETCH_FLOOR`].
    fn plan(&self, uri: &str, kid: Option<&str>, now: UnixTime) -> Plan {
        let Ok(mut kept) = self.kept.lock() else {
            return Plan::Refused;
        };
        let entry = kept.get_mut(uri);
        let Some(entry) = entry else {
            kept.insert(
                uri.to_owned(),
                Kept {
                    keys: None,
                    fresh_until: now,
                    attempted_at: now,
                },
            );
            return Plan::Fetch(None);
        };
        let holds_kid = |keys: &JwkSet| kid.is_none_or(|kid| keys.find(kid).is_some());
        if let Some(keys) = &entry.keys
            && now < entry.fresh_until
            && holds_kid(keys)
        {
            return Plan::Use(keys.clone());
        }
        if now < entry.attempted_at + REFETCH_FLOOR {
            return match &entry.keys {
                Some(keys) => Plan::Use(keys.clone()),
                None => Plan::Refused,
            };
        }
        entry.attempted_at = now;
        Plan::Fetch(entry.keys.clone())
    }

    fn keep(&self, uri: &str, keys: Option<JwkSet>, now: UnixTime, ttl: Duration) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.insert(
                uri.to_owned(),
                Kept {
                    keys,
                    fresh_until: now + ttl.max(REFETCH_FLOOR),
                    attempted_at: now,
                },
            );
        }
    }

    async fn fetch(&self, uri: &str) -> Result<(JwkSet, Duration), String> {
        let fetched = self
            .fetcher
            .get_json(uri, MAX_JWKS_BYTES)
            .await
            .map_err(|e| e.to_string())?;
        let value: serde_json::Value =
            serde_json::from_slice(&fetched.body).map_err(|e| format!("not JSON: {e}"))?;
        Ok((parse(&value)?, fetched.ttl))
    }
}

enum Plan {
    Use(JwkSet),
    Fetch(Option<JwkSet>),
    Refused,
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header::CONTENT_TYPE;
    use axum::routing::get;
    use serde_json::json;
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const T0: UnixTime = UnixTime(1_900_000_000);
    const URI: &str = "https://keys.test/jwks.json";

    fn key_set(kid: &str) -> serde_json::Value {
        json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256",
            "x": "-qgIXBbTmI1LnDqGXIV8G0YHr2YNFtFWCOs7a3uL1_8",
            "y": "PLO3tvadgm4N-Qv19qEglW6L0nkWbbdPki09a_ROfiI"}]})
    }

    /// A key server on loopback that serves `key-<n>` on its n-th request, counting them.
    async fn rotating_server() -> (SocketAddr, Arc<AtomicUsize>) {
        let served = Arc::new(AtomicUsize::new(0));
        let counter = served.clone();
        let app = axum::Router::new().route(
            "/jwks.json",
            get(move || {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    (
                        [(CONTENT_TYPE, "application/json")],
                        key_set(&format!("key-{n}")).to_string(),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (address, served)
    }

    #[tokio::test]
    async fn an_unknown_kid_refetches_once_within_the_floor() {
        let (address, served) = rotating_server().await;
        let sets = KeySets::new(Fetcher::public().serving_from_loopback("keys.test", address));
        let source = ClientKeys::JwksUri(URI.into());
        let first = sets.keys(&source, Some("key-1"), T0).await.unwrap();
        assert!(first.find("key-1").is_some());
        // Kept: no second fetch for a key we hold.
        sets.keys(&source, Some("key-1"), T0 + Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(served.load(Ordering::SeqCst), 1);
        // An unknown kid within the floor: no fetch, whatever is asked.
        for _ in 0..5 {
            let keys = sets
                .keys(&source, Some("key-9"), T0 + Duration::from_secs(2))
                .await
                .unwrap();
            assert!(keys.find("key-9").is_none());
        }
        assert_eq!(served.load(Ordering::SeqCst), 1);
        // After the floor, the rotation is picked up with one fetch.
        let later = T0 + REFETCH_FLOOR + Duration::from_secs(1);
        let rotated = sets.keys(&source, Some("key-2"), later).await.unwrap();
        assert!(rotated.find("key-2").is_some());
        assert_eq!(served.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn declared_key_sets_are_checked() {
        let declared = ClientKeys::declared;
        assert_eq!(declared(None, None), Ok(None));
        assert!(declared(Some("http://keys.example/jwks"), None).is_err());
        assert!(declared(Some(URI), Some(&key_set("a"))).is_err());
        assert!(declared(None, Some(&json!({"keys": []}))).is_err());
        let symmetric = json!({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "h"}]});
        assert!(declared(None, Some(&symmetric)).is_err());
        assert!(matches!(
            declared(None, Some(&key_set("a"))),
            Ok(Some(ClientKeys::Jwks(_)))
        ));
    }
}
