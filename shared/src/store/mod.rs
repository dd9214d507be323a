//! The DynamoDB adapter: one table, serde item mapping, conditional writes, transactions
//! and cursor pagination. Services describe *what* to write; this module is the only
//! place that speaks DynamoDB's wire types.

mod cursor;
pub mod keys;

pub use cursor::{CursorCodec, InvalidCursor};
pub use keys::{Index, Key};

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

/// What a failed write condition means to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 409: the item (or the unique value a guard item stands for) already exists.
    Conflict { code: &'static str, detail: String },
    /// 412: the version the caller read is no longer current.
    Stale,
    /// 404: the item the write depends on does not exist.
    Missing { what: &'static str },
    /// 429: a rate limit taken in the same transaction is used up until `retry_after`
    /// seconds from now.
    Throttled { retry_after: u64 },
}

/// What the caller is told.
impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Conflict { detail, .. } => f.write_str(detail),
            Failure::Stale => f.write_str(
                "The resource was modified since you read it; fetch it again and retry with its new ETag.",
            ),
            Failure::Missing { what } => write!(f, "No such {what}."),
            Failure::Throttled { retry_after } => write!(f, "Try again in {retry_after} seconds."),
        }
    }
}

impl Failure {
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Failure::Conflict {
            code,
            detail: detail.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Condition(Failure),
    #[error("The cursor is not valid for this list.")]
    InvalidCursor,
    #[error("transaction of {0} items exceeds DynamoDB's limit")]
    TooLarge(usize),
    #[error("item mapping failed: {0}")]
    Mapping(String),
    #[error("throttled by DynamoDB: {0}")]
    Throttled(String),
    #[error("dynamodb: {0}")]
    Dynamo(String),
}

impl crate::fault::Fault for StoreError {
    fn kind(&self) -> crate::fault::Kind {
        use crate::fault::Kind;
        match self {
            StoreError::Condition(Failure::Conflict { .. }) => Kind::Conflict,
            StoreError::Condition(Failure::Stale) => Kind::Stale,
            StoreError::Condition(Failure::Missing { .. }) => Kind::NotFound,
            StoreError::Condition(Failure::Throttled { .. }) => Kind::Throttled,
            StoreError::InvalidCursor => Kind::Invalid,
            StoreError::Throttled(_) => Kind::Unavailable,
            StoreError::TooLarge(_) | StoreError::Mapping(_) | StoreError::Dynamo(_) => {
                Kind::Internal
            }
        }
    }

    fn code(&self) -> &'static str {
        match self {
            StoreError::Condition(Failure::Conflict { code, .. }) => code,
            StoreError::Condition(Failure::Stale) => "stale_version",
            StoreError::Condition(Failure::Missing { .. }) => "not_found",
            StoreError::Condition(Failure::Throttled { .. }) => "too_many_requests",
            StoreError::InvalidCursor => "invalid_cursor",
            StoreError::Throttled(_) => "unavailable",
            _ => "internal",
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            StoreError::Condition(Failure::Throttled { retry_after }) => Some(*retry_after),
            _ => None,
        }
    }
}

fn sdk_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = err.code().unwrap_or("").to_string();
    let message = format!("{}: {}", code, err.message().unwrap_or(&format!("{err:?}")));
    match code.as_str() {
        "ProvisionedThroughputExceededException"
        | "ThrottlingException"
        | "RequestLimitExceeded" => StoreError::Throttled(message),
        _ => StoreError::Dynamo(message),
    }
}

/// Maps an entity to its full item: fields, key, kind and index keys.
pub fn to_item<T: Entity>(entity: &T) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let mut item: HashMap<String, AttributeValue> =
        serde_dynamo::to_item(entity).map_err(|e| StoreError::Mapping(e.to_string()))?;
    let key = entity.key();
    item.insert(keys::PK.into(), AttributeValue::S(key.pk));
    item.insert(keys::SK.into(), AttributeValue::S(key.sk));
    item.insert(keys::KIND.into(), AttributeValue::S(T::KIND.into()));
    for (index, key) in entity.index_keys() {
        let (pk, sk) = index.attributes();
        item.insert(pk.into(), AttributeValue::S(key.pk));
        item.insert(sk.into(), AttributeValue::S(key.sk));
    }
    Ok(item)
}

