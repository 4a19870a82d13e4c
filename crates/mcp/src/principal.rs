//! The verified caller of an MCP request, as the bearer step leaves it in request extensions.

use remote_mcp_core::token::AccessClaims;
use std::ops::Deref;
use std::sync::Arc;

/// Who is calling: taken from a verified access token, never from the request body. Shared: the
/// pipeline, the tool-call audit and the tool each hold it, and a copy is one reference count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal(Arc<Caller>);

/// What a [`Principal`] says.
#[derive(Debug, PartialEq, Eq)]
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

impl Deref for Principal {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl From<Caller> for Principal {
    fn from(caller: Caller) -> Self {
        Self(Arc::new(caller))
    }
}

impl Caller {
    /// Whether every scope in `needed` was granted.
    pub fn has_all(&self, needed: &[&str]) -> bool {
        needed.iter().all(|n| self.scopes.iter().any(|s| s == n))
    }
}

impl From<&AccessClaims> for Principal {
    fn from(claims: &AccessClaims) -> Self {
        Caller {
            scopes: claims.scopes().map(str::to_owned).collect(),
            subject: claims.sub.clone(),
            client_id: claims.client_id.clone(),
            email: claims.email.clone(),
            name: claims.name.clone(),
            grant_id: claims.gid.clone(),
        }
        .into()
    }
}
