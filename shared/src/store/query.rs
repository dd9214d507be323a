//! Queries: a partition or index, key prefix and bounds, server-side filters, cursor pages.

use super::*;

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
    /// Only sort keys from the first to the second value, both included.
    pub sort_between: Option<(String, String)>,
    /// Only sort keys above this value (resuming after the last key processed).
    pub sort_above: Option<String>,
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
            sort_between: None,
            sort_above: None,
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

    /// Only sort keys above `bound` (excluded).
    pub fn after(mut self, bound: impl Into<String>) -> Self {
        self.sort_above = Some(bound.into());
        self
    }

    /// Only sort keys from `low` to `high` (both included).
    pub fn between(mut self, low: impl Into<String>, high: impl Into<String>) -> Self {
        self.sort_between = Some((low.into(), high.into()));
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
    pub(crate) parts: Vec<String>,
    pub(crate) names: HashMap<String, String>,
    pub(crate) values: HashMap<String, AttributeValue>,
}

impl Filter {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn path(&mut self, segments: &[&str]) -> String {
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

    pub(crate) fn value(&mut self, v: AttributeValue) -> String {
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

    /// `path` starts with `prefix`.
    pub fn begins_with(mut self, path: &[&str], prefix: &str) -> Self {
        let p = self.path(path);
        let v = self.value(AttributeValue::S(prefix.to_string()));
        self.parts.push(format!("begins_with({p}, {v})"));
        self
    }

    /// `path` is absent (or null).
    pub fn missing(mut self, path: &[&str]) -> Self {
        let p = self.path(path);
        self.parts.push(format!("attribute_not_exists({p})"));
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
    pub(crate) fn expressions(
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
        } else if let Some((low, high)) = &self.sort_between {
            names.insert("#sk".into(), sk_attr.into());
            values.insert(":low".into(), AttributeValue::S(low.clone()));
            values.insert(":high".into(), AttributeValue::S(high.clone()));
            condition.push_str(" AND #sk BETWEEN :low AND :high");
        } else if let Some(bound) = &self.sort_above {
            names.insert("#sk".into(), sk_attr.into());
            values.insert(":above".into(), AttributeValue::S(bound.clone()));
            condition.push_str(" AND #sk > :above");
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
    pub(crate) fn scope(&self) -> String {
        format!(
            "{}|{}|{}",
            self.index.map(Index::name).unwrap_or("table"),
            self.partition,
            self.sort_prefix.as_deref().unwrap_or(""),
        )
    }
}
