//! Records the authorization server would have left behind, for tests of the resource server
//! that start from a signed token rather than a whole OAuth flow.

use remote_mcp_core::model::{
    Client, ClientCredential, ClientId, ClientMetadata, Grant, GrantId, RefreshState, Registration,
};
use remote_mcp_core::secret::Secret;
use remote_mcp_core::token::AccessClaims;
use remote_mcp_core::{GrantStore, UnixTime};
use std::time::Duration;

/// Makes the records a token of `claims` stands on exist (if they do not yet): its client (a
/// dynamically registered one) and, for a person's token, its grant; both live for a day from
/// `now`.
pub async fn back(grants: &dyn GrantStore, claims: &AccessClaims, now: UnixTime) {
    let day = Duration::from_secs(86_400);
    let client_id = ClientId::new(claims.client_id.as_str());
    if grants.client(&client_id, now).await.unwrap().is_none() {
        grants
            .save_client(&Client {
                id: client_id.clone(),
                registered_by: Registration::Dynamic,
                credential: ClientCredential::None,
                metadata: ClientMetadata::default(),
                registration_token_hash: None,
                issued_at: now,
                expires_at: now + day,
            })
            .await
            .unwrap();
    }
    if let Some(gid) = &claims.gid {
        // Several tokens may share a grant: the first creates it.
        let _ = grants
            .create_grant(&Grant {
                id: GrantId::new(gid.as_str()),
                client_id,
                subject: claims.sub.clone(),
                scope: claims.scope.clone(),
                resource: claims.aud.clone(),
                created_at: now,
                expires_at: now + day,
                refresh: RefreshState::new(Secret::generate().hash()),
                last_used_at: None,
                approved_by: Default::default(),
                person: None,
            })
            .await;
    }
}
