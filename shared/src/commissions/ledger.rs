//! Writing the ledger: the one way a line is recorded (line, history, totals, audit, CRM
//! outbox in one transaction), lines operations create, and status moves.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::{CommissionLine, IdempotencyRecord, LineKind, LineSource, Locator, Step};
use super::status::{LineAction, LineStatus};
use super::{CommissionError, totals};
use crate::audit::AuditEntry;
use crate::fault::{FieldError, Invalid};
use crate::money::{Money, commission};
use crate::notifications::{EmailKind, OutboxEmail};
use crate::outbox::{CrmOutbox, CrmSync, OutboxEntity, OutboxOperation};
use crate::partners::Partner;
use crate::store::{Failure, Store, StoreError, TxBuilder, keys};
use crate::validate::{optional, required, rfc3339};

/// The entity name of lines in locators, audit targets and CRM outbox items.
pub const LINE: &str = "commission";

/// Who the CRM outbox pushes a change to (portal changes are pushed; changes Zoho made are
/// not echoed back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    Crm,
    No,
}

/// Records a line change in `tx`: the line (new, or conditional on `before`'s version),
/// the partner's totals and the portal-wide counters, an audit entry and, for portal
/// changes, a CRM outbox item. A new line also gets its locator.
pub fn record<'a>(
    mut tx: TxBuilder<'a>,
    before: Option<&CommissionLine>,
    after: &CommissionLine,
    actor: &str,
    action: &str,
    push: Push,
) -> TxBuilder<'a> {
    let at = &after.updated_at;
    tx = match before {
        Some(b) => tx.replace(after, b.version),
        None => tx.insert(after).insert(&Locator {
            entity: LINE.into(),
            id: after.id.clone(),
            partner_id: after.partner_id.clone(),
        }),
    };
    tx = totals::apply(tx, before, after);
    let view = |l: &CommissionLine| serde_json::json!({"status": l.status, "amount": l.amount, "payout_id": l.payout_id});
    tx = tx.insert(
        &AuditEntry::new(
            Some(&after.partner_id),
            actor,
            action,
            format!("{LINE}:{}", after.id),
            at,
        )
        .change(
            before.map(view).unwrap_or(serde_json::Value::Null),
            view(after),
        ),
    );
    if push == Push::Crm {
        let operation = if before.is_none() {
            OutboxOperation::Create
        } else {
            OutboxOperation::Status
        };
        tx = tx.insert(&CrmOutbox::new(
            OutboxEntity::Commission,
            &after.id,
            &after.partner_id,
            operation,
            at,
        ));
    }
    tx
}

/// A new line as the ledger's constructor writes it (pending, with its creation step).
#[allow(clippy::too_many_arguments)]
pub fn new_line(
    partner_id: &str,
    kind: LineKind,
    source: LineSource,
    amount: Money,
    description: String,
    earned_at: String,
    by: &str,
    at: &str,
) -> CommissionLine {
    CommissionLine {
        id: ulid::Ulid::new().to_string(),
        partner_id: partner_id.to_string(),
        kind,
        source,
        lead_id: None,
        deal_ref: None,
        description,
        amount,
        rate_bps: None,
        deal_value: None,
        status: LineStatus::Pending,
        held_from: None,
        hold_reason: None,
        cancel_reason: None,
        earned_at,
        approved_at: None,
        paid_at: None,
        payout_id: None,
        corrects: None,
        history: vec![Step {
            from: None,
            to: LineStatus::Pending,
            at: at.to_string(),
            by: by.to_string(),
            reason: None,
        }],
        crm_sync: CrmSync::pending(),
        created_at: at.to_string(),
        updated_at: at.to_string(),
        version: 1,
    }
}

/// `POST /v1/admin/commissions`: `amount`, or `deal_value` and `rate_bps` (the commission
/// is computed, half to even).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLine {
    pub partner_id: String,
    pub kind: LineKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_ref: Option<String>,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_value: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_bps: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earned_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
}

