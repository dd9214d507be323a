//! Operations on partners: the directory, the full record, decisions and bulk changes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::profile::PartnerView;
use super::{KycStatus, Partner, PartnerStatus};
use crate::audit::AuditEntry;
use crate::http::{FieldError, Problem};
use crate::identity::Principal;
use crate::identity::model::User;
use crate::identity::service::UserView;
use crate::kyc::{DocumentView, KycDocument};
use crate::notifications::{EmailKind, OutboxEmail};
use crate::store::{Filter, Index, Page, Query, Store, StoreError, keys};

/// Directory filters (`GET /v1/admin/partners`).
#[derive(Debug, Default, Clone)]
pub struct DirectoryFilters {
    pub status: Option<PartnerStatus>,
    pub kyc_status: Option<KycStatus>,
    pub tier: Option<String>,
    pub region: Option<String>,
    pub q: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, Default)]
pub struct DirectoryCounters {
    #[serde(default)]
    pub active_partners: i64,
    #[serde(default)]
    pub pipeline_value_minor: i64,
    #[serde(default)]
    pub commission_owed_minor: i64,
}

#[derive(Debug, Serialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: &'static str,
}

#[derive(Debug, Serialize)]
pub struct HeroMetrics {
    pub active_partners: i64,
    pub pipeline_value: Money,
    pub commission_owed: Money,
}

#[derive(Debug, Serialize)]
pub struct Directory {
    pub items: Vec<PartnerView>,
    pub next_cursor: Option<String>,
    pub metrics: HeroMetrics,
}

/// The portal's reporting currency for the hero metrics.
pub const CURRENCY: &str = "ZAR";

