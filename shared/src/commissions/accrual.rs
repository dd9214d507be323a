//! Accruals: a lead that becomes won (or converted) with a deal value earns one pending
//! line at the partner's rate; a lead that stops being won after that gets a clawback line
//! reversing it. The lead's accrual guard makes it exactly once per lead whatever is
//! redelivered: won ×3 accrues once; won → lost → won accrues, claws back, accrues again
//! (net one commission).

use super::ledger::{Push, new_line, record};
use super::model::{AccrualGuard, AccrualState, CommissionLine, LineKind, LineSource};
use super::status::LineStatus;
use super::{CommissionError, CommissionSettings};
use crate::money::{Money, commission};
use crate::partners::Partner;
use crate::store::{Failure, Store, TxBuilder, keys};

/// A lead's status change, as the accrual sees it.
pub struct LeadOutcome<'a> {
    pub lead_id: &'a str,
    pub lead_name: &'a str,
    /// The partner that owns the lead now (whose rate an accrual uses).
    pub partner: &'a Partner,
    pub was_won: bool,
    pub is_won: bool,
    /// The deal's value: the CRM's amount, else the lead's estimated value.
    pub deal_value: Option<Money>,
    /// `crm` or the acting user.
    pub actor: &'a str,
    pub at: &'a str,
}

/// Adds the accrual or its reversal to `tx` (the lead's own transaction), reading the
/// lead's guard (and, to reverse, the accrued line).
pub async fn apply<'a>(
    store: &Store,
    mut tx: TxBuilder<'a>,
    o: LeadOutcome<'_>,
    settings: &CommissionSettings,
) -> Result<TxBuilder<'a>, CommissionError> {
    if o.was_won == o.is_won {
        return Ok(tx);
    }
    let guard: Option<AccrualGuard> = store.get(&keys::accrual(o.lead_id)).await?;
    if o.is_won {
        if guard
            .as_ref()
            .is_some_and(|g| g.state == AccrualState::Accrued)
        {
            return Ok(tx);
        }
        let Some(value) = o.deal_value.filter(|v| v.amount_minor > 0) else {
            tracing::info!(
                lead_id = o.lead_id,
                "won lead without a deal value: no accrual"
            );
            return Ok(tx);
        };
        let rate = settings.rate_of(o.partner);
        let Some(amount) = commission(value, rate).filter(|a| a.amount_minor > 0) else {
            tracing::info!(lead_id = o.lead_id, rate, "accrual rounds to nothing");
            return Ok(tx);
        };
        let mut line = new_line(
            &o.partner.id,
            LineKind::Earning,
            LineSource::Accrual,
            amount,
            format!("Commission on {}", o.lead_name),
            o.at.to_string(),
            o.actor,
            o.at,
        );
        line.lead_id = Some(o.lead_id.to_string());
        line.rate_bps = Some(rate);
        line.deal_value = Some(value);
        tx = record(tx, None, &line, o.actor, "commission.accrued", Push::Crm);
        let next = AccrualGuard {
            lead_id: o.lead_id.to_string(),
            partner_id: o.partner.id.clone(),
            line_id: line.id.clone(),
            state: AccrualState::Accrued,
            updated_at: o.at.to_string(),
            version: guard.as_ref().map(|g| g.version + 1).unwrap_or(1),
        };
        tx = match &guard {
            Some(g) => tx.replace(&next, g.version),
            None => tx.create(&next, Failure::Stale),
        };
        return Ok(tx);
    }
    let Some(g) = guard.filter(|g| g.state == AccrualState::Accrued) else {
        return Ok(tx);
    };
    let accrued: Option<CommissionLine> = store
        .get(&keys::commission_line(&g.partner_id, &g.line_id))
        .await?;
    if let Some(line) = accrued.filter(|l| l.status != LineStatus::Cancelled) {
        let mut claw = new_line(
            &line.partner_id,
            LineKind::Clawback,
            LineSource::Accrual,
            Money::new(-line.amount.amount_minor, line.amount.currency),
            format!("Reversal: {} is no longer won", o.lead_name),
            o.at.to_string(),
            o.actor,
            o.at,
        );
        claw.lead_id = Some(o.lead_id.to_string());
        claw.corrects = Some(line.id.clone());
        tx = record(
            tx,
            None,
            &claw,
            o.actor,
            "commission.clawed_back",
            Push::Crm,
        );
    }
    let next = AccrualGuard {
        state: AccrualState::Reversed,
        updated_at: o.at.to_string(),
        version: g.version + 1,
        ..g.clone()
    };
    Ok(tx.replace(&next, g.version))
}
