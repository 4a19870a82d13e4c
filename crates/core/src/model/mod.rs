//! The records the authorization server keeps: registered [`Client`]s, pending
//! [`ConsentRequest`]s, single-use [`AuthorizationCode`]s and [`Grant`]s, and the users' [`Note`]s (a user's approval of a client, carrying its refresh token).
//!
//! The rotation rules for refresh tokens live in [`refresh`] as a pure function of the stored state,
//! the presented token and `now`, so both stores apply exactly the same policy.

pub mod caller;
pub mod client;
pub mod code;
pub mod connection;
pub mod consent;
pub mod grant;
pub mod note;
pub mod refresh;
pub mod task;
pub mod user;

pub use caller::Caller;
pub use client::{Client, ClientCredential, ClientId, ClientKeys, ClientMetadata, Registration};
pub use code::{AuthorizationCode, CodeRecord, CodeRedemption};
pub use connection::{Connection, RefreshLock, UpstreamTokens};
pub use consent::ConsentRequest;
pub use grant::{Approval, Grant, GrantId, LAST_USED_PRECISION, RefreshToken, is_identifier};
pub use note::Note;
pub use refresh::{RefreshDecision, RefreshPolicy, RefreshState, Rotation};
pub use task::{TaskOutcome, TaskRecord, TaskState};
pub use user::{FederatedSignIn, LinkedIdentity, Person, Session, User, normalize_email};