/// Maps an item back to its entity (key and index attributes are ignored).
pub fn from_item<T: DeserializeOwned>(
    item: HashMap<String, AttributeValue>,
) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Mapping(e.to_string()))
}

/// The items of one batched read ([`Store::fetch`]), by key.
#[derive(Debug, Default)]
pub struct Fetched(HashMap<Key, Option<HashMap<String, AttributeValue>>>);

impl Fetched {
    /// The item at `key` as a `T` (`None` when absent or not asked for); each item is taken
    /// once.
    pub fn take<T: DeserializeOwned>(&mut self, key: &Key) -> Result<Option<T>, StoreError> {
        self.0.remove(key).flatten().map(from_item).transpose()
    }
}

fn key_map(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (keys::PK.to_string(), AttributeValue::S(key.pk.clone())),
        (keys::SK.to_string(), AttributeValue::S(key.sk.clone())),
    ])
}

/// A multi-item write, committed atomically by [`Store::commit`]. Each conditional
/// operation says what its failure means, so a cancelled transaction maps to the right
/// 404/409/412 instead of a generic error.
#[derive(Default)]
pub struct Tx {
    items: Vec<TransactWriteItem>,
    failures: Vec<Option<Failure>>,
    error: Option<StoreError>,
}

impl Tx {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn push(
        &mut self,
        item: Result<TransactWriteItem, aws_sdk_dynamodb::error::BuildError>,
        failure: Option<Failure>,
    ) {
        match item {
            Ok(item) => {
                self.items.push(item);
                self.failures.push(failure);
            }
            Err(e) => self.error = Some(StoreError::Mapping(e.to_string())),
        }
    }

    fn put_item<T: Entity>(
        &mut self,
        table: &str,
        entity: &T,
        condition: Option<Condition>,
        failure: Option<Failure>,
    ) {
        let item = match to_item(entity) {
            Ok(item) => item,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let mut put = Put::builder().table_name(table).set_item(Some(item));
        if let Some(c) = condition {
            put = put
                .condition_expression(c.expression)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::None,
                );
            if !c.names.is_empty() {
                put = put.set_expression_attribute_names(Some(c.names));
            }
            if !c.values.is_empty() {
                put = put.set_expression_attribute_values(Some(c.values));
            }
        }
        let item = put
            .build()
            .map(|p| TransactWriteItem::builder().put(p).build());
        self.push(item, failure);
    }
}

/// A partial update of one item: `SET`, `REMOVE` and `ADD` clauses guarded by conditions.
/// Used where a whole-item replace would race (counters, token rotation, flags).
#[derive(Debug, Clone)]
pub struct Patch {
    key: Key,
    sets: Vec<(String, Result<AttributeValue, String>)>,
    removes: Vec<String>,
    adds: Vec<(String, i64)>,
    set_adds: Vec<(String, String)>,
    conditions: Vec<(String, Vec<(String, AttributeValue)>)>,
    failure: Option<Failure>,
    error: Option<String>,
}

impl Patch {
    pub fn new(key: &Key) -> Self {
        Self {
            key: key.clone(),
            sets: Vec::new(),
            removes: Vec::new(),
            adds: Vec::new(),
            set_adds: Vec::new(),
            conditions: Vec::new(),
            failure: None,
            error: None,
        }
    }

