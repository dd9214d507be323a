//! Transactions: a builder of conditional puts, patches, deletes and checks, committed as one `TransactWriteItems`.

use super::*;

/// A multi-item write, committed atomically by [`Store::commit`]. Each conditional
/// operation says what its failure means, so a cancelled transaction maps to the right
/// 404/409/412 instead of a generic error.
#[derive(Default)]
pub struct Tx {
    pub(crate) items: Vec<TransactWriteItem>,
    pub(crate) failures: Vec<Option<Failure>>,
    pub(crate) error: Option<StoreError>,
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

    pub(crate) fn push(
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

    pub(crate) fn put_item<T: Entity>(
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

/// Builds a [`Tx`] against one table.
pub struct TxBuilder<'a> {
    pub(crate) table: &'a str,
    pub(crate) tx: Tx,
    /// Counter increments, merged per item: a transaction may touch an item once, and
    /// several parts of one change (a lead's pipeline value and its commission) may add to
    /// the same counters item.
    pub(crate) adds: Vec<(Key, &'static str, std::collections::BTreeMap<String, i64>)>,
}

impl TxBuilder<'_> {
    /// How many items the transaction writes so far (each counters item once).
    pub fn len(&self) -> usize {
        self.tx.len() + self.adds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
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
    /// Writes a lease-like item (a reservation that expires): only if no item is there, or
    /// the one there expired (its `until_attr`, epoch seconds, is before `now`).
    pub fn put_unless_held<T: Entity>(
        self,
        entity: &T,
        until_attr: &str,
        now: i64,
        failure: Failure,
    ) -> Self {
        self.put_if(
            entity,
            "attribute_not_exists(PK) OR #until < :now",
            &[("#until", until_attr)],
            vec![(":now", AttributeValue::N(now.to_string()))],
            failure,
        )
    }

    /// Deletes `key` only while its `attr` still equals `value` (the holder gives back what
    /// is still its own).
    pub fn delete_if_eq(self, key: &Key, attr: &str, value: &str, failure: Failure) -> Self {
        self.delete_where(
            key,
            "#attr = :value",
            &[("#attr", attr)],
            vec![(":value", AttributeValue::S(value.to_string()))],
            failure,
        )
    }

    fn put_if<T: Entity>(
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
    /// and the attributes at zero when absent. Adds to one key in one transaction are
    /// merged into a single update when the transaction is built.
    pub fn add(mut self, key: &Key, kind: &'static str, deltas: &[(&str, i64)]) -> Self {
        let at = match self.adds.iter().position(|(k, _, _)| k == key) {
            Some(i) => i,
            None => {
                self.adds.push((key.clone(), kind, Default::default()));
                self.adds.len() - 1
            }
        };
        for (attr, delta) in deltas {
            *self.adds[at].2.entry(attr.to_string()).or_default() += delta;
        }
        self
    }

    /// Moves counters of `key` from what `before` contributed to what `after` does: each
    /// attribute by its after − before (merged with the transaction's other adds to the
    /// key; attributes that net to zero are not written).
    pub fn add_change(
        self,
        key: &Key,
        kind: &'static str,
        before: &[(String, i64)],
        after: &[(String, i64)],
    ) -> Self {
        let deltas: Vec<(&str, i64)> = after
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .chain(before.iter().map(|(k, v)| (k.as_str(), -*v)))
            .collect();
        self.add(key, kind, &deltas)
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
    fn delete_where(
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

    /// Requires `key` to exist with each `(attribute, value)` of `equal` (strings), without
    /// writing it: a fact another item's change depends on, checked atomically with it.
    pub fn require_equal(mut self, key: &Key, equal: &[(&str, &str)], failure: Failure) -> Self {
        let mut check = ConditionCheck::builder()
            .table_name(self.table)
            .set_key(Some(key_map(key)));
        let mut parts = vec!["attribute_exists(PK)".to_string()];
        for (i, (attr, value)) in equal.iter().enumerate() {
            parts.push(format!("#c{i} = :c{i}"));
            check = check
                .expression_attribute_names(format!("#c{i}"), attr.to_string())
                .expression_attribute_values(
                    format!(":c{i}"),
                    AttributeValue::S(value.to_string()),
                );
        }
        let check = check
            .condition_expression(parts.join(" AND "))
            .build()
            .map(|c| TransactWriteItem::builder().condition_check(c).build());
        self.tx.push(check, Some(failure));
        self
    }

    pub fn build(mut self) -> Tx {
        for (key, kind, deltas) in std::mem::take(&mut self.adds) {
            let deltas: Vec<_> = deltas.into_iter().filter(|(_, d)| *d != 0).collect();
            if deltas.is_empty() {
                continue;
            }
            let mut patch = Patch::new(&key).set(keys::KIND, kind);
            for (attr, delta) in &deltas {
                patch = patch.add(attr, *delta);
            }
            self = self.patch(patch);
        }
        self.tx
    }
}
