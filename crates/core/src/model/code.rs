//! Authorization codes (RFC 6749 §4.1.2, OAuth 2.1 §4.1.2): single use, short-lived, stored under
//! the hash of their value and bound to everything the token request must repeat.

use crate::UnixTime;
use crate::model::{ClientId, GrantId};
use serde::{Deserialize, Serialize};

/// What an authorization code stands for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCode {
    pub client_id: ClientId,
    /// The exact redirect URI of the authorization request (RFC 6749 §4.1.3).
    pub redirect_uri: String,
    /// PKCE S256 challenge (RFC 7636 §4.2).
    pub code_challenge: String,
    /// The RFC 8707 resource the tokens will be bound to.
    pub resource: String,
    /// Granted scopes, space-separated (RFC 6749 §3.3).
    pub scope: String,
    /// The user who approved.
    pub subject: String,
    /// What their tokens say about them (absent on codes written before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<super::Person>,
    pub issued_at: UnixTime,
    pub expires_at: UnixTime,
}

/// A stored code together with its redemption state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeRecord {
    pub code: AuthorizationCode,
    /// Set once the code was exchanged: the grant it created, to revoke if the code is replayed.
    pub redeemed_by: Option<GrantId>,
}

/// Result of redeeming a code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeRedemption {
    /// This call redeemed the code and created the grant.
    Redeemed,
    /// The code had already been redeemed, creating this grant (OAuth 2.1 §4.1.3: revoke it).
    AlreadyRedeemed(GrantId),
    /// No such code, or it expired.
    Missing,
}
