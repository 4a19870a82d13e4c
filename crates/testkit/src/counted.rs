//! Counting the work an operation costs: every DynamoDB call a store makes (by operation, read from
//! the request's `X-Amz-Target`, so nothing is missed; an operation's retries count once) and every signature a signer makes. Tests
//! hold the counts per operation (`crates/local/tests/call_counts.rs`).

use crate::stores::fresh_table;
use async_trait::async_trait;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use remote_mcp_core::DynamoStore;
use remote_mcp_core::token::{Jwk, LocalSigner, PublicKey, SignError, Signer};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Calls counted, by name (`GetItem`, `PutItem`, …, and `Sign`).
#[derive(Clone, Debug, Default)]
pub struct Counts(Arc<Mutex<BTreeMap<String, usize>>>);

impl Counts {
    fn add(&self, name: &str) {
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry(name.to_owned()).or_default() += 1;
    }

    /// What was counted since the last take, and starts again from zero.
    pub fn take(&self) -> BTreeMap<String, usize> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[derive(Debug)]
struct CountDynamo(Counts);

impl Intercept for CountDynamo {
    fn name(&self) -> &'static str {
        "CountDynamo"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let headers = context.request().headers();
        // An operation once, however many attempts the SDK makes (a slow DynamoDB Local under a
        // loaded machine may time an attempt out): the counts are what the code asks for.
        if headers
            .get("amz-sdk-request")
            .is_some_and(|attempt| !attempt.starts_with("attempt=1;"))
        {
            return Ok(());
        }
        let target = headers.get("x-amz-target").unwrap_or("unknown");
        self.0.add(target.rsplit('.').next().unwrap_or(target));
        Ok(())
    }
}

/// A store over a new table on the shared DynamoDB Local whose every call is counted in `counts`.
pub async fn counted_dynamo_store(counts: &Counts) -> DynamoStore {
    let (table, local) = fresh_table("counted").await;
    let config = local
        .client()
        .config()
        .to_builder()
        .interceptor(CountDynamo(counts.clone()))
        .build();
    DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), table)
}

/// A signer whose every signature is counted (as `Sign`, as KMS bills them).
pub struct CountingSigner {
    inner: LocalSigner,
    counts: Counts,
}

impl CountingSigner {
    pub fn new(counts: &Counts) -> Self {
        Self {
            inner: LocalSigner::generate(),
            counts: counts.clone(),
        }
    }
}

#[async_trait]
impl PublicKey for CountingSigner {
    async fn public_jwk(&self) -> Result<Jwk, SignError> {
        self.inner.public_jwk().await
    }
}

#[async_trait]
impl Signer for CountingSigner {
    async fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignError> {
        self.counts.add("Sign");
        self.inner.sign(message).await
    }
}