/// One Query page on the directory index (by status when filtered, else all partners,
/// newest first) plus one read of the maintained hero metrics. Other filters run
/// server-side on the page read: a page may hold fewer than `limit` matches.
pub async fn directory(
    store: &Store,
    filters: &DirectoryFilters,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Directory, Problem> {
    let (index, partition) = match filters.status {
        Some(s) => (
            Index::ByState,
            format!("{}{}", keys::DIRECTORY_PREFIX, s.as_str()),
        ),
        None => (Index::Lookup, keys::DIRECTORY_ALL.to_string()),
    };
    let mut filter = Filter::new();
    if let Some(k) = filters.kyc_status {
        filter = filter.eq(
            &["kyc_status"],
            serde_json::to_value(k)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .as_deref()
                .unwrap_or(""),
        );
    }
    if let Some(t) = &filters.tier {
        filter = filter.eq(&["tier"], t);
    }
    if let Some(r) = &filters.region {
        filter = filter.contains_any(&[&["regions"], &["address", "province"]], r);
    }
    if let Some(q) = &filters.q {
        filter = filter.contains_any(&[&["search_text"]], &q.to_lowercase());
    }
    let query = Query::partition(Some(index), partition, limit)
        .newest_first()
        .filter(filter);
    let page: Page<Partner> = store.query(&query, cursor).await?;
    let counters: DirectoryCounters = store
        .get(&keys::directory_counters())
        .await?
        .unwrap_or_default();
    Ok(Directory {
        items: page.items.iter().map(PartnerView::from).collect(),
        next_cursor: page.next_cursor,
        metrics: HeroMetrics {
            active_partners: counters.active_partners,
            pipeline_value: Money {
                amount_minor: counters.pipeline_value_minor,
                currency: CURRENCY,
            },
            commission_owed: Money {
                amount_minor: counters.commission_owed_minor,
                currency: CURRENCY,
            },
        },
    })
}

/// Everything about one partner for operations.
#[derive(Debug, Serialize)]
pub struct PartnerRecord {
    pub partner: PartnerView,
    pub version: u64,
    pub documents: Vec<DocumentView>,
    pub users: Vec<UserView>,
    pub activity: Vec<AuditEntry>,
}

/// The partner's whole partition in one Query (profile, users, documents, audit trail).
pub async fn record(store: &Store, partner_id: &str) -> Result<PartnerRecord, Problem> {
    let mut partner = None;
    let (mut documents, mut users, mut activity) = (Vec::new(), Vec::new(), Vec::new());
    let q = Query::partition(None, keys::partner_partition(partner_id), 500);
    let items: Vec<std::collections::HashMap<String, Value>> = store.query_all(&q).await?;
    for item in items {
        let kind = item
            .get(keys::KIND)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let value = Value::Object(item.into_iter().collect());
        match kind.as_str() {
            "partner" => partner = Some(parse_item::<Partner>(value)?),
            "kyc_document" => {
                documents.push(DocumentView::from(&parse_item::<KycDocument>(value)?))
            }
            "user" => users.push(UserView::from(&parse_item::<User>(value)?)),
            "audit" => activity.push(parse_item::<AuditEntry>(value)?),
            _ => {}
        }
    }
    let partner: Partner = partner.ok_or_else(|| Problem::not_found("partner"))?;
    activity.reverse();
    activity.truncate(100);
    Ok(PartnerRecord {
        version: partner.version,
        partner: PartnerView::from(&partner),
        documents,
        users,
        activity,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
    Suspend,
    Reinstate,
}

/// `POST /v1/admin/partners/{partner_id}/decision`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub decision: Decision,
    #[serde(default)]
    pub reason: Option<String>,
}

/// The partner lifecycle: which decision may follow which status.
pub fn transition(
    current: PartnerStatus,
    kyc: KycStatus,
    decision: Decision,
) -> Result<PartnerStatus, Problem> {
    use PartnerStatus::*;
    let next = match (decision, current) {
        (Decision::Approve, Pending | UnderReview) => Approved,
        (Decision::Reject, Pending | UnderReview) => Rejected,
        (Decision::Suspend, Approved) => Suspended,
        (Decision::Reinstate, Suspended) => Approved,
        (Decision::Reinstate, Rejected) => UnderReview,
        _ => {
            return Err(Problem::conflict(
                "invalid_transition",
                format!(
                    "A {} partner cannot be given the decision {:?}.",
                    current.as_str(),
                    decision
                ),
            ));
        }
    };
    if next == Approved && kyc != KycStatus::Verified {
        return Err(Problem::conflict(
            "kyc_not_verified",
            "Approval needs every required KYC document approved.",
        ));
    }
    Ok(next)
}

/// How the partner's email words a new status.
pub fn decision_word(status: PartnerStatus) -> &'static str {
    match status {
        PartnerStatus::Approved => "approved",
        PartnerStatus::Rejected => "rejected",
        PartnerStatus::Suspended => "suspended",
        PartnerStatus::UnderReview => "reopened for review",
        PartnerStatus::Pending => "reset",
    }
}

/// Applies a decision: the partner, the active-partner count, an audit entry and the
/// owner's email, in one transaction conditional on the partner's version.
pub async fn decide(
    store: &Store,
    admin: &Principal,
    partner_id: &str,
    req: DecisionRequest,
    now: DateTime<Utc>,
) -> Result<Partner, Problem> {
    let partner: Partner = store
        .get(&keys::partner(partner_id))
        .await?
        .ok_or_else(|| Problem::not_found("partner"))?;
    apply_decision(store, admin, partner, req, now).await
}

/// A decision on a partner already read (the bulk path reads each partner once).
async fn apply_decision(
    store: &Store,
    admin: &Principal,
    partner: Partner,
    req: DecisionRequest,
    now: DateTime<Utc>,
) -> Result<Partner, Problem> {
    let mut e = Vec::new();
    let reason = crate::validate::optional(&mut e, "/reason", &req.reason, 500);
    if matches!(req.decision, Decision::Reject | Decision::Suspend)
        && reason.is_none()
        && e.is_empty()
    {
        e.push(FieldError::new(
            "/reason",
            "is required to reject or suspend",
        ));
    }
    if !e.is_empty() {
        return Err(Problem::validation(e));
    }
    let partner_id = partner.id.clone();
    let partner_id = partner_id.as_str();
    let status = transition(partner.status, partner.kyc_status, req.decision)?;
    let at = crate::validate::rfc3339(now);
    let next = Partner {
        status,
        status_reason: reason.clone(),
        updated_at: at.clone(),
        version: partner.version + 1,
        ..partner.clone()
    };
    let active = |s: PartnerStatus| (s == PartnerStatus::Approved) as i64;
    let delta = active(status) - active(partner.status);
    let audit = AuditEntry::new(
        Some(partner_id),
        &admin.user_id,
        "partner.decision",
        format!("partner:{partner_id}"),
        &at,
    )
    .change(
        serde_json::json!({"status": partner.status}),
        serde_json::json!({"status": status, "reason": reason}),
    );
    let word = decision_word(status);
    let mail = OutboxEmail::new(
        &partner.email,
        EmailKind::PartnerDecision {
            business_name: partner.business_name.clone(),
            decision: word.into(),
            reason,
        },
        &at,
    );
    let mut tx = store
        .tx()
        .replace(&next, partner.version)
        .insert(&audit)
        .insert(&mail)
        .insert(&crate::leads::CrmOutbox::new(
            "partner", partner_id, partner_id, "status", &at,
        ));
    if delta != 0 {
        tx = tx.add(
            &keys::directory_counters(),
            "directory_counters",
            &[("active_partners", delta)],
        );
    }
    store.commit(tx.build()).await?;
    Ok(next)
}

/// `POST /v1/admin/partners/bulk-status`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    pub partner_ids: Vec<String>,
    pub status: PartnerStatus,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct BulkResult {
    pub partner_id: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<PartnerStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Value>,
}

/// Moves up to 100 partners to `status`, each as its own decision (so one failure never
/// blocks the rest); answers per id.
pub async fn bulk_status(
    store: &Store,
    admin: &Principal,
    req: BulkRequest,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<BulkResult>, Problem> {
    if req.partner_ids.is_empty() || req.partner_ids.len() > 100 {
        return Err(Problem::validation(vec![FieldError::new(
            "/partner_ids",
            "must list 1 to 100 partner ids",
        )]));
    }
    let mut results = Vec::new();
    for id in &req.partner_ids {
        let current: Option<Partner> = store.get(&keys::partner(id)).await?;
        let decision = match (req.status, current.as_ref().map(|p| p.status)) {
            (PartnerStatus::Approved, Some(PartnerStatus::Suspended)) => Some(Decision::Reinstate),
            (PartnerStatus::Approved, _) => Some(Decision::Approve),
            (PartnerStatus::Rejected, _) => Some(Decision::Reject),
            (PartnerStatus::Suspended, _) => Some(Decision::Suspend),
            (PartnerStatus::UnderReview, Some(PartnerStatus::Rejected)) => {
                Some(Decision::Reinstate)
            }
            _ => None,
        };
        let outcome = match (current, decision) {
            (None, _) => Err(Problem::not_found("partner")),
            (_, None) => Err(Problem::conflict(
                "invalid_transition",
                "Partners cannot be moved to this status in bulk.",
            )),
            (Some(partner), Some(decision)) => {
                apply_decision(
                    store,
                    admin,
                    partner,
                    DecisionRequest {
                        decision,
                        reason: req.reason.clone(),
                    },
                    now,
                )
                .await
            }
        };
        results.push(match outcome {
            Ok(p) => BulkResult {
                partner_id: id.clone(),
                ok: true,
                status: Some(p.status),
                problem: None,
            },
            Err(problem) => BulkResult {
                partner_id: id.clone(),
                ok: false,
                status: None,
                problem: Some(problem.body(request_id)),
            },
        });
    }
    Ok(results)
}

fn parse_item<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, Problem> {
    serde_json::from_value(value).map_err(|e| Problem::internal(StoreError::Mapping(e.to_string())))
}
