//! Partial updates: `SET`/`REMOVE`/`ADD` with named conditions, built without raw expressions.

use super::*;

/// A partial update of one item: `SET`, `REMOVE` and `ADD` clauses guarded by conditions.
/// Used where a whole-item replace would race (counters, token rotation, flags).
#[derive(Debug, Clone)]
pub struct Patch {
    pub(crate) key: Key,
    pub(crate) sets: Vec<(String, Result<AttributeValue, String>)>,
    pub(crate) removes: Vec<String>,
    pub(crate) adds: Vec<(String, i64)>,
    pub(crate) set_adds: Vec<(String, String)>,
    pub(crate) set_deletes: Vec<(String, String)>,
    pub(crate) conditions: Vec<(String, Vec<(String, AttributeValue)>)>,
    pub(crate) failure: Option<Failure>,
    pub(crate) error: Option<String>,
}

impl Patch {
    pub fn new(key: &Key) -> Self {
        Self {
            key: key.clone(),
            sets: Vec::new(),
            removes: Vec::new(),
            adds: Vec::new(),
            set_adds: Vec::new(),
            set_deletes: Vec::new(),
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

    /// `DELETE attr {value}`: takes `value` out of the string set `attr` (absent: no-op).
    pub fn remove_from_set(mut self, attr: &str, value: &str) -> Self {
        self.set_deletes.push((attr.to_string(), value.to_string()));
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

    /// `attr` must be one of the strings `values`.
    pub fn require_in(mut self, attr: &str, values: &[&str]) -> Self {
        let placeholders = vec![":{}"; values.len()].join(", ");
        self.conditions.push((
            format!("#{{{attr}}} IN ({placeholders})"),
            values
                .iter()
                .map(|v| (attr.to_string(), AttributeValue::S(v.to_string())))
                .collect(),
        ));
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
    pub(crate) fn update_parts(
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
        let mut deletes = Vec::new();
        for (i, (attr, member)) in self.set_deletes.into_iter().enumerate() {
            let n = name_of(&attr, &mut names);
            values.insert(format!(":sd{i}"), AttributeValue::Ss(vec![member]));
            deletes.push(format!("{n} :sd{i}"));
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
        if !deletes.is_empty() {
            expr.push(format!("DELETE {}", deletes.join(", ")));
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
pub(crate) struct Condition {
    pub(crate) expression: &'static str,
    pub(crate) names: HashMap<String, String>,
    pub(crate) values: HashMap<String, AttributeValue>,
}
