//! A pending consent: the validated authorization request, parked while the user decides.
//!
//! Stored under the hash of a one-time transaction id that the consent form posts back, and bound
//! to the browser that opened the page (a hashed cookie value). It is taken exactly once, so a
//! submitted or expired form cannot be replayed, and a cross-site post lacks the cookie.

use crate::UnixTime;
use crate::model::ClientId;
use crate::secret::SecretHash;
use serde::{Deserialize, Serialize};

/// An authorization request awaiting the user's decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRequest {
    pub client_id: ClientId,
    /// The exact redirect URI the client asked for (already verified against its registration).
    pub redirect_uri: String,
    /// The client's `state`, returned verbatim.
    pub state: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// RFC 8707 resource, canonical form.
    pub resource: String,
    /// Space-separated scopes to grant.
    pub scope: String,
    /// Hash of the browser-binding cookie set with the consent page.
    pub browser_binding: SecretHash,
    pub expires_at: UnixTime,
}
