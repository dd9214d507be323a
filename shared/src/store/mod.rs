//! The DynamoDB adapter: one table, serde item mapping, conditional writes, transactions
//! and cursor pagination. Services describe *what* to write; this module is the only
//! place that speaks DynamoDB's wire types.

mod cursor;
mod error;
mod item;
pub mod keys;
mod patch;
mod query;
mod tx;

pub use cursor::{CursorCodec, InvalidCursor};
pub use error::*;
pub use item::*;
pub use keys::{Index, Key};
pub use patch::*;
pub use query::*;
pub use tx::*;
#[allow(unused_imports)]
pub(crate) use {error::*, item::*, patch::*, query::*, tx::*};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// DynamoDB's limit on items in one `TransactWriteItems`.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// A record stored in the table. The key is declared by the entity (with a key function
/// in [`keys`]); the item's other attributes are its serde fields. Optional fields should
/// skip serialising when `None`: a stored NULL still "exists" for DynamoDB conditions.
pub trait Entity: Serialize + DeserializeOwned {
    /// The `kind` attribute every item of this entity carries.
    const KIND: &'static str;

    fn key(&self) -> Key;

    /// Index keys this item appears under (sparse: only the indexes returned here).
    fn index_keys(&self) -> Vec<(Index, Key)> {
        Vec::new()
    }
}

