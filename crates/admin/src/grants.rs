//! `grant …`: who connected what, and revoking it.

use crate::output::{Listing, iso8601};
use crate::users::find_user;
use remote_mcp_core::Store;
use remote_mcp_core::model::Grant;
use serde_json::json;
use std::io::Write;

pub(crate) async fn list_grants(
    store: &dyn Store,
    user: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let subject = match user {
        Some(email) => Some(find_user(store, email).await?.id),
        None => None,
    };
    let listing = Listing {
        headers: &[
            "GRANT ID",
            "USER ID",
            "CLIENT ID",
            "APPROVED BY",
            "SCOPE",
            "LAST USED",
            "EXPIRES",
        ],
        json: |g: &Grant| {
            json!({"grant_id": g.id, "user_id": g.subject, "client_id": g.client_id,
                   "approved_by": g.approved_by.as_str(),
                   "scope": g.scope, "created_at": g.created_at,
                   "last_used_at": g.last_used_at, "expires_at": g.expires_at})
        },
        cells: |g: &Grant| {
            vec![
                g.id.to_string(),
                g.subject.clone(),
                g.client_id.to_string(),
                g.approved_by.as_str().to_owned(),
                g.scope.clone(),
                g.last_used_at.map_or_else(|| "-".to_owned(), iso8601),
                iso8601(g.expires_at),
            ]
        },
    };
    listing.print(&store.grants(subject.as_deref()).await?, json, out)
}
