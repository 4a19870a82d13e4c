//! Revocation at the resource server: a verified token must also still stand for something.
//!
//! Signature and expiry are checked in memory ([`crate::bearer`]); whether the token has since been
//! revoked needs the store. To keep the database off the hot path, each container remembers what
//! it last read about a token for [`remote_mcp_core::config::Lifetimes::revocation_check`] (30 s by
//! default, at most 60): a busy container reads each token's records at most once per interval,
//! and a revocation reaches every container within it.
//!
//! A token stands while:
//! - it was issued under a grant (a person's approval): the grant exists (revoked by RFC 7009, by
//!   a replay, by `remote-mcp-admin grant revoke`, or with every grant of a disabled user) and
//!   belongs to the token's client and subject; the client still exists, unless its id is a
//!   metadata-document URL (nothing to delete);
//! - it is a machine client's own token: that client still exists and may act for itself;
//! - and its own id was not revoked (RFC 7009 on the access token).
//!
//! A token found revoked is remembered as such until it expires; it never comes back. A reading
//! that finds the grant standing also records its use, when the recorded one is older than
//! [`remote_mcp_core::model::LAST_USED_PRECISION`] (what `/account` and the admin CLI show).

use remote_mcp_core::model::{ClientId, GrantId};
use remote_mcp_core::token::AccessClaims;
use remote_mcp_core::{GrantReader, StoreError, UnixTime};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How many tokens a container remembers; past it, expired entries go first, then everything.
const REMEMBERED: usize = 4096;

#[derive(Clone, Copy, Debug)]
struct Seen {
    checked_at: UnixTime,
    standing: bool,
    expires_at: UnixTime,
}

/// Per-container memory of which tokens still stand.
pub struct Revocations {
    store: Arc<dyn GrantReader>,
    recheck: Duration,
    seen: Mutex<HashMap<String, Seen>>,
}

impl Revocations {
    /// Reads revocation state from `store`, trusting each reading for `recheck`.
    pub fn new(store: Arc<dyn GrantReader>, recheck: Duration) -> Self {
        Self {
            store,
            recheck,
            seen: Mutex::default(),
        }
    }

    /// Whether the (verified) token still stands at `now`.
    pub async fn stands(&self, claims: &AccessClaims, now: UnixTime) -> Result<bool, StoreError> {
        if let Some(seen) = self.lock().get(&claims.jti).copied()
            && (!seen.standing || now < seen.checked_at + self.recheck)
        {
            return Ok(seen.standing);
        }
        // Boxed: the store's reads are the rare path; the common one stays a small future.
        let standing = Box::pin(self.look_up(claims, now)).await?;
        self.remember(claims, now, standing);
        Ok(standing)
    }

    async fn look_up(&self, claims: &AccessClaims, now: UnixTime) -> Result<bool, StoreError> {
        let client_id = ClientId::new(claims.client_id.as_str());
        let revoked = self.store.is_access_token_revoked(&claims.jti, now);
        let client = self.store.client(&client_id, now);
        let Some(grant_id) = &claims.gid else {
            // A machine client's own token.
            let (revoked, client) = tokio::try_join!(revoked, client)?;
            return Ok(!revoked
                && client
                    .is_some_and(|c| c.may_act_for_itself() && c.machine_subject() == claims.sub));
        };
        let grant_id = GrantId::new(grant_id.as_str());
        let grant = self.store.grant(&grant_id, now);
        let (revoked, client, grant) = tokio::try_join!(revoked, client, grant)?;
        let client_stands = client.is_some() || is_metadata_document(&claims.client_id);
        let grant =
            grant.filter(|g| g.client_id.as_str() == claims.client_id && g.subject == claims.sub);
        let standing = !revoked && client_stands && grant.is_some();
        // "Last used" on /account: written only when the recorded use is older than its
        // precision, so a busy connection costs one write per few minutes, never one per call.
        if let Some(grant) = grant.filter(|g| standing && g.last_use_is_stale(now))
            && let Err(err) = self.store.touch_grant(&grant.id, now).await
        {
            tracing::warn!(%err, "could not record a grant's last use");
        }
        Ok(standing)
    }

