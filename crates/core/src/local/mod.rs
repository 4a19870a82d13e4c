//! Real services on loopback for tests and `make run` (feature `local-services`, never in Lambda):
//! DynamoDB Local and an API-compatible KMS, each a child process stopped when we exit.

pub mod dynamodb;
pub mod kms;
pub mod process;

pub use dynamodb::{DynamoLocal, TableDefinition};
pub use kms::LocalKms;
