//! When DynamoDB says no: a failed condition, an outage (a StoreError the functions answer 503),
//! the SDK's timeouts, and retrying a transaction that lost a race.

use super::CONTENTION_DEADLINE;
use crate::store::StoreError;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use std::time::Duration;

pub(super) fn is_condition_failure<E, R>(err: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

pub(super) fn backend<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    StoreError::Backend(DisplayErrorContext(err).to_string())
}

/// Deadlines for every DynamoDB call, well inside the functions' timeouts (10 s and 15 s): one
/// attempt may take 2 s, a call with the SDK's retries 5 s. A frozen or unreachable database then
/// fails fast with [`StoreError::Backend`], which the endpoints answer with `503`, instead of
/// holding the request until Lambda kills it.
pub fn timeouts() -> aws_sdk_dynamodb::config::timeout::TimeoutConfig {
    aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(5))
        .build()
}

/// Retries after lost races, until [`CONTENTION_DEADLINE`].
pub(super) struct Contention {
    attempt: u32,
    deadline: std::time::Instant,
}

impl Contention {
    pub(super) fn new() -> Self {
        Self {
            attempt: 0,
            deadline: std::time::Instant::now() + CONTENTION_DEADLINE,
        }
    }

    /// Waits a short, growing, jittered pause (so racing writers spread out); `false` once the
    /// deadline has passed.
    pub(super) async fn backoff(&mut self) -> bool {
        if std::time::Instant::now() >= self.deadline {
            return false;
        }
        let base = 2 + u64::from(self.attempt.min(20)) * 3;
        self.attempt += 1;
        let mut jitter = [0u8; 1];
        let jitter = match getrandom::fill(&mut jitter) {
            Ok(()) => u64::from(jitter[0] % 8),
            Err(_) => 0,
        };
        tokio::time::sleep(Duration::from_millis(base + jitter)).await;
        true
    }
}

/// Errors that mean "another transaction holds this item right now".
pub(super) fn is_conflict(err: &TransactWriteItemsError) -> bool {
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    matches!(
        err.code(),
        Some("TransactionConflictException" | "TransactionInProgressException")
    )
}
