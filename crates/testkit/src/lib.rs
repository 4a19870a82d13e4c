//! Scaffolding for remote-mcp's tests and development tools; a dev-dependency of the function
//! crates, never part of a deployed function.
//!
//! | module | what |
//! |---|---|
//! | [`process`] | child services that cannot outlive the test (a watchdog stops them) |
//! | [`dynamodb`] | DynamoDB Local, tables from `template.yaml` |
//! | [`kms`] | moto's KMS |
//! | [`stores`] | a fresh store of either kind, and [`both_stores!`] |
//! | [`http`] | [`Reply`] and [`oneshot`]: a router answering one request, read fully |
//! | [`flow`] | OAuth client pieces: [`Pkce`], [`hidden_field`], form bodies |
//! | [`headless`] | the whole OAuth flow without a browser, as a client and its user's browser do it |
//! | [`records`] | the client and grant a hand-signed token stands on |

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod counted;
pub mod dynamodb;
pub mod flow;
pub mod headless;
pub mod http;
pub mod kms;
pub mod process;
pub mod records;
pub mod stores;

pub use counted::{CountingSigner, Counts, counted_dynamo_store};
pub use dynamodb::{DynamoLocal, HarnessError, TableDefinition};
pub use flow::{Pkce, form, hidden_field};
pub use http::{Reply, oneshot};
pub use kms::LocalKms;
pub use process::{LocalProcess, openid_provider, openid_provider_issuing_id_jags, workspace_root};
pub use stores::{fresh_dynamo_store, fresh_table, memory_store};