    /// The top-level attributes that differ between two versions of one entity, as `SET`s
    /// (and `REMOVE`s for values gone), conditional on the version `before` was read at: an
    /// update that writes only what it changed cannot put back a field another writer
    /// patched meanwhile.
    pub fn changes<T: Entity>(before: &T, after: &T, version: u64) -> Self {
        let mut patch = Patch::new(&after.key())
            .require_eq("version", version)
            .on_failure(Failure::Stale);
        let (Ok(serde_json::Value::Object(old)), Ok(serde_json::Value::Object(new))) =
            (serde_json::to_value(before), serde_json::to_value(after))
        else {
            patch.error = Some("an entity serialises to a map".into());
            return patch;
        };
        for (attr, value) in &new {
            if old.get(attr) != Some(value) {
                patch = patch.set(attr, value);
            }
        }
        for attr in old.keys().filter(|a| !new.contains_key(*a)) {
            patch = patch.remove(attr);
        }
        patch
    }

    /// `ADD attr {value}`: puts `value` into the string set `attr`.
    pub fn add_to_set(mut self, attr: &str, value: &str) -> Self {
        self.set_adds.push((attr.to_string(), value.to_string()));
        self
    }

    /// The string set `attr` may hold `value` after this write: it is there already, or the
    /// set has fewer than `max` members (a cap on distinct values, kept atomically).
    pub fn require_room_in_set(mut self, attr: &str, value: &str, max: i64) -> Self {
        self.conditions.push((
            format!(
                "(attribute_not_exists(#{{{attr}}}) OR contains(#{{{attr}}}, :{{}}) OR size(#{{{attr}}}) < :{{}})"
            ),
            vec![
                (attr.to_string(), AttributeValue::S(value.to_string())),
                (attr.to_string(), AttributeValue::N(max.to_string())),
            ],
        ));
        self
    }

    /// `SET attr = value` (any serde value).
    pub fn set(mut self, attr: &str, value: impl Serialize) -> Self {
        let value = serde_dynamo::to_attribute_value(value).map_err(|e| e.to_string());
        self.sets.push((attr.to_string(), value));
        self
    }

    pub fn remove(mut self, attr: &str) -> Self {
        self.removes.push(attr.to_string());
        self
    }

    /// `ADD attr delta` (creates the attribute at zero).
    pub fn add(mut self, attr: &str, delta: i64) -> Self {
        self.adds.push((attr.to_string(), delta));
        self
    }

    /// The item must exist.
    pub fn require_exists(mut self) -> Self {
        self.conditions
            .push(("attribute_exists(PK)".into(), Vec::new()));
        self
    }

    /// `attr` must not be set.
    pub fn require_unset(mut self, attr: &str) -> Self {
        self.conditions
            .push((format!("attribute_not_exists(#{{{attr}}})"), Vec::new()));
        self
    }

    /// `attr` must equal `value`.
    pub fn require_eq(mut self, attr: &str, value: impl Serialize) -> Self {
        match serde_dynamo::to_attribute_value(value) {
            Ok(v) => self
                .conditions
                .push((format!("#{{{attr}}} = :{{}}"), vec![(attr.to_string(), v)])),
            Err(e) => self.error = Some(e.to_string()),
        }
        self
    }

    /// `attr` must be unset or a number below `n` (rate limits).
    pub fn require_below(mut self, attr: &str, n: i64) -> Self {
        self.conditions.push((
            format!("(attribute_not_exists(#{{{attr}}}) OR #{{{attr}}} < :{{}})"),
            vec![(attr.to_string(), AttributeValue::N(n.to_string()))],
        ));
        self
    }

    /// `attr` must be a number greater than `n`.
    pub fn require_gt(mut self, attr: &str, n: i64) -> Self {
        self.conditions.push((
            format!("#{{{attr}}} > :{{}}"),
            vec![(attr.to_string(), AttributeValue::N(n.to_string()))],
        ));
        self
    }

    /// What a failed condition means.
    pub fn on_failure(mut self, failure: Failure) -> Self {
        self.failure = Some(failure);
        self
    }

