//! Lead records, their status machine and their index and counter keys.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::normalize::ContactKeys;
use crate::outbox::CrmSync;
use crate::store::{Entity, Index, Key, keys};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    New,
    Contacted,
    Qualified,
    Proposal,
    Won,
    Lost,
    /// Converted in the CRM (a deal/account exists); set by the CRM only.
    Converted,
}

impl LeadStatus {
    pub const ALL: [LeadStatus; 7] = [
        LeadStatus::New,
        LeadStatus::Contacted,
        LeadStatus::Qualified,
        LeadStatus::Proposal,
        LeadStatus::Won,
        LeadStatus::Lost,
        LeadStatus::Converted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LeadStatus::New => "new",
            LeadStatus::Contacted => "contacted",
            LeadStatus::Qualified => "qualified",
            LeadStatus::Proposal => "proposal",
            LeadStatus::Won => "won",
            LeadStatus::Lost => "lost",
            LeadStatus::Converted => "converted",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(
            self,
            LeadStatus::New | LeadStatus::Contacted | LeadStatus::Qualified | LeadStatus::Proposal
        )
    }

    fn rank(self) -> u8 {
        match self {
            LeadStatus::New => 0,
            LeadStatus::Contacted => 1,
            LeadStatus::Qualified => 2,
            LeadStatus::Proposal => 3,
            _ => 9,
        }
    }

    /// Where a partner may move a lead from here: forward along the pipeline (steps may be
    /// skipped) or to `lost`. `won` and `converted` come from the CRM.
    pub fn partner_moves(self) -> Vec<LeadStatus> {
        if !self.is_open() {
            return Vec::new();
        }
        let mut moves: Vec<LeadStatus> = [
            LeadStatus::Contacted,
            LeadStatus::Qualified,
            LeadStatus::Proposal,
        ]
        .into_iter()
        .filter(|s| s.rank() > self.rank())
        .collect();
        moves.push(LeadStatus::Lost);
        moves
    }
}

/// Where a lead came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadSource {
    Portal,
    PublicForm,
    Crm,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lead {
    pub id: String,
    pub partner_id: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_interest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_value: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub status: LeadStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<String>,
    pub created_by: String,
    pub source: LeadSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_follow_up_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_contact_at: Option<String>,
    /// When the lead was first contacted (its first call, email or meeting, or its first
    /// status move): set once; the partner's response time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_contact_at: Option<String>,
    /// When it last became won, converted or lost (cleared when it reopens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    /// When its contact was sent the customer survey (once, when the lead was first won).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_sent_at: Option<String>,
    pub protection_expires_at: String,
    /// The normalised values reserved for this lead across partners.
    #[serde(default)]
    pub contact_keys: ContactKeys,
    pub crm_sync: CrmSync,
    #[serde(default)]
    pub search_text: String,
    /// Set while a reassignment moves the lead's history, activities and attachments from
    /// this partner in batches (too many for one transaction); cleared when done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moving_from: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Lead {
    /// Moves the lead to `status` at `at`, stamping when it closed and, for its first move,
    /// when it was first contacted.
    pub fn set_status(&mut self, status: LeadStatus, at: &str) {
        if status == self.status {
            return;
        }
        if self.first_contact_at.is_none() {
            self.first_contact_at = Some(at.to_string());
        }
        self.closed_at = (!status.is_open()).then(|| at.to_string());
        self.status = status;
    }

    /// Whether moving from `before` to this lead is a win that surveys its contact: it was
    /// not won, now is (won or converted), has an email, and was never surveyed.
    pub fn survey_due(&self, before: &Lead) -> bool {
        let won = |s: LeadStatus| matches!(s, LeadStatus::Won | LeadStatus::Converted);
        self.email.is_some()
            && !won(before.status)
            && won(self.status)
            && self.survey_sent_at.is_none()
    }

    /// Stamps the lead surveyed and adds the survey and its email to `tx` (the lead is
    /// written with the stamp in the same transaction).
    pub fn survey<'a>(
        &mut self,
        tx: crate::store::TxBuilder<'a>,
        business_name: &str,
        portal_url: &str,
        now: DateTime<Utc>,
    ) -> crate::store::TxBuilder<'a> {
        let Some(email) = self.email.clone() else {
            return tx;
        };
        self.survey_sent_at = Some(crate::validate::rfc3339(now));
        crate::feedback::issue(
            tx,
            &crate::feedback::SurveyTarget {
                lead_id: &self.id,
                partner_id: &self.partner_id,
                email: &email,
                first_name: &self.first_name,
                business_name,
            },
            portal_url,
            now,
        )
    }

    pub fn searchable(&self) -> String {
        [
            Some(self.first_name.as_str()),
            Some(self.last_name.as_str()),
            self.email.as_deref(),
            self.company.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
    }
}