    fn remember(&self, claims: &AccessClaims, now: UnixTime, standing: bool) {
        let mut seen = self.lock();
        if seen.len() >= REMEMBERED {
            seen.retain(|_, s| now < s.expires_at);
            if seen.len() >= REMEMBERED {
                seen.clear();
            }
        }
        seen.insert(
            claims.jti.clone(),
            Seen {
                checked_at: now,
                standing,
                expires_at: claims.expires_at(),
            },
        );
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Seen>> {
        // A panic while holding this lock leaves a plain map behind: keep using it.
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Client ID Metadata Document clients are identified by an https URL and never stored.
fn is_metadata_document(client_id: &str) -> bool {
    client_id.starts_with("https://")
}

#[cfg(test)]
mod tests {
    use super::*;
    use remote_mcp_core::model::{
        Client, ClientCredential, ClientMetadata, Grant, RefreshState, Registration,
    };
    use remote_mcp_core::secret::Secret;
    use remote_mcp_core::{GrantStore, MemoryStore};

    const T0: UnixTime = UnixTime(1_900_000_000);
    const RECHECK: Duration = Duration::from_secs(30);

    fn client(id: &str, registered_by: Registration, grant_types: &[&str]) -> Client {
        Client {
            id: ClientId::new(id),
            registered_by,
            credential: ClientCredential::ClientSecretBasic {
                secret_hash: Secret::generate().hash(),
            },
            metadata: ClientMetadata {
                grant_types: grant_types.iter().map(|g| (*g).to_owned()).collect(),
                scope: Some("mcp".into()),
                ..ClientMetadata::default()
            },
            registration_token_hash: None,
            issued_at: T0,
            expires_at: T0 + Duration::from_secs(86_400),
        }
    }

    fn grant(client_id: &str, subject: &str) -> Grant {
        Grant {
            id: GrantId::generate(),
            client_id: ClientId::new(client_id),
            subject: subject.into(),
            scope: "mcp".into(),
            resource: "https://mcp.example.com/mcp".into(),
            created_at: T0,
            expires_at: T0 + Duration::from_secs(86_400),
            refresh: RefreshState::new(Secret::generate().hash()),
            last_used_at: None,
            approved_by: Default::default(),
            person: None,
        }
    }

    fn claims(client_id: &str, sub: &str, gid: Option<&GrantId>, jti: &str) -> AccessClaims {
        AccessClaims {
            iss: "https://mcp.example.com".into(),
            sub: sub.into(),
            aud: "https://mcp.example.com/mcp".into(),
            client_id: client_id.into(),
            scope: "mcp".into(),
            iat: T0.seconds(),
            exp: T0.seconds() + 3600,
            jti: jti.into(),
            gid: gid.map(ToString::to_string),
            email: None,
            name: None,
        }
    }

    async fn setup() -> (Arc<dyn GrantStore>, Revocations, Grant) {
        let store: Arc<dyn GrantStore> = Arc::new(MemoryStore::new());
        store
            .save_client(&client(
                "c1",
                Registration::Dynamic,
                &["authorization_code"],
            ))
            .await
            .unwrap();
        let g = grant("c1", "user-1");
        store.create_grant(&g).await.unwrap();
        let revocations = Revocations::new(store.clone(), RECHECK);
        (store, revocations, g)
    }

    #[tokio::test]
    async fn a_revoked_grant_stops_its_tokens_within_the_recheck_interval() {
        let (store, revocations, g) = setup().await;
        let token = claims("c1", "user-1", Some(&g.id), "t1");
        assert!(revocations.stands(&token, T0).await.unwrap());
        store.revoke_grant(&g.id).await.unwrap();
        // Remembered as standing until the interval is over, and not a second longer.
        let just_before = T0 + (RECHECK - Duration::from_secs(1));
        assert!(revocations.stands(&token, just_before).await.unwrap());
        assert!(!revocations.stands(&token, T0 + RECHECK).await.unwrap());
    }

    #[tokio::test]
    async fn revoked_access_tokens_deleted_clients_and_foreign_grants_do_not_stand() {
        let (store, revocations, g) = setup().await;
        let revoked = claims("c1", "user-1", Some(&g.id), "t-revoked");
        store
            .revoke_access_token("t-revoked", revoked.expires_at())
            .await
            .unwrap();
        assert!(!revocations.stands(&revoked, T0).await.unwrap());
        // A grant named by a token of another subject or client.
        let stolen = claims("c1", "user-2", Some(&g.id), "t-other-user");
        assert!(!revocations.stands(&stolen, T0).await.unwrap());
        let other_client = claims("c2", "user-1", Some(&g.id), "t-other-client");
        assert!(!revocations.stands(&other_client, T0).await.unwrap());
        // The client is deleted: its tokens stop even though the grant is still there.
        let token = claims("c1", "user-1", Some(&g.id), "t-live");
        assert!(revocations.stands(&token, T0).await.unwrap());
        store.delete_client(&ClientId::new("c1")).await.unwrap();
        assert!(!revocations.stands(&token, T0 + RECHECK).await.unwrap());
    }

    #[tokio::test]
    async fn a_token_found_revoked_never_stands_again() {
        let (store, revocations, g) = setup().await;
        let token = claims("c1", "user-1", Some(&g.id), "t1");
        store.revoke_grant(&g.id).await.unwrap();
        assert!(!revocations.stands(&token, T0).await.unwrap());
        let _ = store.create_grant(&g).await;
        assert!(!revocations.stands(&token, T0 + RECHECK * 3).await.unwrap());
    }

    #[tokio::test]
    async fn machine_tokens_stand_while_their_operator_client_does() {
        let store: Arc<dyn GrantStore> = Arc::new(MemoryStore::new());
        let machine = client("m1", Registration::Operator, &["client_credentials"]);
        store.save_client(&machine).await.unwrap();
        let dynamic = client("d1", Registration::Dynamic, &["client_credentials"]);
        store.save_client(&dynamic).await.unwrap();
        let revocations = Revocations::new(store.clone(), RECHECK);

        let own = claims("m1", "client:m1", None, "m-1");
        assert!(revocations.stands(&own, T0).await.unwrap());
        let posing_as_a_user = claims("m1", "user-1", None, "m-2");
        assert!(!revocations.stands(&posing_as_a_user, T0).await.unwrap());
        let not_an_operator_client = claims("d1", "client:d1", None, "d-1");
        assert!(
            !revocations
                .stands(&not_an_operator_client, T0)
                .await
                .unwrap()
        );

        store.delete_client(&ClientId::new("m1")).await.unwrap();
        assert!(!revocations.stands(&own, T0 + RECHECK).await.unwrap());
    }

    #[tokio::test]
    async fn metadata_document_clients_need_no_stored_client() {
        let store: Arc<dyn GrantStore> = Arc::new(MemoryStore::new());
        let cimd = "https://claude.ai/oauth/claude-code-client-metadata";
        let g = grant(cimd, "user-1");
        store.create_grant(&g).await.unwrap();
        let revocations = Revocations::new(store.clone(), RECHECK);
        let token = claims(cimd, "user-1", Some(&g.id), "c-1");
        assert!(revocations.stands(&token, T0).await.unwrap());
    }
}
