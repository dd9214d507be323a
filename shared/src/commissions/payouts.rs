//! Payouts: approved, unpaid lines of one currency locked to a payout (`processing`), then
//! settled (`paid`: every line paid, the partner emailed a statement) or released
//! (`failed`). A line is locked by a write conditional on its version, so two payouts can
//! never take the same line; a payout holds at most [`MAX_LINES`] lines (one transaction
//! writes them all, within DynamoDB's 100 items), oldest first — a larger balance is paid
//! by the next payout.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::CommissionError;
use super::ledger::{
    digest, idempotency_race, idempotency_record, is_idempotency_race, locate, time_field,
};
use super::model::{CommissionLine, Locator, Payout, PayoutStatus, Step};
use super::status::{LineAction, LineStatus};
use crate::audit::AuditEntry;
use crate::fault::{FieldError, Invalid};
use crate::money::{Currency, Money};
use crate::notifications::{EmailKind, OutboxEmail};
use crate::outbox::{CrmOutbox, CrmSync, OutboxEntity, OutboxOperation};
use crate::partners::Partner;
use crate::store::{Index, Query, Store, StoreError, keys};
use crate::validate::{optional, rfc3339};

/// The most lines one payout holds.
pub const MAX_LINES: usize = 90;

/// The entity name of payouts in locators and audit targets.
pub const PAYOUT: &str = "payout";

const SCOPE: &str = "admin-payouts";

/// `POST /v1/admin/payouts`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPayout {
    pub partner_id: String,
    pub currency: Currency,
    /// The lines to pay; by default the oldest approved, unpaid lines in `currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_ids: Option<Vec<String>>,
}

