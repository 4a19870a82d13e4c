//! The verified caller of an MCP request, as the bearer step leaves it in request extensions.

pub use remote_mcp_core::model::Caller;
use remote_mcp_core::token::VerifiedToken;
use std::ops::Deref;
use std::sync::Arc;

/// Who is calling: taken from a verified access token, never from the request body. Shared: the
/// token verifier's memory, the pipeline, the tool-call audit and the tool each hold it, and a
/// copy is one reference count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal(Arc<Caller>);

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

impl From<&VerifiedToken> for Principal {
    fn from(token: &VerifiedToken) -> Self {
        Self(Arc::clone(token.caller()))
    }
}
