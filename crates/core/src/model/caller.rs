//! Who is calling the MCP function: what a verified access token says about the person and the
//! client, in the form tools use. A task keeps it, so its worker runs the tool as the same caller.

use serde::{Deserialize, Serialize};

/// The verified caller of a request: taken from an access token, never from a request body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    /// The user (token `sub`); notes are keyed by it.
    pub subject: String,
    /// The OAuth client acting for the user.
    pub client_id: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The person's e-mail (verified by the identity provider for a federated sign-in); absent
    /// for a machine client.
    pub email: Option<String>,
    /// The person's name, when their identity provider gave one.
    pub name: Option<String>,
    /// The grant (the person's approval) the token was issued under; absent for a machine client.
    pub grant_id: Option<String>,
}

impl Caller {
    /// Whether every scope in `needed` was granted.
    pub fn has_all(&self, needed: &[&str]) -> bool {
        needed.iter().all(|n| self.scopes.iter().any(|s| s == n))
    }
}