/// The digest an idempotency record keeps of a request: SHA-256 of its canonical JSON.
pub fn digest<T: Serialize>(request: &T) -> String {
    let text = serde_json::to_string(request).unwrap_or_default();
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The earlier result of this key, if any: the same request → its id; another → 422.
pub(crate) fn replay(
    record: Option<IdempotencyRecord>,
    digest: &str,
) -> Result<Option<(String, String)>, CommissionError> {
    match record {
        None => Ok(None),
        Some(r) if r.request_digest == digest => Ok(Some((r.partner_id, r.result_id))),
        Some(_) => Err(CommissionError::IdempotencyMismatch),
    }
}

pub(crate) fn idempotency_record(
    scope: &str,
    key: &str,
    digest: &str,
    partner_id: &str,
    result_id: &str,
    now: DateTime<Utc>,
) -> IdempotencyRecord {
    IdempotencyRecord {
        scope: scope.into(),
        key: key.into(),
        request_digest: digest.into(),
        partner_id: partner_id.into(),
        result_id: result_id.into(),
        created_at: rfc3339(now),
        expires_at: now.timestamp() + 7 * 24 * 3600,
    }
}

/// The failure a lost idempotency race reports (the winner's result is then answered).
pub(crate) fn idempotency_race() -> Failure {
    Failure::conflict("idempotency_race", "retry")
}

pub(crate) fn is_idempotency_race(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Condition(Failure::Conflict {
            code: "idempotency_race",
            ..
        })
    )
}

/// An RFC 3339 time in the API's form, or a field error.
pub(crate) fn time_field(
    e: &mut Vec<FieldError>,
    field: &str,
    raw: &Option<String>,
) -> Option<String> {
    raw.as_deref()
        .and_then(|r| match DateTime::parse_from_rfc3339(r.trim()) {
            Ok(t) => Some(rfc3339(t.with_timezone(&Utc))),
            Err(_) => {
                e.push(FieldError::new(field, "must be an RFC 3339 time"));
                None
            }
        })
}

const SCOPE_LINES: &str = "admin-commissions";

