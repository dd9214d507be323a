//! The CRM outbox and every record's CRM sync state: a leaf every domain writes into (a
//! change and its outbox item go in one transaction) and the CRM worker drains.

use serde::{Deserialize, Serialize};

use crate::store::{Entity, Index, Key, keys};

/// A record's CRM synchronisation state: `pending` until the CRM worker pushed it, then
/// `synced` (with the Zoho id), `conflict` (Zoho holds a duplicate: `conflict_id`) or
/// `failed` (`last_error`, and the field Zoho refused in `error_field`).
/// Where a record stands with the CRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// A change waits to be pushed.
    Pending,
    Synced,
    /// The push failed for good (or is failing; see `last_error`).
    Failed,
    /// Zoho holds a duplicate of the record (`conflict_id`).
    Conflict,
}

impl SyncState {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::Pending => "pending",
            SyncState::Synced => "synced",
            SyncState::Failed => "failed",
            SyncState::Conflict => "conflict",
        }
    }
}

/// Where an outbox item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting for the outbound worker (the table stream hands it over).
    Queued,
    /// The last push failed; the next reconcile retries it.
    Failed,
    /// Zoho refused the data: kept for a replay once it is fixed.
    Rejected,
    /// Given up after the most attempts.
    Dead,
}

/// What an outbox item pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxEntity {
    Lead,
    Partner,
    Activity,
    /// A commission line (upserted into the Commissions module).
    Commission,
    /// A payout: each of its lines is pushed with its new status.
    Payout,
}

/// Why an outbox item was written (what the push sends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxOperation {
    /// A new record: sent with its status.
    Create,
    /// Changed fields.
    Upsert,
    /// A status change: sent with the status.
    Status,
    /// A record created from the CRM: its portal id is written back.
    Link,
}

impl OutboxOperation {
    /// Whether the push carries the record's status.
    pub fn sends_status(self) -> bool {
        matches!(self, OutboxOperation::Create | OutboxOperation::Status)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmSync {
    pub state: SyncState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced_at: Option<String>,
    /// The Zoho record id, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crm_id: Option<String>,
    /// The Zoho record a push collided with (`DUPLICATE_DATA`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict_id: Option<String>,
    /// Zoho's `Modified_Time` of the last CRM change applied here; older events are ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crm_modified_time: Option<String>,
    /// The status value Zoho was last known to hold (pushed or read). A Zoho record whose
    /// status still equals it has not had its status changed in Zoho, so a newer portal
    /// status waiting to be pushed is kept (a three-way merge with this as the base).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crm_status: Option<String>,
}

impl Default for CrmSync {
    fn default() -> Self {
        Self::pending()
    }
}

impl CrmSync {
    pub fn pending() -> Self {
        Self {
            state: SyncState::Pending,
            last_error: None,
            error_field: None,
            synced_at: None,
            crm_id: None,
            conflict_id: None,
            crm_modified_time: None,
            crm_status: None,
        }
    }

    /// Pending again after a local change, keeping what is known about the Zoho record.
    pub fn repending(&self) -> Self {
        Self {
            state: SyncState::Pending,
            last_error: None,
            error_field: None,
            ..self.clone()
        }
    }
}

/// Work for the CRM worker, written in the same transaction as the change it pushes.
///
/// `state` is `queued` (the table stream hands queued items to `crm-outbound`; a replay
/// or the reconciler re-queues an item by setting it again) or `failed` (Zoho was
/// unavailable: `attempts`, `last_error`). A pushed item is deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmOutbox {
    pub id: String,
    /// `lead`, `partner` or `activity`.
    pub entity: OutboxEntity,
    pub entity_id: String,
    pub partner_id: String,
    /// The lead an activity belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// `create`, `status` (the portal changed the status: push it), `upsert` (other
    /// fields) or `link` (write the portal id onto a record created in Zoho).
    pub operation: OutboxOperation,
    #[serde(default = "queued")]
    pub state: OutboxState,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created_at: String,
}

fn queued() -> OutboxState {
    OutboxState::Queued
}

impl CrmOutbox {
    /// A new queued item.
    pub fn new(
        entity: OutboxEntity,
        entity_id: &str,
        partner_id: &str,
        operation: OutboxOperation,
        at: &str,
    ) -> Self {
        Self {
            id: ulid::Ulid::new().to_string(),
            entity,
            entity_id: entity_id.into(),
            partner_id: partner_id.into(),
            parent_id: None,
            operation,
            state: queued(),
            attempts: 0,
            last_error: None,
            created_at: at.into(),
        }
    }
}

impl Entity for CrmOutbox {
    const KIND: &'static str = "crm_outbox";

    fn key(&self) -> Key {
        keys::crm_outbox(&self.id)
    }

    fn index_keys(&self) -> Vec<(Index, Key)> {
        vec![(
            Index::Due,
            Key::new(
                keys::PENDING_CRM,
                format!("{}#{}", self.created_at, self.id),
            ),
        )]
    }
}

/// A record's CRM state as partners see it: where it stands and what they can do about it,
/// without Zoho's internals (its record ids, a duplicate's id, its error text), which would
/// tell a partner whether a contact already exists in the company's CRM. Operations see the
/// whole [`CrmSync`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrmSyncView {
    pub state: SyncState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub synced_at: Option<String>,
    /// The field the CRM refused, when a value of the partner's is the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
}

impl From<&CrmSync> for CrmSyncView {
    fn from(s: &CrmSync) -> Self {
        let message = match s.state {
            SyncState::Failed if s.error_field.is_some() => Some(
                "Our CRM refused a value of this record; check the field named and save it again.",
            ),
            SyncState::Failed => {
                Some("This record is not in our CRM yet; it is retried automatically.")
            }
            SyncState::Conflict => Some("Our team is reviewing this record against our CRM."),
            SyncState::Pending | SyncState::Synced => None,
        };
        Self {
            state: s.state,
            synced_at: s.synced_at.clone(),
            error_field: s.error_field.clone(),
            message,
        }
    }
}
