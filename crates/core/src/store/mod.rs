//! Persistence as domain verbs, split by who uses them.
//!
//! Each trait speaks the language of its context (take a code exactly once, rotate a refresh
//! token, reserve a sign-in attempt), not CRUD, so each verb can be made atomic by the backend that
//! implements it. Every read takes `now` and hides expired records itself: DynamoDB's TTL deletes
//! lag by up to two days, and the in-memory store never deletes on its own.
//!
//! | trait | records | used by |
//! |---|---|---|
//! | [`GrantStore`] ([`GrantReader`]) | clients, consent transactions, codes, grants, revoked tokens | the OAuth function (the MCP function reads, for revocation) |
//! | [`AccountStore`] | users, sessions | the OAuth function's sign-in |
//! | [`Throttle`] | attempt counters | sign-in, and the limits on anonymous writes |
//! | [`NoteStore`] | the tools' notes | the MCP function's tools |
//! | [`TaskStore`] | tool calls running as tasks | the MCP function creates and reads them, the task worker moves them on |
//! | [`ConnectionStore`] | people's sealed upstream tokens (the token vault) | the OAuth function keeps and deletes them, tools refresh them |
//!
//! All of them live in one DynamoDB table ([`table`]). Two implementations pass one contract suite
//! per trait (`crates/core/tests/store_contract/`): [`MemoryStore`] for local development and fast
//! tests, [`DynamoStore`] for AWS.

mod accounts;
mod connections;
mod dynamo;
mod grants;
mod memory;
mod notes;
pub mod table;
mod tasks;
mod throttle;

pub use accounts::AccountStore;
pub use connections::ConnectionStore;
pub use dynamo::{DynamoStore, timeouts};
pub use grants::{GrantReader, GrantStore, Versioned};
pub use memory::MemoryStore;
pub use notes::NoteStore;
pub use tasks::{TaskChange, TaskStore};
pub use throttle::Throttle;

use crate::UnixTime;
use std::time::Duration;

/// A store failure that is not a domain outcome: the backend is unreachable, throttled, or holds
/// data we cannot read. Callers answer `server_error` and log it; it is never shown to clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage backend: {0}")]
    Backend(String),
    #[error("stored record is unreadable: {0}")]
    Corrupt(String),
    #[error("a record with this key already exists")]
    AlreadyExists,
}

/// Every verb of every context, for the wiring that serves all of them from one table (the local
/// server, the admin CLI, the tests); each function's state holds only the parts it uses.
pub trait Store: GrantStore + AccountStore + NoteStore + TaskStore + ConnectionStore {}

impl<T: GrantStore + AccountStore + NoteStore + TaskStore + ConnectionStore> Store for T {}

/// The start of the fixed throttle window containing `now`.
pub fn window_start(now: UnixTime, window: Duration) -> UnixTime {
    let length = i64::try_from(window.as_secs().max(1)).unwrap_or(i64::MAX);
    UnixTime(now.seconds() - now.seconds().rem_euclid(length))
}
