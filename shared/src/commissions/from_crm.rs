//! Lines from Zoho's Commissions module: a record becomes (or updates) one line. Zoho's
//! status is applied along the contract's statuses only when Zoho changed it since the
//! portal last knew it; an unknown status leaves the line as it is (logged). Paid and
//! cancelled lines, and lines locked in a portal payout, are never changed from Zoho;
//! amounts and texts follow Zoho only while a Zoho line is pending or held.

use super::ledger::new_line;
use super::model::{CommissionLine, LineKind, LineSource, Step};
use super::status::LineStatus;
use crate::money::Money;

/// A Zoho commission record, read.
#[derive(Debug, Clone)]
pub struct CrmCommission {
    pub crm_id: String,
    pub modified: String,
    /// Zoho's status value as written there.
    pub status_value: Option<String>,
    pub amount: Money,
    pub lead_id: Option<String>,
    pub deal_ref: Option<String>,
    pub description: String,
    pub rate_bps: Option<u32>,
    pub hold_reason: Option<String>,
    pub earned_at: Option<String>,
    pub paid_at: Option<String>,
}

/// What applying a Zoho record does.
#[derive(Debug)]
pub struct Merged {
    /// The line after applying the record, or `None` when nothing changes.
    pub next: Option<CommissionLine>,
    /// Zoho set a status the ledger refuses (the line is final or in a payout): the
    /// portal's status is pushed back, so Zoho shows the ledger's truth.
    pub overridden: bool,
}

/// Applies a Zoho record to the line it stands for (`None`: a new line).
pub fn merge(
    existing: Option<&CommissionLine>,
    partner_id: &str,
    c: &CrmCommission,
    at: &str,
) -> Merged {
    let zoho_status = c
        .status_value
        .as_deref()
        .map(|v| (v, LineStatus::from_crm(v)));
    if let Some((v, None)) = zoho_status {
        tracing::warn!(crm_id = %c.crm_id, status = v, "unknown Zoho commission status: line status left as it is");
    }
    let Some(line) = existing else {
        let kind = if c.amount.amount_minor < 0 {
            LineKind::Adjustment
        } else {
            LineKind::Earning
        };
        let mut line = new_line(
            partner_id,
            kind,
            LineSource::Crm,
            c.amount,
            c.description.clone(),
            c.earned_at.clone().unwrap_or_else(|| at.to_string()),
            "crm",
            at,
        );
        fill(&mut line, c);
        if let Some((_, Some(s))) = zoho_status
            && s != LineStatus::Pending
        {
            move_to(&mut line, s, c, at);
        }
        line.crm_sync.crm_id = Some(c.crm_id.clone());
        line.crm_sync.crm_status = c.status_value.clone();
        line.crm_sync.crm_modified_time = Some(c.modified.clone());
        line.crm_sync.state = crate::outbox::SyncState::Synced;
        return Merged {
            next: Some(line),
            overridden: false,
        };
    };
    let mut next = line.clone();
    let mut overridden = false;
    let locked = line.payout_id.is_some() && line.status == LineStatus::Approved;
    let changed_in_zoho = c.status_value.is_some() && c.status_value != line.crm_sync.crm_status;
    if changed_in_zoho
        && let Some((_, Some(s))) = zoho_status
        && s != line.status
    {
        if line.status.is_final() || locked {
            tracing::warn!(crm_id = %c.crm_id, line_id = %line.id, from = line.status.as_str(), to = s.as_str(),
                "Zoho status not applied: the line is final or in a payout; the portal's is pushed back");
            overridden = true;
        } else {
            move_to(&mut next, s, c, at);
        }
    }
    if line.source == LineSource::Crm
        && matches!(next.status, LineStatus::Pending | LineStatus::Held)
    {
        next.amount = c.amount;
        fill(&mut next, c);
    }
    next.crm_sync.crm_id = Some(c.crm_id.clone());
    if c.status_value.is_some() {
        next.crm_sync.crm_status = c.status_value.clone();
    }
    next.crm_sync.crm_modified_time = Some(c.modified.clone());
    if next == *line {
        return Merged {
            next: None,
            overridden,
        };
    }
    next.updated_at = at.to_string();
    next.version = line.version + 1;
    Merged {
        next: Some(next),
        overridden,
    }
}

fn fill(line: &mut CommissionLine, c: &CrmCommission) {
    line.description = c.description.clone();
    line.lead_id = c.lead_id.clone().or(line.lead_id.take());
    line.deal_ref = c.deal_ref.clone();
    line.rate_bps = c.rate_bps;
    if let Some(e) = &c.earned_at {
        line.earned_at = e.clone();
    }
}

fn move_to(line: &mut CommissionLine, to: LineStatus, c: &CrmCommission, at: &str) {
    let from = line.status;
    match to {
        LineStatus::Approved => line.approved_at = Some(at.to_string()),
        LineStatus::Held => {
            line.held_from =
                Some(from).filter(|f| matches!(f, LineStatus::Pending | LineStatus::Approved));
            line.hold_reason = c.hold_reason.clone();
        }
        LineStatus::Paid => {
            line.paid_at = Some(c.paid_at.clone().unwrap_or_else(|| at.to_string()))
        }
        _ => {}
    }
    if from == LineStatus::Held && to != LineStatus::Held {
        line.hold_reason = None;
        line.held_from = None;
    }
    line.status = to;
    line.history.push(Step {
        from: Some(from),
        to,
        at: at.to_string(),
        by: "crm".into(),
        reason: if to == LineStatus::Held {
            c.hold_reason.clone()
        } else {
            None
        },
    });
}