/// The table, its client, and the codec for its page cursors.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
    cursors: Option<CursorCodec>,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            cursors: None,
        }
    }

    /// The same store through another client (tests count calls this way).
    pub fn with_client(mut self, client: Client, table: impl Into<String>) -> Self {
        self.client = client;
        self.table = table.into();
        self
    }

    /// Enables [`Store::query`] with cursors signed by `codec`.
    pub fn with_cursors(mut self, codec: CursorCodec) -> Self {
        self.cursors = Some(codec);
        self
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// A strongly consistent read of one item.
    pub async fn get<T: DeserializeOwned>(&self, key: &Key) -> Result<Option<T>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        out.item.map(from_item).transpose()
    }

    /// Writes one new item; `on_exists` if its key is taken.
    pub async fn create<T: Entity>(
        &self,
        entity: &T,
        on_exists: Failure,
    ) -> Result<(), StoreError> {
        let item = to_item(entity)?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::Condition(on_exists))
            }
            Err(e) => Err(sdk_error(e)),
        }
    }

    /// Applies one [`Patch`] outside a transaction.
    pub async fn apply(&self, patch: Patch) -> Result<(), StoreError> {
        self.update(patch, false).await.map(|_| ())
    }

    /// Applies one [`Patch`] and answers the item as it is after the write (the same round
    /// trip: `ReturnValues=ALL_NEW`).
    pub async fn apply_returning<T: DeserializeOwned>(
        &self,
        patch: Patch,
    ) -> Result<T, StoreError> {
        let item = self.update(patch, true).await?.unwrap_or_default();
        from_item(item)
    }

    async fn update(
        &self,
        patch: Patch,
        returning: bool,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let failure = patch.failure.clone();
        let (key, expr, names, values, condition) = patch.update_parts()?;
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(expr)
            .set_expression_attribute_names(Some(names))
            .set_condition_expression(condition);
        if !values.is_empty() {
            update = update.set_expression_attribute_values(Some(values));
        }
        if returning {
            update = update.return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew);
        }
        match update.send().await {
            Ok(out) => Ok(out.attributes),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::Condition(failure.unwrap_or(Failure::Stale)))
            }
            Err(e) => Err(sdk_error(e)),
        }
    }

    /// Strongly consistent reads of up to 100 items in one round trip, in `keys` order
    /// (`None` for a missing item).
    async fn get_many(
        &self,
        keys: &[Key],
    ) -> Result<Vec<Option<HashMap<String, AttributeValue>>>, StoreError> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut unique: Vec<HashMap<String, AttributeValue>> = Vec::new();
        for k in keys {
            let m = key_map(k);
            if !unique.contains(&m) {
                unique.push(m);
            }
        }
        let mut request = KeysAndAttributes::builder()
            .consistent_read(true)
            .set_keys(Some(unique))
            .build()
            .map_err(|e| StoreError::Mapping(e.to_string()))?;
        let mut found: Vec<HashMap<String, AttributeValue>> = Vec::new();
        // Unprocessed keys (throttling) are retried with backoff; each retry is another round
        // trip.
        let mut attempt = 0u32;
        for _ in 0..5 {
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request.clone())
                .send()
                .await
                .map_err(sdk_error)?;
            if let Some(mut responses) = out.responses {
                found.extend(responses.remove(&self.table).unwrap_or_default());
            }
            match out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)) {
                Some(rest) if !rest.keys().is_empty() => {
                    // Throttled keys: back off before asking again.
                    request = rest;
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(25 << attempt)).await;
                }
                _ => {
                    return Ok(keys
                        .iter()
                        .map(|k| {
                            found
                                .iter()
                                .find(|item| {
                                    item.get(keys::PK).and_then(|v| v.as_s().ok()) == Some(&k.pk)
                                        && item.get(keys::SK).and_then(|v| v.as_s().ok())
                                            == Some(&k.sk)
                                })
                                .cloned()
                        })
                        .collect());
                }
            }
        }
        Err(StoreError::Throttled(
            "batch get kept returning unprocessed keys".into(),
        ))
    }

    /// Strongly consistent reads of up to 100 items in one round trip, taken out by key and
    /// type ([`Fetched::take`]) instead of by position.
    pub async fn fetch(&self, keys: &[Key]) -> Result<Fetched, StoreError> {
        let items = self.get_many(keys).await?;
        Ok(Fetched(keys.iter().cloned().zip(items).collect()))
    }

    /// One page of a single-partition query, resuming after `cursor`.
    pub async fn query<T: DeserializeOwned>(
        &self,
        q: &Query,
        cursor: Option<&str>,
    ) -> Result<Page<T>, StoreError> {
        let codec = self
            .cursors
            .as_ref()
            .ok_or_else(|| StoreError::Dynamo("store built without a cursor key".into()))?;
        let scope = q.scope();
        let start = cursor
            .map(|c| {
                codec
                    .decode(&scope, c)
                    .map_err(|_| StoreError::InvalidCursor)
            })
            .transpose()?;
        let out = self
            .request(q)
            .scan_index_forward(!q.newest_first)
            .limit(q.limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk_error)?;
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<Vec<T>, _>>()?;
        let next_cursor = out
            .last_evaluated_key
            .filter(|k| !k.is_empty())
            .and_then(|k| codec.encode(&scope, &k));
        Ok(Page { items, next_cursor })
    }

    /// At most `q`'s limit of items, across pages if DynamoDB's 1 MB page cuts it short:
    /// every multi-page read is bounded, whatever the partition holds (one page for a
    /// client: [`Store::query`]).
    pub async fn query_up_to<T: DeserializeOwned>(&self, q: &Query) -> Result<Vec<T>, StoreError> {
        self.read_pages(q, q.limit.max(1) as usize).await
    }

    /// The first page of `q`: at most `q.limit` items read (a filter may return fewer), so
    /// a bounded read whatever the partition holds; no cursor.
    pub async fn first_page<T: DeserializeOwned>(&self, q: &Query) -> Result<Vec<T>, StoreError> {
        let out = self
            .request(q)
            .scan_index_forward(!q.newest_first)
            .consistent_read(q.index.is_none())
            .limit(q.limit.max(1))
            .send()
            .await
            .map_err(sdk_error)?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// A Query request of `q`'s table or index, key condition and filter.
    fn request(
        &self,
        q: &Query,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let (condition, names, values) = q.expressions();
        self.client
            .query()
            .table_name(&self.table)
            .set_index_name(q.index.map(|i| i.name().to_string()))
            .key_condition_expression(condition)
            .set_filter_expression(q.filter.as_ref().map(|f| f.parts.join(" AND ")))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
    }

    async fn read_pages<T: DeserializeOwned>(
        &self,
        q: &Query,
        at_most: usize,
    ) -> Result<Vec<T>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .request(q)
                .scan_index_forward(!q.newest_first)
                .consistent_read(q.index.is_none())
                .set_exclusive_start_key(start)
                .limit(
                    q.limit
                        .max(1)
                        .min((at_most - items.len()).min(i32::MAX as usize) as i32),
                )
                .send()
                .await
                .map_err(sdk_error)?;
            for item in out.items.unwrap_or_default() {
                items.push(from_item(item)?);
            }
            match out.last_evaluated_key.filter(|k| !k.is_empty()) {
                Some(k) if items.len() < at_most => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    /// How many items `q` matches (key condition and filter), counted by DynamoDB across
    /// pages without returning them.
    pub async fn count(&self, q: &Query) -> Result<u64, StoreError> {
        let mut total = 0u64;
        let mut start = None;
        loop {
            let out = self
                .request(q)
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_error)?;
            total += out.count.max(0) as u64;
            match out.last_evaluated_key.filter(|k| !k.is_empty()) {
                Some(k) => start = Some(k),
                None => return Ok(total),
            }
        }
    }

    /// Commits `tx` atomically: every write lands or none does.
    pub async fn commit(&self, tx: Tx) -> Result<(), StoreError> {
        if let Some(e) = tx.error {
            return Err(e);
        }
        if tx.items.len() > MAX_TRANSACTION_ITEMS {
            return Err(StoreError::TooLarge(tx.items.len()));
        }
        if tx.items.is_empty() {
            return Ok(());
        }
        // A conflict with another in-flight transaction on the same items is transient:
        // try again (conditions are evaluated afresh, so a lost race becomes its 409/412).
        let mut attempt = 0;
        loop {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(tx.items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            let reasons = match err.as_service_error() {
                Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c)) => {
                    c.cancellation_reasons().to_vec()
                }
                _ => return Err(sdk_error(err)),
            };
            for (i, reason) in reasons.iter().enumerate() {
                if reason.code() == Some("ConditionalCheckFailed") {
                    // A condition the caller gave no meaning to still means "the record
                    // changed meanwhile": a 409 to retry, not a server error.
                    let failure = tx.failures.get(i).cloned().flatten().unwrap_or_else(|| {
                        Failure::conflict("changed", "The record changed meanwhile; try again.")
                    });
                    return Err(StoreError::Condition(failure));
                }
            }
            if reasons.iter().any(|r| {
                matches!(
                    r.code(),
                    Some(
                        "ThrottlingError"
                            | "ProvisionedThroughputExceeded"
                            | "RequestLimitExceeded"
                    )
                )
            }) {
                return Err(StoreError::Throttled("transaction throttled".into()));
            }
            let conflicted = reasons
                .iter()
                .any(|r| r.code() == Some("TransactionConflict"));
            if !conflicted || attempt >= 3 {
                return Err(if conflicted {
                    StoreError::Throttled("transaction conflict".into())
                } else {
                    sdk_error(err)
                });
            }
            attempt += 1;
            tokio::time::sleep(std::time::Duration::from_millis(20 * (1 << attempt))).await;
        }
    }

    /// Starts a transaction on this table.
    pub fn tx(&self) -> TxBuilder<'_> {
        TxBuilder {
            table: &self.table,
            tx: Tx::new(),
            adds: Vec::new(),
        }
    }
}
