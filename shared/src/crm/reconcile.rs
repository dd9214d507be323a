//! The reconciler (every 15 minutes) and the admin replay.
//!
//! Zoho does not retry webhooks, so the reconciler reads every record modified since the
//! module's watermark (`If-Modified-Since`, oldest first, all pages) and applies it like
//! the inbound worker does (the same newer-than check makes this idempotent), then pushes
//! outbox items that Zoho's unavailability left `failed` (and queued items older than
//! `min_age`, in case their stream event was lost).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::inbound::{self, InboundError};
use super::webhook::{EventKind, QueuedEvent};
use super::{Crm, CrmSettings, outbound};
use crate::fault::{Fault, FieldError, Invalid, Kind};
use crate::outbox::{CrmOutbox, OutboxState};
use crate::queue::Queue;
use crate::store::{Entity, Index, Key, Patch, Query, Store, StoreError, keys};
use crate::validate::rfc3339;

/// How far the reconciler has read a module.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Watermark {
    pub module: String,
    /// The newest `Modified_Time` applied.
    pub modified_time: String,
    pub updated_at: String,
}

impl Entity for Watermark {
    const KIND: &'static str = "crm_watermark";

    fn key(&self) -> Key {
        keys::crm_watermark(&self.module)
    }
}

/// Reads overlap the watermark by this much (clock skew, same-second changes); applying a
/// record twice has no effect.
const OVERLAP_SECS: i64 = 300;

#[derive(Debug, Default, Clone, Serialize)]
pub struct Report {
    /// Records read from Zoho.
    pub pulled: usize,
    /// Records that changed something in the portal.
    pub applied: usize,
    /// Records that could not be applied (retried next run).
    pub deferred: usize,
    /// Outbox items pushed again.
    pub repushed: usize,
    /// Of those, still not pushed.
    pub push_failures: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Zoho(#[from] super::zoho::ZohoError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One reconciliation run.
pub async fn run(
    crm: &Crm,
    now: DateTime<Utc>,
    min_age: Duration,
) -> Result<Report, ReconcileError> {
    let mut report = Report::default();
    let m = &crm.settings.modules;
    for module in [m.partners.clone(), m.leads.clone(), m.commissions.clone()] {
        pull(crm, &module, now, &mut report).await?;
    }
    let items: Vec<CrmOutbox> = crm
        .store
        .query_up_to(&Query::partition(Some(Index::Due), keys::PENDING_CRM, 200))
        .await?;
    let cutoff = rfc3339(now - min_age);
    for item in items {
        let due = item.state == OutboxState::Failed
            || (item.state == OutboxState::Queued && item.created_at <= cutoff);
        if !due {
            continue;
        }
        report.repushed += 1;
        let outcome = Box::pin(outbound::process(crm, &item.id, now)).await?;
        if matches!(outcome, "will_retry" | "gave_up") {
            report.push_failures += 1;
        }
    }
    tracing::info!(?report, "CRM reconciliation finished");
    Ok(report)
}

async fn pull(
    crm: &Crm,
    module: &str,
    now: DateTime<Utc>,
    report: &mut Report,
) -> Result<(), ReconcileError> {
    let mark: Option<Watermark> = crm.store.get(&keys::crm_watermark(module)).await?;
    let since = mark
        .as_ref()
        .and_then(|w| super::zoho::parse_time(&w.modified_time))
        .map(|t| t - Duration::seconds(OVERLAP_SECS))
        .map(|t| t.to_rfc3339())
        .unwrap_or_else(|| "2000-01-01T00:00:00+00:00".to_string());
    let mut newest = mark.map(|w| w.modified_time);
    // The watermark may not pass a record that could not be applied.
    let mut blocked_at: Option<String> = None;
    let mut page_token: Option<String> = None;
    loop {
        let page = crm
            .zoho
            .modified_since(
                module,
                &crm.settings.read_fields(module),
                &since,
                page_token.as_deref(),
            )
            .await?;
        for record in &page.records {
            report.pulled += 1;
            let source = format!(
                "reconcile:{module}:{}",
                inbound::text(record, "id").unwrap_or_default()
            );
            let modified = inbound::text(record, "Modified_Time");
            match Box::pin(inbound::apply_record(crm, module, record, &source, now)).await {
                Ok(outcome) => {
                    if !matches!(
                        outcome,
                        "unchanged"
                            | "stale"
                            | "duplicate"
                            | "ignored_no_partner"
                            | "ignored_unknown_partner"
                            | "ignored_partner_not_approved"
                    ) {
                        report.applied += 1;
                    }
                }
                Err(InboundError::Poison(reason)) => {
                    tracing::warn!(module, reason = %reason, "CRM record skipped by the reconciler");
                }
                Err(InboundError::Retry(reason)) => {
                    report.deferred += 1;
                    tracing::warn!(module, reason = %reason, "CRM record deferred to the next run");
                    if let Some(m) = &modified
                        && blocked_at.as_ref().is_none_or(|b| m < b)
                    {
                        blocked_at = Some(m.clone());
                    }
                }
            }
            if let Some(m) = modified
                && newer(&m, newest.as_deref())
            {
                newest = Some(m);
            }
        }
        // Saved after every page (records come oldest first), so a run cut short by its
        // time limit resumes where it stopped instead of starting over.
        let mark = blocked_at.clone().or_else(|| newest.clone());
        if let Some(modified_time) = mark {
            let tx = crm
                .store
                .tx()
                .put(&Watermark {
                    module: module.to_string(),
                    modified_time,
                    updated_at: rfc3339(now),
                })
                .build();
            crm.store.commit(tx).await?;
        }
        match page.next_page_token {
            Some(t) => page_token = Some(t),
            None => break,
        }
    }
    Ok(())
}

fn newer(a: &str, b: Option<&str>) -> bool {
    match (
        super::zoho::parse_time(a),
        b.and_then(super::zoho::parse_time),
    ) {
        (Some(a), Some(b)) => a > b,
        (Some(_), None) => true,
        _ => false,
    }
}

// ------------------------------------------------------------------ replay

/// `POST /v1/admin/crm/replay`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// Zoho records to read again (queued for the inbound worker).
    #[serde(default)]
    pub records: Vec<RecordRef>,
    /// Also push again every outbox item whose push failed, gave up or was refused.
    #[serde(default)]
    pub failed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordRef {
    pub module: String,
    pub id: String,
}

#[derive(Debug, Serialize)]
pub struct ReplayResult {
    pub requeued_records: usize,
    pub repushed: usize,
}

/// Why a replay was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Queue(#[from] crate::queue::QueueError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Fault for ReplayError {
    fn kind(&self) -> Kind {
        match self {
            ReplayError::Invalid(e) => e.kind(),
            ReplayError::Queue(e) => e.kind(),
            ReplayError::Store(e) => e.kind(),
        }
    }
    fn code(&self) -> &'static str {
        match self {
            ReplayError::Invalid(e) => e.code(),
            ReplayError::Queue(e) => e.code(),
            ReplayError::Store(e) => e.code(),
        }
    }
    fn fields(&self) -> Vec<FieldError> {
        match self {
            ReplayError::Invalid(e) => e.fields(),
            _ => Vec::new(),
        }
    }
}

