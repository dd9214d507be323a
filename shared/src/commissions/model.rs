//! The ledger's items: commission lines, payouts, and the small items that keep writes
//! exactly-once (the accrual guard of a lead, idempotency records, id locators).

use serde::{Deserialize, Serialize};

use super::status::LineStatus;
use crate::money::Money;
use crate::outbox::CrmSync;
use crate::store::{Entity, Index, Key, keys};

/// What a line is: money earned, a correction, or a reversal of earlier money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Earning,
    Adjustment,
    Clawback,
}

impl LineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::Earning => "earning",
            LineKind::Adjustment => "adjustment",
            LineKind::Clawback => "clawback",
        }
    }
}

/// Where a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineSource {
    /// A commission record of Zoho's Commissions module.
    Crm,
    /// Created by operations (`POST /v1/admin/commissions`).
    Admin,
    /// Accrued when a lead was won (or reversed when it was lost after).
    Accrual,
}

/// One status move of a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// `None` for the line's creation.
    pub from: Option<LineStatus>,
    pub to: LineStatus,
    pub at: String,
    /// A user id, `crm` or `system`.
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One fact of a partner's ledger. Earnings are positive; clawbacks negative; adjustments
/// either. The amount of a line never changes once it is approved; a paid or cancelled line
/// never changes at all (corrections are new lines that name it in `corrects`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommissionLine {
    pub id: String,
    pub partner_id: String,
    /// Stored as `line_kind` (every item's `kind` names its entity); the API calls it
    /// `kind` ([`super::read::view`]).
    #[serde(rename = "line_kind")]
    pub kind: LineKind,
    pub source: LineSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_ref: Option<String>,
    pub description: String,
    pub amount: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_bps: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_value: Option<Money>,
    pub status: LineStatus,
    /// Where a held line returns to when released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_from: Option<LineStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    pub earned_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<String>,
    /// The payout the line is locked to (processing) or was paid by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payout_id: Option<String>,
    /// The line this one corrects (clawbacks and adjustments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
    #[serde(default)]
    pub history: Vec<Step>,
    #[serde(default)]
    pub crm_sync: CrmSync,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

/// Sort key of lines in the cross-partner listings: newest first by creation.
fn line_order(line: &CommissionLine) -> String {
    format!("{}#{}", line.created_at, line.id)
}

impl Entity for CommissionLine {
    const KIND: &'static str = "commission_line";

    fn key(&self) -> Key {
        keys::commission_line(&self.partner_id, &self.id)
    }

    /// Every line, newest first (`Lookup`); by status (`ByState`); and, while approved and
    /// in no payout, on the partner's payable list of its currency (`Due`, oldest first:
    /// what a payout takes).
    fn index_keys(&self) -> Vec<(Index, Key)> {
        let mut out = vec![
            (
                Index::Lookup,
                Key::new(keys::COMMISSIONS_ALL, line_order(self)),
            ),
            (
                Index::ByState,
                Key::new(
                    keys::commissions_by_status(self.status.as_str()),
                    line_order(self),
                ),
            ),
        ];
        if self.status == LineStatus::Approved && self.payout_id.is_none() {
            out.push((
                Index::Due,
                Key::new(
                    keys::payable(&self.partner_id, self.amount.currency.code()),
                    line_order(self),
                ),
            ));
        }
        out
    }
}

/// Where a payout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    Processing,
    Paid,
    Failed,
}

impl PayoutStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PayoutStatus::Processing => "processing",
            PayoutStatus::Paid => "paid",
            PayoutStatus::Failed => "failed",
        }
    }
}

/// A transfer to a partner: approved lines of one currency, locked while it is
/// `processing`, settled when it is `paid`, released when it `failed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    pub id: String,
    pub partner_id: String,
    pub amount: Money,
    pub line_ids: Vec<String>,
    pub status: PayoutStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub created_by: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<String>,
    #[serde(default)]
    pub crm_sync: CrmSync,
    pub updated_at: String,
    pub version: u64,
}

/// Sort key of payouts in the cross-partner listings: newest first by creation.
fn payout_order(payout: &Payout) -> String {
    format!("{}#{}", payout.created_at, payout.id)
}

impl Entity for Payout {
    const KIND: &'static str = "payout";

    fn key(&self) -> Key {
        keys::payout(&self.partner_id, &self.id)
    }

    /// Every payout, newest first (`Lookup`), and by status (`ByState`): operations' list
    /// across partners. Written with the whole item, so a settled payout moves between
    /// status partitions in the same write.
    fn index_keys(&self) -> Vec<(Index, Key)> {
        vec![
            (
                Index::Lookup,
                Key::new(keys::PAYOUTS_ALL, payout_order(self)),
            ),
            (
                Index::ByState,
                Key::new(
                    keys::payouts_by_status(self.status.as_str()),
                    payout_order(self),
                ),
            ),
        ]
    }
}

/// Whether a lead's accrual is in the ledger (`accrued`, with its line) or was reversed by a
/// clawback (`reversed`): one per lead, so a won lead accrues once whatever is redelivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccrualState {
    Accrued,
    Reversed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccrualGuard {
    pub lead_id: String,
    /// The partner whose ledger holds the accrual (leads can move; the money stays).
    pub partner_id: String,
    pub line_id: String,
    pub state: AccrualState,
    pub updated_at: String,
    pub version: u64,
}

impl Entity for AccrualGuard {
    const KIND: &'static str = "accrual_guard";

    fn key(&self) -> Key {
        keys::accrual(&self.lead_id)
    }
}

/// An id → the partner that owns it, for operations' routes that name only the id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Locator {
    pub entity: String,
    pub id: String,
    pub partner_id: String,
}

impl Entity for Locator {
    const KIND: &'static str = "locator";

    fn key(&self) -> Key {
        keys::locator(&self.entity, &self.id)
    }
}

/// A request made with an `Idempotency-Key`: the digest of its body and what it created.
/// The same key with the same body answers the same object; with another body, 422.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub scope: String,
    pub key: String,
    pub request_digest: String,
    pub partner_id: String,
    pub result_id: String,
    pub created_at: String,
    /// Kept for a week (TTL).
    pub expires_at: i64,
}

impl Entity for IdempotencyRecord {
    const KIND: &'static str = "idempotency";

    fn key(&self) -> Key {
        keys::idempotency(&self.scope, &self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn payout(status: PayoutStatus) -> Payout {
        Payout {
            id: "01JD0000000000000000000PAY".into(),
            partner_id: "01JD00000000000000000000PT".into(),
            amount: Money::new(9_000, Currency::ZAR),
            line_ids: vec!["01JD0000000000000000000LN1".into()],
            status,
            reference: None,
            failure_reason: None,
            created_by: "admin".into(),
            created_at: "2026-11-20T10:00:00Z".into(),
            paid_at: None,
            crm_sync: CrmSync::pending(),
            updated_at: "2026-11-20T10:00:00Z".into(),
            version: 1,
        }
    }

    #[test]
    fn a_payout_is_listed_across_partners_and_under_its_current_status_only() {
        let sort = "2026-11-20T10:00:00Z#01JD0000000000000000000PAY";
        for status in [
            PayoutStatus::Processing,
            PayoutStatus::Paid,
            PayoutStatus::Failed,
        ] {
            assert_eq!(
                payout(status).index_keys(),
                vec![
                    (Index::Lookup, Key::new("PAYOUTS", sort)),
                    (
                        Index::ByState,
                        Key::new(format!("PAYOUTS#{}", status.as_str()), sort)
                    ),
                ]
            );
        }
    }
}