/// Creates a payout (`Idempotency-Key`): reads the key, the partner and the named lines in
/// one batched read (or, for the default, the partner's payable list of the currency in a
/// Query issued at the same time), and locks every line in one transaction conditional on
/// each line's version.
pub async fn create(
    store: &Store,
    actor: &str,
    idempotency_key: &str,
    req: NewPayout,
    now: DateTime<Utc>,
) -> Result<Payout, CommissionError> {
    let digest = digest(&req);
    let mut e = Vec::new();
    if req.partner_id.trim().is_empty() {
        e.push(FieldError::new("/partner_id", "is required"));
    }
    if let Some(ids) = &req.commission_ids {
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        if ids.is_empty() || ids.len() > MAX_LINES {
            e.push(FieldError::new(
                "/commission_ids",
                format!("must name 1 to {MAX_LINES} lines"),
            ));
        } else if unique.len() != ids.len() {
            e.push(FieldError::new("/commission_ids", "names a line twice"));
        }
    }
    if !e.is_empty() {
        return Err(Invalid(e).into());
    }
    let partner_id = req.partner_id.trim().to_string();
    let idem_key = keys::idempotency(SCOPE, idempotency_key);
    let partner_key = keys::partner(&partner_id);
    // The named lines (if any) come with the key and the partner in one batched read; the
    // partner's payable list is queried at the same time.
    let line_keys: Vec<_> = req
        .commission_ids
        .iter()
        .flatten()
        .map(|id| keys::commission_line(&partner_id, id))
        .collect();
    let reads: Vec<_> = [idem_key.clone(), partner_key.clone()]
        .into_iter()
        .chain(line_keys.iter().cloned())
        .collect();
    let payable = Query::partition(
        Some(Index::Due),
        keys::payable(&partner_id, req.currency.code()),
        MAX_LINES as i32,
    );
    for attempt in 0..2 {
        let (mut fetched, listed) = match &req.commission_ids {
            Some(_) => (store.fetch(&reads).await?, Vec::new()),
            None => tokio::try_join!(
                store.fetch(&reads),
                store.query_up_to::<CommissionLine>(&payable)
            )?,
        };
        if let Some((p, id)) = super::ledger::replay(fetched.take(&idem_key)?, &digest)? {
            return store
                .get(&keys::payout(&p, &id))
                .await?
                .ok_or(CommissionError::NotFound("payout"));
        }
        if fetched.take::<Partner>(&partner_key)?.is_none() {
            return Err(CommissionError::NotFound("partner"));
        }
        let lines: Vec<CommissionLine> = match &req.commission_ids {
            Some(ids) => {
                let found = fetched.take_each::<CommissionLine>(&line_keys)?;
                let missing: Vec<&str> = ids
                    .iter()
                    .zip(&found)
                    .filter(|(_, l)| l.is_none())
                    .map(|(id, _)| id.as_str())
                    .collect();
                if !missing.is_empty() {
                    return Err(Invalid::field(
                        "/commission_ids",
                        format!("not lines of this partner: {}", missing.join(", ")),
                    )
                    .into());
                }
                let lines: Vec<CommissionLine> = found.into_iter().flatten().collect();
                let unpayable: Vec<String> = lines
                    .iter()
                    .filter_map(|l| {
                        if l.amount.currency != req.currency {
                            Some(format!("{} is in {}", l.id, l.amount.currency.code()))
                        } else if l.status != LineStatus::Approved {
                            Some(format!("{} is {}", l.id, l.status.as_str()))
                        } else {
                            l.payout_id
                                .as_ref()
                                .map(|p| format!("{} is in payout {p}", l.id))
                        }
                    })
                    .collect();
                if !unpayable.is_empty() {
                    return Err(CommissionError::PayoutLines(format!(
                        "A payout takes approved, unpaid lines of its currency only: {}.",
                        unpayable.join("; ")
                    )));
                }
                lines
            }
            None => listed,
        };
        if lines.is_empty() {
            return Err(CommissionError::PayoutLines(format!(
                "The partner has no approved, unpaid lines in {}.",
                req.currency.code()
            )));
        }
        let total: i64 = lines.iter().map(|l| l.amount.amount_minor).sum();
        if total <= 0 {
            return Err(CommissionError::PayoutLines(format!(
                "These lines come to {}: nothing to pay.",
                Money::new(total, req.currency).display()
            )));
        }
        let at = rfc3339(now);
        let payout = Payout {
            id: ulid::Ulid::new().to_string(),
            partner_id: partner_id.clone(),
            amount: Money::new(total, req.currency),
            line_ids: lines.iter().map(|l| l.id.clone()).collect(),
            status: PayoutStatus::Processing,
            reference: None,
            failure_reason: None,
            created_by: actor.to_string(),
            created_at: at.clone(),
            paid_at: None,
            crm_sync: CrmSync::pending(),
            updated_at: at.clone(),
            version: 1,
        };
        let mut tx = store.tx();
        for line in &lines {
            let mut next = line.clone();
            next.payout_id = Some(payout.id.clone());
            next.updated_at = at.clone();
            next.version = line.version + 1;
            tx = super::totals::apply(tx.replace(&next, line.version), Some(line), &next);
        }
        tx = tx
            .insert(&payout)
            .insert(&Locator {
                entity: PAYOUT.into(),
                id: payout.id.clone(),
                partner_id: partner_id.clone(),
            })
            .insert(
                &AuditEntry::new(
                    Some(&partner_id),
                    actor,
                    "payout.created",
                    format!("{PAYOUT}:{}", payout.id),
                    &at,
                )
                .change(
                    serde_json::Value::Null,
                    serde_json::json!({"amount": payout.amount, "commission_ids": payout.line_ids}),
                ),
            )
            .create(
                &idempotency_record(
                    SCOPE,
                    idempotency_key,
                    &digest,
                    &partner_id,
                    &payout.id,
                    now,
                ),
                idempotency_race(),
            );
        match store.commit(tx.build()).await {
            Ok(()) => return Ok(payout),
            Err(err) if is_idempotency_race(&err) && attempt == 0 => continue,
            Err(StoreError::Condition(_)) => {
                return Err(CommissionError::PayoutLines(
                    "Some of these lines changed while the payout was created (another payout \
                     or a status change took them); read them again and retry."
                        .into(),
                ));
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(CommissionError::Store(StoreError::Dynamo(
        "idempotency record kept changing".into(),
    )))
}

/// How a payout ended (`POST /v1/admin/payouts/{id}/status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Paid,
    Failed,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayoutUpdate {
    pub status: Outcome,
    /// The bank's or payment provider's reference.
    #[serde(default)]
    pub reference: Option<String>,
    /// When the money left (default: now).
    #[serde(default)]
    pub paid_at: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Settles (`paid`) or releases (`failed`) a processing payout and its lines in one
/// transaction: reads the payout with the partner, then the lines (and first the locator
/// when `partner_id` is not known: routes read it with the access check). Asking for the
/// status a payout already has answers it unchanged.
pub async fn settle(
    store: &Store,
    actor: &str,
    payout_id: &str,
    partner_id: Option<String>,
    req: PayoutUpdate,
    now: DateTime<Utc>,
) -> Result<Payout, CommissionError> {
    let mut e = Vec::new();
    let reference = optional(&mut e, "/reference", &req.reference, 200);
    let reason = optional(&mut e, "/reason", &req.reason, 500);
    let paid_at = time_field(&mut e, "/paid_at", &req.paid_at);
    if req.status == Outcome::Failed && (reference.is_some() || paid_at.is_some()) {
        e.push(FieldError::new(
            "/status",
            "a failed payout takes a reason, not a reference or paid_at",
        ));
    }
    if !e.is_empty() {
        return Err(Invalid(e).into());
    }
    let partner_id = match partner_id {
        Some(p) => p,
        None => locate(store, PAYOUT, payout_id, "payout").await?,
    };
    let payout_key = keys::payout(&partner_id, payout_id);
    let partner_key = keys::partner(&partner_id);
    let mut fetched = store
        .fetch(&[payout_key.clone(), partner_key.clone()])
        .await?;
    let payout: Payout = fetched
        .take(&payout_key)?
        .ok_or(CommissionError::NotFound("payout"))?;
    let partner: Option<Partner> = fetched.take(&partner_key)?;
    let wanted = match req.status {
        Outcome::Paid => PayoutStatus::Paid,
        Outcome::Failed => PayoutStatus::Failed,
    };
    if payout.status == wanted {
        return Ok(payout);
    }
    if payout.status != PayoutStatus::Processing {
        return Err(CommissionError::PayoutClosed(payout.status.as_str()));
    }
    let line_keys: Vec<_> = payout
        .line_ids
        .iter()
        .map(|id| keys::commission_line(&partner_id, id))
        .collect();
    let lines: Vec<CommissionLine> = store.fetch(&line_keys).await?.take_present(&line_keys)?;
    let at = rfc3339(now);
    let mut next_payout = payout.clone();
    next_payout.status = wanted;
    next_payout.updated_at = at.clone();
    next_payout.version = payout.version + 1;
    let mut tx = store.tx();
    let mut statement = Vec::new();
    for line in &lines {
        let mut next = line.clone();
        next.updated_at = at.clone();
        next.version = line.version + 1;
        match wanted {
            PayoutStatus::Paid => {
                let to = line.status.after(LineAction::Pay, None).ok_or_else(|| {
                    CommissionError::PayoutLines(format!(
                        "Line {} is {} and cannot be paid.",
                        line.id,
                        line.status.as_str()
                    ))
                })?;
                next.status = to;
                next.paid_at = Some(paid_at.clone().unwrap_or_else(|| at.clone()));
                next.history.push(Step {
                    from: Some(line.status),
                    to,
                    at: at.clone(),
                    by: actor.to_string(),
                    reason: reference
                        .as_ref()
                        .map(|r| format!("payout {payout_id}, reference {r}")),
                });
                next.crm_sync = line.crm_sync.repending();
                statement.push(format!("{}: {}", line.description, line.amount.display()));
            }
            _ => next.payout_id = None,
        }
        tx = super::totals::apply(tx.replace(&next, line.version), Some(line), &next);
    }
    match wanted {
        PayoutStatus::Paid => {
            next_payout.reference = reference.clone();
            next_payout.paid_at = Some(paid_at.unwrap_or_else(|| at.clone()));
            next_payout.crm_sync = payout.crm_sync.repending();
            tx = tx.insert(&CrmOutbox::new(
                OutboxEntity::Payout,
                &payout.id,
                &partner_id,
                OutboxOperation::Status,
                &at,
            ));
            if let Some(p) = &partner {
                tx = tx.insert(&OutboxEmail::new(
                    &p.email,
                    EmailKind::PayoutPaid {
                        business_name: p.business_name.clone(),
                        amount: payout.amount.display(),
                        reference: reference.clone(),
                        lines: statement,
                    },
                    &at,
                ));
            }
        }
        _ => next_payout.failure_reason = reason.clone(),
    }
    tx = tx.replace(&next_payout, payout.version).insert(
        &AuditEntry::new(
            Some(&partner_id),
            actor,
            &format!("payout.{}", wanted.as_str()),
            format!("{PAYOUT}:{}", payout.id),
            &at,
        )
        .change(
            serde_json::json!({"status": payout.status}),
            serde_json::json!({"status": wanted, "reference": reference, "reason": reason,
                               "commission_ids": payout.line_ids}),
        ),
    );
    match store.commit(tx.build()).await {
        Err(StoreError::Condition(_)) => Err(CommissionError::Stale),
        other => {
            other?;
            Ok(next_payout)
        }
    }
}