    #[allow(clippy::type_complexity)]
    fn update_parts(
        self,
    ) -> Result<
        (
            HashMap<String, AttributeValue>,
            String,
            HashMap<String, String>,
            HashMap<String, AttributeValue>,
            Option<String>,
        ),
        StoreError,
    > {
        if let Some(e) = self.error {
            return Err(StoreError::Mapping(e));
        }
        let mut names: HashMap<String, String> = HashMap::new();
        let mut values = HashMap::new();
        let name_of = |attr: &str, names: &mut HashMap<String, String>| {
            let placeholder = format!("#n{}", names.len());
            if let Some((k, _)) = names.iter().find(|(_, v)| v.as_str() == attr) {
                return k.clone();
            }
            names.insert(placeholder.clone(), attr.to_string());
            placeholder
        };
        let mut sets = Vec::new();
        for (i, (attr, value)) in self.sets.into_iter().enumerate() {
            let value = value.map_err(StoreError::Mapping)?;
            let n = name_of(&attr, &mut names);
            values.insert(format!(":s{i}"), value);
            sets.push(format!("{n} = :s{i}"));
        }
        let mut adds = Vec::new();
        for (i, (attr, delta)) in self.adds.into_iter().enumerate() {
            let n = name_of(&attr, &mut names);
            values.insert(format!(":a{i}"), AttributeValue::N(delta.to_string()));
            adds.push(format!("{n} :a{i}"));
        }
        for (i, (attr, member)) in self.set_adds.into_iter().enumerate() {
            let n = name_of(&attr, &mut names);
            values.insert(format!(":ss{i}"), AttributeValue::Ss(vec![member]));
            adds.push(format!("{n} :ss{i}"));
        }
        let removes: Vec<String> = self
            .removes
            .iter()
            .map(|a| name_of(a, &mut names))
            .collect();
        let mut expr = Vec::new();
        if !sets.is_empty() {
            expr.push(format!("SET {}", sets.join(", ")));
        }
        if !removes.is_empty() {
            expr.push(format!("REMOVE {}", removes.join(", ")));
        }
        if !adds.is_empty() {
            expr.push(format!("ADD {}", adds.join(", ")));
        }
        let mut conditions = Vec::new();
        for (i, (template, operands)) in self.conditions.into_iter().enumerate() {
            let mut text = template;
            for (j, (_, value)) in operands.into_iter().enumerate() {
                let placeholder = format!(":c{i}_{j}");
                values.insert(placeholder.clone(), value);
                text = text.replacen(":{}", &placeholder, 1);
            }
            // Replace #{attr} markers with name placeholders.
            while let Some(start) = text.find("#{") {
                let end = text[start..]
                    .find('}')
                    .map(|e| start + e)
                    .unwrap_or(text.len() - 1);
                let attr = text[start + 2..end].to_string();
                let n = name_of(&attr, &mut names);
                text.replace_range(start..=end, &n);
            }
            conditions.push(text);
        }
        let condition = if conditions.is_empty() {
            None
        } else {
            Some(conditions.join(" AND "))
        };
        Ok((key_map(&self.key), expr.join(" "), names, values, condition))
    }
}

/// A write condition with its placeholders.
struct Condition {
    expression: &'static str,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

/// The table, its client, and the codec for its page cursors.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
    cursors: Option<CursorCodec>,
}

/// A one-partition query: `partition` on the table or an index, optionally narrowed to
/// sort keys starting with `sort_prefix`, and optionally filtered server-side. A filter
/// does not reduce what is read: each page reads `limit` items of the partition and
/// returns those that match (so a page can be short while `next_cursor` is set).
#[derive(Debug, Clone)]
pub struct Query {
    pub index: Option<Index>,
    pub partition: String,
    pub sort_prefix: Option<String>,
    pub newest_first: bool,
    pub limit: i32,
    pub filter: Option<Filter>,
    /// Only sort keys below this value (e.g. follow-ups due before now).
    pub sort_below: Option<String>,
}