/// The partition of a partner's leads by status (index `ByState`).
pub fn by_status_partition(partner_id: &str, status: LeadStatus) -> String {
    keys::leads_by_status(partner_id, status.as_str())
}

/// The partition of a partner's open leads by follow-up time (index `Due`).
pub fn follow_up_partition(partner_id: &str) -> String {
    keys::follow_ups(partner_id)
}

impl Lead {
    /// The lead's place on the `Due` index while it is open: by its follow-up time, or,
    /// with no follow-up set, among the partner's idle leads by when it was last touched.
    pub fn due_key(&self) -> Option<Key> {
        if !self.status.is_open() {
            return None;
        }
        Some(match &self.next_follow_up_at {
            Some(due) => Key::new(
                follow_up_partition(&self.partner_id),
                format!("{due}#{}", self.id),
            ),
            None => Key::new(
                keys::idle_leads(&self.partner_id),
                format!("{}#{}", self.updated_at, self.id),
            ),
        })
    }
}

impl Entity for Lead {
    const KIND: &'static str = "lead";

    fn key(&self) -> Key {
        keys::lead(&self.partner_id, &self.id)
    }

    fn index_keys(&self) -> Vec<(Index, Key)> {
        let order = format!("{}#{}", self.created_at, self.id);
        let mut out = vec![
            (
                Index::ByState,
                Key::new(
                    by_status_partition(&self.partner_id, self.status),
                    order.clone(),
                ),
            ),
            // Lead ids are global: operations find a lead without knowing its partner.
            (Index::Lookup, keys::lead_lookup(&self.id)),
            // The lead pool across partners, newest first.
            (Index::Feed, Key::new(keys::LEADS_FEED, order)),
        ];
        if let Some(key) = self.due_key() {
            out.push((Index::Due, key));
        }
        out
    }
}

/// A reservation of one normalised contact value for one partner's lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadGuard {
    pub contact: String,
    pub value: String,
    pub partner_id: String,
    pub lead_id: String,
    /// Epoch seconds; after this the value may be registered by anyone.
    pub protected_until: i64,
}

impl Entity for LeadGuard {
    const KIND: &'static str = "lead_guard";

    fn key(&self) -> Key {
        keys::lead_guard(&self.contact, &self.value)
    }
}

/// One status change, from the portal or the CRM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub id: String,
    pub partner_id: String,
    pub lead_id: String,
    pub from: Option<LeadStatus>,
    pub to: LeadStatus,
    pub at: String,
    pub by: String,
    pub source: LeadSource,
}

impl HistoryEntry {
    /// A status move of `lead` (now with `partner_id`): `from` → `to`, by whom and where.
    pub fn new(
        partner_id: &str,
        lead_id: &str,
        (from, to): (Option<LeadStatus>, LeadStatus),
        by: &str,
        source: LeadSource,
        at: &str,
    ) -> Self {
        Self {
            id: ulid::Ulid::new().to_string(),
            partner_id: partner_id.to_string(),
            lead_id: lead_id.to_string(),
            from,
            to,
            at: at.to_string(),
            by: by.to_string(),
            source,
        }
    }
}

impl Entity for HistoryEntry {
    const KIND: &'static str = "lead_history";

    fn key(&self) -> Key {
        keys::lead_history(&self.partner_id, &self.lead_id, &self.id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityType {
    Call,
    Email,
    Meeting,
    QuoteSent,
    FollowUp,
    Note,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub id: String,
    pub partner_id: String,
    pub lead_id: String,
    #[serde(rename = "type")]
    pub activity_type: ActivityType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_action_at: Option<String>,
    pub by: String,
    pub at: String,
}

impl Entity for Activity {
    const KIND: &'static str = "lead_activity";

    fn key(&self) -> Key {
        keys::lead_activity(&self.partner_id, &self.lead_id, &self.id)
    }
}
