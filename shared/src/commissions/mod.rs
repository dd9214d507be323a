//! Commission ledger lines. Today they arrive from the CRM (a commission record created,
//! updated or paid in Zoho becomes one line for its partner, stored as Zoho sent it); the
//! portal's own commission workflow builds on the same lines.

pub mod status;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::{Entity, Key, keys};

/// One line of a partner's commission ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommissionLine {
    /// The line's id: the CRM record id it mirrors.
    pub id: String,
    pub partner_id: String,
    pub crm_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_crm_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// In minor units of `currency` (cents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_minor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_bps: Option<i64>,
    /// `pending`, `approved`, `held`, `paid` or `cancelled` (Zoho's value, lower-cased).
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earned_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<String>,
    /// The record exactly as Zoho returned it.
    pub crm_record: Value,
    pub crm_modified_time: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Entity for CommissionLine {
    const KIND: &'static str = "commission_line";

    fn key(&self) -> Key {
        keys::commission_line(&self.partner_id, &self.crm_id)
    }
}

/// Zoho's status value as a ledger status: lower-case, words joined by `_`.
pub fn status_from_crm(value: &str) -> String {
    let s = value.trim().to_lowercase().replace([' ', '-'], "_");
    if s.is_empty() { "pending".into() } else { s }
}

/// A Zoho currency amount (a JSON number or numeric string, e.g. `1250.5`) in minor units
/// (cents), read as decimal text with [`crate::money::parse_decimal`]: no floating point.
pub fn minor_units(value: &Value) -> Option<i64> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    crate::money::parse_decimal(&text, 2)
}

/// Whether a line in (Zoho's) `status` is still owed: pending, approved or held.
pub fn is_owed(status: &str) -> bool {
    status::LineStatus::from_crm(status).is_some_and(status::LineStatus::is_owed)
}

/// What a line adds to the portal-wide `commission_owed` (kept in one currency; a line in
/// another currency adds nothing: sums never mix currencies).
pub fn owed_contribution(line: Option<&CommissionLine>, currency: &str) -> i64 {
    line.filter(|l| is_owed(&l.status) && l.currency.as_deref() == Some(currency))
        .and_then(|l| l.amount_minor)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crm_amounts_and_statuses_are_normalised() {
        assert_eq!(minor_units(&serde_json::json!(1250.5)), Some(125050));
        assert_eq!(minor_units(&serde_json::json!("99.99")), Some(9999));
        assert_eq!(minor_units(&serde_json::json!(null)), None);
        assert_eq!(minor_units(&serde_json::json!("0.125")), Some(12));
        assert_eq!(minor_units(&serde_json::json!("0.135")), Some(14));
        assert_eq!(minor_units(&serde_json::json!("0.1251")), Some(13));
        assert_eq!(minor_units(&serde_json::json!(-12.3)), Some(-1230));
        assert_eq!(minor_units(&serde_json::json!("1e3")), None);
        assert_eq!(minor_units(&serde_json::json!("12,50")), None);
        // Exact where a float is not: 0.1 + 0.2 style values stay exact.
        assert_eq!(
            minor_units(&serde_json::json!("1234567890123.45")),
            Some(123456789012345)
        );
        assert_eq!(status_from_crm("Paid"), "paid");
        assert_eq!(status_from_crm(" On Hold "), "on_hold");
    }
}
