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
    /// Alternate-id lookups (CRM record id → portal id) and whole-collection listings
    /// (every partner, newest first).
    Lookup,
    /// Listings by state across partners (admin directory by status) or within one
    /// (a partner's leads by status), newest first.
    ByState,
    /// Time-ordered sparse work lists (follow-ups coming due, records awaiting CRM sync).
    Due,
    /// Cross-partner feeds in time order for operations (the audit trail, the lead pool).
    Feed,
}

impl Index {
    pub const ALL: [Index; 4] = [Index::Lookup, Index::ByState, Index::Due, Index::Feed];

    pub fn name(self) -> &'static str {
        match self {
            Index::Lookup => "GSI1",
            Index::ByState => "GSI2",
            Index::Due => "GSI3",
            Index::Feed => "GSI4",
        }
    }

    /// Partition and sort attribute names.
    pub fn attributes(self) -> (&'static str, &'static str) {
        match self {
            Index::Lookup => ("GSI1PK", "GSI1SK"),
            Index::ByState => ("GSI2PK", "GSI2SK"),
            Index::Due => ("GSI3PK", "GSI3SK"),
            Index::Feed => ("GSI4PK", "GSI4SK"),
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

/// A partner's profile item.
pub fn partner(partner_id: &str) -> Key {
    Key::new(partner_partition(partner_id), "PROFILE")
}

/// A partner's aggregate counters (dashboards read these instead of counting items).
pub fn partner_counters(partner_id: &str) -> Key {
    Key::new(partner_partition(partner_id), "COUNTERS")
}

/// The partition of internal users.
pub const STAFF_PARTITION: &str = "STAFF";

/// A user: under their partner, or under `STAFF` for internal users.
pub fn user(partner_id: Option<&str>, user_id: &str) -> Key {
    let pk = partner_id
        .map(partner_partition)
        .unwrap_or_else(|| STAFF_PARTITION.to_string());
    Key::new(pk, format!("USER#{user_id}"))
}

/// Sort-key prefix of a partner's users.
pub const USER_PREFIX: &str = "USER#";

/// A login credential, keyed by normalised email: also the email's uniqueness guard.
pub fn credential(email: &str) -> Key {
    Key::new(format!("LOGIN#{email}"), "LOGIN")
}

/// A public-form slug's uniqueness guard, pointing at its partner.
pub fn slug(slug: &str) -> Key {
    Key::new(format!("SLUG#{slug}"), "SLUG")
}

/// A refresh token, keyed by the SHA-256 of its value (the value itself is never stored).
pub fn refresh_token(token_hash: &str) -> Key {
    Key::new(format!("REFRESH#{token_hash}"), "REFRESH")
}

/// A session: one refresh-token family.
pub fn session(session_id: &str) -> Key {
    Key::new(format!("SESSION#{session_id}"), "SESSION")
}

/// An invitation, keyed by the SHA-256 of its token.
pub fn invitation(token_hash: &str) -> Key {
    Key::new(format!("INVITE#{token_hash}"), "INVITE")
}

/// A password reset, keyed by the SHA-256 of its token.
pub fn password_reset(token_hash: &str) -> Key {
    Key::new(format!("RESET#{token_hash}"), "RESET")
}

/// An email-verification link, keyed by the SHA-256 of its token.
pub fn email_verification(token_hash: &str) -> Key {
    Key::new(format!("VERIFY#{token_hash}"), "VERIFY")
}

/// A throttle window for `subject` (an account or a source address) under `scope`.
pub fn throttle(scope: &str, subject: &str) -> Key {
    Key::new(format!("THROTTLE#{scope}#{subject}"), "THROTTLE")
}

/// Sort-key prefix of a partner's audit entries.
pub const AUDIT_PREFIX: &str = "AUDIT#";
/// Every audit entry (index `Feed`), by its ULID.
pub const AUDIT_FEED: &str = "AUDIT";

/// An audit entry of a partner (or of `SYSTEM`), ordered by time.
pub fn audit(partner_id: Option<&str>, entry_id: &str) -> Key {
    let pk = partner_id
        .map(partner_partition)
        .unwrap_or_else(|| "SYSTEM".to_string());
    Key::new(pk, format!("{AUDIT_PREFIX}{entry_id}"))
}

/// An email waiting to be sent (the transactional outbox the email sender drains).
pub fn email_outbox(message_id: &str) -> Key {
    Key::new(format!("OUTBOX#{message_id}"), "EMAIL")
}

/// The `Due` index partition listing unsent emails, oldest first.
pub const PENDING_EMAILS: &str = "OUTBOX#EMAIL";

/// Directory partitions: every partner (on `Lookup`) and partners by status (on `ByState`).
pub const DIRECTORY_ALL: &str = "PARTNERS";
pub const DIRECTORY_PREFIX: &str = "PARTNERS#";

/// The portal-wide aggregates behind the admin directory's hero metrics.
pub fn directory_counters() -> Key {
    Key::new("DIRECTORY", "COUNTERS")
}

/// A KYC document of a partner.
pub fn kyc_document(partner_id: &str, document_id: &str) -> Key {
    Key::new(
        partner_partition(partner_id),
        format!("{KYC_PREFIX}{document_id}"),
    )
}

/// Sort-key prefix of a partner's KYC documents.
pub const KYC_PREFIX: &str = "KYC#";

/// A lead of a partner. Lead-owned items use their own prefixes so a partner's lead list
/// (`LEAD#`) never returns history or activities.
/// A lead found by its id alone (index `Lookup`): lead ids are global.
pub fn lead_lookup(lead_id: &str) -> Key {
    Key::new(format!("LEAD#{lead_id}"), "LEAD")
}

/// The partition of a partner's leads in one status (index `ByState`).
pub fn leads_by_status(partner_id: &str, status: &str) -> String {
    format!("LEADS#{partner_id}#{status}")
}

/// The partition of a partner's open leads by follow-up time (index `Due`).
pub fn follow_ups(partner_id: &str) -> String {
    format!("FOLLOWUP#{partner_id}")
}

pub fn lead(partner_id: &str, lead_id: &str) -> Key {
    Key::new(
        partner_partition(partner_id),
        format!("{LEAD_PREFIX}{lead_id}"),
    )
}

pub const LEAD_PREFIX: &str = "LEAD#";
/// Every lead (index `Feed`), by creation time: the operations lead pool.
pub const LEADS_FEED: &str = "LEADS";

/// A lead's status history, oldest first.
pub fn lead_history(partner_id: &str, lead_id: &str, entry_id: &str) -> Key {
    Key::new(
        partner_partition(partner_id),
        format!("LEADH#{lead_id}#{entry_id}"),
    )
}

pub fn lead_history_prefix(lead_id: &str) -> String {
    format!("LEADH#{lead_id}#")
}

/// A lead's activities.
pub fn lead_activity(partner_id: &str, lead_id: &str, activity_id: &str) -> Key {
    Key::new(
        partner_partition(partner_id),
        format!("LEADA#{lead_id}#{activity_id}"),
    )
}

pub fn lead_activity_prefix(lead_id: &str) -> String {
    format!("LEADA#{lead_id}#")
}

/// A file attached to a lead.
pub fn lead_attachment(partner_id: &str, lead_id: &str, attachment_id: &str) -> Key {
    Key::new(
        partner_partition(partner_id),
        format!("LEADF#{lead_id}#{attachment_id}"),
    )
}

/// Sort-key prefix of a lead's attachments in its partner's partition.
pub fn lead_attachment_prefix(lead_id: &str) -> String {
    format!("LEADF#{lead_id}#")
}

/// The cross-partner reservation of a normalised lead contact value.
pub fn lead_guard(contact: &str, value: &str) -> Key {
    Key::new(format!("LEADGUARD#{contact}#{value}"), "GUARD")
}

/// The shared Zoho access token (one for every instance; refreshed under a lock).
pub fn crm_token() -> Key {
    Key::new("CRM#TOKEN", "ACCESS")
}

/// A CRM event already applied (idempotency record, expires after 30 days).
pub fn crm_event(event_id: &str) -> Key {
    Key::new(format!("CRMEVENT#{event_id}"), "EVENT")
}

/// How far the reconciler has read one Zoho module.
pub fn crm_watermark(module: &str) -> Key {
    Key::new("CRM#WATERMARK", module.to_string())
}

/// A Zoho record id → the portal object it is linked to.
pub fn crm_link(module: &str, crm_id: &str) -> Key {
    Key::new(format!("CRMID#{module}#{crm_id}"), "LINK")
}

/// A CRM outbox item: one change waiting to be pushed to Zoho.
pub fn crm_outbox(outbox_id: &str) -> Key {
    Key::new(format!("OUTBOX#{outbox_id}"), "CRM")
}

/// The `Due` index partition listing CRM outbox items, oldest first.
pub const PENDING_CRM: &str = "OUTBOX#CRM";

/// A commission ledger line of a partner.
pub fn commission_line(partner_id: &str, line_id: &str) -> Key {
    Key::new(
        partner_partition(partner_id),
        format!("{COMMISSION_PREFIX}{line_id}"),
    )
}

/// Sort-key prefix of a partner's commission lines (ids are ULIDs: newest last).
pub const COMMISSION_PREFIX: &str = "COMMISSION#";

/// Every commission line across partners (index `Lookup`), by creation time.
pub const COMMISSIONS_ALL: &str = "COMMISSIONS";

/// Commission lines across partners in one status (index `ByState`), by creation time.
pub fn commissions_by_status(status: &str) -> String {
    format!("COMMISSIONS#{status}")
}

/// A partner's approved lines of one currency that no payout holds (index `Due`).
pub fn payable(partner_id: &str, currency: &str) -> String {
    format!("PAYABLE#{partner_id}#{currency}")
}

/// A partner's per-currency ledger totals (the summary reads this one item).
pub fn commission_totals(partner_id: &str) -> Key {
    Key::new(partner_partition(partner_id), "COMMISSION_TOTALS")
}

/// A payout of a partner.
pub fn payout(partner_id: &str, payout_id: &str) -> Key {
    Key::new(
        partner_partition(partner_id),
        format!("{PAYOUT_PREFIX}{payout_id}"),
    )
}

/// Sort-key prefix of a partner's payouts.
pub const PAYOUT_PREFIX: &str = "PAYOUT#";

/// Every payout across partners (index `Lookup`), by creation time.
pub const PAYOUTS_ALL: &str = "PAYOUTS";

/// Payouts across partners in one status (index `ByState`), by creation time.
pub fn payouts_by_status(status: &str) -> String {
    format!("PAYOUTS#{status}")
}

/// The accrual guard of a lead: one commission accrual per won lead.
pub fn accrual(lead_id: &str) -> Key {
    Key::new(format!("ACCRUAL#{lead_id}"), "ACCRUAL")
}

/// Where an object known by its id alone lives (its partner).
pub fn locator(entity: &str, id: &str) -> Key {
    Key::new(format!("LOCATE#{entity}#{id}"), "LOCATE")
}

/// A request made with an `Idempotency-Key` under `scope` (a route).
pub fn idempotency(scope: &str, key: &str) -> Key {
    Key::new(format!("IDEMPOTENCY#{scope}#{key}"), "IDEMPOTENCY")
}

/// A resource (sales material).
pub fn resource(resource_id: &str) -> Key {
    Key::new(format!("RESOURCE#{resource_id}"), "RESOURCE")
}

/// Every resource (index `Lookup`), by creation time.
pub const RESOURCES_ALL: &str = "RESOURCES";

/// Resources in one status (index `ByState`), by creation time.
pub fn resources_by_status(status: &str) -> String {
    format!("RESOURCES#{status}")
}

/// The facet counts of published resources (categories and tags by minimum tier).
pub fn resource_facets() -> Key {
    Key::new("RESOURCES", "FACETS")
}

/// Resources imported from a CMS collection (index `Due`), by the CMS document id.
pub fn resources_source(system: &str, collection: &str) -> String {
    format!("RESOURCES_SOURCE#{system}#{collection}")
}

/// Where an import from a CMS collection stands (watermark, page, last run).
pub fn resource_import(system: &str, collection: &str) -> Key {
    Key::new("RESOURCES", format!("IMPORT#{system}#{collection}"))
}

/// That a partner downloaded a resource on `day` (or `ever`).
pub fn resource_download(resource_id: &str, partner_id: &str, day: &str) -> Key {
    Key::new(
        format!("RESOURCE#{resource_id}"),
        format!("DOWNLOAD#{partner_id}#{day}"),
    )
}

/// The training resources a user completed (a string set `resource_ids`).
pub fn completions(partner_id: &str, user_id: &str) -> Key {
    Key::new(
        partner_partition(partner_id),
        format!("COMPLETIONS#{user_id}"),
    )
}

/// An internal task (operations), by id.
pub fn task(task_id: &str) -> Key {
    Key::new(format!("TASK#{task_id}"), "TASK")
}

/// A partner's tasks (index `Lookup`), by creation time.
pub fn partner_tasks(partner_id: &str) -> String {
    format!("TASKS_OF#{partner_id}")
}

/// Tasks of one assignee (`None`: unassigned) in one state (`open` or `done`), by due date
/// (index `ByState`).
pub fn tasks_of_assignee(assignee_id: Option<&str>, state: &str) -> String {
    format!("TASKS#{}#{state}", assignee_id.unwrap_or("unassigned"))
}

/// Every task in one state (`open` or `done`), by due date (index `Due`).
pub fn tasks_by_due(state: &str) -> String {
    format!("TASKS#{state}")
}

/// An internal document (operations), by id.
pub fn internal_document(document_id: &str) -> Key {
    Key::new(format!("IDOC#{document_id}"), "IDOC")
}

/// A partner's internal documents (index `Lookup`), by creation time.
pub fn partner_documents(partner_id: &str) -> String {
    format!("IDOCS_OF#{partner_id}")
}

/// A partner's counters for one calendar quarter (`2026-Q3`): leads created, won and lost,
/// first-contact latencies, commission earned.
/// A partner's counters of one ISO week (`2026-W48`): leads created, won, lost.
pub fn partner_week(partner_id: &str, week: &str) -> Key {
    Key::new(partner_partition(partner_id), format!("WEEK#{week}"))
}

pub fn partner_quarter(partner_id: &str, quarter: &str) -> Key {
    Key::new(partner_partition(partner_id), format!("QUARTER#{quarter}"))
}

/// The partition of a partner's open leads with no follow-up set, by when they were last
/// touched (index `Due`): the oldest first are the untouched ones.
pub fn idle_leads(partner_id: &str) -> String {
    format!("IDLE#{partner_id}")
}

/// A partner's latest performance score, with its rank (written by the nightly job).
pub fn partner_score(partner_id: &str) -> Key {
    Key::new(partner_partition(partner_id), "SCORE")
}

/// A partner's score snapshot of one day (`2026-11-29`).
pub fn score_snapshot(partner_id: &str, date: &str) -> Key {
    Key::new(partner_partition(partner_id), format!("SCORE#{date}"))
}

/// The partition of one day's score snapshots, best first (index `ByState`).
pub fn scores_of_day(date: &str) -> String {
    format!("SCORES#{date}")
}

/// The partition of portal-wide insight items.
pub const INSIGHT_PARTITION: &str = "INSIGHT";

/// The approved partners' benchmark distributions (written by the nightly job).
pub fn benchmarks() -> Key {
    Key::new(INSIGHT_PARTITION, "BENCHMARKS")
}

/// The portal-wide figures of the admin analytics (written by the nightly job).
pub fn portal_figures() -> Key {
    Key::new(INSIGHT_PARTITION, "PORTAL")
}

/// The nightly job's progress on one day.
pub fn nightly_run(date: &str) -> Key {
    Key::new(INSIGHT_PARTITION, format!("NIGHTLY#{date}"))
}

/// The backfill's progress.
pub fn backfill_run() -> Key {
    Key::new(INSIGHT_PARTITION, "BACKFILL")
}

/// A customer survey, by its token's hash.
pub fn survey(token_hash: &str) -> Key {
    Key::new(format!("SURVEY#{token_hash}"), "SURVEY")
}

/// Sort-key prefix of a partner's customer feedback (ids are ULIDs: newest last).
pub const FEEDBACK_PREFIX: &str = "FEEDBACK#";

/// One customer answer to a partner's survey.
pub fn feedback(partner_id: &str, feedback_id: &str) -> Key {
    Key::new(
        partner_partition(partner_id),
        format!("{FEEDBACK_PREFIX}{feedback_id}"),
    )
}

/// The email preferences of an address (by its hash).
pub fn email_preferences(email_hash: &str) -> Key {
    Key::new(format!("EMAILPREFS#{email_hash}"), "EMAILPREFS")
}
