//! The partner lifecycle as operations drive it: decisions (approve, reject, suspend,
//! reinstate) one at a time or in bulk.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::PartnerError;
use super::{KycStatus, Partner, PartnerStatus};
use crate::audit::AuditEntry;
use crate::auth::Principal;
use crate::fault::{FieldError, Invalid};
use crate::notifications::{EmailKind, OutboxEmail};
use crate::store::{Store, TxBuilder, keys};

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
) -> Result<PartnerStatus, PartnerError> {
    use PartnerStatus::*;
    let next = match (decision, current) {
        (Decision::Approve, Pending | UnderReview) => Approved,
        (Decision::Reject, Pending | UnderReview) => Rejected,
        (Decision::Suspend, Approved) => Suspended,
        (Decision::Reinstate, Suspended) => Approved,
        (Decision::Reinstate, Rejected) => UnderReview,
        _ => {
            return Err(PartnerError::InvalidTransition {
                from: current.as_str(),
                decision,
            });
        }
    };
    if next == Approved && kyc != KycStatus::Verified {
        return Err(PartnerError::KycNotVerified);
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
) -> Result<Partner, PartnerError> {
    let partner: Partner = store
        .get(&keys::partner(partner_id))
        .await?
        .ok_or(PartnerError::NotFound("partner"))?;
    apply_decision(store, admin, partner, req, now).await
}

/// A decision on a partner already read (the bulk path reads each partner once).
async fn apply_decision(
    store: &Store,
    admin: &Principal,
    partner: Partner,
    req: DecisionRequest,
    now: DateTime<Utc>,
) -> Result<Partner, PartnerError> {
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
        return Err(Invalid(e).into());
    }
    let status = transition(partner.status, partner.kyc_status, req.decision)?;
    let at = crate::validate::rfc3339(now);
    let mut next = Partner {
        version: partner.version + 1,
        ..partner.clone()
    };
    let tx = change_status(
        store.tx(),
        &partner,
        &mut next,
        status,
        reason,
        Actor::Staff(&admin.user_id),
        now,
    )
    .replace(&next, partner.version)
    .insert(&crate::outbox::CrmOutbox::new(
        crate::outbox::OutboxEntity::Partner,
        &partner.id,
        &partner.id,
        crate::outbox::OutboxOperation::Status,
        &at,
    ));
    store.commit(tx.build()).await?;
    Ok(next)
}

/// Who moved a partner to another status.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// An operations user (their user id), through the lifecycle rules of [`transition`].
    Staff(&'a str),
    /// Zoho CRM (the record id): the CRM is authoritative for what operations decide
    /// there, so its status is applied as it is, without the portal's lifecycle rules.
    Crm(&'a str),
}

/// The one way a partner's status changes, whoever changes it: sets the status, reason and
/// time on `next` (a copy of `partner` the caller writes), ends every session of the
/// partner's users when it is suspended or rejected, and adds to `tx` the active-partner
/// count, the audit entry and the decision email.
pub fn change_status<'a>(
    tx: TxBuilder<'a>,
    partner: &Partner,
    next: &mut Partner,
    status: PartnerStatus,
    reason: Option<String>,
    actor: Actor<'_>,
    now: DateTime<Utc>,
) -> TxBuilder<'a> {
    let at = crate::validate::rfc3339(now);
    let closes = matches!(status, PartnerStatus::Rejected | PartnerStatus::Suspended);
    next.status = status;
    next.status_reason = if closes { reason } else { None };
    next.updated_at = at.clone();
    if closes {
        next.sessions_valid_after = crate::auth::session_cut_off(now);
    }
    let active = |s: PartnerStatus| (s == PartnerStatus::Approved) as i64;
    let delta = active(status) - active(partner.status);
    let (who, action, extra) = match actor {
        Actor::Staff(user_id) => (user_id, "partner.decision", serde_json::Value::Null),
        Actor::Crm(crm_id) => ("crm", "partner.status_from_crm", serde_json::json!(crm_id)),
    };
    let mut after = serde_json::json!({"status": status, "reason": next.status_reason});
    if !extra.is_null() {
        after["crm_id"] = extra;
    }
    let audit = AuditEntry::new(
        Some(&partner.id),
        who,
        action,
        format!("partner:{}", partner.id),
        &at,
    )
    .change(serde_json::json!({"status": partner.status}), after);
    let mail = OutboxEmail::new(
        &partner.email,
        EmailKind::PartnerDecision {
            business_name: partner.business_name.clone(),
            decision: decision_word(status).into(),
            reason: next.status_reason.clone(),
        },
        &at,
    );
    let mut tx = tx.insert(&audit).insert(&mail);
    if delta != 0 {
        tx = tx.add(
            &keys::directory_counters(),
            "directory_counters",
            &[("active_partners", delta)],
        );
    }
    tx
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
) -> Result<Vec<BulkResult>, PartnerError> {
    if req.partner_ids.is_empty() || req.partner_ids.len() > 100 {
        return Err(Invalid::field("/partner_ids", "must list 1 to 100 partner ids").into());
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
            (None, _) => Err(PartnerError::NotFound("partner")),
            (_, None) => Err(PartnerError::NotMovableInBulk),
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
                problem: Some(crate::http::Problem::from(problem).body(request_id)),
            },
        });
    }
    Ok(results)
}
