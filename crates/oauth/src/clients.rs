//! Finding the client a request names: a dynamically registered client from the store, or a
//! Client ID Metadata Document.

use crate::AppState;
use crate::cimd;
use remote_mcp_core::StoreError;
use remote_mcp_core::UnixTime;
use remote_mcp_core::model::{Client, ClientId};

/// Whether `client_id` names a client in the store (not a metadata document's URL, nor an id
/// too long to be ours).
pub fn is_registered_id(client_id: &str) -> bool {
    client_id.len() <= 512 && !cimd::is_document_url(client_id)
}

/// The client named `client_id`, if it exists and has not expired. A metadata document that cannot
/// be fetched or is invalid counts as an unknown client (the reason is logged).
pub async fn find(
    state: &AppState,
    client_id: &str,
    now: UnixTime,
) -> Result<Option<Client>, StoreError> {
    if client_id.len() > 512 {
        return Ok(None);
    }
    if cimd::is_document_url(client_id) {
        return Ok(match state.cimd.resolve(client_id, now).await {
            Ok(client) => Some(client),
            Err(err) => {
                tracing::warn!(client_id, %err, "client metadata document rejected");
                None
            }
        });
    }
    state.grants.client(&ClientId::new(client_id), now).await
}
