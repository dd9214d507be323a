//! Commission ledger lines. Today they arrive from the CRM (a commission record created,
//! updated or paid in Zoho becomes one line for its partner, stored as Zoho sent it); the
//! portal's own commission workflow builds on the same lines.

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

/// A Zoho currency amount (a JSON number or numeric string) in minor units.
pub fn minor_units(value: &Value) -> Option<i64> {
    let n = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    n.is_finite().then(|| (n * 100.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crm_amounts_and_statuses_are_normalised() {
        assert_eq!(minor_units(&serde_json::json!(1250.5)), Some(125050));
        assert_eq!(minor_units(&serde_json::json!("99.99")), Some(9999));
        assert_eq!(minor_units(&serde_json::json!(null)), None);
        assert_eq!(status_from_crm("Paid"), "paid");
        assert_eq!(status_from_crm(" On Hold "), "on_hold");
    }
}
