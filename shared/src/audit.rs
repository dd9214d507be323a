//! The audit trail: every state change writes one immutable entry in the same transaction
//! (who, what, when, before → after).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::{Entity, Key, keys};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    /// The acting user id, or `system` / `crm` for background work.
    pub actor: String,
    /// What happened, e.g. `partner.registered`, `user.role_changed`.
    pub action: String,
    /// The object acted on, e.g. `user:01J...`.
    pub target: String,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub before: Value,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub after: Value,
    pub at: String,
}

impl AuditEntry {
    pub fn new(
        partner_id: Option<&str>,
        actor: &str,
        action: &str,
        target: String,
        at: &str,
    ) -> Self {
        Self {
            id: ulid::Ulid::new().to_string(),
            partner_id: partner_id.map(str::to_string),
            actor: actor.to_string(),
            action: action.to_string(),
            target,
            before: Value::Null,
            after: Value::Null,
            at: at.to_string(),
        }
    }

    pub fn change(mut self, before: Value, after: Value) -> Self {
        self.before = before;
        self.after = after;
        self
    }
}

impl Entity for AuditEntry {
    const KIND: &'static str = "audit";

    fn key(&self) -> Key {
        keys::audit(self.partner_id.as_deref(), &self.id)
    }

    /// Every entry on the operations feed (index `Feed`), in time order: its id is a ULID
    /// of when it was written.
    fn index_keys(&self) -> Vec<(crate::store::Index, Key)> {
        vec![(
            crate::store::Index::Feed,
            Key::new(keys::AUDIT_FEED, self.id.clone()),
        )]
    }
}