/// Queues the named records for the inbound worker and re-queues failed outbox items
/// (setting them `queued` hands them to the outbound worker through the table stream).
pub async fn replay(
    store: &Store,
    queue: &Queue,
    settings: &CrmSettings,
    req: ReplayRequest,
    now: DateTime<Utc>,
) -> Result<ReplayResult, ReplayError> {
    let mut e = Vec::new();
    if req.records.is_empty() && !req.failed {
        e.push(FieldError::new(
            "/records",
            "name records to re-read, or set failed: true",
        ));
    }
    if req.records.len() > 100 {
        e.push(FieldError::new("/records", "at most 100 records at a time"));
    }
    let m = &settings.modules;
    let mut events = Vec::new();
    for (i, r) in req.records.iter().enumerate() {
        let kind = if r.module == m.leads {
            Some(EventKind::Lead)
        } else if r.module == m.partners {
            Some(EventKind::Partner)
        } else if r.module == m.commissions {
            Some(EventKind::Commission)
        } else {
            None
        };
        let Some(kind) = kind else {
            e.push(FieldError::new(
                format!("/records/{i}/module"),
                format!(
                    "must be one of {}, {}, {}",
                    m.leads, m.partners, m.commissions
                ),
            ));
            continue;
        };
        if r.id.is_empty() || r.id.len() > 64 || !r.id.chars().all(|c| c.is_ascii_alphanumeric()) {
            e.push(FieldError::new(
                format!("/records/{i}/id"),
                "must be a Zoho record id",
            ));
            continue;
        }
        let at = rfc3339(now);
        events.push(QueuedEvent {
            kind,
            module: r.module.clone(),
            record_id: r.id.clone(),
            payload: json!({"event": "replay", "module": r.module, "id": r.id, "requested_at": at}),
            received_at: at,
        });
    }
    if !e.is_empty() {
        return Err(Invalid(e).into());
    }
    super::webhook::enqueue(queue, &events)
        .await
        .map_err(|e| match e {
            super::webhook::WebhookError::Queue(q) => ReplayError::Queue(q),
            other => ReplayError::Queue(crate::queue::QueueError::Sqs(other.to_string())),
        })?;
    let mut repushed = 0;
    if req.failed {
        let items: Vec<CrmOutbox> = store
            .query_up_to(&Query::partition(Some(Index::Due), keys::PENDING_CRM, 200))
            .await?;
        for item in items.iter().filter(|i| i.state != OutboxState::Queued) {
            store
                .apply(
                    Patch::new(&keys::crm_outbox(&item.id))
                        .set("state", OutboxState::Queued)
                        .set("attempts", 0)
                        .require_exists(),
                )
                .await
                .or_else(|e| match e {
                    StoreError::Condition(_) => Ok(()),
                    other => Err(other),
                })?;
            repushed += 1;
        }
    }
    Ok(ReplayResult {
        requeued_records: events.len(),
        repushed,
    })
}
