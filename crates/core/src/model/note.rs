//! Notes: the per-user data behind the MCP tools. Every store verb takes the owner, so one user's
//! notes are unreachable with another's identity.

use crate::UnixTime;
use crate::secret::random_id;
use serde::{Deserialize, Serialize};

/// A user's note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// Sortable by creation: `<seconds, zero-padded>-<random>`.
    pub id: String,
    /// The owning user's subject id.
    pub owner: String,
    pub title: String,
    pub body: String,
    pub created_at: UnixTime,
}

impl Note {
    /// A new note with a fresh, time-ordered id.
    pub fn new(owner: &str, title: &str, body: &str, now: UnixTime) -> Self {
        let random = random_id();
        Self {
            id: format!("{:011}-{}", now.seconds().max(0), &random[..8]),
            owner: owner.to_owned(),
            title: title.to_owned(),
            body: body.to_owned(),
            created_at: now,
        }
    }
}