impl Query {
    /// A query of one partition of the table or an index (no prefix, no filter).
    pub fn partition(index: Option<Index>, partition: impl Into<String>, limit: i32) -> Self {
        Self {
            index,
            partition: partition.into(),
            sort_prefix: None,
            newest_first: false,
            limit,
            filter: None,
            sort_below: None,
        }
    }

    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.sort_prefix = Some(prefix.into());
        self
    }

    pub fn below(mut self, bound: impl Into<String>) -> Self {
        self.sort_below = Some(bound.into());
        self
    }

    pub fn newest_first(mut self) -> Self {
        self.newest_first = true;
        self
    }

    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = if filter.parts.is_empty() {
            None
        } else {
            Some(filter)
        };
        self
    }
}

/// A server-side filter: conditions joined with AND. Attribute paths are given as
/// segments (`&["address", "province"]`).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    parts: Vec<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Filter {
    pub fn new() -> Self {
        Self::default()
    }

    fn path(&mut self, segments: &[&str]) -> String {
        segments
            .iter()
            .map(|seg| {
                let placeholder = format!("#f{}", self.names.len());
                self.names.insert(placeholder.clone(), seg.to_string());
                placeholder
            })
            .collect::<Vec<_>>()
            .join(".")
    }

    fn value(&mut self, v: AttributeValue) -> String {
        let placeholder = format!(":f{}", self.values.len());
        self.values.insert(placeholder.clone(), v);
        placeholder
    }

    /// `path = value`.
    pub fn eq(mut self, path: &[&str], value: &str) -> Self {
        let p = self.path(path);
        let v = self.value(AttributeValue::S(value.to_string()));
        self.parts.push(format!("{p} = {v}"));
        self
    }

    /// `path >= value` (strings compare lexically: RFC 3339 times in UTC order correctly).
    pub fn at_least(mut self, path: &[&str], value: &str) -> Self {
        let p = self.path(path);
        let v = self.value(AttributeValue::S(value.to_string()));
        self.parts.push(format!("{p} >= {v}"));
        self
    }

    /// `path <= value`.
    pub fn at_most(mut self, path: &[&str], value: &str) -> Self {
        let p = self.path(path);
        let v = self.value(AttributeValue::S(value.to_string()));
        self.parts.push(format!("{p} <= {v}"));
        self
    }

    /// Any of `paths` equals `value`.
    pub fn any_eq(mut self, paths: &[&[&str]], value: &str) -> Self {
        let v = self.value(AttributeValue::S(value.to_string()));
        let alternatives: Vec<String> = paths
            .iter()
            .map(|p| {
                let p = self.path(p);
                format!("{p} = {v}")
            })
            .collect();
        self.parts.push(format!("({})", alternatives.join(" OR ")));
        self
    }

    /// Any of `paths` contains `value` (a substring of a string, or an element of a list).
    pub fn contains_any(mut self, paths: &[&[&str]], value: &str) -> Self {
        let v = self.value(AttributeValue::S(value.to_string()));
        let alternatives: Vec<String> = paths
            .iter()
            .map(|p| {
                let p = self.path(p);
                format!("contains({p}, {v})")
            })
            .collect();
        self.parts.push(format!("({})", alternatives.join(" OR ")));
        self
    }
}