/// Creates a line for a partner (`Idempotency-Key`: the same key and body answer the same
/// line; another body, 422). Reads the key, the partner and the corrected line or lead in
/// one round trip; writes in one transaction.
pub async fn create(
    store: &Store,
    actor: &str,
    idempotency_key: &str,
    req: NewLine,
    now: DateTime<Utc>,
) -> Result<CommissionLine, CommissionError> {
    let digest = digest(&req);
    let at = rfc3339(now);
    let mut e = Vec::new();
    let description = required(&mut e, "/description", &req.description, 500);
    let deal_ref = optional(&mut e, "/deal_ref", &req.deal_ref, 100);
    let earned_at = time_field(&mut e, "/earned_at", &req.earned_at).unwrap_or_else(|| at.clone());
    if req.partner_id.trim().is_empty() {
        e.push(FieldError::new("/partner_id", "is required"));
    }
    let amount = match (req.amount, req.deal_value, req.rate_bps) {
        (Some(a), None, None) => Some(a),
        (None, Some(value), Some(rate)) => {
            if value.amount_minor <= 0 {
                e.push(FieldError::new("/deal_value", "must be positive"));
            }
            let c = commission(value, rate);
            if c.is_none() {
                e.push(FieldError::new(
                    "/rate_bps",
                    "must be 0 to 10000 basis points",
                ));
            }
            c
        }
        _ => {
            e.push(FieldError::new(
                "/amount",
                "give either amount, or deal_value and rate_bps",
            ));
            None
        }
    };
    if let Some(a) = amount {
        let ok = match req.kind {
            LineKind::Earning => a.amount_minor > 0,
            LineKind::Clawback => a.amount_minor < 0,
            LineKind::Adjustment => a.amount_minor != 0,
        };
        if !ok {
            e.push(FieldError::new(
                "/amount",
                match req.kind {
                    LineKind::Earning => "an earning must be positive",
                    LineKind::Clawback => "a clawback is negative",
                    LineKind::Adjustment => "an adjustment cannot be zero",
                },
            ));
        }
    }
    if req.kind != LineKind::Earning && req.corrects.is_none() {
        e.push(FieldError::new(
            "/corrects",
            "a clawback or adjustment names the line it corrects",
        ));
    }
    let Some(amount) = amount.filter(|_| e.is_empty()) else {
        return Err(Invalid(e).into());
    };
    let partner_id = req.partner_id.trim().to_string();
    let idem_key = keys::idempotency(SCOPE_LINES, idempotency_key);
    let partner_key = keys::partner(&partner_id);
    let corrects_key = req
        .corrects
        .as_ref()
        .map(|id| keys::commission_line(&partner_id, id));
    let lead_key = req.lead_id.as_ref().map(|id| keys::lead(&partner_id, id));
    for attempt in 0..2 {
        let reads: Vec<_> = [Some(idem_key.clone()), Some(partner_key.clone())]
            .into_iter()
            .chain([corrects_key.clone(), lead_key.clone()])
            .flatten()
            .collect();
        let mut fetched = store.fetch(&reads).await?;
        if let Some((p, id)) = replay(fetched.take(&idem_key)?, &digest)? {
            return store
                .get(&keys::commission_line(&p, &id))
                .await?
                .ok_or(CommissionError::NotFound("commission line"));
        }
        let partner: Option<Partner> = fetched.take(&partner_key)?;
        if partner.is_none() {
            return Err(CommissionError::NotFound("partner"));
        }
        let mut e = Vec::new();
        if let Some(k) = &corrects_key {
            match fetched.take::<CommissionLine>(k)? {
                None => e.push(FieldError::new(
                    "/corrects",
                    "is not a line of this partner",
                )),
                Some(c) if c.amount.currency != amount.currency => e.push(FieldError::new(
                    "/amount/currency",
                    format!(
                        "must be {}, the corrected line's currency",
                        c.amount.currency.code()
                    ),
                )),
                Some(_) => {}
            }
        }
        if let Some(k) = &lead_key
            && fetched.take::<serde_json::Value>(k)?.is_none()
        {
            e.push(FieldError::new("/lead_id", "is not a lead of this partner"));
        }
        if !e.is_empty() {
            return Err(Invalid(e).into());
        }
        let mut line = new_line(
            &partner_id,
            req.kind,
            LineSource::Admin,
            amount,
            description.clone(),
            earned_at.clone(),
            actor,
            &at,
        );
        line.lead_id = req.lead_id.clone();
        line.deal_ref = deal_ref.clone();
        line.deal_value = req.deal_value.filter(|_| req.amount.is_none());
        line.rate_bps = req.rate_bps.filter(|_| req.amount.is_none());
        line.corrects = req.corrects.clone();
        let tx = record(
            store.tx(),
            None,
            &line,
            actor,
            "commission.created",
            Push::Crm,
        )
        .create(
            &idempotency_record(
                SCOPE_LINES,
                idempotency_key,
                &digest,
                &partner_id,
                &line.id,
                now,
            ),
            idempotency_race(),
        );
        match store.commit(tx.build()).await {
            Ok(()) => return Ok(line),
            Err(err) if is_idempotency_race(&err) && attempt == 0 => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(CommissionError::Store(StoreError::Dynamo(
        "idempotency record kept changing".into(),
    )))
}

/// What operations do to a line (`POST /v1/admin/commissions/{id}/status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminAction {
    Approve,
    Hold,
    Release,
    Cancel,
}

impl From<AdminAction> for LineAction {
    fn from(a: AdminAction) -> Self {
        match a {
            AdminAction::Approve => LineAction::Approve,
            AdminAction::Hold => LineAction::Hold,
            AdminAction::Release => LineAction::Release,
            AdminAction::Cancel => LineAction::Cancel,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub action: AdminAction,
    #[serde(default)]
    pub reason: Option<String>,
}

/// The locator of `id` of `entity`: a route naming only the id reads it with the access
/// check ([`located`]).
pub fn locator_key(entity: &str, id: &str) -> crate::store::Key {
    keys::locator(entity, id)
}

/// The partner that owns `id` of `entity`, from the items read with the access check (404
/// when there is none).
pub fn located(
    fetched: &mut crate::store::Fetched,
    entity: &str,
    id: &str,
    what: &'static str,
) -> Result<String, CommissionError> {
    fetched
        .take::<Locator>(&keys::locator(entity, id))?
        .map(|l| l.partner_id)
        .ok_or(CommissionError::NotFound(what))
}

/// The partner that owns `id` of `entity` (404 when there is none).
pub async fn locate(
    store: &Store,
    entity: &str,
    id: &str,
    what: &'static str,
) -> Result<String, CommissionError> {
    store
        .get::<Locator>(&keys::locator(entity, id))
        .await?
        .map(|l| l.partner_id)
        .ok_or(CommissionError::NotFound(what))
}

fn action_name(a: LineAction) -> &'static str {
    match a {
        LineAction::Approve => "approve",
        LineAction::Hold => "hold",
        LineAction::Release => "release",
        LineAction::Cancel => "cancel",
        LineAction::Pay => "pay",
    }
}

/// Moves a line along the machine: reads the line and its partner (one round trip; one
/// more to find the partner when `partner_id` is not known yet: routes read the locator
/// with the access check), writes in one transaction conditional on `expected_version`
/// (the line's current one for `None`). Hold and cancel need a reason; approve and hold
/// email the partner.
pub async fn change_status(
    store: &Store,
    actor: &str,
    line_id: &str,
    partner_id: Option<String>,
    expected_version: Option<u64>,
    req: StatusChange,
    now: DateTime<Utc>,
) -> Result<CommissionLine, CommissionError> {
    let mut e = Vec::new();
    let reason = optional(&mut e, "/reason", &req.reason, 500);
    if reason.is_none() && matches!(req.action, AdminAction::Hold | AdminAction::Cancel) {
        e.push(FieldError::new(
            "/reason",
            "is required to hold or cancel a line",
        ));
    }
    if !e.is_empty() {
        return Err(Invalid(e).into());
    }
    let partner_id = match partner_id {
        Some(p) => p,
        None => locate(store, LINE, line_id, "commission line").await?,
    };
    let line_key = keys::commission_line(&partner_id, line_id);
    let partner_key = keys::partner(&partner_id);
    let mut fetched = store
        .fetch(&[line_key.clone(), partner_key.clone()])
        .await?;
    let line: CommissionLine = fetched
        .take(&line_key)?
        .ok_or(CommissionError::NotFound("commission line"))?;
    let partner: Option<Partner> = fetched.take(&partner_key)?;
    if expected_version.is_some_and(|v| v != line.version) {
        return Err(CommissionError::Stale);
    }
    let action = LineAction::from(req.action);
    let Some(to) = line.status.after(action, line.held_from) else {
        return Err(CommissionError::InvalidTransition {
            from: line.status.as_str(),
            allowed: line
                .status
                .allowed()
                .into_iter()
                .filter(|a| *a != LineAction::Pay)
                .map(action_name)
                .collect(),
        });
    };
    if let Some(payout) = line
        .payout_id
        .as_ref()
        .filter(|_| line.status == LineStatus::Approved)
    {
        return Err(CommissionError::InPayout(payout.clone()));
    }
    let at = rfc3339(now);
    let mut next = line.clone();
    next.status = to;
    match action {
        LineAction::Approve => next.approved_at = Some(at.clone()),
        LineAction::Hold => {
            next.held_from = Some(line.status);
            next.hold_reason = reason.clone();
        }
        LineAction::Release => {
            next.held_from = None;
            next.hold_reason = None;
        }
        LineAction::Cancel => next.cancel_reason = reason.clone(),
        LineAction::Pay => {}
    }
    next.history.push(Step {
        from: Some(line.status),
        to,
        at: at.clone(),
        by: actor.to_string(),
        reason: reason.clone(),
    });
    next.crm_sync = line.crm_sync.repending();
    next.updated_at = at.clone();
    next.version = line.version + 1;
    let mut tx = record(
        store.tx(),
        Some(&line),
        &next,
        actor,
        &format!("commission.{}", action_name(action)),
        Push::Crm,
    );
    if let Some(p) = partner.filter(|_| matches!(to, LineStatus::Approved | LineStatus::Held))
        && matches!(action, LineAction::Approve | LineAction::Hold)
    {
        tx = tx.insert(&OutboxEmail::new(
            &p.email,
            EmailKind::CommissionChanged {
                business_name: p.business_name.clone(),
                description: next.description.clone(),
                amount: next.amount.display(),
                status: to.as_str().to_string(),
                reason: reason.clone(),
            },
            &at,
        ));
    }
    store.commit(tx.build()).await?;
    Ok(next)
}
