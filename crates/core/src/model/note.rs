//! Notes: the per-user data behind the MCP tools. Every store verb takes the owner, so one user's
//! notes are unreachable with another's identity.

use crate::UnixTime;
use crate::secret::random_id;
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// A user's note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// Sortable by creation: `<microseconds since the epoch, zero-padded>-<random>`.
    pub id: String,
    /// The owning user's subject id.
    pub owner: String,
    pub title: String,
    pub body: String,
    pub created_at: UnixTime,
}

impl Note {
    /// A new note created at `created`, with a fresh id that sorts by creation time (to the
    /// microsecond, so notes added one after another list in that order).
    pub fn new(owner: &str, title: &str, body: &str, created: SystemTime) -> Self {
        let since_epoch = created.duration_since(UNIX_EPOCH).unwrap_or_default();
        let random = random_id();
        Self {
            id: format!("{:016}-{}", since_epoch.as_micros(), &random[..8]),
            owner: owner.to_owned(),
            title: title.to_owned(),
            body: body.to_owned(),
            created_at: UnixTime(i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX)),
        }
    }
}