/// One page of a list and the cursor of the next (absent on the last page).
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl Query {
    /// The key condition, with the placeholders of the key and of the filter.
    fn expressions(
        &self,
    ) -> (
        String,
        HashMap<String, String>,
        HashMap<String, AttributeValue>,
    ) {
        let (pk_attr, sk_attr) = match self.index {
            Some(index) => index.attributes(),
            None => (keys::PK, keys::SK),
        };
        let mut names = HashMap::from([("#pk".to_string(), pk_attr.to_string())]);
        let mut values =
            HashMap::from([(":pk".to_string(), AttributeValue::S(self.partition.clone()))]);
        let mut condition = "#pk = :pk".to_string();
        if let Some(prefix) = &self.sort_prefix {
            names.insert("#sk".into(), sk_attr.into());
            values.insert(":sk".into(), AttributeValue::S(prefix.clone()));
            condition.push_str(" AND begins_with(#sk, :sk)");
        } else if let Some(bound) = &self.sort_below {
            names.insert("#sk".into(), sk_attr.into());
            values.insert(":below".into(), AttributeValue::S(bound.clone()));
            condition.push_str(" AND #sk < :below");
        }
        if let Some(f) = &self.filter {
            names.extend(f.names.clone());
            values.extend(f.values.clone());
        }
        (condition, names, values)
    }

    /// What a cursor is bound to: the index, partition and prefix (whose items it may page
    /// through). Not the upper bound: that moves with the clock (`overdue` pages below
    /// "now"), and a later bound only lets a page show items that came due meanwhile.
    fn scope(&self) -> String {
        format!(
            "{}|{}|{}",
            self.index.map(Index::name).unwrap_or("table"),
            self.partition,
            self.sort_prefix.as_deref().unwrap_or(""),
        )
    }
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
        match update.send().await {
            Ok(_) => Ok(()),
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
    pub async fn get_many(
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
        let (condition, names, values) = q.expressions();
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .set_filter_expression(q.filter.as_ref().map(|f| f.parts.join(" AND ")))
            .set_index_name(q.index.map(|i| i.name().to_string()))
            .key_condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
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

    /// Every item of a single-partition query, in pages of `q`'s limit: the whole
    /// partition (or prefix). Only for work lists and internal reads that must see all of
    /// it; request paths use [`Store::query`] (one page) or [`Store::query_up_to`].
    pub async fn query_all<T: DeserializeOwned>(&self, q: &Query) -> Result<Vec<T>, StoreError> {
        self.read_pages(q, usize::MAX).await
    }

    /// At most `q`'s limit of items (a bounded read, whatever the partition holds).
    pub async fn query_up_to<T: DeserializeOwned>(&self, q: &Query) -> Result<Vec<T>, StoreError> {
        self.read_pages(q, q.limit.max(1) as usize).await
    }

    async fn read_pages<T: DeserializeOwned>(
        &self,
        q: &Query,
        at_most: usize,
    ) -> Result<Vec<T>, StoreError> {
        let (condition, names, values) = q.expressions();
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(q.index.map(|i| i.name().to_string()))
                .key_condition_expression(&condition)
                .set_filter_expression(q.filter.as_ref().map(|f| f.parts.join(" AND ")))
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
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
        }
    }
}

/// Builds a [`Tx`] against one table.
pub struct TxBuilder<'a> {
    table: &'a str,
    tx: Tx,
}

impl<'a> TxBuilder<'a> {
    /// A new item; `on_exists` if the key is taken (guard items use this for uniqueness).
    pub fn create<T: Entity>(mut self, entity: &T, on_exists: Failure) -> Self {
        let condition = Condition {
            expression: "attribute_not_exists(PK)",
            names: HashMap::new(),
            values: HashMap::new(),
        };
        self.tx
            .put_item(self.table, entity, Some(condition), Some(on_exists));
        self
    }

    /// Writes `entity` where the stored item (if any) satisfies `expression`, e.g.
    /// `attribute_not_exists(PK) OR #until < :now` to take over an expired reservation.
    pub fn put_if<T: Entity>(
        mut self,
        entity: &T,
        expression: &'static str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
        failure: Failure,
    ) -> Self {
        let condition = Condition {
            expression,
            names: names
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            values: values
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        };
        self.tx
            .put_item(self.table, entity, Some(condition), Some(failure));
        self
    }

    /// A new item under a freshly generated id (a ULID): its key cannot be taken unless the
    /// id generator repeats itself, which the client should simply retry.
    pub fn insert<T: Entity>(self, entity: &T) -> Self {
        self.create(
            entity,
            Failure::conflict("id_collision", "Please retry the request."),
        )
    }

    /// Replaces a versioned item whose stored `version` must equal `expected_version`
    /// (optimistic concurrency; the entity carries `expected_version + 1`).
    pub fn replace<T: Entity>(mut self, entity: &T, expected_version: u64) -> Self {
        let condition = Condition {
            expression: "#version = :expected",
            names: HashMap::from([("#version".to_string(), "version".to_string())]),
            values: HashMap::from([(
                ":expected".to_string(),
                AttributeValue::N(expected_version.to_string()),
            )]),
        };
        self.tx
            .put_item(self.table, entity, Some(condition), Some(Failure::Stale));
        self
    }

