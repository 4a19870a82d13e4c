//! Shared domain of remote-mcp, used by both Lambda functions and the local development server.
//!
//! Nothing here knows HTTP frameworks or Lambda. The pieces:
//!
//! - `aws` (feature `kms`): the Lambda functions' cold-start wiring of config, store and KMS key.
//! - [`config`]: everything read from the environment, validated once at cold start.
//! - [`time`]: [`UnixTime`], the `now` every domain function takes as a parameter, and the [`Clock`]
//!   handlers read it from.
//! - [`secret`]: random values from the OS RNG, stored only as SHA-256 hashes, compared in constant time.
//! - [`model`]: clients, authorization codes, grants, users and notes; the refresh-token rotation policy.
//! - [`password`]: Argon2id password hashing.
//! - [`store`]: domain verbs by context ([`GrantStore`], [`AccountStore`], [`NoteStore`]), with
//!   [`MemoryStore`] and [`DynamoStore`].
//! - [`telemetry`]: tracing setup (JSON on Lambda, human-readable locally).

pub mod audit;
#[cfg(feature = "kms")]
pub mod aws;
pub mod config;
pub mod model;
pub mod observe;
pub mod password;
pub mod scopes;
pub mod secret;
pub mod store;
pub mod telemetry;
pub mod time;
pub mod token;

pub use config::{Config, ConfigError, Lifetimes};
pub use store::{
    AccountStore, DynamoStore, GrantReader, GrantStore, MemoryStore, NoteStore, Store, StoreError,
};
pub use time::{Clock, UnixTime};
