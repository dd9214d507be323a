//! The table's key schema, declared once.
//!
//! One table holds every entity. Items a partner owns share the partition
//! `PARTNER#<partner_id>`, so every partner-facing read is a `GetItem`/`Query` keyed by the
//! partner id from the verified token; another partner's object is simply not under that
//! key. Each entity declares its key in one function here (added with the entity), and the
//! three overloaded secondary indexes below serve the cross-partner access patterns.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Attribute names of the table's primary key.
pub const PK: &str = "PK";
pub const SK: &str = "SK";
/// Attribute holding the entity kind of every item.
pub const KIND: &str = "kind";
/// Attribute DynamoDB's TTL deletes expired items by (epoch seconds).
pub const EXPIRES_AT: &str = "expires_at";

/// A primary (or index) key: partition and sort value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// The global secondary indexes (names and key attributes equal template.yaml's; a test
/// checks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Index {
    /// Alternate-id lookups: CRM record id → portal id, and similar one-to-one mappings.
    Lookup,
    /// Listings by state across partners (admin directory by status) or within one
    /// (a partner's leads by status), newest first.
    ByState,
    /// Time-ordered sparse work lists (follow-ups coming due, records awaiting CRM sync).
    Due,
}

impl Index {
    pub const ALL: [Index; 3] = [Index::Lookup, Index::ByState, Index::Due];

    pub fn name(self) -> &'static str {
        match self {
            Index::Lookup => "GSI1",
            Index::ByState => "GSI2",
            Index::Due => "GSI3",
        }
    }

    /// Partition and sort attribute names.
    pub fn attributes(self) -> (&'static str, &'static str) {
        match self {
            Index::Lookup => ("GSI1PK", "GSI1SK"),
            Index::ByState => ("GSI2PK", "GSI2SK"),
            Index::Due => ("GSI3PK", "GSI3SK"),
        }
    }
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The partition of everything one partner owns.
pub fn partner_partition(partner_id: &str) -> String {
    format!("PARTNER#{partner_id}")
}