    /// An unconditional write (derived items such as projections).
    pub fn put<T: Entity>(mut self, entity: &T) -> Self {
        self.tx.put_item(self.table, entity, None, None);
        self
    }

    /// Adds `deltas` to numeric attributes of `key` (aggregate counters), creating the item
    /// and the attributes at zero when absent.
    pub fn add(self, key: &Key, kind: &'static str, deltas: &[(&str, i64)]) -> Self {
        if deltas.is_empty() {
            return self;
        }
        let mut patch = Patch::new(key).set(keys::KIND, kind);
        for (attr, delta) in deltas {
            patch = patch.add(attr, *delta);
        }
        self.patch(patch)
    }

    /// A partial update (see [`Patch`]).
    pub fn patch(mut self, patch: Patch) -> Self {
        let failure = patch.failure.clone();
        let update = patch
            .update_parts()
            .and_then(|(key, expr, names, values, condition)| {
                let mut u = Update::builder()
                    .table_name(self.table)
                    .set_key(Some(key))
                    .update_expression(expr)
                    .set_expression_attribute_names(Some(names))
                    .set_condition_expression(condition);
                if !values.is_empty() {
                    u = u.set_expression_attribute_values(Some(values));
                }
                u.build().map_err(|e| StoreError::Mapping(e.to_string()))
            })
            .map(|u| TransactWriteItem::builder().update(u).build());
        match update {
            Ok(item) => {
                self.tx.items.push(item);
                self.tx.failures.push(failure);
            }
            Err(e) => self.tx.error = Some(e),
        }
        self
    }

    /// Deletes `key`, which must exist (`on_missing` otherwise).
    pub fn delete(mut self, key: &Key, on_missing: Failure) -> Self {
        let delete = Delete::builder()
            .table_name(self.table)
            .set_key(Some(key_map(key)))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map(|d| TransactWriteItem::builder().delete(d).build());
        self.tx.push(delete, Some(on_missing));
        self
    }

    /// Deletes a versioned item whose stored `version` must equal `expected_version`
    /// (412 otherwise, 404-like `Stale` also when it is gone).
    pub fn delete_version(mut self, key: &Key, expected_version: u64) -> Self {
        let delete = Delete::builder()
            .table_name(self.table)
            .set_key(Some(key_map(key)))
            .condition_expression("#version = :expected")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(
                ":expected",
                AttributeValue::N(expected_version.to_string()),
            )
            .build()
            .map(|d| TransactWriteItem::builder().delete(d).build());
        self.tx.push(delete, Some(Failure::Stale));
        self
    }

    /// Deletes `key` where the stored item satisfies `expression`.
    pub fn delete_where(
        mut self,
        key: &Key,
        expression: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
        failure: Failure,
    ) -> Self {
        let mut delete = Delete::builder()
            .table_name(self.table)
            .set_key(Some(key_map(key)))
            .condition_expression(expression);
        for (k, v) in names {
            delete = delete.expression_attribute_names(*k, *v);
        }
        for (k, v) in values {
            delete = delete.expression_attribute_values(k, v);
        }
        let delete = delete
            .build()
            .map(|d| TransactWriteItem::builder().delete(d).build());
        self.tx.push(delete, Some(failure));
        self
    }

    /// Requires `key` to exist without writing it.
    pub fn require(mut self, key: &Key, on_missing: Failure) -> Self {
        let check = ConditionCheck::builder()
            .table_name(self.table)
            .set_key(Some(key_map(key)))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map(|c| TransactWriteItem::builder().condition_check(c).build());
        self.tx.push(check, Some(on_missing));
        self
    }

    pub fn build(self) -> Tx {
        self.tx
    }
}
