//! Shared domain of remote-mcp, used by both Lambda functions and the local development server.
//!
//! The domain knows no HTTP framework: only [`observe`]'s request layer does, behind the `http`
//! feature (axum, lambda_http), and `aws` (feature `kms`) knows the AWS SDK. The pieces:
//!
//! - `aws` (feature `kms`): the Lambda functions' cold-start wiring of config, store and KMS key.
//! - [`audit`]: one JSON line per security event, client-chosen strings clipped.
//! - [`observe`]: the request layer (source address and request id for audit lines, one EMF metrics
//!   record per request).
//! - [`scopes`]: the scopes, what each allows in words, and the one tool → scope table.
//! - [`token`]: ES256 access tokens: claims, signers (local, KMS), JWKS, the verifier.
//! - [`deferred`]: values (the AWS SDK clients) built by the first call that needs them.
//! - [`config`]: everything read from the environment, validated once at cold start.
//! - [`time`]: [`UnixTime`], the `now` every domain function takes as a parameter, and the [`Clock`]
//!   handlers read it from.
//! - [`secret`]: random values from the OS RNG, stored only as SHA-256 hashes, compared in constant time.
//! - [`model`]: clients, authorization codes, grants, users and notes; the refresh-token rotation policy.
//! - [`password`]: Argon2id password hashing.
//! - [`store`]: domain verbs by context ([`GrantStore`], [`AccountStore`], [`NoteStore`]), with
//!   [`MemoryStore`] and [`DynamoStore`].
//! - [`providers`]: the identity providers people sign in with (`IDENTITY_PROVIDERS`).
//! - [`vault`] and `upstream` (feature `upstream`): the token vault, for tools that call other APIs
//!   as the person.
//! - [`telemetry`]: tracing setup (JSON on Lambda, human-readable locally).

pub mod audit;
#[cfg(feature = "kms")]
pub mod aws;
pub mod config;
pub mod deferred;
pub mod model;
pub mod observe;
pub mod password;
pub mod providers;
pub mod scopes;
pub mod secret;
pub mod store;
pub mod telemetry;
pub mod time;
pub mod token;
#[cfg(feature = "upstream")]
pub mod upstream;
pub mod vault;

pub use config::{Config, ConfigError, Lifetimes};
pub use store::{
    AccountStore, ConnectionStore, DynamoStore, GrantReader, GrantStore, MemoryStore, NoteStore,
    Store, StoreError, TaskStore, Throttle, Versioned,
};
pub use time::{Clock, UnixTime};
