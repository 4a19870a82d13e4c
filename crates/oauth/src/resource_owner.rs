//! Who may approve a consent request: the seam where user accounts plug in.
//!
//! The consent form's submission is handed to a [`ResourceOwner`], which says whose approval it is
//! (the token `sub`) or refuses. [`SingleOwner`] treats every approval as the deployment owner's,
//! which is only safe where nobody else can reach the consent page (local development).

use crate::params::Params;
use async_trait::async_trait;
use axum::http::HeaderMap;
use remote_mcp_core::UnixTime;

/// Identifies the person approving a consent request.
#[async_trait]
pub trait ResourceOwner: Send + Sync + 'static {
    /// The approving user's stable id, or `None` to refuse the approval.
    async fn approver(&self, headers: &HeaderMap, form: &Params, now: UnixTime) -> Option<String>;
}

/// Every approval is the one owner's.
pub struct SingleOwner {
    subject: String,
}

impl SingleOwner {
    /// An owner with this subject id.
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
        }
    }
}

#[async_trait]
impl ResourceOwner for SingleOwner {
    async fn approver(&self, _: &HeaderMap, _: &Params, _: UnixTime) -> Option<String> {
        Some(self.subject.clone())
    }
}
