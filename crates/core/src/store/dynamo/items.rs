//! Items as the table holds them: keys, numbers, records with their expiry and revision, and
//! reading them back.

use super::Item;
use crate::UnixTime;
use crate::model::Grant;
use crate::store::table::{COUNT, DATA, Key, PARTITION_KEY, REVISION, SORT_KEY, TTL_ATTRIBUTE};
use crate::store::{StoreError, Versioned};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

pub(super) fn key_attributes(key: &Key) -> Item {
    HashMap::from([
        (PARTITION_KEY.to_owned(), AttributeValue::S(key.pk.clone())),
        (SORT_KEY.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

pub(super) fn number(n: impl ToString) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

pub(super) fn record_item(
    key: &Key,
    expires_at: UnixTime,
    record: &impl Serialize,
) -> Result<Item, StoreError> {
    let json = serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut item = key_attributes(key);
    item.insert(TTL_ATTRIBUTE.into(), number(expires_at.seconds()));
    item.insert(DATA.into(), AttributeValue::S(json));
    Ok(item)
}

/// An item without expiry (users, notes).
pub(super) fn permanent_item(key: &Key, record: &impl Serialize) -> Result<Item, StoreError> {
    let json = serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut item = key_attributes(key);
    item.insert(DATA.into(), AttributeValue::S(json));
    Ok(item)
}

/// The `count` attribute of a throttle item (0 when absent).
pub(super) fn count(item: Option<&Item>) -> u32 {
    match item.and_then(|i| i.get(COUNT)) {
        Some(AttributeValue::N(n)) => n.parse().unwrap_or(u32::MAX),
        _ => 0,
    }
}

pub(super) fn decode<T: DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    match item.get(DATA) {
        Some(AttributeValue::S(json)) => {
            serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))
        }
        _ => Err(StoreError::Corrupt(format!("item has no `{DATA}` string"))),
    }
}

pub(super) fn revision(item: &Item) -> Result<u64, StoreError> {
    match item.get(REVISION) {
        Some(AttributeValue::N(n)) => n
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("bad `{REVISION}`: {n}"))),
        _ => Err(StoreError::Corrupt(format!("item has no `{REVISION}`"))),
    }
}

pub(super) fn is_live(item: &Item, now: UnixTime) -> bool {
    match item.get(TTL_ATTRIBUTE) {
        Some(AttributeValue::N(n)) => n.parse::<i64>().is_ok_and(|t| now.seconds() < t),
        _ => false,
    }
}

/// The attribute [`crate::store::GrantReader::touch_grant`] writes on a grant's item.
pub(super) const LAST_USED: &str = "last_used";

/// A grant item with the revision a conditional write compares against.
pub(super) fn versioned_grant(item: &Item) -> Result<Versioned<Grant>, StoreError> {
    Ok(Versioned {
        value: decode_grant(item)?,
        revision: revision(item)?,
    })
}

/// A grant's record, with the use recorded beside it when that is later.
pub(super) fn decode_grant(item: &Item) -> Result<Grant, StoreError> {
    let mut grant: Grant = decode(item)?;
    if let Some(AttributeValue::N(n)) = item.get(LAST_USED)
        && let Ok(seconds) = n.parse::<i64>()
    {
        let recorded = UnixTime(seconds);
        grant.last_used_at = grant.last_used_at.max(Some(recorded));
    }
    Ok(grant)
}
